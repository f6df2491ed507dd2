// A model's tokenizer as every tool sees it: the Tokenizers interface plus what the tools need around it (the
// special tokens a prompt or training example uses, the FIM tokens, the chat template, the files to carry into
// the model directories st writes). One loader for every source:
//   a directory with st-tokenizer.json        st's ByteTokenizer (a directory with no tokenizer: the standard one)
//   a directory with tokenizer.json            HFTokenizer with tokenizer_config / generation_config / config's
//                                              special tokens; chat template from tokenizer_config.json's
//                                              chat_template or chat_template.jinja
//   a .gguf file                               HFTokenizer rebuilt from its tokenizer.* metadata as transformers
//                                              does (Tokenizers/GGUFVocabulary.swift), its tokenizer.chat_template
//   a tokenizer.json / st-tokenizer.json file  as its directory
import Base
import ChatTemplate
import Foundation
import Tokenizers
import Weights

/// A model's own fill-in-the-middle tokens (StarCoder / SmolLM vocabularies).
public struct FIMTokens: Equatable, Sendable {
    public var prefix: Int32, middle: Int32, suffix: Int32, pad: Int32?
    public init(prefix: Int32, middle: Int32, suffix: Int32, pad: Int32?) {
        self.prefix = prefix; self.middle = middle; self.suffix = suffix; self.pad = pad
    }
}

public struct ModelTokenizer: @unchecked Sendable {
    public let tokenizer: any Tokenizer
    /// Where it was loaded from (named in errors).
    public let origin: String
    /// The chat template (nil: the model has none).
    public let chatTemplate: ChatTemplate?
    /// bos_token / eos_token as text, handed to the chat template as transformers does.
    public let bosText: String?, eosText: String?
    /// Hugging Face tokenizer files (name, contents) written into every model directory st saves from it.
    public let files: [(name: String, data: Data)]

    /// st's byte tokenizer, when it is one: its layout (masks, <sep>, <eom>) and the byte-exact paths.
    public var byte: ByteTokenizer? { tokenizer as? ByteTokenizer }
    public var vocabSize: Int { tokenizer.vocabSize }
    public var special: SpecialTokens { tokenizer.specialTokens }
    public var bos: Int32? { special.bos }
    /// Generation stops at any of these; the first ends a training document.
    public var eos: [Int32] { special.eos }
    public var pad: Int32 { special.pad ?? special.eos.first ?? 0 }
    /// Whether a document or prompt starts with <bos>.
    public var addBOS: Bool { bos != nil && special.addBOS }
    /// Whether a document or completion ends with <eos>: the byte tokenizer's add_eos; a Hugging Face
    /// tokenizer always ends one with its eos (the document boundary a packed row needs).
    public var addEOS: Bool { byte?.addEOS ?? !special.eos.isEmpty }

    public init(_ tokenizer: any Tokenizer, origin: String, chatTemplate: ChatTemplate? = nil, bosText: String? = nil,
                eosText: String? = nil, files: [(name: String, data: Data)] = []) {
        self.tokenizer = tokenizer; self.origin = origin; self.chatTemplate = chatTemplate
        self.bosText = bosText; self.eosText = eosText; self.files = files
    }

    public static let standard = ModelTokenizer(ByteTokenizer.standard, origin: "st byte tokenizer")

    /// Token ids of plain text (no special tokens added; an added token's text in it is that token). Text the
    /// vocabulary cannot represent (no token, <unk> or byte fallback for a character) is an error naming the
    /// tokenizer and the character; the tools add the record.
    public func encode(_ text: String) throws -> [Int32] {
        do { return try tokenizer.encodeChecked(text, addSpecialTokens: false) } catch let e as TokenizerError {
            throw ToolInputError("\(origin): \(e.description)")
        }
    }
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String { tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens) }

    /// The id a method template's {@name} or a format means: "<name>" or "name" as the tokenizer spells it;
    /// bos / eos also as the tokenizer's own bos and first eos.
    public func special(named name: String) -> Int32? {
        if let i = tokenizer.id(ofSpecial: "<\(name)>") ?? tokenizer.id(ofSpecial: name) { return i }
        switch name { case "bos": return bos; case "eos": return eos.first; default: return nil }
    }

    /// <fim_prefix>, <fim_middle>, <fim_suffix> (and <fim_pad>) when a Hugging Face vocabulary has them.
    public var fim: FIMTokens? {
        if byte != nil { return nil }
        guard let p = tokenizer.id(ofSpecial: "<fim_prefix>"), let m = tokenizer.id(ofSpecial: "<fim_middle>"),
              let s = tokenizer.id(ofSpecial: "<fim_suffix>") else { return nil }
        return FIMTokens(prefix: p, middle: m, suffix: s, pad: tokenizer.id(ofSpecial: "<fim_pad>"))
    }

    /// Renders a conversation with the chat template (transformers' apply_chat_template, tokenize=False).
    /// `SOURCE_DATE_EPOCH`, when set, is the time strftime_now() formats (reproducible dates).
    public func renderChat(_ messages: [Value], addGenerationPrompt: Bool) throws -> String {
        guard let t = chatTemplate else { throw ModelError("\(origin): the tokenizer has no chat template") }
        if let problem = ChatTemplate.validate(messages: messages) { throw ModelError(problem) }
        let now = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(Double.init)
        return try t.render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosText, eosToken: eosText, now: now)
    }

    // MARK: loading

    /// The tokenizer of a model directory, a .gguf file, or a tokenizer file (see the top of this file).
    public static func load(_ path: String) throws -> ModelTokenizer {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw ModelError("\(path): no such tokenizer file or directory") }
        if !isDir.boolValue {
            if path.hasSuffix(".gguf") { return try gguf(path) }
            let name = (path as NSString).lastPathComponent
            let dir = (path as NSString).deletingLastPathComponent
            if name == ByteTokenizer.fileName || name == "tokenizer.json" { return try directory(dir.isEmpty ? "." : dir, prefer: name) }
            throw ModelError("\(path): not a tokenizer (st-tokenizer.json, tokenizer.json, a .gguf file or a model directory)")
        }
        return try directory(path, prefer: nil)
    }

    static func directory(_ dir: String, prefer: String?) throws -> ModelTokenizer {
        func p(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        let fm = FileManager.default
        let hasByte = fm.fileExists(atPath: p(ByteTokenizer.fileName)), hasHF = fm.fileExists(atPath: p("tokenizer.json"))
        if prefer == ByteTokenizer.fileName || (prefer == nil && (hasByte || !hasHF)) {
            return ModelTokenizer(try ByteTokenizer.load(directory: dir), origin: hasByte ? p(ByteTokenizer.fileName) : dir)
        }
        let t: HFTokenizer
        do { t = try HFTokenizer.load(directory: dir) } catch let e as TokenizerError { throw ModelError(e.description) }
        var files: [(String, Data)] = []
        for f in hfFiles { if let d = fm.contents(atPath: p(f)) { files.append((f, d)) } }
        // tokenizer_config.json: bos/eos text and the chat template (chat_template.jinja wins, as in transformers)
        var bosText: String?, eosText: String?, source: String?
        var sourceFile = p("tokenizer_config.json")
        if let d = fm.contents(atPath: p("tokenizer_config.json")), let o = (try? JSON.parse(bytes: [UInt8](d)))?.object {
            func text(_ v: JSON?) -> String? { v?.string ?? v?.object?["content"]?.string }
            bosText = text(o["bos_token"]); eosText = text(o["eos_token"])
            if let ct = o["chat_template"], !ct.isNull {
                do { source = try ChatTemplate.select(from: chatValue(ct)) } catch {
                    throw ModelError("\(sourceFile): chat_template: \(error)")
                }
            }
        }
        if let d = fm.contents(atPath: p("chat_template.jinja")) { source = String(decoding: d, as: UTF8.self); sourceFile = p("chat_template.jinja") }
        bosText = bosText ?? t.specialTokens.bos.flatMap { t.token($0) }
        eosText = eosText ?? t.specialTokens.eos.first.flatMap { t.token($0) }
        return ModelTokenizer(t, origin: p("tokenizer.json"), chatTemplate: try parseTemplate(source, file: sourceFile),
                              bosText: bosText, eosText: eosText, files: files)
    }

    /// The tokenizer files a Hugging Face model directory carries (AutoTokenizer reads them).
    public static let hfFiles = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json",
                                 "special_tokens_map.json"]

    static func parseTemplate(_ source: String?, file: String) throws -> ChatTemplate? {
        guard let source else { return nil }
        do { return try ChatTemplate(source: source) } catch { throw ModelError("\(file): chat template: \(error)") }
    }

    /// A GGUF file's tokenizer; the tokenizer.json, tokenizer_config.json and generation_config.json transformers
    /// would write for it become the files carried into saved model directories.
    static func gguf(_ path: String) throws -> ModelTokenizer {
        let info: GGUFTokenizerInfo
        do { info = try GGUFTokenizerInfo(try GGUFFile(path: path)) } catch { throw ModelError("\(path): \(error)") }
        let v = GGUFVocabulary(model: info.model, pre: info.pre, tokens: info.tokens, merges: info.merges, tokenTypes: info.tokenTypes,
                               scores: info.scores, bos: info.bosTokenId, eos: info.eosTokenId, pad: info.padTokenId,
                               unk: info.unkTokenId, addBOS: info.addBOS, addEOS: info.addEOS)
        let tjText: String
        do { tjText = try v.tokenizerJSON(file: path) } catch let e as TokenizerError { throw ModelError(e.description) }
        let t: HFTokenizer
        let files: [(String, Data)] = [("tokenizer.json", Data(tjText.utf8)),
                                       ("tokenizer_config.json", Data(v.tokenizerConfigJSON(chatTemplate: info.chatTemplate).formatted().utf8)),
                                       ("generation_config.json", Data(v.generationConfigJSON().formatted().utf8))]
        // the special tokens as HFTokenizer.load reads them from those files
        do {
            t = try HFTokenizer.load(directory: path) { f in files.first { f.hasSuffix("/" + $0.0) }?.1 }
        } catch let e as TokenizerError { throw ModelError(e.description) }
        func text(_ id: Int?) -> String? { id.flatMap { $0 < info.tokens.count ? info.tokens[$0] : nil } }
        return ModelTokenizer(t, origin: path, chatTemplate: try parseTemplate(info.chatTemplate, file: path + ": tokenizer.chat_template"),
                              bosText: text(info.bosTokenId), eosText: text(info.eosTokenId), files: files)
    }

    // MARK: saving

    /// Writes this tokenizer's files into a model directory: st-tokenizer.json for the byte tokenizer, else the
    /// Hugging Face files it was loaded with.
    public func write(into directory: String) throws {
        if let b = byte {
            try writeFileAtomically((directory as NSString).appendingPathComponent(ByteTokenizer.fileName), b.json())
            return
        }
        for (name, data) in files {
            try writeFileAtomically((directory as NSString).appendingPathComponent(name), bytes: [UInt8](data))
        }
    }
}

/// A JSON value as a chat template value (numbers that are integers stay integers).
public func chatValue(_ j: JSON) -> Value {
    switch j {
    case .null: return .none
    case .bool(let b): return .bool(b)
    case .number(let s): return Int(s).map(Value.int) ?? .double(Double(s) ?? .nan)
    case .string(let s): return .string(s)
    case .array(let a): return .list(a.map(chatValue))
    case .object(let o): return .dict(o.map { (key: $0.key, value: chatValue($0.value)) })
    }
}
