// Arithmetic equations in free text: GSM8K calculator annotations (<<48/2=24>>) and inline chains
// (`3 + 4 = 7`, `2 × 6 = 12 = 6 + 6`). Used by st-filter (RFT's dedup by the list of equations) and by
// st-verify's step checker. Works on UTF-8 bytes; no regular expressions, no allocation per character.

/// One arithmetic equation found in a text.
public struct Equation: Equatable, Sendable {
    /// The equation as found: `<<48/2=24>>` for an annotation, the source span for an inline equation.
    public var text: String
    /// Left-hand side as written (trimmed).
    public var lhs: String
    /// Right-hand side as written (trimmed).
    public var rhs: String
    /// True for a GSM8K calculator annotation `<<...>>`.
    public var isAnnotation: Bool
    /// True when the relation was written `≈` (the right side is a rounded value).
    public var isApproximate: Bool

    public init(text: String, lhs: String, rhs: String, isAnnotation: Bool, isApproximate: Bool = false) {
        self.text = text
        self.lhs = lhs
        self.rhs = rhs
        self.isAnnotation = isAnnotation
        self.isApproximate = isApproximate
    }
}

/// The arithmetic equations of a solution, in order. When the text has GSM8K calculator annotations
/// (`<<a op b=c>>`), those are the steps (GSM8K text repeats each inline: `48/2 = <<48/2=24>>24`);
/// otherwise the inline equations `a op b = c`. A chain `a + b = c = d` gives one equation per right side,
/// each with the chain's first side as its left side. An inline equation needs an arithmetic operator
/// between two operands on its left side (`x = 5`, `2x + 3 = 7` and `5 = 5` are not arithmetic steps).
public func extractEquations(_ text: String) -> [Equation] {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { buf in
        let b = UnsafeBufferPointer(buf)
        let annotated = annotationEquations(b)
        if !annotated.isEmpty { return annotated }
        return inlineEquations(b)
    }
}

/// The normalized equation list RFT deduplicates on: for each equation `lhs=rhs` with whitespace removed,
/// `×`, `·`, `⋅` and an `x` between numbers written `*`, `÷` written `/`, `−` written `-`, thousands
/// separators and `$` removed. Numbers keep their digits as written (`18.0` stays `18.0`).
public func equationSignature(_ text: String) -> [String] {
    extractEquations(text).map { normalizeArithmetic($0.lhs) + "=" + normalizeArithmetic($0.rhs) }
}

/// The normalization `equationSignature` applies to one side of an equation.
public func normalizeArithmetic(_ s: String) -> String {
    let b = Array(s.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    let n = b.count
    var i = 0
    while i < n {
        let c = b[i]
        if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1; continue }
        if c == UInt8(ascii: "$") { i += 1; continue }
        if c == UInt8(ascii: ","), isThousandsComma(b, i) { i += 1; continue }
        if c == UInt8(ascii: ","), i + 2 < n, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "!") { i += 3; continue }
        if c == UInt8(ascii: "{"), i + 2 < n, b[i + 1] == UInt8(ascii: ","), b[i + 2] == UInt8(ascii: "}") { i += 3; continue }
        if c == UInt8(ascii: "x") || c == UInt8(ascii: "X"), isTimesX(b, i) {
            out.append(UInt8(ascii: "*")); i += 1; continue
        }
        if c == UInt8(ascii: "\\") {
            let rest = b[(i + 1)...]
            if rest.starts(with: "cdot".utf8) { out.append(UInt8(ascii: "*")); i += 5; continue }
            if rest.starts(with: "times".utf8) { out.append(UInt8(ascii: "*")); i += 6; continue }
            if rest.starts(with: "div".utf8) { out.append(UInt8(ascii: "/")); i += 4; continue }
        }
        if let (op, len) = unicodeOperator(b, i) {
            if op == UInt8(ascii: "=") { out.append(contentsOf: "≈".utf8) } else { out.append(op) }
            i += len; continue
        }
        out.append(c)
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - Byte classes shared with the evaluator

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

/// `,` at i is a thousands separator: a digit before, exactly three digits after, then no digit.
@inline(__always) func isThousandsComma<C: RandomAccessCollection>(_ b: C, _ i: Int) -> Bool
where C.Element == UInt8, C.Index == Int {
    let n = b.endIndex
    guard i > b.startIndex, isDigit(b[i - 1]), i + 3 < n,
          isDigit(b[i + 1]), isDigit(b[i + 2]), isDigit(b[i + 3]) else { return false }
    return i + 4 >= n || !isDigit(b[i + 4])
}

/// `x` or `X` at i stands for multiplication: an operand ends just before it (digit, `)` or `%`, spaces
/// allowed) and one starts just after (digit, `(`, `$` or `.digit`, spaces allowed).
func isTimesX<C: RandomAccessCollection>(_ b: C, _ i: Int) -> Bool where C.Element == UInt8, C.Index == Int {
    var j = i - 1
    while j >= b.startIndex, b[j] == 0x20 { j -= 1 }
    guard j >= b.startIndex, isDigit(b[j]) || b[j] == UInt8(ascii: ")") || b[j] == UInt8(ascii: "%") else {
        return false
    }
    var k = i + 1
    // "3 x 4" or "3x4", but not "3xylophones": a letter right after x means a word.
    if k < b.endIndex, isLetter(b[k]) { return false }
    while k < b.endIndex, b[k] == 0x20 { k += 1 }
    guard k < b.endIndex else { return false }
    let c = b[k]
    if isDigit(c) || c == UInt8(ascii: "(") || c == UInt8(ascii: "$") { return true }
    return c == UInt8(ascii: ".") && k + 1 < b.endIndex && isDigit(b[k + 1])
}

@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }

/// Multi-byte operator at i: `×` `·` `⋅` → `*`, `÷` → `/`, `−` → `-`, `≈` → `=` (approximate).
/// Returns the ASCII operator and the byte length.
@inline(__always) func unicodeOperator<C: RandomAccessCollection>(_ b: C, _ i: Int) -> (UInt8, Int)?
where C.Element == UInt8, C.Index == Int {
    let c = b[i]
    guard c >= 0xC2 else { return nil }
    let n = b.endIndex
    if c == 0xC3, i + 1 < n {
        if b[i + 1] == 0x97 { return (UInt8(ascii: "*"), 2) }  // ×
        if b[i + 1] == 0xB7 { return (UInt8(ascii: "/"), 2) }  // ÷
    } else if c == 0xC2, i + 1 < n, b[i + 1] == 0xB7 {
        return (UInt8(ascii: "*"), 2)                           // ·
    } else if c == 0xE2, i + 2 < n {
        if b[i + 1] == 0x88, b[i + 2] == 0x92 { return (UInt8(ascii: "-"), 3) }  // − U+2212
        if b[i + 1] == 0x8B, b[i + 2] == 0x85 { return (UInt8(ascii: "*"), 3) }  // ⋅ U+22C5
        if b[i + 1] == 0x89, b[i + 2] == 0x88 { return (UInt8(ascii: "="), 3) }  // ≈ U+2248
    }
    return nil
}

// MARK: - Tokens

/// A token of arithmetic text. `num` covers `$1,234.50%`-style numbers (currency sign, thousands
/// separators, decimals, a trailing percent sign). `brk` is anything that is not arithmetic (words,
/// punctuation, line ends); consecutive ones collapse into one.
struct ArithToken {
    enum Kind: Equatable { case num, op, lparen, rparen, eq, approx, brk }
    var kind: Kind
    var op: UInt8 = 0          // for .op: + - * / ^
    var start: Int
    var end: Int
    /// A letter touches this token: a number written against a letter (`5A`, `1.2Y`) or an operator whose
    /// left operand is a word or variable (`X*2`, `X - $40`). Such spans are algebra, not arithmetic.
    var touchesLetter = false
    /// A mixed number `1 1/2` (for .num).
    var mixed = false
}

/// Tokenizes arithmetic in bytes[start..<end].
func tokenizeArithmetic(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [ArithToken] {
    var toks: [ArithToken] = []
    var i = start
    @inline(__always) func brk(_ at: Int) {
        if let last = toks.last, last.kind == .brk { return }
        toks.append(ArithToken(kind: .brk, start: at, end: at))
    }
    while i < end {
        let c = b[i]
        switch c {
        case 0x20, 0x09:
            i += 1
        case 0x30...0x39, UInt8(ascii: "."), UInt8(ascii: "$"):
            var j = i
            if c == UInt8(ascii: "$") {
                j += 1
                while j < end, b[j] == 0x20 { j += 1 }  // "$ 5"
            }
            let numStart = j
            var spaced = false
            while j < end {
                if isDigit(b[j]) { j += 1; continue }
                if b[j] == UInt8(ascii: ","), j > numStart, !spaced, isThousandsCommaIn(b, j, end) { j += 1; continue }
                // LaTeX thousands separators: "729,\!000" and "729{,}000"
                if j > numStart, !spaced, j + 6 <= end, isDigit(b[j - 1]),
                   (b[j] == UInt8(ascii: ",") && b[j + 1] == UInt8(ascii: "\\") && b[j + 2] == UInt8(ascii: "!"))
                    || (b[j] == UInt8(ascii: "{") && b[j + 1] == UInt8(ascii: ",") && b[j + 2] == UInt8(ascii: "}")),
                   isDigit(b[j + 3]), isDigit(b[j + 4]), isDigit(b[j + 5]), j + 6 == end || !isDigit(b[j + 6]) {
                    j += 3; continue
                }
                // "1 000 000": space-separated thousands (first group of 1-3 digits, then groups of 3)
                if b[j] == 0x20, j - numStart <= 3 || spaced, isThousandsSpaceIn(b, j, end, numStart) {
                    spaced = true; j += 1; continue
                }
                break
            }
            var integer = true
            if j < end, b[j] == UInt8(ascii: "."), j + 1 < end, isDigit(b[j + 1]) {
                j += 1
                integer = false
                while j < end, isDigit(b[j]) { j += 1 }
            }
            if j == numStart {  // "$" or "." not followed by a number
                brk(i); i += 1; continue
            }
            var tok = ArithToken(kind: .num, start: i, end: j)
            if j < end, b[j] == UInt8(ascii: "%") { j += 1; tok.end = j; integer = false }
            // "1 1/2": an integer, a space, a proper fraction not followed by more arithmetic
            if integer, !spaced, let m = mixedFractionEnd(b, j, end) { j = m; tok.end = m; tok.mixed = true }
            // a LaTeX command or repeating-decimal mark right after the number ("2\sqrt3", "0.\overline{3}"),
            // or a subscript before it ("a_1")
            let latexAfter = j < end && (b[j] == UInt8(ascii: "\\") || (b[j] == UInt8(ascii: ".") && j + 1 < end
                && (b[j + 1] == UInt8(ascii: "\\") || isLetter(b[j + 1]))))
            let subscripted = i > start && (b[i - 1] == UInt8(ascii: "_") || b[i - 1] == UInt8(ascii: "}"))
                || j < end && b[j] == UInt8(ascii: "{")
            if latexAfter && !isLatexOperator(b, j, end) || subscripted
                || (j < end && isLetter(b[j]) && !(b[j] | 0x20 == UInt8(ascii: "x") && isTimesXIn(b, j, start, end)))
                || (i > start && isLetter(b[i - 1]) && !(toks.last.map { $0.kind == .op && $0.end == i } ?? false)) || (b[numStart] == UInt8(ascii: "0") && numStart + 1 < j
                && isDigit(b[numStart + 1])) {
                tok.touchesLetter = true   // "5A", "X2", or a leading-zero fragment like "000"
            }
            toks.append(tok)
            i = j
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "^"):
            toks.append(ArithToken(kind: .op, op: c, start: i, end: i + 1,
                                   touchesLetter: letterBefore(b, i, start)))
            i += 1
        case UInt8(ascii: "*"):
            if i + 1 < end, b[i + 1] == UInt8(ascii: "*") {
                toks.append(ArithToken(kind: .op, op: UInt8(ascii: "^"), start: i, end: i + 2,
                                       touchesLetter: letterBefore(b, i, start)))
                i += 2
            } else {
                toks.append(ArithToken(kind: .op, op: c, start: i, end: i + 1,
                                       touchesLetter: letterBefore(b, i, start)))
                i += 1
            }
        case UInt8(ascii: "/") where i + 1 < end && b[i + 1] == UInt8(ascii: "/"):
            // Python's floor division, as in some GSM8K annotations (<<560//10=56>>)
            toks.append(ArithToken(kind: .op, op: UInt8(ascii: "f"), start: i, end: i + 2,
                                   touchesLetter: letterBefore(b, i, start)))
            i += 2
        case UInt8(ascii: "/"):
            toks.append(ArithToken(kind: .op, op: c, start: i, end: i + 1,
                                   touchesLetter: letterBefore(b, i, start)))
            i += 1
        case UInt8(ascii: "("):
            // "2(3+4)" and ")(" written without a space: implicit multiplication.
            if let last = toks.last, last.kind == .num || last.kind == .rparen, last.end == i {
                toks.append(ArithToken(kind: .op, op: UInt8(ascii: "*"), start: i, end: i))
            }
            // "f(3)", "q(1)": a function applied, not arithmetic
            let call = i > start && (isLetter(b[i - 1]) || b[i - 1] == UInt8(ascii: "_") || b[i - 1] == UInt8(ascii: "}"))
            toks.append(ArithToken(kind: .lparen, start: i, end: i + 1, touchesLetter: call)); i += 1
        case UInt8(ascii: "\\") where isLatexOperator(b, i, end):
            // \cdot, \times → *, \div → /
            let len = b[i + 1] == UInt8(ascii: "d") ? 4 : (b[i + 1] == UInt8(ascii: "c") ? 5 : 6)
            toks.append(ArithToken(kind: .op, op: b[i + 1] == UInt8(ascii: "d") ? UInt8(ascii: "/") : UInt8(ascii: "*"),
                                   start: i, end: i + len, touchesLetter: letterBefore(b, i, start)))
            i += len
        case UInt8(ascii: ")"):
            toks.append(ArithToken(kind: .rparen, start: i, end: i + 1)); i += 1
        case UInt8(ascii: "="):
            // "==", "<=", ">=", "!=", "=>" are comparisons or arrows, not arithmetic equalities.
            let prev = i > start ? b[i - 1] : 0
            let next = i + 1 < end ? b[i + 1] : 0
            if next == UInt8(ascii: "=") || next == UInt8(ascii: ">") || prev == UInt8(ascii: "<")
                || prev == UInt8(ascii: ">") || prev == UInt8(ascii: "!") || prev == UInt8(ascii: "=") {
                brk(i); i += 1
            } else {
                toks.append(ArithToken(kind: .eq, start: i, end: i + 1)); i += 1
            }
        case UInt8(ascii: "x"), UInt8(ascii: "X"):
            if let last = toks.last, last.kind == .num || last.kind == .rparen,
               isTimesXIn(b, i, start, end) {
                toks.append(ArithToken(kind: .op, op: UInt8(ascii: "*"), start: i, end: i + 1))
            } else {
                brk(i)
            }
            i += 1
        default:
            if c >= 0xC2, let (op, len) = unicodeOperatorIn(b, i, end) {
                if op == UInt8(ascii: "=") {
                    toks.append(ArithToken(kind: .approx, start: i, end: i + len))
                } else {
                    toks.append(ArithToken(kind: .op, op: op, start: i, end: i + len))
                }
                i += len
            } else {
                brk(i)
                i += 1
            }
        }
    }
    return toks
}

/// `\cdot`, `\times` or `\div` at i (not followed by a letter).
func isLatexOperator(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Bool {
    guard i < end, b[i] == UInt8(ascii: "\\") else { return false }
    for name in ["cdot", "times", "div"] {
        let n = Array(name.utf8)
        guard i + 1 + n.count <= end else { continue }
        var k = 0
        while k < n.count, b[i + 1 + k] == n[k] { k += 1 }
        if k == n.count && (i + 1 + k == end || !isLetter(b[i + 1 + k])) { return true }
    }
    return false
}

/// The last non-space byte before i (within the range) ends a word or a LaTeX group (letter, `}`, `]`, `_`):
/// an operator there has a non-arithmetic left operand.
@inline(__always) func letterBefore(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ start: Int) -> Bool {
    var j = i - 1
    while j >= start, b[j] == 0x20 { j -= 1 }
    return j >= start && (isLetter(b[j]) || b[j] == UInt8(ascii: "}") || b[j] == UInt8(ascii: "]")
        || b[j] == UInt8(ascii: "_"))
}

/// A space at i followed by exactly three digits and then no digit (nor a fraction slash): "1 000".
@inline(__always) func isThousandsSpaceIn(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ numStart: Int) -> Bool {
    guard i > numStart, isDigit(b[i - 1]), i + 3 < end || i + 3 == end - 0 else { return false }
    guard i + 3 < end, isDigit(b[i + 1]), isDigit(b[i + 2]), isDigit(b[i + 3]) else { return false }
    if i + 4 < end, isDigit(b[i + 4]) || b[i + 4] == UInt8(ascii: "/") || b[i + 4] == UInt8(ascii: ".")
        && i + 5 < end && isDigit(b[i + 5]) { return false }
    return true
}

/// After an integer ending at j: " p/q" with p < q, not followed by an operator or more digits. Returns the
/// end of the fraction.
func mixedFractionEnd(_ b: UnsafeBufferPointer<UInt8>, _ j: Int, _ end: Int) -> Int? {
    guard j < end, b[j] == 0x20 else { return nil }
    var k = j
    while k < end, b[k] == 0x20 { k += 1 }
    let ps = k
    while k < end, isDigit(b[k]) { k += 1 }
    guard k > ps, k < end, b[k] == UInt8(ascii: "/") else { return nil }
    let pe = k
    k += 1
    let qs = k
    while k < end, isDigit(b[k]) { k += 1 }
    guard k > qs, k - qs <= 6, pe - ps <= 6 else { return nil }
    var p = 0, q = 0
    for t in ps..<pe { p = p * 10 + Int(b[t] - 0x30) }
    for t in qs..<k { q = q * 10 + Int(b[t] - 0x30) }
    guard p < q else { return nil }
    var n = k
    while n < end, b[n] == 0x20 { n += 1 }
    if n < end {
        let c = b[n]
        if isDigit(c) || c == UInt8(ascii: "*") || c == UInt8(ascii: "/") || c == UInt8(ascii: "^")
            || c == UInt8(ascii: "(") || c == UInt8(ascii: "%") || c == UInt8(ascii: ".") && n + 1 < end && isDigit(b[n + 1]) {
            return nil
        }
        if k < end, isLetter(b[k]) { return nil }
    }
    return k
}

// Bounded variants for tokenizing a sub-range of a buffer.
@inline(__always) func isThousandsCommaIn(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Bool {
    guard i > 0, isDigit(b[i - 1]), i + 3 < end, isDigit(b[i + 1]), isDigit(b[i + 2]), isDigit(b[i + 3]) else {
        return false
    }
    return i + 4 >= end || !isDigit(b[i + 4])
}

func isTimesXIn(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ start: Int, _ end: Int) -> Bool {
    isTimesX(UnsafeBufferPointer(rebasing: b[start..<end]), i - start)
}

@inline(__always) func unicodeOperatorIn(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> (UInt8, Int)? {
    unicodeOperator(UnsafeBufferPointer(rebasing: b[0..<end]), i)
}

// MARK: - Chains of equalities

/// A maximal well-formed chain `e0 = e1 = ... = ek` of arithmetic expressions, as token index ranges.
struct EqualityChain {
    var segments: [Range<Int>]   // token ranges of e0 ... ek
    var approx: [Bool]           // approx[k] for k >= 1: the relation before segment k was `≈`
    var firstHasBinaryOp: Bool
}

/// Splits tokens into well-formed chains of equalities (at least two sides).
func equalityChains(_ toks: [ArithToken]) -> [EqualityChain] {
    var chains: [EqualityChain] = []
    var segments: [Range<Int>] = []
    var approx: [Bool] = []
    var segStart = -1            // token index where the current segment starts, -1: none
    var expectOperand = true
    var depth = 0
    var hasBinary = false        // current segment has a binary operator
    var firstHasBinary = false
    var pendingApprox = false

    func finish(_ endIndex: Int) {
        // The current segment counts only when complete.
        if segStart >= 0, !expectOperand, depth == 0 {
            if segments.isEmpty { firstHasBinary = hasBinary }
            segments.append(segStart..<endIndex)
            approx.append(segments.count > 1 ? pendingApprox : false)
        }
        if segments.count >= 2 {
            chains.append(EqualityChain(segments: segments, approx: approx, firstHasBinaryOp: firstHasBinary))
        }
        segments.removeAll(keepingCapacity: true)
        approx.removeAll(keepingCapacity: true)
        segStart = -1; expectOperand = true; depth = 0; hasBinary = false; firstHasBinary = false
        pendingApprox = false
    }

    var poisoned = false         // skipping to the next break after a malformed span
    func abandon() {
        segments.removeAll(keepingCapacity: true)
        approx.removeAll(keepingCapacity: true)
        segStart = -1; expectOperand = true; depth = 0; hasBinary = false; firstHasBinary = false
        pendingApprox = false
    }
    var t = 0
    while t < toks.count {
        let tok = toks[t]
        if poisoned {
            if tok.kind == .brk { poisoned = false }
            t += 1
            continue
        }
        if tok.touchesLetter {
            // algebra ("X*2 - $40 = $250", "100/5 = 5A/5"): drop the chain and skip to the next break
            abandon()
            poisoned = true
            t += 1
            continue
        }
        switch tok.kind {
        case .num:
            if expectOperand {
                if segStart < 0 { segStart = t }
                expectOperand = false
            } else {                       // operand after operand: a new chain starts here
                finish(t)
                segStart = t; expectOperand = false
            }
        case .lparen:
            if expectOperand {
                if segStart < 0 { segStart = t }
                depth += 1
            } else {                       // "5 (3+4)": an operand then a parenthesis, ambiguous
                finish(t)
                poisoned = true
            }
        case .rparen:
            if !expectOperand, depth > 0 { depth -= 1 } else { finish(t) }
        case .op:
            if !expectOperand {
                hasBinary = true
                expectOperand = true
            } else if tok.op == UInt8(ascii: "-") && (t == 0 || toks[t - 1].kind != .brk || segStart >= 0
                        || !segments.isEmpty) {
                if segStart < 0 { segStart = t }   // unary minus
            } else if tok.op == UInt8(ascii: "-") || tok.op == UInt8(ascii: "+") {
                if segStart < 0 { segStart = t }   // sign at the start of a span
            } else {
                // "\frac{1}{2} \cdot 3 \cdot 4 = 6": the left operand is not arithmetic
                abandon()
                poisoned = true
            }
        case .eq, .approx:
            if segStart >= 0, !expectOperand, depth == 0 {
                if segments.isEmpty { firstHasBinary = hasBinary }
                segments.append(segStart..<t)
                approx.append(segments.count > 1 ? pendingApprox : false)
                pendingApprox = tok.kind == .approx
                segStart = -1; expectOperand = true; hasBinary = false
            } else {
                finish(t)
            }
        case .brk:
            finish(t)
        }
        t += 1
    }
    finish(toks.count)
    return chains
}

// MARK: - Extraction

private func string(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
}

private func inlineEquations(_ b: UnsafeBufferPointer<UInt8>) -> [Equation] {
    // Quick reject: no '=' and no '≈' byte lead.
    var hasEq = false
    for c in b where c == UInt8(ascii: "=") || c == 0xE2 { hasEq = true; break }
    guard hasEq else { return [] }
    let toks = tokenizeArithmetic(b, 0, b.count)
    var out: [Equation] = []
    for chain in equalityChains(toks) where chain.firstHasBinaryOp {
        let first = chain.segments[0]
        let lhsStart = toks[first.lowerBound].start, lhsEnd = toks[first.upperBound - 1].end
        let lhs = string(b, lhsStart, lhsEnd)
        for k in 1..<chain.segments.count {
            let seg = chain.segments[k]
            let rs = toks[seg.lowerBound].start, re = toks[seg.upperBound - 1].end
            out.append(Equation(text: string(b, lhsStart, re), lhs: lhs, rhs: string(b, rs, re),
                                isAnnotation: false, isApproximate: chain.approx[k]))
        }
    }
    return out
}

/// GSM8K calculator annotations `<<expr=value>>` (on one line). An annotation without `=` is skipped;
/// `<<a=b=c>>` gives a=b and a=c.
private func annotationEquations(_ b: UnsafeBufferPointer<UInt8>) -> [Equation] {
    var out: [Equation] = []
    let n = b.count
    var i = 0
    while i + 1 < n {
        guard b[i] == UInt8(ascii: "<"), b[i + 1] == UInt8(ascii: "<") else { i += 1; continue }
        var j = i + 2
        while j + 1 < n, !(b[j] == UInt8(ascii: ">") && b[j + 1] == UInt8(ascii: ">")), b[j] != 0x0A,
              !(b[j] == UInt8(ascii: "<") && b[j + 1] == UInt8(ascii: "<")) {
            j += 1
        }
        guard j + 1 < n, b[j] == UInt8(ascii: ">"), b[j + 1] == UInt8(ascii: ">") else { i = j; continue }
        // content is b[i+2 ..< j]
        var parts: [(Int, Int)] = []
        var s = i + 2
        for k in (i + 2)..<j where b[k] == UInt8(ascii: "=") {
            parts.append((s, k)); s = k + 1
        }
        parts.append((s, j))
        if parts.count >= 2 {
            let text = string(b, i, j + 2)
            let (ls, le) = trimmed(b, parts[0].0, parts[0].1)
            let lhs = string(b, ls, le)
            for p in parts.dropFirst() {
                let (rs, re) = trimmed(b, p.0, p.1)
                out.append(Equation(text: text, lhs: lhs, rhs: string(b, rs, re), isAnnotation: true))
            }
        }
        i = j + 2
    }
    return out
}

private func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> (Int, Int) {
    var s = s, e = e
    while s < e, b[s] == 0x20 || b[s] == 0x09 { s += 1 }
    while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x09 { e -= 1 }
    return (s, e)
}
