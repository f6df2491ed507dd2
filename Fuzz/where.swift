// Fuzz target: the --where expression language (Sources/Filter/Expression.swift).
// Input: an expression, optionally followed by a NUL byte and one JSON Lines record to evaluate it on
// besides the fixed records below. Properties: parsing never traps; evaluation never traps; an expression
// that parses also parses inside `not (...)`, which negates it on every record.
@testable import Streams
@testable import Filter

func makeRecord(_ text: String) -> JSONRecord? {
    let r = JSONRecord()
    var bytes = Array(text.utf8)
    do throws(JSONParseError) {
        try bytes.withUnsafeMutableBufferPointer { b throws(JSONParseError) in try r.load(UnsafeBufferPointer(b)) }
    } catch { return nil }
    return r.isObject ? r : nil
}

let fixedRecords: [JSONRecord] = [
    #"{"verdict":"pass","reward":1,"score":0.75,"s":"caf\u00e9","meta":{"d":3,"tags":["x","y"]},"n":null,"ok":false,"big":1e400}"#,
    #"{"id":"gsm8k-7","method":"text","completion":"3 + 4 = 7\nAnswer: 7\n","steps_ok":true,"tests":["a",1,[2],{"k":"v"}],"meta":{"odd key":"\ud83d\ude00","level":-0}}"#,
    #"{"":"","len":[],"exists":{},"contains":"xyz","matches":"","a":{"b":{"c":[[1,2],[3]]}},"x":-1.5e-300}"#,
    #"{}"#,
].map { makeRecord($0)! }

func check(_ text: String, _ records: [JSONRecord]) {
    guard let p = try? Predicate(text) else { return }
    guard let not = try? Predicate("not (" + text + ")") else {
        preconditionFailure("wrapping a valid expression in 'not (...)' fails to parse")
    }
    for r in records {
        precondition(not.matches(r) == !p.matches(r), "not (e) is not the negation of e")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let nul = input.firstIndex(of: 0) ?? size
    // The shell hands st-filter its argument as a String, repairing invalid UTF-8 the same way.
    let text = String(decoding: UnsafeBufferPointer(rebasing: input[..<nul]), as: UTF8.self)
    var records = fixedRecords
    if nul < size, let r = makeRecord(String(decoding: UnsafeBufferPointer(rebasing: input[(nul + 1)...]), as: UTF8.self)) {
        records.append(r)
    }
    check(text, records)
    return 0
}
