// Normalization of answers (for majority voting among wrong answers) and of solutions (for diversity).

/// The key under which a wrong extracted answer votes in maj@k. Correct answers never need it: they all vote
/// for one class (see `majorityIsCorrect`). The rules, in order:
/// - all whitespace removed; a trailing `.` and surrounding `$…$` removed;
/// - a plain decimal number (optional sign, digits with optional `,` thousands separators, optional fraction) is
///   written canonically: no `+`, no separators, no leading zeros, no trailing fractional zeros (`1,000.50` →
///   `1000.5`, `-0` → `0`);
/// - anything else is kept as written (case included).
public func normalizeAnswer(_ text: String) -> String {
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
/// whitespace removed, every run of whitespace written as one space. Case and punctuation are kept.
public func normalizeSolution(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    var pendingSpace = false
    for u in text.unicodeScalars {
        if isSpace(u) {
            pendingSpace = !out.isEmpty
        } else {
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(u)
        }
    }
    return String(out)
}

/// Unicode whitespace, with a fast path for ASCII (the property lookup is slow).
@inline(__always) func isSpace(_ u: Unicode.Scalar) -> Bool {
    if u.isASCII { return u == " " || (u.value >= 9 && u.value <= 13) }
    return u.properties.isWhitespace
}
