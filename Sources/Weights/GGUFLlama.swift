// A llama-architecture GGUF seen as a Hugging Face checkpoint, as transformers' GGUF loader sees it
// (transformers/modeling_gguf_pytorch_utils.py, integrations/ggml.py): tensor names mapped to HF names,
// attn_q / attn_k rows un-permuted (llama.cpp's converter interleaves each head's rotary halves), the
// llama.* metadata as a config.json, and the tokenizer.* metadata as plain values.
import Base
import Foundation

/// The HF name of a llama GGUF tensor name (nil for tensors a LlamaForCausalLM has no place for).
public func hfTensorName(_ gguf: String) -> String? {
    switch gguf {
    case "token_embd.weight": return "model.embed_tokens.weight"
    case "output_norm.weight": return "model.norm.weight"
    case "output.weight": return "lm_head.weight"
    default: break
    }
    let parts = gguf.split(separator: ".")
    guard parts.count == 4, parts[0] == "blk", let n = Int(parts[1]), n >= 0, parts[3] == "weight" else { return nil }
    let suffix: String
    switch parts[2] {
    case "attn_q": suffix = "self_attn.q_proj"
    case "attn_k": suffix = "self_attn.k_proj"
    case "attn_v": suffix = "self_attn.v_proj"
    case "attn_output": suffix = "self_attn.o_proj"
    case "ffn_gate": suffix = "mlp.gate_proj"
    case "ffn_up": suffix = "mlp.up_proj"
    case "ffn_down": suffix = "mlp.down_proj"
    case "attn_norm": suffix = "input_layernorm"
    case "ffn_norm": suffix = "post_attention_layernorm"
    default: return nil
    }
    return "model.layers.\(n).\(suffix).weight"
}

/// The model configuration read from llama.* metadata, with the keys and values transformers' GGUF
/// loader puts in config.json.
public struct GGUFLlamaConfig: Equatable, Sendable {
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
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?
    public var unkTokenId: Int?
    /// llama.rope.scaling.* when present (type and factor), passed through for the consumer to accept or refuse.
    public var ropeScalingType: String?
    public var ropeScalingFactor: Double?
    public var name: String?

    /// config.json as a dictionary (Hugging Face LlamaConfig keys).
    public var dictionary: [String: Any] {
        var d: [String: Any] = [
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "intermediate_size": intermediateSize,
            "num_hidden_layers": numLayers, "num_attention_heads": numHeads, "num_key_value_heads": numKVHeads,
            "head_dim": headDim, "max_position_embeddings": maxPositions, "rope_theta": ropeTheta,
            "rms_norm_eps": rmsNormEps, "tie_word_embeddings": tieWordEmbeddings, "hidden_act": "silu",
        ]
        if let v = bosTokenId { d["bos_token_id"] = v }
        if let v = eosTokenId { d["eos_token_id"] = v }
        if let v = padTokenId { d["pad_token_id"] = v }
        if let v = unkTokenId { d["unk_token_id"] = v }
        if let t = ropeScalingType {
            var s: [String: Any] = ["rope_type": t]
            if let f = ropeScalingFactor { s["factor"] = f }
            d["rope_scaling"] = s
        }
        if let n = name { d["_name_or_path"] = n }
        return d
    }

    /// config.json bytes (sorted keys, the project's JSON writer), readable by any config.json parser.
    public func json() -> Data {
        func value(_ v: Any) -> JSON {
            switch v {
            case let b as Bool: return JSON(b)
            case let i as Int: return JSON(i)
            case let d as Double: return JSON(d)
            case let s as String: return JSON(s)
            case let a as [Any]: return .array(a.map(value))
            case let o as [String: Any]: return .object(JSONObject(o.sorted { $0.key < $1.key }.map { ($0.key, value($0.value)) }))
            default: return .null
            }
        }
        return Data(value(dictionary).serialized().utf8)
    }
}

/// The tokenizer.* metadata as plain values (llama.cpp's names in the comments).
public struct GGUFTokenizerInfo: Sendable {
    public var model: String                 // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
    public var pre: String?                  // tokenizer.ggml.pre: pre-tokenizer name
    public var tokens: [String]              // tokenizer.ggml.tokens
    public var merges: [String]?             // tokenizer.ggml.merges ("a b" pairs, BPE only)
    public var tokenTypes: [Int]?            // tokenizer.ggml.token_type (1 normal, 2 unknown, 3 control, 4 user, 5 unused, 6 byte)
    public var scores: [Float]?              // tokenizer.ggml.scores (SentencePiece)
    public var bosTokenId: Int?, eosTokenId: Int?, padTokenId: Int?, unkTokenId: Int?
    public var addBOS: Bool?, addEOS: Bool?, addSpacePrefix: Bool?
    public var chatTemplate: String?         // tokenizer.chat_template

    public init(_ f: GGUFFile) throws {
        func fail(_ m: String) -> GGUFError { GGUFError(.badMetadata, f.path, m) }
        guard let m = f.metadata["tokenizer.ggml.model"]?.string else { throw fail("no tokenizer.ggml.model string") }
        model = m
        pre = f.metadata["tokenizer.ggml.pre"]?.string
        func strings(_ k: String) throws -> [String]? {
            guard let v = f.metadata[k] else { return nil }
            guard case .array(.string, let a) = v else { throw fail("\(k) is not an array of strings") }
            return a.map { $0.string! }
        }
        guard let t = try strings("tokenizer.ggml.tokens") else { throw fail("no tokenizer.ggml.tokens") }
        tokens = t
        merges = try strings("tokenizer.ggml.merges")
        if let v = f.metadata["tokenizer.ggml.token_type"] {
            let ints = v.array?.compactMap(\.int)
            guard let ints = ints, ints.count == v.array!.count else {
                throw fail("tokenizer.ggml.token_type is not an array of integers")
            }
            tokenTypes = ints
        }
        if let v = f.metadata["tokenizer.ggml.scores"] {
            guard case .array(.float32, let a) = v else { throw fail("tokenizer.ggml.scores is not an array of float32") }
            scores = a.map { if case .float32(let x) = $0 { return x }; return 0 }
        }
        for (k, n) in [("tokenizer.ggml.token_type", tokenTypes?.count), ("tokenizer.ggml.scores", scores?.count)] {
            if let n = n, n != t.count { throw fail("\(k) has \(n) entries for \(t.count) tokens") }
        }
        func id(_ k: String) throws -> Int? {
            guard let v = f.metadata[k] else { return nil }
            guard let i = v.int, i >= 0, i < t.count else { throw fail("\(k) is not a token id below \(t.count)") }
            return i
        }
        bosTokenId = try id("tokenizer.ggml.bos_token_id"); eosTokenId = try id("tokenizer.ggml.eos_token_id")
        padTokenId = try id("tokenizer.ggml.padding_token_id"); unkTokenId = try id("tokenizer.ggml.unknown_token_id")
        addBOS = f.metadata["tokenizer.ggml.add_bos_token"]?.bool
        addEOS = f.metadata["tokenizer.ggml.add_eos_token"]?.bool
        addSpacePrefix = f.metadata["tokenizer.ggml.add_space_prefix"]?.bool
        chatTemplate = f.metadata["tokenizer.chat_template"]?.string
    }
}

/// A llama GGUF as HF-named f32 tensors.
public final class GGUFLlama: @unchecked Sendable {
    public let file: GGUFFile
    public let config: GGUFLlamaConfig
    /// HF name -> the GGUF tensor it comes from.
    public let entries: [String: GGUFTensorInfo]
    /// GGUF tensors with no HF name (e.g. rope_freqs.weight); not loaded.
    public let unmapped: [String]

    public convenience init(path: String) throws { try self.init(try GGUFFile(path: path)) }

    public init(_ f: GGUFFile) throws {
        file = f
        func fail(_ m: String) -> GGUFError { GGUFError(.badMetadata, f.path, m) }
        let arch = f.metadata["general.architecture"]?.string
        guard arch == "llama" else { throw fail("general.architecture is \(arch.map { "'\($0)'" } ?? "missing"), only 'llama' is supported") }
        func int(_ k: String) throws -> Int {
            guard let v = f.metadata["llama." + k] else { throw fail("missing metadata llama.\(k)") }
            guard let i = v.int, i > 0 else { throw fail("llama.\(k) is not a positive integer") }
            return i
        }
        func optInt(_ k: String) throws -> Int? { f.metadata["llama." + k] == nil ? nil : try int(k) }
        func double(_ k: String) throws -> Double? {
            guard let v = f.metadata["llama." + k] else { return nil }
            guard let d = v.double else { throw fail("llama.\(k) is not a float") }
            return d
        }
        var e: [String: GGUFTensorInfo] = [:], un: [String] = []
        for t in f.tensors { if let n = hfTensorName(t.name) { e[n] = t } else { un.append(t.name) } }
        let heads = try int("attention.head_count"), hidden = try int("embedding_length")
        let tok = f.metadata["tokenizer.ggml.tokens"]?.array?.count
        guard let vocab = try optInt("vocab_size") ?? tok else { throw fail("neither llama.vocab_size nor tokenizer.ggml.tokens is present") }
        // head_dim as transformers reads it: rope.dimension_count, else key_length, else hidden / heads
        let headDim = try optInt("rope.dimension_count") ?? optInt("attention.key_length") ?? hidden / heads
        func id(_ k: String) -> Int? { f.metadata["tokenizer.ggml." + k]?.int }
        var c = GGUFLlamaConfig(
            vocabSize: vocab, hiddenSize: hidden, intermediateSize: try int("feed_forward_length"),
            numLayers: try int("block_count"), numHeads: heads, numKVHeads: try optInt("attention.head_count_kv") ?? heads,
            headDim: headDim, maxPositions: try int("context_length"), ropeTheta: try double("rope.freq_base") ?? 10000,
            rmsNormEps: try double("attention.layer_norm_rms_epsilon") ?? 1e-6,
            tieWordEmbeddings: f.tensor("output.weight") == nil,
            bosTokenId: id("bos_token_id"), eosTokenId: id("eos_token_id"), padTokenId: id("padding_token_id"),
            unkTokenId: id("unknown_token_id"))
        if let t = f.metadata["llama.rope.scaling.type"]?.string, t != "none" {
            c.ropeScalingType = t; c.ropeScalingFactor = try double("rope.scaling.factor")
        }
        c.name = f.metadata["general.name"]?.string
        guard heads % c.numKVHeads == 0 else {
            throw fail("llama.attention.head_count \(heads) is not a multiple of head_count_kv \(c.numKVHeads)")
        }
        // every tensor the model needs, with the shape the metadata implies (HF row-major order)
        let C = hidden, F = c.intermediateSize
        var want: [(String, [Int])] = [("model.embed_tokens.weight", [vocab, C]), ("model.norm.weight", [C])]
        if !c.tieWordEmbeddings { want.append(("lm_head.weight", [vocab, C])) }
        for i in 0..<c.numLayers {
            let p = "model.layers.\(i)."
            want += [(p + "input_layernorm.weight", [C]), (p + "self_attn.q_proj.weight", [heads * headDim, C]),
                     (p + "self_attn.k_proj.weight", [c.numKVHeads * headDim, C]),
                     (p + "self_attn.v_proj.weight", [c.numKVHeads * headDim, C]),
                     (p + "self_attn.o_proj.weight", [C, heads * headDim]), (p + "post_attention_layernorm.weight", [C]),
                     (p + "mlp.gate_proj.weight", [F, C]), (p + "mlp.up_proj.weight", [F, C]), (p + "mlp.down_proj.weight", [C, F])]
        }
        for (name, shape) in want {
            guard let t = e[name] else {
                throw GGUFError(.missingTensor, f.path, "no tensor for \(name) (\(ggufName(name))) in a \(c.numLayers)-layer llama")
            }
            guard t.shape == shape else {
                throw GGUFError(.badShape, f.path, "tensor '\(t.name)' has shape \(t.shape), but the metadata implies \(shape)")
            }
        }
        let known = Set(want.map(\.0))
        for (name, t) in e where !known.contains(name) { un.append(t.name) }   // e.g. blk.N past block_count
        for n in un { if let h = hfTensorName(n) { e[h] = nil } }
        config = c; entries = e; unmapped = un.sorted()
    }

    /// The HF-layout shape of tensor `name`.
    public func shape(_ name: String) -> [Int]? { entries[name]?.shape }

    /// HF names of all tensors, in file order.
    public var names: [String] { file.tensors.compactMap { t in hfTensorName(t.name).flatMap { entries[$0] != nil ? $0 : nil } } }

    /// Source row of output row r for q_proj / k_proj: llama.cpp stores each head's rows as interleaved
    /// rotary pairs (i, j) at row 2i + j; HF wants the halves (j, i) at row j * dim + i (transformers'
    /// reverse_permute_weights: reshape(n_head, dim, 2, ...).swapaxes(1, 2)).
    func rowMap(_ name: String) -> (heads: Int, dim: Int)? {
        let c = config
        if name.hasSuffix("self_attn.q_proj.weight") { return (c.numHeads, c.headDim / 2) }
        if name.hasSuffix("self_attn.k_proj.weight") { return (c.numKVHeads, c.headDim / 2) }
        return nil
    }

    /// Copy tensor `name` (HF name) into dst as f32 in HF layout; its shape must be `shape`.
    public func read(_ name: String, into dst: UnsafeMutablePointer<Float>, shape: [Int]) throws {
        try readAll([(name, dst, shape)], threads: 1)
    }

    /// Tensor `name` as f32 values in HF layout.
    public func floats(_ name: String) throws -> [Float] {
        guard let t = entries[name] else { throw GGUFError(.missingTensor, file.path, "no tensor '\(name)'") }
        return try [Float](unsafeUninitializedCapacity: t.count) { buf, n in
            try read(name, into: buf.baseAddress!, shape: t.shape)
            n = t.count
        }
    }

    /// Dequantize many tensors at once, in parallel over blocks of rows of all of them.
    public func readAll(_ requests: [(name: String, dst: UnsafeMutablePointer<Float>, shape: [Int])],
                        threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        struct Job { let t: GGUFTensorInfo; let dst: UnsafeMutablePointer<Float>; let map: (heads: Int, dim: Int)?; let row0: Int; let row1: Int }
        var jobs: [Job] = []
        for (name, dst, shape) in requests {
            guard let t = entries[name] else { throw GGUFError(.missingTensor, file.path, "no tensor '\(name)'") }
            guard t.shape == shape else {
                throw GGUFError(.badShape, file.path, "tensor '\(t.name)' (\(name)) has shape \(t.shape), expected \(shape)")
            }
            // about 64K elements a job: big enough to amortize, small enough to balance
            let step = max(1, 65536 / t.rowLength)
            var r = 0
            while r < t.rows { jobs.append(Job(t: t, dst: dst, map: rowMap(name), row0: r, row1: min(t.rows, r + step))); r += step }
        }
        let base = file.base
        let run = { (j: Job) in
            let t = j.t, rowBytes = t.rowLength / t.type.blockSize * t.type.blockBytes
            let src = base + t.fileOffset
            guard let (_, dim) = j.map else {
                dequantizeRows(t.type, src + j.row0 * rowBytes, j.dst + j.row0 * t.rowLength, rows: j.row1 - j.row0, rowLength: t.rowLength)
                return
            }
            for r in j.row0..<j.row1 {             // file row r = head h, pair index i, half k -> HF row h*2dim + k*dim + i
                let h = r / (2 * dim), i = (r % (2 * dim)) / 2, k = r % 2
                let out = h * 2 * dim + k * dim + i
                dequantizeRows(t.type, src + r * rowBytes, j.dst + out * t.rowLength, rows: 1, rowLength: t.rowLength)
            }
        }
        if threads <= 1 || jobs.count == 1 { jobs.forEach(run); return }
        let n = min(threads, jobs.count)
        DispatchQueue.concurrentPerform(iterations: n) { w in
            var i = w
            while i < jobs.count { run(jobs[i]); i += n }
        }
    }

    /// Every mapped tensor dequantized (in parallel) into one buffer, in HF layout.
    public func loadAll(threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> LoadedTensors {
        let names = self.names
        let out = LoadedTensors(names.map { ($0, entries[$0]!.shape) })
        try readAll(names.map { ($0, out.data + out.index[$0]!.offset, entries[$0]!.shape) }, threads: threads)
        return out
    }
}

/// f32 tensors in one allocation: name -> (offset, shape).
public final class LoadedTensors: @unchecked Sendable {
    public let data: UnsafeMutablePointer<Float>
    public let count: Int
    public let index: [String: (offset: Int, shape: [Int])]
    public let names: [String]

    init(_ tensors: [(String, [Int])]) {
        var idx: [String: (offset: Int, shape: [Int])] = [:], off = 0
        for (n, s) in tensors { idx[n] = (off, s); off += s.reduce(1, *) }
        count = off; index = idx; names = tensors.map(\.0)
        // Fresh pages cost a fault and a kernel zeroing each; 2 MB transparent huge pages cut the faults 512-fold
        // (the same reason Tensor's FloatBuffer maps its big buffers this way).
        let huge = 1 << 21, bytes = max(1, off) * 4
        let size = (bytes + huge - 1) / huge * huge
        if bytes >= 4 * huge, let raw = mmap(nil, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           raw != MAP_FAILED {
            let start = (Int(bitPattern: raw) + huge - 1) & ~(huge - 1), lead = start - Int(bitPattern: raw)
            if lead > 0 { munmap(raw, lead) }
            munmap(UnsafeMutableRawPointer(bitPattern: start + size), huge - lead)
            let p = UnsafeMutableRawPointer(bitPattern: start)!
            _ = madvise(p, size, MADV_HUGEPAGE)
            data = p.bindMemory(to: Float.self, capacity: off)
            mapped = size
        } else {
            data = .allocate(capacity: max(1, off))
            mapped = 0
        }
    }
    private let mapped: Int
    deinit { if mapped > 0 { munmap(UnsafeMutableRawPointer(data), mapped) } else { data.deallocate() } }

    public subscript(_ name: String) -> UnsafeBufferPointer<Float>? {
        index[name].map { UnsafeBufferPointer(start: data + $0.offset, count: $0.shape.reduce(1, *)) }
    }
}

/// The GGUF name a HF llama tensor name comes from (for error messages).
func ggufName(_ hf: String) -> String {
    switch hf {
    case "model.embed_tokens.weight": return "token_embd.weight"
    case "model.norm.weight": return "output_norm.weight"
    case "lm_head.weight": return "output.weight"
    default: break
    }
    let map = ["self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
               "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
               "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"]
    let p = hf.split(separator: ".")
    guard p.count >= 5 else { return hf }
    return "blk.\(p[2]).\(map[p[3...].dropLast().joined(separator: ".")] ?? "?").weight"
}
