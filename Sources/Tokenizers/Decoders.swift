// Decoders: token strings back to text, step by step over the list of strings, as the library chains them.

indirect enum Decoder {
    case byteLevel
    case metaspace(replacement: Unicode.Scalar, scheme: PrependScheme)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(any Pattern, String)
    case sequence([Decoder])

    static func parse(_ n: Node) throws -> Decoder {
        switch try n.type(["ByteLevel", "Metaspace", "ByteFallback", "Fuse", "Strip", "Replace", "Sequence"]) {
        case "ByteLevel": return .byteLevel
        case "Metaspace":
            let r = try n.child("replacement")?.string() ?? "\u{2581}"
            guard let u = r.unicodeScalars.first, r.unicodeScalars.count == 1 else { throw try n.required("replacement").error("expected one character") }
            var scheme = PrependScheme.always
            if let s = n.child("prepend_scheme") {
                guard let v = PrependScheme(rawValue: try s.string()) else { throw s.error("unsupported \(try s.string().debugDescription)") }
                scheme = v
            } else if let a = n.child("add_prefix_space") { scheme = try a.bool() ? .always : .never }
            return .metaspace(replacement: u, scheme: scheme)
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            let c = try n.string("content")
            guard let u = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { throw try n.required("content").error("expected one character") }
            return .strip(content: u, start: try n.required("start").int(), stop: try n.required("stop").int())
        case "Replace": return .replace(try n.required("pattern").pattern(), try n.string("content"))
        default: return .sequence(try n.required("decoders").items().map(parse))
        }
    }

    func apply(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                let start = bytes.count
                var ok = true
                for u in t.unicodeScalars {
                    guard let b = byteLevelCharToByte[u.value] else { ok = false; break }
                    bytes.append(b)
                }
                // A token outside the alphabet (an added token like "▁" or CJK) is taken as its own UTF-8.
                if !ok { bytes.removeLast(bytes.count - start); bytes.append(contentsOf: t.utf8) }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .metaspace(let rep, let scheme):
            return tokens.enumerated().map { i, t in
                var s = String.UnicodeScalarView()
                for u in t.unicodeScalars {
                    if u == rep { if !(i == 0 && scheme != .never) { s.append(" ") } } else { s.append(u) }
                }
                return String(s)
            }
        case .byteFallback:
            var out: [String] = [], pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                let s = String(decoding: pending, as: UTF8.self)
                if Array(s.utf8) == pending { out.append(s) }
                else { out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count)) }
                pending.removeAll()
            }
            for t in tokens {
                let u = Array(t.utf8)
                if u.count == 6 && t.hasPrefix("<0x") && u[5] == 0x3E, let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) {
                    pending.append(b)
                } else { flush(); out.append(t) }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .strip(let c, let start, let stop):
            return tokens.map { t in
                let chars = Array(t.unicodeScalars)
                var a = 0
                for i in 0..<min(start, chars.count) { if chars[i] == c { a = i + 1 } else { break } }
                var b = chars.count
                for i in 0..<min(stop, chars.count) {
                    let k = chars.count - i - 1
                    if chars[k] == c { b = k } else { break }
                }
                var s = String.UnicodeScalarView()
                if a < b { s.append(contentsOf: chars[a..<b]) }
                return String(s)
            }
        case .replace(let pattern, let content):
            return tokens.map { t in
                let bytes = Array(t.utf8)
                return bytes.withUnsafeBufferPointer { p in
                    var m: [(Int, Int)] = []
                    pattern.matches(p, into: &m)
                    var out: [UInt8] = [], prev = 0
                    for (a, b) in m { out.append(contentsOf: p[prev..<a]); out.append(contentsOf: content.utf8); prev = b }
                    out.append(contentsOf: p[prev...])
                    return String(decoding: out, as: UTF8.self)
                }
            }
        case .sequence(let steps):
            var t = tokens
            for s in steps { t = s.apply(t) }
            return t
        }
    }
}

/// Post-processors: what `add_special_tokens` adds around an encoding (single sequences).
indirect enum PostProcessor {
    /// Template pieces: an id list for a special token, nil for the sequence itself.
    case template([[Int32]?])
    case identity
    case sequence([PostProcessor])

    static func parse(_ n: Node) throws -> PostProcessor {
        switch try n.type(["TemplateProcessing", "ByteLevel", "Sequence"]) {
        case "TemplateProcessing":
            var specials: [String: [Int32]] = [:]
            if let sp = n.child("special_tokens") {
                for (name, v) in try sp.members() { specials[name] = try v.required("ids").items().map { Int32(try $0.int()) } }
            }
            var pieces: [[Int32]?] = []
            for item in try n.required("single").items() {
                if let s = item.child("SpecialToken") {
                    let name = try s.string("id")
                    guard let ids = specials[name] else { throw s.error("\(name.debugDescription) is not in special_tokens") }
                    pieces.append(ids)
                } else if item.child("Sequence") != nil {
                    pieces.append(nil)
                } else { throw item.error("expected SpecialToken or Sequence") }
            }
            return .template(pieces)
        case "ByteLevel": return .identity
        default: return .sequence(try n.required("processors").items().map(parse))
        }
    }

    func apply(_ ids: [Int32]) -> [Int32] {
        switch self {
        case .identity: return ids
        case .template(let pieces):
            var out: [Int32] = []
            for p in pieces { if let p { out.append(contentsOf: p) } else { out.append(contentsOf: ids) } }
            return out
        case .sequence(let steps):
            var t = ids
            for s in steps { t = s.apply(t) }
            return t
        }
    }

    /// Leading and trailing special ids the template adds (to infer add_bos / add_eos).
    var added: (leading: [Int32], trailing: [Int32]) {
        switch self {
        case .identity: return ([], [])
        case .template(let pieces):
            guard let a = pieces.firstIndex(where: { $0 == nil }) else { return (pieces.compactMap { $0 }.flatMap { $0 }, []) }
            return (pieces[..<a].compactMap { $0 }.flatMap { $0 }, pieces[(a + 1)...].compactMap { $0 }.flatMap { $0 })
        case .sequence(let steps):
            var l: [Int32] = [], t: [Int32] = []
            for s in steps { let x = s.added; l = x.leading + l; t += x.trailing }
            return (l, t)
        }
    }
}
