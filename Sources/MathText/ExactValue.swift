// Exact values of answer expressions: sums of terms q · √r · π^k (q rational, r a square-free positive
// integer, k an integer). Equal values have equal canonical forms, so `\frac{\sqrt{3}}{3}`, `1/\sqrt{3}`,
// `\sqrt{3}/3` and `\frac{1}{\sqrt3}` are one value, as are `5\sqrt{2}` and `\sqrt{50}`, `2\pi` and `\pi*2`.

public struct ExactValue: Equatable, Sendable, CustomStringConvertible {
    struct Key: Hashable, Comparable, Sendable {
        var radicand: Int
        var pi: Int
        static func < (a: Key, b: Key) -> Bool { (a.pi, a.radicand) < (b.pi, b.radicand) }
    }
    var terms: [Key: Rational]

    public init(_ r: Rational) { terms = r.isZero ? [:] : [Key(radicand: 1, pi: 0): r] }
    init(terms: [Key: Rational]) { self.terms = terms.filter { !$0.value.isZero } }

    static let pi = ExactValue(terms: [Key(radicand: 1, pi: 1): .one])

    /// The rational value when the expression has no radical or π.
    public var rational: Rational? {
        if terms.isEmpty { return .zero }
        if terms.count == 1, let (k, v) = terms.first, k.radicand == 1, k.pi == 0 { return v }
        return nil
    }

    public var description: String {
        if terms.isEmpty { return "0" }
        return terms.keys.sorted().map { k in
            var s = terms[k]!.description
            if k.radicand != 1 { s += "*sqrt(\(k.radicand))" }
            if k.pi != 0 { s += "*pi^\(k.pi)" }
            return s
        }.joined(separator: " + ")
    }

    func adding(_ o: ExactValue) -> ExactValue? {
        var t = terms
        for (k, v) in o.terms {
            if let a = t[k] { guard let s = a.adding(v) else { return nil }; t[k] = s } else { t[k] = v }
        }
        return ExactValue(terms: t)
    }

    func negated() -> ExactValue? {
        var t: [Key: Rational] = [:]
        for (k, v) in terms { guard let n = v.negated() else { return nil }; t[k] = n }
        return ExactValue(terms: t)
    }

    func multiplied(by o: ExactValue) -> ExactValue? {
        var t: [Key: Rational] = [:]
        for (k1, v1) in terms {
            for (k2, v2) in o.terms {
                guard let (coef, r) = squareFreeProduct(k1.radicand, k2.radicand),
                      let c = v1.multiplied(by: v2)?.multiplied(by: Rational(coef)) else { return nil }
                let k = Key(radicand: r, pi: k1.pi + k2.pi)
                if let a = t[k] { guard let s = a.adding(c) else { return nil }; t[k] = s } else { t[k] = c }
            }
        }
        return ExactValue(terms: t)
    }

    /// Division by a single term (c·√r·π^k); nil for a sum of several terms or zero.
    func divided(by o: ExactValue) -> ExactValue? {
        guard o.terms.count == 1, let (k, c) = o.terms.first else { return nil }
        // 1/(c √r π^k) = √r / (c r) · π^-k
        guard let inv = Rational(1).divided(by: c)?.divided(by: Rational(k.radicand)) else { return nil }
        return multiplied(by: ExactValue(terms: [Key(radicand: k.radicand, pi: -k.pi): inv]))
    }

    func power(_ e: Int) -> ExactValue? {
        guard abs(e) <= 64 else { return rational.flatMap { $0.power(e) }.map { ExactValue($0) } }
        var r = ExactValue(.one)
        for _ in 0..<abs(e) { guard let m = r.multiplied(by: self) else { return nil }; r = m }
        return e < 0 ? ExactValue(.one).divided(by: r) : r
    }

    /// √x for a non-negative rational x.
    func squareRoot() -> ExactValue? {
        guard let q = rational, !q.isNegative else { return nil }
        if q.isZero { return ExactValue(.zero) }
        // √(p/q) = √(p q) / q
        let (pq, ov) = q.num.multipliedReportingOverflow(by: q.den)
        guard !ov, pq <= 1_000_000_000_000 else { return nil }
        let (outside, inside) = extractSquares(pq)
        guard let coef = Rational(outside, q.den) else { return nil }
        return ExactValue(terms: [Key(radicand: inside, pi: 0): coef])
    }
}

/// √a·√b = coef·√r with r square-free.
private func squareFreeProduct(_ a: Int, _ b: Int) -> (Int, Int)? {
    if a == 1 { return (1, b) }
    if b == 1 { return (1, a) }
    let (p, ov) = a.multipliedReportingOverflow(by: b)
    guard !ov, p <= 1_000_000_000_000 else { return nil }
    return extractSquares(p)
}

/// n = outside² · inside with inside square-free.
private func extractSquares(_ n: Int) -> (Int, Int) {
    var n = n, outside = 1, inside = 1
    var f = 2
    while f * f <= n {
        var k = 0
        while n % f == 0 { n /= f; k += 1 }
        for _ in 0..<(k / 2) { outside *= f }
        if k % 2 == 1 { inside *= f }
        f += f == 2 ? 1 : 2
    }
    inside *= n
    return (outside, inside)
}

/// Parser for answer expressions: numbers (decimals, thousands separators), `+ - * /` (after normalization
/// `\cdot`, `\times` and `\div` are `*` and `/`), implicit multiplication (`2\sqrt{3}`, `3\pi`, `2(1+\pi)`),
/// `^` with an integer or `1/2` exponent, parentheses and braces, `\frac{a}{b}` (also `\frac12`, `\frac1{2}`),
/// `\sqrt{x}` / `\sqrt2` of a rational, `\pi`, and mixed numbers `2\frac{1}{2}` (an integer directly followed
/// by a proper fraction of integers). Anything else (letters, `\infty`, `\sqrt[3]{…}`, `i`) is not a value.
struct ValueParser {
    let b: [UInt8]
    var pos = 0

    init(_ b: [UInt8]) { self.b = b }

    mutating func skipSpaces() { while pos < b.count, b[pos] == 0x20 || b[pos] == 0x09 { pos += 1 } }

    private func peek() -> UInt8? { pos < b.count ? b[pos] : nil }

    private func hasCommand(_ name: String) -> Bool {
        let n = Array(name.utf8)
        guard pos + n.count <= b.count, b[pos] == UInt8(ascii: "\\") else { return false }
        for k in 0..<n.count where b[pos + k] != n[k] { return false }
        return pos + n.count == b.count || !isLetter(b[pos + n.count])
    }

    mutating func expression() -> ExactValue? {
        skipSpaces()
        var v: ExactValue
        if let c = peek(), c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            pos += 1
            guard let t = term() else { return nil }
            v = c == UInt8(ascii: "-") ? (t.negated() ?? t) : t
            if c == UInt8(ascii: "-"), t.negated() == nil { return nil }
        } else {
            guard let t = term() else { return nil }
            v = t
        }
        while true {
            skipSpaces()
            guard let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else { break }
            pos += 1
            guard let t = term() else { return nil }
            guard let r = c == UInt8(ascii: "+") ? v.adding(t) : t.negated().flatMap({ v.adding($0) }) else { return nil }
            v = r
        }
        return v
    }

    mutating func term() -> ExactValue? {
        guard var v = factor() else { return nil }
        while true {
            skipSpaces()
            guard let c = peek() else { break }
            if c == UInt8(ascii: "*") || c == UInt8(ascii: "/") {
                pos += 1
                guard let f = factor() else { return nil }
                guard let r = c == UInt8(ascii: "*") ? v.multiplied(by: f) : v.divided(by: f) else { return nil }
                v = r
            } else if c == UInt8(ascii: "(") || c == UInt8(ascii: "{") || hasCommand("\\sqrt") || hasCommand("\\pi")
                        || hasCommand("\\frac") {
                // implicit multiplication: 2\sqrt{3}, 3\pi, 2(1+\pi)
                guard let f = factor(), let r = v.multiplied(by: f) else { return nil }
                v = r
            } else {
                break
            }
        }
        return v
    }

    mutating func factor() -> ExactValue? {
        skipSpaces()
        if let c = peek(), c == UInt8(ascii: "-") {
            pos += 1
            return factor()?.negated()
        }
        guard let base = atom() else { return nil }
        skipSpaces()
        if peek() == UInt8(ascii: "^") {
            pos += 1
            skipSpaces()
            guard let e = exponentArgument() else { return nil }
            if let q = e.rational {
                if q.isInteger { return base.power(q.num) }
                if q == Rational(1, 2) { return base.squareRoot() }
            }
            return nil
        }
        return base
    }

    private mutating func exponentArgument() -> ExactValue? {
        if peek() == UInt8(ascii: "{") { return braced() }
        if let c = peek(), c == UInt8(ascii: "-") { pos += 1; return exponentArgument()?.negated() }
        if let c = peek(), isDigit(c) { pos += 1; return ExactValue(Rational(Int(c - 0x30))) }
        return atom()
    }

    private mutating func braced() -> ExactValue? {
        guard peek() == UInt8(ascii: "{") else { return nil }
        pos += 1
        guard let v = expression() else { return nil }
        skipSpaces()
        guard peek() == UInt8(ascii: "}") else { return nil }
        pos += 1
        return v
    }

    /// A command argument: `{expr}`, or one digit / one command (`\frac12`, `\sqrt2`, `\frac\pi2`).
    private mutating func argument() -> ExactValue? {
        skipSpaces()
        guard let c = peek() else { return nil }
        if c == UInt8(ascii: "{") { return braced() }
        if isDigit(c) { pos += 1; return ExactValue(Rational(Int(c - 0x30))) }
        if c == UInt8(ascii: "\\") { return atom() }
        return nil
    }

    mutating func atom() -> ExactValue? {
        skipSpaces()
        guard let c = peek() else { return nil }
        if isDigit(c) || c == UInt8(ascii: ".") {
            let start = pos
            while pos < b.count {
                let d = b[pos]
                if isDigit(d) || d == UInt8(ascii: ".") { pos += 1; continue }
                if d == UInt8(ascii: ","), isThousandsComma(b, pos) { pos += 1; continue }
                break
            }
            guard let q = Rational(decimal: Substring(String(decoding: b[start..<pos], as: UTF8.self))) else {
                return nil
            }
            // mixed number: an integer directly followed by \frac{p}{q} with 0 <= p < q integers
            if q.isInteger, !b[start..<pos].contains(UInt8(ascii: ".")), hasCommand("\\frac") {
                let save = pos
                pos += 5
                if let n = argument()?.rational, let d = argument()?.rational, n.isInteger, d.isInteger,
                   n.num >= 0, n.num < d.num, let f = n.divided(by: d), let s = q.adding(f) {
                    return ExactValue(s)
                }
                pos = save
            }
            return ExactValue(q)
        }
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "{") {
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "}")
            pos += 1
            guard let v = expression() else { return nil }
            skipSpaces()
            guard peek() == close else { return nil }
            pos += 1
            return v
        }
        if hasCommand("\\frac") {
            pos += 5
            guard let n = argument(), let d = argument() else { return nil }
            return n.divided(by: d)
        }
        if hasCommand("\\sqrt") {
            pos += 5
            skipSpaces()
            if peek() == UInt8(ascii: "[") { return nil }   // n-th roots are not handled
            return argument()?.squareRoot()
        }
        if hasCommand("\\pi") {
            pos += 3
            return .pi
        }
        return nil
    }
}
