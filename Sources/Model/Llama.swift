// The Llama-family decoder: parameters with Hugging Face names and layouts in one flat buffer; the forward
// pass that training (LlamaTrainer) and sampling (LlamaDecoder) share is in Layer.swift. Logits are
// rmsnorm(x) @ Wlm^T (Wlm = the embedding when tied).
import Base
import Foundation
import Tensor
import Weights

/// Offsets of one decoder layer's parameters inside the model's parameter buffer.
/// The optional pieces (nil when the architecture has none) are the fused q|k|v bias and the per-head q/k norms.
public struct LayerParams: Sendable {
    public let inputNorm: Int, qkv: Int, o: Int, postNorm: Int, gateUp: Int, down: Int
    public var qkvBias: Int? = nil, qNorm: Int? = nil, kNorm: Int? = nil
}

public final class LlamaModel {
    public let config: LlamaConfig
    public let layout: Layout
    public let params: FloatBuffer
    public let rope: RopeTable
    public let embed: Int, finalNorm: Int, lmHead: Int
    public let layers: [LayerParams]

    public init(config: LlamaConfig) {
        self.config = config
        let c = config, C = c.hiddenSize, D = c.headDim
        var l = Layout()
        embed = l.add("model.embed_tokens.weight", [c.vocabSize, C]).offset
        var ls: [LayerParams] = []
        for i in 0..<c.numLayers {
            let p = "model.layers.\(i)."
            let inNorm = l.add(p + "input_layernorm.weight", [C]).offset
            let q = l.add(p + "self_attn.q_proj.weight", [c.numHeads * D, C], padAfter: false).offset
            l.add(p + "self_attn.k_proj.weight", [c.numKVHeads * D, C], padAfter: false)
            l.add(p + "self_attn.v_proj.weight", [c.numKVHeads * D, C])
            var qkvBias: Int? = nil, qNorm: Int? = nil, kNorm: Int? = nil
            if c.qkvBias {
                qkvBias = l.add(p + "self_attn.q_proj.bias", [c.numHeads * D], padAfter: false).offset
                l.add(p + "self_attn.k_proj.bias", [c.numKVHeads * D], padAfter: false)
                l.add(p + "self_attn.v_proj.bias", [c.numKVHeads * D])
            }
            if c.qkNorm {
                qNorm = l.add(p + "self_attn.q_norm.weight", [D]).offset
                kNorm = l.add(p + "self_attn.k_norm.weight", [D]).offset
            }
            let o = l.add(p + "self_attn.o_proj.weight", [C, c.numHeads * D]).offset
            let post = l.add(p + "post_attention_layernorm.weight", [C]).offset
            let gu = l.add(p + "mlp.gate_proj.weight", [c.intermediateSize, C], padAfter: false).offset
            l.add(p + "mlp.up_proj.weight", [c.intermediateSize, C])
            let down = l.add(p + "mlp.down_proj.weight", [C, c.intermediateSize]).offset
            ls.append(LayerParams(inputNorm: inNorm, qkv: q, o: o, postNorm: post, gateUp: gu, down: down,
                                  qkvBias: qkvBias, qNorm: qNorm, kNorm: kNorm))
        }
        finalNorm = l.add("model.norm.weight", [C]).offset
        lmHead = c.tieWordEmbeddings ? embed : l.add("lm_head.weight", [c.vocabSize, C]).offset
        layers = ls
        layout = l
        params = l.allocate()
        rope = RopeTable(headDim: D, maxPositions: c.maxPositions, theta: c.ropeTheta,
                         llama3: c.ropeScaling.map { ($0.factor, $0.lowFreqFactor, $0.highFreqFactor, $0.originalMaxPositions) })
        for t in l.tensors where t.name.hasSuffix("norm.weight") { t.ptr(params).update(repeating: 1, count: t.count) }
    }

    /// Whether AdamW decays this tensor: never norms or biases; embeddings (and a tied head) only if asked.
    public func decays(_ name: String, decayEmbeddings: Bool = false) -> Bool {
        if name.hasSuffix("norm.weight") || name.hasSuffix(".bias") { return false }
        if name.contains("embed_tokens") { return decayEmbeddings }
        return true
    }

    /// Seeded initialisation as transformers does it: N(0, std) for matrices, ones for norms.
    public func initialize(seed: UInt64, std: Double = 0.02) {
        var rng = SplitMix64(seed: seed)
        for t in layout.tensors {
            let p = t.ptr(params)
            if t.name.hasSuffix("norm.weight") { p.update(repeating: 1, count: t.count); continue }
            if t.name.hasSuffix(".bias") { p.update(repeating: 0, count: t.count); continue }
            var i = 0
            while i < t.count {
                // Box-Muller, two values per draw
                let u1 = max(rng.nextDouble(), 1e-300), u2 = rng.nextDouble()
                let r = (-2 * Foundation.log(u1)).squareRoot()
                p[i] = Float(std * r * Foundation.cos(2 * .pi * u2))
                if i + 1 < t.count { p[i + 1] = Float(std * r * Foundation.sin(2 * .pi * u2)) }
                i += 2
            }
        }
    }

    // MARK: model directory

    public static let weightsFile = "model.safetensors", configFile = "config.json"

    /// Load a model from a directory (config.json + model.safetensors, or the shards of
    /// model.safetensors.index.json; F32, F16 or BF16 with HF names, lm_head.weight absent when tied) or from a
    /// .gguf file (config from its metadata).
    public static func load(path: String) throws -> LlamaModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ModelError(path.hasSuffix(".gguf") ? "\(path): no such file" : "\(path): not a model directory (no \(configFile))")
        }
        if !isDir.boolValue {
            guard path.hasSuffix(".gguf") else { throw ModelError("\(path): not a model directory or .gguf file") }
            let g = try GGUFLlama(path: path)
            let model = LlamaModel(config: try LlamaConfig.from(gguf: g))
            try model.loadWeights(from: g)
            return model
        }
        let cpath = (path as NSString).appendingPathComponent(configFile)
        guard let data = FileManager.default.contents(atPath: cpath) else {
            throw ModelError("\(path): not a model directory (no \(configFile))")
        }
        let model = LlamaModel(config: try LlamaConfig.parse(data, file: cpath))
        try model.loadWeights(from: try weightSource(directory: path))
        return model
    }

    /// Load config.json + weights from a model directory (load(path:) for a directory).
    public static func load(directory: String) throws -> LlamaModel { try load(path: directory) }

    /// The weights of a model directory: model.safetensors, else model.safetensors.index.json and its shards.
    public static func weightSource(directory: String) throws -> WeightSource {
        let single = (directory as NSString).appendingPathComponent(weightsFile)
        if FileManager.default.fileExists(atPath: single) { return try SafetensorsFile(path: single) }
        let index = (directory as NSString).appendingPathComponent(ShardedSafetensors.indexFile)
        if FileManager.default.fileExists(atPath: index) { return try ShardedSafetensors(index: index) }
        throw ModelError("\(directory): no \(weightsFile) or \(ShardedSafetensors.indexFile)")
    }

    /// Read every tensor of this model (HF names, shapes as here) from a weight source.
    public func loadWeights(from source: WeightSource) throws {
        try source.readAll(layout.tensors.map { (name: $0.name, dst: $0.ptr(params), shape: $0.shape) })
    }

    /// Read every tensor of this model from a safetensors file (F32, F16 or BF16, HF names, shapes as here).
    public func loadWeights(_ path: String) throws { try loadWeights(from: try SafetensorsFile(path: path)) }

    /// Write config.json, model.safetensors (F32 or BF16) and st-tokenizer.json into `directory`
    /// (created if needed); each file is written under a temporary name and renamed.
    public func save(directory: String, tokenizer: ByteTokenizer = .standard, dtype: DType = .f32) throws {
        try save(directory: directory, tokenizer: ModelTokenizer(tokenizer, origin: ByteTokenizer.fileName), dtype: dtype)
    }

    /// The same with any tokenizer: a Hugging Face one writes the files it was loaded with (tokenizer.json,
    /// tokenizer_config.json, chat_template.jinja, generation_config.json, special_tokens_map.json), so
    /// transformers' AutoTokenizer reads the directory; config.json's bos/eos/pad ids are the tokenizer's.
    public func save(directory: String, tokenizer: ModelTokenizer, dtype: DType = .f32) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var c = config
        c.bosTokenId = c.bosTokenId ?? tokenizer.bos.map(Int.init)
        c.eosTokenId = c.eosTokenId ?? tokenizer.eos.first.map(Int.init)
        c.padTokenId = c.padTokenId ?? tokenizer.special.pad.map(Int.init)
        try writeSafetensors((directory as NSString).appendingPathComponent(LlamaModel.weightsFile),
                             layout.tensors.map { TensorToWrite(name: $0.name, shape: $0.shape, data: $0.ptr(params), dtype: dtype) })
        try writeFileAtomically((directory as NSString).appendingPathComponent(LlamaModel.configFile), c.json())
        try tokenizer.write(into: directory)
    }
}
