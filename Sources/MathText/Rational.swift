// Exact rational numbers over Int with overflow detection: every operation returns nil instead of wrapping,
// so a result is either exact or absent (the caller then says "too large to check exactly").

public struct Rational: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Numerator; carries the sign.
    public private(set) var num: Int
    /// Denominator, always positive; gcd(num, den) == 1.
    public private(set) var den: Int

    public static let zero = Rational(0)
    public static let one = Rational(1)

    public init(_ n: Int) { num = n; den = 1 }

    /// n/d reduced; nil when d == 0 or on overflow.
    public init?(_ n: Int, _ d: Int) {
        guard d != 0, n != Int.min, d != Int.min else { return nil }
        var n = n, d = d
        if d < 0 { n = -n; d = -d }
        let g = gcd(n.magnitude, d.magnitude)
        num = n / Int(g)
        den = d / Int(g)
    }

    public var isInteger: Bool { den == 1 }
    public var isZero: Bool { num == 0 }
    public var isNegative: Bool { num < 0 }
    public var double: Double { Double(num) / Double(den) }

    public var description: String { den == 1 ? String(num) : "\(num)/\(den)" }

    public static func < (a: Rational, b: Rational) -> Bool {
        // a.num * b.den < b.num * a.den, widened to avoid overflow.
        let l = a.num.multipliedFullWidth(by: b.den), r = b.num.multipliedFullWidth(by: a.den)
        return l.high < r.high || (l.high == r.high && l.low < r.low)
    }

    public func negated() -> Rational? { num == Int.min ? nil : Rational(unreduced: -num, den) }

    public func adding(_ o: Rational) -> Rational? {
        if den == o.den {
            let (s, ov) = num.addingReportingOverflow(o.num)
            return ov ? nil : Rational(s, den)
        }
        let g = Int(gcd(den.magnitude, o.den.magnitude))
        let (a, o1) = num.multipliedReportingOverflow(by: o.den / g)
        let (b, o2) = o.num.multipliedReportingOverflow(by: den / g)
        let (s, o3) = a.addingReportingOverflow(b)
        let (d, o4) = den.multipliedReportingOverflow(by: o.den / g)
        if o1 || o2 || o3 || o4 { return nil }
        return Rational(s, d)
    }

    public func subtracting(_ o: Rational) -> Rational? { o.negated().flatMap { adding($0) } }

    public func multiplied(by o: Rational) -> Rational? {
        // Cross-reduce first to keep intermediate values small.
        let g1 = Int(gcd(num.magnitude, o.den.magnitude)), g2 = Int(gcd(o.num.magnitude, den.magnitude))
        let (n, o1) = (num / max(g1, 1)).multipliedReportingOverflow(by: o.num / max(g2, 1))
        let (d, o2) = (den / max(g2, 1)).multipliedReportingOverflow(by: o.den / max(g1, 1))
        if o1 || o2 { return nil }
        return Rational(n, d)
    }

    public func divided(by o: Rational) -> Rational? {
        guard o.num != 0 else { return nil }
        return o.reciprocal().flatMap { multiplied(by: $0) }
    }

    public func reciprocal() -> Rational? { num == 0 ? nil : Rational(den, num) }

    /// self^e for an integer exponent with |e| <= 512; nil on overflow or 0^negative.
    public func power(_ e: Int) -> Rational? {
        guard abs(e) <= 512 else {
            if num == 0 && e > 0 { return .zero }
            if den == 1 && (num == 1) { return .one }
            if den == 1 && num == -1 { return Rational(e % 2 == 0 ? 1 : -1) }
            return nil
        }
        var base = e < 0 ? (reciprocal() ?? Rational(0)) : self
        if e < 0 && num == 0 { return nil }
        var k = abs(e)
        var r = Rational.one
        while k > 0 {
            if k & 1 == 1 { guard let m = r.multiplied(by: base) else { return nil }; r = m }
            k >>= 1
            if k > 0 { guard let m = base.multiplied(by: base) else { return nil }; base = m }
        }
        return r
    }

    private init(unreduced n: Int, _ d: Int) { num = n; den = d }

    /// Parses a plain decimal `-12.50`, `.5`, `1,234` (commas at thousands positions), `3e5`, `2.5E-3`.
    /// Nil when it is not such a number or does not fit.
    public init?(decimal s: Substring) {
        var digits = 0      // value as integer of all digits
        var scale = 0       // digits after the point
        var neg = false
        var seen = false
        var i = s.utf8.startIndex
        let u = s.utf8
        if i < u.endIndex, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") {
            neg = u[i] == UInt8(ascii: "-"); i = u.index(after: i)
        }
        var point = false
        var exp = 0
        while i < u.endIndex {
            let c = u[i]
            if c >= 0x30 && c <= 0x39 {
                let (m, o1) = digits.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(c - 0x30))
                if o1 || o2 { return nil }
                digits = a
                if point { scale += 1 }
                seen = true
            } else if c == UInt8(ascii: "."), !point {
                point = true
            } else if c == UInt8(ascii: ","), !point, seen {
                // thousands separator: exactly three digits follow, then a non-digit
                var j = u.index(after: i), k = 0
                while j < u.endIndex, u[j] >= 0x30 && u[j] <= 0x39 { k += 1; j = u.index(after: j) }
                if k != 3 { return nil }
            } else if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")), seen {
                var j = u.index(after: i)
                var eneg = false
                if j < u.endIndex, u[j] == UInt8(ascii: "-") || u[j] == UInt8(ascii: "+") {
                    eneg = u[j] == UInt8(ascii: "-"); j = u.index(after: j)
                }
                var e = 0, any = false
                while j < u.endIndex, u[j] >= 0x30 && u[j] <= 0x39, e < 1000 {
                    e = e * 10 + Int(u[j] - 0x30); any = true; j = u.index(after: j)
                }
                if !any || j != u.endIndex { return nil }
                exp = eneg ? -e : e
                break
            } else {
                return nil
            }
            i = u.index(after: i)
        }
        guard seen else { return nil }
        guard let p = Rational(10).power(exp - scale) else { return nil }
        guard let v = Rational(neg ? -digits : digits).multiplied(by: p) else { return nil }
        self = v
    }

    /// Digits after the decimal point as written in `s` (`3.50` -> 2, `12` -> 0).
    public static func decimalPlaces(_ s: Substring) -> Int {
        guard let dot = s.firstIndex(of: ".") else { return 0 }
        var n = 0
        for c in s[s.index(after: dot)...] { if c.isASCII && c.isNumber { n += 1 } else { break } }
        return n
    }
}

@inline(__always) func gcd(_ a: UInt, _ b: UInt) -> UInt {
    var a = a, b = b
    while b != 0 { (a, b) = (b, a % b) }
    return a == 0 ? 1 : a
}
