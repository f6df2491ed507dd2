// Final answers of math solutions: strict extraction and equivalence by exact values.
// What is and is not recognized is listed in docs/st-verify.md; the tests hold an example of each rule.

/// Where an answer was found.
public enum AnswerSource: String, Sendable {
    case hashes = "####"
    case boxed = "boxed"
    case answerIs = "the answer is"
    case answerColon = "answer:"
    case lastNumber = "last number"
}

public struct ExtractedAnswer: Equatable, Sendable {
    public var text: String
    public var source: AnswerSource
    public init(text: String, source: AnswerSource) { self.text = text; self.source = source }
}

/// The final answer of a solution, strict by default. Rules, first match wins:
/// 1. GSM8K's `#### N`: the rest of the line after the last `####`;
/// 2. the last `\boxed{…}` or `\fbox{…}` (nested braces), or `\boxed 5`;
/// 3. the last "The answer is …" (case-insensitive), up to the end of its line or sentence;
/// 4. the last "Answer: …" (case-insensitive), likewise;
/// 5. with `lastNumberFallback`, the last number in the text.
public func extractAnswer(_ text: String, lastNumberFallback: Bool = false) -> ExtractedAnswer? {
    let b = Array(text.utf8)
    if let r = lastRange(of: Array("####".utf8), in: b, caseInsensitive: false) {
        var e = r.upperBound
        while e < b.count, b[e] != 0x0A { e += 1 }
        let s = trimSpaces(b, r.upperBound, e)
        if s.0 < s.1 { return ExtractedAnswer(text: str(b, s.0, s.1), source: .hashes) }
    }
    if let a = lastBoxed(b) { return ExtractedAnswer(text: a, source: .boxed) }
    if let r = lastRange(of: Array("the answer is".utf8), in: b, caseInsensitive: true),
       let a = sentenceAfter(b, r.upperBound) {
        return ExtractedAnswer(text: a, source: .answerIs)
    }
    if let r = lastRange(of: Array("answer:".utf8), in: b, caseInsensitive: true),
       let a = sentenceAfter(b, r.upperBound) {
        return ExtractedAnswer(text: a, source: .answerColon)
    }
    if lastNumberFallback, let a = lastNumber(b) { return ExtractedAnswer(text: a, source: .lastNumber) }
    return nil
}

private func str(_ b: [UInt8], _ s: Int, _ e: Int) -> String { String(decoding: b[s..<e], as: UTF8.self) }

private func trimSpaces(_ b: [UInt8], _ s: Int, _ e: Int) -> (Int, Int) {
    var s = s, e = e
    while s < e, b[s] == 0x20 || b[s] == 0x09 || b[s] == 0x0D || b[s] == 0x0A { s += 1 }
    while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x09 || b[e - 1] == 0x0D || b[e - 1] == 0x0A { e -= 1 }
    return (s, e)
}

private func lastRange(of needle: [UInt8], in b: [UInt8], caseInsensitive: Bool) -> Range<Int>? {
    guard b.count >= needle.count else { return nil }
    var i = b.count - needle.count
    while i >= 0 {
        var k = 0
        while k < needle.count {
            var c = b[i + k]
            if caseInsensitive, c >= 0x41, c <= 0x5A { c |= 0x20 }
            if c != needle[k] { break }
            k += 1
        }
        if k == needle.count {
            // a word boundary before alphabetic needles ("the answer is" not inside "bathe answer is")
            if i == 0 || !isLetter(needle[0]) || !isLetter(b[i - 1]) { return i..<(i + needle.count) }
        }
        i -= 1
    }
    return nil
}

/// The content of the last `\boxed{…}` / `\fbox{…}` / `\boxed X`.
private func lastBoxed(_ b: [UInt8]) -> String? {
    let r1 = lastRange(of: Array("\\boxed".utf8), in: b, caseInsensitive: false)
    let r2 = lastRange(of: Array("\\fbox".utf8), in: b, caseInsensitive: false)
    var candidates = [r1, r2].compactMap { $0 }.sorted { $0.lowerBound > $1.lowerBound }
    while let r = candidates.first {
        candidates.removeFirst()
        var i = r.upperBound
        if i < b.count, b[i] == UInt8(ascii: "{") {
            var depth = 0, j = i
            while j < b.count {
                if b[j] == UInt8(ascii: "\\"), j + 1 < b.count { j += 2; continue }
                if b[j] == UInt8(ascii: "{") { depth += 1 }
                if b[j] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { break } }
                j += 1
            }
            guard j < b.count else { continue }   // unbalanced: not an answer
            let s = trimSpaces(b, i + 1, j)
            if s.0 < s.1 { return str(b, s.0, s.1) }
            continue
        }
        if i < b.count, b[i] == 0x20 {       // \boxed 5
            while i < b.count, b[i] == 0x20 { i += 1 }
            var j = i
            while j < b.count, b[j] != 0x20, b[j] != 0x0A, b[j] != UInt8(ascii: "$") { j += 1 }
            if j > i { return str(b, i, j) }
        }
    }
    return nil
}

/// Text after "the answer is" / "answer:": to the end of the line, cut at a sentence end (". " or a final
/// "."), with a leading ":" or "is" dropped.
private func sentenceAfter(_ b: [UInt8], _ start: Int) -> String? {
    var s = start
    while s < b.count, b[s] == 0x20 || b[s] == UInt8(ascii: ":") { s += 1 }
    var e = s
    var inMath = false
    while e < b.count, b[e] != 0x0A {
        if b[e] == UInt8(ascii: "$") { inMath.toggle() }
        if !inMath, b[e] == UInt8(ascii: "."), e + 1 == b.count || b[e + 1] == 0x20 || b[e + 1] == 0x0A {
            if !(e > s && isDigit(b[e - 1]) && e + 1 < b.count && isDigit(b[e + 1])) { break }
        }
        e += 1
    }
    let t = trimSpaces(b, s, e)
    guard t.0 < t.1 else { return nil }
    var text = str(b, t.0, t.1)
    // a boxed answer inside the sentence wins: "The answer is $\boxed{5}$"
    if let inner = lastBoxed(Array(text.utf8)) { text = inner }
    return text
}

private func lastNumber(_ b: [UInt8]) -> String? {
    var e = b.count
    while e > 0 {
        if isDigit(b[e - 1]) {
            var s = e - 1
            while s > 0, isDigit(b[s - 1]) || b[s - 1] == UInt8(ascii: ".") || (b[s - 1] == UInt8(ascii: ",")
                    && s - 2 >= 0 && isDigit(b[s - 2])) { s -= 1 }
            while s < e, !isDigit(b[s]) { s += 1 }
            if s > 0, b[s - 1] == UInt8(ascii: "-") { s -= 1 }
            var t = str(b, s, e)
            if let slash = Optional(s), slash > 1, b[slash - 1] == UInt8(ascii: "/") {
                // "3/4" as a fraction: take the numerator too
                var p = slash - 1
                while p > 0, isDigit(b[p - 1]) { p -= 1 }
                if p < slash - 1 { t = str(b, p, e) }
            }
            return t
        }
        e -= 1
    }
    return nil
}

// MARK: - Equivalence

public enum Equivalence: Equatable, Sendable {
    case equal
    case different
    /// The built-in rules cannot decide (an expression they do not evaluate): `--symbolic` may.
    case undecided
}

/// Whether two final answers are the same, by the rules in docs/st-verify.md.
public func answersEquivalent(_ a: String, _ b: String) -> Equivalence {
    // fast path: two plain numbers
    if let x = Rational(decimal: Substring(a)), let y = Rational(decimal: Substring(b)) {
        return x == y ? .equal : .different
    }
    let na = normalizeAnswer(a), nb = normalizeAnswer(b)
    if na.isEmpty || nb.isEmpty { return na == nb ? .equal : .different }
    if compact(na) == compact(nb) { return .equal }
    let sa = AnswerShape(na), sb = AnswerShape(nb)
    if sa.elements.count != sb.elements.count { return .different }
    if sa.elements.count == 1 && sb.elements.count == 1 && !sa.bracketed && !sb.bracketed {
        return elementsEquivalent(sa.elements[0], sb.elements[0])
    }
    if sa.open != sb.open || sa.close != sb.close { return .different }
    if sa.unordered {
        // sets and bare lists: each element of one matches a distinct element of the other
        var used = [Bool](repeating: false, count: sb.elements.count)
        var undecided = false
        for x in sa.elements {
            var found = false
            for (j, y) in sb.elements.enumerated() where !used[j] {
                let e = elementsEquivalent(x, y)
                if e == .equal { used[j] = true; found = true; break }
                if e == .undecided { undecided = true }
            }
            if !found { return undecided ? .undecided : .different }
        }
        return .equal
    }
    var result = Equivalence.equal
    for (x, y) in zip(sa.elements, sb.elements) {
        switch elementsEquivalent(x, y) {
        case .equal: continue
        case .different: return .different
        case .undecided: result = .undecided
        }
    }
    return result
}

private func elementsEquivalent(_ x: String, _ y: String) -> Equivalence {
    if compact(x) == compact(y) { return .equal }
    let vx = exactValue(x), vy = exactValue(y)
    if let vx, let vy { return vx == vy ? .equal : .different }
    // A plain word on either side ("Evelyn", "east"): compared as text, case-insensitively.
    let cx = compact(x).lowercased(), cy = compact(y).lowercased()
    if cx == cy { return .equal }
    if isWord(cx) || isWord(cy) { return .different }
    // One side a number and the other an expression the rules cannot evaluate: undecided.
    return .undecided
}

private func isWord(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy { isLetter($0) } && s.count > 1 }

private func compact(_ s: String) -> String {
    String(decoding: s.utf8.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A }, as: UTF8.self)
}

/// The exact value of one answer element (a number, fraction, radical or π expression), or nil.
public func exactValue(_ s: String) -> ExactValue? {
    if let q = Rational(decimal: Substring(s)) { return ExactValue(q) }   // also 1e3, 2.5E-2
    // Mixed number written with a space: "2 1/2", "-3 3/4".
    let parts = s.split(separator: " ", omittingEmptySubsequences: true)
    if parts.count == 2, let whole = Rational(decimal: parts[0]), whole.isInteger,
       let slash = parts[1].firstIndex(of: "/"),
       let n = Rational(decimal: parts[1][..<slash]), let d = Rational(decimal: parts[1][parts[1].index(after: slash)...]),
       n.isInteger, d.isInteger, n.num >= 0, n.num < d.num, let f = n.divided(by: d) {
        let v = whole.isNegative ? whole.subtracting(f) : whole.adding(f)
        return v.map { ExactValue($0) }
    }
    var p = ValueParser(Array(s.utf8))
    guard let v = p.expression() else { return nil }
    p.skipSpaces()
    return p.pos == p.b.count ? v : nil
}

/// Brackets and elements of an answer: `(1, 2]` → open "(", close "]", ["1", "2"].
struct AnswerShape {
    var open = "", close = ""
    var elements: [String] = []
    var bracketed: Bool { !open.isEmpty }
    var unordered = false

    init(_ s: String) {
        var body = Substring(s)
        if let f = body.first, let l = body.last, body.count >= 2, "([".contains(f), ")]".contains(l),
           topLevelCommas(body.dropFirst().dropLast()) > 0, bracketsBalanced(body.dropFirst().dropLast()) {
            open = String(f); close = String(l)
            body = body.dropFirst().dropLast()
        } else if body.hasPrefix("\\{"), body.hasSuffix("\\}"), body.count >= 4 {
            open = "{"; close = "}"; unordered = true
            body = body.dropFirst(2).dropLast(2)
        }
        elements = splitTopLevel(body, bare: !bracketed).map { String($0).trimmedSpaces() }
        if !bracketed && elements.count > 1 { unordered = true }
    }
}

private func bracketsBalanced(_ s: Substring) -> Bool {
    var depth = 0
    for c in s.utf8 {
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
        if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1; if depth < 0 { return false } }
    }
    return depth == 0
}

private func topLevelCommas(_ s: Substring) -> Int {
    var depth = 0, n = 0
    for c in s.utf8 {
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
        if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1 }
        if c == UInt8(ascii: ","), depth == 0 { n += 1 }
    }
    return n
}

/// Splits at top-level commas. In a bare (unbracketed) answer a comma between a digit and exactly three
/// digits is a thousands separator (`58,500`), not a split.
private func splitTopLevel(_ s: Substring, bare: Bool) -> [Substring] {
    let u = Array(s.utf8)
    var out: [Substring] = []
    var depth = 0, start = 0
    for (i, c) in u.enumerated() {
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
        if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1 }
        if c == UInt8(ascii: ","), depth == 0 {
            if bare && isThousandsComma(u, i) { continue }
            out.append(substring(s, start, i))
            start = i + 1
        }
    }
    out.append(substring(s, start, u.count))
    return out
}

private func substring(_ s: Substring, _ a: Int, _ b: Int) -> Substring {
    let u = s.utf8
    let i = u.index(u.startIndex, offsetBy: a), j = u.index(u.startIndex, offsetBy: b)
    return Substring(u[i..<j])
}

extension String {
    func trimmedSpaces() -> String {
        var u = Substring(self)
        while let f = u.first, f == " " { u = u.dropFirst() }
        while let l = u.last, l == " " { u = u.dropLast() }
        return String(u)
    }
}

// MARK: - Normalization

/// Normalizes the text of an answer before comparison: math delimiters and `$` removed; `\left`, `\right`,
/// `\!`, `\,`, `\;`, `\:`, `\ `, `~`, `\displaystyle` removed; `\dfrac`/`\tfrac` → `\frac`; `\text{…}`,
/// `\textbf{…}`, `\mathrm{…}`, `\mbox{…}` unwrapped; degrees (`^\circ`, `°`) and percent signs removed;
/// `{,}` → `,`; a trailing period removed; a leading `x =` removed; trailing unit words removed
/// (`5.4 cents`, `12 square feet`) when a number stays.
public func normalizeAnswer(_ s: String) -> String {
    var t = replaceNotation(s)
    if t.utf8.contains(UInt8(ascii: "\\")) {
        for cmd in ["\\text", "\\textbf", "\\textrm", "\\mathrm", "\\mbox", "\\mathbf", "\\textit", "\\operatorname"] {
            t = unwrapCommand(t, cmd)
        }
    }
    t = t.trimmedSpaces()
    while t.hasSuffix(".") || t.hasSuffix(",") { t.removeLast(); t = t.trimmedSpaces() }
    // "x = 5", "k=3": a single variable assigned at the start.
    if let eq = t.firstIndex(of: "="), t.filter({ $0 == "=" }).count == 1 {
        let name = t[..<eq].trimmingSpacesSubstring()
        if name.count == 1, name.first!.isLetter {
            t = String(t[t.index(after: eq)...]).trimmedSpaces()
        }
    }
    // Trailing unit words ("5.4 cents", "10 square feet", "3 cm^2") after a number.
    t = stripUnits(t)
    return t
}

/// Notation rewritten by `normalizeAnswer`, longest pattern first at each position.
private let notationRules: [(pattern: [UInt8], replacement: [UInt8])] = [
    ("\\left", ""), ("\\right", ""), ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""),
    ("\\displaystyle", ""), ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"), ("^{\\circ}", ""), ("^\\circ", ""), ("\\circ", ""), ("°", ""),
    ("\\degree", ""), ("\\%", ""), ("%", ""), ("\\$", ""), ("$", ""), ("{,}", ","), ("\\ ", " "),
    ("~", " "), ("\\quad", " "), ("\\qquad", " "), ("\\(", ""), ("\\)", ""), ("\\[", ""),
    ("\\]", ""), ("−", "-"), ("\\cdot", "*"), ("\\times", "*"), ("×", "*"), ("\\div", "/"),
    ("π", "\\pi"), ("\\infty", "∞"), ("\\emptyset", "∅"), ("\\varnothing", "∅"), ("\n", " "),
].map { (Array($0.0.utf8), Array($0.1.utf8)) }.sorted { $0.pattern.count > $1.pattern.count }

/// Rules by first byte.
private let notationIndex: [[Int]] = {
    var idx = [[Int]](repeating: [], count: 256)
    for (k, r) in notationRules.enumerated() { idx[Int(r.pattern[0])].append(k) }
    return idx
}()

private func replaceNotation(_ s: String) -> String {
    let b = Array(s.utf8)
    var i = 0
    // fast path: nothing to rewrite
    while i < b.count, notationIndex[Int(b[i])].isEmpty { i += 1 }
    if i == b.count { return s }
    var out = Array(b[0..<i])
    out.reserveCapacity(b.count)
    while i < b.count {
        var matched = false
        for k in notationIndex[Int(b[i])] {
            let p = notationRules[k].pattern
            if i + p.count <= b.count && b[i..<(i + p.count)].elementsEqual(p) {
                // "\left" but not "\leftarrow": a command must not continue with a letter
                if p.count > 1, p[0] == UInt8(ascii: "\\"), isLetter(p[p.count - 1]), i + p.count < b.count,
                   isLetter(b[i + p.count]) { continue }
                out.append(contentsOf: notationRules[k].replacement)
                i += p.count
                matched = true
                break
            }
        }
        if !matched { out.append(b[i]); i += 1 }
    }
    return String(decoding: out, as: UTF8.self)
}

extension Substring {
    func trimmingSpacesSubstring() -> Substring {
        var u = self
        while let f = u.first, f == " " { u = u.dropFirst() }
        while let l = u.last, l == " " { u = u.dropLast() }
        return u
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        let n = Array(needle.utf8)
        guard let first = n.first else { return nil }
        let u = self.utf8
        var i = u.startIndex
        while i != u.endIndex {
            if u[i] == first {
                var j = i, k = 0
                while k < n.count, j != u.endIndex, u[j] == n[k] { j = u.index(after: j); k += 1 }
                if k == n.count { return i..<j }
            }
            i = u.index(after: i)
        }
        return nil
    }
}

/// `\text{abc}` → `abc` (braces balanced); a command not followed by `{` is removed.
private func unwrapCommand(_ s: String, _ cmd: String) -> String {
    let b = Array(s.utf8), c = Array(cmd.utf8)
    guard b.count >= c.count, (0...(b.count - c.count)).contains(where: { b[$0] == c[0] && b[$0..<($0 + c.count)].elementsEqual(c) })
    else { return s }
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
        if b[i] == UInt8(ascii: "\\"), i + c.count <= b.count, Array(b[i..<(i + c.count)]) == c,
           i + c.count == b.count || !isLetter(b[i + c.count]) {
            var j = i + c.count
            while j < b.count, b[j] == 0x20 { j += 1 }
            if j < b.count, b[j] == UInt8(ascii: "{") {
                var depth = 0, k = j
                while k < b.count {
                    if b[k] == UInt8(ascii: "{") { depth += 1 }
                    if b[k] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { break } }
                    k += 1
                }
                if k < b.count {
                    out.append(contentsOf: b[(j + 1)..<k])
                    i = k + 1
                    continue
                }
            }
            i += c.count
            continue
        }
        out.append(b[i])
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

private func stripUnits(_ s: String) -> String {
    // Words of two or more letters at the end, separated from what precedes by a space; what is left must
    // end in a digit, `}` or `)` (a number or an expression): "5 cm" → "5", but "2k" and "p - q" stay.
    var words = s.split(separator: " ", omittingEmptySubsequences: true)
    var stripped = false
    while words.count >= 2, let last = words.last, isUnitWord(last) {
        words.removeLast()
        stripped = true
    }
    guard stripped, let last = words.last?.utf8.last,
          isDigit(last) || last == UInt8(ascii: "}") || last == UInt8(ascii: ")") else { return s }
    return words.joined(separator: " ")
}

private func isUnitWord(_ w: Substring) -> Bool {
    // "cm", "cm^2", "m/s", "feet", "dollars"
    let u = Array(w.utf8)
    var letters = 0, i = 0
    while i < u.count, isLetter(u[i]) || u[i] == UInt8(ascii: "/") { if isLetter(u[i]) { letters += 1 }; i += 1 }
    if i < u.count, u[i] == UInt8(ascii: "^") {
        i += 1
        if i < u.count, u[i] == UInt8(ascii: "{") { i += 1 }
        while i < u.count, isDigit(u[i]) { i += 1 }
        if i < u.count, u[i] == UInt8(ascii: "}") { i += 1 }
    }
    return i == u.count && letters >= 2 && w != "pi"
}
