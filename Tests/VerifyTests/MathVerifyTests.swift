import XCTest
import Streams
import Verify

final class MathVerifyTests: XCTestCase {
    func verify(_ pairs: [(String, JSON)], _ configure: (inout VerifyOptions) -> Void = { _ in }) throws -> VerifyResult {
        var o = VerifyOptions()
        configure(&o)
        let v = Verifier(options: o, threads: 1)
        return v.verify(try records([json(pairs)])[0])
    }

    func testGSM8KPassWithSteps() throws {
        let r = try verify([("task", JSON("gsm8k")), ("answer", JSON("Half: 48/2=<<48/2=24>>24\n#### 24")),
                            ("completion", JSON("She has 48 / 2 = 24 left.\n#### 24"))])
        XCTAssertEqual(r.verdict, .pass)
        XCTAssertEqual(r.reward, 1)
        XCTAssertEqual(r.extracted, "24")
        XCTAssertEqual(r.expected, "24")
        XCTAssertEqual(r.stepsOK, true)
        XCTAssertNil(r.firstBadStep)
        XCTAssertNil(r.reason)
        XCTAssertTrue(r.verifier.hasPrefix("st-verify 1.0 gsm8k exact"))
    }

    func testRightAnswerWrongReasoning() throws {
        let r = try verify([("task", JSON("gsm8k")), ("answer", JSON("#### 14")),
                            ("completion", JSON("12 - 5 = 8\n8 + 6 = 14\nAnswer: 14"))])
        XCTAssertEqual(r.verdict, .pass)
        XCTAssertEqual(r.stepsOK, false)
        XCTAssertEqual(r.firstBadStep, 1)
        XCTAssertTrue(r.reason?.contains("12 - 5 = 8") ?? false, r.reason ?? "")
    }

    func testWrongAnswerAndUnparsed() throws {
        let wrong = try verify([("task", JSON("math")), ("answer", JSON("\\frac{1}{2}")),
                                ("completion", JSON("so $\\boxed{0.6}$"))])
        XCTAssertEqual(wrong.verdict, .fail)
        XCTAssertEqual(wrong.reward, 0)
        XCTAssertEqual(wrong.extracted, "0.6")
        XCTAssertTrue(wrong.reason?.contains("is not") ?? false)
        let none = try verify([("task", JSON("math")), ("answer", JSON("5")), ("completion", JSON("I think five"))])
        XCTAssertEqual(none.verdict, .unparsed)
        XCTAssertNil(none.extracted)
        let fallback = try verify([("task", JSON("math")), ("answer", JSON("5")), ("completion", JSON("so we get 5 apples"))]) {
            $0.lastNumberFallback = true
        }
        XCTAssertEqual(fallback.verdict, .pass)
    }

    func testExpectedFromSolutionAndNumbers() throws {
        let r = try verify([("task", JSON("math")), ("solution", JSON("Thus the area is $\\boxed{\\frac{\\sqrt3}{3}}$.")),
                            ("completion", JSON("The answer is $1/\\sqrt{3}$."))])
        XCTAssertEqual(r.verdict, .pass, r.reason ?? "")
        XCTAssertEqual(r.expected, "\\frac{\\sqrt3}{3}")
        let n = try verify([("task", JSON("gsm8k")), ("answer", .number("18")), ("completion", JSON("#### 18.00"))])
        XCTAssertEqual(n.verdict, .pass)
    }

    func testUndecidedWithoutSymbolic() throws {
        let r = try verify([("task", JSON("math")), ("answer", JSON("x^2-1")), ("completion", JSON("\\boxed{(x-1)(x+1)}"))])
        XCTAssertEqual(r.verdict, .fail)
        XCTAssertTrue(r.reason?.contains("--symbolic") ?? false)
    }

    func testBadRecords() throws {
        let noTask = try verify([("answer", JSON("5")), ("completion", JSON("#### 5"))])
        XCTAssertEqual(noTask.verdict, .error)
        XCTAssertTrue(noTask.reason?.contains("task") ?? false)
        let unknown = try verify([("task", JSON("chess")), ("completion", JSON("e4"))])
        XCTAssertEqual(unknown.verdict, .error)
        XCTAssertTrue(unknown.reason?.contains("unknown task") ?? false)
        let noAnswer = try verify([("task", JSON("gsm8k")), ("completion", JSON("#### 5"))])
        XCTAssertEqual(noAnswer.verdict, .error)
        let noCompletion = try verify([("task", JSON("gsm8k")), ("answer", JSON("#### 5"))])
        XCTAssertEqual(noCompletion.verdict, .error)
        XCTAssertTrue(noCompletion.reason?.contains("completion") ?? false)
        let badType = try verify([("task", JSON(3)), ("completion", JSON("x"))])
        XCTAssertEqual(badType.verdict, .error)
    }

    func testFieldsAndFormatting() throws {
        var r = VerifyResult(verdict: .pass)
        r.reward = 0.5
        r.runtimeMs = 1.23456
        r.verifier = "v"
        let f = r.fields
        XCTAssertEqual(f.map(\.0), ["verdict", "reward", "extracted", "expected", "steps_ok", "first_bad_step",
                                    "reason", "runtime_ms", "verifier"])
        XCTAssertEqual(f[1].1, .number("0.5"))
        XCTAssertEqual(f[7].1, .number("1.235"))
        XCTAssertEqual(milliseconds(0), "0.000")
        XCTAssertEqual(milliseconds(12.0005), "12.001")
        XCTAssertEqual(Task.named("HumanEval"), .humaneval)
        XCTAssertEqual(Task.named("apps"), .stdio)
        XCTAssertNil(Task.named("nope"))
    }

    func testOutputsMatch() {
        XCTAssertTrue(outputsMatch("1 2\n3  \n\n", "1 2\n3", tolerance: nil))
        XCTAssertFalse(outputsMatch("1 2\n3", "1 2\n4", tolerance: nil))
        XCTAssertFalse(outputsMatch("0.3333", "0.333333", tolerance: nil))
        XCTAssertTrue(outputsMatch("0.3333", "0.333333", tolerance: 1e-3))
        XCTAssertFalse(outputsMatch("abc", "abd", tolerance: 1))
        XCTAssertTrue(outputsMatch("a\r\nb", "a\nb", tolerance: nil))
        XCTAssertEqual(extractCode("Here:\n```python\nprint(1)\n```\nDone"), "print(1)\n")
        XCTAssertEqual(extractCode("print(2)"), "print(2)")
    }
}
