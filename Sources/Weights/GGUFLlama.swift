// A Llama-family GGUF (llama.cpp architectures llama, qwen2, qwen3) seen as a Hugging Face checkpoint, as
// transformers' GGUF loader sees it (transformers/modeling_gguf_pytorch_utils.py, integrations/ggml.py): tensor
// names mapped to HF names, attn_q / attn_k rows un-permuted for llama (llama.cpp's converter interleaves each
// head's rotary halves), the {arch}.* metadata as a config.json object (Model's LlamaConfig reads it: the one
// description of a configuration), and the tokenizer.* metadata as plain values.
import Base
import Foundation

/// The HF name of a GGUF tensor name (nil for tensors a Llama-family model has no place for): llama.cpp's
/// names of the llama, qwen2 (q/k/v biases) and qwen3 (q/k norms) architectures.
public func hfTensorName(_ gguf: String) -> String? {
    switch gguf {
    case "token_embd.weight": return "model.embed_tokens.weight"
    case "output_norm.weight": return "model.norm.weight"
    case "output.weight": return "lm_head.weight"
    default: break
    }
    let parts = gguf.split(separator: ".")
    guard parts.count == 4, parts[0] == "blk", let n = Int(parts[1]), n >= 0, parts[3] == "weight" || parts[3] == "bias" else { return nil }
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
    case "attn_q_norm": suffix = "self_attn.q_norm"
    case "attn_k_norm": suffix = "self_attn.k_norm"
    default: return nil
    }
    if parts[3] == "bias" && !["attn_q", "attn_k", "attn_v"].contains(parts[2]) { return nil }
    return "model.layers.\(n).\(suffix).\(parts[3])"
}

/// The GGUF architectures st loads, and the config.json model_type each becomes (Model's Architecture
/// registry reads the rest). llama.cpp converts Mistral as "llama"; transformers' GGUF loader calls it mistral
/// only when general.name is exactly "mistral", and so does st.
public let ggufArchitectures: [String: String] = ["llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"]

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

/// A Llama-family GGUF (architecture llama, qwen2 or qwen3) as HF-named f32 tensors.
public final class GGUFLlama: @unchecked Sendable {
    public let file: GGUFFile
    /// general.architecture ("llama", "qwen2", "qwen3").
    public let architecture: String
    /// The model's config.json as transformers' GGUF loader writes it from the {arch}.* metadata (HF keys:
    /// model_type, vocab_size, hidden_size, ..., tie_word_embeddings, the tokenizer's bos/eos/pad ids); Model's
    /// LlamaConfig.parse reads it, so one description of the architecture applies.
    public let configJSON: JSONObject
    /// HF name -> the GGUF tensor it comes from.
    public let entries: [String: GGUFTensorInfo]
    /// GGUF tensors with no HF name (e.g. rope_freqs.weight); not loaded.
    public let unmapped: [String]
    /// q/k rows to un-permute: llama.cpp's converter interleaves each head's rotary halves for llama only
    /// (qwen2 and qwen3 run NEOX-style rotary, as transformers, and are stored as they are).
    let permuteQK: Bool, numHeads: Int, numKVHeads: Int, headDim: Int

    public convenience init(path: String) throws { try self.init(try GGUFFile(path: path)) }

    public init(_ f: GGUFFile) throws {
        file = f
        func fail(_ m: String) -> GGUFError { GGUFError(.badMetadata, f.path, m) }
        guard let arch = f.metadata["general.architecture"]?.string, let modelType = ggufArchitectures[arch] else {
            let a = f.metadata["general.architecture"]?.string
            throw fail("general.architecture is \(a.map { "'\($0)'" } ?? "missing"), supported: \(ggufArchitectures.keys.sorted().joined(separator: ", "))")
        }
        architecture = arch
        func int(_ k: String) throws -> Int {
            guard let v = f.metadata[arch + "." + k] else { throw fail("missing metadata \(arch).\(k)") }
            guard let i = v.int, i > 0 else { throw fail("\(arch).\(k) is not a positive integer") }
            return i
        }
        func optInt(_ k: String) throws -> Int? { f.metadata[arch + "." + k] == nil ? nil : try int(k) }
        func double(_ k: String) throws -> Double? {
            guard let v = f.metadata[arch + "." + k] else { return nil }
            guard let d = v.double else { throw fail("\(arch).\(k) is not a float") }
            return d
        }
        var e: [String: GGUFTensorInfo] = [:], un: [String] = []
        for t in f.tensors { if let n = hfTensorName(t.name) { e[n] = t } else { un.append(t.name) } }
        let heads = try int("attention.head_count"), hidden = try int("embedding_length")
        let kvHeads = try optInt("attention.head_count_kv") ?? heads
        let tok = f.metadata["tokenizer.ggml.tokens"]?.array?.count
        guard let vocab = try optInt("vocab_size") ?? tok else { throw fail("neither \(arch).vocab_size nor tokenizer.ggml.tokens is present") }
        // head_dim: llama's rope.dimension_count (transformers' key), else attention.key_length (llama.cpp's,
        // which qwen3 writes; transformers' loader ignores it there), else hidden / heads
        let headDim = try (arch == "llama" ? optInt("rope.dimension_count") : nil) ?? optInt("attention.key_length") ?? hidden / heads
        guard heads % kvHeads == 0 else {
            throw fail("\(arch).attention.head_count \(heads) is not a multiple of head_count_kv \(kvHeads)")
        }
        let layers = try int("block_count"), F = try int("feed_forward_length")
        let tied = f.tensor("output.weight") == nil
        var c = JSONObject()
        c["model_type"] = JSON(arch == "llama" && f.metadata["general.name"]?.string == "mistral" ? "mistral" : modelType)
        c["vocab_size"] = JSON(vocab); c["hidden_size"] = JSON(hidden); c["intermediate_size"] = JSON(F)
        c["num_hidden_layers"] = JSON(layers); c["num_attention_heads"] = JSON(heads); c["num_key_value_heads"] = JSON(kvHeads)
        c["head_dim"] = JSON(headDim); c["max_position_embeddings"] = JSON(try int("context_length"))
        c["rope_theta"] = JSON(try double("rope.freq_base") ?? 10000)
        c["rms_norm_eps"] = JSON(try double("attention.layer_norm_rms_epsilon") ?? 1e-6)
        c["tie_word_embeddings"] = JSON(tied); c["hidden_act"] = JSON("silu")
        for (k, g) in [("bos_token_id", "bos_token_id"), ("eos_token_id", "eos_token_id"), ("pad_token_id", "padding_token_id"),
                       ("unk_token_id", "unknown_token_id")] {
            if let v = f.metadata["tokenizer.ggml." + g]?.int { c[k] = JSON(v) }
        }
        if let t = f.metadata[arch + ".rope.scaling.type"]?.string, t != "none" {
            var s = JSONObject([("rope_type", JSON(t))])
            if let v = try double("rope.scaling.factor") { s["factor"] = JSON(v) }
            c["rope_scaling"] = .object(s)
        }
        if let n = f.metadata["general.name"]?.string { c["_name_or_path"] = JSON(n) }
        // every tensor the model needs, with the shape the metadata implies (HF row-major order)
        let C = hidden
        var want: [(String, [Int])] = [("model.embed_tokens.weight", [vocab, C]), ("model.norm.weight", [C])]
        if !tied { want.append(("lm_head.weight", [vocab, C])) }
        for i in 0..<layers {
            let p = "model.layers.\(i)."
            want += [(p + "input_layernorm.weight", [C]), (p + "self_attn.q_proj.weight", [heads * headDim, C]),
                     (p + "self_attn.k_proj.weight", [kvHeads * headDim, C]),
                     (p + "self_attn.v_proj.weight", [kvHeads * headDim, C]),
                     (p + "self_attn.o_proj.weight", [C, heads * headDim]), (p + "post_attention_layernorm.weight", [C]),
                     (p + "mlp.gate_proj.weight", [F, C]), (p + "mlp.up_proj.weight", [F, C]), (p + "mlp.down_proj.weight", [C, F])]
            if arch == "qwen2" {
                want += [(p + "self_attn.q_proj.bias", [heads * headDim]), (p + "self_attn.k_proj.bias", [kvHeads * headDim]),
                         (p + "self_attn.v_proj.bias", [kvHeads * headDim])]
            }
            if arch == "qwen3" { want += [(p + "self_attn.q_norm.weight", [headDim]), (p + "self_attn.k_norm.weight", [headDim])] }
        }
        for (name, shape) in want {
            guard let t = e[name] else {
                throw GGUFError(.missingTensor, f.path, "no tensor for \(name) (\(ggufName(name))) in a \(layers)-layer \(arch)")
            }
            guard t.shape == shape else {
                throw GGUFError(.badShape, f.path, "tensor '\(t.name)' has shape \(t.shape), but the metadata implies \(shape)")
            }
        }
        let known = Set(want.map(\.0))
        for (name, t) in e where !known.contains(name) { un.append(t.name) }   // e.g. blk.N past block_count
        for n in un { if let h = hfTensorName(n) { e[h] = nil } }
        configJSON = c; entries = e; unmapped = un.sorted()
        permuteQK = arch == "llama"; numHeads = heads; numKVHeads = kvHeads; self.headDim = headDim
    }

    /// config.json text (the project's JSON writer).
    public func configText() -> String { JSON.object(configJSON).serialized() }

    /// The HF-layout shape of tensor `name`.
    public func shape(_ name: String) -> [Int]? { entries[name]?.shape }

    /// HF names of all tensors, in file order.
    public var names: [String] { file.tensors.compactMap { t in hfTensorName(t.name).flatMap { entries[$0] != nil ? $0 : nil } } }

    /// Source row of output row r for q_proj / k_proj: llama.cpp stores each head's rows as interleaved
    /// rotary pairs (i, j) at row 2i + j; HF wants the halves (j, i) at row j * dim + i (transformers'
    /// reverse_permute_weights: reshape(n_head, dim, 2, ...).swapaxes(1, 2)).
    func rowMap(_ name: String) -> (heads: Int, dim: Int)? {
        guard permuteQK else { return nil }
        if name.hasSuffix("self_attn.q_proj.weight") { return (numHeads, headDim / 2) }
        if name.hasSuffix("self_attn.k_proj.weight") { return (numKVHeads, headDim / 2) }
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
               "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
               "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"]
    let p = hf.split(separator: ".")
    guard p.count >= 5 else { return hf }
    return "blk.\(p[2]).\(map[p[3...].dropLast().joined(separator: ".")] ?? "?").\(p.last!)"
}
