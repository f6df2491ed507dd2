// LoRA (Hu et al. 2021) as PEFT implements it: a frozen projection y = x W^T gets a trainable low-rank update
//   y = x W^T + s · (dropout(x) A^T) B^T,   A (r, in), B (out, r), s = alpha / r (alpha / sqrt(r) with rsLoRA)
// on the chosen projections of every layer. A starts kaiming-uniform (a = sqrt(5), PEFT's default: U(±1/sqrt(in)))
// from the seed, B at zero, so training starts from the base model exactly.
//
// Training runs the update unmerged, through Layer.swift's projection hooks (forward and backward); the base
// weights get no gradients and no AdamW moments (LlamaTrainer allocates none when it trains adapters).
// Sampling and loss measurement merge the adapter into the base (W += s · B A) once at load time.
// Dropout masks come from a counter-based hash of (seed, optimizer step, micro-batch, layer, projection,
// element), so the backward pass regenerates them instead of storing them, and a resumed run draws the same.
//
// Files are PEFT's: adapter_config.json (peft 0.21's keys) and adapter_model.safetensors with PEFT's tensor
// names, base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight (r, in) and ...lora_B.weight (out, r).
import Base
import Foundation
import Tensor

/// A projection LoRA can adapt, by st's short name; `module` is its Hugging Face name inside a layer.
public enum LoRATarget: String, CaseIterable, Sendable {
    case q, k, v, o, gate, up, down
    public var hfName: String { rawValue + "_proj" }
    var module: String {
        switch self { case .q, .k, .v, .o: return "self_attn." + hfName; default: return "mlp." + hfName }
    }
    /// Which fused projection of Layer.swift carries it, and where its outputs start in that projection's row.
    func place(_ c: LlamaConfig) -> (proj: Projection, column: Int, inDim: Int, outDim: Int, stride: Int) {
        let C = c.hiddenSize, D = c.headDim, H = c.numHeads, KV = c.numKVHeads, I = c.intermediateSize
        switch self {
        case .q: return (.qkv, 0, C, H * D, c.qkvSize)
        case .k: return (.qkv, H * D, C, KV * D, c.qkvSize)
        case .v: return (.qkv, (H + KV) * D, C, KV * D, c.qkvSize)
        case .o: return (.o, 0, H * D, C, C)
        case .gate: return (.gateUp, 0, C, I, 2 * I)
        case .up: return (.gateUp, I, C, I, 2 * I)
        case .down: return (.down, 0, I, C, C)
        }
    }
}

/// An adapter's settings (adapter_config.json).
public struct LoRAConfig: Equatable, Sendable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    /// in LoRATarget.allCases order
    public var targets: [LoRATarget]
    public var rslora = false
    /// base_model_name_or_path
    public var base: String?

    public init(rank: Int, alpha: Double? = nil, dropout: Double = 0, targets: [LoRATarget] = LoRATarget.allCases,
                rslora: Bool = false, base: String? = nil) {
        self.rank = rank; self.alpha = alpha ?? Double(2 * rank); self.dropout = dropout
        self.targets = LoRATarget.allCases.filter(targets.contains); self.rslora = rslora; self.base = base
    }

    /// The factor of the low-rank product (PEFT's `scaling`).
    public var scale: Float { Float(rslora ? alpha / Double(rank).squareRoot() : alpha / Double(rank)) }

    /// "q,k,v" (st's names, or the HF ones: q_proj, ...) as targets; an unknown name is an error naming it.
    public static func parseTargets(_ s: String) throws -> [LoRATarget] {
        var out: [LoRATarget] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let t = LoRATarget(rawValue: name) ?? LoRATarget.allCases.first(where: { $0.hfName == name }) else {
                throw ModelError("unknown LoRA target '\(name)' (known: \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            out.append(t)
        }
        return LoRATarget.allCases.filter(out.contains)
    }

    public static let configFile = "adapter_config.json", weightsFile = "adapter_model.safetensors"

    /// adapter_config.json as peft 0.21 writes it for a LoraConfig with these settings (every key, in its order).
    public func json() -> String {
        func n(_ k: String) -> (String, JSON) { (k, .null) }
        let keys: [(String, JSON)] = [
            n("alora_invocation_tokens"), ("alpha_pattern", .object(JSONObject())), n("arrow_config"), n("auto_mapping"),
            ("base_model_name_or_path", base.map { JSON($0) } ?? .null), ("bias", JSON("none")), n("corda_config"),
            ("ensure_weight_tying", JSON(false)), n("eva_config"), n("exclude_modules"), ("fan_in_fan_out", JSON(false)),
            ("inference_mode", JSON(true)), ("init_lora_weights", JSON(true)), n("kasa_config"), n("layer_replication"),
            n("layers_pattern"), n("layers_to_transform"), ("loftq_config", .object(JSONObject())),
            ("lora_alpha", alpha == alpha.rounded() && abs(alpha) < 1e15 ? JSON(Int(alpha)) : JSON(alpha)),
            ("lora_bias", JSON(false)), ("lora_dropout", JSON(dropout)), n("lora_ga_config"), n("megatron_config"),
            ("megatron_core", JSON("megatron.core")), n("modules_to_save"), n("monteclora_config"),
            ("peft_type", JSON("LORA")), ("peft_version", JSON("0.21.2")), ("qalora_group_size", JSON(16)),
            ("r", JSON(rank)), ("rank_pattern", .object(JSONObject())), n("revision"),
            ("target_modules", .array(targets.map { JSON($0.hfName) })), n("target_parameters"),
            ("task_type", JSON("CAUSAL_LM")), n("trainable_token_indices"), n("use_bdlora"), ("use_dora", JSON(false)),
            ("use_qalora", JSON(false)), ("use_rslora", JSON(rslora)), n("velora_config"),
        ]
        return JSON.object(JSONObject(keys)).serialized() + "\n"
    }

    /// Read DIR/adapter_config.json. Settings st does not implement (DoRA, biases, per-layer ranks, ...) are
    /// one-line errors naming the file and key.
    public static func read(directory dir: String) throws -> LoRAConfig {
        let path = (dir as NSString).appendingPathComponent(configFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(dir): not a LoRA adapter directory (no \(configFile))")
        }
        guard let o = (try? JSON.parse(bytes: Array(data), file: path))?.object else { throw ModelError("\(path): not a JSON object") }
        func fail(_ m: String) -> ModelError { ModelError("\(path): \(m)") }
        guard o["peft_type"]?.string == "LORA" else { throw fail("peft_type is not \"LORA\"") }
        guard let r = o["r"]?.int, r > 0 else { throw fail("'r' must be a positive integer") }
        let alpha = o["lora_alpha"]?.double ?? 8   // PEFT's default
        let dropout = o["lora_dropout"]?.double ?? 0
        guard dropout >= 0 && dropout < 1 else { throw fail("lora_dropout must be in [0, 1)") }
        if let b = o["bias"]?.string, b != "none" { throw fail("bias '\(b)' is not supported (only \"none\")") }
        for k in ["use_dora", "fan_in_fan_out", "lora_bias", "use_qalora"] where o[k]?.bool == true {
            throw fail("\(k) = true is not supported")
        }
        for k in ["rank_pattern", "alpha_pattern"] where !(o[k]?.object?.isEmpty ?? true) { throw fail("\(k) is not supported") }
        for k in ["layers_to_transform", "modules_to_save", "layer_replication", "target_parameters", "trainable_token_indices"]
        where !(o[k]?.isNull ?? true) && !(o[k]?.array?.isEmpty ?? false) {
            throw fail("\(k) is not supported")
        }
        guard let names = o["target_modules"]?.array?.compactMap(\.string), !names.isEmpty else {
            throw fail("target_modules must be a list of module names (a regular expression is not supported)")
        }
        let targets: [LoRATarget]
        do { targets = try parseTargets(names.joined(separator: ",")) } catch let e as ModelError { throw fail(e.description) }
        return LoRAConfig(rank: r, alpha: alpha, dropout: dropout, targets: targets,
                          rslora: o["use_rslora"]?.bool ?? false, base: o["base_model_name_or_path"]?.string)
    }
}

/// The adapters of one model: A and B of every (layer, target) in one flat buffer, with gradients and AdamW
/// moments of their own.
public final class LoRAAdapters {
    public let config: LoRAConfig
    public let modelConfig: LlamaConfig
    public let layout: Layout
    public let params: FloatBuffer, grads: FloatBuffer, m: FloatBuffer, v: FloatBuffer
    /// Seeds the dropout masks.
    public var seed: UInt64 = 0
    struct Slot { let target: LoRATarget; let a: Int, b: Int; let inDim: Int, outDim: Int, column: Int, stride: Int; let id: Int }
    /// slots[layer][projection]: the adapted targets of that fused projection
    let slots: [[[Slot]]]

    public init(model: LlamaModel, config: LoRAConfig) {
        self.config = config; modelConfig = model.config
        let c = model.config, r = config.rank
        var l = Layout()
        var all: [[[Slot]]] = []
        for i in 0..<c.numLayers {
            var perProj: [[Slot]] = Array(repeating: [], count: Projection.allCases.count)
            for t in config.targets {
                let p = t.place(c)
                let name = "base_model.model.model.layers.\(i).\(t.module)."
                let a = l.add(name + "lora_A.weight", [r, p.inDim]).offset
                let b = l.add(name + "lora_B.weight", [p.outDim, r]).offset
                perProj[p.proj.rawValue].append(Slot(target: t, a: a, b: b, inDim: p.inDim, outDim: p.outDim,
                                                     column: p.column, stride: p.stride,
                                                     id: i * LoRATarget.allCases.count + LoRATarget.allCases.firstIndex(of: t)!))
            }
            all.append(perProj)
        }
        slots = all; layout = l
        params = l.allocate(); grads = l.allocate(); m = l.allocate(); v = l.allocate()
    }

    /// PEFT's init: A ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), B = 0.
    public func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x4C6F_5241_4164_6170)   // apart from the model's own init stream
        for t in layout.tensors {
            let p = t.ptr(params)
            if t.name.hasSuffix("lora_B.weight") { p.update(repeating: 0, count: t.count); continue }
            let bound = 1 / Double(t.shape[1]).squareRoot()
            for i in 0..<t.count { p[i] = Float((2 * rng.nextDouble() - 1) * bound) }
        }
    }

    public var parameterCount: Int { layout.tensors.reduce(0) { $0 + $1.count } }

    // MARK: files

    /// Write adapter_config.json and adapter_model.safetensors (F32, PEFT's names) into `dir` (created).
    public func save(directory dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try writeSafetensors((dir as NSString).appendingPathComponent(LoRAConfig.weightsFile),
                             layout.tensors.map { TensorToWrite(name: $0.name, shape: $0.shape, data: $0.ptr(params)) })
        try writeFileAtomically((dir as NSString).appendingPathComponent(LoRAConfig.configFile), config.json())
    }

    /// Read the weights of adapter_model.safetensors (F32, F16 or BF16). Every tensor must be there with the
    /// shape this base implies, and nothing else: an adapter made for another base is a one-line error.
    public func loadWeights(directory dir: String) throws {
        let path = (dir as NSString).appendingPathComponent(LoRAConfig.weightsFile)
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError("\(dir): no \(LoRAConfig.weightsFile)") }
        let f = try SafetensorsFile(path: path)
        let c = modelConfig
        for t in layout.tensors {
            guard let e = f.entries[t.name] else {
                throw ModelError("\(path): missing tensor '\(t.name)' (an adapter for another base, or other target_modules?)")
            }
            guard e.shape == t.shape else {
                throw ModelError("\(path): tensor '\(t.name)' has shape \(e.shape), expected \(t.shape) for this base (hidden \(c.hiddenSize), intermediate \(c.intermediateSize), \(c.numHeads)/\(c.numKVHeads) heads of \(c.headDim))")
            }
        }
        let known = Set(layout.tensors.map(\.name))
        if let extra = f.entries.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelError("\(path): tensor '\(extra)' has no place in this base (\(c.numLayers) layers, targets \(config.targets.map(\.hfName).joined(separator: ",")))")
        }
        for t in layout.tensors { try f.read(t.name, into: t.ptr(params), shape: t.shape) }
    }

    /// The adapter in `dir` (config and weights) for `model`.
    public static func load(directory dir: String, model: LlamaModel) throws -> LoRAAdapters {
        let a = LoRAAdapters(model: model, config: try LoRAConfig.read(directory: dir))
        try a.loadWeights(directory: dir)
        return a
    }

    /// W += s · B A in every adapted projection of `model` (PEFT's merge_and_unload).
    public func merge(into model: LlamaModel) {
        precondition(model.config == modelConfig)
        let p = model.params.ptr, r = config.rank, s = config.scale
        for (l, perProj) in slots.enumerated() {
            let w = model.layers[l]
            for (pi, list) in perProj.enumerated() {
                let base: Int
                switch Projection(rawValue: pi)! { case .qkv: base = w.qkv; case .o: base = w.o; case .gateUp: base = w.gateUp; case .down: base = w.down }
                for sl in list {
                    // the fused weight's rows [column, column + out) belong to this projection
                    let W = p + base + sl.column * sl.inDim
                    sgemm(false, false, sl.outDim, sl.inDim, r, s, params.ptr + sl.b, r, params.ptr + sl.a, sl.inDim, 1, W, sl.inDim)
                }
            }
        }
    }

    // MARK: training: the projection hooks

    /// Per-token products u = dropout(x) A^T of every slot (kept for backward), and scratch.
    final class Workspace {
        let u: FloatBuffer, du: FloatBuffer, xd: FloatBuffer
        let uOffset: [Int: Int]
        init(_ a: LoRAAdapters, tokens n: Int) {
            var off: [Int: Int] = [:], total = 0, maxIn = 0
            for perProj in a.slots { for list in perProj { for s in list { off[s.id] = total; total += n * a.config.rank; maxIn = max(maxIn, s.inDim) } } }
            uOffset = off
            u = FloatBuffer(count: total); du = FloatBuffer(count: n * a.config.rank)
            xd = FloatBuffer(count: a.config.dropout > 0 ? n * maxIn : 0)
        }
    }

    /// The dropout key of the current micro-batch (LlamaTrainer sets it: optimizer step, micro-batch index);
    /// nil = no dropout (evaluation).
    var dropoutKey: UInt64?

    /// A hash below this drops the element (probability p; p < 1, so it fits).
    var dropThreshold: UInt64 { UInt64(config.dropout * 0x1p64) }

    /// x (n, in) with dropout applied into xd: element i is kept with probability 1 - p and scaled by 1/(1 - p).
    func dropout(_ xd: FPtr, _ x: CFPtr, _ n: Int, _ slot: Slot, key: UInt64) {
        let count = n * slot.inDim
        let k = mix64(key ^ mix64(UInt64(slot.id) &+ 0x51A7))
        let threshold = dropThreshold
        let keep = Float(1 / (1 - config.dropout))
        let dp = SendablePointer(xd)
        parallelFor(count, grain: 1 << 14) { r in
            for i in r { dp.p[i] = mix64(k &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15) < threshold ? 0 : x[i] * keep }
        }
    }

    /// Forward hook: out[:, column ..< column + outDim] (row stride `stride`) += s · (dropout(x) A^T) B^T.
    func forward(_ ws: Workspace, _ layer: Int, _ proj: Projection, _ out: FPtr, _ inp: CFPtr, _ n: Int) {
        let r = config.rank, s = config.scale, p = params.ptr
        for sl in slots[layer][proj.rawValue] {
            var x = inp
            if let key = dropoutKey, config.dropout > 0 { dropout(ws.xd.ptr, inp, n, sl, key: key); x = UnsafePointer(ws.xd.ptr) }
            let u = ws.u.ptr + ws.uOffset[sl.id]!
            sgemm(false, true, n, r, sl.inDim, 1, x, sl.inDim, p + sl.a, sl.inDim, 0, u, r)
            sgemm(false, true, n, sl.outDim, r, s, u, r, p + sl.b, r, 1, out + sl.column, sl.stride)
        }
    }

    /// Backward hook from d out (n, stride): gradients of A and B added into `grads`, d x added into dinp (n, in).
    func backward(_ ws: Workspace, _ layer: Int, _ proj: Projection, _ dout: CFPtr, _ inp: CFPtr, _ dinp: FPtr, _ n: Int) {
        let r = config.rank, s = config.scale, p = params.ptr, g = grads.ptr
        for sl in slots[layer][proj.rawValue] {
            let dy = dout + sl.column, u = ws.u.ptr + ws.uOffset[sl.id]!, du = ws.du.ptr
            // dB += s · dy^T u;  du = s · dy B
            sgemm(true, false, sl.outDim, r, n, s, dy, sl.stride, u, r, 1, g + sl.b, r)
            sgemm(false, false, n, r, sl.outDim, s, dy, sl.stride, p + sl.b, r, 0, du, r)
            let dropping = dropoutKey != nil && config.dropout > 0
            var x = inp
            if dropping { dropout(ws.xd.ptr, inp, n, sl, key: dropoutKey!); x = UnsafePointer(ws.xd.ptr) }
            // dA += du^T dropout(x)
            sgemm(true, false, r, sl.inDim, n, 1, du, r, x, sl.inDim, 1, g + sl.a, sl.inDim)
            if !dropping {
                sgemm(false, false, n, sl.inDim, r, 1, du, r, p + sl.a, sl.inDim, 1, dinp, sl.inDim)
            } else {
                // d dropout(x) = du A, into xd; then through the same mask: dx += mask · (du A) / (1 - p)
                sgemm(false, false, n, sl.inDim, r, 1, du, r, p + sl.a, sl.inDim, 0, ws.xd.ptr, sl.inDim)
                let count = n * sl.inDim, keep = Float(1 / (1 - config.dropout))
                let k = mix64(dropoutKey! ^ mix64(UInt64(sl.id) &+ 0x51A7))
                let threshold = dropThreshold
                let dp = SendablePointer(dinp), xd = ws.xd.ptr
                parallelFor(count, grain: 1 << 14) { rr in
                    for i in rr where mix64(k &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >= threshold { dp.p[i] += xd[i] * keep }
                }
            }
        }
    }

    /// One AdamW step of every adapter tensor (all decay, as the HF Trainer decays every non-bias, non-norm weight).
    func optimizerStep(lr: Float, step: Int, adam: AdamWConfig) {
        for t in layout.tensors {
            adamwUpdate(t.ptr(params), t.ptr(m), t.ptr(v), t.ptr(grads), t.count, lr: lr, step: step, config: adam, decay: true)
        }
    }
}

extension LlamaModel {
    /// A model with an adapter merged in: `path` as load(path:), then DIR's adapter (nil: none) merged.
    public static func load(path: String, adapter: String?) throws -> LlamaModel {
        let model = try load(path: path)
        if let adapter { try LoRAAdapters.load(directory: adapter, model: model).merge(into: model) }
        return model
    }
}
