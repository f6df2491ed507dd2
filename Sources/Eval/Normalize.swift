// Normalization of answers (for majority voting among wrong answers) and of solutions (for diversity).

/// The key under which a wrong extracted answer votes in maj@k. Correct answers never need it: they all vote
/// for one class (see `majorityIsCorrect`). The rules, in order:
/// - all whitespace removed; a trailing `.` and surrounding `$…$` removed;
/// - a plain decimal number (optional sign, digits with optional `,` thousands separators, optional fraction) is
///   written canonically: no `+`, no separators, no leading zeros, no trailing fractional zeros (`1,000.50` →
///   `1000.5`, `-0` → `0`);
/// - anything else is kept as written (case included).
public func answerVoteKey(_ text: String) -> String {
    var s = String(text.unicodeScalars.filter { !isSpace($0) })
    if s.hasSuffix("."), s.count > 1 { s.removeLast() }
    if s.count >= 2, s.hasPrefix("$"), s.hasSuffix("$") { s = String(s.dropFirst().dropLast()) }
    if s.hasSuffix("."), s.count > 1 { s.removeLast() }
    return canonicalDecimal(s) ?? s
}

/// `s` as a canonical decimal, or nil when it is not a plain decimal number.
func canonicalDecimal(_ s: String) -> String? {
    var bytes = Array(s.utf8)
    guard !bytes.isEmpty else { return nil }
    var negative = false
    if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
        negative = bytes[0] == UInt8(ascii: "-")
        bytes.removeFirst()
    }
    var intPart: [UInt8] = [], frac: [UInt8] = []
    var i = 0, sawComma = false, groupLen = 0
    while i < bytes.count, bytes[i] != UInt8(ascii: ".") {
        let b = bytes[i]
        if b == UInt8(ascii: ",") {
            // A separator must follow 1–3 leading digits or a full group of 3.
            if intPart.isEmpty || (sawComma ? groupLen != 3 : groupLen > 3) { return nil }
            sawComma = true; groupLen = 0
        } else if b >= 48 && b <= 57 {
            intPart.append(b); groupLen += 1
        } else { return nil }
        i += 1
    }
    if sawComma && groupLen != 3 { return nil }
    if i < bytes.count {  // fraction
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            guard b >= 48 && b <= 57 else { return nil }
            frac.append(b); i += 1
        }
    }
    guard !intPart.isEmpty || !frac.isEmpty else { return nil }
    while intPart.count > 1, intPart[0] == 48 { intPart.removeFirst() }
    if intPart.isEmpty { intPart = [48] }
    while let last = frac.last, last == 48 { frac.removeLast() }
    let isZero = intPart == [48] && frac.isEmpty
    var out = (negative && !isZero) ? "-" : ""
    out += String(decoding: intPart, as: UTF8.self)
    if !frac.isEmpty { out += "." + String(decoding: frac, as: UTF8.self) }
    return out
}

/// The key under which two correct solutions count as the same in diversity@k (by text): leading and trailing
/// whitespace removed, every run of whitespace written as one space. Case and punctuation are kept; texts are
/// compared byte for byte (no Unicode normalization).
public func normalizeSolution(_ text: String) -> String {
    String(decoding: normalizedSolutionBytes(text), as: UTF8.self)
}

/// `normalizeSolution` as UTF-8 bytes, the form SampleSet interns (hashing bytes avoids String's Unicode
/// normalization, which dominated the run time).
public func normalizedSolutionBytes(_ text: String) -> [UInt8] {
    var text = text
    return text.withUTF8 { b in
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var pendingSpace = false
        var i = 0
        let n = b.count
        while i < n {
            let len = whitespaceLength(b, i)
            if len > 0 {
                pendingSpace = !out.isEmpty
                i += len
                continue
            }
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(b[i])
            i += 1
        }
        return out
    }
}

/// Byte length of the Unicode whitespace character starting at b[i], or 0. ASCII: space, \t \n \v \f \r;
/// beyond: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
@inline(__always) func whitespaceLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
    let c = b[i]
    if c < 0x80 { return c == 0x20 || (c >= 9 && c <= 13) ? 1 : 0 }
    let n = b.count
    switch c {
    case 0xC2:
        return i + 1 < n && (b[i + 1] == 0x85 || b[i + 1] == 0xA0) ? 2 : 0
    case 0xE1:
        return i + 2 < n && b[i + 1] == 0x9A && b[i + 2] == 0x80 ? 3 : 0
    case 0xE2:
        guard i + 2 < n else { return 0 }
        let c1 = b[i + 1], c2 = b[i + 2]
        if c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) && c2 >= 0x80 { return 3 }
        return c1 == 0x81 && c2 == 0x9F ? 3 : 0
    case 0xE3:
        return i + 2 < n && b[i + 1] == 0x80 && b[i + 2] == 0x80 ? 3 : 0
    default:
        return 0
    }
}

/// Unicode whitespace, with a fast path for ASCII (the property lookup is slow).
@inline(__always) func isSpace(_ u: Unicode.Scalar) -> Bool {
    if u.isASCII { return u == " " || (u.value >= 9 && u.value <= 13) }
    return u.properties.isWhitespace
}
