import XCTest
import Streams
@testable import Eval
#if canImport(FoundationXML)
import FoundationXML
#endif

final class PlotTests: XCTestCase {
    func testNiceSteps() {
        let cases: [(Double, Double)] = [(0.44, 0.5), (1, 1), (1.2, 2), (2, 2), (3, 5), (7, 10), (0.03, 0.05),
                                         (20, 20), (1000, 1000), (0.1, 0.1), (4.4, 5)]
        for (x, want) in cases { XCTAssertEqual(niceStep(x), want, accuracy: want * 1e-12, "niceStep(\(x))") }
    }

    func testAxisFitsValuesOnNiceTicks() {
        // 40..60 padded by 1 on each side, ticks every 5.
        let a = fitAxis([40, 45, 60], percent: true, full: false)
        XCTAssertEqual(a, Axis(low: 35, high: 65, step: 5))
        XCTAssertEqual(a.ticks, [35, 40, 45, 50, 55, 60, 65])
        XCTAssertEqual(a.digits, 0)
        // A narrow range gets decimal ticks.
        let b = fitAxis([12.3, 13.1], percent: true, full: false)
        XCTAssertEqual(b.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(b.digits, 1)
        XCTAssertLessThanOrEqual(b.low, 12.3); XCTAssertGreaterThanOrEqual(b.high, 13.1)
        XCTAssertEqual(b.ticks.map { fixed($0, b.digits) }, ["12.2", "12.4", "12.6", "12.8", "13.0", "13.2"])
    }

    func testAxisIncludesIntervalEnds() {
        // The value alone would give 49-51; the interval ends 30 and 70 must be on the axis.
        let a = fitAxis(axisValues([Series(name: "m", points: [PlotPoint(x: 0, y: 50, ci: (30, 70))])]),
                        percent: true, full: false)
        XCTAssertEqual(a, Axis(low: 20, high: 80, step: 10))
        let alone = fitAxis([50], percent: true, full: false)
        XCTAssertLessThan(alone.high - alone.low, 5)
        XCTAssertTrue(alone.low < 50 && alone.high > 50)
    }

    func testRatesStayWithin0To100AndFullOption() {
        XCTAssertEqual(fitAxis([97, 100], percent: true, full: false), Axis(low: 96, high: 100, step: 1))
        let top = fitAxis([100], percent: true, full: false)
        XCTAssertEqual(top.high, 100); XCTAssertLessThan(top.low, 100)
        let bottom = fitAxis([0, 1.5], percent: true, full: false)
        XCTAssertEqual(bottom.low, 0)
        XCTAssertEqual(fitAxis([40, 45, 60], percent: true, full: true), Axis(low: 0, high: 100, step: 20))
        XCTAssertEqual(fitAxis([], percent: true, full: false), Axis(low: 0, high: 100, step: 20))
        // Other units: full starts at 0; fit does not.
        XCTAssertEqual(fitAxis([2.5, 3.1], percent: false, full: true).low, 0)
        XCTAssertGreaterThan(fitAxis([2.5, 3.1], percent: false, full: false).low, 2)
        // A negative mean reward stays on a full axis.
        XCTAssertLessThan(fitAxis([-20, 30], percent: true, full: true).low, -19)
    }

    func testEscapingKeepsXMLValid() {
        XCTAssertEqual(xmlEscape("a<b>&\"c\u{1}d\te"), "a&lt;b&gt;&amp;&quot;c\u{FFFD}d e")
    }

    func testTickLabelsRotateWhenCrowded() {
        XCTAssertEqual(TickLayout(labels: ["r0", "r1"], spacing: 180).angle, 0)
        let long = TickLayout(labels: ["round-1-long-name", "round-2-long-name"], spacing: 60)
        XCTAssertEqual(long.angle, 30)
        XCTAssertEqual(TickLayout(labels: ["round-1-long-name"], spacing: 22).angle, 45)
        XCTAssertEqual(TickLayout(labels: ["round-1-long-name"], spacing: 18).angle, 90)
        XCTAssertEqual(TickLayout(labels: ["round-1-long-name"], spacing: 7).every, 2)
    }

    /// Two runs of 20 problems, 4 sampled and 1 greedy record each, run 2 better; labels with XML specials.
    func results(bootstrap: Int = 200) throws -> [InputResult] {
        let dir = NSTemporaryDirectory() + "plottests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var out: [InputResult] = []
        for (r, label) in ["round<0>&", "round \"1\""].enumerated() {
            var lines: [String] = []
            for p in 0..<20 {
                for s in 0..<5 {
                    let pass = (p * 3 + s * 7 + r * 11) % 10 < 4 + 3 * r
                    let greedy = s == 4 ? #","temperature":0"# : ""
                    lines.append(#"{"id":"p\#(p)","sample":\#(s),"verdict":"\#(pass ? "pass" : "fail")","extracted":"\#(s % 2)"\#(greedy)}"#)
                }
            }
            let path = dir + "/\(r).jsonl"
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let (set, _) = try loadSamples(paths: [path], options: LoadOptions()) { try JSONLReader(paths: $0) }
            var o = EvalOptions(); o.ks = [1, 2, 4]; o.bootstrap = bootstrap
            out.append(set.evaluate(label: label, path: path, options: o))
        }
        return out
    }

    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testSVGHasErrorBarsTitleAndEscapedLabels() throws {
        let rs = try results()
        var o = PlotOptions(); o.metrics = ["greedy", "pass@4"]
        let svg = renderPlot(rs, ks: [1, 2, 4], options: o)
        // An error bar per point with an interval: 2 inputs × 2 metrics on the left, 2 inputs × 3 k on the right.
        let withCI = rs.flatMap { r in ["greedy", "pass@4"].compactMap { interval(r.all, $0) } }.count
            + rs.flatMap { r in [1, 2, 4].compactMap { interval(r.all, "pass@\($0)") } }.count
        XCTAssertEqual(withCI, 10)
        XCTAssertEqual(count(svg, "class=\"errorbar\""), withCI)
        XCTAssertTrue(svg.contains(">greedy accuracy, pass@4 (%) by input</text>"))
        XCTAssertTrue(svg.contains(">pass@k (%) by input</text>"))
        XCTAssertTrue(svg.contains(">error bars: 95% bootstrap intervals over problems</text>"))
        XCTAssertTrue(svg.contains(">rate (%)</text>"))
        XCTAssertTrue(svg.contains("round&lt;0&gt;&amp;"))
        XCTAssertTrue(svg.contains("round &quot;1&quot;"))
        XCTAssertFalse(svg.contains("round<0>"))
        // Two series share each panel: a legend entry each (text elements named after the series).
        XCTAssertTrue(svg.contains(">pass@4</text>"))
        // The same results give the same bytes.
        XCTAssertEqual(svg, renderPlot(rs, ks: [1, 2, 4], options: o))
        #if canImport(FoundationXML)
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #endif
    }

    func testOneMetricTitleAndFittedAxisAgainstFull() throws {
        let rs = try results()
        var o = PlotOptions(); o.metrics = ["greedy"]
        let fit = renderPlot(rs, ks: [1, 2, 4], options: o)
        XCTAssertTrue(fit.contains(">greedy accuracy (%) by input</text>"))
        XCTAssertTrue(fit.contains(">greedy accuracy (%)</text>"))   // the y label
        // The fitted axis spans the values and interval ends, and not much more: within a step of each end.
        let values = axisValues([Series(name: "p", points: rs.map { r in
            PlotPoint(x: 0, y: r.all["pass@1"]!.double! * 100,
                      ci: interval(r.all, "pass@1").map { ($0.low * 100, $0.high * 100) })
        })])
        XCTAssertEqual(values.count, 6)
        let axis = fitAxis(values, percent: true, full: false)
        XCTAssertLessThanOrEqual(axis.low, values.min()!); XCTAssertGreaterThanOrEqual(axis.high, values.max()!)
        XCTAssertGreaterThanOrEqual(axis.low + axis.step, values.min()!)
        XCTAssertLessThanOrEqual(axis.high - axis.step, values.max()!)
        XCTAssertNotEqual(axis, Axis(low: 0, high: 100, step: 20))
        o.yRange = .full
        let full = renderPlot(rs, ks: [1, 2, 4], options: o)
        for t in ["0", "20", "40", "60", "80", "100"] { XCTAssertTrue(full.contains("\">\(t)</text>"), t) }
        XCTAssertNotEqual(fit, full)
        // No legend for a single series; the title names it.
        XCTAssertFalse(fit.contains(">greedy</text>"))
    }

    func testNoIntervalsNoErrorBars() throws {
        let rs = try results(bootstrap: 0)
        let svg = renderPlot(rs, ks: [1, 2, 4])
        XCTAssertEqual(count(svg, "class=\"errorbar\""), 0)
        XCTAssertFalse(svg.contains("bootstrap intervals"))
    }

    func testMixedUnitsAreRefused() {
        XCTAssertNil(plotMetricsConflict(["greedy", "pass@1", "fpr"]))
        XCTAssertNil(plotMetricsConflict(["diversity@4"]))
        XCTAssertNotNil(plotMetricsConflict(["pass@1", "diversity@4"]))
    }
}
