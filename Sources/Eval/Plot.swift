// Plot: an SVG results figure, written by hand (no dependency), with two panels:
//   left:  metrics across inputs (x: the inputs in order, y: the metric; a line per metric);
//   right: pass@k curves (x: k on a log2 axis, y: pass@k; a line per input, or per method for one input).
// Bootstrap intervals are drawn as error bars (whisker and caps). The y axis is fitted to the values and the
// interval ends, on 1-2-5 ticks, unless `.full` asks for 0-100 %. The same results give the same bytes.

import Foundation

/// The y range of the panels: fitted to the data (values and interval ends), or 0-100 % for rates.
public enum PlotYRange: String, CaseIterable, Sendable {
    case fit, full
}

public struct PlotOptions {
    /// The left panel's metrics (default: `defaultPlotMetrics`).
    public var metrics: [String]? = nil
    public var yRange: PlotYRange = .fit
    /// The level of the intervals, for the caption (the intervals themselves come from the results).
    public var confidence = 0.95
    public init() {}
}

/// A point of a series: x in pixels, y and its interval in axis units (percent for rates); nil y leaves a gap.
struct PlotPoint {
    var x: Double
    var y: Double?
    var ci: (low: Double, high: Double)?
}

struct Series {
    var name: String
    var points: [PlotPoint]
}

/// A y axis: from `low` to `high` with a tick every `step` (both ends are ticks).
struct Axis: Equatable {
    var low: Double, high: Double, step: Double
    /// Decimals the tick labels need (0 for a step of 1 or more).
    var digits: Int { step >= 1 ? 0 : Int((-log10(step)).rounded(.up)) }
    var ticks: [Double] {
        let n = Int(((high - low) / step).rounded())
        return (0...max(n, 0)).map { low + Double($0) * step }
    }
}

/// The smallest of 1, 2, 5 times a power of ten that is at least `x` (x > 0).
func niceStep(_ x: Double) -> Double {
    var p = pow(10, (log10(x)).rounded(.down))
    // log10 may land a hair below an exact power of ten; correct so that p <= x < 10p.
    if p * 10 <= x { p *= 10 }
    if p > x { p /= 10 }
    for f in [1.0, 2.0, 5.0] where f * p >= x * (1 - 1e-9) { return f * p }
    return 10 * p
}

/// The y axis for `values` (the points and the interval ends, in axis units): their range padded by 5 % of it on
/// each side and widened to ticks of a 1-2-5 step, about five of them. Rates (`percent`) stay within 0-100 unless
/// a value lies outside; `full` gives 0-100 for rates and includes 0 for other units. No values: 0-100 or 0-1.
func fitAxis(_ values: [Double], percent: Bool, full: Bool) -> Axis {
    let vs = values.filter(\.isFinite)
    if full && percent && vs.allSatisfy({ $0 >= 0 && $0 <= 100 }) { return Axis(low: 0, high: 100, step: 20) }
    guard var lo = vs.min(), var hi = vs.max() else {
        return percent ? Axis(low: 0, high: 100, step: 20) : Axis(low: 0, high: 1, step: 0.2)
    }
    if full { lo = min(lo, 0); hi = max(hi, percent ? 100 : 0) }
    // A rate's axis does not run past 0 or 100 for padding alone.
    let bLo = percent ? min(lo, 0) : -Double.infinity, bHi = percent ? max(hi, 100) : Double.infinity
    // One value: a range around it (2 points for a rate, else 10 % of it), so the axis still has ticks.
    if hi - lo < 1e-12 {
        let half = percent ? 1.0 : (abs(hi) > 0 ? abs(hi) * 0.05 : 0.5)
        lo -= half; hi += half
        if lo < bLo { hi += bLo - lo; lo = bLo }
        if hi > bHi { lo -= hi - bHi; hi = bHi }
    }
    let pad = full ? 0 : (hi - lo) * 0.05
    let padLo = max(lo - pad, bLo), padHi = min(hi + pad, bHi)
    var step = niceStep((padHi - padLo) / 5)
    while true {
        let low = (padLo / step).rounded(.down) * step, high = (padHi / step).rounded(.up) * step
        if (high - low) / step <= 7.5 {
            // Ticks are multiples of the step; clean -0 and float dust so labels and bytes are stable.
            let clean = { (x: Double) in abs(x) < step * 1e-9 ? 0 : (x / step).rounded() * step }
            return Axis(low: clean(low), high: clean(high), step: step)
        }
        step = niceStep(step * 1.01)
    }
}

let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
               "#7f7f7f", "#bcbd22"]
let dashes = ["", "6,3", "2,3", "8,3,2,3"]

/// Text for XML content and double-quoted attributes. Control characters XML 1.0 forbids become U+FFFD.
func xmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "\t", "\n", "\r": out += " "
        case _ where c.value < 0x20 || (0xFFFE...0xFFFF).contains(c.value): out += "\u{FFFD}"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// `s` cut to `max` characters in the middle, so both ends stay ("round-1-e…name.jsonl").
func shortLabel(_ s: String, _ max: Int) -> String {
    guard s.count > max else { return s }
    let head = max / 2, tail = max - 1 - head
    return String(s.prefix(head)) + "\u{2026}" + String(s.suffix(tail))
}

func num(_ x: Double) -> String { fixed(x, 1) }

/// The confidence level as people write it: 0.95 → "95%", 0.975 → "97.5%".
func percentLabel(_ c: Double) -> String {
    var s = fixed(c * 100, 1)
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s + "%"
}

/// A metric's name in a title or an axis label.
func metricTitle(_ name: String) -> String { name == "greedy" ? "greedy accuracy" : name }

/// The bootstrap interval of `name` in a group, if it has one.
func interval(_ g: GroupResult, _ name: String) -> (low: Double, high: Double)? {
    g.intervals.first { $0.name == name }.map { ($0.low, $0.high) }
}

/// The metrics the left panel shows by default: greedy, pass@ the smallest and largest K, maj@ and coverage@
/// the largest K, and fpr — those computable for some input.
public func defaultPlotMetrics(_ inputs: [InputResult], ks: [Int]) -> [String] {
    var names = ["greedy"]
    if let lo = ks.first, let hi = ks.last {
        names.append("pass@\(lo)")
        if hi != lo { names.append("pass@\(hi)") }
        names += ["maj@\(hi)", "coverage@\(hi)"]
    }
    names.append("fpr")
    return names.filter { n in inputs.contains { ($0.all[n] ?? .none) != .none } }
}

/// Why these metrics cannot share the left panel's y axis (rates in % beside counts or FLOPs), or nil.
public func plotMetricsConflict(_ names: [String]) -> String? {
    guard let rate = names.first(where: isRate), let other = names.first(where: { !isRate($0) }) else { return nil }
    return "--plot-metrics: '\(rate)' is a rate (%) and '\(other)' is not; they cannot share an axis"
}

/// Approximate advance of a character at 12 px in DejaVu Sans / Helvetica, for layout.
let charWidth = 7.0

/// `text` broken at ", " into lines of at most `width` characters (a part longer than that gets its own line).
func wrapList(_ text: String, _ width: Int) -> [String] {
    let parts = text.components(separatedBy: ", ")
    var lines: [String] = []
    for (i, p) in parts.enumerated() {
        let piece = p + (i < parts.count - 1 ? "," : "")
        if let last = lines.last, last.count + 1 + piece.count <= width {
            lines[lines.count - 1] = last + " " + piece
        } else {
            lines.append(piece)
        }
    }
    return lines
}

/// How the x tick labels of a panel are set: flat, or rotated so neighbours do not overlap; with `every` > 1
/// only every so many inputs is labelled.
struct TickLayout {
    var angle = 0.0, every = 1, maxChars = Int.max
    /// Pixels under the axis the labels take, and how far the first one reaches left of its tick.
    var depth = 20.0, reachLeft = 0.0

    init(labels: [String], spacing: Double) {
        let longest = labels.map(\.count).max() ?? 0
        guard Double(longest) * charWidth + 8 > spacing else { return }
        // Rotated labels are cut (in the middle) to 28 characters; neighbours need 14 px between baselines.
        maxChars = 28
        let w = Double(min(longest, maxChars)) * charWidth
        angle = [30.0, 45.0].first { spacing * sin($0 * .pi / 180) >= 14 } ?? 90
        if spacing < 14 { every = Int((14 / spacing).rounded(.up)) }
        let r = angle * .pi / 180
        depth = 14 + w * sin(r) + 12 * cos(r)
        reachLeft = w * cos(r)
    }
}

/// A panel: plot area at (x0, y0) of size (w, h) over `axis`, with grid, ticks, title, error bars and legend.
struct Panel {
    var x0: Double, y0: Double, w: Double, h: Double
    var axis: Axis
    var ticks: TickLayout
    /// Where the x-axis label and the legend start (set by the figure so both panels align).
    var legendTop = 0.0
    var out: String = ""

    /// The axis runs from `inset` above the bottom of the frame to `inset` below its top, so markers and caps
    /// at the ends of the axis stay clear of the frame.
    let inset = 6.0
    func py(_ y: Double) -> Double { y0 + h - inset - (y - axis.low) / (axis.high - axis.low) * (h - 2 * inset) }

    /// Grid, y ticks, frame, the title lines (the last one set in the caption style) and the axis labels.
    mutating func frame(title: [String], caption: String?, xLabel: String, yLabel: String, xLabelY: Double) {
        for t in axis.ticks {
            let y = py(t)
            out += "<line x1=\"\(num(x0))\" y1=\"\(num(y))\" x2=\"\(num(x0 + w))\" y2=\"\(num(y))\" "
                + "stroke=\"#e0e0e0\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(num(x0 - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\" font-size=\"12\">"
                + "\(fixed(t, axis.digits))</text>\n"
        }
        out += "<rect x=\"\(num(x0))\" y=\"\(num(y0))\" width=\"\(num(w))\" height=\"\(num(h))\" fill=\"none\" "
            + "stroke=\"#333333\" stroke-width=\"1\"/>\n"
        var ty = y0 - 10 - (caption == nil ? 0 : 17) - Double(title.count - 1) * 18
        for line in title {
            out += "<text class=\"title\" x=\"\(num(x0 + w / 2))\" y=\"\(num(ty))\" text-anchor=\"middle\" "
                + "font-size=\"15\" font-weight=\"bold\">\(xmlEscape(line))</text>\n"
            ty += 18
        }
        if let c = caption {
            out += "<text class=\"caption\" x=\"\(num(x0 + w / 2))\" y=\"\(num(ty - 1))\" text-anchor=\"middle\" "
                + "font-size=\"12\" fill=\"#555555\">\(xmlEscape(c))</text>\n"
        }
        out += "<text x=\"\(num(x0 + w / 2))\" y=\"\(num(xLabelY))\" text-anchor=\"middle\" "
            + "font-size=\"13\">\(xmlEscape(xLabel))</text>\n"
        let cy = y0 + h / 2, lx = x0 - 46
        out += "<text x=\"\(num(lx))\" y=\"\(num(cy))\" text-anchor=\"middle\" font-size=\"13\" "
            + "transform=\"rotate(-90 \(num(lx)) \(num(cy)))\">\(xmlEscape(yLabel))</text>\n"
    }

    mutating func xTick(_ i: Int, _ x: Double, _ label: String) {
        out += "<line x1=\"\(num(x))\" y1=\"\(num(y0 + h))\" x2=\"\(num(x))\" y2=\"\(num(y0 + h + 5))\" "
            + "stroke=\"#333333\"/>\n"
        guard i % ticks.every == 0 else { return }
        let text = xmlEscape(shortLabel(label, ticks.maxChars))
        if ticks.angle > 0 {
            let ax = x + 4, ay = y0 + h + 14
            out += "<text x=\"\(num(ax))\" y=\"\(num(ay))\" text-anchor=\"end\" font-size=\"12\" "
                + "transform=\"rotate(-\(Int(ticks.angle)) \(num(ax)) \(num(ay)))\">\(text)</text>\n"
        } else {
            out += "<text x=\"\(num(x))\" y=\"\(num(y0 + h + 20))\" text-anchor=\"middle\" font-size=\"12\">"
                + "\(text)</text>\n"
        }
    }

    /// Draws the series: error bars first, then lines and markers over them; points of different series at
    /// the same x are spread by `dodge` pixels so their error bars stay apart. A legend follows when there are
    /// several series.
    mutating func draw(_ series: [Series], dodge: Double) {
        func shift(_ i: Int) -> Double { (Double(i) - Double(series.count - 1) / 2) * dodge }
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            for p in s.points where p.y != nil {
                guard let ci = p.ci else { continue }
                let x = p.x + shift(i), yl = py(ci.low), yh = py(ci.high)
                out += "<path class=\"errorbar\" d=\"M\(num(x)),\(num(yl))V\(num(yh))M\(num(x - 4)),\(num(yl))"
                    + "H\(num(x + 4))M\(num(x - 4)),\(num(yh))H\(num(x + 4))\" fill=\"none\" stroke=\"\(color)\" "
                    + "stroke-width=\"1.3\"/>\n"
            }
        }
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count], dash = dashes[(i / palette.count) % dashes.count]
            var run: [(Double, Double)] = []
            func flush() {
                if run.count >= 2 {
                    let pts = run.map { "\(num($0.0)),\(num(py($0.1)))" }.joined(separator: " ")
                    out += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\""
                        + (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"") + "/>\n"
                }
                run = []
            }
            for p in s.points {
                if let y = p.y { run.append((p.x + shift(i), y)) } else { flush() }
            }
            flush()
            for p in s.points { if let y = p.y { out += marker(i, p.x + shift(i), py(y), color) } }
        }
        guard series.count > 1 else { return }
        // Legend: entries of equal width, as many per row as fit.
        let names = legendNames(series)
        let entryW = legendEntryWidth(names, w)
        let perRow = max(1, Int(w / entryW))
        for (i, name) in names.enumerated() {
            let color = palette[i % palette.count], dash = dashes[(i / palette.count) % dashes.count]
            let lx = x0 + Double(i % perRow) * entryW, ly = legendTop + Double(i / perRow) * 18
            out += "<line x1=\"\(num(lx))\" y1=\"\(num(ly - 4))\" x2=\"\(num(lx + 22))\" y2=\"\(num(ly - 4))\" "
                + "stroke=\"\(color)\" stroke-width=\"2.5\"" + (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")
                + "/>\n"
            out += marker(i, lx + 11, ly - 4, color)
            out += "<text x=\"\(num(lx + 28))\" y=\"\(num(ly))\" font-size=\"12\">\(xmlEscape(name))</text>\n"
        }
    }
}

/// Legend names, marking a series with no value and, where others have error bars, one without any.
func legendNames(_ series: [Series]) -> [String] {
    let anyCI = series.contains { $0.points.contains { $0.y != nil && $0.ci != nil } }
    return series.map { s in
        if !s.points.contains(where: { $0.y != nil }) { return s.name + " (not computable)" }
        if anyCI && !s.points.contains(where: { $0.y != nil && $0.ci != nil }) { return s.name + " (no interval)" }
        return s.name
    }
}

func legendRowCount(_ names: [String], _ w: Double) -> Int {
    guard names.count > 1 else { return 0 }
    let entryW = legendEntryWidth(names, w)
    let perRow = max(1, Int(w / entryW))
    return (names.count + perRow - 1) / perRow
}

func legendEntryWidth(_ names: [String], _ w: Double) -> Double {
    min(w, Double(names.map(\.count).max() ?? 0) * charWidth + 48)
}

/// The axis values of a series (points and interval ends).
func axisValues(_ series: [Series]) -> [Double] {
    series.flatMap { s in s.points.flatMap { p -> [Double] in
        guard let y = p.y else { return [] }
        return [y] + (p.ci.map { [$0.low, $0.high] } ?? [])
    } }
}

/// The SVG document.
public func renderPlot(_ inputs: [InputResult], ks: [Int], options: PlotOptions = PlotOptions()) -> String {
    let names = options.metrics ?? defaultPlotMetrics(inputs, ks: ks)
    let percent = names.allSatisfy(isRate)
    let scale = percent ? 100.0 : 1.0
    let full = options.yRange == .full
    let panelH = 280.0, gap = 120.0, rightW = 420.0
    let nIn = inputs.count
    // The left panel widens with many inputs (22 px each, up to 1400 px) so their labels stay apart.
    let leftW = min(1400, max(420, 60 + Double(max(nIn - 1, 0)) * 22))

    // The series, x in panel-relative pixels (shifted when the panels are placed).
    let inSpacing = nIn == 1 ? leftW : (leftW - 60) / Double(nIn - 1)
    let xIn = { (i: Int) in nIn == 1 ? leftW / 2 : 30 + Double(i) * inSpacing }
    let left = names.map { n in
        Series(name: n, points: inputs.enumerated().map { i, r in
            PlotPoint(x: xIn(i), y: r.all[n]?.double.map { $0 * scale },
                      ci: interval(r.all, n).map { ($0.low * scale, $0.high * scale) })
        })
    }
    // pass@k series: a line per input; with one input and several methods, a line per method as well.
    var passGroups: [(String, GroupResult)] = inputs.map { ($0.label, $0.all) }
    if nIn == 1 { passGroups += inputs[0].methods.map { ($0.title, $0) } }
    let lk = ks.map { log2(Double($0)) }
    let lo = lk.first ?? 0, hi = lk.last ?? 1
    let xk = { (k: Double) in hi > lo ? 20 + (k - lo) / (hi - lo) * (rightW - 40) : rightW / 2 }
    let right = passGroups.map { name, g in
        Series(name: name, points: zip(ks, lk).map { k, l in
            PlotPoint(x: xk(l), y: g["pass@\(k)"]?.double.map { $0 * 100 },
                      ci: interval(g, "pass@\(k)").map { ($0.low * 100, $0.high * 100) })
        })
    }

    // Titles name what is plotted; the caption says what the error bars are, when there are any.
    let unit = percent ? " (%)" : ""
    let level = percentLabel(options.confidence)
    func caption(_ s: [Series]) -> String? {
        s.contains { $0.points.contains { $0.y != nil && $0.ci != nil } }
            ? "error bars: \(level) bootstrap intervals over problems" : nil
    }
    let leftTitle = names.isEmpty ? ["no metric computable"]
        : wrapList(names.map(metricTitle).joined(separator: ", ") + unit + " by input", Int(leftW / 8.8))
    let rightTitle = right.count == 1
        ? wrapList("pass@k (%) of " + shortLabel(right[0].name, 30), Int(rightW / 8.8))
        : [nIn == 1 ? "pass@k (%) by input and method" : "pass@k (%) by input"]
    let leftCaption = caption(left), rightCaption = caption(right)
    let headLines = max(leftTitle.count, rightTitle.count)
    let top = 16 + Double(headLines) * 18 + (leftCaption != nil || rightCaption != nil ? 17 : 0)

    let ticks = TickLayout(labels: inputs.map(\.label), spacing: inSpacing)
    let x0 = max(76, ticks.reachLeft - 30 + 12)
    let kSpacing = zip(lk, lk.dropFirst()).map { ($1 - $0) * (rightW - 40) / (hi - lo) }.min() ?? rightW
    let kTicks = TickLayout(labels: ks.map(String.init), spacing: kSpacing)
    // Each panel's x label sits under its own tick labels; the legends start together under the lower one.
    let xLabelY = (left: top + panelH + ticks.depth + 20, right: top + panelH + kTicks.depth + 20)
    let legendTop = max(xLabelY.left, xLabelY.right) + 24
    let legendRows = max(legendRowCount(legendNames(left), leftW), legendRowCount(legendNames(right), rightW))
    let width = x0 + leftW + gap + rightW + 30
    let height = legendTop + Double(legendRows) * 18 + (legendRows > 0 ? 0 : -14)

    var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
    svg += "<title>\(xmlEscape(leftTitle.joined(separator: " "))); \(xmlEscape(rightTitle.joined(separator: " ")))</title>\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"

    func place(_ s: [Series], _ dx: Double) -> [Series] {
        s.map { Series(name: $0.name, points: $0.points.map { PlotPoint(x: $0.x + dx, y: $0.y, ci: $0.ci) }) }
    }
    // Spread of points at one x: 5 px between series, less with many series (30 px in all at most) or when
    // inputs or k values are close together, so a point stays nearer its own x than its neighbour's.
    func dodge(_ n: Int, _ spacing: Double) -> Double {
        n > 1 ? min(5, 30 / Double(n - 1), spacing * 0.3 / Double(n)) : 0
    }

    // Left: metrics across inputs.
    let leftAxis = fitAxis(axisValues(left), percent: percent, full: full)
    var a = Panel(x0: x0, y0: top, w: leftW, h: panelH, axis: leftAxis, ticks: ticks, legendTop: legendTop)
    let yLabel = names.count == 1 ? metricTitle(names[0]) + unit : (percent ? "rate (%)" : "value")
    a.frame(title: leftTitle, caption: leftCaption, xLabel: "input", yLabel: yLabel, xLabelY: xLabelY.left)
    for (i, input) in inputs.enumerated() { a.xTick(i, x0 + xIn(i), input.label) }
    a.draw(place(left, x0), dodge: dodge(left.count, inSpacing))
    svg += a.out

    // Right: pass@k curves over k on a log2 axis.
    let bx = x0 + leftW + gap
    var b = Panel(x0: bx, y0: top, w: rightW, h: panelH, axis: fitAxis(axisValues(right), percent: true, full: full),
                  ticks: kTicks, legendTop: legendTop)
    b.frame(title: rightTitle, caption: rightCaption, xLabel: "k (samples per problem, log scale)",
            yLabel: "pass@k (%)", xLabelY: xLabelY.right)
    for (i, (k, l)) in zip(ks, lk).enumerated() { b.xTick(i, bx + xk(l), String(k)) }
    b.draw(place(right, bx), dodge: dodge(right.count, kSpacing))
    svg += b.out
    svg += "</svg>\n"
    return svg
}

/// A point marker whose shape changes with the series (circle, square, triangle, diamond), so series that
/// overlap stay distinguishable.
func marker(_ series: Int, _ x: Double, _ y: Double, _ color: String) -> String {
    switch series % 4 {
    case 0:
        return "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"4\" fill=\"\(color)\"/>\n"
    case 1:
        return "<rect x=\"\(num(x - 4.5))\" y=\"\(num(y - 4.5))\" width=\"9\" height=\"9\" fill=\"white\" "
            + "stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    case 2:
        return "<polygon points=\"\(num(x)),\(num(y - 5.5)) \(num(x + 5)),\(num(y + 4)) \(num(x - 5)),\(num(y + 4))\" "
            + "fill=\"\(color)\"/>\n"
    default:
        return "<polygon points=\"\(num(x)),\(num(y - 6)) \(num(x + 6)),\(num(y)) \(num(x)),\(num(y + 6)) \(num(x - 6)),\(num(y))\" "
            + "fill=\"white\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    }
}
