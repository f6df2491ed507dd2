// Self-attention with grouped-query heads and per-query key ranges.
//
// Masks: every query token t of sequence b sees the keys s with kvStart[b,t] <= s < kvEnd[b,t] (positions
// within the same sequence). One contiguous range per query covers every mask st needs:
//   causal                 [0, t+1)
//   packed documents       [start of t's document, t+1)               (block-diagonal, causal inside)
//   prefix-LM              [doc start, max(t+1, prefix end))  for prefix tokens, causal after the prefix
// `fillAttentionRanges` builds the ranges from per-token segment ids and prefix flags.
import Foundation

/// kvStart, kvEnd (B,T) from segment (B,T) (a change of id starts a new document; documents are contiguous)
/// and prefix (B,T) or nil (nonzero = token is in its document's bidirectional prefix; only the flags at the
/// start of a document count: the prefix ends at the document's first token with flag 0).
public func fillAttentionRanges(_ kvStart: UnsafeMutablePointer<Int32>, _ kvEnd: UnsafeMutablePointer<Int32>,
                                _ segment: IPtr?, _ prefix: UnsafePointer<UInt8>?, _ B: Int, _ T: Int) {
    for b in 0..<B {
        var t = 0
        while t < T {
            // document [t, e)
            var e = t + 1
            if let segment { while e < T && segment[b * T + e] == segment[b * T + t] { e += 1 } } else { e = T }
            var p = t
            if let prefix { while p < e && prefix[b * T + p] != 0 { p += 1 } }
            for q in t..<e {
                kvStart[b * T + q] = Int32(t)
                kvEnd[b * T + q] = Int32(q < p ? p : q + 1)
            }
            t = e
        }
    }
}

/// Sliding-window attention (Mistral): query t of each row sees no key before t - window + 1 (transformers'
/// sliding_window_overlay: kv_idx > q_idx - window), on top of the ranges fillAttentionRanges made.
public func applySlidingWindow(_ kvStart: UnsafeMutablePointer<Int32>, _ B: Int, _ T: Int, _ window: Int) {
    for b in 0..<B {
        for t in 0..<T { kvStart[b * T + t] = max(kvStart[b * T + t], Int32(max(0, t - window + 1))) }
    }
}

/// Queries are processed in blocks of this many rows; each block multiplies only the key columns its rows can
/// see (the union of their ranges), so causal and packed masks skip most of the masked work. (A variable so
/// tests can exercise several blocks on tiny shapes.)
nonisolated(unsafe) public var attentionRowBlock = 64

/// Key columns [lo, hi) needed by query rows [r0, r1) of sequence b.
@inline(__always)
func keyWindow(_ kvStart: IPtr, _ kvEnd: IPtr, _ b: Int, _ T: Int, _ r0: Int, _ r1: Int) -> (Int, Int) {
    var lo = T, hi = 0
    for t in r0..<r1 { lo = min(lo, Int(kvStart[b * T + t])); hi = max(hi, Int(kvEnd[b * T + t])) }
    return (lo, hi)
}

/// Layout of the fused projection `qkv` (B*T rows of (H + 2*KV)*D floats): H query heads, then KV key heads,
/// then KV value heads, each D floats. Query head h uses key/value head h / (H/KV).
///
/// out (B,T,H*D) = softmax(q k^T / sqrt(D) + mask) v;  att (B,H,T,T) keeps the probabilities for backward
/// (zero outside each query's key range). Per (b, h) and block of query rows: two single-threaded sgemm calls
/// over the block's key window and a vectorized masked softmax in between.
public func attentionForward(_ out: FPtr, _ att: FPtr, _ qkv: CFPtr, _ kvStart: IPtr, _ kvEnd: IPtr,
                             _ B: Int, _ T: Int, _ H: Int, _ KV: Int, _ D: Int) {
    let o = SendablePointer(out), a = SendablePointer(att)
    let stride = (H + 2 * KV) * D, G = H / KV
    let scale = 1 / Float(D).squareRoot()
    parallelChunks(B * H) { bh in
        let b = bh / H, h = bh % H, kvh = h / G
        let q = qkv + b * T * stride + h * D
        let k = qkv + b * T * stride + (H + kvh) * D
        let v = qkv + b * T * stride + (H + KV + kvh) * D
        let P = a.p + bh * T * T
        let y = o.p + b * T * H * D + h * D
        var r0 = 0
        while r0 < T {
            let r1 = min(T, r0 + attentionRowBlock)
            let (lo, hi) = keyWindow(kvStart, kvEnd, b, T, r0, r1)
            sgemm1(false, true, r1 - r0, hi - lo, D, scale, q + r0 * stride, stride, k + lo * stride, stride, 0, P + r0 * T + lo, T)
            for t in r0..<r1 {
                let row = P + t * T
                let s0 = Int(kvStart[b * T + t]), s1 = Int(kvEnd[b * T + t])
                let m = vmax(row + s0, s1 - s0)
                let sum = vexpShiftSum(row + s0, m, s1 - s0)
                vscaleTo(row + s0, 1 / sum, row + s0, s1 - s0)
                if s0 > 0 { row.update(repeating: 0, count: s0) }
                if s1 < T { (row + s1).update(repeating: 0, count: T - s1) }
            }
            sgemm1(false, false, r1 - r0, D, hi - lo, 1, P + r0 * T + lo, T, v + lo * stride, stride, 0, y + r0 * H * D, H * D)
            r0 = r1
        }
    }
}

/// dqkv (B*T, (H+2KV)*D) = gradient of attentionForward given dout (B,T,H*D) (OVERWRITTEN, not accumulated:
/// every element is written); scratch holds B*KV*T*T floats.
/// Work is split by (b, kv head): each chunk owns the q rows of its head group and its k/v rows, so there is
/// no race and no order dependence on the thread count.
public func attentionBackward(_ dqkv: FPtr, _ dout: CFPtr, _ att: CFPtr, _ qkv: CFPtr, _ kvStart: IPtr, _ kvEnd: IPtr,
                              _ scratch: FPtr, _ B: Int, _ T: Int, _ H: Int, _ KV: Int, _ D: Int) {
    let dp = SendablePointer(dqkv), sp = SendablePointer(scratch)
    let stride = (H + 2 * KV) * D, G = H / KV
    let scale = 1 / Float(D).squareRoot()
    parallelChunks(B * KV) { bk in
        let b = bk / KV, kvh = bk % KV
        let k = qkv + b * T * stride + (H + kvh) * D
        let v = qkv + b * T * stride + (H + KV + kvh) * D
        let dk = dp.p + b * T * stride + (H + kvh) * D
        let dv = dp.p + b * T * stride + (H + KV + kvh) * D
        for t in 0..<T { (dk + t * stride).update(repeating: 0, count: D); (dv + t * stride).update(repeating: 0, count: D) }
        let dS = sp.p + bk * T * T
        for h in kvh * G ..< (kvh + 1) * G {
            let P = att + (b * H + h) * T * T
            let dO = dout + b * T * H * D + h * D
            let q = qkv + b * T * stride + h * D
            let dq = dp.p + b * T * stride + h * D
            var r0 = 0
            while r0 < T {
                let r1 = min(T, r0 + attentionRowBlock), n = r1 - r0
                let (lo, hi) = keyWindow(kvStart, kvEnd, b, T, r0, r1)
                let Pb = P + r0 * T + lo, dSb = dS + r0 * T + lo
                // dV += P^T dO;  dP = dO V^T
                sgemm1(true, false, hi - lo, D, n, 1, Pb, T, dO + r0 * H * D, H * D, 1, dv + lo * stride, stride)
                sgemm1(false, true, n, hi - lo, D, 1, dO + r0 * H * D, H * D, v + lo * stride, stride, 0, dSb, T)
                // dS = P (dP - sum_s P dP) inside each row's range, zero elsewhere in the window
                for t in r0..<r1 {
                    let s0 = Int(kvStart[b * T + t]), s1 = Int(kvEnd[b * T + t])
                    let p = P + t * T, g = dS + t * T
                    let pdp = vdot(p + s0, g + s0, s1 - s0)
                    var i = s0
                    let pv = F16(repeating: pdp)
                    while i + 16 <= s1 { store16(g + i, load16(p + i) * (load16(g + i) - pv)); i += 16 }
                    while i < s1 { g[i] = p[i] * (g[i] - pdp); i += 1 }
                    if s0 > lo { (g + lo).update(repeating: 0, count: s0 - lo) }
                    if s1 < hi { (g + s1).update(repeating: 0, count: hi - s1) }
                }
                // dQ = scale dS K;  dK += scale dS^T Q
                sgemm1(false, false, n, D, hi - lo, scale, dSb, T, k + lo * stride, stride, 0, dq + r0 * stride, stride)
                sgemm1(true, false, hi - lo, D, n, scale, dSb, T, q + r0 * stride, stride, 1, dk + lo * stride, stride)
                r0 = r1
            }
        }
    }
}

/// One query's attention over `e` cached positions, as the decoder's key-value cache runs it (a decode step,
/// or a prompt prefilled through the cache): s[t] = scale · (q · k[t]); p = softmax(s); out = Σ_t p[t] v[t].
/// k and v hold e rows of D floats; s is scratch for e floats.
///
/// Written out rather than two cblas_sgemv calls: at decode sizes (e ≤ a few hundred, D = 32..128) OpenBLAS's
/// call overhead made attention over a quarter of a 32-sequence st-sample run (perf), five times the cost per
/// flop of the matmuls. Here the dot products and the maximum share one pass, and the weighted sum of values
/// keeps up to 64 output floats in registers across all positions. Every output depends on this query's data
/// only, in a fixed order, so a token's attention is the same whatever else shares the forward call.
@inline(__always)
public func cachedAttention(_ out: FPtr, _ q: CFPtr, _ k: CFPtr, _ v: CFPtr, _ e: Int, _ D: Int,
                            _ scale: Float, _ s: FPtr) {
    let D16 = D & ~15
    var m = -Float.infinity
    for t in 0..<e {
        let kr = k + t * D
        var acc = F16()
        var c = 0
        while c < D16 { fmadd(&acc, load16(q + c), load16(kr + c)); c += 16 }
        var d = reduce16(acc)   // a tree: Swift's .sum() is 16 dependent adds
        while c < D { d += q[c] * kr[c]; c += 1 }
        d *= scale
        s[t] = d
        m = max(m, d)
    }
    let inv = 1 / vexpShiftSum(s, m, e)
    var c = 0
    while c + 64 <= D16 {
        var a0 = F16(), a1 = F16(), a2 = F16(), a3 = F16()
        for t in 0..<e {
            let p = F16(repeating: s[t]), vr = v + t * D + c
            fmadd(&a0, p, load16(vr)); fmadd(&a1, p, load16(vr + 16))
            fmadd(&a2, p, load16(vr + 32)); fmadd(&a3, p, load16(vr + 48))
        }
        let iv = F16(repeating: inv)
        store16(out + c, a0 * iv); store16(out + c + 16, a1 * iv)
        store16(out + c + 32, a2 * iv); store16(out + c + 48, a3 * iv)
        c += 64
    }
    while c < D16 {
        var a = F16()
        for t in 0..<e { fmadd(&a, F16(repeating: s[t]), load16(v + t * D + c)) }
        store16(out + c, a * F16(repeating: inv))
        c += 16
    }
    while c < D {
        var a: Float = 0
        for t in 0..<e { a += s[t] * v[t * D + c] }
        out[c] = a * inv
        c += 1
    }
}
