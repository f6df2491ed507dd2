// Normalizers: text-to-text steps applied before pre-tokenization (and to added tokens marked normalized).
import Foundation

enum Normalizer {
    case nfc, nfd, nfkc, nfkd, lowercase
    case strip(left: Bool, right: Bool)
    case replace(any Pattern, [UInt8])
    case prepend([UInt8])
    case sequence([Normalizer])

    static func parse(_ n: Node) throws -> Normalizer {
        switch try n.type(["NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip", "Replace", "Prepend", "Sequence"]) {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Strip": return .strip(left: try n.bool("strip_left", default: true), right: try n.bool("strip_right", default: true))
        case "Replace": return .replace(try n.required("pattern").pattern(), Array(try n.string("content").utf8))
        case "Prepend": return .prepend(Array(try n.string("prepend").utf8))
        default: return .sequence(try n.required("normalizers").items().map(parse))
        }
    }

    func apply(_ s: [UInt8]) -> [UInt8] {
        switch self {
        case .nfc, .nfd, .nfkc, .nfkd:
            if s.allSatisfy({ $0 < 0x80 }) { return s }
            let str = String(decoding: s, as: UTF8.self)
            let r: String
            switch self {
            case .nfc: r = str.precomposedStringWithCanonicalMapping
            case .nfd: r = str.decomposedStringWithCanonicalMapping
            case .nfkc: r = str.precomposedStringWithCompatibilityMapping
            default: r = str.decomposedStringWithCompatibilityMapping
            }
            return Array(r.utf8)
        case .lowercase:
            // Per character, as Rust's char::to_lowercase (no final-sigma context).
            if s.allSatisfy({ $0 < 0x80 }) { return s.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 } }
            var out: [UInt8] = []
            for u in String(decoding: s, as: UTF8.self).unicodeScalars {
                if u.isASCII { out.append(u.value &- 0x41 < 26 ? UInt8(u.value) | 0x20 : UInt8(u.value)) }
                else { out.append(contentsOf: u.properties.lowercaseMapping.utf8) }
            }
            return out
        case .strip(let left, let right):
            return s.withUnsafeBufferPointer { p in
                var a = 0, b = p.count
                if left { while a < b { let (u, l) = scalarAt(p, a); if !isWS(u) { break }; a += l } }
                if right { while b > a { let l = lastScalarLength(p, before: b); if !isWS(scalarAt(p, b - l).0) { break }; b -= l } }
                return Array(p[a..<b])
            }
        case .replace(let pattern, let content):
            return s.withUnsafeBufferPointer { p in
                var m: [(Int, Int)] = []
                pattern.matches(p, into: &m)
                if m.isEmpty { return s }
                var out: [UInt8] = [], prev = 0
                for (a, b) in m { out.append(contentsOf: p[prev..<a]); out.append(contentsOf: content); prev = b }
                out.append(contentsOf: p[prev...])
                return out
            }
        case .prepend(let pre):
            return s.isEmpty ? s : pre + s
        case .sequence(let steps):
            var t = s
            for step in steps { t = step.apply(t) }
            return t
        }
    }
}
