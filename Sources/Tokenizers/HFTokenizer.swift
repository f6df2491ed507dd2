// A Hugging Face tokenizer.json tokenizer, encoding exactly as the `tokenizers` library: added tokens are
// split out first (those not normalized on the raw text, the others after normalization), the rest goes
// through normalizer -> pre-tokenizer -> BPE, then the post-processor adds its special tokens.
import Foundation
import Streams

public struct AddedToken: Equatable, Sendable {
    public let id: Int32
    public let content: String
    public let special: Bool
    public let singleWord: Bool
    public let lstrip: Bool
    public let rstrip: Bool
    public let normalized: Bool
}

public struct HFTokenizer: Tokenizer, @unchecked Sendable {
    let core: Core
    public var specialTokens: SpecialTokens
    /// What add_special_tokens applies: tokenizer.json's post-processor, or the bos/eos template that
    /// tokenizer_config.json's add_bos_token / add_eos_token ask for (as transformers rebuilds it).
    var post: PostProcessor?

    public var vocabSize: Int { core.vocabSize }
    public var addedTokens: [AddedToken] { core.added }

    /// Reads a tokenizer.json; `file` names it in errors.
    public init(json data: [UInt8], file: String) throws {
        let v: JSON
        do { v = try JSON.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw TokenizerError("\(file): not valid JSON: \(error)")
        }
        core = try Core(Node(value: v, path: "", file: file))
        post = core.post
        let lead: (leading: [Int32], trailing: [Int32]) = core.post?.added ?? ([], [])
        specialTokens = SpecialTokens(bos: lead.leading.first, eos: lead.trailing.last.map { [$0] } ?? [], pad: nil,
                                      addBOS: !lead.leading.isEmpty, addEOS: !lead.trailing.isEmpty)
    }

    public init(contentsOf path: String) throws {
        guard let d = FileManager.default.contents(atPath: path) else { throw TokenizerError("\(path): cannot read") }
        try self.init(json: [UInt8](d), file: path)
    }

    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int32] {
        let ids = core.encode(text).ids
        guard addSpecialTokens, let post else { return ids }
        return post.apply(ids)
    }

    /// encode, but a character the vocabulary cannot represent (no token, no <unk>, no byte fallback: the
    /// library would drop it) is an error naming it.
    public func encodeChecked(_ text: String, addSpecialTokens: Bool) throws -> [Int32] {
        let (ids, dropped) = core.encode(text, check: core.model.canDrop)
        if let d = dropped {
            // a whole character, or (ByteLevel vocabularies missing a byte's symbol) one byte of one
            let what: String
            if let c = String(validating: d, as: UTF8.self) {
                what = "\(c.debugDescription) (\(c.unicodeScalars.map { String(format: "U+%04X", $0.value) }.joined(separator: " ")))"
            } else { what = d.map { String(format: "byte 0x%02X", $0) }.joined(separator: " ") }
            throw TokenizerError("cannot encode \(what): it is not in the vocabulary, which has no unk_token and no byte fallback for it")
        }
        guard addSpecialTokens, let post else { return ids }
        return post.apply(ids)
    }

    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let t = core.decodeText[id] {
                // As the library: a normalized added token decodes as its normalized form, and "special"
                // is looked up by that text.
                if skipSpecialTokens && core.specialContents.contains(t) { continue }
                tokens.append(t)
            } else if id >= 0 && Int(id) < core.model.size && !core.model.tokens[Int(id)].isEmpty {
                let t = String(decoding: core.model.tokens[Int(id)], as: UTF8.self)
                if skipSpecialTokens && core.specialContents.contains(t) { continue }
                tokens.append(t)
            }
        }
        guard let d = core.decoder else { return tokens.joined(separator: " ") }
        return d.apply(tokens).joined()
    }

    public func id(ofSpecial name: String) -> Int32? {
        if let a = core.added.first(where: { $0.content == name }) { return a.id }
        return core.model.vocab.get(Array(name.utf8))
    }

    public func isSpecial(_ id: Int32) -> Bool { core.addedById[id]?.special ?? false }

    /// The token text of an id (as stored in the vocabulary, before decoding).
    public func token(_ id: Int32) -> String? {
        if let a = core.addedById[id] { return a.content }
        guard id >= 0 && Int(id) < core.model.size else { return nil }
        return String(decoding: core.model.tokens[Int(id)], as: UTF8.self)
    }
}

/// Added tokens found in text by leftmost-longest matching, as the library's Aho-Corasick automaton.
struct AddedMatcher {
    /// Candidates by first byte, longest first.
    var byFirst: [[(bytes: [UInt8], token: Int)]] = Array(repeating: [], count: 256)
    var isEmpty = true

    mutating func add(_ bytes: [UInt8], _ token: Int) {
        guard let f = bytes.first else { return }
        byFirst[Int(f)].append((bytes, token))
        byFirst[Int(f)].sort { $0.bytes.count > $1.bytes.count }
        isEmpty = false
    }

    /// Splits p into text ranges and added tokens, honouring single_word / lstrip / rstrip.
    func split(_ p: UnsafeBufferPointer<UInt8>, _ tokens: [AddedToken], into out: inout [Segment]) {
        let n = p.count
        var i = 0, startOffset = 0
        scan: while i < n {
            for c in byFirst[Int(p[i])] where c.bytes.count <= n - i {
                var k = 1
                while k < c.bytes.count && p[i + k] == c.bytes[k] { k += 1 }
                if k < c.bytes.count { continue }
                var start = i, stop = i + k
                i = stop
                let t = tokens[c.token]
                if t.singleWord {
                    let before = start > 0 && isWordChar(scalarAt(p, start - lastScalarLength(p, before: start)).0)
                    let after = stop < n && isWordChar(scalarAt(p, stop).0)
                    if before || after { continue scan }
                }
                if t.lstrip {
                    var s = start
                    while s > 0 { let l = lastScalarLength(p, before: s); if !isWS(scalarAt(p, s - l).0) { break }; s -= l }
                    start = max(s, startOffset)
                }
                if t.rstrip {
                    while stop < n { let (u, l) = scalarAt(p, stop); if !isWS(u) { break }; stop += l }
                }
                if startOffset < start { out.append(.text(startOffset, start)) }
                out.append(.token(t.id))
                startOffset = stop
                continue scan
            }
            i += 1
        }
        if startOffset < n { out.append(.text(startOffset, n)) }
    }
}

enum Segment { case text(Int, Int), token(Int32) }

final class Core: @unchecked Sendable {
    let model: BPE
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let post: PostProcessor?
    let decoder: Decoder?
    let added: [AddedToken]
    let addedById: [Int32: AddedToken]
    let specialContents: Set<String>
    let decodeText: [Int32: String]
    let raw: AddedMatcher, normalized: AddedMatcher
    let vocabSize: Int

    // Pre-token -> ids cache, used by whichever thread holds the lock (others encode without it).
    private let lock = NSLock()
    private var cache = ByteTable(capacity: 1 << 16)
    private var cacheSpans: [(Int32, Int32)] = []
    private var cacheIds: [Int32] = []
    static let cacheLimit = 1 << 18

    init(_ root: Node) throws {
        let m = try root.required("model")
        if let t = m.child("type") {
            let s = try t.string()
            guard s == "BPE" else { throw t.error("unsupported \(s.debugDescription) (only BPE models)") }
        }
        model = try BPE(m)
        normalizer = try root.child("normalizer").map(Normalizer.parse)
        var pre = try root.child("pre_tokenizer").map(PreTokenizer.parse)
        if let p = pre, p.endsWithByteLevel, model.enableRawMode() { pre = p.withoutFinalMapping() }
        preTokenizer = pre
        post = try root.child("post_processor").map(PostProcessor.parse)
        decoder = try root.child("decoder").map(Decoder.parse)
        for key in ["truncation", "padding"] where root.child(key) != nil {
            throw root.child(key)!.error("unsupported (st truncates and pads itself)")
        }

        var list: [AddedToken] = []
        for item in try root.child("added_tokens")?.items() ?? [] {
            let c = try item.string("content")
            list.append(AddedToken(id: Int32(try item.required("id").int()), content: c,
                                   special: try item.bool("special", default: false),
                                   singleWord: try item.bool("single_word", default: false),
                                   lstrip: try item.bool("lstrip", default: false),
                                   rstrip: try item.bool("rstrip", default: false),
                                   normalized: try item.bool("normalized", default: true)))
        }
        added = list
        var byId: [Int32: AddedToken] = [:]
        for t in list { byId[t.id] = t }
        addedById = byId
        specialContents = Set(list.filter(\.special).map(\.content))
        var texts: [Int32: String] = [:]
        for t in list {
            texts[t.id] = t.normalized ? normalizer.map { String(decoding: $0.apply(Array(t.content.utf8)), as: UTF8.self) } ?? t.content : t.content
        }
        decodeText = texts
        var r = AddedMatcher(), nm = AddedMatcher()
        for (i, t) in list.enumerated() where !t.content.isEmpty {
            if t.normalized {
                // Matched in normalized text, so against the normalized form of its own content.
                nm.add(normalizer.map { $0.apply(Array(t.content.utf8)) } ?? Array(t.content.utf8), i)
            } else { r.add(Array(t.content.utf8), i) }
        }
        raw = r; normalized = nm
        vocabSize = max(model.size, Int((list.map(\.id).max() ?? -1) + 1))
    }

    /// The ids of text; with `check`, also the first character the model drops (BPE.dropped).
    func encode(_ text: String, check: Bool = false) -> (ids: [Int32], dropped: [UInt8]?) {
        var bytes = Array(text.utf8)
        let cached = lock.try()
        defer { if cached { lock.unlock() } }
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        var state = EncodeState(cached: cached, check: check)
        var segments: [Segment] = []
        bytes.withUnsafeBufferPointer { p in
            if raw.isEmpty { segments.append(.text(0, p.count)) } else { raw.split(p, added, into: &segments) }
        }
        for seg in segments {
            switch seg {
            case .token(let id): out.append(id)
            case .text(let a, let b):
                guard normalizer != nil || !normalized.isEmpty else {
                    encodeText(&bytes, a, b, atOrigin: a == 0, &out, &state); continue
                }
                var norm = normalizer.map { $0.apply(Array(bytes[a..<b])) } ?? Array(bytes[a..<b])
                var sub: [Segment] = []
                norm.withUnsafeBufferPointer { p in
                    if normalized.isEmpty { sub.append(.text(0, p.count)) } else { normalized.split(p, added, into: &sub) }
                }
                for s in sub {
                    switch s {
                    case .token(let id): out.append(id)
                    case .text(let x, let y): encodeText(&norm, x, y, atOrigin: a == 0 && x == 0, &out, &state)
                    }
                }
            }
        }
        return (out, state.dropped)
    }

    struct EncodeState {
        let cached: Bool
        let check: Bool
        var dropped: [UInt8]? = nil
        var matches: [(Int, Int)] = []
        var cut: [(Int, Int)] = []
        var scratch: [Int32] = []
    }

    /// Pre-tokenizes text[a..<b] and appends the model's ids.
    private func encodeText(_ text: inout [UInt8], _ a: Int, _ b: Int, atOrigin: Bool, _ out: inout [Int32],
                            _ st: inout EncodeState) {
        guard b > a else { return }
        if let pre = preTokenizer {
            var list = PieceList(text: text, pieces: [Piece(start: a, end: b, atOrigin: atOrigin)])
            pre.apply(&list, &st.matches, &st.cut)
            list.text.withUnsafeBufferPointer { t in
                for piece in list.pieces { tokenize(UnsafeBufferPointer(rebasing: t[piece.start..<piece.end]), &out, &st) }
            }
        } else {
            text.withUnsafeBufferPointer { t in tokenize(UnsafeBufferPointer(rebasing: t[a..<b]), &out, &st) }
        }
    }

    @inline(__always)
    private func tokenize(_ p: UnsafeBufferPointer<UInt8>, _ out: inout [Int32], _ st: inout EncodeState) {
        if st.check && st.dropped == nil { st.dropped = model.dropped(p) }
        guard st.cached, p.count > 0 else { model.tokenize(p, into: &out, scratch: &st.scratch); return }
        if let e = cache.get(p.baseAddress!, p.count) {
            let (s, l) = cacheSpans[Int(e)]
            cacheIds.withUnsafeBufferPointer { out.append(contentsOf: $0[Int(s)..<Int(s + l)]) }
            return
        }
        let before = out.count
        model.tokenize(p, into: &out, scratch: &st.scratch)
        if cache.count >= Core.cacheLimit || cacheIds.count > 1 << 24 {
            cache = ByteTable(capacity: 1 << 16); cacheSpans.removeAll(keepingCapacity: true); cacheIds.removeAll(keepingCapacity: true)
        }
        cacheSpans.append((Int32(cacheIds.count), Int32(out.count - before)))
        cacheIds.append(contentsOf: out[before...])
        cache.set(p.baseAddress!, p.count, Int32(cacheSpans.count - 1))
    }
}
