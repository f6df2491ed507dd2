// What Split-like pre-tokenizers and Replace match: the regexes of GPT-2, Llama 3 and Qwen2 as hand-written
// scanners (the hot path; each follows the regex's leftmost-first alternation and backtracking exactly),
// literal strings, single-character predicates, and any other regex through Swift Regex over Unicode
// scalars (Oniguruma's unit).

/// Finds non-overlapping matches, left to right, in UTF-8 text; appends (start, end) byte offsets.
protocol Pattern: Sendable {
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)])
}

let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

/// The pattern for a regex source: a scanner when it is one of the known ones.
func makeRegexPattern(_ source: String) throws -> any Pattern {
    switch source {
    case gpt2Regex: return GPT2Pattern()
    case llama3Regex: return Llama3Pattern(maxDigits: 3)
    case qwen2Regex: return Llama3Pattern(maxDigits: 1)
    default: return try RegexPattern(source)
    }
}

/// Length of the whitespace-only match `\s+(?!\S)|\s+` at i (i is whitespace): the run, less its last
/// character when a non-space follows and the run is longer than one character.
@inline(__always)
func spaceRunMatch(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
    var j = i
    while j < p.count {
        let (u, n) = scalarAt(p, j)
        if !isWS(u) { break }
        j += n
    }
    if j == p.count { return j }
    let last = lastScalarLength(p, before: j)
    return j - last > i ? j - last : j
}

struct GPT2Pattern: Pattern {
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        let n = p.count
        var i = 0
        while i < n {
            let start = i
            let (c, cl) = scalarAt(p, i)
            if c == 0x27, i + 1 < n {  // 's 't 're 've 'm 'll 'd
                let a = p[i + 1]
                if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { out.append((i, i + 2)); i += 2; continue }
                if i + 2 < n {
                    let b = p[i + 2]
                    if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) {
                        out.append((i, i + 3)); i += 3; continue
                    }
                }
            }
            var j = i
            var u = c, ul = cl
            if c == 0x20 && i + 1 < n {
                let (d, dl) = scalarAt(p, i + 1)
                if !isWS(d) { j = i + 1; u = d; ul = dl }
            }
            if isL(u) {
                j += ul
                while j < n { let (v, vl) = scalarAt(p, j); if !isL(v) { break }; j += vl }
            } else if isN(u) {
                j += ul
                while j < n { let (v, vl) = scalarAt(p, j); if !isN(v) { break }; j += vl }
            } else if !isWS(u) {
                j += ul
                while j < n { let (v, vl) = scalarAt(p, j); if isWS(v) || isL(v) || isN(v) { break }; j += vl }
            } else {
                j = spaceRunMatch(p, start)
            }
            out.append((start, j)); i = j
        }
    }
}

/// Llama 3's pattern (maxDigits 3) and Qwen2's (maxDigits 1), which differ only in \p{N}{1,3} vs \p{N}.
struct Llama3Pattern: Pattern {
    let maxDigits: Int

    @inline(__always) func contraction(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = p.count
        guard i + 1 < n else { return 0 }
        let a = p[i + 1] | 0x20
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }
        if i + 2 < n {
            let b = p[i + 2] | 0x20
            if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }
        }
        return 0
    }

    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        let n = p.count
        var i = 0
        while i < n {
            let (c, cl) = scalarAt(p, i)
            if c == 0x27 {
                let k = contraction(p, i)
                if k > 0 { out.append((i, i + k)); i += k; continue }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if isL(c) {
                var j = i + cl
                while j < n { let (v, vl) = scalarAt(p, j); if !isL(v) { break }; j += vl }
                out.append((i, j)); i = j; continue
            }
            let cN = isN(c)
            if !cN && c != 0x0D && c != 0x0A && i + cl < n {
                let (d, dl) = scalarAt(p, i + cl)
                if isL(d) {
                    var j = i + cl + dl
                    while j < n { let (v, vl) = scalarAt(p, j); if !isL(v) { break }; j += vl }
                    out.append((i, j)); i = j; continue
                }
            }
            // \p{N}{1,maxDigits}
            if cN {
                var j = i + cl, k = 1
                while j < n && k < maxDigits { let (v, vl) = scalarAt(p, j); if !isN(v) { break }; j += vl; k += 1 }
                out.append((i, j)); i = j; continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var s = i, u = c, ul = cl
            if c == 0x20 && i + 1 < n { let (d, dl) = scalarAt(p, i + 1); s = i + 1; u = d; ul = dl }
            if !isWS(u) && !isL(u) && !isN(u) && !(c == 0x20 && s == i) {
                var j = s + ul
                while j < n { let (v, vl) = scalarAt(p, j); if isWS(v) || isL(v) || isN(v) { break }; j += vl }
                while j < n && (p[j] == 0x0D || p[j] == 0x0A) { j += 1 }
                out.append((i, j)); i = j; continue
            }
            // c is whitespace here. \s*[\r\n]+ : up to the run's last line break.
            var j = i, lastBreak = -1
            while j < n {
                let (v, vl) = scalarAt(p, j)
                if !isWS(v) { break }
                if v == 0x0D || v == 0x0A { lastBreak = j }
                j += vl
            }
            if lastBreak >= 0 { out.append((i, lastBreak + 1)); i = lastBreak + 1; continue }
            let e = spaceRunMatch(p, i)
            out.append((i, e)); i = e
        }
    }
}

/// A literal string (Split / Replace with a String pattern).
struct LiteralPattern: Pattern {
    let needle: [UInt8]
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        let m = needle.count, n = p.count
        guard m > 0, m <= n else { return }
        let first = needle[0]
        var i = 0
        needle.withUnsafeBufferPointer { nd in
            while i + m <= n {
                if p[i] == first {
                    var k = 1
                    while k < m && p[i + k] == nd[k] { k += 1 }
                    if k == m { out.append((i, i + m)); i += m; continue }
                }
                i += 1
            }
        }
    }
}

/// Every single character that satisfies a predicate is a match (the library's `Fn(char) -> bool` pattern).
struct CharPattern: Pattern {
    let test: @Sendable (UInt32) -> Bool
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        var i = 0
        while i < p.count {
            let (u, l) = scalarAt(p, i)
            if test(u) { out.append((i, i + l)) }
            i += l
        }
    }
}

/// `\w+|[^\w\s]+` with the regex crate's Unicode \w (the Whitespace pre-tokenizer).
struct WordsPattern: Pattern {
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        var i = 0
        while i < p.count {
            let (u, l) = scalarAt(p, i)
            if isWS(u) && !isWordChar(u) { i += l; continue }
            let word = isWordChar(u)
            var j = i + l
            while j < p.count {
                let (v, vl) = scalarAt(p, j)
                if word ? !isWordChar(v) : (isWordChar(v) || isWS(v)) { break }
                j += vl
            }
            out.append((i, j)); i = j
        }
    }
}

/// Any other regex, through Swift Regex matching Unicode scalars.
struct RegexPattern: Pattern, @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    init(_ source: String) throws {
        do { regex = try Regex(onigurumaToSwift(source)).matchingSemantics(.unicodeScalar) } catch {
            throw TokenizerError("invalid or unsupported regex \(source.debugDescription): \(error)")
        }
    }
    func matches(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(Int, Int)]) {
        let s = String(decoding: p, as: UTF8.self)
        let u = s.utf8
        for m in s.matches(of: regex) {
            let a = u.distance(from: u.startIndex, to: m.range.lowerBound)
            let b = u.distance(from: u.startIndex, to: m.range.upperBound)
            out.append((a, b))
        }
    }
}

/// Rewrites the escapes whose meaning differs between Oniguruma (Ruby syntax, as the library compiles
/// patterns) and Swift Regex: \d is Nd only, \w is letters, marks, Nd and Pc, \h is a hex digit.
func onigurumaToSwift(_ source: String) -> String {
    var out = "", inClass = 0
    var it = source.makeIterator()
    while let c = it.next() {
        if c == "\\", let e = it.next() {
            let inside = inClass > 0
            switch e {
            case "d": out += #"\p{Nd}"#
            case "D": out += inside ? #"\D"# : #"\P{Nd}"#
            case "w": out += inside ? #"\p{L}\p{M}\p{Nd}\p{Pc}"# : #"[\p{L}\p{M}\p{Nd}\p{Pc}]"#
            case "W": out += inside ? #"\W"# : #"[^\p{L}\p{M}\p{Nd}\p{Pc}]"#
            case "h": out += inside ? "0-9a-fA-F" : "[0-9a-fA-F]"
            default: out.append(c); out.append(e)
            }
            continue
        }
        if c == "[" { inClass += 1 } else if c == "]" && inClass > 0 { inClass -= 1 }
        out.append(c)
    }
    return out
}

/// How a split treats what the pattern matched (the library's SplitDelimiterBehavior).
enum SplitBehavior: String {
    case removed, isolated, mergedWithPrevious = "merged_with_previous", mergedWithNext = "merged_with_next",
         contiguous
}

/// Splits p into pieces (byte ranges) by the pattern's matches and the behavior, as NormalizedString::split.
func splitPattern(_ p: UnsafeBufferPointer<UInt8>, _ pattern: any Pattern, _ behavior: SplitBehavior, invert: Bool,
           matches m: inout [(Int, Int)], into out: inout [(Int, Int)]) {
    if p.count == 0 { return }
    m.removeAll(keepingCapacity: true)
    pattern.matches(p, into: &m)
    // (start, end, isMatch) over the whole text, gaps included.
    var events: [(Int, Int, Bool)] = []
    events.reserveCapacity(m.count * 2 + 1)
    var prev = 0
    for (a, b) in m {
        if prev != a { events.append((prev, a, invert)) }
        events.append((a, b, !invert))
        prev = b
    }
    if prev != p.count { events.append((prev, p.count, invert)) }
    var pieces: [(Int, Int)] = []
    switch behavior {
    case .isolated:
        for e in events { pieces.append((e.0, e.1)) }
    case .removed:
        for e in events where !e.2 { pieces.append((e.0, e.1)) }
    case .contiguous:
        var previous = false
        for e in events {
            if e.2 == previous, !pieces.isEmpty { pieces[pieces.count - 1].1 = e.1 } else { pieces.append((e.0, e.1)) }
            previous = e.2
        }
    case .mergedWithPrevious:
        var previous = false
        for e in events {
            if e.2 && !previous, !pieces.isEmpty { pieces[pieces.count - 1].1 = e.1 } else { pieces.append((e.0, e.1)) }
            previous = e.2
        }
    case .mergedWithNext:
        var previous = false
        for e in events.reversed() {
            if e.2 && !previous, !pieces.isEmpty { pieces[pieces.count - 1].0 = e.0 } else { pieces.append((e.0, e.1)) }
            previous = e.2
        }
        pieces.reverse()
    }
    for q in pieces where q.1 > q.0 { out.append(q) }
}
