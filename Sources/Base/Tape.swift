// A validating byte-level JSON parser that writes a flat "tape" of tokens instead of a tree.
//
// Why a tape: most tools look at one or two fields of a record and pass the rest through untouched, so
// the hot path must not allocate a String or a dictionary per value. The tape records where every value
// lies in the line's bytes; values are decoded only when someone asks (JSONRecord, FieldPath).
//
// Conformance: RFC 8259 grammar, UTF-8 validated (overlongs, surrogates and code points past U+10FFFF
// rejected), `\u` escapes checked (a high surrogate must be followed by a low one), nesting limited to
// 512 levels. Numbers are validated but kept as their bytes, so 2^64 or 1e400 pass through exactly.

public enum TokenKind: UInt8 {
    case object = 1, array, string, number, `true`, `false`, null
}

/// One value on the tape. `start..<end` is its full extent in the line (quotes included for strings);
/// `next` is the index of the first token after this value's subtree, so siblings are one hop apart.
public struct Token {
    public var kind: TokenKind
    /// For strings: true when the text contains a backslash escape (decoding needed).
    public var escaped: Bool
    public var start: Int32
    public var end: Int32
    public var next: Int32
}

public struct JSONParseError: Error {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) { self.offset = offset; self.message = message }
}

/// Parses one JSON text into `tokens` (cleared first). Object members appear as key token, value tokens.
public struct TapeParser {
    public private(set) var tokens: [Token] = []
    public static let maxDepth = 512

    public init() { tokens.reserveCapacity(256) }

    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        tokens.removeAll(keepingCapacity: true)
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(offset: 0, message: "empty line")
        }
        var i = skipSpace(base, 0, bytes.count)
        if i == bytes.count { throw JSONParseError(offset: 0, message: "empty line") }
        i = try value(base, i, bytes.count, depth: 0)
        i = skipSpace(base, i, bytes.count)
        if i != bytes.count {
            throw JSONParseError(offset: i, message: "unexpected \(describe(base[i])) after the JSON value")
        }
    }

    @inline(__always)
    private func skipSpace(_ p: UnsafePointer<UInt8>, _ i0: Int, _ n: Int) -> Int {
        var i = i0
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
        return i
    }

    private mutating func value(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, depth: Int) throws(JSONParseError) -> Int {
        switch p[i] {
        case UInt8(ascii: "\""): return try string(p, i, n)
        case UInt8(ascii: "{"): return try object(p, i, n, depth: depth + 1)
        case UInt8(ascii: "["): return try array(p, i, n, depth: depth + 1)
        case UInt8(ascii: "t"): return try literal(p, i, n, "true", .true)
        case UInt8(ascii: "f"): return try literal(p, i, n, "false", .false)
        case UInt8(ascii: "n"): return try literal(p, i, n, "null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(p, i, n)
        default: throw JSONParseError(offset: i, message: "unexpected \(describe(p[i])), expected a JSON value")
        }
    }

    private mutating func literal(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ word: StaticString,
                                  _ kind: TokenKind) throws(JSONParseError) -> Int {
        let len = word.utf8CodeUnitCount
        let w = word.utf8Start
        if i + len > n { throw JSONParseError(offset: i, message: "invalid literal, expected \(word)") }
        for k in 0..<len where p[i + k] != w[k] {
            throw JSONParseError(offset: i + k, message: "invalid literal, expected \(word)")
        }
        tokens.append(Token(kind: kind, escaped: false, start: Int32(i), end: Int32(i + len),
                            next: Int32(tokens.count + 1)))
        return i + len
    }

    private mutating func number(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONParseError) -> Int {
        var i = start
        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n, isDigit(p[i]) else { throw JSONParseError(offset: i, message: "invalid number: expected a digit") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < n, isDigit(p[i]) { throw JSONParseError(offset: i, message: "invalid number: leading zero") }
        } else {
            while i < n, isDigit(p[i]) { i += 1 }
        }
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, isDigit(p[i]) else { throw JSONParseError(offset: i, message: "invalid number: expected a digit after '.'") }
            while i < n, isDigit(p[i]) { i += 1 }
        }
        if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < n, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < n, isDigit(p[i]) else { throw JSONParseError(offset: i, message: "invalid number: expected an exponent") }
            while i < n, isDigit(p[i]) { i += 1 }
        }
        tokens.append(Token(kind: .number, escaped: false, start: Int32(start), end: Int32(i), next: Int32(tokens.count + 1)))
        return i
    }

    private mutating func string(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONParseError) -> Int {
        var i = start + 1
        var escaped = false
        while true {
            // Skip plain ASCII 8 bytes at a time (SWAR: bit tricks on a 64-bit word, which compile to a few
            // instructions on any CPU; Swift's generic SIMD compares do not).
            while i + 8 <= n {
                if hasSpecialByte(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { break }
                i += 8
            }
            guard i < n else { throw JSONParseError(offset: start, message: "unterminated string") }
            let c = p[i]
            if c == 0x22 { break }
            if c == 0x5C {
                escaped = true
                i = try escape(p, i, n)
            } else if c < 0x20 {
                throw JSONParseError(offset: i, message: "control character U+\(hex4(UInt32(c))) in string (must be escaped)")
            } else if c < 0x80 {
                i += 1
            } else {
                i = try utf8(p, i, n)
            }
        }
        tokens.append(Token(kind: .string, escaped: escaped, start: Int32(start), end: Int32(i + 1),
                            next: Int32(tokens.count + 1)))
        return i + 1
    }

    /// Validates one escape at p[i] == '\\'; returns the index after it.
    private func escape(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) throws(JSONParseError) -> Int {
        guard i + 1 < n else { throw JSONParseError(offset: i, message: "unterminated string") }
        switch p[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            let u = try hexEscape(p, i, n)
            if u >= 0xDC00 && u <= 0xDFFF {
                throw JSONParseError(offset: i, message: "invalid \\u escape: lone low surrogate")
            }
            if u >= 0xD800 && u <= 0xDBFF {
                guard i + 7 < n, p[i + 6] == 0x5C, p[i + 7] == UInt8(ascii: "u") else {
                    throw JSONParseError(offset: i, message: "invalid \\u escape: high surrogate without a low surrogate")
                }
                let lo = try hexEscape(p, i + 6, n)
                guard lo >= 0xDC00 && lo <= 0xDFFF else {
                    throw JSONParseError(offset: i + 6, message: "invalid \\u escape: high surrogate without a low surrogate")
                }
                return i + 12
            }
            return i + 6
        default:
            throw JSONParseError(offset: i, message: "invalid escape \\\(describe(p[i + 1]))")
        }
    }

    private func hexEscape(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) throws(JSONParseError) -> UInt32 {
        guard i + 6 <= n else { throw JSONParseError(offset: i, message: "invalid \\u escape: expected 4 hex digits") }
        var u: UInt32 = 0
        for k in 2..<6 {
            guard let d = hexValue(p[i + k]) else {
                throw JSONParseError(offset: i + k, message: "invalid \\u escape: expected 4 hex digits")
            }
            u = u << 4 | d
        }
        return u
    }

    /// Validates one multi-byte UTF-8 sequence starting at p[i] (>= 0x80); returns the index after it.
    private func utf8(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) throws(JSONParseError) -> Int {
        let c = p[i]
        @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && p[i + k] & 0xC0 == 0x80 }
        if c >= 0xC2 && c <= 0xDF {
            if cont(1) { return i + 2 }
        } else if c >= 0xE0 && c <= 0xEF {
            if cont(1) && cont(2) {
                let b1 = p[i + 1]
                if c == 0xE0 && b1 < 0xA0 { throw JSONParseError(offset: i, message: "invalid UTF-8 (overlong encoding)") }
                if c == 0xED && b1 >= 0xA0 { throw JSONParseError(offset: i, message: "invalid UTF-8 (encoded surrogate)") }
                return i + 3
            }
        } else if c >= 0xF0 && c <= 0xF4 {
            if cont(1) && cont(2) && cont(3) {
                let b1 = p[i + 1]
                if c == 0xF0 && b1 < 0x90 { throw JSONParseError(offset: i, message: "invalid UTF-8 (overlong encoding)") }
                if c == 0xF4 && b1 >= 0x90 { throw JSONParseError(offset: i, message: "invalid UTF-8 (code point past U+10FFFF)") }
                return i + 4
            }
        }
        throw JSONParseError(offset: i, message: "invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true))")
    }

    private mutating func object(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, depth: Int) throws(JSONParseError) -> Int {
        if depth > TapeParser.maxDepth { throw JSONParseError(offset: start, message: "nesting deeper than \(TapeParser.maxDepth)") }
        let me = tokens.count
        tokens.append(Token(kind: .object, escaped: false, start: Int32(start), end: 0, next: 0))
        var i = skipSpace(p, start + 1, n)
        if i < n, p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                guard i < n else { throw JSONParseError(offset: start, message: "unterminated object") }
                guard p[i] == 0x22 else { throw JSONParseError(offset: i, message: "unexpected \(describe(p[i])), expected a string key") }
                i = try string(p, i, n)
                i = skipSpace(p, i, n)
                guard i < n, p[i] == UInt8(ascii: ":") else {
                    throw JSONParseError(offset: min(i, n - 1), message: i < n ? "unexpected \(describe(p[i])), expected ':'" : "unterminated object")
                }
                i = skipSpace(p, i + 1, n)
                guard i < n else { throw JSONParseError(offset: start, message: "unterminated object") }
                i = try value(p, i, n, depth: depth)
                i = skipSpace(p, i, n)
                guard i < n else { throw JSONParseError(offset: start, message: "unterminated object") }
                if p[i] == UInt8(ascii: ",") { i = skipSpace(p, i + 1, n); continue }
                if p[i] == UInt8(ascii: "}") { i += 1; break }
                throw JSONParseError(offset: i, message: "unexpected \(describe(p[i])), expected ',' or '}'")
            }
        }
        tokens[me].end = Int32(i)
        tokens[me].next = Int32(tokens.count)
        return i
    }

    private mutating func array(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, depth: Int) throws(JSONParseError) -> Int {
        if depth > TapeParser.maxDepth { throw JSONParseError(offset: start, message: "nesting deeper than \(TapeParser.maxDepth)") }
        let me = tokens.count
        tokens.append(Token(kind: .array, escaped: false, start: Int32(start), end: 0, next: 0))
        var i = skipSpace(p, start + 1, n)
        if i < n, p[i] == UInt8(ascii: "]") {
            i += 1
        } else {
            while true {
                guard i < n else { throw JSONParseError(offset: start, message: "unterminated array") }
                i = try value(p, i, n, depth: depth)
                i = skipSpace(p, i, n)
                guard i < n else { throw JSONParseError(offset: start, message: "unterminated array") }
                if p[i] == UInt8(ascii: ",") { i = skipSpace(p, i + 1, n); continue }
                if p[i] == UInt8(ascii: "]") { i += 1; break }
                throw JSONParseError(offset: i, message: "unexpected \(describe(p[i])), expected ',' or ']'")
            }
        }
        tokens[me].end = Int32(i)
        tokens[me].next = Int32(tokens.count)
        return i
    }
}

/// Whether any byte of `w` is '"', '\\', a control character (< 0x20) or non-ASCII (>= 0x80).
/// haszero(x) = (x - 0x01…) & ~x & 0x80… flags a zero byte; it may also flag bytes >= 0x80, which are
/// "special" anyway, so the test never misses and rarely over-reports.
@inline(__always) func hasSpecialByte(_ w: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let high: UInt64 = 0x8080_8080_8080_8080
    let q = w ^ (ones &* 0x22)
    let b = w ^ (ones &* 0x5C)
    let zeroQ = (q &- ones) & ~q
    let zeroB = (b &- ones) & ~b
    let control = (w &- ones &* 0x20) & ~w
    return ((zeroQ | zeroB | control) & high) | (w & high) != 0
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt32? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - 0x30)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - 0x61 + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - 0x41 + 10)
    default: return nil
    }
}

func hex4(_ u: UInt32) -> String {
    let s = String(u, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

func describe(_ c: UInt8) -> String {
    if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
    return "byte 0x\(String(c, radix: 16, uppercase: true))"
}
