// Step checking: evaluate both sides of every arithmetic equation of a solution with exact rationals.
// An equation passes when both sides are equal, or when the right side is a rounded value of the left side
// at the precision it is written with (`10/3 = 3.33`, `2/3 = 0.67`; `≈` also lets an integer be rounded),
// or when a right side written as a percentage equals the left side either as a fraction or as a number
// of percent (`4/20*100 = 20%` and `1/5 = 20%`).

/// The value of an arithmetic expression: exact, or (after an Int overflow) a Double.
public enum ArithValue: Equatable, Sendable {
    case exact(Rational)
    case approximate(Double)

    public var double: Double {
        switch self {
        case .exact(let r): return r.double
        case .approximate(let d): return d
        }
    }
}

/// Evaluates `48/2`, `(3 + 4) * 2`, `$1,200 * 15%`, `2 ** 10`, `3 × 4`, `-5 + 2`. Nil when the text is not
/// a well-formed arithmetic expression (or divides by zero).
public func evaluateArithmetic(_ s: String) -> ArithValue? {
    var bytes = Array(s.utf8)
    return bytes.withUnsafeMutableBufferPointer { mb -> ArithValue? in
        let b = UnsafeBufferPointer(mb)
        let toks = tokenizeArithmetic(b, 0, b.count)
        if toks.isEmpty { return nil }
        var p = ArithParser(b: b, toks: toks)
        guard let v = p.expression(), p.pos == toks.count else { return nil }
        return v
    }
}

/// The value of one number token: `$1,234.50` → 1234.5, `15%` → 3/20.
func numberValue(_ b: UnsafeBufferPointer<UInt8>, _ t: ArithToken) -> ArithValue? {
    var s = t.start, e = t.end
    if t.mixed {
        // "1 1/2": whole part, then the fraction
        var sp = s
        while b[sp] != 0x20 { sp += 1 }
        var whole = ArithToken(kind: .num, start: s, end: sp)
        var fs = sp
        while b[fs] == 0x20 { fs += 1 }
        var slash = fs
        while b[slash] != UInt8(ascii: "/") { slash += 1 }
        whole.mixed = false
        guard let w = numberValue(b, whole),
              let p = numberValue(b, ArithToken(kind: .num, start: fs, end: slash)),
              let q = numberValue(b, ArithToken(kind: .num, start: slash + 1, end: e)),
              let f = combine(p, q, UInt8(ascii: "/")) else { return nil }
        return combine(w, f, UInt8(ascii: "+"))
    }
    var percent = false
    if b[s] == UInt8(ascii: "$") { s += 1; while s < e, b[s] == 0x20 { s += 1 } }
    if e > s, b[e - 1] == UInt8(ascii: "%") { percent = true; e -= 1 }
    var digits = 0, scale = 0, point = false, overflow = false
    var dbl = 0.0
    for i in s..<e {
        let c = b[i]
        if isDigit(c) {
            if !overflow {
                let (m, o1) = digits.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(c &- 0x30))
                if o1 || o2 { overflow = true } else { digits = a }
            }
            dbl = dbl * 10 + Double(c &- 0x30)
            if point { scale += 1 }
        } else if c == UInt8(ascii: ".") {
            point = true
        }
    }
    if percent { scale += 2 }
    if !overflow, scale <= 18, let d = Rational(10).power(scale), let r = Rational(digits, d.num) {
        return .exact(r)
    }
    var x = dbl
    for _ in 0..<scale { x /= 10 }
    return .approximate(x)
}

private func combine(_ a: ArithValue, _ b: ArithValue, _ op: UInt8) -> ArithValue? {
    if case .exact(let x) = a, case .exact(let y) = b {
        let r: Rational?
        switch op {
        case UInt8(ascii: "+"): r = x.adding(y)
        case UInt8(ascii: "-"): r = x.subtracting(y)
        case UInt8(ascii: "*"): r = x.multiplied(by: y)
        case UInt8(ascii: "/"):
            if y.isZero { return nil }
            r = x.divided(by: y)
        case UInt8(ascii: "f"):   // floor division
            if y.isZero { return nil }
            r = x.divided(by: y).map { q in
                var n = q.num / q.den
                if q.num % q.den != 0 && q.isNegative { n -= 1 }
                return Rational(n)
            }
        default:  // ^
            guard y.isInteger else { return powDouble(x.double, y.double) }
            if x.isZero && y.num < 0 { return nil }
            r = x.power(y.num)
        }
        if let r { return .exact(r) }
    }
    let x = a.double, y = b.double
    switch op {
    case UInt8(ascii: "+"): return .approximate(x + y)
    case UInt8(ascii: "-"): return .approximate(x - y)
    case UInt8(ascii: "*"): return .approximate(x * y)
    case UInt8(ascii: "/"): return y == 0 ? nil : .approximate(x / y)
    case UInt8(ascii: "f"): return y == 0 ? nil : .approximate((x / y).rounded(.down))
    default: return powDouble(x, y)
    }
}

private func powDouble(_ x: Double, _ y: Double) -> ArithValue? {
    if x < 0 && y != y.rounded() { return nil }
    var r = 1.0
    // exp(y log x) without Foundation: integer part by squaring, fractional part by a short series.
    let yi = y.rounded(.towardZero), yf = y - yi
    var base = yi < 0 ? 1 / x : x
    var k = Int(abs(yi))
    if k > 100_000 { return nil }
    while k > 0 { if k & 1 == 1 { r *= base }; base *= base; k >>= 1 }
    if yf != 0 { r *= expSeries(yf * lnSeries(x)) }
    return r.isFinite ? .approximate(r) : nil
}

private func lnSeries(_ x: Double) -> Double {
    // ln x = 2 atanh((x-1)/(x+1)), after scaling x into [0.5, 2].
    var x = x, k = 0.0
    while x > 2 { x /= 2; k += 1 }
    while x < 0.5 { x *= 2; k -= 1 }
    let z = (x - 1) / (x + 1), z2 = z * z
    var term = z, sum = 0.0
    var n = 1.0
    for _ in 0..<40 { sum += term / n; term *= z2; n += 2 }
    return 2 * sum + k * 0.6931471805599453
}

private func expSeries(_ x: Double) -> Double {
    var sum = 1.0, term = 1.0
    for n in 1..<40 { term *= x / Double(n); sum += term }
    return sum
}

/// Recursive descent over arithmetic tokens: + - (left), * / (left), unary sign, ^ (right).
struct ArithParser {
    let b: UnsafeBufferPointer<UInt8>
    let toks: [ArithToken]
    var pos = 0
    /// Tokens at and after `limit` are not part of the expression.
    var limit: Int

    init(b: UnsafeBufferPointer<UInt8>, toks: [ArithToken]) { self.b = b; self.toks = toks; limit = toks.count }

    init(b: UnsafeBufferPointer<UInt8>, toks: [ArithToken], range: Range<Int>) {
        self.b = b; self.toks = toks; pos = range.lowerBound; limit = range.upperBound
    }

    /// The value of the whole range, or nil when it is not one well-formed expression.
    mutating func whole() -> ArithValue? {
        guard let v = expression(), pos == limit else { return nil }
        return v
    }

    mutating func expression() -> ArithValue? {
        guard var v = term() else { return nil }
        while pos < limit, toks[pos].kind == .op, toks[pos].op == UInt8(ascii: "+") || toks[pos].op == UInt8(ascii: "-") {
            let op = toks[pos].op
            pos += 1
            guard let r = term(), let c = combine(v, r, op) else { return nil }
            v = c
        }
        return v
    }

    mutating func term() -> ArithValue? {
        guard var v = unary() else { return nil }
        while pos < limit, toks[pos].kind == .op, (toks[pos].op == UInt8(ascii: "*") || toks[pos].op == UInt8(ascii: "/")
                || toks[pos].op == UInt8(ascii: "f")) {
            let op = toks[pos].op
            pos += 1
            guard let r = unary(), let c = combine(v, r, op) else { return nil }
            v = c
        }
        return v
    }

    mutating func unary() -> ArithValue? {
        if pos < limit, toks[pos].kind == .op, toks[pos].op == UInt8(ascii: "-") || toks[pos].op == UInt8(ascii: "+") {
            let neg = toks[pos].op == UInt8(ascii: "-")
            pos += 1
            guard let v = unary() else { return nil }
            return neg ? combine(.exact(.zero), v, UInt8(ascii: "-")) : v
        }
        return power()
    }

    mutating func power() -> ArithValue? {
        guard let base = primary() else { return nil }
        if pos < limit, toks[pos].kind == .op, toks[pos].op == UInt8(ascii: "^") {
            pos += 1
            guard let e = unary() else { return nil }   // right-associative; 2^-1 allowed
            return combine(base, e, UInt8(ascii: "^"))
        }
        return base
    }

    mutating func primary() -> ArithValue? {
        guard pos < limit else { return nil }
        let t = toks[pos]
        switch t.kind {
        case .num:
            pos += 1
            return numberValue(b, t)
        case .lparen:
            pos += 1
            guard let v = expression(), pos < limit, toks[pos].kind == .rparen else { return nil }
            pos += 1
            return v
        default:
            return nil
        }
    }
}

/// The result of checking the arithmetic steps of a solution.
public struct StepReport: Equatable, Sendable {
    /// Equations found.
    public var total: Int
    /// Equations whose two sides could both be evaluated.
    public var checked: Int
    /// 1-based index (among all equations found) of the first wrong equation; nil when none is wrong.
    public var firstBad: Int?
    /// The first wrong equation as found, with both values: `9*2=17 (left side is 18)`.
    public var reason: String?
    public var ok: Bool { firstBad == nil }
}

/// Checks one equation. Nil when a side is not evaluable arithmetic (not counted as wrong).
public func equationHolds(_ eq: Equation) -> Bool? {
    guard let l = evaluateArithmetic(eq.lhs) else { return nil }
    return equationHolds(eq, lhsValue: l)
}

func equationHolds(_ eq: Equation, lhsValue l: ArithValue) -> Bool? {
    guard let r = evaluateArithmetic(eq.rhs) else { return nil }
    if valuesMatch(l, r, rhsText: eq.rhs, approximate: eq.isApproximate) { return true }
    // A right side written as a percentage may mean the number of percent: 4/20*100 = 20%.
    if eq.rhs.hasSuffix("%"), let r2 = evaluateArithmetic(String(eq.rhs.dropLast())),
       valuesMatch(l, r2, rhsText: String(eq.rhs.dropLast()), approximate: eq.isApproximate) {
        return true
    }
    return false
}

private func valuesMatch(_ l: ArithValue, _ r: ArithValue, rhsText: String, approximate: Bool) -> Bool {
    if case .exact(let a) = l, case .exact(let b) = r, a == b { return true }
    // Rounding tolerance: the right side is a plain number with d decimals: |l - r| <= 0.5 * 10^-d.
    // Integers are tolerated only after `≈`. Values outside exact range compare with a relative 1e-9.
    let isPlainNumber = rhsText.utf8.allSatisfy { isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",")
        || $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "%") || $0 == 0x20 }
    let places = Rational.decimalPlaces(Substring(rhsText))
    if isPlainNumber && (places > 0 || approximate) {
        var scale = places
        if rhsText.hasSuffix("%") { scale += 2 }
        if case .exact(let a) = l, case .exact(let b) = r, let d = a.subtracting(b),
           let unit = Rational(10).power(-scale), let half = Rational(1, 2)?.multiplied(by: unit) {
            let mag = d.isNegative ? (d.negated() ?? d) : d
            return mag <= half
        }
        var unit = 0.5
        for _ in 0..<scale { unit /= 10 }
        return abs(l.double - r.double) <= unit * (1 + 1e-12)
    }
    if case .exact = l, case .exact = r { return false }
    let x = l.double, y = r.double
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))
}

/// Checks every arithmetic equation of a solution (see `extractEquations`).
public func checkSteps(_ text: String) -> StepReport {
    var text = text
    let fast = text.withUTF8 { checkStepsBytes($0) }
    if let fast { return fast }
    return checkSteps(extractEquations(text))   // a wrong step: the slow path writes the reason
}

/// Checks the steps straight from the bytes, without building strings. Returns nil when a step is wrong
/// (the caller then builds the report with the reason from the extracted equations).
func checkStepsBytes(_ b: UnsafeBufferPointer<UInt8>) -> StepReport? {
    var report = StepReport(total: 0, checked: 0, firstBad: nil, reason: nil)
    var sawAnnotation = false
    var i = 0
    let n = b.count
    // GSM8K annotations <<lhs=rhs(=rhs)>>
    while i + 1 < n {
        guard b[i] == UInt8(ascii: "<"), b[i + 1] == UInt8(ascii: "<") else { i += 1; continue }
        var j = i + 2
        while j + 1 < n, !(b[j] == UInt8(ascii: ">") && b[j + 1] == UInt8(ascii: ">")), b[j] != 0x0A,
              !(b[j] == UInt8(ascii: "<") && b[j + 1] == UInt8(ascii: "<")) { j += 1 }
        guard j + 1 < n, b[j] == UInt8(ascii: ">"), b[j + 1] == UInt8(ascii: ">") else { i = j; continue }
        var firstEq = -1
        for k in (i + 2)..<j where b[k] == UInt8(ascii: "=") { firstEq = k; break }
        if firstEq >= 0 {
            sawAnnotation = true
            let lhs = evaluateRange(b, i + 2, firstEq)
            var s = firstEq + 1
            for k in (firstEq + 1)...j where k == j || b[k] == UInt8(ascii: "=") {
                report.total += 1
                if let l = lhs, let r = evaluateRange(b, s, k) {
                    report.checked += 1
                    if !rangeValuesMatch(l, r, b, s, k, approximate: false) { return nil }
                }
                s = k + 1
            }
        }
        i = j + 2
    }
    if sawAnnotation { return report }
    var hasEq = false
    for c in b where c == UInt8(ascii: "=") || c == 0xE2 { hasEq = true; break }
    guard hasEq else { return report }
    let toks = tokenizeArithmetic(b, 0, n)
    for chain in equalityChains(toks) where chain.firstHasBinaryOp {
        var lp = ArithParser(b: b, toks: toks, range: chain.segments[0])
        let lhs = lp.whole()
        for k in 1..<chain.segments.count {
            report.total += 1
            let seg = chain.segments[k]
            var rp = ArithParser(b: b, toks: toks, range: seg)
            if let l = lhs, let r = rp.whole() {
                report.checked += 1
                if !rangeValuesMatch(l, r, b, toks[seg.lowerBound].start, toks[seg.upperBound - 1].end,
                                     approximate: chain.approx[k]) { return nil }
            }
        }
    }
    return report
}

/// The value of the arithmetic in b[s..<e], or nil.
private func evaluateRange(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> ArithValue? {
    let toks = tokenizeArithmetic(b, s, e)
    if toks.isEmpty { return nil }
    var p = ArithParser(b: b, toks: toks)
    return p.whole()
}

/// `equationHolds` on byte ranges: the right side's text is b[rs..<re].
private func rangeValuesMatch(_ l: ArithValue, _ r: ArithValue, _ b: UnsafeBufferPointer<UInt8>, _ rs: Int, _ re: Int,
                              approximate: Bool) -> Bool {
    if case .exact(let x) = l, case .exact(let y) = r, x == y { return true }
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[rs..<re]), as: UTF8.self)
    return equationHolds(Equation(text: "", lhs: "", rhs: text, isAnnotation: false, isApproximate: approximate),
                         lhsValue: l) ?? false
}

public func checkSteps(_ eqs: [Equation]) -> StepReport {
    var report = StepReport(total: eqs.count, checked: 0, firstBad: nil, reason: nil)
    for (i, eq) in eqs.enumerated() {
        guard let ok = equationHolds(eq) else { continue }
        report.checked += 1
        if !ok && report.firstBad == nil {
            report.firstBad = i + 1
            let lv = evaluateArithmetic(eq.lhs).map(describe) ?? "?"
            report.reason = "step \(i + 1): \(eq.lhs) = \(eq.rhs) is wrong (left side is \(lv))"
        }
    }
    return report
}

private func describe(_ v: ArithValue) -> String {
    switch v {
    case .exact(let r): return exactDecimal(r) ?? r.description
    case .approximate(let d): return "\(d)"
    }
}

/// A rational as a terminating decimal when it is one with at most 12 places (`7/4` → `1.75`).
public func exactDecimal(_ r: Rational) -> String? {
    if r.isInteger { return String(r.num) }
    var d = r.den, twos = 0, fives = 0
    while d % 2 == 0 { d /= 2; twos += 1 }
    while d % 5 == 0 { d /= 5; fives += 1 }
    guard d == 1 else { return nil }
    let places = max(twos, fives)
    guard places <= 12, let scaled = r.multiplied(by: Rational(10).power(places) ?? .one), scaled.isInteger else {
        return nil
    }
    let neg = scaled.num < 0
    var s = String(scaled.num.magnitude)
    while s.count <= places { s = "0" + s }
    s.insert(".", at: s.index(s.endIndex, offsetBy: -places))
    return (neg ? "-" : "") + s
}
