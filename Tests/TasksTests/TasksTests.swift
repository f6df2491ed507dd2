import XCTest
@testable import Streams
@testable import Tasks

final class TasksTests: XCTestCase {
    func testArithmeticIsConsistentAndDeterministic() throws {
        let a = arithmeticSplits([.train: 300, .val: 50, .test: 80, .transfer: 40, .seed: 20], seed: 3)
        let b = arithmeticSplits([.train: 300, .val: 50, .test: 80, .transfer: 40, .seed: 20], seed: 3)
        XCTAssertEqual(a[.train]!.map { JSON.object($0).serialized() }, b[.train]!.map { JSON.object($0).serialized() })
        var questions = Set<String>()
        for (split, records) in a {
            for r in records {
                XCTAssertTrue(questions.insert(r["question"]!.string!).inserted, "repeated question in \(split)")
                let text = r["solution_text"]!.string!
                let lines = text.split(separator: "\n").map(String.init)
                XCTAssertEqual(lines.last, "Answer: \(r["answer"]!.string!)")
                XCTAssertEqual(lines.count - 1, r["difficulty"]!.int!)
                // Every equation holds, and each result feeds a later one or is the answer.
                for eq in lines.dropLast() {
                    let parts = eq.split(separator: " ")
                    XCTAssertEqual(parts.count, 5, eq)
                    let x = Int(parts[0])!, y = Int(parts[2])!, z = Int(parts[4])!
                    switch parts[1] {
                    case "+": XCTAssertEqual(x + y, z, eq)
                    case "-": XCTAssertEqual(x - y, z, eq)
                    case "*": XCTAssertEqual(x * y, z, eq)
                    case "/": XCTAssertEqual(x, y * z, eq)
                    default: XCTFail(eq)
                    }
                    XCTAssertGreaterThan(z, 0, eq)
                }
                XCTAssertEqual(r["family"]!.string! == "space", split == .transfer)
            }
        }
        XCTAssertNotEqual(arithmeticSplits([.train: 5], seed: 4)[.train]!.map { $0["question"]! },
                          a[.train]!.prefix(5).map { $0["question"]! })
    }

    func testDifficultiesAreBalanced() {
        let train = arithmeticSplits([.train: 400], difficulties: 1...4, seed: 1)[.train]!
        var byLevel: [Int: Int] = [:]
        for r in train { byLevel[r["difficulty"]!.int!, default: 0] += 1 }
        XCTAssertEqual(byLevel.keys.sorted(), [1, 2, 3, 4])
        XCTAssertTrue(byLevel.values.allSatisfy { $0 == 100 }, "\(byLevel)")
    }

    func testFunctionSplitsAreDisjointAndCoverKinds() {
        let f = functionSplits([.train: 100, .val: 25, .test: 50, .seed: 20], seed: 2)
        var entries: [String: Split] = [:]
        for (split, records) in f {
            for r in records {
                let e = r["entry_point"]!.string!
                XCTAssertNil(entries[e], "\(e) in two splits")
                entries[e] = split
                XCTAssertTrue(r["prompt"]!.string!.hasPrefix("def \(e)("))
                XCTAssertTrue(r["test"]!.string!.hasPrefix("def check(candidate):\n    assert candidate("))
            }
        }
        XCTAssertEqual(Set(f[.train]!.map { $0["kind"]!.string! }).count, funcKinds.count)
        XCTAssertGreaterThanOrEqual(Set(f[.test]!.map { $0["kind"]!.string! }).count, funcKinds.count - 3)
    }

    func testTrainingPairsUseTheMethodPrompts() {
        let r = arithmeticSplits([.seed: 1], seed: 1)[.seed]![0]
        let text = trainingPair(r, method: "text")!
        XCTAssertEqual(text["prompt"]!.string!, "Question: \(r["question"]!.string!)\nSolution:\n")
        XCTAssertEqual(text["completion"]!.string!, r["solution_text"]!.string! + "\n")
        XCTAssertTrue(trainingPair(r, method: "code")!["completion"]!.string!.hasSuffix("print(x)\n"))
        XCTAssertNil(trainingPair(r, method: "nope"))
    }

    func testPythonRepr() {
        XCTAssertEqual(PyValue.list([.int(-1), .str("it's"), .bool(true)]).repr, "[-1, 'it\\'s', True]")
    }
}
