// jinja2's tests (`x is defined`, `x is none`, `x is divisibleby 3`, ...).

typealias TestFn = (_ value: Val, _ args: BoundArgs, _ r: Renderer) throws -> Bool

enum Predicates {
    /// Name -> (parameter names, test).
    static let table: [String: ([String], TestFn)] = {
        var t: [String: ([String], TestFn)] = [:]
        func simple(_ name: String, _ f: @escaping (Val) -> Bool) { t[name] = ([], { v, _, _ in f(v) }) }
        simple("defined") { !$0.isUndefined }
        simple("undefined") { $0.isUndefined }
        simple("none") { if case .none = $0 { return true }; return false }
        simple("boolean") { if case .bool = $0 { return true }; return false }
        simple("true") { if case .bool(true) = $0 { return true }; return false }
        simple("false") { if case .bool(false) = $0 { return true }; return false }
        simple("integer") { if case .int = $0 { return true }; return false }
        simple("float") { if case .double = $0 { return true }; return false }
        simple("number") { numeric($0) != nil }
        simple("string") { if case .string = $0 { return true }; return false }
        simple("mapping") { if case .dict = $0 { return true }; return false }
        simple("callable") { if case .function = $0 { return true }; return false }
        simple("iterable") {
            switch $0 { case .undefined, .string, .list, .tuple, .dict: return true; default: return false }
        }
        simple("sequence") {
            switch $0 { case .undefined, .string, .list, .tuple, .dict: return true; default: return false }
        }
        simple("lower") { v in
            let s = pyStr(v)
            return s.lowercased() == s && s.uppercased() != s
        }
        simple("upper") { v in
            let s = pyStr(v)
            return s.uppercased() == s && s.lowercased() != s
        }
        t["odd"] = ([], { v, _, _ in pyEqual(try Arithmetic.apply("%", v, .int(2)), .int(1)) })
        t["even"] = ([], { v, _, _ in pyEqual(try Arithmetic.apply("%", v, .int(2)), .int(0)) })
        t["divisibleby"] = (["num"], { v, a, _ in pyEqual(try Arithmetic.apply("%", v, try a.required(0)), .int(0)) })
        t["in"] = (["seq"], { v, a, _ in try pyContains(try a.required(0), v) })
        t["sameas"] = (["other"], { v, a, _ in
            let o = try a.required(0)
            switch (v, o) {
            case let (.namespace(x), .namespace(y)): return x === y
            case let (.function(x), .function(y)): return x === y
            case (.none, .none): return true
            case let (.bool(x), .bool(y)): return x == y
            case (.list, _), (.dict, _), (.tuple, _): return false
            default: return v.typeName == o.typeName && pyEqual(v, o)
            }
        })
        for (names, op) in [(["eq", "equalto", "=="], "=="), (["ne", "!="], "!="), (["lt", "lessthan", "<"], "<"),
                            (["le", "<="], "<="), (["gt", "greaterthan", ">"], ">"), (["ge", ">="], ">=")] {
            for n in names { t[n] = (["other"], { v, a, _ in try pyCompare(op, v, try a.required(0)) }) }
        }
        return t
    }()

    static func apply(_ name: String, _ v: Val, _ args: [Val], _ kwargs: [(String, Val)], _ r: Renderer) throws -> Bool {
        guard let (params, f) = table[name] else { throw EvalError("unsupported test '\(name)'", .unsupported) }
        return try f(v, try BoundArgs("test " + name, params, args, kwargs), r)
    }
}
