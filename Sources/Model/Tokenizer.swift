// The byte-level tokenizer: token id = byte value for 0-255, then special tokens. Written into a model
// directory as `st-tokenizer.json`; a directory without that file uses `ByteTokenizer.standard`.
//
// BOS policy: `encode(_:bos:eos:)` adds nothing unless asked. st's tools prepend <bos> once at the start of
// every document or prompt (`addBOS` in the file, default true) and end training documents and completions
// with <eos>. Packed sequences therefore contain one <bos> per document.
import Base
import Foundation
import Tokenizers

public struct ByteTokenizer: Equatable, Sendable {
    public static let fileName = "st-tokenizer.json"
    public static let standard = ByteTokenizer()

    public let bos: Int32 = 256, eos: Int32 = 257, pad: Int32 = 258
    /// <sep> and <eom> of the CodeGen2 infilling format, then <mask_1> ... <mask_k>.
    public let sep: Int32 = 259, eom: Int32 = 260
    public let maskCount: Int
    public let vocabSize: Int
    public var addBOS = true
    public var addEOS = true

    /// vocabSize defaults to 272: 256 bytes, 5 specials, 8 masks, 3 reserved (a multiple of 16).
    public init(maskCount: Int = 8, vocabSize: Int = 272) {
        self.maskCount = maskCount
        self.vocabSize = max(vocabSize, 261 + maskCount)
    }

    /// <mask_k>, k from 1.
    public func mask(_ k: Int) -> Int32 { precondition(k >= 1 && k <= maskCount); return 260 + Int32(k) }

    public func name(of id: Int32) -> String? {
        switch id {
        case 256: return "<bos>"; case 257: return "<eos>"; case 258: return "<pad>"
        case 259: return "<sep>"; case 260: return "<eom>"
        case 261..<(261 + Int32(maskCount)): return "<mask_\(id - 260)>"
        default: return id >= 256 && Int(id) < vocabSize ? "<reserved_\(id)>" : nil
        }
    }

    public func id(ofSpecial name: String) -> Int32? {
        for i in 256..<Int32(vocabSize) where self.name(of: i) == name { return i }
        return nil
    }

    /// UTF-8 bytes of `text`, with <bos> before and <eos> after when asked.
    public func encode(_ text: String, bos: Bool = false, eos: Bool = false) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count + 2)
        if bos { out.append(self.bos) }
        for b in text.utf8 { out.append(Int32(b)) }
        if eos { out.append(self.eos) }
        return out
    }

    /// Bytes back to text (invalid UTF-8 repaired); special tokens are written as their names unless
    /// `skipSpecial`.
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if id >= 0 && id < 256 { bytes.append(UInt8(id)) }
            else if !skipSpecial, let n = name(of: id) { bytes.append(contentsOf: Array(n.utf8)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func json() -> String {
        var specials = JSONObject()
        for i in 256..<Int32(261 + maskCount) { specials[name(of: i)!] = JSON(Int(i)) }
        let o = JSONObject([
            ("type", JSON("st-byte")),
            ("version", JSON(1)),
            ("vocab_size", JSON(vocabSize)),
            ("bytes", .array([JSON(0), JSON(255)])),
            ("special_tokens", .object(specials)),
            ("add_bos", JSON(addBOS)),
            ("add_eos", JSON(addEOS)),
        ])
        return JSON.object(o).formatted()
    }

    public static func parse(_ data: Data, file: String) throws -> ByteTokenizer {
        guard let o = (try? JSON.parse(bytes: Array(data), file: file))?.object, o["type"]?.string == "st-byte" else {
            throw ModelError("\(file): not an st byte tokenizer (\"type\": \"st-byte\")")
        }
        guard let sp = o["special_tokens"]?.object else { throw ModelError("\(file): missing special_tokens") }
        let masks = sp.filter { $0.key.hasPrefix("<mask_") }.count
        var t = ByteTokenizer(maskCount: masks, vocabSize: o["vocab_size"]?.int ?? 272)
        for (k, v) in sp {
            guard let i = v.int, let i32 = Int32(exactly: i), t.id(ofSpecial: k) == i32 else {
                throw ModelError("\(file): special token \(k) = \(v.serialized()) differs from st's fixed layout")
            }
        }
        t.addBOS = o["add_bos"]?.bool ?? true
        t.addEOS = o["add_eos"]?.bool ?? true
        return t
    }

    /// The tokenizer of a model directory: its st-tokenizer.json, or the standard one when absent. A
    /// directory that carries another tokenizer (Hugging Face tokenizer.json / tokenizer.model) and no
    /// st-tokenizer.json is refused rather than silently read as bytes.
    public static func load(directory: String) throws -> ByteTokenizer {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            for other in ["tokenizer.json", "tokenizer.model"]
            where FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(other)) {
                throw ModelError("\(directory): has \(other) but no \(fileName); st only uses its byte-level tokenizer")
            }
            return .standard
        }
        return try parse(data, file: path)
    }

    /// Every id this tokenizer produces must be a row of the model's embedding.
    public func validate(for config: LlamaConfig, directory: String) throws {
        if vocabSize > config.vocabSize {
            throw ModelError("\(directory): tokenizer has \(vocabSize) tokens but vocab_size is \(config.vocabSize)")
        }
    }
}

// st's byte tokenizer behind the common interface (Tokenizers.Tokenizer): encoding adds <bos>/<eos> only
// with addSpecialTokens, as its add_bos / add_eos say; decoding drops or names the special tokens.
extension ByteTokenizer: Tokenizer {
    public var specialTokens: SpecialTokens { SpecialTokens(bos: bos, eos: [eos], pad: pad, addBOS: addBOS, addEOS: addEOS) }
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        encode(text, bos: addSpecialTokens && addBOS, eos: addSpecialTokens && addEOS)
    }
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String { decode(ids, skipSpecial: skipSpecialTokens) }
    public func isSpecial(_ id: Int32) -> Bool { id >= 256 && Int(id) < vocabSize }
}
