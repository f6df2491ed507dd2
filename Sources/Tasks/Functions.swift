// Small Python function-synthesis problems with unit tests, in HumanEval's record format (prompt =
// signature + docstring, canonical_solution = body, test = `def check(candidate): assert ...`,
// entry_point), so st-verify's humaneval runner checks them in its sandbox. Expected outputs are computed
// here, in Swift, with the same semantics as the Python reference; a conformance test runs every reference
// solution through Python to prove the two agree.
import Streams

public struct FuncProblem {
    public var kind: String
    public var entryPoint: String
    public var prompt: String
    public var solution: String
    public var test: String
}

/// A value as Python prints it (`repr`): ints, strings, lists and booleans are all the kinds need.
indirect enum PyValue {
    case int(Int), str(String), list([PyValue]), bool(Bool)
    var repr: String {
        switch self {
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .str(let s): return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let xs): return "[" + xs.map(\.repr).joined(separator: ", ") + "]"
        }
    }
}

/// One kind of function: its name, docstring and body, and a Swift model of it for the expected outputs.
struct FuncKind {
    var name: String
    var argument: String                      // "xs" or "s" or "words"
    var make: (inout ArithGenerator) -> (suffix: String, doc: String, body: String, eval: (PyValue) -> PyValue)
    var input: (inout ArithGenerator) -> PyValue
}

private func ints(_ v: PyValue) -> [Int] { if case .list(let xs) = v { return xs.map { if case .int(let i) = $0 { return i }; return 0 } }; return [] }
private func str(_ v: PyValue) -> String { if case .str(let s) = v { return s }; return "" }
private func strs(_ v: PyValue) -> [String] { if case .list(let xs) = v { return xs.map(str) }; return [] }

private let letters = Array("abcdefghijklmnopqrstuvwxyz")
private let words = ["apple", "banana", "cherry", "date", "egg", "fig", "grape", "kiwi", "lemon", "mango", "nut", "olive",
                     "pear", "plum", "rice", "salt", "tea", "yam", "bean", "corn", "apricot", "berry", "carrot", "onion"]

private func intList(_ g: inout ArithGenerator) -> PyValue {
    .list((0..<g.int(0, 7)).map { _ in .int(g.int(-9, 20)) })
}
private func word(_ g: inout ArithGenerator) -> PyValue {
    .str(String((0..<g.int(0, 9)).map { _ in letters[g.int(0, 7)] }))   // a–h: repeats make counting interesting
}
private func wordList(_ g: inout ArithGenerator) -> PyValue {
    .list((0..<g.int(0, 6)).map { _ in .str(g.pick(words)) })
}

let funcKinds: [FuncKind] = [
    FuncKind(name: "greater_than", argument: "xs", make: { g in
        let k = g.int(0, 30)
        return ("\(k)", "Return the numbers in xs that are greater than \(k), in order.",
                "return [x for x in xs if x > \(k)]", { .list(ints($0).filter { $0 > k }.map { .int($0) }) })
    }, input: intList),
    FuncKind(name: "add_to_each", argument: "xs", make: { g in
        let k = g.int(1, 30)
        return ("\(k)", "Return a new list with \(k) added to every number in xs.",
                "return [x + \(k) for x in xs]", { .list(ints($0).map { .int($0 + k) }) })
    }, input: intList),
    FuncKind(name: "sum_multiples_of", argument: "xs", make: { g in
        let k = g.int(2, 12)
        return ("\(k)", "Return the sum of the numbers in xs that are divisible by \(k).",
                "return sum(x for x in xs if x % \(k) == 0)", { .int(ints($0).filter { (($0 % k) + k) % k == 0 }.reduce(0, +)) })
    }, input: intList),
    FuncKind(name: "count_below", argument: "xs", make: { g in
        let k = g.int(0, 30)
        return ("\(k)", "Return how many numbers in xs are less than \(k).",
                "return len([x for x in xs if x < \(k)])", { .int(ints($0).filter { $0 < k }.count) })
    }, input: intList),
    FuncKind(name: "largest_or", argument: "xs", make: { g in
        let k = g.int(0, 30)
        return ("\(k)", "Return the largest number in xs, or \(k) if xs is empty.",
                "return max(xs) if xs else \(k)", { v in .int(ints(v).max() ?? k) })
    }, input: intList),
    FuncKind(name: "count_char", argument: "s", make: { g in
        let c = letters[g.int(0, 7)]
        return ("\(c)", "Return how many times the letter '\(c)' appears in s.",
                "return s.count('\(c)')", { .int(str($0).filter { $0 == c }.count) })
    }, input: word),
    FuncKind(name: "replace_char", argument: "s", make: { g in
        let a = letters[g.int(0, 7)], b = letters[g.int(8, 25)]
        return ("\(a)_\(b)", "Return s with every '\(a)' replaced by '\(b)'.",
                "return s.replace('\(a)', '\(b)')", { .str(String(str($0).map { $0 == a ? b : $0 })) })
    }, input: word),
    FuncKind(name: "repeat_each", argument: "s", make: { g in
        let k = g.int(2, 6)
        return ("\(k)", "Return s with every character repeated \(k) times.",
                "return ''.join(c * \(k) for c in s)", { .str(String(str($0).flatMap { Array(repeating: $0, count: k) })) })
    }, input: word),
    FuncKind(name: "starts_with", argument: "words", make: { g in
        let c = g.pick(["a", "b", "c", "d", "e", "f", "g", "k", "l", "m", "n", "o", "p", "r", "s", "t", "y"])
        return ("\(c)", "Return the words in the list that start with '\(c)', in order.",
                "return [w for w in words if w.startswith('\(c)')]", { .list(strs($0).filter { $0.hasPrefix(c) }.map { .str($0) }) })
    }, input: wordList),
    FuncKind(name: "longer_than", argument: "words", make: { g in
        let k = g.int(2, 7)
        return ("\(k)", "Return how many words in the list have more than \(k) letters.",
                "return len([w for w in words if len(w) > \(k)])", { .int(strs($0).filter { $0.count > k }.count) })
    }, input: wordList),
    FuncKind(name: "multiply_each", argument: "xs", make: { g in
        let k = g.int(2, 12)
        return ("\(k)", "Return a new list with every number in xs multiplied by \(k).",
                "return [x * \(k) for x in xs]", { .list(ints($0).map { .int($0 * k) }) })
    }, input: intList),
    FuncKind(name: "drop_value", argument: "xs", make: { g in
        let k = g.int(-9, 20)
        return (k < 0 ? "minus\(-k)" : "\(k)", "Return xs without any occurrence of \(k), other numbers in order.",
                "return [x for x in xs if x != \(k)]", { .list(ints($0).filter { $0 != k }.map { .int($0) }) })
    }, input: intList),
    FuncKind(name: "ends_with", argument: "words", make: { g in
        let c = g.pick(["a", "e", "g", "i", "m", "n", "o", "r", "t", "y"])
        return ("\(c)", "Return the words in the list that end with '\(c)', in order.",
                "return [w for w in words if w.endswith('\(c)')]", { .list(strs($0).filter { $0.hasSuffix(c) }.map { .str($0) }) })
    }, input: wordList),
]

extension ArithGenerator {
    mutating func function(kind: FuncKind, tests: Int = 5) -> FuncProblem {
        let (suffix, doc, body, eval) = kind.make(&self)
        let entry = "\(kind.name)_\(suffix)"
        let prompt = "def \(entry)(\(kind.argument)):\n    \"\"\"\(doc)\"\"\"\n"
        var asserts: [String] = []
        var seen = Set<String>()
        var tries = 0
        while asserts.count < tests && tries < 100 {
            tries += 1
            let x = kind.input(&self)
            guard seen.insert(x.repr).inserted else { continue }
            asserts.append("    assert candidate(\(x.repr)) == \(eval(x).repr)")
        }
        let test = "def check(candidate):\n" + asserts.joined(separator: "\n") + "\n"
        return FuncProblem(kind: kind.name, entryPoint: entry, prompt: prompt, solution: "    \(body)\n", test: test)
    }
}
