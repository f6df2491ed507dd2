// LlamaConfig: the config.json of a Hugging Face Llama-family model (LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM, Qwen3ForCausalLM: see Architecture.swift), read and written with the same keys.
import Base
import Foundation

public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

public struct LlamaConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var maxPositions: Int
    public var ropeTheta: Double
    public var rmsNormEps: Double
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int? = nil
    public var eosTokenId: Int? = nil
    public var padTokenId: Int? = nil
    /// The registry key (Architecture.swift): "llama", "mistral", "qwen2", "qwen3".
    public var modelType = "llama"
    /// q_proj, k_proj, v_proj have biases (Qwen2).
    public var qkvBias = false
    /// RMSNorm over head_dim of every query and key head before RoPE, weights q_norm/k_norm (Qwen3).
    public var qkNorm = false
    /// Each query sees only the last `slidingWindow` positions up to itself (Mistral); nil = all.
    public var slidingWindow: Int? = nil
    /// Scaled RoPE frequencies (Llama 3.1's `llama3` rope type); nil = plain RoPE.
    public var ropeScaling: RopeScaling? = nil

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int,
                numKVHeads: Int? = nil, headDim: Int? = nil, maxPositions: Int = 2048, ropeTheta: Double = 10000,
                rmsNormEps: Double = 1e-5, tieWordEmbeddings: Bool = true) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numLayers = numLayers; self.numHeads = numHeads; self.numKVHeads = numKVHeads ?? numHeads
        self.headDim = headDim ?? hiddenSize / max(1, numHeads); self.maxPositions = maxPositions
        self.ropeTheta = ropeTheta; self.rmsNormEps = rmsNormEps; self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// Width of the fused q|k|v projection output.
    public var qkvSize: Int { (numHeads + 2 * numKVHeads) * headDim }

    /// Number of parameters (tied embeddings counted once).
    public var parameterCount: Int {
        let C = hiddenSize, A = numHeads * headDim
        let layer = 2 * C + qkvSize * C + C * A + 3 * C * intermediateSize + (qkvBias ? qkvSize : 0) + (qkNorm ? 2 * headDim : 0)
        return vocabSize * C * (tieWordEmbeddings ? 1 : 2) + numLayers * layer + C
    }

    public func validate() throws {
        func need(_ ok: Bool, _ msg: String) throws { if !ok { throw ModelError("config.json: \(msg)") } }
        try need(vocabSize > 0 && hiddenSize > 0 && intermediateSize > 0 && numLayers > 0, "sizes must be positive")
        try need(numHeads > 0 && numKVHeads > 0 && numHeads % numKVHeads == 0,
                 "num_attention_heads (\(numHeads)) must be a multiple of num_key_value_heads (\(numKVHeads))")
        try need(headDim > 0 && headDim % 2 == 0, "head_dim (\(headDim)) must be even")
        try need(maxPositions > 0, "max_position_embeddings must be positive")
        try need(ropeTheta > 0, "rope_theta must be positive")
        try need(slidingWindow.map { $0 > 0 } ?? true, "sliding_window must be positive")
    }

    /// Parse a config.json (Hugging Face keys). The architecture is chosen by model_type (else by the
    /// `architectures` class name, else Llama) from the registry in Architecture.swift; the keys every
    /// Llama-family config shares are read here, the architecture reads its own. rope_theta is read at the top
    /// level or inside rope_parameters (transformers 5).
    public static func parse(_ data: Data, file: String = "config.json") throws -> LlamaConfig {
        guard let obj = (try? JSON.parse(bytes: Array(data), file: file))?.object else {
            throw ModelError("\(file): not a JSON object")
        }
        let r = ConfigReader(obj: obj, file: file)
        let arch = try Architecture.find(modelType: obj["model_type"]?.string,
                                         classes: obj["architectures"]?.array?.compactMap(\.string), file: file)
        if let act = (obj["hidden_act"] ?? obj["hidden_activation"])?.string, act != "silu" {
            throw ModelError("\(file): hidden_act '\(act)' is not supported (only silu)")
        }
        if obj["mlp_bias"]?.bool == true { throw ModelError("\(file): mlp_bias = true is not supported") }
        let rp = obj["rope_parameters"]?.object
        let theta = obj["rope_theta"]?.double ?? rp?["rope_theta"]?.double ?? 10000.0
        let heads = try r.int("num_attention_heads")
        let hidden = try r.int("hidden_size")
        var c = LlamaConfig(
            vocabSize: try r.int("vocab_size"), hiddenSize: hidden, intermediateSize: try r.int("intermediate_size"),
            numLayers: try r.int("num_hidden_layers"), numHeads: heads,
            numKVHeads: r.optInt("num_key_value_heads") ?? heads,
            headDim: r.optInt("head_dim") ?? hidden / max(1, heads),
            maxPositions: r.optInt("max_position_embeddings") ?? 2048, ropeTheta: theta,
            rmsNormEps: obj["rms_norm_eps"]?.double ?? 1e-6,
            tieWordEmbeddings: obj["tie_word_embeddings"]?.bool ?? false)   // transformers' default for all four
        c.modelType = arch.modelType
        c.ropeScaling = try RopeScaling.parse(obj, file: file)
        c.bosTokenId = r.optInt("bos_token_id"); c.eosTokenId = r.optInt("eos_token_id"); c.padTokenId = r.optInt("pad_token_id")
        try arch.configure(r, &c)
        try c.validate()
        return c
    }

    /// config.json text with the keys transformers' LlamaConfig reads (and rope_parameters for transformers 5).
    /// Floats are written as Python writes them: an integral value with ".0".
    public func json() -> String {
        func num(_ d: Double) -> JSON {
            .number(d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)")
        }
        func opt(_ v: Int?) -> JSON { v.map { JSON($0) } ?? .null }
        let arch = Architecture.named(modelType)
        var rope: [(String, JSON)] = [("rope_type", JSON(ropeScaling == nil ? "default" : "llama3")), ("rope_theta", num(ropeTheta))]
        if let s = ropeScaling {
            rope += [("factor", num(s.factor)), ("low_freq_factor", num(s.lowFreqFactor)),
                     ("high_freq_factor", num(s.highFreqFactor)), ("original_max_position_embeddings", JSON(s.originalMaxPositions))]
        }
        var o = JSONObject([
            ("architectures", .array([JSON(arch.className)])),
            ("model_type", JSON(modelType)),
            ("vocab_size", JSON(vocabSize)),
            ("hidden_size", JSON(hiddenSize)),
            ("intermediate_size", JSON(intermediateSize)),
            ("num_hidden_layers", JSON(numLayers)),
            ("num_attention_heads", JSON(numHeads)),
            ("num_key_value_heads", JSON(numKVHeads)),
            ("head_dim", JSON(headDim)),
            ("max_position_embeddings", JSON(maxPositions)),
            ("rope_theta", num(ropeTheta)),
            ("rope_parameters", .object(JSONObject(rope))),
            ("rope_scaling", .null),
            ("rms_norm_eps", .number("\(rmsNormEps)")),
            ("tie_word_embeddings", JSON(tieWordEmbeddings)),
            ("hidden_act", JSON("silu")),
            ("attention_bias", JSON(false)),
            ("attention_dropout", .number("0.0")),
            ("mlp_bias", JSON(false)),
            ("initializer_range", .number("0.02")),
            ("bos_token_id", opt(bosTokenId)),
            ("eos_token_id", opt(eosTokenId)),
            ("pad_token_id", opt(padTokenId)),
            ("torch_dtype", JSON("float32")),
            ("use_cache", JSON(true)),
        ])
        for (k, v) in arch.jsonKeys(self) { o[k] = v }
        return JSON.object(o).formatted()
    }
}
