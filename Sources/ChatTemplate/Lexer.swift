// Splits a template into tokens exactly as jinja2's lexer does with trim_blocks=True and lstrip_blocks=True
// (transformers' settings): newlines normalized to "\n", one trailing newline dropped, `{%-`/`-%}` stripping,
// `+` markers disabling lstrip/trim, comments and {% raw %} handled here, brackets balanced inside tags.

struct Token {
    enum Kind: Equatable {
        case data(String)
        case blockBegin, blockEnd, varBegin, varEnd
        case name(String)
        case string(String)
        case int(Int)
        case float(Double)
        case op(String)
        case eof
    }
    let kind: Kind
    let pos: Pos
}

/// Python's str.isspace (and so `\s` in its regexes): Unicode White_Space plus the separators U+001C..U+001F.
func isPySpace(_ c: Unicode.Scalar) -> Bool {
    c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
}

struct Lexer {
    let s: [Unicode.Scalar]
    let map: SourceMap
    private var i = 0
    private var tokens: [Token] = []
    /// jinja2's `line_starting`: the previous match ended with a newline (lstrip may then apply at offset 0).
    private var lineStarting = true

    init(_ source: String) {
        // "\r\n", "\r" and "\n" all become "\n"; a single trailing newline is dropped (keep_trailing_newline=False).
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        var prevCR = false
        for c in source.unicodeScalars {
            if c == "\r" { out.append("\n"); prevCR = true; continue }
            if c == "\n" && prevCR { prevCR = false; continue }
            prevCR = false
            out.append(c)
        }
        if out.last == "\n" { out.removeLast() }
        s = out
        map = SourceMap(out)
    }

    private func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
    private func has(_ lit: String, at k: Int) -> Bool {
        var j = k
        for c in lit.unicodeScalars {
            guard j < s.count, s[j] == c else { return false }
            j += 1
        }
        return true
    }
    private func skipSpace(_ k: Int) -> Int {
        var j = k
        while j < s.count, isPySpace(s[j]) { j += 1 }
        return j
    }
    private func fail(_ pos: Pos, _ msg: String) -> ChatTemplateError { map.error(.syntax, pos, msg) }

    mutating func tokenize() throws -> [Token] {
        while i < s.count {
            var j = i
            var start = -1
            while j + 1 < s.count {
                if s[j] == "{", s[j + 1] == "{" || s[j + 1] == "%" || s[j + 1] == "#" { start = j; break }
                j += 1
            }
            if start < 0 {
                tokens.append(Token(kind: .data(String(String.UnicodeScalarView(s[i...]))), pos: i))
                i = s.count
                break
            }
            let kind = s[start + 1]
            if kind == "%", let raw = rawBegin(start) {
                emitText(i, start, sign: raw.sign, variable: false)
                lineStarting = s[raw.end - 1] == "\n"
                try lexRaw(from: raw.end, tagPos: start)
                continue
            }
            var k = start + 2
            var sign: Unicode.Scalar? = nil
            if let c = at(k), c == "-" || c == "+" { sign = c; k += 1 }
            emitText(i, start, sign: sign, variable: kind == "{")
            i = k
            switch kind {
            case "#": try lexComment(tagPos: start)
            case "%":
                tokens.append(Token(kind: .blockBegin, pos: start))
                try lexTag(block: true)
            default:
                tokens.append(Token(kind: .varBegin, pos: start))
                try lexTag(block: false)
            }
        }
        tokens.append(Token(kind: .eof, pos: s.count))
        return tokens
    }

    /// The text before a tag, with `-` stripping or lstrip_blocks applied (jinja2's OptionalLStrip).
    private mutating func emitText(_ from: Int, _ to: Int, sign: Unicode.Scalar?, variable: Bool) {
        var end = to
        if sign == "-" {
            while end > from, isPySpace(s[end - 1]) { end -= 1 }
        } else if sign != "+" && !variable {
            var lineStart = from
            for k in stride(from: to - 1, through: from, by: -1) where s[k] == "\n" { lineStart = k + 1; break }
            if lineStart > from || lineStarting, lineStart < to, (lineStart..<to).allSatisfy({ isPySpace(s[$0]) }) {
                end = lineStart
            }
        }
        if end > from { tokens.append(Token(kind: .data(String(String.UnicodeScalarView(s[from..<end]))), pos: from)) }
    }

    /// `{%(-|+|)\s*raw\s*(-%}\s*|%})` at k: the sign and the end offset.
    private func rawBegin(_ k: Int) -> (sign: Unicode.Scalar?, end: Int)? {
        var j = k + 2
        var sign: Unicode.Scalar? = nil
        if let c = at(j), c == "-" || c == "+" { sign = c; j += 1 }
        j = skipSpace(j)
        guard has("raw", at: j) else { return nil }
        j = skipSpace(j + 3)
        if has("-%}", at: j) { return (sign, skipSpace(j + 3)) }
        if has("%}", at: j) { return (sign, j + 2) }
        return nil
    }

    private mutating func lexRaw(from: Int, tagPos: Int) throws {
        var p = from
        while p + 1 < s.count {
            if s[p] == "{", s[p + 1] == "%" {
                var j = p + 2
                var sign: Unicode.Scalar? = nil
                if let c = at(j), c == "-" || c == "+" { sign = c; j += 1 }
                j = skipSpace(j)
                if has("endraw", at: j) {
                    j = skipSpace(j + 6)
                    var end = -1
                    if has("+%}", at: j) { end = j + 3 }
                    else if has("-%}", at: j) { end = skipSpace(j + 3) }
                    else if has("%}", at: j) { end = j + 2; if at(end) == "\n" { end += 1 } }
                    if end >= 0 {
                        emitText(from, p, sign: sign, variable: false)
                        lineStarting = s[end - 1] == "\n"
                        i = end
                        return
                    }
                }
            }
            p += 1
        }
        throw fail(tagPos, "missing end of raw directive")
    }

    private mutating func lexComment(tagPos: Int) throws {
        var p = i
        while p < s.count {
            if has("+#}", at: p) { i = p + 3; lineStarting = false; return }
            if has("-#}", at: p) {
                i = skipSpace(p + 3); lineStarting = s[i - 1] == "\n"; return
            }
            if has("#}", at: p) {
                i = p + 2
                if at(i) == "\n" { i += 1; lineStarting = true } else { lineStarting = false }
                return
            }
            p += 1
        }
        throw fail(tagPos, "missing end of comment tag")
    }

    /// Tokens inside `{% ... %}` or `{{ ... }}` up to and including the end tag.
    private mutating func lexTag(block: Bool) throws {
        var brackets: [(close: Unicode.Scalar, pos: Int)] = []
        while i < s.count {
            if brackets.isEmpty {
                if block {
                    if has("+%}", at: i) { tokens.append(Token(kind: .blockEnd, pos: i)); i += 3; lineStarting = false; return }
                    if has("-%}", at: i) {
                        tokens.append(Token(kind: .blockEnd, pos: i))
                        i = skipSpace(i + 3); lineStarting = s[i - 1] == "\n"; return
                    }
                    if has("%}", at: i) {
                        tokens.append(Token(kind: .blockEnd, pos: i))
                        i += 2
                        if at(i) == "\n" { i += 1; lineStarting = true } else { lineStarting = false }
                        return
                    }
                } else {
                    if has("-}}", at: i) {
                        tokens.append(Token(kind: .varEnd, pos: i))
                        i = skipSpace(i + 3); lineStarting = s[i - 1] == "\n"; return
                    }
                    if has("}}", at: i) { tokens.append(Token(kind: .varEnd, pos: i)); i += 2; lineStarting = false; return }
                }
            }
            let c = s[i]
            if isPySpace(c) { i = skipSpace(i); continue }
            let start = i
            if let (end, text) = floatAt(i) {
                guard let d = Double(text) else { throw fail(start, "invalid float literal") }
                tokens.append(Token(kind: .float(d), pos: start)); i = end; continue
            }
            if let (end, value) = try integerAt(i) { tokens.append(Token(kind: .int(value), pos: start)); i = end; continue }
            if c == "_" || c.properties.isAlphabetic {
                var j = i + 1
                while j < s.count, s[j] == "_" || s[j].properties.isAlphabetic || s[j].properties.numericType == .decimal { j += 1 }
                tokens.append(Token(kind: .name(String(String.UnicodeScalarView(s[i..<j]))), pos: start)); i = j; continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var closed = false
                while j < s.count {
                    if s[j] == "\\" { j += 2; continue }
                    if s[j] == c { closed = true; break }
                    j += 1
                }
                if closed {
                    let body = Array(s[(i + 1)..<j])
                    tokens.append(Token(kind: .string(try unescape(body, at: start)), pos: start))
                    i = j + 1
                    continue
                }
            }
            // Operators: the two-character ones first, as jinja2 sorts them by length.
            var op: String? = nil
            for two in ["//", "**", "==", "!=", ">=", "<="] where has(two, at: i) { op = two; break }
            if op == nil, "+-/*%~[](){}=.:|,;<>".unicodeScalars.contains(c) { op = String(c) }
            guard let o = op else { throw fail(start, "unexpected character \(pyRepr(.string(String(c))))") }
            switch o {
            case "(": brackets.append((")", start))
            case "[": brackets.append(("]", start))
            case "{": brackets.append(("}", start))
            case ")", "]", "}":
                guard let top = brackets.popLast() else { throw fail(start, "unexpected '\(o)'") }
                if String(top.close) != o { throw fail(start, "unexpected '\(o)', expected '\(top.close)'") }
            default: break
            }
            tokens.append(Token(kind: .op(o), pos: start))
            i += o.unicodeScalars.count
        }
        // Unterminated tag: the parser reports "unexpected end of template".
    }

    /// `(\d+_)*\d+` starting at k: the end offset.
    private func digits(_ k: Int, _ ok: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }) -> Int? {
        guard let c = at(k), ok(c) else { return nil }
        var j = k + 1
        while let c = at(j) {
            if ok(c) { j += 1 } else if c == "_", let d = at(j + 1), ok(d) { j += 2 } else { break }
        }
        return j
    }

    private func floatAt(_ k: Int) -> (Int, String)? {
        if k > 0, s[k - 1] == "." { return nil }
        guard let intEnd = digits(k) else { return nil }
        var end = -1
        // Exponent form, with or without a fraction; else a required fraction.
        func exponent(_ j: Int) -> Int? {
            guard let e = at(j), e == "e" || e == "E" else { return nil }
            var m = j + 1
            if let sg = at(m), sg == "+" || sg == "-" { m += 1 }
            return digits(m)
        }
        if at(intEnd) == ".", let fracEnd = digits(intEnd + 1), let e = exponent(fracEnd) { end = e }
        else if let e = exponent(intEnd) { end = e }
        else if at(intEnd) == ".", let fracEnd = digits(intEnd + 1) { end = fracEnd }
        guard end > 0 else { return nil }
        let text = String(String.UnicodeScalarView(s[k..<end].filter { $0 != "_" }))
        return (end, text)
    }

    private func integerAt(_ k: Int) throws -> (Int, Int)? {
        guard let c = at(k), ("0"..."9").contains(c) else { return nil }
        var end = -1, radix = 10, bodyStart = k
        if c == "0", let p = at(k + 1) {
            let prefixes: [(Unicode.Scalar, Int, (Unicode.Scalar) -> Bool)] = [
                ("b", 2, { $0 == "0" || $0 == "1" }), ("o", 8, { ("0"..."7").contains($0) }),
                ("x", 16, { ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }),
            ]
            for (letter, r, ok) in prefixes where p == letter || p.properties.lowercaseMapping == String(letter) {
                // (_?[digit])+ after the prefix
                var j = k + 2
                while true {
                    if let d = at(j), ok(d) { j += 1 } else if at(j) == "_", let d = at(j + 1), ok(d) { j += 2 } else { break }
                }
                if j > k + 2 { end = j; radix = r; bodyStart = k + 2 }
                break
            }
        }
        if end < 0 {
            if c == "0" {
                var j = k + 1
                while true { if at(j) == "0" { j += 1 } else if at(j) == "_", at(j + 1) == "0" { j += 2 } else { break } }
                end = j
            } else {
                end = digits(k)!
            }
        }
        let text = String(String.UnicodeScalarView(s[bodyStart..<end].filter { $0 != "_" }))
        guard let v = Int(text, radix: radix) else { throw fail(k, "integer literal too large") }
        return (end, v)
    }

    /// Python's unicode-escape decoding of a string literal's body (what jinja2 applies).
    private func unescape(_ b: [Unicode.Scalar], at pos: Pos) throws -> String {
        var out = String.UnicodeScalarView()
        var j = 0
        func hex(_ n: Int) throws -> Unicode.Scalar {
            guard j + n <= b.count, let v = UInt32(String(String.UnicodeScalarView(b[j..<(j + n)])), radix: 16),
                  b[j..<(j + n)].allSatisfy({ $0.properties.isASCIIHexDigit })
            else { throw fail(pos, "truncated \\x, \\u or \\U escape in string literal") }
            guard let u = Unicode.Scalar(v) else { throw fail(pos, "illegal Unicode character in string literal") }
            j += n
            return u
        }
        while j < b.count {
            let c = b[j]
            j += 1
            guard c == "\\", j < b.count else { out.append(c); continue }
            let e = b[j]
            j += 1
            switch e {
            case "\n": break
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "x": out.append(try hex(2))
            case "u": out.append(try hex(4))
            case "U": out.append(try hex(8))
            case "0"..."7":
                var v = e.value - 48
                var n = 1
                while n < 3, j < b.count, ("0"..."7").contains(b[j]) { v = v * 8 + b[j].value - 48; j += 1; n += 1 }
                out.append(Unicode.Scalar(v)!)
            case "N": throw map.error(.unsupported, pos, "unsupported \\N{...} escape in string literal")
            default: out.append("\\"); out.append(e)
            }
        }
        return String(out)
    }
}
