// Materialized JSON values, for code that builds or inspects records as a whole (verifiers, metrics).
// The hot path (filtering, pass-through) stays on the tape; see Tape.swift and JSONRecord.swift.

/// A JSON value. Numbers keep their text exactly as written, so `18.00`, `2^64` and `1e400` survive a
/// round trip; use `double` / `int` to read them.
public enum JSON: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public init(_ s: String) { self = .string(s) }
    public init(_ i: Int) { self = .number(String(i)) }
    public init(_ b: Bool) { self = .bool(b) }
    /// Shortest text that reads back as the same Double; NaN and infinities have no JSON form and become null.
    public init(_ d: Double) {
        guard d.isFinite else { self = .null; return }
        if d == d.rounded(), abs(d) < 1e15 { self = .number(String(Int64(d))); return }
        self = .number(d.description)
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var double: Double? { if case .number(let s) = self { return Double(s) }; return nil }
    public var int: Int? {
        guard case .number(let s) = self else { return nil }
        if let i = Int(s) { return i }
        if let d = Double(s), d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { self == .null }

    /// Compact JSON text.
    public func serialized() -> String {
        var out = ByteWriter()
        out.write(self)
        return out.string
    }

    /// One member per line, indented two spaces, each value on its line with `, ` and `: ` between items,
    /// and a final newline: the layout of the model files st writes (config.json, st-tokenizer.json), the one
    /// Python's json.dumps(indent=2) gives for an object of scalars and short one-line values.
    public func formatted() -> String {
        guard case .object(let o) = self, !o.isEmpty else { return serialized() + "\n" }
        var out = ByteWriter()
        out.append("{\n")
        for i in 0..<o.count {
            out.append("  ")
            out.writeString(o.keys[i])
            out.append(": ")
            out.write(o.values[i], spaced: true)
            out.append(i + 1 < o.count ? ",\n" : "\n")
        }
        out.append("}\n")
        return out.string
    }

    /// Parses one complete JSON text.
    public static func parse(_ text: String, file: String = "<string>") throws -> JSON {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses one complete JSON text from its bytes (a file's contents); errors name `file`, line 1 and the
    /// byte offset as the column.
    public static func parse(bytes: [UInt8], file: String = "<string>") throws -> JSON {
        try bytes.withUnsafeBufferPointer { buf in
            var parser = TapeParser()
            do throws(JSONParseError) { try parser.parse(buf) } catch {
                throw DataError(file: file, line: 1, column: error.offset + 1, message: error.message)
            }
            return materialize(parser.tokens, 0, buf)
        }
    }
}

/// A JSON object with its members in their original order. Keys are unique in what st writes; when input
/// repeats a key, lookup finds the first.
public struct JSONObject: Equatable, Sequence {
    public private(set) var keys: [String] = []
    public private(set) var values: [JSON] = []

    public init() {}
    public init(_ pairs: [(String, JSON)]) {
        for (k, v) in pairs { self[k] = v }
    }
    /// Appends without checking for an existing key (used by the parser to keep input exactly).
    mutating func append(_ key: String, _ value: JSON) {
        keys.append(key); values.append(value)
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Setting replaces a member in place or appends it; setting nil removes it.
    public subscript(key: String) -> JSON? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let i = keys.firstIndex(of: key) {
                if let v = newValue { values[i] = v } else { keys.remove(at: i); values.remove(at: i) }
            } else if let v = newValue {
                keys.append(key); values.append(v)
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: String, value: JSON)> {
        var i = 0
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], values[i])
        }
    }
}

/// Builds a JSON value from the tape token at `index`.
func materialize(_ tokens: [Token], _ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> JSON {
    let t = tokens[index]
    switch t.kind {
    case .null: return .null
    case .true: return .bool(true)
    case .false: return .bool(false)
    case .number:
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(t.start)..<Int(t.end)]), as: UTF8.self))
    case .string: return .string(decodeString(t, bytes))
    case .array:
        var items: [JSON] = []
        var i = index + 1
        while i < Int(t.next) {
            items.append(materialize(tokens, i, bytes))
            i = Int(tokens[i].next)
        }
        return .array(items)
    case .object:
        var obj = JSONObject()
        var i = index + 1
        while i < Int(t.next) {
            let key = decodeString(tokens[i], bytes)
            let v = i + 1
            obj.append(key, materialize(tokens, v, bytes))
            i = Int(tokens[v].next)
        }
        return .object(obj)
    }
}

/// Decodes a string token's text (escapes resolved). The parser has already validated it.
func decodeString(_ t: Token, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
    let lo = Int(t.start) + 1, hi = Int(t.end) - 1
    if !t.escaped {
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[lo..<hi]), as: UTF8.self)
    }
    var out: [UInt8] = []
    out.reserveCapacity(hi - lo)
    unescape(bytes, lo, hi, into: &out)
    return String(decoding: out, as: UTF8.self)
}

/// Resolves the escapes of validated string content bytes[lo..<hi] into UTF-8.
func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, into out: inout [UInt8]) {
    var i = lo
    func hex(_ at: Int) -> UInt32 {
        var u: UInt32 = 0
        for k in 0..<4 { u = u << 4 | (hexValue(bytes[at + k]) ?? 0) }
        return u
    }
    while i < hi {
        let c = bytes[i]
        if c != 0x5C { out.append(c); i += 1; continue }
        let e = bytes[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var u = hex(i)
            i += 4
            if u >= 0xD800 && u <= 0xDBFF {
                let lo2 = hex(i + 2)
                u = 0x10000 + ((u - 0xD800) << 10) + (lo2 - 0xDC00)
                i += 6
            }
            appendUTF8(u, &out)
        default: out.append(e)   // \" \\ \/
        }
    }
}

func appendUTF8(_ u: UInt32, _ out: inout [UInt8]) {
    switch u {
    case 0..<0x80: out.append(UInt8(u))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (u >> 6))); out.append(UInt8(0x80 | (u & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (u >> 12))); out.append(UInt8(0x80 | ((u >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (u & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (u >> 18))); out.append(UInt8(0x80 | ((u >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((u >> 6) & 0x3F))); out.append(UInt8(0x80 | (u & 0x3F)))
    }
}

/// An append-only byte buffer that serializes JSON compactly.
public struct ByteWriter {
    public var bytes: [UInt8] = []
    public init() {}
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inlinable @inline(__always) public mutating func append(_ b: UInt8) { bytes.append(b) }
    public mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
    @inlinable public mutating func append(_ raw: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: raw) }

    /// Writes `v`, compactly, or with `spaced` a space after each `,` and `:` (Python's default separators).
    public mutating func write(_ v: JSON, spaced: Bool = false) {
        switch v {
        case .null: append("null")
        case .bool(let b): if b { append("true") } else { append("false") }
        case .number(let s): bytes.append(contentsOf: s.utf8)
        case .string(let s): writeString(s)
        case .array(let a):
            append(UInt8(ascii: "["))
            for (i, x) in a.enumerated() {
                if i > 0 { if spaced { append(", ") } else { append(UInt8(ascii: ",")) } }
                write(x, spaced: spaced)
            }
            append(UInt8(ascii: "]"))
        case .object(let o):
            append(UInt8(ascii: "{"))
            for i in 0..<o.count {
                if i > 0 { if spaced { append(", ") } else { append(UInt8(ascii: ",")) } }
                writeString(o.keys[i])
                if spaced { append(": ") } else { append(UInt8(ascii: ":")) }
                write(o.values[i], spaced: spaced)
            }
            append(UInt8(ascii: "}"))
        }
    }

    /// Writes a string with the minimal escapes JSON requires (quote, backslash, control characters).
    public mutating func writeString(_ s: String) {
        append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var run = 0
            for i in 0..<u.count {
                let c = u[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i]))
                run = i + 1
                switch c {
                case 0x22: append("\\\"")
                case 0x5C: append("\\\\")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                default:
                    append("\\u00")
                    let digits: StaticString = "0123456789abcdef"
                    append(digits.utf8Start[Int(c >> 4)]); append(digits.utf8Start[Int(c & 15)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<u.count]))
        }
        append(UInt8(ascii: "\""))
    }
}
