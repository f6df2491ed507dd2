import XCTest
@testable import Filter
@testable import Streams

/// A record read through the real reader, as st-filter sees it.
func record(_ json: String) throws -> JSONRecord {
    let dir = NSTemporaryDirectory() + "st-expr-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: dir + "/r.jsonl", contents: Data((json + "\n").utf8))
    let r = try JSONLReader(paths: [dir + "/r.jsonl"])
    return try XCTUnwrap(r.next()).copy()
}

final class ExpressionTests: XCTestCase {
    let rec = #"{"verdict":"pass","reward":1,"score":0.75,"s":"caf\u00e9","meta":{"d":3,"tags":["x","y"]},"n":null,"ok":false,"big":1e400}"#

    func check(_ expr: String, _ want: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try Predicate(expr)
        XCTAssertEqual(p.matches(try record(rec)), want, expr, file: file, line: line)
    }

    func testComparisons() throws {
        try check(#"verdict == "pass""#, true)
        try check(#"verdict == 'pass'"#, true)
        try check(#"verdict != "pass""#, false)
        try check("reward == 1.0", true)
        try check("score < 1 and score > 0.5", true)
        try check("score >= 0.75 and score <= 0.75", true)
        try check(#"s == "café""#, true)
        try check(#"s > "cafa""#, true)
        try check(#"verdict == 1"#, false)
        try check(#"verdict != 1"#, true)
        try check("meta.d == 3", true)
        try check(#"meta.tags[1] == "y""#, true)
        try check(#"meta.tags == meta.tags"#, true)
        try check("big > 1e300", true)
        try check("n == null", true)
        try check("ok == false", true)
    }

    func testMissingFieldsAreFalse() throws {
        try check("missing == 1", false)
        try check("missing != 1", false)
        try check("missing < 1", false)
        try check("not (missing == 1)", true)
        try check("meta.nope.deeper == 1", false)
        try check("meta.tags[9] == 1", false)
        try check("len(missing) == 0", false)
    }

    func testFunctions() throws {
        try check("exists(meta.d) and not exists(meta.e)", true)
        try check("len(s) == 4", true)              // code points, not bytes
        try check("len(meta.tags) == 2 and len(meta) == 2", true)
        try check(#"contains(s, "fé")"#, true)
        try check(#"contains(meta.tags, "y") and not contains(meta.tags, "z")"#, true)
        try check(#"matches(verdict, "^pa")"#, true)
        try check(#"matches(verdict, "^as")"#, false)
        try check(#"matches(reward, ".")"#, false)
    }

    func testPrecedenceAndTruthiness() throws {
        try check(#"verdict == "x" or reward == 1 and score > 0.5"#, true)
        try check(#"(verdict == "x" or reward == 1) and score > 0.9"#, false)
        try check("not not verdict", true)
        try check("ok", false)
        try check("n", false)
        try check("reward", true)
    }

    func testParseErrors() {
        for (bad, fragment) in [("", "empty expression"), ("a = 1", "use '=='"), ("a ==", "expected a value"),
                                ("(a == 1", "expected ')'"), ("a == 'x", "unterminated string"),
                                ("len(a", "expected ')'"), ("contains(a)", "takes a field path and a string"),
                                ("a == 1 b", "unexpected"), ("a..b == 1", "invalid field path"),
                                (#"matches(a, "(")"#, "invalid regular expression"),
                                // A backslash ending a quoted key once ran the scanner past the end (fuzzing).
                                (#"a["\"#, "invalid field path"), (#"contains(a["x\"#, "invalid field path")] {
            XCTAssertThrowsError(try Predicate(bad), bad) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(bad): \(e)")
            }
        }
    }

    func testNormalizeText() {
        XCTAssertEqual(normalizeText("  Hello\n\tWORLD  x "), "hello world x")
    }
}
