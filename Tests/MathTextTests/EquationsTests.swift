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

    func testAlgebraIsNotArithmetic() {
        XCTAssertEqual(pairs("we get X*2 - $40 = $250."), [])
        XCTAssertEqual(pairs("100/5 = 5A/5 or 20 = A."), [])
        XCTAssertEqual(pairs("X + (X*2) + (X*2 + 1) = 31."), [])
        XCTAssertEqual(pairs("which is 192 / 1.2 = 1.2Y / 1.2 or 160 = Y"), [])
    }

    func testLaTeX() {
        XCTAssertEqual(pairs("$q(1) = (1^2 - 1)p(1) - 1 = -1.$"), [], "function applications")
        XCTAssertEqual(pairs("$f(3) = f(-3) + 6 = 2 + 6 = 8$"), [], "the chain starts with f(-3)")
        XCTAssertEqual(pairs("area is $\\frac{1}{2} \\cdot 3 \\cdot 4 = 6.$"), [])
        XCTAssertEqual(pairs("$\\frac{1}{3}(30)(6.5) = (10)(6.5) = 65$"), [])
        XCTAssertEqual(pairs("$(-4)^2 - 4 \\cdot 1 \\cdot (-1) = 20$"), ["(-4)^2 - 4 \\cdot 1 \\cdot (-1)=20"])
        XCTAssertFalse(checkSteps("$(-4)^2 + 4 \\cdot 1 \\cdot (-1) = 20$").ok, "a real slip in a MATH reference")
        XCTAssertEqual(pairs("Then $a_1^2 - a_1 + 1 = 0.$"), [])
        XCTAssertEqual(pairs("$279/99999 = 0.\\overline{00279}$"), [])
        XCTAssertEqual(pairs("so $2\\sqrt{3} + 1 = 4.46$"), [])
        XCTAssertEqual(pairs("$99^2+99+1 = 99 \\cdot 100 + 1 = 9901$"), ["$99^2+99+1=99 \\cdot 100 + 1", "$99^2+99+1=9901"])
        XCTAssertEqual(equationSignature("$6 \\times 7 = 42$, $8 \\div 2 = 4$"), ["6*7=42", "8/2=4"])
        XCTAssertTrue(checkSteps("$99^2+99+1 = 99 \\cdot 100 + 1 = 9901$").ok)
        XCTAssertTrue(checkSteps("Since $90^3=729,\\!000$, and $10^3 = 1{,}000$").ok)
        XCTAssertEqual(equationSignature("Since $90^3=729,\\!000$"), ["90^3=729000"])
    }

    func testMixedNumbersAndSpacedThousands() {
        XCTAssertEqual(pairs("needs 3 / 4 * 2 = 1 1/2 square feet"), ["3 / 4 * 2=1 1/2"])
        XCTAssertEqual(pairs("gets 1 000 000 + 500 000 = 1 500 000 cars"), ["1 000 000 + 500 000=1 500 000"])
        XCTAssertEqual(equationSignature("gets 1 000 000 + 500 000 = 1 500 000 cars"), ["1000000+500000=1500000"])
        XCTAssertEqual(pairs("<<560//10=56>>"), ["560//10=56"])
        XCTAssertTrue(checkSteps("needs 3 / 4 * 2 = 1 1/2 square feet").ok)
        XCTAssertTrue(checkSteps("gets 1 000 000 + 500 000 = 1 500 000 cars").ok)
        XCTAssertTrue(checkSteps("<<560//10=56>>").ok)
        XCTAssertFalse(checkSteps("<<7//2=3.5>>").ok)
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
