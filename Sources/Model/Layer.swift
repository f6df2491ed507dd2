// One description of the model's forward pass, which training (LlamaTrainer) and the key-value-cache decoder
// (LlamaDecoder) both run, and the backward of one layer. The callers differ only in where activations live
// (training keeps every layer's for backward; the decoder reuses one set, in place), how they multiply
// (BLAS, or row-independent for sampling) and the attention step (masked, over the batch; or over the cache).
// An architecture's variations are optional pieces of LayerParams (q/k/v biases, q/k norms) handled here,
// forward and backward; attention windows are the callers' key ranges; RoPE scaling is the model's RopeTable.
//
// Per layer (HF LlamaDecoderLayer), n tokens, C hidden, H/KV heads of D, I intermediate:
//   xn1 = rmsnorm(x)                 (n,C), rstd1 (n)
//   qkv = xn1 @ [Wq;Wk;Wv]^T         (n,(H+2KV)D)
//     (+ [bq;bk;bv])                 qkvBias (Qwen2)
//     q, k heads = rmsnorm(head)     qkNorm (Qwen3): from qkvRaw into qkv, v copied
//   rope(q, k) at each position      in place
//   ao = attention(q, k, v)          (n,HD)     the caller's step
//   proj = ao @ Wo^T                 (n,C)
//   x2 = proj + x                    (n,C)
//   xn2 = rmsnorm(x2)                (n,C), rstd2 (n)
//   gu = xn2 @ [Wgate;Wup]^T         (n,2I)
//   h = swiglu(gu)                   (n,I)
//   mlp = h @ Wdown^T                (n,C)
//   out = mlp + x2                   (n,C)
import Tensor

/// Where one layer's forward reads and writes. The decoder aliases them (x = x2 = out; xn1 = proj = xn2 = mlp;
/// rstd1 = rstd2; qkvRaw = qkv), which the order of the steps allows. qkvRaw (the projection before the q/k
/// norms, kept for their backward) and qkRstd (n*(H+KV)) are used only with qkNorm.
struct LayerBuffers {
    var x, xn1, rstd1, qkv, ao, proj, x2, xn2, rstd2, gu, h, mlp, out: FPtr
    var qkvRaw: FPtr, qkRstd: FPtr
}

/// out (n,OC) = inp (n,C) @ weight (OC,C)^T
typealias MatmulStep = (_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ n: Int, _ C: Int, _ OC: Int) -> Void
/// ao (n,HD) from layer l's qkv (n,(H+2KV)D), rope already applied
typealias AttentionStep = (_ layer: Int, _ ao: FPtr, _ qkv: CFPtr) -> Void

/// The weight products of a layer, as the LoRA hooks (LoRA.swift) see them.
enum Projection: Int, CaseIterable { case qkv, o, gateUp, down }
/// After projection `proj` of layer l: out (n, its width) += a low-rank update computed from inp.
typealias ProjectionHook = (_ layer: Int, _ proj: Projection, _ out: FPtr, _ inp: CFPtr, _ n: Int) -> Void
/// Its backward: from d out, add d inp (and the adapters' own gradients).
typealias ProjectionBackHook = (_ layer: Int, _ proj: Projection, _ dout: CFPtr, _ inp: CFPtr, _ dinp: FPtr, _ n: Int) -> Void

/// logits (n,V) for tokens (n) at positions (n): embedding, every layer, the final norm into xf (n,C) with
/// rstdf (n), the head (unless logits is nil: the trainer runs the head itself, in row chunks). Layer l works in
/// buffers(l); layer 0's x gets the embedding, and the last layer's out is normed.
func modelForward(_ model: LlamaModel, _ tokens: IPtr, _ positions: IPtr, _ n: Int,
                  _ buffers: (Int) -> LayerBuffers, xf: FPtr, rstdf: FPtr, logits: FPtr?,
                  matmul: MatmulStep, attention: AttentionStep, headRows: [Int]? = nil, hook: ProjectionHook? = nil) {
    let c = model.config, C = c.hiddenSize, eps = Float(c.rmsNormEps)
    let p = model.params.ptr
    embeddingForward(buffers(0).x, tokens, p + model.embed, n, C)
    for l in 0..<c.numLayers {
        layerForward(model, l, buffers(l), positions, n, matmul: matmul, attention: attention, hook: hook)
    }
    let last = buffers(c.numLayers - 1).out
    guard let rows = headRows else {
        rmsnormForward(xf, rstdf, last, p + model.finalNorm, n, C, eps)
        if let logits { matmul(logits, xf, p + model.lmHead, n, C, c.vocabSize) }
        return
    }
    // only these tokens' logits (a prefill needs each prompt's last; the head is a fifth of a 135M model's
    // multiplies): their rows normed one by one into xf, row j for token rows[j]
    for (j, r) in rows.enumerated() { rmsnormForward(xf + j * C, rstdf + j, last + r * C, p + model.finalNorm, 1, C, eps) }
    if let logits, !rows.isEmpty { matmul(logits, xf, p + model.lmHead, rows.count, C, c.vocabSize) }
}

/// Layer l's forward over n tokens (the steps in the header).
func layerForward(_ model: LlamaModel, _ l: Int, _ b: LayerBuffers, _ positions: IPtr, _ n: Int,
                  matmul: MatmulStep, attention: AttentionStep, hook: ProjectionHook? = nil) {
    let c = model.config, w = model.layers[l], p = model.params.ptr
    let C = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKVHeads, D = c.headDim
    let QKV = c.qkvSize, eps = Float(c.rmsNormEps)
    rmsnormForward(b.xn1, b.rstd1, b.x, p + w.inputNorm, n, C, eps)
    let raw = w.qNorm == nil ? b.qkv : b.qkvRaw
    matmul(raw, b.xn1, p + w.qkv, n, C, QKV)
    hook?(l, .qkv, raw, b.xn1, n)
    if let bias = w.qkvBias { addBiasForward(raw, p + bias, n, QKV) }
    if let qn = w.qNorm, let kn = w.kNorm {
        rmsnormHeadsForward(b.qkv, b.qkRstd, raw, p + qn, n, H, D, QKV, eps)
        rmsnormHeadsForward(b.qkv + H * D, b.qkRstd + n * H, raw + H * D, p + kn, n, KV, D, QKV, eps)
        if raw != b.qkv { for i in 0..<n { (b.qkv + i * QKV + (H + KV) * D).update(from: raw + i * QKV + (H + KV) * D, count: KV * D) } }
    }
    ropeInPlace(b.qkv, model.rope.cos, model.rope.sin, positions, n, H + KV, D, QKV)
    attention(l, b.ao, b.qkv)
    matmul(b.proj, b.ao, p + w.o, n, H * D, C)
    hook?(l, .o, b.proj, b.ao, n)
    addForward(b.x2, b.proj, b.x, n * C)
    rmsnormForward(b.xn2, b.rstd2, b.x2, p + w.postNorm, n, C, eps)
    matmul(b.gu, b.xn2, p + w.gateUp, n, C, 2 * I)
    hook?(l, .gateUp, b.gu, b.xn2, n)
    swigluForward(b.h, b.gu, n, I)
    matmul(b.mlp, b.h, p + w.down, n, I, C)
    hook?(l, .down, b.mlp, b.h, n)
    addForward(b.out, b.mlp, b.x2, n * C)
}

/// Gradient scratch shared by every layer's backward: dresid (n,C) holds d out on entry and d x on return.
struct LayerGradScratch {
    var dresid, dxn, dqkv, dao, dgu, dh: FPtr
}

/// Layer l's backward from the activations its forward kept (no aliasing: LlamaTrainer's buffers). Weight
/// gradients are added into grads (laid out as the parameters; nil: the weights are frozen, only the input
/// gradients are computed); attentionBackward turns d ao into d qkv (before the inverse rope); hook is the
/// forward's ProjectionHook's backward.
func layerBackward(_ model: LlamaModel, _ l: Int, _ b: LayerBuffers, _ s: LayerGradScratch, grads: FPtr?,
                   _ positions: IPtr, _ n: Int, hook: ProjectionBackHook? = nil,
                   attentionBackward: (_ dqkv: FPtr, _ dao: CFPtr) -> Void) {
    let c = model.config, w = model.layers[l], p = model.params.ptr
    func g(_ off: Int) -> FPtr? { grads.map { $0 + off } }
    let C = c.hiddenSize, I = c.intermediateSize, H = c.numHeads, KV = c.numKVHeads, D = c.headDim
    let QKV = c.qkvSize
    // MLP
    matmulBackward(s.dh, g(w.down), nil, s.dresid, b.h, p + w.down, n, I, C, overwriteDinp: true)
    hook?(l, .down, s.dresid, b.h, s.dh, n)
    swigluBackward(s.dgu, s.dh, b.gu, n, I, overwrite: true)
    matmulBackward(s.dxn, g(w.gateUp), nil, s.dgu, b.xn2, p + w.gateUp, n, C, 2 * I, overwriteDinp: true)
    hook?(l, .gateUp, s.dgu, b.xn2, s.dxn, n)
    rmsnormBackward(s.dresid, g(w.postNorm), s.dxn, b.x2, p + w.postNorm, b.rstd2, n, C)
    // attention
    matmulBackward(s.dao, g(w.o), nil, s.dresid, b.ao, p + w.o, n, H * D, C, overwriteDinp: true)
    hook?(l, .o, s.dresid, b.ao, s.dao, n)
    attentionBackward(s.dqkv, s.dao)
    ropeInPlace(s.dqkv, model.rope.cos, model.rope.sin, positions, n, H + KV, D, QKV, inverse: true)
    if let qn = w.qNorm, let kn = w.kNorm {   // in place: dqkv becomes d qkvRaw (v passes through)
        // frozen norms: their weight gradient goes to a throwaway buffer
        let junk = UnsafeMutablePointer<Float>.allocate(capacity: D); junk.initialize(repeating: 0, count: D)
        defer { junk.deallocate() }
        rmsnormHeadsBackward(s.dqkv, g(qn) ?? junk, s.dqkv, b.qkvRaw, p + qn, b.qkRstd, n, H, D, QKV)
        rmsnormHeadsBackward(s.dqkv + H * D, g(kn) ?? junk, s.dqkv + H * D, b.qkvRaw + H * D, p + kn, b.qkRstd + n * H, n, KV, D, QKV)
    }
    matmulBackward(s.dxn, g(w.qkv), w.qkvBias.flatMap(g), s.dqkv, b.xn1, p + w.qkv, n, C, QKV, overwriteDinp: true)
    hook?(l, .qkv, s.dqkv, b.xn1, s.dxn, n)
    rmsnormBackward(s.dresid, g(w.inputNorm), s.dxn, b.x, p + w.inputNorm, b.rstd1, n, C)
}
