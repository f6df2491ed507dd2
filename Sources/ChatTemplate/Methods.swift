// The Python methods templates call on values: str.strip/split/startswith/..., dict.items/get/keys/values.
// Mutating list and dict methods exist in Python but the immutable sandbox refuses them.

enum Methods {
    private static func bound(_ name: String, _ params: [String], _ body: @escaping (BoundArgs) throws -> Val) -> Val {
        .function(Function(name) { _, args, kwargs in try body(BoundArgs(name, params, args, kwargs)) })
    }

    private static func unsafe(_ attr: String, _ type: String) -> Val {
        .undefined(hint: "access to attribute '\(attr)' of '\(type)' object is unsafe.")
    }

    static func dict(_ d: Dict, _ name: String) -> Val? {
        switch name {
        case "items": return bound("items", []) { _ in .list(d.pairs.map { .tuple([.string($0), $1]) }) }
        case "keys": return bound("keys", []) { _ in .list(d.keys.map { .string($0) }) }
        case "values": return bound("values", []) { _ in .list(d.values) }
        case "get":
            return bound("get", ["key", "default"]) { a in
                let k = try a.required(0)
                guard case .string(let key) = k else { return a[1] ?? Val.none }
                return d[key] ?? a[1] ?? Val.none
            }
        case "copy": return bound("copy", []) { _ in .dict(d) }
        case "clear", "pop", "popitem", "setdefault", "update": return unsafe(name, "dict")
        default: return nil
        }
    }

    static func list(_ l: Val, _ name: String) -> Val? {
        guard case .list(let xs) = l else { return nil }
        switch name {
        case "index":
            return bound("index", ["value"]) { a in
                let v = try a.required(0)
                guard let i = xs.firstIndex(where: { pyEqual($0, v) }) else { throw EvalError("\(pyRepr(v)) is not in list") }
                return .int(i)
            }
        case "count": return bound("count", ["value"]) { a in let v = try a.required(0); return .int(xs.filter { pyEqual($0, v) }.count) }
        case "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear": return unsafe(name, "list")
        default: return nil
        }
    }

    static func string(_ s: String, _ name: String) -> Val? {
        let cs = Array(s.unicodeScalars)
        switch name {
        case "strip", "lstrip", "rstrip":
            return bound(name, ["chars"]) { a in .string(str(try strip(cs, a[0], left: name != "rstrip", right: name != "lstrip"))) }
        case "split", "rsplit":
            return bound(name, ["sep", "maxsplit"]) { a in
                var maxsplit = -1
                if let m = a[1] { guard case .int(let i)? = numeric(m) else { throw EvalError("maxsplit must be an integer") }; maxsplit = i }
                let sep: [Unicode.Scalar]?
                switch a[0] {
                case nil, .none?: sep = nil
                case .string(let x)?:
                    if x.isEmpty { throw EvalError("empty separator") }
                    sep = Array(x.unicodeScalars)
                default: throw EvalError("must be str or None, not \(a[0]!.typeName)")
                }
                return .list(split(cs, sep, maxsplit, fromRight: name == "rsplit").map { .string(str($0)) })
            }
        case "startswith", "endswith":
            return bound(name, ["prefix"]) { a in
                let p = try a.required(0)
                let options: [Val]
                switch p {
                case .string: options = [p]
                case .tuple(let xs): options = xs
                default: throw EvalError("\(name) first arg must be str or a tuple of str, not \(p.typeName)")
                }
                for o in options {
                    guard case .string(let x) = o else { throw EvalError("tuple for \(name) must only contain str") }
                    let xc = Array(x.unicodeScalars)
                    if xc.count <= cs.count,
                       name == "startswith" ? cs[..<xc.count].elementsEqual(xc) : cs[(cs.count - xc.count)...].elementsEqual(xc) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "upper": return bound(name, []) { _ in .string(s.uppercased()) }
        case "lower": return bound(name, []) { _ in .string(s.lowercased()) }
        case "title": return bound(name, []) { _ in .string(pyTitle(cs)) }
        case "capitalize": return bound(name, []) { _ in .string(pyCapitalize(cs)) }
        case "replace":
            return bound(name, ["old", "new", "count"]) { a in
                guard case .string(let old) = try a.required(0), case .string(let new) = try a.required(1) else {
                    throw EvalError("replace() arguments must be str")
                }
                var count = -1
                if let c = a[2] { guard case .int(let i)? = numeric(c) else { throw EvalError("count must be an integer") }; count = i }
                return .string(replace(cs, Array(old.unicodeScalars), Array(new.unicodeScalars), count))
            }
        case "find", "count":
            return bound(name, ["sub"]) { a in
                guard case .string(let sub) = try a.required(0) else { throw EvalError("\(name)() argument must be str") }
                let sc = Array(sub.unicodeScalars)
                if name == "find" { return .int(findScalars(cs, sc, from: 0) ?? -1) }
                if sc.isEmpty { return .int(cs.count + 1) }
                var n = 0, i = 0
                while let j = findScalars(cs, sc, from: i) { n += 1; i = j + sc.count }
                return .int(n)
            }
        case "join":
            return bound(name, ["iterable"]) { a in
                let items = try pyIterate(try a.required(0))
                var parts: [String] = []
                for x in items {
                    guard case .string(let p) = x else { throw EvalError("sequence item: expected str instance, \(x.typeName) found") }
                    parts.append(p)
                }
                return .string(parts.joined(separator: s))
            }
        case "isdigit":
            return bound(name, []) { _ in .bool(!cs.isEmpty && cs.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit }) }
        case "isspace": return bound(name, []) { _ in .bool(!cs.isEmpty && cs.allSatisfy(isPySpace)) }
        case "format", "format_map": return .undefined(hint: "unsupported str.format in a chat template")
        default: return nil
        }
    }

    // MARK: helpers shared with the filters

    static func strip(_ cs: [Unicode.Scalar], _ chars: Val?, left: Bool, right: Bool) throws -> ArraySlice<Unicode.Scalar> {
        let drop: (Unicode.Scalar) -> Bool
        switch chars {
        case nil, .none?: drop = isPySpace
        case .string(let c)?: let set = Array(c.unicodeScalars); drop = { set.contains($0) }
        default: throw EvalError("strip arg must be None or str")
        }
        var lo = 0, hi = cs.count
        if left { while lo < hi, drop(cs[lo]) { lo += 1 } }
        if right { while hi > lo, drop(cs[hi - 1]) { hi -= 1 } }
        return cs[lo..<hi]
    }

    static func split(_ cs: [Unicode.Scalar], _ sep: [Unicode.Scalar]?, _ maxsplit: Int, fromRight: Bool) -> [[Unicode.Scalar]] {
        if fromRight {
            // rsplit is split on the reversed string with the reversed separator.
            let parts = split(Array(cs.reversed()), sep.map { Array($0.reversed()) }, maxsplit, fromRight: false)
            return parts.reversed().map { Array($0.reversed()) }
        }
        var out: [[Unicode.Scalar]] = []
        guard let sep = sep else {
            // Runs of whitespace separate; leading/trailing whitespace gives no empty parts.
            var i = 0
            while i < cs.count {
                while i < cs.count, isPySpace(cs[i]) { i += 1 }
                if i == cs.count { break }
                if maxsplit >= 0 && out.count == maxsplit {
                    var end = cs.count
                    while end > i, isPySpace(cs[end - 1]) { end -= 1 }
                    out.append(Array(cs[i..<end]))
                    return out
                }
                var j = i
                while j < cs.count, !isPySpace(cs[j]) { j += 1 }
                out.append(Array(cs[i..<j]))
                i = j
            }
            return out
        }
        var start = 0
        while maxsplit < 0 || out.count < maxsplit, let j = findScalars(cs, sep, from: start) {
            out.append(Array(cs[start..<j]))
            start = j + sep.count
        }
        out.append(Array(cs[start...]))
        return out
    }

    static func replace(_ cs: [Unicode.Scalar], _ old: [Unicode.Scalar], _ new: [Unicode.Scalar], _ count: Int) -> String {
        var out: [Unicode.Scalar] = []
        var n = 0
        if old.isEmpty {
            // Python inserts `new` before every character and at the end.
            for c in cs {
                if count < 0 || n < count { out += new; n += 1 }
                out.append(c)
            }
            if count < 0 || n < count { out += new }
            return str(out)
        }
        var i = 0
        while i < cs.count {
            if count < 0 || n < count, let j = findScalars(cs, old, from: i), j >= i {
                out += cs[i..<j]; out += new; i = j + old.count; n += 1
            } else {
                out += cs[i...]; break
            }
        }
        return str(out)
    }
}

private func isCased(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter: return true
    default: return false
    }
}

/// str.title(): a cased character after an uncased one is titlecased, the others lowercased.
func pyTitle(_ cs: [Unicode.Scalar]) -> String {
    var out = ""
    var prevCased = false
    for c in cs {
        out += prevCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
        prevCased = isCased(c)
    }
    return out
}

/// str.capitalize(): the first character titlecased, the rest lowercased.
func pyCapitalize(_ cs: [Unicode.Scalar]) -> String {
    guard let first = cs.first else { return "" }
    return first.properties.titlecaseMapping + cs.dropFirst().map { $0.properties.lowercaseMapping }.joined()
}
