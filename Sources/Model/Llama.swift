// The Llama-family decoder: parameters with Hugging Face names and layouts in one flat buffer; the forward
// pass that training (LlamaTrainer) and sampling (LlamaDecoder) share is in Layer.swift. Logits are
// rmsnorm(x) @ Wlm^T (Wlm = the embedding when tied).
import Base
import Foundation
import Tensor

/// Offsets of one decoder layer's parameters inside the model's parameter buffer.
public struct LayerParams: Sendable {
    public let inputNorm: Int, qkv: Int, o: Int, postNorm: Int, gateUp: Int, down: Int
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
            let o = l.add(p + "self_attn.o_proj.weight", [C, c.numHeads * D]).offset
            let post = l.add(p + "post_attention_layernorm.weight", [C]).offset
            let gu = l.add(p + "mlp.gate_proj.weight", [c.intermediateSize, C], padAfter: false).offset
            l.add(p + "mlp.up_proj.weight", [c.intermediateSize, C])
            let down = l.add(p + "mlp.down_proj.weight", [C, c.intermediateSize]).offset
            ls.append(LayerParams(inputNorm: inNorm, qkv: q, o: o, postNorm: post, gateUp: gu, down: down))
        }
        finalNorm = l.add("model.norm.weight", [C]).offset
        lmHead = c.tieWordEmbeddings ? embed : l.add("lm_head.weight", [c.vocabSize, C]).offset
        layers = ls
        layout = l
        params = l.allocate()
        rope = RopeTable(headDim: D, maxPositions: c.maxPositions, theta: c.ropeTheta)
        for t in l.tensors where t.name.hasSuffix("norm.weight") { t.ptr(params).update(repeating: 1, count: t.count) }
    }

    /// Whether AdamW decays this tensor: never norms; embeddings (and a tied head) only if asked.
    public func decays(_ name: String, decayEmbeddings: Bool = false) -> Bool {
        if name.hasSuffix("norm.weight") { return false }
        if name.contains("embed_tokens") { return decayEmbeddings }
        return true
    }

    /// Seeded initialisation as transformers does it: N(0, std) for matrices, ones for norms.
    public func initialize(seed: UInt64, std: Double = 0.02) {
        var rng = SplitMix64(seed: seed)
        for t in layout.tensors {
            let p = t.ptr(params)
            if t.name.hasSuffix("norm.weight") { p.update(repeating: 1, count: t.count); continue }
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

    /// Load config.json + model.safetensors (F32 or BF16, HF names; lm_head.weight absent when tied).
    public static func load(directory: String) throws -> LlamaModel {
        let cpath = (directory as NSString).appendingPathComponent(configFile)
        guard let data = FileManager.default.contents(atPath: cpath) else {
            throw ModelError("\(directory): not a model directory (no \(configFile))")
        }
        let config = try LlamaConfig.parse(data, file: cpath)
        let model = LlamaModel(config: config)
        try model.loadWeights((directory as NSString).appendingPathComponent(weightsFile))
        return model
    }

    /// Read every tensor of this model from a safetensors file (F32 or BF16, HF names, shapes as here).
    public func loadWeights(_ path: String) throws {
        let file = try SafetensorsFile(path: path)
        for t in layout.tensors { try file.read(t.name, into: t.ptr(params), shape: t.shape) }
    }

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
