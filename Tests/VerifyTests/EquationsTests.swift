import XCTest
import MathText

final class EquationsTests: XCTestCase {
    private func pairs(_ s: String) -> [String] { extractEquations(s).map { $0.lhs + "=" + $0.rhs } }

    func testAnnotationsAreTheSteps() {
        let s = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"
        let eqs = extractEquations(s)
        XCTAssertEqual(eqs, [
            Equation(text: "<<16-3-4=9>>", lhs: "16-3-4", rhs: "9", isAnnotation: true),
            Equation(text: "<<9*2=18>>", lhs: "9*2", rhs: "18", isAnnotation: true),
        ])
        XCTAssertEqual(equationSignature(s), ["16-3-4=9", "9*2=18"])
    }

    func testAnnotationEdgeCases() {
        XCTAssertEqual(pairs("<<2*.25=0.50>>"), ["2*.25=0.50"])
        XCTAssertEqual(pairs("<<3/4=3/4>>"), ["3/4=3/4"])
        XCTAssertEqual(pairs("<<1+1=2=2>>"), ["1+1=2", "1+1=2"])
        XCTAssertEqual(pairs("<<no equals>> and 2+2=4"), ["2+2=4"], "an annotation without = is not a step")
        XCTAssertEqual(pairs("<< 4 * 4 = 16.00 >>"), ["4 * 4=16.00"])
        XCTAssertEqual(pairs("<<unterminated 3+4=7"), ["3+4=7"])
    }

    func testInlineEquations() {
        XCTAssertEqual(pairs("First 12 - 5 = 7, then 7 + 7 = 14. Answer: 14"), ["12 - 5=7", "7 + 7=14"])
        XCTAssertEqual(pairs("So 80,000+50,000=$130,000 total"), ["80,000+50,000=$130,000"])
        XCTAssertEqual(equationSignature("So 80,000+50,000=$130,000 total"), ["80000+50000=130000"])
        XCTAssertEqual(pairs("3 × 4 = 12 and 12 ÷ 2 = 6"), ["3 × 4=12", "12 ÷ 2=6"])
        XCTAssertEqual(equationSignature("3 × 4 = 12 and 12 ÷ 2 = 6"), ["3*4=12", "12/2=6"])
        XCTAssertEqual(equationSignature("3 x 4 = 12"), ["3*4=12"])
        XCTAssertEqual(equationSignature("3x4=12"), ["3*4=12"])
        XCTAssertEqual(pairs("(3 + 4) * 2 = 14"), ["(3 + 4) * 2=14"])
        XCTAssertEqual(pairs("3 - 5 = -2"), ["3 - 5=-2"])
        XCTAssertEqual(pairs("10 / 4 = 2.5."), ["10 / 4=2.5"])
        XCTAssertEqual(pairs("2 ** 3 = 8"), ["2 ** 3=8"])
        XCTAssertEqual(pairs("50 * 20% = 10"), ["50 * 20%=10"])
        XCTAssertEqual(pairs("2(3+4) = 14"), ["2(3+4)=14"])
    }

    func testChainsGiveOneEquationPerRightSide() {
        let eqs = extractEquations("a total of 2 + 3 = 5 = 10/2 apples")
        XCTAssertEqual(eqs.map { $0.lhs + "=" + $0.rhs }, ["2 + 3=5", "2 + 3=10/2"])
        XCTAssertEqual(eqs.map(\.text), ["2 + 3 = 5", "2 + 3 = 5 = 10/2"])
        XCTAssertFalse(eqs[0].isAnnotation)
    }

    func testApproximateRelation() {
        let eqs = extractEquations("10 / 3 ≈ 3.33")
        XCTAssertEqual(eqs.count, 1)
        XCTAssertEqual(eqs.first?.rhs, "3.33")
        XCTAssertEqual(eqs.first?.isApproximate, true)
    }

    func testNotArithmeticSteps() {
        XCTAssertEqual(pairs("Let x = 5 and y = 7."), [])
        XCTAssertEqual(pairs("so 2x + 3 = 7 gives x = 2"), [])
        XCTAssertEqual(pairs("5 = 5"), [])
        XCTAssertEqual(pairs("if a == 3 + 4 or b <= 2 + 2"), [])
        XCTAssertEqual(pairs("3 xylophones + 4 = 7"), [])
        XCTAssertEqual(pairs("He has 3 apples + 4 = 7"), [], "no operand before the operator")
        XCTAssertEqual(pairs("Step 1: 3+4=7"), ["3+4=7"])
        XCTAssertEqual(pairs("1) 3+4=7"), ["3+4=7"])
        XCTAssertEqual(pairs("costs 5 (3+4) = 7"), [], "an operand then a parenthesis is ambiguous")
        XCTAssertEqual(pairs("x => 3 + 4"), [])
        XCTAssertEqual(pairs("no equations here at all"), [])
        XCTAssertEqual(pairs("3 + = 4"), [])
    }

    func testOperandAfterOperandSplitsChains() {
        XCTAssertEqual(pairs("48/2 = 24 24 + 6 = 30"), ["48/2=24", "24 + 6=30"])
    }

    func testSignatureNormalization() {
        XCTAssertEqual(normalizeArithmetic(" 1,234 × 2 "), "1234*2")
        XCTAssertEqual(normalizeArithmetic("18.0"), "18.0")
        XCTAssertEqual(normalizeArithmetic("6 − 2"), "6-2")
        XCTAssertEqual(normalizeArithmetic("$5 · 3"), "5*3")
        XCTAssertEqual(normalizeArithmetic("1,23"), "1,23", "not a thousands separator")
        // The same reasoning written two ways has one signature.
        XCTAssertEqual(equationSignature("3 x 4 = 12, then 12 + 1,000 = 1,012"),
                       equationSignature("3*4=12 so 12+1000=1012"))
    }

    func testGSM8KAnnotationsAreAllFound() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("../shared/data/gsm8k/test.jsonl").standardized.path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw XCTSkip("no ../shared/data")
        }
        var annotations = 0, found = 0
        for line in text.split(separator: "\n") {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let answer = obj["answer"] as! String
            annotations += answer.components(separatedBy: "<<").count - 1
            guard answer.contains("<<") else { continue }  // a few references have no annotation
            let eqs = extractEquations(answer)
            XCTAssertTrue(eqs.allSatisfy(\.isAnnotation))
            found += eqs.count
        }
        XCTAssertEqual(found, annotations)
    }
}
