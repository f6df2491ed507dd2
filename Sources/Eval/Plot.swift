// Plot: an SVG file with two panels, written by hand (no dependency):
//   left:  metrics across inputs (x: the inputs in order, y: percent; a line per metric);
//   right: pass@k curves (x: k on a log2 axis, y: percent; a line per input, or per method for one input).

import Foundation

/// A named series of (x, y) points; y in [0, 1]; nil y leaves a gap.
struct Series {
    var name: String
    var points: [(x: Double, y: Double?)]
}

let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
               "#7f7f7f", "#bcbd22"]
let dashes = ["", "6,3", "2,3", "8,3,2,3"]

func xmlEscape(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}

/// `s` cut to `max` characters in the middle, so both ends stay ("round-1-e…name.jsonl").
func shortLabel(_ s: String, _ max: Int) -> String {
    guard s.count > max else { return s }
    let head = (max - 1 + 1) / 2, tail = max - 1 - head
    return String(s.prefix(head)) + "\u{2026}" + String(s.suffix(tail))
}

func num(_ x: Double) -> String { fixed(x, 1) }

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

/// A panel: plot area at (x0, y0) of size (w, h), y from 0 to 100 %, with grid, axes, title and legend below.
struct Panel {
    var x0: Double, y0: Double, w: Double, h: Double
    /// Extra room under the axis for slanted tick labels.
    var below = 0.0
    /// Tick labels slanted by 30 degrees (long input labels).
    var slanted = false
    var out: String = ""

    func py(_ y: Double) -> Double { y0 + h - y * h }

    mutating func frame(title: String, xLabel: String, yLabel: String) {
        for t in stride(from: 0.0, through: 1.0001, by: 0.2) {
            let y = py(t)
            out += "<line x1=\"\(num(x0))\" y1=\"\(num(y))\" x2=\"\(num(x0 + w))\" y2=\"\(num(y))\" "
                + "stroke=\"#dddddd\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(num(x0 - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\" font-size=\"12\">"
                + "\(Int((t * 100).rounded()))</text>\n"
        }
        out += "<rect x=\"\(num(x0))\" y=\"\(num(y0))\" width=\"\(num(w))\" height=\"\(num(h))\" fill=\"none\" "
            + "stroke=\"#333333\" stroke-width=\"1\"/>\n"
        out += "<text x=\"\(num(x0 + w / 2))\" y=\"\(num(y0 - 12))\" text-anchor=\"middle\" font-size=\"15\" "
            + "font-weight=\"bold\">\(xmlEscape(title))</text>\n"
        out += "<text x=\"\(num(x0 + w / 2))\" y=\"\(num(y0 + h + 42 + below))\" text-anchor=\"middle\" "
            + "font-size=\"13\">\(xmlEscape(xLabel))</text>\n"
        let cy = y0 + h / 2
        out += "<text x=\"\(num(x0 - 40))\" y=\"\(num(cy))\" text-anchor=\"middle\" font-size=\"13\" "
            + "transform=\"rotate(-90 \(num(x0 - 40)) \(num(cy)))\">\(xmlEscape(yLabel))</text>\n"
    }

    mutating func xTick(_ x: Double, _ label: String) {
        out += "<line x1=\"\(num(x))\" y1=\"\(num(y0 + h))\" x2=\"\(num(x))\" y2=\"\(num(y0 + h + 5))\" "
            + "stroke=\"#333333\"/>\n"
        if slanted {
            let y = y0 + h + 16
            out += "<text x=\"\(num(x + 4))\" y=\"\(num(y))\" text-anchor=\"end\" font-size=\"12\" "
                + "transform=\"rotate(-30 \(num(x + 4)) \(num(y)))\">\(xmlEscape(label))</text>\n"
        } else {
            out += "<text x=\"\(num(x))\" y=\"\(num(y0 + h + 20))\" text-anchor=\"middle\" font-size=\"12\">"
                + "\(xmlEscape(label))</text>\n"
        }
    }

    /// Draws the series (x already in pixels) and their legend, in rows under the x-axis label.
    mutating func draw(_ series: [Series]) {
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
                if let y = p.y {
                    run.append((p.x, y))
                    out += marker(i, p.x, py(y), color)
                } else { flush() }
            }
            flush()
        }
        // Legend: entries of equal width, as many per row as fit.
        let entryW = legendEntryWidth(series.map(\.name), w)
        let perRow = max(1, Int(w / entryW))
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count], dash = dashes[(i / palette.count) % dashes.count]
            let lx = x0 + Double(i % perRow) * entryW, ly = y0 + h + 66 + below + Double(i / perRow) * 18
            out += "<line x1=\"\(num(lx))\" y1=\"\(num(ly - 4))\" x2=\"\(num(lx + 22))\" y2=\"\(num(ly - 4))\" "
                + "stroke=\"\(color)\" stroke-width=\"2.5\"" + (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")
                + "/>\n"
            out += marker(i, lx + 11, ly - 4, color)
            out += "<text x=\"\(num(lx + 28))\" y=\"\(num(ly))\" font-size=\"12\">\(xmlEscape(s.name))</text>\n"
        }
    }
}

/// The SVG document. `metrics` names the left panel's lines (default: `defaultPlotMetrics`).
public func renderPlot(_ inputs: [InputResult], ks: [Int], metrics: [String]? = nil) -> String {
    let names = metrics ?? defaultPlotMetrics(inputs, ks: ks)
    let panelW = 420.0, panelH = 260.0, gap = 110.0, top = 50.0
    // pass@k series: a line per input; with one input and several methods, a line per method as well.
    var passGroups: [(String, GroupResult)] = inputs.map { ($0.label, $0.all) }
    if inputs.count == 1 { passGroups += inputs[0].methods.map { ($0.title, $0) } }
    let legendRows = max(legendRowCount(names, panelW), legendRowCount(passGroups.map { $0.0 }, panelW))
    // Input labels that do not fit side by side are slanted, up to 28 characters (cut in the middle); the first
    // one then needs room on the left.
    let nIn = inputs.count
    let spacing = nIn == 1 ? panelW : (panelW - 60) / Double(nIn - 1)
    let longest = inputs.map(\.label.count).max() ?? 0
    let slanted = Double(longest) * 7.5 > spacing
    let labelMax = slanted ? 28 : longest
    let labelPixels = Double(min(longest, labelMax)) * 7.0
    let below = slanted ? labelPixels * 0.5 : 0
    let left = slanted ? max(70, labelPixels * 0.87 - 10) : 70
    let width = left + panelW + gap + panelW + 30
    let height = top + panelH + 70 + below + Double(legendRows) * 18 + 10

    var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"

    // Left: metrics across inputs.
    var a = Panel(x0: left, y0: top, w: panelW, h: panelH, below: below, slanted: slanted)
    a.frame(title: "Metrics across inputs", xLabel: "input", yLabel: "percent")
    let xOf = { (i: Int) in nIn == 1 ? a.x0 + a.w / 2 : a.x0 + 30 + Double(i) * (a.w - 60) / Double(nIn - 1) }
    let maxLabel = labelMax
    for (i, input) in inputs.enumerated() { a.xTick(xOf(i), shortLabel(input.label, maxLabel)) }
    a.draw(names.map { n in
        Series(name: n, points: inputs.enumerated().map { (xOf($0.offset), $0.element.all[n]?.double) })
    })
    svg += a.out

    // Right: pass@k curves over k on a log2 axis.
    var b = Panel(x0: left + panelW + gap, y0: top, w: panelW, h: panelH, below: below)
    b.frame(title: "pass@k", xLabel: "k (samples per problem, log scale)", yLabel: "pass@k (percent)")
    let lk = ks.map { log2(Double($0)) }
    let lo = lk.first ?? 0, hi = lk.last ?? 1
    let xk = { (k: Double) in hi > lo ? b.x0 + 20 + (k - lo) / (hi - lo) * (b.w - 40) : b.x0 + b.w / 2 }
    for (k, l) in zip(ks, lk) { b.xTick(xk(l), String(k)) }
    b.draw(passGroups.map { (name, g) in
        Series(name: name, points: zip(ks, lk).map { (xk($0.1), g["pass@\($0.0)"]?.double) })
    })
    svg += b.out
    svg += "</svg>\n"
    return svg
}

func legendRowCount(_ names: [String], _ w: Double) -> Int {
    let entryW = legendEntryWidth(names, w)
    let perRow = max(1, Int(w / entryW))
    return (names.count + perRow - 1) / perRow
}

func legendEntryWidth(_ names: [String], _ w: Double) -> Double {
    min(w, Double(names.map(\.count).max() ?? 0) * 7.5 + 48)
}

/// A point marker whose shape changes with the series (circle, square, triangle, diamond), so series that
/// overlap stay distinguishable.
func marker(_ series: Int, _ x: Double, _ y: Double, _ color: String) -> String {
    switch series % 4 {
    case 0:
        return "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"4\" fill=\"\(color)\"/>\n"
    case 1:
        return "<rect x=\"\(num(x - 4.5))\" y=\"\(num(y - 4.5))\" width=\"9\" height=\"9\" fill=\"none\" "
            + "stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    case 2:
        return "<polygon points=\"\(num(x)),\(num(y - 5.5)) \(num(x + 5)),\(num(y + 4)) \(num(x - 5)),\(num(y + 4))\" "
            + "fill=\"\(color)\"/>\n"
    default:
        return "<polygon points=\"\(num(x)),\(num(y - 6)) \(num(x + 6)),\(num(y)) \(num(x)),\(num(y + 6)) \(num(x - 6)),\(num(y))\" "
            + "fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    }
}
