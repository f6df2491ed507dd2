// Values as the template sees them: Python's types as jinja2 exposes them (str, int, float, bool, None, list,
// tuple, dict), plus jinja2's Undefined, namespace() objects and callables (macros, globals, bound methods).

enum Val {
    /// jinja2's Undefined: prints as '', is falsy, iterates as empty; most other uses raise `hint`.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Val])
    case tuple([Val])
    case dict(Dict)
    case namespace(Namespace)
    case function(Function)

    init(_ v: Value) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let xs): self = .list(xs.map(Val.init))
        case .dict(let pairs):
            var d = Dict()
            for (k, x) in pairs { d[k] = Val(x) }
            self = .dict(d)
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        }
    }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let xs), .tuple(let xs): return !xs.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .function: return true
        }
    }

    /// Raises the Undefined's message when a use of it is an error in jinja2.
    func defined() throws -> Val {
        if case .undefined(let hint) = self { throw EvalError(hint) }
        return self
    }
}

/// A Python dict with string keys, in insertion order. Keys compare by Unicode scalars, as Python compares str.
struct Dict {
    private(set) var keys: [String] = []
    private(set) var values: [Val] = []
    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    func index(_ key: String) -> Int? { keys.firstIndex { $0.unicodeScalars.elementsEqual(key.unicodeScalars) } }

    subscript(key: String) -> Val? {
        get { index(key).map { values[$0] } }
        set {
            if let i = index(key) {
                if let v = newValue { values[i] = v } else { keys.remove(at: i); values.remove(at: i) }
            } else if let v = newValue {
                keys.append(key); values.append(v)
            }
        }
    }
    var pairs: Zip2Sequence<[String], [Val]> { zip(keys, values) }
}

/// jinja2's namespace(): the one mutable object templates have (for state carried out of loops).
final class Namespace {
    var attrs = Dict()
}

/// A callable: a global (range, namespace, raise_exception, ...), a macro, or a bound method.
final class Function {
    let name: String
    let call: (_ r: Renderer, _ args: [Val], _ kwargs: [(String, Val)]) throws -> Val
    init(_ name: String, _ call: @escaping (Renderer, [Val], [(String, Val)]) throws -> Val) {
        self.name = name; self.call = call
    }
}

/// Positional + keyword arguments bound against a Python-style parameter list.
struct BoundArgs {
    let fn: String
    let params: [String]
    let values: [Val?]

    init(_ fn: String, _ params: [String], _ args: [Val], _ kwargs: [(String, Val)]) throws {
        self.fn = fn; self.params = params
        if args.count > params.count {
            throw EvalError("\(fn)() takes at most \(params.count) argument(s) (\(args.count) given)")
        }
        var vals = [Val?](repeating: nil, count: params.count)
        for (i, a) in args.enumerated() { vals[i] = a }
        for (k, v) in kwargs {
            guard let i = params.firstIndex(of: k) else { throw EvalError("\(fn)() got an unexpected keyword argument '\(k)'") }
            if vals[i] != nil { throw EvalError("\(fn)() got multiple values for argument '\(k)'") }
            vals[i] = v
        }
        values = vals
    }
    subscript(_ i: Int) -> Val? { values[i] }
    func required(_ i: Int) throws -> Val {
        guard let v = values[i] else { throw EvalError("\(fn)() missing required argument '\(params[i])'") }
        return v
    }
}

// MARK: Python semantics

/// Python's ==.
func pyEqual(_ a: Val, _ b: Val) -> Bool {
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
        return x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1) }
    case let (.dict(x), .dict(y)):
        return x.count == y.count && x.pairs.allSatisfy { k, v in y[k].map { pyEqual(v, $0) } ?? false }
    case let (.namespace(x), .namespace(y)): return x === y
    case let (.function(x), .function(y)): return x === y
    default:
        if let x = numeric(a), let y = numeric(b) {
            switch (x, y) {
            case let (.int(i), .int(j)): return i == j
            default: return x.double == y.double
            }
        }
        return false
    }
}

enum Number {
    case int(Int), double(Double)
    var double: Double { switch self { case .int(let i): return Double(i); case .double(let d): return d } }
}

/// bool, int and float as a number (bool is an int subclass in Python).
func numeric(_ v: Val) -> Number? {
    switch v {
    case .bool(let b): return .int(b ? 1 : 0)
    case .int(let i): return .int(i)
    case .double(let d): return .double(d)
    default: return nil
    }
}

/// Python's <, <=, >, >= (ints, floats, str, and list/tuple lexicographically).
func pyLess(_ a: Val, _ b: Val, _ op: String = "<") throws -> Bool {
    _ = try a.defined(); _ = try b.defined()
    if let x = numeric(a), let y = numeric(b) {
        if case let (.int(i), .int(j)) = (x, y) { return i < j }
        return x.double < y.double
    }
    switch (a, b) {
    case let (.string(x), .string(y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
    case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
        for (p, q) in zip(x, y) where !pyEqual(p, q) { return try pyLess(p, q, op) }
        return x.count < y.count
    default:
        throw EvalError("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
    }
}

func pyCompare(_ op: String, _ a: Val, _ b: Val) throws -> Bool {
    switch op {
    case "==": return pyEqual(a, b)
    case "!=": return !pyEqual(a, b)
    case "<": return try pyLess(a, b, op)
    case ">": return try pyLess(b, a, op)
    case "<=": return try !pyLess(b, a, op)
    case ">=": return try !pyLess(a, b, op)
    case "in": return try pyContains(b, a)
    case "notin": return try !pyContains(b, a)
    default: throw EvalError("unknown comparison '\(op)'")
    }
}

/// Python's `item in container`.
func pyContains(_ container: Val, _ item: Val) throws -> Bool {
    switch container {
    case .undefined: return false
    case .string(let s):
        guard case .string(let sub) = item else {
            throw EvalError("'in <string>' requires string as left operand, not \(item.typeName)")
        }
        return findScalars(Array(s.unicodeScalars), Array(sub.unicodeScalars), from: 0) != nil
    case .list(let xs), .tuple(let xs): return xs.contains { pyEqual($0, item) }
    case .dict(let d):
        guard case .string(let k) = item else { return false }
        return d[k] != nil
    default:
        throw EvalError("argument of type '\(container.typeName)' is not iterable")
    }
}

/// The elements a for loop or filter sees: list/tuple items, a string's characters, a dict's keys.
func pyIterate(_ v: Val) throws -> [Val] {
    switch v {
    case .undefined: return []
    case .list(let xs), .tuple(let xs): return xs
    case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
    case .dict(let d): return d.keys.map { .string($0) }
    default: throw EvalError("'\(v.typeName)' object is not iterable")
    }
}

func pyLen(_ v: Val) throws -> Int {
    switch v {
    case .undefined: return 0
    case .string(let s): return s.unicodeScalars.count
    case .list(let xs), .tuple(let xs): return xs.count
    case .dict(let d): return d.count
    default: throw EvalError("object of type '\(v.typeName)' has no len()")
    }
}

func findScalars(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar], from: Int) -> Int? {
    if needle.isEmpty { return from <= hay.count ? from : nil }
    if needle.count > hay.count { return nil }
    var i = from
    while i + needle.count <= hay.count {
        if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

func str(_ scalars: some Sequence<Unicode.Scalar>) -> String {
    var v = String.UnicodeScalarView()
    v.append(contentsOf: scalars)
    return String(v)
}

func isNone(_ v: Val) -> Bool { if case .none = v { return true }; return false }
