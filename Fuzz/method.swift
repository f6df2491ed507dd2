// Fuzz target: method files and template rendering (Sources/Sample/Methods.swift).
// Input: the text of a method file, optionally followed by a NUL byte and one JSON Lines record to render
// it on besides the fixed records below. Properties: parsing and rendering never trap; rendering is
// deterministic; text with every brace doubled renders to exactly itself.
@testable import Streams
@testable import Sample

func makeRecord(_ text: String) -> JSONRecord? {
    let r = JSONRecord()
    var bytes = Array(text.utf8)
    do throws(JSONParseError) {
        try bytes.withUnsafeMutableBufferPointer { b throws(JSONParseError) in try r.load(UnsafeBufferPointer(b)) }
    } catch { return nil }
    return r.isObject ? r : nil
}

let fixedRecords: [JSONRecord] = [
    #"{"question":"Tom has 3 apples.","prompt":"def f(x):\n","test_list":["assert f(1) == 2","assert f(2) == 3"],"meta":{"level":3,"odd key":"\ud83d\ude00"},"n":null,"x":1.5e3}"#,
    #"{"prefix":"a{","suffix":"}b","completion":"{{}}","text":"","tests":[[1],{"k":[]},true]}"#,
    #"{}"#,
].map { makeRecord($0)! }

func render(_ m: Method, _ records: [JSONRecord]) {
    let first = try? m.render(records[0])
    precondition((try? m.render(records[0])) == first, "rendering is not deterministic")
    for r in records.dropFirst() { _ = try? m.render(r) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let nul = input.firstIndex(of: 0) ?? size
    // Method files are read as UTF-8 (a file that is not is rejected before parsing).
    guard let text = String(validating: UnsafeBufferPointer(rebasing: input[..<nul]), as: UTF8.self) else { return 0 }
    var records = fixedRecords
    if nul < size, let r = makeRecord(String(decoding: UnsafeBufferPointer(rebasing: input[(nul + 1)...]), as: UTF8.self)) {
        records.append(r)
    }
    if let m = try? Method.parse(text: text, name: "fuzz", path: "fuzz.method") {
        precondition(m.maxTokens.map { $0 > 0 } ?? true)
        render(m, records)
    }
    // The whole input as a bare template, too (built-in methods are templates without a header).
    render(Method(name: "fuzz", template: text), records)
    // Escaped text renders to itself.
    // (Doubled on bytes: Foundation's replacingOccurrences skips a brace that a combining mark follows.)
    var escapedBytes: [UInt8] = []
    for b in text.utf8 { escapedBytes.append(b); if b == UInt8(ascii: "{") || b == UInt8(ascii: "}") { escapedBytes.append(b) } }
    let escaped = String(decoding: escapedBytes, as: UTF8.self)
    let pieces = try? Method(name: "escaped", template: escaped).render(records[0])
    precondition(pieces == (text.isEmpty ? [] : [.text(text)]), "escaped braces do not render to the text")
    return 0
}
