// The tokenizer interface every st tool talks to: Hugging Face tokenizer.json tokenizers (HFTokenizer) and
// st's own byte tokenizer (Model.ByteTokenizer, which conforms elsewhere) look the same from outside.

/// Text to token ids and back. Ids are Int32, as everywhere in st's tensors.
public protocol Tokenizer: Sendable {
    /// Number of rows the model's embedding needs: every id this tokenizer produces is below it.
    var vocabSize: Int { get }
    /// bos / eos / pad ids and whether encoding adds bos / eos.
    var specialTokens: SpecialTokens { get }
    /// Token ids of `text`. `addSpecialTokens` applies the tokenizer's own post-processing (the template
    /// that adds <bos> etc.), as the `tokenizers` library's `encode(text, add_special_tokens=...)`.
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int32]
    /// encode, refusing text it cannot represent (a character with no token, <unk> or byte fallback) with an
    /// error naming the character; by default the same as encode (a tokenizer that represents every text).
    func encodeChecked(_ text: String, addSpecialTokens: Bool) throws -> [Int32]
    /// Text of `ids`; special tokens are left out when `skipSpecialTokens`.
    func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String
    /// The id of a special (or added) token by its text, such as "<|im_end|>".
    func id(ofSpecial name: String) -> Int32?
    /// Whether `id` is a special token (control token such as <bos>, never ordinary text).
    func isSpecial(_ id: Int32) -> Bool
}

extension Tokenizer {
    public func encodeChecked(_ text: String, addSpecialTokens: Bool) throws -> [Int32] { encode(text, addSpecialTokens: addSpecialTokens) }

    /// A decoder for ids that arrive one at a time (sampling).
    public func streamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(self, skipSpecialTokens: skipSpecialTokens)
    }
}

/// The special tokens a tokenizer or model directory names. `eos` is a list: generation stops on any.
public struct SpecialTokens: Equatable, Sendable {
    public var bos: Int32?
    public var eos: [Int32]
    public var pad: Int32?
    public var addBOS: Bool
    public var addEOS: Bool
    public init(bos: Int32? = nil, eos: [Int32] = [], pad: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false) {
        self.bos = bos; self.eos = eos; self.pad = pad; self.addBOS = addBOS; self.addEOS = addEOS
    }
}

/// Turns ids that arrive one by one into text, emitting a piece only once its bytes form complete
/// characters. The same algorithm as the `tokenizers` library's DecodeStream: decode a short window of
/// recent ids and emit what grew past the window's previous text, unless it ends in U+FFFD (an
/// incomplete UTF-8 sequence). Decoding a window rather than single ids keeps decoders that look at
/// neighbours (Metaspace's leading space, ByteFallback's byte runs) exact.
public struct StreamingDecoder {
    let tokenizer: any Tokenizer
    let skipSpecialTokens: Bool
    var ids: [Int32] = []
    var prefix = ""
    var prefixIndex = 0

    public init(_ tokenizer: any Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Feeds one id; returns the new text, or nil while it is still incomplete.
    public mutating func step(_ id: Int32) -> String? {
        if prefix.isEmpty && !ids.isEmpty {
            let p = tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
            if !p.hasSuffix("\u{FFFD}") { prefix = p; prefixIndex = ids.count }
        }
        ids.append(id)
        let text = tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
        let t = Array(text.utf8), p = Array(prefix.utf8)
        guard t.count > p.count, !text.hasSuffix("\u{FFFD}") else { return nil }
        // A decoder that rewrites earlier text (never seen with the supported ones) restarts the window.
        let new = t.starts(with: p) ? String(decoding: t[p.count...], as: UTF8.self) : text
        let newPrefixIndex = ids.count - prefixIndex
        ids.removeFirst(prefixIndex)
        prefix = tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
        prefixIndex = newPrefixIndex
        return new
    }
}

/// A tokenizer file or directory that cannot be used: one line naming the file and the JSON path.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}
