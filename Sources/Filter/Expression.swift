// The --where language: a small, documented predicate language over one record (not arbitrary code).
//
//   expr  := or
//   or    := and ("or" and)*
//   and   := not ("and" not)*
//   not   := "not" not | cmp
//   cmp   := term (("==" | "!=" | "<" | "<=" | ">" | ">=") term)?
//   term  := literal | path | func "(" path ["," string] ")" | "(" expr ")"
//   func  := exists | contains | matches | len
//
// Semantics (documented in the man page):
// - A path names a field (`verdict`, `meta.difficulty`, `tests[0]`, `meta["odd key"]`).
// - Any comparison with a missing field is false, whatever the operator; `exists(path)` tests presence.
// - `==`/`!=` compare numbers numerically, strings by text, and other values structurally; values of
//   different types are unequal. `< <= > >=` order numbers, and strings by code point; other pairs are false.
// - `len` counts a string's Unicode code points, an array's items or an object's members.
// - `contains(path, "s")`: substring of a string, or an item of an array equal to the literal.
// - `matches(path, "re")`: a regular expression search (not anchored) in a string.
// - Used as a condition, a value is true unless it is missing, null, or false.
import Streams

public indirect enum Expr {
    case literal(JSON)
    case path(FieldPath)
    case compare(CompareOp, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    case exists(FieldPath)
    case len(FieldPath)
    case contains(FieldPath, JSON)
    case matches(FieldPath, RegexBox)
}

public enum CompareOp: String { case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }

/// A compiled regular expression (a class so Expr stays cheap to copy).
public final class RegexBox {
    let regex: Regex<AnyRegexOutput>
    init(_ pattern: String) throws { regex = try Regex(pattern) }
}

public struct ExpressionError: Error, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var text: String
    public var description: String { "invalid --where expression at column \(offset + 1): \(message): \(text)" }
}

// MARK: Parsing

public func parseExpression(_ text: String) throws -> Expr {
    var p = ExprParser(text: text)
    return try p.parseAll()
}

struct ExprParser {
    enum Tok: Equatable {
        case ident(String), string(String), number(String), op(String), lparen, rparen, comma, path(String), end
    }
    let text: String
    let s: [UInt8]
    var i = 0
    var tok: Tok = .end
    var tokStart = 0

    init(text: String) { self.text = text; s = Array(text.utf8) }

    func fail(_ message: String, at: Int? = nil) -> ExpressionError {
        ExpressionError(offset: at ?? tokStart, message: message, text: text)
    }

    mutating func parseAll() throws -> Expr {
        try advance()
        if tok == .end { throw fail("empty expression") }
        let e = try parseOr()
        guard tok == .end else { throw fail("unexpected \(describe(tok))") }
        return e
    }

    func describe(_ t: Tok) -> String {
        switch t {
        case .ident(let x), .path(let x): return "'\(x)'"
        case .string(let x): return "string \"\(x)\""
        case .number(let x): return "number \(x)"
        case .op(let x): return "'\(x)'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .comma: return "','"
        case .end: return "end of expression"
        }
    }

    mutating func advance() throws {
        while i < s.count, s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x0A { i += 1 }
        tokStart = i
        guard i < s.count else { tok = .end; return }
        let c = s[i]
        switch c {
        case UInt8(ascii: "("): tok = .lparen; i += 1
        case UInt8(ascii: ")"): tok = .rparen; i += 1
        case UInt8(ascii: ","): tok = .comma; i += 1
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"):
            if i + 1 < s.count, s[i + 1] == UInt8(ascii: "=") {
                tok = .op(String(decoding: s[i...i + 1], as: UTF8.self)); i += 2
            } else if c == UInt8(ascii: "<") || c == UInt8(ascii: ">") {
                tok = .op(String(UnicodeScalar(c))); i += 1
            } else {
                throw fail(c == UInt8(ascii: "=") ? "use '==' to compare" : "use 'not' or '!='")
            }
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            tok = .string(try stringLiteral(quote: c))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            var j = i + 1
            while j < s.count, (s[j] >= 0x30 && s[j] <= 0x39) || s[j] == UInt8(ascii: ".") || s[j] | 0x20 == UInt8(ascii: "e")
                    || ((s[j] == UInt8(ascii: "+") || s[j] == UInt8(ascii: "-")) && s[j - 1] | 0x20 == UInt8(ascii: "e")) { j += 1 }
            let num = String(decoding: s[i..<j], as: UTF8.self)
            guard (try? JSON.parse("{\"n\":\(num)}")) != nil else { throw fail("invalid number '\(num)'") }
            tok = .number(num); i = j
        default:
            // A field path or a keyword: letters, digits, _, -, ., and [...] parts.
            var j = i
            var depth = 0
            var inString = false
            while j < s.count {
                let d = s[j]
                if inString {
                    // A backslash escapes the next byte; at the very end there is none (found by fuzzing).
                    if d == UInt8(ascii: "\\") { j = min(j + 2, s.count); continue }
                    if d == UInt8(ascii: "\"") { inString = false }
                    j += 1; continue
                }
                if d == UInt8(ascii: "[") { depth += 1 } else if d == UInt8(ascii: "]") { depth -= 1 }
                else if d == UInt8(ascii: "\"") && depth > 0 { inString = true }
                else if depth == 0 && !(isWordByte(d) || d == UInt8(ascii: ".")) { break }
                j += 1
            }
            guard j > i else { throw fail("unexpected character '\(String(UnicodeScalar(c)))'") }
            let word = String(decoding: s[i..<j], as: UTF8.self)
            i = j
            if word.utf8.allSatisfy(isWordByte) { tok = .ident(word) } else { tok = .path(word) }
        }
    }

    func isWordByte(_ d: UInt8) -> Bool {
        (d >= 0x30 && d <= 0x39) || (d | 0x20 >= 0x61 && d | 0x20 <= 0x7A) || d == 0x5F || d == 0x2D || d >= 0x80
    }

    mutating func stringLiteral(quote: UInt8) throws -> String {
        let start = i
        var j = i + 1
        var raw: [UInt8] = [0x22]
        while j < s.count, s[j] != quote {
            if s[j] == UInt8(ascii: "\\"), j + 1 < s.count {
                if s[j + 1] == UInt8(ascii: "'") { raw.append(UInt8(ascii: "'")); j += 2; continue }
                raw.append(s[j]); raw.append(s[j + 1]); j += 2; continue
            }
            if s[j] == 0x22 { raw.append(0x5C) }   // a " inside '...' needs escaping in JSON
            raw.append(s[j]); j += 1
        }
        guard j < s.count else { throw fail("unterminated string", at: start) }
        raw.append(0x22)
        i = j + 1
        guard case .string(let v)? = try? JSON.parse("{\"s\":" + String(decoding: raw, as: UTF8.self) + "}")["s"] else {
            throw fail("invalid escape in string", at: start)
        }
        return v
    }

    mutating func parseOr() throws -> Expr {
        var e = try parseAnd()
        while tok == .ident("or") { try advance(); e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws -> Expr {
        var e = try parseNot()
        while tok == .ident("and") { try advance(); e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws -> Expr {
        if tok == .ident("not") { try advance(); return .not(try parseNot()) }
        let lhs = try parseTerm()
        if case .op(let o) = tok, let op = CompareOp(rawValue: o) {
            try advance()
            return .compare(op, lhs, try parseTerm())
        }
        return lhs
    }

    mutating func parseTerm() throws -> Expr {
        switch tok {
        case .lparen:
            try advance()
            let e = try parseOr()
            guard tok == .rparen else { throw fail("expected ')', found \(describe(tok))") }
            try advance()
            return e
        case .string(let v): try advance(); return .literal(.string(v))
        case .number(let v): try advance(); return .literal(.number(v))
        case .ident("true"): try advance(); return .literal(.bool(true))
        case .ident("false"): try advance(); return .literal(.bool(false))
        case .ident("null"): try advance(); return .literal(.null)
        case .ident(let name) where ["exists", "len", "contains", "matches"].contains(name):
            let at = tokStart
            try advance()
            guard tok == .lparen else {
                // A field that happens to be named like a function.
                return .path(try path(name, at: at))
            }
            try advance()
            let p: FieldPath
            switch tok {
            case .ident(let w), .path(let w): p = try path(w, at: tokStart); try advance()
            default: throw fail("\(name)() takes a field path, found \(describe(tok))")
            }
            var arg: JSON?
            if name == "contains" || name == "matches" {
                guard tok == .comma else { throw fail("\(name)() takes a field path and a string") }
                try advance()
                switch tok {
                case .string(let v): arg = .string(v)
                case .number(let v) where name == "contains": arg = .number(v)
                default: throw fail("\(name)() takes a string as its second argument, found \(describe(tok))")
                }
                try advance()
            }
            guard tok == .rparen else { throw fail("expected ')' to close \(name)(, found \(describe(tok))") }
            try advance()
            switch name {
            case "exists": return .exists(p)
            case "len": return .len(p)
            case "contains": return .contains(p, arg!)
            default:
                do { return .matches(p, try RegexBox(arg!.string!)) } catch {
                    throw fail("invalid regular expression \"\(arg!.string!)\"", at: at)
                }
            }
        case .ident(let w), .path(let w):
            let at = tokStart
            if ["and", "or", "not"].contains(w) { throw fail("expected a value, found '\(w)'") }
            try advance()
            return .path(try path(w, at: at))
        default:
            throw fail("expected a value, found \(describe(tok))")
        }
    }

    func path(_ w: String, at: Int) throws -> FieldPath {
        do { return try FieldPath(w) } catch { throw fail("\(error)", at: at) }
    }
}

// MARK: Evaluation

/// A value during evaluation: a tape token of the record, a literal, or a computed number.
enum Val {
    case missing
    case token(Int)
    case json(JSON)
    case number(Double)
}

/// What a predicate saw over a run, for the warnings a user should get when an expression cannot mean what
/// they wrote: a field that no record has (a typo: `verdct`) and a string compared with a number (`verdict >
/// 3`, `id == 7` on string ids), both of which silently make the comparison false.
public final class PredicateDiagnostics {
    /// Every field path the expression names, and whether some record had it.
    public private(set) var paths: [FieldPath]
    private var seen: [Bool]
    private var unseen: Int
    /// Comparisons of a string with a number, and the first one's text.
    public private(set) var mixedComparisons = 0
    public private(set) var firstMixed: String?

    init(_ e: Expr) {
        var ps: [FieldPath] = []
        func walk(_ e: Expr) {
            switch e {
            case .literal: break
            case .path(let p), .exists(let p), .len(let p), .contains(let p, _), .matches(let p, _):
                if !ps.contains(p) { ps.append(p) }
            case .compare(_, let a, let b), .and(let a, let b), .or(let a, let b): walk(a); walk(b)
            case .not(let a): walk(a)
            }
        }
        walk(e)
        paths = ps; seen = Array(repeating: false, count: ps.count); unseen = ps.count
    }

    @inline(__always) func found(_ p: FieldPath) {
        guard unseen > 0, let i = paths.firstIndex(of: p), !seen[i] else { return }
        seen[i] = true; unseen -= 1
    }

    func mixed(_ text: @autoclosure () -> String) {
        mixedComparisons += 1
        if firstMixed == nil { firstMixed = text() }
    }

    /// The paths no record had.
    public var missingPaths: [FieldPath] { paths.indices.filter { !seen[$0] }.map { paths[$0] } }
}

public struct Predicate {
    public let expr: Expr
    public let diagnostics: PredicateDiagnostics
    public init(_ text: String) throws {
        expr = try parseExpression(text)
        diagnostics = PredicateDiagnostics(expr)
    }

    public func matches(_ r: JSONRecord) -> Bool { truthy(eval(expr, r), r) }

    /// A field's token, noting for the diagnostics that some record has it.
    @inline(__always) func find(_ p: FieldPath, _ r: JSONRecord) -> Int? {
        let t = r.find(p)
        if t != nil { diagnostics.found(p) }
        return t
    }

    func eval(_ e: Expr, _ r: JSONRecord) -> Val {
        switch e {
        case .literal(let v): return .json(v)
        case .path(let p): return find(p, r).map { .token($0) } ?? .missing
        case .compare(let op, let a, let b):
            let x = eval(a, r), y = eval(b, r)
            let xs = isString(x, r), ys = isString(y, r)
            if (xs && !ys && number(y, r) != nil) || (ys && !xs && number(x, r) != nil) {
                diagnostics.mixed("\(describe(a, x, r)) \(op.rawValue) \(describe(b, y, r))")
            }
            return .json(.bool(compare(op, x, y, r)))
        case .and(let a, let b): return .json(.bool(truthy(eval(a, r), r) && truthy(eval(b, r), r)))
        case .or(let a, let b): return .json(.bool(truthy(eval(a, r), r) || truthy(eval(b, r), r)))
        case .not(let a): return .json(.bool(!truthy(eval(a, r), r)))
        case .exists(let p): return .json(.bool(find(p, r) != nil))
        case .len(let p):
            guard let t = find(p, r) else { return .missing }
            let tok = r.tokens[t]
            switch tok.kind {
            case .string: return .number(Double(r.codePointCount(at: t)))
            case .array, .object:
                var n = 0, i = t + 1
                while i < Int(tok.next) {
                    n += 1
                    i = Int(r.tokens[i].next)
                    if tok.kind == .object { i = Int(r.tokens[i].next) }
                }
                return .number(Double(n))
            default: return .missing
            }
        case .contains(let p, let needle):
            guard let t = find(p, r) else { return .missing }
            let tok = r.tokens[t]
            if tok.kind == .string, let n = needle.string {
                return .json(.bool(n.isEmpty || r.string(at: t).contains(n)))
            }
            if tok.kind == .array {
                var i = t + 1
                while i < Int(tok.next) {
                    if equal(.token(i), .json(needle), r) { return .json(.bool(true)) }
                    i = Int(r.tokens[i].next)
                }
            }
            return .json(.bool(false))
        case .matches(let p, let re):
            guard let t = find(p, r), r.tokens[t].kind == .string else { return .json(.bool(false)) }
            return .json(.bool((try? re.regex.firstMatch(in: r.string(at: t))) != nil))
        }
    }

    func isString(_ v: Val, _ r: JSONRecord) -> Bool {
        switch v {
        case .token(let t): return r.tokens[t].kind == .string
        case .json(let j): return j.string != nil
        default: return false
        }
    }

    /// `verdict ("fail")` or `3`: a side of a comparison as the warning shows it.
    func describe(_ e: Expr, _ v: Val, _ r: JSONRecord) -> String {
        let value = materialize(v, r).map { $0.serialized() } ?? "missing"
        if case .path(let p) = e { return "\(p) (\(value))" }
        return value
    }

    func truthy(_ v: Val, _ r: JSONRecord) -> Bool {
        switch v {
        case .missing: return false
        case .number: return true
        case .json(let j): return !(j == .null || j == .bool(false))
        case .token(let t):
            let k = r.tokens[t].kind
            return !(k == .null || k == .false)
        }
    }

    func compare(_ op: CompareOp, _ a: Val, _ b: Val, _ r: JSONRecord) -> Bool {
        if case .missing = a { return false }
        if case .missing = b { return false }
        switch op {
        case .eq: return equal(a, b, r)
        case .ne: return !equal(a, b, r)
        default:
            if let x = number(a, r), let y = number(b, r) {
                switch op {
                case .lt: return x < y
                case .le: return x <= y
                case .gt: return x > y
                default: return x >= y
                }
            }
            if let x = string(a, r), let y = string(b, r) {
                let c = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
                switch op {
                case .lt: return c
                case .le: return c || x == y
                case .gt: return !c && x != y
                default: return !c
                }
            }
            return false
        }
    }

    func equal(_ a: Val, _ b: Val, _ r: JSONRecord) -> Bool {
        // Fast path: a string field against a string literal, compared on the bytes.
        if case .token(let t) = a, case .json(.string(let s)) = b { return r.stringEquals(t, s) }
        if case .json(.string(let s)) = a, case .token(let t) = b { return r.stringEquals(t, s) }
        if let x = number(a, r), let y = number(b, r) { return x == y }
        return materialize(a, r) == materialize(b, r)
    }

    func number(_ v: Val, _ r: JSONRecord) -> Double? {
        switch v {
        case .number(let d): return d
        case .token(let t): return r.number(at: t)
        case .json(let j): return j.double
        case .missing: return nil
        }
    }

    func string(_ v: Val, _ r: JSONRecord) -> String? {
        switch v {
        case .token(let t): return r.tokens[t].kind == .string ? r.string(at: t) : nil
        case .json(let j): return j.string
        default: return nil
        }
    }

    func materialize(_ v: Val, _ r: JSONRecord) -> JSON? {
        switch v {
        case .missing: return nil
        case .number(let d): return JSON(d)
        case .json(let j): return j
        case .token(let t): return r.value(atToken: t)
        }
    }
}
