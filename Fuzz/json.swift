// Fuzz target: the JSON tape parser and the value/record layers over it (Sources/Base).
// Properties checked on every input the parser accepts, beyond "no crash":
// - the tape is well formed: extents inside the input, `next` links nested properly, one root value;
// - serialize(materialize(tape)) parses back to the same value, and serializing that again is a fixed point;
// - the record accessors agree with the materialized value: string(at:) and stringEquals, codePointCount
//   (the SWAR/escape counting) against the decoded string's scalars, number(at:) against strtod-by-Swift.
// A rejected input must report an offset inside it.
@testable import Base

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var parser = TapeParser()
    do throws(JSONParseError) { try parser.parse(input) } catch {
        precondition(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside input")
        return 0
    }
    let tokens = parser.tokens
    checkTape(tokens, 0, tokens.count, size)
    precondition(Int(tokens[0].next) == tokens.count, "root value does not span the tape")

    let value = materialize(tokens, 0, input)
    let text = value.serialized()
    let back: JSON
    do { back = try JSON.parse(text) } catch { preconditionFailure("re-parse of serialized value failed: \(error)") }
    precondition(back == value, "re-parsed value differs")
    precondition(back.serialized() == text, "serialization is not a fixed point")

    // The record layer reads the same bytes through the same tape.
    let r = JSONRecord()
    do throws(JSONParseError) { try r.load(input) } catch { preconditionFailure("record rejects what the parser accepted") }
    precondition(r.value() == value)
    for t in 0..<tokens.count { checkToken(r, t) }
    if r.isObject {
        var n = 0
        r.forEachMember { k, _, _ in n += 1; precondition(r.member(of: 0, r.string(at: k)) != nil) }
        precondition(n == r.value().object!.count)
    }
    return 0
}

/// Tokens lo..<hi are siblings inside a parent covering the input's first `size` bytes.
func checkTape(_ tokens: [Token], _ lo: Int, _ hi: Int, _ size: Int) {
    var i = lo
    while i < hi {
        let t = tokens[i]
        precondition(t.start >= 0 && t.start < t.end && Int(t.end) <= size, "token \(i) extent out of range")
        precondition(Int(t.next) > i && Int(t.next) <= hi, "token \(i) next link out of its parent")
        if t.kind == .object || t.kind == .array {
            checkTape(tokens, i + 1, Int(t.next), size)
            var c = i + 1
            while c < Int(t.next) {
                precondition(tokens[c].start > t.start && tokens[c].end < t.end, "child outside its container")
                c = Int(tokens[c].next)
            }
            if t.kind == .object {
                // Members come in key, value pairs, and every key is a string.
                var k = i + 1
                while k < Int(t.next) {
                    precondition(tokens[k].kind == .string, "object key is not a string")
                    k = Int(tokens[k + 1].next)
                }
                precondition(k == Int(t.next))
            }
        } else {
            precondition(Int(t.next) == i + 1, "scalar with children")
        }
        i = Int(t.next)
    }
}

func checkToken(_ r: JSONRecord, _ t: Int) {
    let tok = r.tokens[t]
    let v = r.value(atToken: t)
    switch tok.kind {
    case .string:
        let s = r.string(at: t)
        precondition(v == .string(s))
        precondition(r.stringEquals(t, s), "stringEquals(t, string(at: t)) is false")
        precondition(!r.stringEquals(t, s + "x"))
        precondition(r.codePointCount(at: t) == s.unicodeScalars.count,
                     "codePointCount \(r.codePointCount(at: t)) != \(s.unicodeScalars.count)")
        _ = r.groupKey(t)
    case .number:
        let text = String(decoding: r.raw(t), as: UTF8.self)
        let d = r.number(at: t)!
        let want = Double(text)!
        precondition(d == want || (d.isNaN && want.isNaN), "number(at:) \(d) != Double(\"\(text)\") \(want)")
        _ = v.int
        precondition(r.number(at: t) != nil)
    default:
        precondition(r.number(at: t) == nil)
        _ = r.groupKey(t)
    }
}
