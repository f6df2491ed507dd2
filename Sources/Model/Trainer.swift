// LlamaTrainer: forward + backward of the whole model for batches of B x T tokens, AdamW, clipping. The layers
// are Layer.swift's; the masked attention over the batch is the trainer's own step.
// Every buffer (inputs, activations, gradients, moments) is allocated once here; a step allocates nothing.
// With LoRA adapters (LoRA.swift) only they train: the model's weights get no gradient and no moments.
import Base
import Foundation
import Tensor

public final class LlamaTrainer {
    public let model: LlamaModel
    /// The adapters trained instead of the model's weights (nil: full fine-tuning).
    public let lora: LoRAAdapters?
    let loraWork: LoRAAdapters.Workspace?
    /// Forward-backward passes since the last optimizer step (keys the LoRA dropout masks).
    var microBatch = 0
    public let B: Int, T: Int
    /// The gradients of the model's weights (empty with LoRA).
    public let grads: FloatBuffer
    public let m: FloatBuffer, v: FloatBuffer
    /// AdamW steps taken so far (the next update uses step + 1 for bias correction).
    public var step = 0
    public var adam = AdamWConfig()
    /// Decay embeddings too (norms never decay).
    public var decayEmbeddings = false

    // Inputs, (B,T) each. Fill with setBatch, or write the pointers directly.
    public let tokens: UnsafeMutablePointer<Int32>
    /// next-token targets; < 0 = no loss at this position
    public let targets: UnsafeMutablePointer<Int32>
    /// per-token loss weights (used when hasWeights)
    public let weights: UnsafeMutablePointer<Float>
    public var hasWeights = false
    /// RoPE position of each token (restart at 0 for each packed document)
    public let positions: UnsafeMutablePointer<Int32>
    /// attention key range [kvStart, kvEnd) of each query token (see Tensor/Attention.swift)
    public let kvStart: UnsafeMutablePointer<Int32>, kvEnd: UnsafeMutablePointer<Int32>

    // Activations. Each layer keeps what its backward cannot cheaply redo; the normed inputs of its two
    // projections (xn1, xn2) and the SwiGLU output (h) live once, shared, and backward recomputes them from the
    // kept x, x2 and gu with the same kernels (the same bits): 22 MB a layer at SmolLM2-135M size, 8 x 256.
    let acts: FloatBuffer
    let resid: [Int]     // L+1 residual streams (N,C)
    struct LayerActs { let rstd1, qkv, att, ao, x2, rstd2, gu: Int; let qkvRaw: Int, qkRstd: Int }
    let la: [LayerActs]
    let xn1: Int, xn2: Int, h: Int
    let xf: Int, rstdf: Int, losses: Int
    // Gradient scratch (shared by all layers)
    let scratch: FloatBuffer
    let dresid: Int, dxn: Int, dqkv: Int, dao: Int, dgu: Int, dh: Int, dscores: Int
    /// The head and the loss run over headRows rows at a time, in headLogits (headRows, V): the logits of every
    /// position at once would be N x V floats (400 MB for a 49k vocabulary at 8 x 256 tokens).
    let headRows: Int, headLogits: Int
    /// all N x V logits, made only by forward(keepLogits: true)
    private var fullLogits: FloatBuffer?

    /// headRows: rows of the head's chunks (nil: as many as fit 64 MB of logits; tests set a few).
    public init(model: LlamaModel, batch B: Int, context T: Int, lora: LoRAAdapters? = nil, headRows: Int? = nil) {
        self.model = model; self.B = B; self.T = T; self.lora = lora
        let c = model.config
        let N = B * T, C = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, D = c.headDim
        let trained = lora == nil ? model.params.count : 0
        grads = FloatBuffer(count: trained)
        m = FloatBuffer(count: trained)
        v = FloatBuffer(count: trained)
        loraWork = lora.map { LoRAAdapters.Workspace($0, tokens: N) }
        tokens = .allocate(capacity: N); tokens.initialize(repeating: 0, count: N)
        targets = .allocate(capacity: N); targets.initialize(repeating: -1, count: N)
        weights = .allocate(capacity: N); weights.initialize(repeating: 1, count: N)
        positions = .allocate(capacity: N); positions.initialize(repeating: 0, count: N)
        kvStart = .allocate(capacity: N); kvStart.initialize(repeating: 0, count: N)
        kvEnd = .allocate(capacity: N); kvEnd.initialize(repeating: 0, count: N)

        var l = Layout()
        resid = (0...c.numLayers).map { l.add("resid\($0)", [N, C]).offset }
        la = (0..<c.numLayers).map { i in
            LayerActs(rstd1: l.add("rstd1.\(i)", [N]).offset,
                      qkv: l.add("qkv.\(i)", [N, c.qkvSize]).offset, att: l.add("att.\(i)", [B, H, T, T]).offset,
                      ao: l.add("ao.\(i)", [N, H * D]).offset, x2: l.add("x2.\(i)", [N, C]).offset,
                      rstd2: l.add("rstd2.\(i)", [N]).offset, gu: l.add("gu.\(i)", [N, 2 * I]).offset,
                      qkvRaw: c.qkNorm ? l.add("qkvRaw.\(i)", [N, c.qkvSize]).offset : 0,
                      qkRstd: c.qkNorm ? l.add("qkRstd.\(i)", [N * (H + c.numKVHeads)]).offset : 0)
        }
        xn1 = l.add("xn1", [N, C]).offset
        xn2 = l.add("xn2", [N, C]).offset
        h = l.add("h", [N, I]).offset
        xf = l.add("xf", [N, C]).offset
        rstdf = l.add("rstdf", [N]).offset
        losses = l.add("losses", [N]).offset
        acts = l.allocate()
        var s = Layout()
        dresid = s.add("dresid", [N, C]).offset
        dxn = s.add("dxn", [N, C]).offset
        dqkv = s.add("dqkv", [N, c.qkvSize]).offset
        dao = s.add("dao", [N, H * D]).offset
        dgu = s.add("dgu", [N, 2 * I]).offset
        dh = s.add("dh", [N, I]).offset
        dscores = s.add("dscores", [B, c.numKVHeads, T, T]).offset
        self.headRows = min(N, max(1, headRows ?? max(16, (1 << 24) / c.vocabSize / 16 * 16)))   // at most 64 MB of logits
        headLogits = s.add("headLogits", [self.headRows, c.vocabSize]).offset
        scratch = s.allocate()
        setCausal()
    }

    deinit {
        tokens.deallocate(); targets.deallocate(); weights.deallocate(); positions.deallocate()
        kvStart.deallocate(); kvEnd.deallocate()
    }

    /// Plain causal masking with positions 0..<T in every row.
    public func setCausal() {
        for b in 0..<B { for t in 0..<T { positions[b * T + t] = Int32(t) } }
        fillAttentionRanges(kvStart, kvEnd, nil, nil, B, T)
        if let w = model.config.slidingWindow { applySlidingWindow(kvStart, B, T, w) }
    }

    /// Fill the inputs for the next step. All arrays are (B,T) row-major.
    /// - targets: next-token ids, < 0 where no loss is wanted (prompt tokens, padding).
    /// - weights: per-token loss weights (nil = 1).
    /// - segments: document ids for packed rows (a change of id starts a new document; attention never
    ///   crosses documents). nil = one document per row.
    /// - prefix: nonzero for tokens in their document's bidirectional prefix (prefix-LM). nil = causal.
    /// - positions: RoPE positions; nil = restart at 0 at the start of each document.
    public func setBatch(tokens tok: [Int32], targets tgt: [Int32], weights w: [Float]? = nil,
                         segments: [Int32]? = nil, prefix: [UInt8]? = nil, positions pos: [Int32]? = nil) throws {
        let N = B * T, V = model.config.vocabSize
        guard tok.count == N, tgt.count == N else { throw ModelError("batch: expected \(N) tokens and targets") }
        for i in 0..<N {
            guard tok[i] >= 0 && Int(tok[i]) < V else { throw ModelError("batch: token id \(tok[i]) outside vocabulary of \(V)") }
            guard Int(tgt[i]) < V else { throw ModelError("batch: target id \(tgt[i]) outside vocabulary of \(V)") }
            tokens[i] = tok[i]; targets[i] = tgt[i]
        }
        hasWeights = w != nil
        if let w { guard w.count == N else { throw ModelError("batch: expected \(N) weights") }; for i in 0..<N { weights[i] = w[i] } }
        if let s = segments { guard s.count == N else { throw ModelError("batch: expected \(N) segment ids") } }
        if let p = prefix { guard p.count == N else { throw ModelError("batch: expected \(N) prefix flags") } }
        segments.withOptionalPointer { sp in prefix.withOptionalPointer { pp in fillAttentionRanges(kvStart, kvEnd, sp, pp, B, T) } }
        if let pos {
            guard pos.count == N else { throw ModelError("batch: expected \(N) positions") }
            for i in 0..<N { positions[i] = pos[i] }
        } else {
            for i in 0..<N { positions[i] = Int32(i % T) - kvStart[i] }
            // kvStart is the document start for every query (prefix or not)
        }
        if let w = model.config.slidingWindow { applySlidingWindow(kvStart, B, T, w) }   // after positions
        let maxPos = model.config.maxPositions
        for i in 0..<N where positions[i] < 0 || Int(positions[i]) >= maxPos {
            throw ModelError("batch: position \(positions[i]) outside 0..<\(maxPos) (max_position_embeddings)")
        }
    }

    // MARK: forward

    /// Forward pass over the current inputs; returns the mean loss (sum of weight x NLL over positions with a
    /// target, divided by the sum of their weights; 0 when none). With keepLogits, all logits stay available
    /// through `logitsPointer` (N x V floats, allocated on first use); without, the head runs in row chunks.
    @discardableResult
    public func forward(keepLogits: Bool = true) -> Double {
        lora?.dropoutKey = nil   // evaluation: no dropout
        runForward()
        let c = model.config, N = B * T, V = c.vocabSize, C = c.hiddenSize
        if keepLogits {
            if fullLogits == nil { fullLogits = FloatBuffer(count: N * V) }
            matmulForward(fullLogits!.ptr, a(xf), p(model.lmHead), nil, N, C, V)
        }
        let norm = weightSum()
        if norm == 0 { return 0 }
        for r0 in stride(from: 0, to: N, by: headRows) {
            let n = min(headRows, N - r0)
            let chunk = s(headLogits)   // the probabilities (over the chunk's logits when they are not kept)
            if let full = fullLogits, keepLogits {
                crossEntropyForward(a(losses) + r0, chunk, full.ptr + r0 * V, targets + r0, hasWeights ? weights + r0 : nil, n, V)
            } else {
                matmulForward(chunk, a(xf) + r0 * C, p(model.lmHead), nil, n, C, V)
                crossEntropyForward(a(losses) + r0, chunk, chunk, targets + r0, hasWeights ? weights + r0 : nil, n, V)
            }
        }
        return deterministicSum(a(losses), N) / norm
    }

    /// Logits (B*T, V) of the last forward(keepLogits: true) call.
    public var logitsPointer: UnsafePointer<Float> {
        precondition(fullLogits != nil, "logitsPointer: no forward(keepLogits: true) yet")
        return UnsafePointer(fullLogits!.ptr)
    }

    /// Sum of weights over positions with a target (the loss normaliser).
    public func weightSum() -> Double {
        var s = 0.0
        for i in 0..<B * T where targets[i] >= 0 { s += hasWeights ? Double(weights[i]) : 1 }
        return s
    }

    @inline(__always) func a(_ off: Int) -> UnsafeMutablePointer<Float> { acts.ptr + off }
    @inline(__always) func p(_ off: Int) -> UnsafeMutablePointer<Float> { model.params.ptr + off }
    @inline(__always) func g(_ off: Int) -> UnsafeMutablePointer<Float> { grads.ptr + off }
    @inline(__always) func s(_ off: Int) -> UnsafeMutablePointer<Float> { scratch.ptr + off }

    /// Layer l's activations (Layer.swift): each layer its own, kept for backward, but xn1, xn2 and h (shared,
    /// see recompute).
    func layerBuffers(_ l: Int) -> LayerBuffers {
        let x = la[l]
        return LayerBuffers(x: a(resid[l]), xn1: a(xn1), rstd1: a(x.rstd1), qkv: a(x.qkv), ao: a(x.ao),
                            proj: a(x.x2), x2: a(x.x2), xn2: a(xn2), rstd2: a(x.rstd2), gu: a(x.gu), h: a(h),
                            mlp: a(resid[l + 1]), out: a(resid[l + 1]), qkvRaw: a(x.qkvRaw), qkRstd: a(x.qkRstd))
    }

    /// Redo layer l's xn1, xn2 and h as its forward made them (the last layer's are still there).
    func recompute(_ l: Int) {
        let c = model.config, w = model.layers[l], b = layerBuffers(l), N = B * T, eps = Float(c.rmsNormEps)
        rmsnormForward(b.xn1, b.rstd1, b.x, p(w.inputNorm), N, c.hiddenSize, eps)
        rmsnormForward(b.xn2, b.rstd2, b.x2, p(w.postNorm), N, c.hiddenSize, eps)
        swigluForward(b.h, b.gu, N, c.intermediateSize)
    }

    func runForward() {
        let c = model.config, B = self.B, T = self.T, H = c.numHeads, KV = c.numKVHeads, D = c.headDim
        modelForward(model, tokens, positions, B * T, layerBuffers, xf: a(xf), rstdf: a(rstdf), logits: nil,
                     matmul: { matmulForward($0, $1, $2, nil, $3, $4, $5) },
                     attention: { l, ao, qkv in
                         attentionForward(ao, self.a(self.la[l].att), qkv, self.kvStart, self.kvEnd, B, T, H, KV, D) },
                     hook: lora.map { lo in { lo.forward(self.loraWork!, $0, $1, $2, $3, $4) } })
    }

    // MARK: backward

    /// Forward and backward over the current inputs; gradients are ADDED to `grads` (call zeroGrad() first,
    /// or not, to accumulate micro-batches). The loss is scaled by lossScale (default 1/weightSum(), i.e. the
    /// mean); returns the mean loss of this batch.
    @discardableResult
    public func forwardBackward(lossScale: Double? = nil) -> Double {
        if let lora {   // training: dropout masks keyed by (seed, optimizer step, micro-batch)
            lora.dropoutKey = mix64(lora.seed ^ mix64(UInt64(step) &* 0x1_0000 &+ UInt64(microBatch)))
            microBatch += 1
        }
        runForward()
        let c = model.config
        let N = B * T, C = c.hiddenSize, H = c.numHeads, KV = c.numKVHeads, D = c.headDim, V = c.vocabSize
        let norm = weightSum()
        if norm == 0 { return 0 }
        let scale = Float(lossScale ?? 1 / norm)
        let frozen = lora != nil   // LoRA: input gradients only, through the frozen weights
        // the head, its loss and its backward, chunk by chunk of rows (the chunk's logits become dloss/dlogits);
        // the head's weight gradient adds up the chunks in order
        for r0 in stride(from: 0, to: N, by: headRows) {
            let n = min(headRows, N - r0), chunk = s(headLogits), x = a(xf) + r0 * C
            matmulForward(chunk, x, p(model.lmHead), nil, n, C, V)
            crossEntropyFused(a(losses) + r0, chunk, targets + r0, hasWeights ? weights + r0 : nil, scale, n, V)
            matmulBackward(s(dxn) + r0 * C, frozen ? nil : g(model.lmHead), nil, chunk, x, p(model.lmHead), n, C, V, overwriteDinp: true)
        }
        let loss = deterministicSum(a(losses), N) / norm
        s(dresid).update(repeating: 0, count: N * C)
        rmsnormBackward(s(dresid), frozen ? nil : g(model.finalNorm), s(dxn), a(resid[c.numLayers]), p(model.finalNorm), a(rstdf), N, C)
        let sc = LayerGradScratch(dresid: s(dresid), dxn: s(dxn), dqkv: s(dqkv), dao: s(dao), dgu: s(dgu), dh: s(dh))
        let hook: ProjectionBackHook? = lora.map { lo in { lo.backward(self.loraWork!, $0, $1, $2, $3, $4, $5) } }
        for l in stride(from: c.numLayers - 1, through: 0, by: -1) {
            if l < c.numLayers - 1 { recompute(l) }
            layerBackward(model, l, layerBuffers(l), sc, grads: frozen ? nil : grads.ptr, positions, N, hook: hook) { dq, dao in
                attentionBackward(dq, dao, a(la[l].att), a(la[l].qkv), kvStart, kvEnd, s(dscores), B, T, H, KV, D)
            }
        }
        if !frozen { embeddingBackward(g(model.embed), s(dresid), tokens, N, C) }
        return loss
    }

    public func zeroGrad() { grads.zero(); lora?.grads.zero() }

    /// The gradient being trained: the model's, or the adapters'.
    public var trainedGrads: FloatBuffer { lora?.grads ?? grads }

    /// Clip the gradient to a global L2 norm (0 = no clipping); returns the norm before clipping.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Double {
        let g = trainedGrads
        return maxNorm > 0 ? clipGradNorm(g.ptr, g.count, maxNorm: maxNorm) : gradNorm(g.ptr, g.count)
    }

    /// One AdamW update of every parameter with the current gradients.
    public func optimizerStep(lr: Float) {
        step += 1
        microBatch = 0
        if let lora { lora.optimizerStep(lr: lr, step: step, adam: adam); return }
        for t in model.layout.tensors {
            adamwUpdate(t.ptr(model.params), t.ptr(m), t.ptr(v), t.ptr(grads), t.count, lr: lr, step: step,
                        config: adam, decay: model.decays(t.name, decayEmbeddings: decayEmbeddings))
        }
    }

    /// zeroGrad, forwardBackward, clip, AdamW. Returns (mean loss, gradient norm before clipping).
    public func trainStep(lr: Float, clip: Float = 1) -> (loss: Double, gradNorm: Double) {
        zeroGrad()
        let loss = forwardBackward()
        let norm = clipGradients(maxNorm: clip)
        optimizerStep(lr: lr)
        return (loss, norm)
    }
}

extension LlamaTrainer {
    /// Save the optimizer state (AdamW moments as "m.<name>" / "v.<name>", the step count in the metadata)
    /// as a safetensors file, for resuming. Weights are saved separately with LlamaModel.save.
    public func saveOptimizerState(_ path: String) throws {
        var list: [TensorToWrite] = []
        for (t, m, v) in trainedTensors {
            list.append(TensorToWrite(name: "m." + t.name, shape: t.shape, data: t.ptr(m)))
            list.append(TensorToWrite(name: "v." + t.name, shape: t.shape, data: t.ptr(v)))
        }
        try writeSafetensors(path, list, metadata: ["format": "st-adamw", "step": String(step)])
    }

    /// Load what saveOptimizerState wrote (shapes must match this model).
    public func loadOptimizerState(_ path: String) throws {
        let f = try SafetensorsFile(path: path)
        guard f.metadata["format"] == "st-adamw", let s = f.metadata["step"].flatMap(Int.init) else {
            throw ModelError("\(path): not an st optimizer state")
        }
        for (t, m, v) in trainedTensors {
            try f.read("m." + t.name, into: t.ptr(m), shape: t.shape)
            try f.read("v." + t.name, into: t.ptr(v), shape: t.shape)
        }
        step = s
        microBatch = 0
    }

    /// The trained tensors with their moment buffers: the model's, or the adapters'.
    var trainedTensors: [(TensorView, FloatBuffer, FloatBuffer)] {
        if let lora { return lora.layout.tensors.map { ($0, lora.m, lora.v) } }
        return model.layout.tensors.map { ($0, m, v) }
    }
}

extension Optional {
    func withOptionalPointer<E, R>(_ body: (UnsafePointer<E>?) -> R) -> R where Wrapped == [E] {
        switch self {
        case .none: return body(nil)
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
