// jinja2's builtin filters that chat templates use, with jinja2's signatures and defaults, plus transformers'
// own tojson (json.dumps without HTML escaping). Sequences that jinja2 returns as generators are lists here.

typealias FilterFn = (_ value: Val, _ args: [Val], _ kwargs: [(String, Val)], _ r: Renderer) throws -> Val

enum Filters {
    private static func bind(_ name: String, _ params: [String], _ v: Val, _ args: [Val], _ kw: [(String, Val)]) throws -> BoundArgs {
        try BoundArgs(name, params, args, kw)
    }

    private static func string(_ name: String, _ f: @escaping ([Unicode.Scalar]) -> String) -> FilterFn {
        { v, a, k, _ in _ = try bind(name, [], v, a, k); return .string(f(Array(pyStr(v).unicodeScalars))) }
    }

    static let table: [String: FilterFn] = {
        var t: [String: FilterFn] = [:]
        t["safe"] = { v, a, k, _ in _ = try bind("safe", [], v, a, k); return v }
        t["string"] = { v, a, k, _ in _ = try bind("string", [], v, a, k); return .string(pyStr(v)) }
        t["upper"] = string("upper") { str($0).uppercased() }
        t["lower"] = string("lower") { str($0).lowercased() }
        t["capitalize"] = string("capitalize") { pyCapitalize($0) }
        t["title"] = string("title") { jinjaTitle($0) }
        t["escape"] = string("escape") { htmlEscape($0) }
        t["e"] = t["escape"]
        t["trim"] = { v, a, k, _ in
            let b = try bind("trim", ["chars"], v, a, k)
            return .string(str(try Methods.strip(Array(pyStr(v).unicodeScalars), b[0], left: true, right: true)))
        }
        t["wordcount"] = { v, a, k, _ in
            _ = try bind("wordcount", [], v, a, k)
            // len(re.findall(r"\w+", s)): runs of letters, digits and underscores.
            var n = 0, inWord = false
            for c in pyStr(v).unicodeScalars {
                let w = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if w && !inWord { n += 1 }
                inWord = w
            }
            return .int(n)
        }
        t["length"] = { v, a, k, _ in _ = try bind("length", [], v, a, k); return .int(try pyLen(v)) }
        t["count"] = t["length"]
        t["list"] = { v, a, k, _ in _ = try bind("list", [], v, a, k); return .list(try pyIterate(v)) }
        t["default"] = { v, a, k, _ in
            let b = try bind("default", ["default_value", "boolean"], v, a, k)
            if v.isUndefined || ((b[1]?.truthy ?? false) && !v.truthy) { return b[0] ?? .string("") }
            return v
        }
        t["d"] = t["default"]
        t["items"] = { v, a, k, _ in
            _ = try bind("items", [], v, a, k)
            switch v {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.pairs.map { .tuple([.string($0), $1]) })
            default: throw EvalError("Can only get item pairs from a mapping.")
            }
        }
        t["join"] = { v, a, k, r in
            let b = try bind("join", ["d", "attribute"], v, a, k)
            var items = try pyIterate(v)
            if let attr = b[1] { items = try items.map { try itemPath($0, attr, r) } }
            return .string(items.map(pyStr).joined(separator: b[0].map(pyStr) ?? ""))
        }
        t["first"] = { v, a, k, _ in
            _ = try bind("first", [], v, a, k)
            return try pyIterate(v).first ?? .undefined(hint: "No first item, sequence was empty.")
        }
        t["last"] = { v, a, k, _ in
            _ = try bind("last", [], v, a, k)
            if case .dict = v { throw EvalError("'dict' object is not reversible") }
            return try pyIterate(v).last ?? .undefined(hint: "No last item, sequence was empty.")
        }
        t["replace"] = { v, a, k, _ in
            let b = try bind("replace", ["old", "new", "count"], v, a, k)
            var count = -1
            if let c = b[2], !isNone(c) { guard case .int(let i)? = numeric(c) else { throw EvalError("count must be an integer") }; count = i }
            return .string(Methods.replace(Array(pyStr(v).unicodeScalars), Array(pyStr(try b.required(0)).unicodeScalars),
                                           Array(pyStr(try b.required(1)).unicodeScalars), count))
        }
        t["tojson"] = { v, a, k, _ in
            let b = try bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"], v, a, k)
            var j = JSONDumper()
            j.ensureASCII = b[0]?.truthy ?? false
            switch b[1] {
            case nil, .none?: break
            case .int(let n)?: j.indent = String(repeating: " ", count: max(n, 0))
            case .string(let s)?: j.indent = s
            default: throw EvalError("indent must be an int or a string")
            }
            if j.indent != nil { j.itemSeparator = "," }
            switch b[2] {
            case nil, .none?: break
            case .list(let xs)?, .tuple(let xs)?:
                guard xs.count == 2, case .string(let item) = xs[0], case .string(let key) = xs[1] else {
                    throw EvalError("separators must be a pair of strings")
                }
                j.itemSeparator = item; j.keySeparator = key
            default: throw EvalError("separators must be a pair of strings")
            }
            j.sortKeys = b[3]?.truthy ?? false
            return .string(try j.dump(v))
        }
        t["selectattr"] = { v, a, k, r in .list(try selectOrReject(v, a, k, r, attribute: true, keep: true)) }
        t["rejectattr"] = { v, a, k, r in .list(try selectOrReject(v, a, k, r, attribute: true, keep: false)) }
        t["select"] = { v, a, k, r in .list(try selectOrReject(v, a, k, r, attribute: false, keep: true)) }
        t["reject"] = { v, a, k, r in .list(try selectOrReject(v, a, k, r, attribute: false, keep: false)) }
        t["map"] = { v, a, k, r in
            let items = try pyIterate(v)
            if let attr = k.first(where: { $0.0 == "attribute" })?.1 {
                let dflt = k.first(where: { $0.0 == "default" })?.1
                for (key, _) in k where key != "attribute" && key != "default" { throw EvalError("Unexpected keyword argument '\(key)'") }
                if !a.isEmpty { throw EvalError("map() with attribute= takes no positional arguments") }
                return .list(try items.map { x in
                    let y = try itemPath(x, attr, r)
                    if y.isUndefined, let d = dflt { return d }
                    return y
                })
            }
            guard case .string(let name)? = a.first else { throw EvalError("map requires a filter argument") }
            guard let f = table[name] else { throw EvalError("unsupported filter '\(name)'", .unsupported) }
            return .list(try items.map { try f($0, Array(a.dropFirst()), k, r) })
        }
        t["int"] = { v, a, k, _ in
            let b = try bind("int", ["default", "base"], v, a, k)
            let dflt = b[0] ?? .int(0)
            var base = 10
            if let bv = b[1] { guard case .int(let i)? = numeric(bv) else { throw EvalError("base must be an integer") }; base = i }
            switch try v.defined() {
            case .bool(let x): return .int(x ? 1 : 0)
            case .int(let i): return .int(i)
            case .double(let d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d)) : dflt
            case .string(let s):
                if let i = pyParseInt(s, base) { return .int(i) }
                if let d = pyParseFloat(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
                return dflt
            default: return dflt
            }
        }
        t["float"] = { v, a, k, _ in
            let b = try bind("float", ["default"], v, a, k)
            let dflt = b[0] ?? .double(0)
            switch try v.defined() {
            case .bool(let x): return .double(x ? 1 : 0)
            case .int(let i): return .double(Double(i))
            case .double: return v
            case .string(let s): return pyParseFloat(s).map { .double($0) } ?? dflt
            default: return dflt
            }
        }
        t["abs"] = { v, a, k, _ in
            _ = try bind("abs", [], v, a, k)
            switch numeric(try v.defined()) {
            case .int(let i)?: guard i != Int.min else { throw EvalError("integer overflow") }; return .int(Swift.abs(i))
            case .double(let d)?: return .double(Swift.abs(d))
            default: throw EvalError("bad operand type for abs(): '\(v.typeName)'")
            }
        }
        t["round"] = { v, a, k, _ in
            let b = try bind("round", ["precision", "method"], v, a, k)
            var precision = 0
            if let p = b[0] { guard case .int(let i)? = numeric(p) else { throw EvalError("precision must be an integer") }; precision = i }
            let method = b[1].map(pyStr) ?? "common"
            guard let n = numeric(try v.defined()) else { throw EvalError("type \(v.typeName) doesn't define __round__ method") }
            let scale = pow10(precision)
            switch method {
            case "common":
                // Python's round(): ints stay ints, floats round half to even.
                if case .int(let i) = n, precision >= 0 { return .int(i) }
                return .double((n.double * scale).rounded(.toNearestOrEven) / scale)
            case "ceil": return .double((n.double * scale).rounded(.up) / scale)
            case "floor": return .double((n.double * scale).rounded(.down) / scale)
            default: throw EvalError("method must be common, ceil or floor")
            }
        }
        t["reverse"] = { v, a, k, _ in
            _ = try bind("reverse", [], v, a, k)
            if case .string(let s) = v { return .string(str(s.unicodeScalars.reversed())) }
            if case .dict = v { throw EvalError("argument to reversed() must be a sequence") }
            return .list(try pyIterate(v).reversed())
        }
        t["sort"] = { v, a, k, r in
            let b = try bind("sort", ["reverse", "case_sensitive", "attribute"], v, a, k)
            let items = try pyIterate(v)
            let keys = try items.map { try sortKey($0, b[1]?.truthy ?? false, b[2], r) }
            var order = Array(items.indices)
            var failure: Error? = nil
            // A stable sort (Python's sorted is stable); reverse=True keeps equal items in order too.
            order = try mergeSort(order) { i, j in
                do { return b[0]?.truthy ?? false ? try pyLess(keys[j], keys[i]) : try pyLess(keys[i], keys[j]) }
                catch { failure = error; return false }
            }
            if let f = failure { throw f }
            return .list(order.map { items[$0] })
        }
        t["unique"] = { v, a, k, r in
            let b = try bind("unique", ["case_sensitive", "attribute"], v, a, k)
            var seen: [Val] = [], out: [Val] = []
            for x in try pyIterate(v) {
                let key = try sortKey(x, b[0]?.truthy ?? false, b[1], r)
                if !seen.contains(where: { pyEqual($0, key) }) { seen.append(key); out.append(x) }
            }
            return .list(out)
        }
        for (name, wantMax) in [("min", false), ("max", true)] {
            t[name] = { v, a, k, r in
                let b = try bind(name, ["case_sensitive", "attribute"], v, a, k)
                let items = try pyIterate(v)
                guard var best = items.first else { return .undefined(hint: "No aggregated item, sequence was empty.") }
                var bestKey = try sortKey(best, b[0]?.truthy ?? false, b[1], r)
                for x in items.dropFirst() {
                    let key = try sortKey(x, b[0]?.truthy ?? false, b[1], r)
                    if wantMax ? try pyLess(bestKey, key) : try pyLess(key, bestKey) { best = x; bestKey = key }
                }
                return best
            }
        }
        t["sum"] = { v, a, k, r in
            let b = try bind("sum", ["attribute", "start"], v, a, k)
            var total = b[1] ?? .int(0)
            for x in try pyIterate(v) { total = try Arithmetic.apply("+", total, try b[0].map { try itemPath(x, $0, r) } ?? x) }
            return total
        }
        t["indent"] = { v, a, k, _ in
            let b = try bind("indent", ["width", "first", "blank"], v, a, k)
            let ind: String
            switch b[0] {
            case nil: ind = "    "
            case .string(let s)?: ind = s
            case let w?: guard case .int(let n)? = numeric(w) else { throw EvalError("width must be an integer or a string") }; ind = String(repeating: " ", count: max(n, 0))
            }
            let lines = splitLines(Array((pyStr(v) + "\n").unicodeScalars))
            var rv: String
            if b[2]?.truthy ?? false {
                rv = lines.joined(separator: "\n" + ind)
            } else {
                rv = lines.first ?? ""
                let rest = lines.dropFirst()
                if !rest.isEmpty { rv += "\n" + rest.map { $0.isEmpty ? $0 : ind + $0 }.joined(separator: "\n") }
            }
            if b[1]?.truthy ?? false { rv = ind + rv }
            return .string(rv)
        }
        return t
    }()

    /// jinja2's attribute getter for filters: dotted path, each part an item lookup (digits as indices).
    static func itemPath(_ v: Val, _ path: Val, _ r: Renderer) throws -> Val {
        guard case .string(let p) = path else {
            if case .int = path { return try r.getItem(v, path) }
            throw EvalError("attribute must be a string")
        }
        var cur = v
        for part in p.split(separator: ".", omittingEmptySubsequences: false) {
            let key: Val = Int(part).map { .int($0) } ?? .string(String(part))
            cur = try r.getItem(cur, key)
        }
        return cur
    }

    private static func sortKey(_ v: Val, _ caseSensitive: Bool, _ attribute: Val?, _ r: Renderer) throws -> Val {
        var x = v
        if let a = attribute { x = try itemPath(v, a, r) }
        if !caseSensitive, case .string(let s) = x { return .string(s.lowercased()) }
        return x
    }

    private static func selectOrReject(_ v: Val, _ a: [Val], _ k: [(String, Val)], _ r: Renderer,
                                       attribute: Bool, keep: Bool) throws -> [Val] {
        var rest = a
        var attr: Val? = nil
        if attribute {
            guard !rest.isEmpty else { throw EvalError("Missing parameter for attribute name") }
            attr = rest.removeFirst()
        }
        var test: ((Val) throws -> Bool) = { $0.truthy }
        if !rest.isEmpty {
            guard case .string(let name) = rest.removeFirst() else { throw EvalError("test name must be a string") }
            guard Predicates.table[name] != nil else { throw EvalError("unsupported test '\(name)'", .unsupported) }
            let args = rest
            test = { try Predicates.apply(name, $0, args, k, r) }
        }
        return try pyIterate(v).filter { x in
            let subject = try attr.map { try itemPath(x, $0, r) } ?? x
            return try test(subject) == keep
        }
    }
}

private func mergeSort(_ xs: [Int], _ less: (Int, Int) throws -> Bool) throws -> [Int] {
    if xs.count <= 1 { return xs }
    let mid = xs.count / 2
    let a = try mergeSort(Array(xs[..<mid]), less), b = try mergeSort(Array(xs[mid...]), less)
    var out: [Int] = []
    out.reserveCapacity(xs.count)
    var i = 0, j = 0
    while i < a.count, j < b.count {
        if try less(b[j], a[i]) { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1 }
    }
    out += a[i...]; out += b[j...]
    return out
}

private func pow10(_ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<min(Swift.abs(n), 400) { r *= 10 }
    return n < 0 ? 1 / r : r
}

/// jinja2's title filter: words start after runs of whitespace, '-', '(', '{', '[' or '<'.
func jinjaTitle(_ cs: [Unicode.Scalar]) -> String {
    var out = ""
    var atStart = true
    for c in cs {
        let sep = isPySpace(c) || "-({[<".unicodeScalars.contains(c)
        if sep { out.unicodeScalars.append(c); atStart = true; continue }
        out += atStart ? c.properties.uppercaseMapping : c.properties.lowercaseMapping
        atStart = false
    }
    return out
}

func htmlEscape(_ cs: [Unicode.Scalar]) -> String {
    var out = ""
    for c in cs {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// str.splitlines(): the line boundaries Python recognizes, "\r\n" as one.
func splitLines(_ cs: [Unicode.Scalar]) -> [String] {
    var out: [String] = []
    var cur: [Unicode.Scalar] = []
    var i = 0
    while i < cs.count {
        let c = cs[i]
        switch c.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
            out.append(str(cur)); cur = []
            if c == "\r", i + 1 < cs.count, cs[i + 1] == "\n" { i += 1 }
        default: cur.append(c)
        }
        i += 1
    }
    if !cur.isEmpty { out.append(str(cur)) }
    return out
}

/// int(s, base) for str: surrounding whitespace, a sign, single underscores between digits.
func pyParseInt(_ s: String, _ base: Int) -> Int? {
    var t = String(str(try! Methods.strip(Array(s.unicodeScalars), nil, left: true, right: true)))
    var neg = false
    if t.hasPrefix("-") || t.hasPrefix("+") { neg = t.hasPrefix("-"); t.removeFirst() }
    guard !t.isEmpty, !t.hasPrefix("_"), !t.hasPrefix("+"), !t.hasPrefix("-"), !t.hasSuffix("_"), !t.contains("__"), (2...36).contains(base) else { return nil }
    t = t.replacingUnderscores()
    guard t.unicodeScalars.allSatisfy({ $0.isASCII }), let v = Int(t, radix: base) else { return nil }
    return neg ? -v : v
}

/// float(s) for str: whitespace, sign, digits with a point/exponent, or inf/nan words.
func pyParseFloat(_ s: String) -> Double? {
    let t = str(try! Methods.strip(Array(s.unicodeScalars), nil, left: true, right: true))
    let lower = t.lowercased()
    switch lower {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan", "+nan", "-nan": return .nan
    default: break
    }
    guard !t.isEmpty, t.unicodeScalars.allSatisfy({ "0123456789+-.eE_".unicodeScalars.contains($0) }),
          !t.hasPrefix("_"), !t.hasSuffix("_"), !t.contains("__") else { return nil }
    return Double(t.replacingUnderscores())
}

private extension String {
    func replacingUnderscores() -> String { String(unicodeScalars.filter { $0 != "_" }.map(Character.init)) }
}
