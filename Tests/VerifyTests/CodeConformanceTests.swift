import XCTest
import Foundation
import Streams
import Verify

/// Conformance over ../shared/data (skipped when absent): every HumanEval canonical solution passes, and the
/// MBPP reference solutions pass their tests (a quarter of them here; all of them, with the challenge tests,
/// in `make check-full`).
final class CodeConformanceTests: XCTestCase {
    func lines(_ path: String) throws -> [String] {
        let url = dataDir.appendingPathComponent(path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw XCTSkip("no \(url.path)") }
        return text.split(separator: "\n").map(String.init)
    }

    func testHumanEvalCanonicalSolutionsPass() throws {
        var o = VerifyOptions()
        o.task = .humaneval
        o.reference = true
        let v = Verifier(options: o, threads: 2)
        guard v.sandbox().0 != nil else { throw XCTSkip("no sandbox here") }
        let recs = try records(try lines("humaneval/HumanEval.jsonl"))
        XCTAssertEqual(recs.count, 164)
        var results = [VerifyResult?](repeating: nil, count: recs.count)
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            for i in stride(from: k, to: recs.count, by: 2) { results[i] = v.verify(recs[i]) }
        }
        for (i, r) in results.enumerated() {
            XCTAssertEqual(r?.verdict, .pass, "HumanEval/\(i): \(r?.reason ?? "")")
        }
    }

    func testMBPPReferenceSolutionsPass() throws {
        var o = VerifyOptions()
        o.task = .mbpp
        o.reference = true
        let v = Verifier(options: o, threads: 2)
        guard v.sandbox().0 != nil else { throw XCTSkip("no sandbox here") }
        let all = try lines("mbpp/mbpp.jsonl")
        XCTAssertEqual(all.count, 974)
        let recs = try records(stride(from: 0, to: all.count, by: 4).map { all[$0] })
        var results = [VerifyResult?](repeating: nil, count: recs.count)
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            for i in stride(from: k, to: recs.count, by: 2) { results[i] = v.verify(recs[i]) }
        }
        for (i, r) in results.enumerated() {
            XCTAssertEqual(r?.verdict, .pass, "mbpp line \(i * 4 + 1): \(r?.reason ?? "")")
        }
    }
}
