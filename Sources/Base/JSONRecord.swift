// One JSON Lines record: the line's bytes plus its tape. Field access decodes only what is asked for.

/// A field path such as `verdict`, `meta.difficulty`, `tests[0]` or `meta["odd key"]`.
public struct FieldPath: Equatable, CustomStringConvertible {
    public enum Step: Equatable { case key(String), index(Int) }
    public var steps: [Step]
    public var text: String
    public var description: String { text }

    public init(steps: [Step], text: String) { self.steps = steps; self.text = text }

    /// Parses `a.b[0]["c d"]`. Keys are letters, digits, `_` and `-`; anything else goes in `["..."]`.
    public init(_ text: String) throws {
        self.text = text
        steps = []
        let s = Array(text.utf8)
        var i = 0
        func isKeyByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F || c == 0x2D || c >= 0x80
        }
        func fail(_ why: String) -> ToolInputError { ToolInputError("invalid field path '\(text)': \(why)") }
        while i < s.count {
            if s[i] == UInt8(ascii: "[") {
                i += 1
                if i < s.count, s[i] == UInt8(ascii: "\"") {
                    var j = i + 1
                    var key: [UInt8] = []
                    while j < s.count, s[j] != UInt8(ascii: "\"") {
                        if s[j] == UInt8(ascii: "\\"), j + 1 < s.count { j += 1 }
                        key.append(s[j]); j += 1
                    }
                    guard j + 1 < s.count, s[j + 1] == UInt8(ascii: "]") else { throw fail("unterminated [\"...\"]") }
                    steps.append(.key(String(decoding: key, as: UTF8.self)))
                    i = j + 2
                } else {
                    var j = i
                    while j < s.count, s[j] >= 0x30, s[j] <= 0x39 { j += 1 }
                    guard j > i, j < s.count, s[j] == UInt8(ascii: "]") else { throw fail("expected [index] or [\"key\"]") }
                    // Int() fails past Int.max (found by fuzzing): no array is that long.
                    guard let n = Int(String(decoding: s[i..<j], as: UTF8.self)) else { throw fail("index too large") }
                    steps.append(.index(n))
                    i = j + 1
                }
            } else {
                if s[i] == UInt8(ascii: ".") {
                    guard !steps.isEmpty else { throw fail("starts with '.'") }
                    i += 1
                }
                var j = i
                while j < s.count, isKeyByte(s[j]) { j += 1 }
                guard j > i else { throw fail("expected a field name at offset \(i)") }
                steps.append(.key(String(decoding: s[i..<j], as: UTF8.self)))
                i = j
            }
        }
        if steps.isEmpty { throw fail("empty") }
    }
}

public final class JSONRecord {
    /// The line without its terminator.
    public private(set) var bytes: [UInt8] = []
    var parser = TapeParser()
    public var tokens: [Token] { parser.tokens }

    package init() { bytes.reserveCapacity(4096) }

    /// Copies `line` in and parses it.
    package func load(_ line: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: line)
        try bytes.withUnsafeBufferPointer { b throws(JSONParseError) in try parser.parse(b) }
    }

    /// An independent copy that stays valid after the reader moves on.
    public func copy() -> JSONRecord {
        let r = JSONRecord()
        r.bytes = bytes
        r.parser = parser
        return r
    }

    public var isObject: Bool { parser.tokens.first?.kind == .object }

    /// The whole record as an ordered object.
    public func object() throws -> JSONObject {
        guard let o = value().object else { throw ToolInputError("record is not a JSON object") }
        return o
    }

    /// The whole record as a value.
    public func value() -> JSON {
        bytes.withUnsafeBufferPointer { materialize(parser.tokens, 0, $0) }
    }

    /// A top-level field, materialized.
    public subscript(key: String) -> JSON? {
        value(at: FieldPath(steps: [.key(key)], text: key))
    }

    /// The value of tape token `t`, materialized.
    public func value(atToken t: Int) -> JSON {
        bytes.withUnsafeBufferPointer { materialize(parser.tokens, t, $0) }
    }

    /// A key identifying the value of token `t`: decoded text for strings, exact JSON text otherwise.
    public func groupKey(_ t: Int) -> [UInt8] {
        let tok = parser.tokens[t]
        if tok.kind == .string {
            if !tok.escaped { return [0x22] + Array(bytes[Int(tok.start) + 1..<Int(tok.end) - 1]) }
            return [0x22] + Array(string(at: t).utf8)
        }
        return Array(bytes[Int(tok.start)..<Int(tok.end)])
    }

    public func value(at path: FieldPath) -> JSON? {
        guard let t = find(path) else { return nil }
        return bytes.withUnsafeBufferPointer { materialize(parser.tokens, t, $0) }
    }

    /// The tape index of the value at `path`, or nil when any step is missing.
    public func find(_ path: FieldPath) -> Int? {
        var t = 0
        for step in path.steps {
            guard let next = child(of: t, step) else { return nil }
            t = next
        }
        return t
    }

    /// Calls `body` for each top-level member in order with the raw bytes of its key (quotes included) and
    /// of its value, and the key's tape index.
    public func forEachMember(_ body: (_ keyToken: Int, _ rawKey: UnsafeBufferPointer<UInt8>,
                                       _ rawValue: UnsafeBufferPointer<UInt8>) -> Void) {
        let toks = parser.tokens
        bytes.withUnsafeBufferPointer { b in
            var i = 1
            while i < Int(toks[0].next) {
                let v = i + 1
                body(i, UnsafeBufferPointer(rebasing: b[Int(toks[i].start)..<Int(toks[i].end)]),
                     UnsafeBufferPointer(rebasing: b[Int(toks[v].start)..<Int(toks[v].end)]))
                i = Int(toks[v].next)
            }
        }
    }

    /// Tape index of the member `key` of object token `t`.
    public func member(of t: Int, _ key: String) -> Int? {
        child(of: t, .key(key))
    }

    func child(of t: Int, _ step: FieldPath.Step) -> Int? {
        let toks = parser.tokens
        guard t < toks.count else { return nil }
        let parent = toks[t]
        switch step {
        case .key(let key):
            guard parent.kind == .object else { return nil }
            var i = t + 1
            while i < Int(parent.next) {
                if stringEquals(i, key) { return i + 1 }
                i = Int(toks[i + 1].next)
            }
            return nil
        case .index(let n):
            guard parent.kind == .array else { return nil }
            var i = t + 1, k = 0
            while i < Int(parent.next) {
                if k == n { return i }
                i = Int(toks[i].next); k += 1
            }
            return nil
        }
    }

    /// Whether string token `t` decodes to `s`, without allocating when it has no escapes.
    public func stringEquals(_ t: Int, _ s: String) -> Bool {
        let tok = parser.tokens[t]
        guard tok.kind == .string else { return false }
        if tok.escaped { return string(at: t) == s }
        let lo = Int(tok.start) + 1, hi = Int(tok.end) - 1
        var s = s
        return s.withUTF8 { u in
            guard u.count == hi - lo else { return false }
            return bytes.withUnsafeBufferPointer { b in
                u.count == 0 || memcmp(b.baseAddress! + lo, u.baseAddress!, u.count) == 0
            }
        }
    }

    /// The decoded text of string token `t`.
    public func string(at t: Int) -> String {
        bytes.withUnsafeBufferPointer { decodeString(parser.tokens[t], $0) }
    }

    /// The number of Unicode code points in string token `t` (what Python's len() gives).
    public func codePointCount(at t: Int) -> Int {
        let tok = parser.tokens[t]
        let lo = Int(tok.start) + 1, hi = Int(tok.end) - 1
        return bytes.withUnsafeBufferPointer { b in
            // An escape is one code point however many bytes it spans (\n: 2, \u00e9: 6, a surrogate pair: 12).
            var escapeExtra = 0
            if tok.escaped {
                var i = lo
                while i < hi, let hit = memchr(b.baseAddress! + i, 0x5C, hi - i) {
                    let k = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
                    if b[k + 1] == UInt8(ascii: "u") {
                        let highSurrogate = b[k + 2] | 0x20 == UInt8(ascii: "d") && (hexValue(b[k + 3]) ?? 0) >= 8
                        escapeExtra += highSurrogate ? 11 : 5
                        i = k + (highSurrogate ? 12 : 6)
                    } else {
                        escapeExtra += 1
                        i = k + 2
                    }
                }
            }
            // Count the bytes that start a code point: all but continuation bytes (10xxxxxx), 8 at a time.
            let p = UnsafeRawPointer(b.baseAddress!)
            var i = lo, continuation = 0
            let high: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= hi {
                let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                continuation += ((w & high) & ~(w << 1)).nonzeroBitCount
                i += 8
            }
            while i < hi { if b[i] & 0xC0 == 0x80 { continuation += 1 }; i += 1 }
            return hi - lo - continuation - escapeExtra
        }
    }

    /// The raw bytes of token `t` (for numbers: the number exactly as written).
    public func raw(_ t: Int) -> ArraySlice<UInt8> {
        let tok = parser.tokens[t]
        return bytes[Int(tok.start)..<Int(tok.end)]
    }

    /// Number token `t` as a Double (nil for non-numbers).
    public func number(at t: Int) -> Double? {
        let tok = parser.tokens[t]
        guard tok.kind == .number else { return nil }
        return parseDouble(bytes, Int(tok.start), Int(tok.end))
    }
}

/// Parses a validated JSON number. Plain integers up to 15 digits take a fast path; the rest use strtod.
func parseDouble(_ bytes: [UInt8], _ lo: Int, _ hi: Int) -> Double {
    var i = lo, neg = false
    if bytes[i] == UInt8(ascii: "-") { neg = true; i += 1 }
    if hi - i <= 15 {
        var v: Int64 = 0, simple = true
        for k in i..<hi {
            let d = bytes[k] &- 0x30
            if d > 9 { simple = false; break }
            v = v * 10 + Int64(d)
        }
        if simple { return neg ? -Double(v) : Double(v) }
    }
    var buf = [CChar](repeating: 0, count: hi - lo + 1)
    for k in lo..<hi { buf[k - lo] = CChar(bitPattern: bytes[k]) }
    return strtod(buf, nil)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
