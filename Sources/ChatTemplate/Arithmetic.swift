// Python's binary operators on template values: + - * / // % ** (ints overflow into an error, not a bigint).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Arithmetic {
    static func apply(_ op: String, _ a: Val, _ b: Val) throws -> Val {
        _ = try a.defined(); _ = try b.defined()
        if let x = numeric(a), let y = numeric(b) { return try number(op, x, y) }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .list(x), .list(y)): return .list(x + y)
        case let ("+", .tuple(x), .tuple(y)): return .tuple(x + y)
        case ("*", .string, _), ("*", .list, _), ("*", .tuple, _):
            guard case .int(let n)? = numeric(b) else { break }
            return try repeated(a, n)
        case ("*", _, .string), ("*", _, .list), ("*", _, .tuple):
            guard case .int(let n)? = numeric(a) else { break }
            return try repeated(b, n)
        case ("%", .string, _):
            throw EvalError("unsupported printf-style string formatting ('%' on a string)", .unsupported)
        default: break
        }
        if op == "+", case .string = a {
            throw EvalError("can only concatenate str (not \"\(b.typeName)\") to str")
        }
        if op == "+", case .list = a {
            throw EvalError("can only concatenate list (not \"\(b.typeName)\") to list")
        }
        throw EvalError("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    private static func repeated(_ v: Val, _ n: Int) throws -> Val {
        let k = max(n, 0)
        switch v {
        case .string(let s):
            guard s.unicodeScalars.count.multipliedReportingOverflow(by: k).partialValue <= 1 << 24 else { throw EvalError("repeated string too long") }
            return .string(String(repeating: s, count: k))
        case .list(let xs):
            guard xs.count * min(k, 1 << 24) <= 1 << 24 else { throw EvalError("repeated list too long") }
            return .list(Array([[Val]](repeating: xs, count: k).joined()))
        case .tuple(let xs):
            guard xs.count * min(k, 1 << 24) <= 1 << 24 else { throw EvalError("repeated tuple too long") }
            return .tuple(Array([[Val]](repeating: xs, count: k).joined()))
        default: return v
        }
    }

    private static func number(_ op: String, _ x: Number, _ y: Number) throws -> Val {
        if case let (.int(i), .int(j)) = (x, y) {
            func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Val {
                if r.overflow { throw EvalError("integer overflow", .unsupported) }
                return .int(r.partialValue)
            }
            switch op {
            case "+": return try checked(i.addingReportingOverflow(j))
            case "-": return try checked(i.subtractingReportingOverflow(j))
            case "*": return try checked(i.multipliedReportingOverflow(by: j))
            case "/":
                if j == 0 { throw EvalError("division by zero") }
                return .double(Double(i) / Double(j))
            case "//", "%":
                if j == 0 { throw EvalError("integer division or modulo by zero") }
                if i == Int.min && j == -1 { throw EvalError("integer overflow", .unsupported) }
                var q = i / j, r = i % j
                if r != 0 && (r < 0) != (j < 0) { q -= 1; r += j }
                return .int(op == "//" ? q : r)
            case "**":
                if j < 0 { return .double(pow(Double(i), Double(j))) }
                var result = 1, base = i, e = j
                while e > 0 {
                    if e & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)).intValue }
                    e >>= 1
                    if e > 0 { base = try checked(base.multipliedReportingOverflow(by: base)).intValue }
                }
                return .int(result)
            default: break
            }
        }
        let a = x.double, b = y.double
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            if b == 0 { throw EvalError("float division by zero") }
            return .double(a / b)
        case "//", "%":
            if b == 0 { throw EvalError("float floor division by zero") }
            // CPython's float_divmod.
            var mod = fmod(a, b)
            var div = (a - mod) / b
            if mod != 0 {
                if (b < 0) != (mod < 0) { mod += b; div -= 1 }
            } else {
                mod = copysign(0, b)
            }
            var floordiv: Double
            if div != 0 {
                floordiv = div.rounded(.down)
                if div - floordiv > 0.5 { floordiv += 1 }
            } else {
                floordiv = copysign(0, a / b)
            }
            return .double(op == "//" ? floordiv : mod)
        case "**": return .double(pow(a, b))
        default: throw EvalError("unknown operator '\(op)'")
        }
    }
}

private extension Val {
    var intValue: Int { if case .int(let i) = self { return i }; return 0 }
}
