// The values a caller hands to a chat template: JSON-shaped data (messages, tools, extra keyword arguments).

/// A JSON-like value. Dictionaries keep their insertion order, as Python dicts do, because templates that
/// iterate or print a dict must see the caller's order.
public enum Value: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case dict([(key: String, value: Value)])

    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.list(x), .list(y)): return x == y
        case let (.dict(x), .dict(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member named `key` of a dict (first match), nil otherwise.
    public subscript(key: String) -> Value? {
        guard case .dict(let pairs) = self else { return nil }
        return pairs.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value
    }

    /// A chat message: `{"role": role, "content": content}`.
    public static func message(_ role: String, _ content: String) -> Value {
        .dict([("role", .string(role)), ("content", .string(content))])
    }
}

extension Value: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .none }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
    public init(integerLiteral i: Int) { self = .int(i) }
    public init(floatLiteral d: Double) { self = .double(d) }
    public init(stringLiteral s: String) { self = .string(s) }
    public init(arrayLiteral xs: Value...) { self = .list(xs) }
    /// Keeps the literal's order.
    public init(dictionaryLiteral pairs: (String, Value)...) { self = .dict(pairs.map { (key: $0.0, value: $0.1) }) }
}
