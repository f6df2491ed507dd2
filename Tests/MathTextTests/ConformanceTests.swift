import XCTest
import Foundation
import MathText

/// Conformance over ../shared/data (skipped when it is absent): every GSM8K and MATH-500 reference
/// solution's extracted answer is equal to its own answer, and every GSM8K calculator annotation passes
/// the step checker.
final class ConformanceTests: XCTestCase {
    static let data: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/data").standardized

    func records(_ path: String) throws -> [[String: Any]] {
        let url = Self.data.appendingPathComponent(path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw XCTSkip("no \(url.path)") }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testGSM8KReferences() throws {
        var n = 0, steps = 0
        var inlineBad: [String] = []
        for file in ["gsm8k/train.jsonl", "gsm8k/test.jsonl"] {
            for (i, r) in try records(file).enumerated() {
                let answer = r["answer"] as! String
                guard let got = extractAnswer(answer), got.source == .hashes else {
                    XCTFail("\(file):\(i + 1): no #### answer"); continue
                }
                let finalLine = answer.split(separator: "\n").last.map(String.init) ?? ""
                let expected = String(finalLine.dropFirst(4))
                XCTAssertEqual(answersEquivalent(got.text, expected), .equal, "\(file):\(i + 1)")
                let report = checkSteps(answer)
                XCTAssertEqual(report, checkSteps(extractEquations(answer)), "fast and slow step paths differ: \(file):\(i + 1)")
                if answer.contains("<<") {
                    XCTAssertTrue(report.ok, "\(file):\(i + 1): \(report.reason ?? "")")
                    XCTAssertEqual(report.checked, report.total, "\(file):\(i + 1): an annotation not evaluated")
                    steps += report.checked
                } else if !report.ok {
                    inlineBad.append("\(file):\(i + 1): \(report.reason ?? "")")
                }
                n += 1
            }
        }
        XCTAssertEqual(n, 8792)
        // References without annotations are checked inline; the few flagged are genuinely sloppy
        // (unit changes like "$2.50 - $2.24 = 26 cents", "$7500/75% = $100"): listed, bounded.
        print("inline references flagged:\n" + inlineBad.joined(separator: "\n"))
        XCTAssertLessThanOrEqual(inlineBad.count, 5)
        XCTAssertGreaterThan(steps, 20000)
    }

    func testMATH500References() throws {
        var n = 0
        for (i, r) in try records("math500/test.jsonl").enumerated() {
            let solution = r["solution"] as! String, answer = r["answer"] as! String
            guard let got = extractAnswer(solution) else { XCTFail("math500:\(i + 1): no answer"); continue }
            XCTAssertEqual(answersEquivalent(got.text, answer), .equal, "math500:\(i + 1): \(got.text) vs \(answer)")
            XCTAssertEqual(checkSteps(solution), checkSteps(extractEquations(solution)), "math500:\(i + 1): step paths differ")
            n += 1
        }
        XCTAssertEqual(n, 500)
    }
}
