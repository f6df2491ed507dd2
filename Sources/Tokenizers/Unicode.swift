// Character classes as the `tokenizers` library sees them, over UTF-8 bytes. Oniguruma's \p{L}, \p{N} and
// \s (White_Space), Rust's char predicates, the regex crate's \w. Valid UTF-8 is assumed (input is a String).

/// Decodes the scalar starting at p[i]; returns it and its byte length.
@inline(__always)
func scalarAt(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
    if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
    return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
}

/// Byte length of the scalar that ends just before p[end].
@inline(__always)
func lastScalarLength(_ p: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
    var n = 1
    while n < 4 && end - n > 0 && p[end - n] & 0xC0 == 0x80 { n += 1 }
    return n
}

enum CharClass {
    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, word: UInt8 = 8, punct: UInt8 = 16,
        alnum: UInt8 = 32

    static func compute(_ u: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(u) else { return 0 }
        let p = s.properties
        var c: UInt8 = 0
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: c |= letter
        case .decimalNumber, .letterNumber, .otherNumber: c |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: c |= punct
        default: break
        }
        if p.isWhitespace { c |= space }
        // regex crate \w: Alphabetic, marks, Nd, Pc, Join_Control.
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: c |= word
        default: break
        }
        if p.isAlphabetic || p.isJoinControl { c |= word }
        // Rust char::is_alphanumeric: Alphabetic or Numeric.
        if p.isAlphabetic || c & number != 0 { c |= alnum }
        return c
    }

    /// Classes of the Basic Multilingual Plane, computed once; the rest on demand.
    static let bmp: [UInt8] = (0..<0x10000).map { compute(UInt32($0)) }

    @inline(__always) static func of(_ u: UInt32) -> UInt8 {
        u < 0x10000 ? bmp.withUnsafeBufferPointer { $0[Int(u)] } : compute(u)
    }
}

@inline(__always) func isL(_ u: UInt32) -> Bool {
    if u < 0x80 { return (u | 0x20) &- 0x61 < 26 }
    return CharClass.of(u) & CharClass.letter != 0
}
@inline(__always) func isN(_ u: UInt32) -> Bool {
    if u < 0x80 { return u &- 0x30 < 10 }
    return CharClass.of(u) & CharClass.number != 0
}
@inline(__always) func isWS(_ u: UInt32) -> Bool {
    if u < 0x80 { return u == 0x20 || (u >= 9 && u <= 13) }
    return CharClass.of(u) & CharClass.space != 0
}
@inline(__always) func isWordChar(_ u: UInt32) -> Bool {
    if u < 0x80 { return (u | 0x20) &- 0x61 < 26 || u &- 0x30 < 10 || u == 0x5F }
    return CharClass.of(u) & CharClass.word != 0
}
/// The Punctuation pre-tokenizer's test: ASCII punctuation or Unicode P*.
@inline(__always) func isPunc(_ u: UInt32) -> Bool {
    if u < 0x80 { return (u >= 0x21 && u <= 0x2F) || (u >= 0x3A && u <= 0x40) || (u >= 0x5B && u <= 0x60) || (u >= 0x7B && u <= 0x7E) }
    return CharClass.of(u) & CharClass.punct != 0
}
