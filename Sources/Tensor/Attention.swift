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

/// Layout of the fused projection `qkv` (B*T rows of (H + 2*KV)*D floats): H query heads, then KV key heads,
/// then KV value heads, each D floats. Query head h uses key/value head h / (H/KV).
///
/// out (B,T,H*D) = softmax(q k^T / sqrt(D) + mask) v;  att (B,H,T,T) keeps the probabilities for backward
/// (only entries inside each query's key range are written).
public func attentionForward(_ out: FPtr, _ att: FPtr, _ qkv: CFPtr, _ kvStart: IPtr, _ kvEnd: IPtr,
                             _ B: Int, _ T: Int, _ H: Int, _ KV: Int, _ D: Int) {
    let o = SendablePointer(out), a = SendablePointer(att)
    let stride = (H + 2 * KV) * D, G = H / KV
    let scale = 1 / Float(D).squareRoot()
    parallelChunks(B * H) { bh in
        let b = bh / H, h = bh % H, kvh = h / G
        for t in 0..<T {
            let q = qkv + (b * T + t) * stride + h * D
            let s0 = Int(kvStart[b * T + t]), s1 = Int(kvEnd[b * T + t])
            let row = a.p + (bh * T + t) * T
            let kbase = qkv + b * T * stride + (H + kvh) * D
            for s in s0..<s1 { row[s] = vdot(q, kbase + s * stride, D) * scale }
            let m = vmax(row + s0, s1 - s0)
            let sum = vexpShiftSum(row + s0, m, s1 - s0)
            vscaleTo(row + s0, 1 / sum, row + s0, s1 - s0)
            let y = o.p + (b * T + t) * H * D + h * D
            y.update(repeating: 0, count: D)
            let vbase = qkv + b * T * stride + (H + KV + kvh) * D
            for s in s0..<s1 { vaxpy(y, row[s], vbase + s * stride, D) }
        }
    }
}

/// dqkv (B*T, (H+2KV)*D) += gradient of attentionForward given dout (B,T,H*D).
/// Work is split by (b, kv head): each chunk owns the q rows of its head group and its k/v rows, so there is
/// no race and no order dependence on the thread count.
public func attentionBackward(_ dqkv: FPtr, _ dout: CFPtr, _ att: CFPtr, _ qkv: CFPtr, _ kvStart: IPtr, _ kvEnd: IPtr,
                              _ B: Int, _ T: Int, _ H: Int, _ KV: Int, _ D: Int) {
    let dp = SendablePointer(dqkv)
    let stride = (H + 2 * KV) * D, G = H / KV
    let scale = 1 / Float(D).squareRoot()
    parallelChunks(B * KV) { bk in
        let b = bk / KV, kvh = bk % KV
        withUnsafeTemporaryAllocation(of: Float.self, capacity: T) { tmp in
            let ds = tmp.baseAddress!
            let kbase = qkv + b * T * stride + (H + kvh) * D
            let vbase = qkv + b * T * stride + (H + KV + kvh) * D
            let dkbase = dp.p + b * T * stride + (H + kvh) * D
            let dvbase = dp.p + b * T * stride + (H + KV + kvh) * D
            for h in kvh * G ..< (kvh + 1) * G {
                for t in 0..<T {
                    let s0 = Int(kvStart[b * T + t]), s1 = Int(kvEnd[b * T + t])
                    let p = att + ((b * H + h) * T + t) * T
                    let dy = dout + (b * T + t) * H * D + h * D
                    let q = qkv + (b * T + t) * stride + h * D
                    let dq = dp.p + (b * T + t) * stride + h * D
                    // dP[s] = dy . v_s ;  dv_s += P[s] dy
                    var pdp: Float = 0
                    for s in s0..<s1 {
                        let g = vdot(dy, vbase + s * stride, D)
                        ds[s] = g
                        pdp += p[s] * g
                        vaxpy(dvbase + s * stride, p[s], dy, D)
                    }
                    // dS = P (dP - sum P dP);  dq += scale dS k;  dk += scale dS q
                    for s in s0..<s1 {
                        let g = p[s] * (ds[s] - pdp) * scale
                        vaxpy(dq, g, kbase + s * stride, D)
                        vaxpy(dkbase + s * stride, g, q, D)
                    }
                }
            }
        }
    }
}
