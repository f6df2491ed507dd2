import XCTest
import Base
import Eval

final class PassAtKTests: XCTestCase {
    /// pass@k by enumerating every k-subset of n samples (c correct): the share of subsets with a correct one.
    func bruteForcePassAtK(n: Int, c: Int, k: Int) -> Double {
        var total = 0, hit = 0
        func walk(_ start: Int, _ left: Int, _ anyCorrect: Bool) {
            if left == 0 { total += 1; if anyCorrect { hit += 1 }; return }
            if n - start < left { return }
            walk(start + 1, left - 1, anyCorrect || start < c)  // item `start` is correct when start < c
            walk(start + 1, left, anyCorrect)
        }
        walk(0, k, false)
        return Double(hit) / Double(total)
    }

    func testMatchesEnumerationOfAllSubsets() {
        for n in 1...12 {
            for c in 0...n {
                for k in 1...n {
                    let got = passAtK(n: n, c: c, k: k)!
                    let want = bruteForcePassAtK(n: n, c: c, k: k)
                    XCTAssertEqual(got, want, accuracy: 1e-12, "n=\(n) c=\(c) k=\(k)")
                }
            }
        }
    }

    func testEdgeCasesAndNotComputable() {
        XCTAssertEqual(passAtK(n: 10, c: 0, k: 5), 0)
        XCTAssertEqual(passAtK(n: 10, c: 10, k: 1), 1)
        XCTAssertEqual(passAtK(n: 10, c: 3, k: 1)!, 0.3, accuracy: 1e-15)
        XCTAssertNil(passAtK(n: 4, c: 1, k: 5))   // k > n: not computable, never a made-up number
        XCTAssertNil(passAtK(n: 4, c: 1, k: 0))
        XCTAssertNil(passAtK(n: 4, c: 5, k: 1))
    }

    func testStableForLargeN() {
        // C(1000, 100) overflows Double; the product form does not. With c = 1, pass@k is k/n exactly.
        XCTAssertEqual(passAtK(n: 1000, c: 1, k: 100)!, 0.1, accuracy: 1e-12)
        let p = passAtK(n: 1000, c: 5, k: 200)!
        XCTAssert(p > 0.67 && p < 0.68, "\(p)")  // 1 − (800·799·798·797·796)/(1000·…·996) ≈ 0.6733
    }
}

final class MajorityTests: XCTestCase {
    func o(_ correct: Bool, _ answer: Int32?) -> Outcome { Outcome(correct: correct, answer: answer) }

    func testPlainMajority() {
        // wrong 7 ×2, correct ×3
        let s = [o(false, 7), o(true, 0), o(false, 7), o(true, 0), o(true, 0)]
        XCTAssertEqual(majorityIsCorrect(s, k: 5), true)
        XCTAssertEqual(majorityIsCorrect(s, k: 3), false)  // first three: 7, ✓, 7
        XCTAssertNil(majorityIsCorrect(s, k: 6))
    }

    func testTieGoesToTheAnswerSeenFirst() {
        let correctFirst = [o(true, 0), o(false, 7), o(false, 7), o(true, 0)]
        XCTAssertEqual(majorityIsCorrect(correctFirst, k: 4), true)
        let wrongFirst = [o(false, 7), o(true, 0), o(true, 0), o(false, 7)]
        XCTAssertEqual(majorityIsCorrect(wrongFirst, k: 4), false)
        // Three-way tie of single votes: the first sample's answer wins.
        XCTAssertEqual(majorityIsCorrect([o(false, 3), o(true, 0), o(false, 5)], k: 3), false)
        XCTAssertEqual(majorityIsCorrect([o(true, 0), o(false, 3), o(false, 5)], k: 3), true)
    }

    func testSamplesWithoutAnswerDoNotVote() {
        XCTAssertEqual(majorityIsCorrect([o(false, nil), o(false, nil), o(true, 0)], k: 3), true)
        XCTAssertEqual(majorityIsCorrect([o(false, nil), o(false, nil)], k: 2), false)
    }

    func testSolutionNormalization() {
        XCTAssertEqual(normalizeSolution("  a \t\n b\u{00A0}\u{3000}c  "), "a b c")
        XCTAssertEqual(normalizeSolution("x\u{2003}y\u{2028}z"), "x y z")
        XCTAssertEqual(normalizeSolution("数学 \u{1F642}  é"), "数学 \u{1F642} é")
        XCTAssertEqual(normalizeSolution(""), "")
        XCTAssertEqual(normalizeSolution(" \n "), "")
    }

    func testAnswersNormalizedBeforeVoting() {
        XCTAssertEqual(answerVoteKey(" 1,000.50 "), "1000.5")
        XCTAssertEqual(answerVoteKey("+007"), "7")
        XCTAssertEqual(answerVoteKey("-0.0"), "0")
        XCTAssertEqual(answerVoteKey("$18$."), "18")
        XCTAssertEqual(answerVoteKey("\\frac{1}{2}"), "\\frac{1}{2}")
        XCTAssertEqual(answerVoteKey("1,00"), "1,00")   // not a thousands separator: kept as written
        XCTAssertEqual(answerVoteKey("x = 3"), "x=3")
        // Through a SampleSet: "17" and "17.0" wrong answers vote together and outvote two correct ones.
        let set = SampleSet()
        for (i, (v, e)) in [(Verdict.fail, "17"), (.pass, "18"), (.fail, "17.0"), (.pass, "18.00"), (.fail, "17")]
            .enumerated() {
            try! set.add(SampleRecord(problem: "p", index: i, verdict: v, extracted: e))
        }
        var opts = EvalOptions(); opts.ks = [1, 4, 5]
        let r = set.evaluate(label: "x", path: "x", options: opts)
        XCTAssertEqual(r.all["maj@5"], .real(0))
        // First four: 17, ✓(18), 17.0, ✓(18.00): 2-2 tie, 17 came first.
        XCTAssertEqual(r.all["maj@4"], .real(0))
        XCTAssertEqual(r.all["maj@1"], .real(0))
    }

    func testCorrectAnswersWrittenDifferentlyVoteTogether() {
        // ✓"18", wrong "17", ✓"18.00": the correct class has two votes even though the texts differ.
        let set = SampleSet()
        for (i, (v, e)) in [(Verdict.pass, "18"), (.fail, "17"), (.pass, "18.00")].enumerated() {
            try! set.add(SampleRecord(problem: "p", index: i, verdict: v, extracted: e))
        }
        var opts = EvalOptions(); opts.ks = [3]
        XCTAssertEqual(set.evaluate(label: "", path: "", options: opts).all["maj@3"], .real(1))
    }
}

final class CoverageDiversityTests: XCTestCase {
    /// A hand-made input: two problems, four samples each.
    func handMade() -> SampleSet {
        let set = SampleSet()
        let rows: [(String, Int, Verdict, String)] = [
            ("a", 0, .fail, "x = 1"), ("a", 1, .pass, "2 + 2 = 4"), ("a", 2, .pass, "2  +  2 = 4\n"),
            ("a", 3, .pass, "4 = 2 * 2"),
            ("b", 0, .fail, "no"), ("b", 1, .fail, "no"), ("b", 2, .fail, "no"), ("b", 3, .pass, "yes"),
        ]
        for (p, i, v, s) in rows.reversed() {   // file order must not matter: `sample` decides
            try! set.add(SampleRecord(problem: p, index: i, verdict: v, extracted: "", solution: s))
        }
        return set
    }

    func testCoverageAndDiversityByHand() {
        var opts = EvalOptions(); opts.ks = [1, 2, 3, 4]
        let r = handMade().evaluate(label: "h", path: "h", options: opts).all
        XCTAssertEqual(r["coverage@1"], .real(0))     // a0 wrong, b0 wrong
        XCTAssertEqual(r["coverage@2"], .real(0.5))   // a1 right
        XCTAssertEqual(r["coverage@3"], .real(0.5))
        XCTAssertEqual(r["coverage@4"], .real(1))
        XCTAssertEqual(r["diversity@2"], .real(0.5))  // a: 1, b: 0
        XCTAssertEqual(r["diversity@3"], .real(0.5))  // a: "2 + 2 = 4" twice after whitespace normalization
        XCTAssertEqual(r["diversity@4"], .real(1.5))  // a: 2, b: 1
        XCTAssertEqual(r["pass@1"], .real((3.0 / 4 + 1.0 / 4) / 2))
        XCTAssertEqual(r["problems"], .int(2))
        XCTAssertEqual(r["samples"], .int(8))
        XCTAssertEqual(r["correct"], .int(4))
        XCTAssertEqual(r["maj@4"], MetricValue.none)  // extracted empty everywhere: nobody votes
    }

    func testDiversityWithAnotherSolutionKey() {
        // A constant key makes all correct solutions of a problem one.
        let set = SampleSet(solutionKey: { _ in Array("same".utf8) })
        try! set.add(SampleRecord(problem: "a", index: 0, verdict: .pass, solution: "one"))
        try! set.add(SampleRecord(problem: "a", index: 1, verdict: .pass, solution: "two"))
        var opts = EvalOptions(); opts.ks = [2]
        XCTAssertEqual(set.evaluate(label: "", path: "", options: opts).all["diversity@2"], .real(1))
    }
}

final class FPRTests: XCTestCase {
    func testWithAndWithoutStepsOK() {
        let set = SampleSet()
        try! set.add(SampleRecord(problem: "a", index: 0, verdict: .pass, stepsOK: true))
        try! set.add(SampleRecord(problem: "a", index: 1, verdict: .pass, stepsOK: false))
        try! set.add(SampleRecord(problem: "a", index: 2, verdict: .pass))                 // not checked
        try! set.add(SampleRecord(problem: "a", index: 3, verdict: .fail, stepsOK: false)) // wrong answer
        var opts = EvalOptions(); opts.ks = [1]
        let r = set.evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(r["fpr"], .real(0.5))
        XCTAssertEqual(r["fpr_n"], .int(2))

        let none = SampleSet()
        try! none.add(SampleRecord(problem: "a", index: 0, verdict: .pass))
        let r2 = none.evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(r2["fpr"], MetricValue.none)   // nothing checked: not computable, not 0
        XCTAssertEqual(r2["fpr_n"], .int(0))
    }
}

final class BootstrapTests: XCTestCase {
    func values(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in rng.below(10) < 4 ? 1 : 0 }
    }

    func testIntervalContainsPointAndShrinksWithMoreProblems() {
        var widths: [Double] = []
        for n in [20, 200, 2000] {
            let v = values(n, seed: 7)
            let mean = v.reduce(0, +) / Double(n)
            let ci = bootstrapMeanInterval(v, resamples: 1000, confidence: 0.95, seed: 1)!
            XCTAssertLessThanOrEqual(ci.low, mean)
            XCTAssertGreaterThanOrEqual(ci.high, mean)
            widths.append(ci.high - ci.low)
        }
        XCTAssertGreaterThan(widths[0], widths[1])
        XCTAssertGreaterThan(widths[1], widths[2])
        // Close to the normal-theory width 2·1.96·sqrt(p(1−p)/n): within 20 %.
        let expected = 2 * 1.96 * (0.4 * 0.6 / 2000).squareRoot()
        XCTAssertEqual(widths[2], expected, accuracy: 0.2 * expected)
    }

    func testSeededAndDeterministic() {
        let v = values(100, seed: 3)
        let a = bootstrapMeanInterval(v, resamples: 500, confidence: 0.9, seed: 42)!
        let b = bootstrapMeanInterval(v, resamples: 500, confidence: 0.9, seed: 42)!
        let c = bootstrapMeanInterval(v, resamples: 500, confidence: 0.9, seed: 43)!
        XCTAssertEqual(a.low, b.low); XCTAssertEqual(a.high, b.high)
        XCTAssert(a.low != c.low || a.high != c.high)
        XCTAssertNil(bootstrapMeanInterval([], resamples: 10, confidence: 0.9, seed: 0))
    }

    func testGroupIntervalsContainTheirPointValues() {
        let set = SampleSet()
        var rng = SplitMix64(seed: 5)
        for p in 0..<50 {
            for i in 0..<8 {
                try! set.add(SampleRecord(problem: "p\(p)", index: i, verdict: rng.below(3) == 0 ? .pass : .fail,
                                          extracted: String(rng.below(3))))
            }
        }
        var opts = EvalOptions(); opts.ks = [1, 4, 8]
        let g = set.evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(g.intervals.map(\.name),
                       ["pass@1", "pass@4", "pass@8", "maj@1", "maj@4", "maj@8", "coverage@1", "coverage@4",
                        "coverage@8", "diversity@1", "diversity@4", "diversity@8"])
        for ci in g.intervals {
            let v = g[ci.name]!.double!
            XCTAssert(ci.low <= v && v <= ci.high, "\(ci.name): \(v) not in [\(ci.low), \(ci.high)]")
        }
    }

    func testDifferenceIntervalPairedWhenSameProblems() {
        func input(_ label: String, _ rate: Int) -> InputResult {
            let set = SampleSet()
            var rng = SplitMix64(seed: 11)
            for p in 0..<100 {
                for i in 0..<4 {
                    try! set.add(SampleRecord(problem: "p\(p)", index: i,
                                              verdict: rng.below(10) < rate ? .pass : .fail))
                }
            }
            var opts = EvalOptions(); opts.ks = [1, 4]
            return set.evaluate(label: label, path: label, options: opts)
        }
        var opts = EvalOptions(); opts.ks = [1, 4]
        let a = input("a", 3), b = input("b", 6)
        let d = differences([a, b], options: opts)
        XCTAssertEqual(d.count, 1)
        XCTAssert(d[0].paired)
        let diff = d[0].metrics.first { $0.name == "pass@1" }!.value.double!
        XCTAssertEqual(diff, b.all["pass@1"]!.double! - a.all["pass@1"]!.double!, accuracy: 1e-12)
        let ci = d[0].intervals.first { $0.name == "pass@1" }!
        XCTAssert(ci.low <= diff && diff <= ci.high && ci.low > 0, "\(ci)")
    }

    func testUniformBelowHasNoObviousBias() {
        var rng = SplitMix64(seed: 9)
        var counts = [0, 0, 0]
        for _ in 0..<30000 { counts[rng.below(3)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10000, accuracy: 400) }
    }
}

final class CorrelationTests: XCTestCase {
    func testPearson() {
        XCTAssertEqual(pearson([1, 2, 3], [2, 4, 6])!, 1, accuracy: 1e-12)
        XCTAssertEqual(pearson([1, 2, 3], [3, 2, 1])!, -1, accuracy: 1e-12)
        XCTAssertNil(pearson([1, 1, 1], [1, 2, 3]))
        XCTAssertNil(pearson([1], [2]))
    }

    func testMethodsSolvingDifferentProblems() {
        let set = SampleSet()
        // text solves p0, p1; code solves p2, p3; both fail p4; both solve p5.
        let text: [Bool] = [true, true, false, false, false, true]
        let code: [Bool] = [false, false, true, true, false, true]
        for p in 0..<6 {
            try! set.add(SampleRecord(problem: "p\(p)", method: "text", index: 0, verdict: text[p] ? .pass : .fail))
            try! set.add(SampleRecord(problem: "p\(p)", method: "code", index: 0, verdict: code[p] ? .pass : .fail))
        }
        var opts = EvalOptions(); opts.ks = [1]
        let r = set.evaluate(label: "", path: "", options: opts)
        XCTAssertEqual(r.methods.map(\.value), ["text", "code"])
        XCTAssertEqual(r.pairs.count, 1)
        let pr = r.pairs[0]
        XCTAssertEqual(pr.problems, 6)
        XCTAssertEqual(pr.onlyA, 2); XCTAssertEqual(pr.onlyB, 2); XCTAssertEqual(pr.both, 1)
        XCTAssertEqual(pr.neither, 1)
        XCTAssertEqual(pr.correlation!, pearson(text.map { $0 ? 1 : 0 }, code.map { $0 ? 1 : 0 })!, accuracy: 1e-12)
        XCTAssertLessThan(pr.correlation!, 0)
        // Pooled over both methods each problem has 2 samples.
        XCTAssertEqual(r.all["n_min"], .int(2))
        XCTAssertEqual(set.smallestSampleCount(), 1)
    }

    func testMethodsOnDisjointProblemsAreNotPaired() {
        // text and code answer the arithmetic problems, humaneval only the function tasks (exp-code-mix's inputs)
        let set = SampleSet()
        for p in 0..<3 {
            try! set.add(SampleRecord(problem: "a\(p)", method: "text", index: 0, verdict: p == 0 ? .pass : .fail))
            try! set.add(SampleRecord(problem: "a\(p)", method: "code", index: 0, verdict: p < 2 ? .pass : .fail))
            try! set.add(SampleRecord(problem: "f\(p)", method: "humaneval", index: 0, verdict: .pass))
        }
        var opts = EvalOptions(); opts.ks = [1]
        let r = set.evaluate(label: "", path: "", options: opts)
        XCTAssertEqual(r.methods.map(\.value), ["text", "code", "humaneval"])
        XCTAssertEqual(r.pairs.map { "\($0.a)-\($0.b)" }, ["text-code"])
        XCTAssertEqual(r.pairs[0].problems, 3)
    }
}

final class BadInputTests: XCTestCase {
    func testDuplicateSampleIsAnError() {
        let set = SampleSet()
        try! set.add(SampleRecord(problem: "a", method: "m", index: 0, verdict: .pass))
        XCTAssertThrowsError(try set.add(SampleRecord(problem: "a", method: "m", index: 0, verdict: .fail))) {
            XCTAssert("\($0)".contains("appears twice"), "\($0)")
        }
        // Same index under another method is fine.
        XCTAssertNoThrow(try set.add(SampleRecord(problem: "a", method: "other", index: 0, verdict: .fail)))
    }

    func testMixedSampleCountsDropLargeKAndSaySo() {
        let set = SampleSet()
        for i in 0..<4 { try! set.add(SampleRecord(problem: "a", index: i, verdict: .pass)) }
        for i in 0..<2 { try! set.add(SampleRecord(problem: "b", index: i, verdict: .fail)) }
        var opts = EvalOptions(); opts.ks = [1, 2, 4]; opts.explicitK = true
        let g = set.evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(g["pass@4"], MetricValue.none)
        XCTAssertEqual(g["coverage@4"], MetricValue.none)
        XCTAssertEqual(g["pass@2"], .real(0.5))
        XCTAssert(g.notes.contains { $0.contains("K = 4 not computable: problem b has only 2") }, "\(g.notes)")
        XCTAssert(g.notes.contains { $0.contains("vary from 2 to 4") }, "\(g.notes)")
        XCTAssertEqual(set.smallestSampleCount(), 2)
    }

    func testByFieldVaryingWithinAProblemDoesNotLowerTheDefaultK() {
        let set = SampleSet(byFields: ["finish"])
        for i in 0..<4 {
            try! set.add(SampleRecord(problem: "a", index: i, verdict: .pass, groups: [i == 3 ? "length" : "stop"]))
        }
        XCTAssertEqual(set.smallestSampleCount(), 4)
        var opts = EvalOptions(); opts.ks = [1, 2, 4]
        let r = set.evaluate(label: "", path: "", options: opts)
        let length = r.by[0].groups.first { $0.value == "length" }!
        XCTAssertEqual(length["pass@1"], .real(1))
        XCTAssertEqual(length["pass@2"], MetricValue.none)
        XCTAssert(length.notes.contains { $0.contains("K = 2,4 not computable") }, "\(length.notes)")
        XCTAssertEqual(r.all["pass@4"], .real(1))
    }

    func testEmptyInputComputesNothing() {
        var opts = EvalOptions(); opts.ks = [1]
        let g = SampleSet().evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(g["problems"], .int(0))
        for name in ["accuracy", "pass@1", "maj@1", "coverage@1", "diversity@1", "fpr", "greedy"] {
            XCTAssertEqual(g[name], MetricValue.none, name)
        }
    }

    func testGreedySamplesScoredApart() {
        let set = SampleSet()
        try! set.add(SampleRecord(problem: "a", verdict: .pass, greedy: true))
        try! set.add(SampleRecord(problem: "b", verdict: .fail, greedy: true))
        for i in 0..<2 {
            try! set.add(SampleRecord(problem: "a", index: i, verdict: .fail))
            try! set.add(SampleRecord(problem: "b", index: i, verdict: .fail))
        }
        var opts = EvalOptions(); opts.ks = [1, 2]
        let g = set.evaluate(label: "", path: "", options: opts).all
        XCTAssertEqual(g["greedy"], .real(0.5))
        XCTAssertEqual(g["pass@1"], .real(0))      // sampled records only
        XCTAssertEqual(g["accuracy"], .real(1.0 / 6))
        XCTAssertEqual(g["n_min"], .int(2))
    }
}

final class FormatTests: XCTestCase {
    func testNumbers() {
        XCTAssertEqual(fixed(0.4125, 1), "0.4")
        XCTAssertEqual(fixed(41.25, 1), "41.3")
        XCTAssertEqual(fixed(-0.04, 1), "0.0")
        XCTAssertEqual(fixed(-1.26, 1), "-1.3")
        XCTAssertEqual(scientific(1234567), "1.23e6")
        XCTAssertEqual(scientific(9.999e11), "1.00e12")
        XCTAssertEqual(formatMetric("pass@1", .real(0.5)), "50.0")
        XCTAssertEqual(formatMetric("pass@1", .real(0.031), signed: true), "+3.1")
        XCTAssertEqual(formatMetric("diversity@4", .real(1.5)), "1.50")
        XCTAssertEqual(formatMetric("fpr", .none), "-")
    }

    func testAlignment() {
        let t = alignColumns([["a", "bb", "1"], ["ccc", "d", "100"]], leftColumns: 2)
        XCTAssertEqual(t, "a    bb    1\nccc  d   100\n")
    }
}
