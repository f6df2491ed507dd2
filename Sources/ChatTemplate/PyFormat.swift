// Python's str() and repr() of template values, which is what `{{ x }}` prints for non-strings
// (True/False/None, 1.0, 1e-05, lists and dicts with single-quoted strings), and json.dumps for tojson.

func pyStr(_ v: Val) -> String {
    switch v {
    case .undefined: return ""
    case .string(let s): return s
    default: return pyRepr(v)
    }
}

func pyRepr(_ v: Val) -> String {
    switch v {
    case .undefined: return "Undefined"
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .double(let d): return pyFloatRepr(d)
    case .string(let s): return pyStringRepr(s)
    case .list(let xs): return "[" + xs.map(pyRepr).joined(separator: ", ") + "]"
    case .tuple(let xs):
        return xs.count == 1 ? "(" + pyRepr(xs[0]) + ",)" : "(" + xs.map(pyRepr).joined(separator: ", ") + ")"
    case .dict(let d):
        return "{" + d.pairs.map { pyStringRepr($0) + ": " + pyRepr($1) }.joined(separator: ", ") + "}"
    case .namespace(let ns): return "<Namespace " + pyRepr(.dict(ns.attrs)) + ">"
    case .function(let f): return "<function \(f.name)>"
    }
}

/// str.isprintable for one character: not a control, format, surrogate, private-use, unassigned or
/// separator character, except the ASCII space.
private func pyPrintable(_ c: Unicode.Scalar) -> Bool {
    if c == " " { return true }
    switch c.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default: return true
    }
}

private func hex(_ v: UInt32, _ width: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - h.count)) + h
}

func pyStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for c in s.unicodeScalars {
        switch c {
        case quote, "\\": out += "\\" + String(c)
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default:
            if c.value < 0x20 || c.value == 0x7F { out += "\\x" + hex(c.value, 2) }
            else if c.value < 0x7F || pyPrintable(c) { out.unicodeScalars.append(c) }
            else if c.value <= 0xFF { out += "\\x" + hex(c.value, 2) }
            else if c.value <= 0xFFFF { out += "\\u" + hex(c.value, 4) }
            else { out += "\\U" + hex(c.value, 8) }
        }
    }
    out.unicodeScalars.append(quote)
    return out
}

/// float.__repr__: the shortest digits that round-trip, in fixed notation when the decimal exponent is in
/// [-4, 16), else d.ddde+XX.
func pyFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    // Swift's description also prints the shortest round-trip digits; only the layout differs.
    var text = d.description
    var sign = ""
    if text.hasPrefix("-") { sign = "-"; text.removeFirst() }
    var mantissa = Substring(text)
    var exp10 = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exp10 = Int(text[text.index(after: e)...]) ?? 0
    }
    var digits: [Character]
    var pointPos: Int  // value = 0.DIGITS * 10^pointPos
    if let dot = mantissa.firstIndex(of: ".") {
        let intPart = mantissa[..<dot], frac = mantissa[mantissa.index(after: dot)...]
        digits = Array(intPart + frac)
        pointPos = intPart.count + exp10
    } else {
        digits = Array(mantissa)
        pointPos = mantissa.count + exp10
    }
    while digits.count > 1, digits.first == "0" { digits.removeFirst(); pointPos -= 1 }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    if digits == ["0"] { return sign + "0.0" }
    let decExp = pointPos - 1  // exponent in d.ddd form
    if decExp < -4 || decExp >= 16 {
        var m = String(digits[0])
        if digits.count > 1 { m += "." + String(digits[1...]) }
        let e = abs(decExp)
        return sign + m + "e" + (decExp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
    }
    if pointPos <= 0 { return sign + "0." + String(repeating: "0", count: -pointPos) + String(digits) }
    if pointPos >= digits.count {
        return sign + String(digits) + String(repeating: "0", count: pointPos - digits.count) + ".0"
    }
    return sign + String(digits[..<pointPos]) + "." + String(digits[pointPos...])
}

/// json.dumps(x, ensure_ascii=, indent=, separators=, sort_keys=) as transformers' tojson filter calls it.
struct JSONDumper {
    var ensureASCII = false
    var indent: String? = nil
    var itemSeparator = ", "
    var keySeparator = ": "
    var sortKeys = false

    func dump(_ v: Val) throws -> String {
        var out = ""
        try write(v, &out, level: 0)
        return out
    }

    private func write(_ v: Val, _ out: inout String, level: Int) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pyFloatRepr(d) }
        case .string(let s): writeString(s, &out)
        case .list(let xs), .tuple(let xs):
            if xs.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(&out, level + 1)
                try write(x, &out, level: level + 1)
            }
            newline(&out, level)
            out += "]"
        case .dict(let d):
            if d.isEmpty { out += "{}"; return }
            var pairs = Array(d.pairs)
            if sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            out += "{"
            for (i, (k, x)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(&out, level + 1)
                writeString(k, &out)
                out += keySeparator
                try write(x, &out, level: level + 1)
            }
            newline(&out, level)
            out += "}"
        case .undefined, .namespace, .function:
            throw EvalError("Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private func newline(_ out: inout String, _ level: Int) {
        guard let ind = indent else { return }
        out += "\n" + String(repeating: ind, count: level)
    }

    private func writeString(_ s: String, _ out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || (ensureASCII && c.value > 0x7E) {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += "\\u" + hex(0xD800 + (v >> 10), 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), 4)
                    } else {
                        out += "\\u" + hex(c.value, 4)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
