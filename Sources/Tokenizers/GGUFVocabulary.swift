// A tokenizer rebuilt from a GGUF file's tokenizer.* metadata, as transformers' GGUF loader builds it
// (integrations/gguf/gguf_tokenizer_mapping.py): for tokenizer.ggml.model "gpt2", a GPT2Tokenizer over the
// file's vocabulary and merges (byte-level BPE; a token spelled outside the byte alphabet is respelled byte
// by byte), the tokens marked control (type 3, in the byte alphabet) added as special tokens and those
// marked user-defined (type 4) as plain added tokens, and the split regex of the file's pre-tokenizer name
// when transformers knows one. For "llama" (a SentencePiece vocabulary: Llama 2, Mistral, TinyLlama), a
// LlamaTokenizer: byte-fallback BPE whose merges are derived from the pieces' scores when the file has none
// (transformers' generate_merges: every split of a piece into two pieces, best score first -- the order in
// which llama.cpp's SPM tokenizer merges bigrams), Metaspace "▁" with a prefix space on the first word only,
// the special tokens and <s> added by the post-processor (add_bos_token defaults to true, as llama.cpp's).
import Streams

/// The tokenizer.* values of a GGUF file that the tokenizer is built from (Weights.GGUFTokenizerInfo's fields;
/// plain values so that this module does not depend on the GGUF reader).
public struct GGUFVocabulary: Sendable {
    public var model: String
    public var pre: String?
    public var tokens: [String]
    public var merges: [String]?
    public var tokenTypes: [Int]?
    /// tokenizer.ggml.scores (SentencePiece vocabularies; the merges are derived from them)
    public var scores: [Float]?
    public var bos: Int?, eos: Int?, pad: Int?, unk: Int?
    public var addBOS: Bool?, addEOS: Bool?
    public init(model: String, pre: String?, tokens: [String], merges: [String]?, tokenTypes: [Int]?, scores: [Float]? = nil,
                bos: Int?, eos: Int?, pad: Int?, unk: Int? = nil, addBOS: Bool?, addEOS: Bool?) {
        self.model = model; self.pre = pre; self.tokens = tokens; self.merges = merges; self.tokenTypes = tokenTypes
        self.scores = scores; self.bos = bos; self.eos = eos; self.pad = pad; self.unk = unk; self.addBOS = addBOS; self.addEOS = addEOS
    }

    /// Whether a document starts with bos: the file's add_bos_token, else true for a SentencePiece vocabulary
    /// (llama.cpp's default, and transformers').
    public var addsBOS: Bool? { addBOS ?? (model == "llama" ? true : nil) }

    /// transformers' GGUF_PRE_TOKENIZER_SPLITS: the split regex of a pre-tokenizer name (others keep GPT-2's).
    static let splits: [String: String] = {
        let llama3 = llama3Regex, qwen2 = qwen2Regex
        let tekken = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let qwen35 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let gpt4o = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var d: [String: String] = [:]
        for n in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe"] { d[n] = llama3 }
        for n in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"] { d[n] = qwen2 }
        for n in ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"] { d[n] = gpt4o }
        d["tekken"] = tekken; d["qwen35"] = qwen35
        return d
    }()

    /// The tokenizer.json transformers would save for this vocabulary (compact JSON text). `file` names the GGUF
    /// in errors.
    public func tokenizerJSON(file: String) throws -> String {
        switch model {
        case "gpt2": return try byteLevelJSON(file: file)
        case "llama": return try sentencePieceJSON(file: file)
        default:
            throw TokenizerError("\(file): tokenizer.ggml.model \(model.debugDescription) is not supported "
                                 + "(supported: \"gpt2\", byte-level BPE; \"llama\", SentencePiece)")
        }
    }

    func byteLevelJSON(file: String) throws -> String {
        guard let merges else { throw TokenizerError("\(file): a gpt2 tokenizer needs tokenizer.ggml.merges") }
        let alphabet = Set(byteLevelCharToByte.keys)
        func spelled(_ t: String) -> Bool { t.unicodeScalars.allSatisfy { alphabet.contains($0.value) } }
        // written straight as text: JSONObject's keyed insert is linear, and vocabularies have 10^5 entries
        var vocab = ByteWriter()
        vocab.append("{")
        var seen: [String: Int] = [:]
        for (i, t) in tokens.enumerated() {
            let s = spelled(t) ? t : t.utf8.map { String(decoding: byteLevelChars[Int($0)], as: UTF8.self) }.joined()
            seen[s] = i     // a Python dict keeps the last index of a repeated key
        }
        for (i, t) in tokens.enumerated() {
            let s = spelled(t) ? t : t.utf8.map { String(decoding: byteLevelChars[Int($0)], as: UTF8.self) }.joined()
            if seen[s] == i {
                if vocab.bytes.count > 1 { vocab.append(",") }
                vocab.writeString(s); vocab.append(":"); vocab.bytes.append(contentsOf: String(i).utf8)
            }
        }
        vocab.append("}")
        var mergeList: [JSON] = []
        mergeList.reserveCapacity(merges.count)
        for (n, m) in merges.enumerated() {
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw TokenizerError("\(file): tokenizer.ggml.merges[\(n)] \(m.debugDescription) is not two tokens") }
            mergeList.append(.array([JSON(String(parts[0])), JSON(String(parts[1]))]))
        }
        func added(_ id: Int, _ content: String, special: Bool) -> JSON {
            .object(JSONObject([("id", JSON(id)), ("content", JSON(content)), ("single_word", JSON(false)),
                                ("lstrip", JSON(false)), ("rstrip", JSON(false)), ("normalized", JSON(false)),
                                ("special", JSON(special))]))
        }
        var addedTokens: [JSON] = []
        var addedSet = Set<String>()
        // GPT2Tokenizer's own <|endoftext|> (its unk/bos/eos default) comes first, as a new token if the vocabulary lacks it.
        let eot = "<|endoftext|>"
        var extra = tokens.count
        if let i = seen[eot] { addedTokens.append(added(i, eot, special: true)) } else { addedTokens.append(added(extra, eot, special: true)); extra += 1 }
        addedSet.insert(eot)
        let types = tokenTypes ?? []
        for (i, t) in tokens.enumerated() where i < types.count && types[i] == 3 && spelled(t) && !addedSet.contains(t) {
            addedTokens.append(added(seen[t] ?? i, t, special: true)); addedSet.insert(t)
        }
        for (i, t) in tokens.enumerated() where i < types.count && types[i] == 4 && seen[t] != nil && !addedSet.contains(t) {
            addedTokens.append(added(seen[t]!, t, special: false)); addedSet.insert(t)
        }
        let byteLevel = JSONObject([("type", JSON("ByteLevel")), ("add_prefix_space", JSON(false)), ("trim_offsets", JSON(true)),
                                    ("use_regex", JSON(true))])
        var pre = JSON.object(byteLevel)
        if let name = self.pre, let split = GGUFVocabulary.splits[name] {
            var bl = byteLevel
            bl["use_regex"] = JSON(false)
            pre = .object(JSONObject([("type", JSON("Sequence")), ("pretokenizers", .array([
                .object(JSONObject([("type", JSON("Split")), ("pattern", .object(JSONObject([("Regex", JSON(split))]))),
                                    ("behavior", JSON("Isolated")), ("invert", JSON(false))])),
                .object(bl)]))]))
        }
        var decoder = byteLevel
        decoder["add_prefix_space"] = JSON(true)
        let seq: (String, Int) -> JSON = { id, type in .object(JSONObject([("Sequence", .object(JSONObject([("id", JSON(id)), ("type_id", JSON(type))])))])) }
        let post = JSONObject([("type", JSON("TemplateProcessing")), ("single", .array([seq("A", 0)])),
                               ("pair", .array([seq("A", 0), seq("B", 1)])), ("special_tokens", .object(JSONObject()))])
        let modelObj = JSONObject([("type", JSON("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", JSON("")),
                                   ("end_of_word_suffix", JSON("")), ("fuse_unk", JSON(false)), ("byte_fallback", JSON(false)),
                                   ("ignore_merges", JSON(false)), ("vocab", JSON(placeholder)), ("merges", .array(mergeList))])
        let text = JSON.object(JSONObject([("version", JSON("1.0")), ("truncation", .null), ("padding", .null),
                                   ("added_tokens", .array(addedTokens)), ("normalizer", .null), ("pre_tokenizer", pre),
                                   ("post_processor", .object(post)), ("decoder", .object(decoder)), ("model", .object(modelObj))])).serialized()
        guard let r = text.range(of: "\"" + placeholder + "\"") else { preconditionFailure("vocab placeholder lost") }
        return text.replacingCharacters(in: r, with: vocab.string)
    }
    var placeholder: String { "@@st-gguf-vocab@@" }

    /// tokenizer_config.json as transformers' GGUF loader fills it (the special tokens by text, add_bos_token /
    /// add_eos_token, the chat template).
    public func tokenizerConfigJSON(chatTemplate: String?) -> JSON {
        var c = JSONObject()
        c["tokenizer_class"] = JSON(model == "llama" ? "LlamaTokenizer" : "GPT2Tokenizer")
        var named = [("bos_token", bos), ("eos_token", eos), ("pad_token", pad)]
        if model == "llama" { named.append(("unk_token", unk)) }
        for (k, id) in named { if let id, id < tokens.count { c[k] = JSON(tokens[id]) } }
        if let b = addsBOS { c["add_bos_token"] = JSON(b) }
        if let e = addEOS { c["add_eos_token"] = JSON(e) }
        if let t = chatTemplate { c["chat_template"] = JSON(t) }
        return .object(c)
    }

    /// generation_config.json: the bos / eos / pad ids.
    public func generationConfigJSON() -> JSON {
        var c = JSONObject()
        for (k, id) in [("bos_token_id", bos), ("eos_token_id", eos), ("pad_token_id", pad)] { if let id { c[k] = JSON(id) } }
        return .object(c)
    }
}
