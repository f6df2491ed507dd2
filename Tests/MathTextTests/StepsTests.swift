import XCTest
import MathText

final class StepsTests: XCTestCase {
    func value(_ s: String) -> ArithValue? { evaluateArithmetic(s) }
    func q(_ n: Int, _ d: Int = 1) -> ArithValue { .exact(Rational(n, d)!) }

    func testRationalArithmetic() {
        XCTAssertEqual(Rational(6, -4), Rational(-3, 2))
        XCTAssertEqual(Rational(1, 3)!.adding(Rational(1, 6)!), Rational(1, 2))
        XCTAssertNil(Rational(Int.max).adding(Rational(1)), "overflow is reported, not wrapped")
        XCTAssertNil(Rational(1, 0))
        XCTAssertEqual(Rational(decimal: "18.00"), Rational(18))
        XCTAssertEqual(Rational(decimal: ".5"), Rational(1, 2))
        XCTAssertEqual(Rational(decimal: "-1,234.5"), Rational(-2469, 2))
        XCTAssertEqual(Rational(decimal: "2.5e-3"), Rational(1, 400))
        XCTAssertNil(Rational(decimal: "1,23"))
        XCTAssertNil(Rational(decimal: "12a"))
        XCTAssertNil(Rational(decimal: "."))
        XCTAssertTrue(Rational(1, 3)! < Rational(1, 2)!)
        XCTAssertEqual(Rational(2).power(-2), Rational(1, 4))
        XCTAssertEqual(exactDecimal(Rational(7, 4)!), "1.75")
        XCTAssertEqual(exactDecimal(Rational(-1, 8)!), "-0.125")
        XCTAssertNil(exactDecimal(Rational(1, 3)!))
    }

    func testEvaluate() {
        XCTAssertEqual(value("48/2"), q(24))
        XCTAssertEqual(value("(3 + 4) * 2"), q(14))
        XCTAssertEqual(value("3 + 4 * 2"), q(11))
        XCTAssertEqual(value("10 - 4 - 3"), q(3), "left associative")
        XCTAssertEqual(value("2 ^ 3 ^ 2"), q(512), "right associative power")
        XCTAssertEqual(value("2**10"), q(1024))
        XCTAssertEqual(value("-5 + 2"), q(-3))
        XCTAssertEqual(value("-2^2"), q(-4))
        XCTAssertEqual(value("$1,200 * 15%"), q(180))
        XCTAssertEqual(value("3 × 4 ÷ 6"), q(2))
        XCTAssertEqual(value("1/3"), q(1, 3))
        XCTAssertEqual(value("0.1 + 0.2"), q(3, 10), "exact, unlike floating point")
        XCTAssertEqual(value("2(3+4)"), q(14))
        XCTAssertNil(value("1/0"))
        XCTAssertNil(value("3 +"))
        XCTAssertNil(value("(3"))
        XCTAssertNil(value("x + 1"))
        XCTAssertNil(value(""))
        if case .approximate(let d)? = value("99999999999 * 99999999999") {
            XCTAssertEqual(d, 9.9999999998e21, accuracy: 1e8)
        } else {
            XCTFail("overflow falls back to a double")
        }
    }

    func eq(_ l: String, _ r: String, approx: Bool = false) -> Bool? {
        equationHolds(Equation(text: "", lhs: l, rhs: r, isAnnotation: true, isApproximate: approx))
    }

    func testEquationHolds() {
        XCTAssertEqual(eq("48/2", "24"), true)
        XCTAssertEqual(eq("48/2", "25"), false)
        XCTAssertEqual(eq("4*4", "16.00"), true)
        XCTAssertEqual(eq("2*.25", "0.50"), true)
        XCTAssertEqual(eq("3/4", "3/4"), true)
        XCTAssertEqual(eq("10/3", "3.33"), true, "rounded at the precision written")
        XCTAssertEqual(eq("10/3", "3.34"), false)
        XCTAssertEqual(eq("2/3", "0.67"), true)
        XCTAssertEqual(eq("2/3", "0.6"), false, "0.6 is not 2/3 rounded to one place")
        XCTAssertEqual(eq("10/3", "3"), false, "an integer right side is exact unless ≈")
        XCTAssertEqual(eq("10/3", "3", approx: true), true)
        XCTAssertEqual(eq("7/2", "4", approx: true), true)
        XCTAssertEqual(eq("7/2", "5", approx: true), false)
        XCTAssertEqual(eq("4/20*100", "20%"), true)
        XCTAssertEqual(eq("1/5", "20%"), true)
        XCTAssertEqual(eq("1/5", "25%"), false)
        XCTAssertEqual(eq("1.5", "1.50"), true)
        XCTAssertNil(eq("x+1", "2"))
    }

    func testCheckSteps() {
        let good = "He sprints 3*3=<<3*3=9>>9 times\nSo he runs 9*60=<<9*60=540>>540 meters\n#### 540"
        let r = checkSteps(good)
        XCTAssertEqual(r.total, 2)
        XCTAssertEqual(r.checked, 2)
        XCTAssertTrue(r.ok)
        let bad = "First 12 - 5 = 7, then 7 + 7 = 15, so 15 * 2 = 30. Answer: 30"
        let b = checkSteps(bad)
        XCTAssertFalse(b.ok)
        XCTAssertEqual(b.firstBad, 2)
        XCTAssertEqual(b.total, 3)
        XCTAssertTrue(b.reason?.contains("7 + 7 = 15") ?? false, b.reason ?? "")
        XCTAssertTrue(b.reason?.contains("14") ?? false, b.reason ?? "")
        // right answer, wrong reasoning: the final answer does not save a wrong step
        let lucky = "3 * 4 = 13 and 13 - 1 = 12. Answer: 12"
        XCTAssertEqual(checkSteps(lucky).firstBad, 1)
        XCTAssertTrue(checkSteps("no arithmetic here. Answer: 5").ok)
        XCTAssertEqual(checkSteps("no arithmetic here").total, 0)
        // chains: each right side is checked against the first side
        XCTAssertEqual(checkSteps("2 + 3 = 5 = 10/2").firstBad, nil)
        XCTAssertEqual(checkSteps("2 + 3 = 5 = 12/2").firstBad, 2)
    }
}
