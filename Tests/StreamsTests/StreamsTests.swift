import XCTest
@testable import Streams

/// Writes `text` to a fresh temporary file and returns its path.
func tempFile(_ text: String, name: String = "in.jsonl") -> String {
    let dir = NSTemporaryDirectory() + "st-tests-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

func readAll(_ path: String) throws -> [JSON] {
    let r = try JSONLReader(paths: [path], allowEmpty: true)
    var out: [JSON] = []
    while let rec = try r.next() { out.append(rec.value()) }
    return out
}

final class JSONParsingTests: XCTestCase {
    func parseError(_ s: String) -> String? {
        do { _ = try JSON.parse(s); return nil } catch { return "\(error)" }
    }

    func testValuesRoundTrip() throws {
        let text = #"{"a":1,"b":[true,false,null],"c":{"d":"x\"y\\z\n"},"n":-0.5e+10,"big":123456789012345678901234567890,"f":1e400}"#
        let v = try JSON.parse(text)
        XCTAssertEqual(v.serialized(), text)
        XCTAssertEqual(v["big"], .number("123456789012345678901234567890"))
        XCTAssertEqual(v["c"]?["d"]?.string, "x\"y\\z\n")
    }

    func testEscapesAndSurrogates() throws {
        let v = try JSON.parse(#"{"s":"\u00e9\ud83d\ude00\/\t"}"#)
        XCTAssertEqual(v["s"]?.string, "é😀/\t")
        XCTAssertNotNil(parseError(#"{"s":"\ud83d"}"#))
        XCTAssertNotNil(parseError(#"{"s":"\ude00"}"#))
        XCTAssertNotNil(parseError(#"{"s":"\ud83dx"}"#))
        XCTAssertNotNil(parseError(#"{"s":"\q"}"#))
        XCTAssertNotNil(parseError(#"{"s":"\u12G4"}"#))
    }

    func testInvalidUTF8Rejected() {
        for bad: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82]] {
            var bytes = Array(#"{"s":""#.utf8) + bad + Array(#""}"#.utf8)
            let r = bytes.withUnsafeMutableBufferPointer { b -> Bool in
                var p = TapeParser()
                do { try p.parse(UnsafeBufferPointer(b)); return true } catch { return false }
            }
            XCTAssertFalse(r, "accepted \(bad)")
        }
    }

    func testNumberGrammar() {
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "0x10", "1.5e+"] {
            XCTAssertNotNil(parseError(#"{"n":"# + bad + "}"), bad)
        }
        for good in ["0", "-0", "1.25", "1E5", "1e-7", "-12.5E+3"] {
            XCTAssertNil(parseError(#"{"n":"# + good + "}"), good)
        }
    }

    func testStructuralErrorsHaveColumns() {
        XCTAssertEqual(parseError(#"{"a":1,}"#), "<string>:1:8: unexpected '}', expected a string key")
        XCTAssertEqual(parseError(#"{"a" 1}"#), "<string>:1:6: unexpected '1', expected ':'")
        XCTAssertEqual(parseError(#"{"a":1} x"#), "<string>:1:9: unexpected 'x' after the JSON value")
        XCTAssertNotNil(parseError(#"{"a":[1,2}"#))
        XCTAssertNotNil(parseError("{\"a\":\"x\ty\"}"))
        XCTAssertNotNil(parseError(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)))
    }

    func testObjectOrderAndSetting() {
        var o = JSONObject([("z", JSON(1)), ("a", JSON("x"))])
        o["z"] = JSON(2)
        o["m"] = .null
        XCTAssertEqual(o.keys, ["z", "a", "m"])
        o["a"] = nil
        XCTAssertEqual(JSON.object(o).serialized(), #"{"z":2,"m":null}"#)
        XCTAssertEqual(JSON(0.1).serialized(), "0.1")
        XCTAssertEqual(JSON(3.0).serialized(), "3")
        XCTAssertEqual(JSON(Double.nan).serialized(), "null")
    }
}

final class StreamIOTests: XCTestCase {
    func testPlainAndBlankLinesAndLocations() throws {
        let p = tempFile("{\"a\":1}\n\n  \r\n{\"a\":2}\r\n{\"a\":3}")
        XCTAssertEqual(try readAll(p).map { $0["a"]!.int! }, [1, 2, 3])
        let bad = tempFile("{\"a\":1}\n{\"a\":}\n")
        XCTAssertThrowsError(try readAll(bad)) { e in
            XCTAssertEqual("\(e)", "\(bad):2:6: unexpected '}', expected a JSON value")
        }
    }

    func testNonObjectRecordRejected() {
        let p = tempFile("[1,2]\n")
        XCTAssertThrowsError(try readAll(p)) { e in XCTAssertTrue("\(e)".contains(":1:1: record is not a JSON object")) }
    }

    func testEmptyInputIsAnError() {
        let p = tempFile("")
        XCTAssertThrowsError(try JSONLReader(paths: [p]).next()) { e in
            XCTAssertTrue("\(e)".contains("empty input"))
        }
    }

    func testSkipBadCounts() throws {
        let p = tempFile("{\"a\":1}\nnope\n{\"a\":2}\n")
        let r = try JSONLReader(paths: [p], skipBad: true)
        var n = 0
        while try r.next() != nil { n += 1 }
        XCTAssertEqual(n, 2); XCTAssertEqual(r.skipped, 1)
    }

    func testZstdRoundTripConcatenatedAndTruncated() throws {
        let dir = NSTemporaryDirectory() + "st-z-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        for part in 0..<2 {
            let w = try JSONLWriter(path: "\(dir)/p\(part).jsonl.zst")
            for i in 0..<1000 { try w.write(JSONObject([("part", JSON(part)), ("i", JSON(i)), ("s", JSON(String(repeating: "é", count: i % 50)))])) }
            try w.commit()
            paths.append("\(dir)/p\(part).jsonl.zst")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["p0.jsonl.zst", "p1.jsonl.zst"])
        var joined = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
        joined.append(try Data(contentsOf: URL(fileURLWithPath: paths[1])))
        FileManager.default.createFile(atPath: "\(dir)/cat.zst", contents: joined)
        let all = try readAll("\(dir)/cat.zst")
        XCTAssertEqual(all.count, 2000)
        XCTAssertEqual(all[1500]["part"]?.int, 1)
        FileManager.default.createFile(atPath: "\(dir)/trunc.zst", contents: joined.prefix(joined.count - 7))
        XCTAssertThrowsError(try readAll("\(dir)/trunc.zst")) { e in XCTAssertTrue("\(e)".contains("zstd"), "\(e)") }
        var garbage = joined; garbage.append(contentsOf: [0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3])
        FileManager.default.createFile(atPath: "\(dir)/garbage.zst", contents: garbage)
        XCTAssertThrowsError(try readAll("\(dir)/garbage.zst"))
    }

    func testUncommittedWriterLeavesNothing() throws {
        let dir = NSTemporaryDirectory() + "st-w-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            let w = try JSONLWriter(path: "\(dir)/out.jsonl")
            try w.write(JSONObject([("a", JSON(1))]))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testSettingFieldsKeepsRawBytes() throws {
        let p = tempFile(#"{"id": 7, "x": 1.50, "verdict": "old", "s": "\u00e9"}"# + "\n")
        let out = NSTemporaryDirectory() + "st-set-\(UUID().uuidString).jsonl"
        let r = try JSONLReader(paths: [p])
        let w = try JSONLWriter(path: out)
        while let rec = try r.next() { try w.write(rec, setting: [("verdict", JSON("pass")), ("reward", JSON(1))]) }
        try w.commit()
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8),
                       #"{"id":7,"x":1.50,"verdict":"pass","s":"\u00e9","reward":1}"# + "\n")
    }

    func testFieldPaths() throws {
        let p = tempFile(#"{"meta":{"difficulty":3,"odd key":"y"},"tests":["a","b"]}"# + "\n")
        let r = try JSONLReader(paths: [p])
        let rec = try XCTUnwrap(r.next())
        XCTAssertEqual(rec.value(at: try FieldPath("meta.difficulty")), JSON(3))
        XCTAssertEqual(rec.value(at: try FieldPath("tests[1]")), JSON("b"))
        XCTAssertEqual(rec.value(at: try FieldPath(#"meta["odd key"]"#)), JSON("y"))
        XCTAssertNil(rec.value(at: try FieldPath("tests[5]")))
        XCTAssertNil(rec.value(at: try FieldPath("meta.nope")))
        XCTAssertThrowsError(try FieldPath("a..b"))
        XCTAssertThrowsError(try FieldPath("a[x]"))
        XCTAssertThrowsError(try FieldPath("a[99999999999999999999]"))   // past Int.max: once a trap
    }
}

final class CodePointTests: XCTestCase {
    func testCodePointCountMatchesDecodedString() throws {
        let texts = ["", "abc", "café", "a\nb\t\"c\"", "😀x", "数学问题 and more text past eight bytes é", "\u{1}\u{7f}", "\\", "x\u{2028}y"]
        let p = tempFile(texts.map { JSON.object(JSONObject([("s", JSON($0))])).serialized() }.joined(separator: "\n")
                         + "\n" + #"{"s":"\ud83d\ude00\u00e9\n"}"# + "\n")
        let r = try JSONLReader(paths: [p])
        var expected = texts.map { $0.unicodeScalars.count } + [3]
        while let rec = try r.next() {
            let t = try XCTUnwrap(rec.member(of: 0, "s"))
            XCTAssertEqual(rec.codePointCount(at: t), expected.removeFirst(), rec.string(at: t))
        }
    }
}

final class HashTests: XCTestCase {
    /// The contiguous fast path and the byte-at-a-time path agree for every length around the word size.
    func testContiguousAndGenericPathsAgree() {
        let bytes: [UInt8] = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in 0...bytes.count {
            let fast = Hash128(Array(bytes.prefix(n)), seed: 3)
            let slow = Hash128(AnySequenceCollection(bytes.prefix(n)), seed: 3)
            XCTAssertEqual(fast, slow, "length \(n)")
        }
        XCTAssertNotEqual(Hash128([1, 2, 3]), Hash128([1, 2, 3, 0]))
    }
}

/// A collection without contiguous storage, to exercise the generic path.
struct AnySequenceCollection: Collection {
    let base: [UInt8]
    init<S: Sequence>(_ s: S) where S.Element == UInt8 { base = Array(s) }
    var startIndex: Int { 0 }
    var endIndex: Int { base.count }
    subscript(i: Int) -> UInt8 { base[i] }
    func index(after i: Int) -> Int { i + 1 }
}
