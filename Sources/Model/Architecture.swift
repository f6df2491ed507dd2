// The architecture registry: which config.json model_type / architectures class st reads, and how. Every
// architecture st supports is a Llama-family decoder (pre-norm, RMSNorm, RoPE, SwiGLU, grouped-query heads)
// that differs only in LlamaConfig's optional pieces (qkvBias, qkNorm, slidingWindow, ropeScaling); the one
// forward pass (Layer.swift) reads those. A new architecture is one file in Architectures/ defining an
// `Architecture` (its config keys, its refusals, the keys it writes) plus a line in `Architecture.all`.
import Base
import Foundation

public struct Architecture: Sendable {
    /// config.json model_type, and the transformers class in `architectures`.
    public let modelType: String, className: String
    /// Reads the architecture's own keys into c (the common ones are already read); throws a one-line error
    /// for a setting st does not implement.
    let configure: @Sendable (ConfigReader, inout LlamaConfig) throws -> Void
    /// Keys config.json gets beyond the common ones (they replace a common key of the same name).
    let jsonKeys: @Sendable (LlamaConfig) -> [(String, JSON)]

    /// Every supported architecture.
    public static let all: [Architecture] = [.llama, .mistral, .qwen2, .qwen3]

    static func named(_ modelType: String) -> Architecture { all.first { $0.modelType == modelType } ?? .llama }

    /// The architecture of a config.json: by model_type, else by class name, else Llama (st's older configs).
    static func find(modelType: String?, classes: [String]?, file: String) throws -> Architecture {
        let names = all.map(\.modelType).joined(separator: ", ")
        if let t = modelType {
            guard let a = all.first(where: { $0.modelType == t }) else {
                throw ModelError("\(file): model_type '\(t)' is not supported (supported: \(names))")
            }
            if let cs = classes, !cs.isEmpty, !cs.contains(a.className) {
                throw ModelError("\(file): architectures \(cs) is not \(a.className) (model_type '\(t)')")
            }
            return a
        }
        if let cs = classes, !cs.isEmpty {
            guard let a = all.first(where: { cs.contains($0.className) }) else {
                throw ModelError("\(file): architectures \(cs) is not supported (supported: \(all.map(\.className).joined(separator: ", ")))")
            }
            return a
        }
        return .llama
    }
}

/// Typed reads of one config.json, with errors naming the file and key.
public struct ConfigReader {
    let obj: JSONObject
    public let file: String
    subscript(_ k: String) -> JSON? { obj[k] }
    /// A number as an integer (a fraction truncated, as transformers' int() would).
    func integer(_ v: JSON?) -> Int? {
        guard let v else { return nil }
        if let i = v.int { return i }
        return v.double.flatMap { $0.isFinite && abs($0) < 9e18 ? Int($0) : nil }
    }
    func int(_ k: String) throws -> Int {
        guard let v = integer(obj[k]) else { throw ModelError("\(file): missing integer '\(k)'") }
        return v
    }
    func optInt(_ k: String) -> Int? { integer(obj[k]) }
    func fail(_ m: String) -> ModelError { ModelError("\(file): \(m)") }
    /// attention_bias = true puts biases on o_proj too, which no supported architecture implements.
    func refuseAttentionBias() throws {
        if obj["attention_bias"]?.bool == true { throw fail("attention_bias = true is not supported") }
    }
    /// Qwen-style windows: use_sliding_window turns on sliding_window for layers >= max_window_layers;
    /// supported only when that is every layer (one window for the whole model) or none.
    func qwenSlidingWindow(layers: Int) throws -> Int? {
        let types = obj["layer_types"]?.array?.compactMap(\.string)
        if let types, let bad = types.first(where: { $0 != "full_attention" && $0 != "sliding_attention" }) {
            throw fail("layer_types '\(bad)' is not supported")
        }
        let window = optInt("sliding_window")
        var sliding: [Bool]
        if let types, types.count == layers {
            sliding = types.map { $0 == "sliding_attention" }
        } else {
            let on = obj["use_sliding_window"]?.bool == true && window != nil
            let from = optInt("max_window_layers") ?? 28
            sliding = (0..<layers).map { on && $0 >= from }
        }
        if !sliding.contains(true) { return nil }
        guard let window else { throw fail("sliding-window layers without sliding_window") }
        guard !sliding.contains(false) else {
            throw fail("sliding-window attention on only some layers (use_sliding_window with max_window_layers) is not supported")
        }
        return window
    }
}

/// Llama 3.1's rope type `llama3`: inverse frequencies of long wavelengths divided by `factor`, short ones
/// kept, the band between interpolated (transformers' _compute_llama3_parameters).
public struct RopeScaling: Equatable, Sendable {
    public var factor: Double, lowFreqFactor: Double, highFreqFactor: Double
    public var originalMaxPositions: Int
    public init(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int) {
        self.factor = factor; self.lowFreqFactor = lowFreqFactor; self.highFreqFactor = highFreqFactor
        self.originalMaxPositions = originalMaxPositions
    }

    /// rope_parameters (transformers 5) or rope_scaling (older): nil for the default type, an error for a type
    /// st does not implement.
    static func parse(_ obj: JSONObject, file: String) throws -> RopeScaling? {
        var d: JSONObject? = nil
        for k in ["rope_parameters", "rope_scaling"] {
            if let o = obj[k]?.object, (o["rope_type"] ?? o["type"])?.string != nil { d = o; break }
        }
        guard let d else { return nil }
        let t = (d["rope_type"] ?? d["type"])!.string!
        switch t {
        case "default": return nil
        case "llama3":
            func num(_ k: String) throws -> Double {
                guard let v = d[k]?.double else { throw ModelError("\(file): rope type 'llama3' needs a number '\(k)'") }
                return v
            }
            let s = RopeScaling(factor: try num("factor"), lowFreqFactor: try num("low_freq_factor"),
                                highFreqFactor: try num("high_freq_factor"),
                                originalMaxPositions: Int(try num("original_max_position_embeddings")))
            guard s.factor > 0, s.highFreqFactor > s.lowFreqFactor, s.lowFreqFactor > 0, s.originalMaxPositions > 0 else {
                throw ModelError("\(file): rope type 'llama3' needs factor > 0 and high_freq_factor > low_freq_factor > 0")
            }
            return s
        default:
            throw ModelError("\(file): rope_scaling type '\(t)' is not supported (supported: default, llama3)")
        }
    }
}
