import XCTest
import MathText

final class AnswersTests: XCTestCase {
    func ex(_ s: String, fallback: Bool = false) -> String? { extractAnswer(s, lastNumberFallback: fallback)?.text }

    func testExtraction() {
        XCTAssertEqual(ex("blah\n#### 18"), "18")
        XCTAssertEqual(ex("#### 1\n#### 72"), "72", "the last ####")
        XCTAssertEqual(extractAnswer("x\n#### 5")?.source, .hashes)
        XCTAssertEqual(ex("so $\\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}")
        XCTAssertEqual(ex("\\boxed{1} then \\boxed{\\{1, 2\\}}"), "\\{1, 2\\}", "the last box, escaped braces")
        XCTAssertEqual(ex("\\boxed{\\frac{\\sqrt{3}}{2}}"), "\\frac{\\sqrt{3}}{2}", "nested braces")
        XCTAssertEqual(ex("thus \\boxed 5$"), "5")
        XCTAssertEqual(ex("\\fbox{42}"), "42")
        XCTAssertEqual(ex("\\boxed{unbalanced"), nil)
        XCTAssertEqual(ex("So the answer is 42."), "42")
        XCTAssertEqual(ex("The answer is: $3.5$ dollars."), "$3.5$ dollars")
        XCTAssertEqual(ex("The answer is 3.5. Next line"), "3.5")
        XCTAssertEqual(ex("the answer is $\\boxed{7}$"), "7")
        XCTAssertEqual(ex("12 - 5 = 7\n7 + 7 = 14\nAnswer: 14"), "14")
        XCTAssertEqual(ex("ANSWER: -3"), "-3")
        XCTAssertEqual(ex("We get 14 apples."), nil, "strict: no last-number fallback by default")
        XCTAssertEqual(ex("We get 14 apples.", fallback: true), "14")
        XCTAssertEqual(ex("costs 1,250 dollars", fallback: true), "1,250")
        XCTAssertEqual(ex("a ratio of 3/4", fallback: true), "3/4")
        XCTAssertEqual(ex("It is -7", fallback: true), "-7")
        XCTAssertEqual(ex("The answer is"), nil, "nothing after the phrase")
        XCTAssertEqual(ex("####\n"), nil)
    }

    func same(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answersEquivalent(a, b), .equal, "\(a) vs \(b)", file: file, line: line)
        XCTAssertEqual(answersEquivalent(b, a), .equal, "\(b) vs \(a)", file: file, line: line)
    }

    func differ(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(answersEquivalent(a, b), .equal, "\(a) vs \(b)", file: file, line: line)
        XCTAssertNotEqual(answersEquivalent(b, a), .equal, "\(b) vs \(a)", file: file, line: line)
    }

    func testNumbers() {
        same("18", "18.00")
        same("1,000", "1000")
        same("58,500", "58500")
        same("-3", "-3.0")
        same("+5", "5")
        same("0.5", ".5")
        same("50%", "50")
        same("50\\%", "50")
        same("$18", "18")
        same("\\$18.00", "18")
        same("18 dollars", "18")
        same("5.4 \\text{ cents}", "5.4")
        same("10 square feet", "10")
        same("3 cm^2", "3")
        same("55^\\circ", "55")
        same("120^{\\circ}", "120")
        same("x = 5", "5")
        same("k=3", "3")
        same("7.", "7")
        same("1e3", "1000")
        same("1.5 \\times 10^{3}", "1500")
        differ("18", "18.01")
        differ("1000", "100")
        differ("-3", "3")
        differ("0.33", "\\frac{1}{3}")
        differ("2k", "2")
        differ("5", "50")
        differ("1,23", "123")
    }

    func testFractions() {
        same("\\frac{1}{2}", "0.5")
        same("\\dfrac{1}{2}", "1/2")
        same("\\tfrac{3}{6}", "\\frac12")
        same("\\frac1{2}", "0.5")
        same("\\frac{6}{4}", "\\frac{3}{2}")
        same("2\\frac{1}{2}", "2.5")
        same("2 1/2", "5/2")
        same("-2\\frac{1}{2}", "-2.5")
        same("-3 3/4", "-\\frac{15}{4}")
        same("\\frac{-1}{2}", "-\\frac{1}{2}")
        same("\\frac 59", "\\frac{5}{9}")
        same("\\dfrac{17}{50}", "0.34")
        differ("\\frac{1}{2}", "\\frac{2}{1}")
        differ("2\\frac{1}{2}", "1")
    }

    func testRadicalsAndPi() {
        same("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}")
        same("\\sqrt{3}/3", "\\frac{1}{\\sqrt3}")
        same("\\sqrt{50}", "5\\sqrt{2}")
        same("2\\sqrt{2}", "\\sqrt{8}")
        same("\\sqrt{\\frac{1}{4}}", "0.5")
        same("288 \\pi", "288\\pi")
        same("2\\pi", "\\pi \\cdot 2")
        same("\\frac{\\pi}{2}", "0.5\\pi")
        same("\\frac{\\sqrt{21}}{5}", "\\sqrt{21}/5")
        same("3 + 2\\sqrt{2}", "2\\sqrt{2} + 3")
        same("\\left( \\frac{3}{2}, -13 \\right)", "(1.5, -13)")
        same("π", "\\pi")
        same("4^{1/2}", "2")
        differ("\\sqrt{2}", "1.414")
        differ("\\pi", "3.14")
        differ("2\\sqrt{3}", "3\\sqrt{2}")
        differ("\\frac{\\pi}{3}", "\\frac{\\pi}{2}")
    }

    func testTuplesIntervalsSets() {
        same("(1, 2)", "(1,2)")
        same("(6,31,-1)", "(6, 31, -1)")
        same("[-2, 7]", "[-2,7]")
        same("(1, 2]", "(1.0, 2]")
        differ("(1, 2)", "[1, 2]")
        differ("(1, 2)", "(2, 1)")
        differ("(1, 2)", "(1, 2, 3)")
        same("\\{1, 2\\}", "\\{2, 1\\}")
        same("1, 2, 3", "3, 2, 1")
        same("-2, 1", "1,-2")
        differ("1, 2", "1, 3")
        same("(-\\sqrt{3}, \\sqrt{3})", "(-\\sqrt3, \\sqrt{3})")
        same("(2,12) \\cup (12,102)", "(2,12)\\cup(12,102)")
        same("(-\\infty, 3]", "(-\\infty,3]")
        differ("(-\\infty, 3]", "(-\\infty, 3)")
    }

    func testTextAndUndecided() {
        same("\\text{Evelyn}", "Evelyn")
        same("\\text{east}", "East")
        same("\\text{(E)}", "(E)")
        differ("\\text{east}", "west")
        same("p - q", "p-q")
        same("8n^2 + 4n + 1", "8n^2+4n+1")
        XCTAssertEqual(answersEquivalent("x^2 - 1", "(x-1)(x+1)"), .undecided)
        XCTAssertEqual(answersEquivalent("6 - 5i", "6-5i"), .equal)
        XCTAssertEqual(answersEquivalent("", "5"), .different)
    }
}
