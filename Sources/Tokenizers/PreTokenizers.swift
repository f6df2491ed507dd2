// Pre-tokenizers: cut normalized text into pre-tokens (the unit BPE merges within). Pieces are byte
// ranges into one buffer; steps that only split keep the buffer, steps that rewrite text build a new one.

struct Piece {
    var start: Int
    var end: Int
    /// Starts at offset 0 of the original input (Metaspace's prepend_scheme "first" looks at this).
    var atOrigin: Bool
}

struct PieceList {
    var text: [UInt8]
    var pieces: [Piece]
}

enum PrependScheme: String { case first, always, never }

indirect enum PreTokenizer {
    /// mapBytes false: the mapping to ByteLevel's alphabet is left to the model (BPE raw-byte mode).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool, mapBytes: Bool)
    case split(any Pattern, SplitBehavior, invert: Bool)
    case metaspace(replacement: [UInt8], scheme: PrependScheme, split: Bool)
    case sequence([PreTokenizer])

    static let supported = ["ByteLevel", "Split", "Digits", "Metaspace", "Whitespace", "WhitespaceSplit", "Punctuation", "Sequence"]

    static func parse(_ n: Node) throws -> PreTokenizer {
        func behavior(_ key: String, _ d: SplitBehavior) throws -> SplitBehavior {
            guard let b = n.child(key) else { return d }
            let s = try b.string()
            // The library spells them in PascalCase in some versions ("Isolated", "MergedWithPrevious").
            let snake = s.reduce(into: "") { r, c in if c.isUppercase && !r.isEmpty { r.append("_") }; r.append(Character(c.lowercased())) }
            guard let v = SplitBehavior(rawValue: snake) else { throw b.error("unsupported behavior \(s.debugDescription)") }
            return v
        }
        switch try n.type(supported) {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try n.bool("add_prefix_space", default: true),
                              useRegex: try n.bool("use_regex", default: true), mapBytes: true)
        case "Split":
            return .split(try n.required("pattern").pattern(), try behavior("behavior", .isolated),
                          invert: try n.bool("invert", default: false))
        case "Digits":
            return .split(CharPattern(test: { isN($0) }), try n.bool("individual_digits", default: false) ? .isolated : .contiguous, invert: false)
        case "Metaspace":
            let r = try n.child("replacement")?.string() ?? "\u{2581}"
            guard r.unicodeScalars.count == 1 else { throw try n.required("replacement").error("expected one character") }
            var scheme = PrependScheme.always
            if let s = n.child("prepend_scheme") {
                guard let v = PrependScheme(rawValue: try s.string()) else { throw s.error("unsupported \(try s.string().debugDescription)") }
                scheme = v
            } else if let a = n.child("add_prefix_space") {
                scheme = try a.bool() ? .always : .never
            }
            return .metaspace(replacement: Array(r.utf8), scheme: scheme, split: try n.bool("split", default: true))
        case "Whitespace":
            return .split(WordsPattern(), .removed, invert: true)
        case "WhitespaceSplit":
            return .split(CharPattern(test: { isWS($0) }), .removed, invert: false)
        case "Punctuation":
            return .split(CharPattern(test: { isPunc($0) }), try behavior("behavior", .isolated), invert: false)
        default:
            return .sequence(try n.required("pretokenizers").items().map(parse))
        }
    }

    /// Whether the last step that touches text is ByteLevel (then its mapping can move into the model).
    var endsWithByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let s): return s.last?.endsWithByteLevel ?? false
        default: return false
        }
    }

    /// The same pre-tokenizer with the final ByteLevel's mapping left out.
    func withoutFinalMapping() -> PreTokenizer {
        switch self {
        case .byteLevel(let a, let r, _): return .byteLevel(addPrefixSpace: a, useRegex: r, mapBytes: false)
        case .sequence(var s): s[s.count - 1] = s[s.count - 1].withoutFinalMapping(); return .sequence(s)
        default: return self
        }
    }

    func apply(_ list: inout PieceList, _ m: inout [(Int, Int)], _ cut: inout [(Int, Int)]) {
        switch self {
        case .sequence(let steps):
            for s in steps { s.apply(&list, &m, &cut) }
        case .split(let pattern, let behavior, let invert):
            splitAll(&list, pattern, behavior, invert, &m, &cut)
        case .byteLevel(let addPrefixSpace, let useRegex, let mapBytes):
            if addPrefixSpace && list.pieces.contains(where: { list.text[$0.start] != 0x20 }) {
                rewrite(&list) { bytes, out in
                    if bytes.first != 0x20 { out.append(0x20) }
                    out.append(contentsOf: bytes)
                }
            }
            if useRegex { splitAll(&list, GPT2Pattern(), .isolated, false, &m, &cut) }
            if mapBytes { rewrite(&list) { bytes, out in for b in bytes { out.append(contentsOf: byteLevelChars[Int(b)]) } } }
        case .metaspace(let rep, let scheme, let splitOn):
            rewrite(&list) { bytes, out, atOrigin in
                var body: [UInt8] = []
                for b in bytes { if b == 0x20 { body.append(contentsOf: rep) } else { body.append(b) } }
                let prepend = scheme == .always || (scheme == .first && atOrigin)
                if prepend && !body.starts(with: rep) { out.append(contentsOf: rep) }
                out.append(contentsOf: body)
            }
            if splitOn { splitAll(&list, LiteralPattern(needle: rep), .mergedWithNext, false, &m, &cut) }
        }
    }

    private func splitAll(_ list: inout PieceList, _ pattern: any Pattern, _ behavior: SplitBehavior, _ invert: Bool,
                          _ m: inout [(Int, Int)], _ cut: inout [(Int, Int)]) {
        var pieces: [Piece] = []
        pieces.reserveCapacity(list.pieces.count * 4)
        list.text.withUnsafeBufferPointer { t in
            for piece in list.pieces {
                cut.removeAll(keepingCapacity: true)
                splitPattern(UnsafeBufferPointer(rebasing: t[piece.start..<piece.end]), pattern, behavior, invert: invert, matches: &m, into: &cut)
                for (a, b) in cut { pieces.append(Piece(start: piece.start + a, end: piece.start + b, atOrigin: piece.atOrigin && a == 0)) }
            }
        }
        list.pieces = pieces
    }

    private func rewrite(_ list: inout PieceList, _ f: (ArraySlice<UInt8>, inout [UInt8]) -> Void) {
        rewrite(&list) { b, out, _ in f(b, &out) }
    }

    private func rewrite(_ list: inout PieceList, _ f: (ArraySlice<UInt8>, inout [UInt8], Bool) -> Void) {
        var text: [UInt8] = []
        text.reserveCapacity(list.text.count + list.pieces.count)
        var pieces: [Piece] = []
        for p in list.pieces {
            let s = text.count
            f(list.text[p.start..<p.end], &text, p.atOrigin)
            if text.count > s { pieces.append(Piece(start: s, end: text.count, atOrigin: p.atOrigin)) }
        }
        list = PieceList(text: text, pieces: pieces)
    }
}
