// LlamaDecoder: inference with a key-value cache preallocated per layer as (slots, kv heads, maxLen, head dim),
// for batched sampling (st-sample). One `forward` call takes any list of tokens, each naming its cache slot
// and position: a prompt prefill is many tokens of one slot, a decode step is one token for each of many
// slots, and both can be mixed in one call (continuous batching). Every token's key and value are written into
// the cache before attention runs, so a token attends to the earlier tokens of the same call. The layers are
// Layer.swift's, run in place; the attention step (cachedAttentionStep) is the decoder's own.
// With `exact` (the default) matmuls use rowIndependentMatmul (Tensor/RowMatmul.swift): a token's logits are
// bitwise the same whatever else shares the call, which st-sample needs for identical samples at any --batch.
// A call whose token set never varies (one prompt's prefill, in fixed chunks) may pass exact: false and use
// the faster BLAS path.
// With `weights: .bf16` every parameter of the model is rounded to bfloat16 in place (to nearest, ties to
// even) and the row-independent matmuls read a bf16 copy, half the bytes a decode step streams; arithmetic
// stays f32, so the results are bitwise those of .f32 on the rounded model.
import CBLAS
import Foundation
import Tensor

/// How the decoder holds the weights its matmuls read.
public enum WeightPrecision: String, CaseIterable, Sendable {
    case f32, bf16
}

public final class LlamaDecoder {
    public let model: LlamaModel
    public let weights: WeightPrecision
    /// The parameters in bfloat16, laid out as model.params (.bf16 only).
    let bf16: UnsafeMutablePointer<UInt16>?
    /// Number of sequences the cache holds, and positions per sequence.
    public let slots: Int, maxLen: Int
    /// Most tokens one forward call may take.
    public let maxTokens: Int
    let cache: FloatBuffer            // per layer: K (slots, KV, maxLen, D) then V (same)
    let layerCache: Int
    let work: FloatBuffer
    let x: Int, xn: Int, qkv: Int, ao: Int, gu: Int, hh: Int, logits: Int, scores: Int
    let pos: UnsafeMutablePointer<Int32>, slot: UnsafeMutablePointer<Int32>, end: UnsafeMutablePointer<Int32>
    let rstd: UnsafeMutablePointer<Float>, qkRstd: UnsafeMutablePointer<Float>

    /// Attention tasks running at once (each its own row of scores), whatever the thread count.
    static let scoreRows = 64

    public init(model: LlamaModel, slots: Int, maxLen: Int? = nil, maxTokens: Int = 512, weights: WeightPrecision = .f32) {
        let c = model.config
        self.model = model; self.slots = slots; self.maxTokens = maxTokens; self.weights = weights
        if weights == .bf16 {
            let n = model.params.count, p = model.params.ptr
            let h = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
            roundToBF16(h, p, n)
            for i in 0..<n { p[i] = Float(bitPattern: UInt32(h[i]) << 16) }   // every other use sees the same weights
            bf16 = h
        } else {
            bf16 = nil
        }
        self.maxLen = min(maxLen ?? c.maxPositions, c.maxPositions)
        layerCache = 2 * slots * c.numKVHeads * self.maxLen * c.headDim
        cache = FloatBuffer(count: c.numLayers * layerCache, hugePages: false)   // touched only where used
        let n = maxTokens, C = c.hiddenSize
        var l = Layout()
        x = l.add("x", [n, C]).offset
        xn = l.add("xn", [n, C]).offset
        qkv = l.add("qkv", [n, c.qkvSize]).offset
        ao = l.add("ao", [n, c.numHeads * c.headDim]).offset
        gu = l.add("gu", [n, 2 * c.intermediateSize]).offset
        hh = l.add("h", [n, c.intermediateSize]).offset
        logits = l.add("logits", [n, c.vocabSize]).offset
        // attention scores: one row per concurrent task, not per (token, head) — rows 32 KB apart for an
        // 8192-position model would have every 2 MB page of a 150 MB region faulted in and zeroed
        scores = l.add("scores", [LlamaDecoder.scoreRows, self.maxLen]).offset
        work = l.allocate()
        pos = .allocate(capacity: n); slot = .allocate(capacity: n); end = .allocate(capacity: n)
        rstd = .allocate(capacity: n)
        qkRstd = .allocate(capacity: n * (c.numHeads + c.numKVHeads))
    }
    deinit { bf16?.deallocate(); pos.deallocate(); slot.deallocate(); end.deallocate(); rstd.deallocate(); qkRstd.deallocate() }

    @inline(__always) func w(_ o: Int) -> UnsafeMutablePointer<Float> { work.ptr + o }

    /// Run the model on `tokens`; token i goes to cache slot `slots[i]` at position `positions[i]` and attends
    /// to cache positions 0..<kvEnd[i] of its slot (default positions[i] + 1: causal; a prefix-LM prompt
    /// passes the prefix length for its prefix tokens). Returns logits (tokens.count, vocab), valid until the
    /// next call; with `logitRows`, only those tokens' logits (row j for token logitRows[j]), the same values
    /// on the exact path (its rows do not depend on each other).
    public func forward(tokens: [Int32], slots sl: [Int32], positions ps: [Int32], kvEnd ke: [Int32]? = nil,
                        exact: Bool = true, logitRows: [Int]? = nil) throws -> UnsafePointer<Float> {
        ensureBLAS()
        let c = model.config, n = tokens.count
        guard n > 0, n <= maxTokens, sl.count == n, ps.count == n, ke == nil || ke!.count == n else {
            throw ModelError("decoder: expected 1...\(maxTokens) tokens with one slot and position each")
        }
        for i in 0..<n {
            guard tokens[i] >= 0 && Int(tokens[i]) < c.vocabSize else { throw ModelError("decoder: token \(tokens[i]) outside vocabulary") }
            guard sl[i] >= 0 && Int(sl[i]) < slots else { throw ModelError("decoder: slot \(sl[i]) outside 0..<\(slots)") }
            guard ps[i] >= 0 && Int(ps[i]) < maxLen else { throw ModelError("decoder: position \(ps[i]) outside 0..<\(maxLen)") }
            let e = ke?[i] ?? ps[i] + 1
            guard e > 0 && Int(e) <= maxLen else { throw ModelError("decoder: kvEnd \(e) outside 1...\(maxLen)") }
            pos[i] = ps[i]; slot[i] = sl[i]; end[i] = e
        }
        if let rows = logitRows, !rows.allSatisfy({ $0 >= 0 && $0 < n }) {
            throw ModelError("decoder: logit rows must be tokens of the call (0..<\(n))")
        }
        let mm: MatmulStep
        if !exact {
            mm = { matmulForward($0, $1, $2, nil, $3, $4, $5) }
        } else if let h = bf16 {
            // a weight pointer into model.params names the same offset of the bf16 copy
            let base = UnsafePointer(model.params.ptr)
            mm = { rowIndependentMatmulBF16($0, $1, h + ($2 - base), $3, $4, $5) }
        } else {
            mm = rowIndependentMatmul
        }
        // one set of activations, in place (Layer.swift)
        let b = LayerBuffers(x: w(x), xn1: w(xn), rstd1: rstd, qkv: w(qkv), ao: w(ao), proj: w(xn), x2: w(x),
                             xn2: w(xn), rstd2: rstd, gu: w(gu), h: w(hh), mlp: w(xn), out: w(x),
                             qkvRaw: w(qkv), qkRstd: qkRstd)
        tokens.withUnsafeBufferPointer { tp in
            modelForward(model, tp.baseAddress!, pos, n, { _ in b }, xf: w(xn), rstdf: rstd, logits: w(logits),
                         matmul: mm, attention: { l, ao, qkv in cachedAttentionStep(l, ao, qkv, n) }, headRows: logitRows)
        }
        return UnsafePointer(w(logits))
    }

    /// The decoder's attention step for layer l: every token's k, v into the cache, then each (token, head)
    /// attends over its slot's cache positions 0..<end.
    func cachedAttentionStep(_ l: Int, _ ao: FPtr, _ qkv: CFPtr, _ n: Int) {
        let c = model.config, H = c.numHeads, KV = c.numKVHeads, D = c.headDim, QKV = c.qkvSize
        let L = maxLen, G = H / KV, scale = 1 / Float(D).squareRoot()
        let kc = cache.ptr + l * layerCache, vc = kc + layerCache / 2
        for i in 0..<n {
            for h in 0..<KV {
                let off = ((Int(slot[i]) * KV + h) * L + Int(pos[i])) * D
                (kc + off).update(from: qkv + i * QKV + (H + h) * D, count: D)
                (vc + off).update(from: qkv + i * QKV + (H + KV + h) * D, count: D)
            }
        }
        let aop = SendablePointer(ao), scp = SendablePointer(w(scores))
        let slotp = UnsafePointer(slot), endp = UnsafePointer(end), posp = UnsafePointer(pos)
        let window = c.slidingWindow ?? Int.max
        // contiguous runs of (token, head): a token's G heads of one KV head read its cache back to back
        let pairs = n * H, per = (pairs + LlamaDecoder.scoreRows - 1) / LlamaDecoder.scoreRows
        parallelChunks((pairs + per - 1) / per) { task in
            for ih in task * per ..< min(pairs, (task + 1) * per) {
                let i = ih / H, h = ih % H, kvh = h / G
                let q = qkv + i * QKV + h * D
                // a sliding window starts at pos - window + 1 (Mistral); otherwise at 0
                let start = window == Int.max ? 0 : max(0, Int(posp[i]) - window + 1)
                let base = (Int(slotp[i]) * KV + kvh) * L * D + start * D
                cachedAttention(aop.p + i * H * D + h * D, q, kc + base, vc + base, Int(endp[i]) - start, D, scale,
                                scp.p + task * L)
            }
        }
    }

    /// Copy the first `length` cached positions of slot `from` into slot `to` (n samples share one prefill).
    public func copySlot(from: Int, to: Int, length: Int) {
        let c = model.config, KV = c.numKVHeads, D = c.headDim, L = maxLen
        for l in 0..<c.numLayers {
            for half in 0..<2 {
                let base = cache.ptr + l * layerCache + half * layerCache / 2
                for h in 0..<KV {
                    (base + (to * KV + h) * L * D).update(from: base + (from * KV + h) * L * D, count: length * D)
                }
            }
        }
    }

    /// Greedy continuation of one prompt in slot 0 (a reference for tests and a simple API): argmax until
    /// `maxNew` tokens or `stop`.
    public func greedy(prompt: [Int32], maxNew: Int, stop: Int32? = nil) throws -> [Int32] {
        let V = model.config.vocabSize
        var out: [Int32] = []
        var lg = try forward(tokens: prompt, slots: [Int32](repeating: 0, count: prompt.count),
                             positions: (0..<prompt.count).map(Int32.init))
        var row = prompt.count - 1
        var p = prompt.count
        while out.count < maxNew {
            var best = 0
            for v in 1..<V where lg[row * V + v] > lg[row * V + best] { best = v }
            out.append(Int32(best))
            if Int32(best) == stop || p >= maxLen { break }
            lg = try forward(tokens: [Int32(best)], slots: [0], positions: [Int32(p)])
            row = 0; p += 1
        }
        return out
    }
}
