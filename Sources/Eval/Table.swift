// Table: the aligned text table st-eval prints for people.

/// Rates (shown as percentages), by metric name (the metrics table's kind).
func isRate(_ name: String) -> Bool { metricDefinition(name)?.kind == .rate }

/// One cell of a metric, as people read it: rates in percent with one decimal, diversity with two decimals,
/// FLOPs in scientific notation, counts as integers, "-" when not computable. `signed` adds a + to positive
/// numbers (for differences, where rates are in percentage points).
public func formatMetric(_ name: String, _ v: MetricValue, signed: Bool = false) -> String {
    let sign = { (x: Double) in signed && x > 0 ? "+" : "" }
    switch v {
    case .none: return "-"
    case .int(let i): return (signed && i > 0 ? "+" : "") + String(i)
    case .real(let x):
        switch metricDefinition(name)?.kind {
        case .rate: return sign(x) + fixed(100 * x, 1)
        case .flops: return sign(x) + scientific(x)
        default: return sign(x) + fixed(x, 2)
        }
    }
}

/// x with `digits` decimals, rounded half away from zero; no "-0.0".
public func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
    var intPart = String(UInt64(r / scale))
    var frac = String(UInt64(r.truncatingRemainder(dividingBy: scale)))
    while frac.count < digits { frac = "0" + frac }
    if r == 0 { intPart = "0" }
    let body = digits > 0 ? intPart + "." + frac : intPart
    return (x < 0 && r != 0 ? "-" : "") + body
}

/// x as d.ddeN (three significant digits).
public func scientific(_ x: Double) -> String {
    guard x != 0, x.isFinite else { return x == 0 ? "0" : fixed(x, 0) }
    var e = 0
    var m = abs(x)
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    if (m * 100).rounded(.toNearestOrAwayFromZero) >= 1000 { m /= 10; e += 1 }
    return (x < 0 ? "-" : "") + fixed(m, 2) + "e" + String(e)
}

/// Lays out rows of cells in columns: the first `leftColumns` left-aligned, the rest right-aligned, two spaces
/// between columns, no trailing spaces.
public func alignColumns(_ rows: [[String]], leftColumns: Int) -> String {
    let width = rows.map(\.count).max() ?? 0
    var w = Array(repeating: 0, count: width)
    for r in rows { for (i, c) in r.enumerated() { w[i] = max(w[i], c.count) } }
    var out = ""
    for r in rows {
        var line = ""
        for (i, c) in r.enumerated() {
            let pad = String(repeating: " ", count: w[i] - c.count)
            line += (i == 0 ? "" : "  ") + (i < leftColumns ? c + pad : pad + c)
        }
        while line.hasSuffix(" ") { line.removeLast() }
        out += line + "\n"
    }
    return out
}

/// The metrics a table shows, in order: as the metrics table's `table` says — `n` stands for n_min and n_max,
/// `reward` only where it differs from `accuracy`, maj@, coverage@ and diversity@ only at their largest K (the
/// JSON has all), the rest when not null in some row.
func tableColumns(_ groups: [GroupResult]) -> [String] {
    guard let first = groups.first else { return [] }
    var cols: [String] = []
    var largestK: [String: String] = [:]   // family -> its last column
    for (name, _) in first.metrics {
        guard let def = metricDefinition(name) else { continue }
        let present = { groups.contains { ($0[name] ?? .none) != .none } }
        switch def.table {
        case .always(let col): cols.append(col)
        case .inCell: continue
        case .whenComputable: if present() { cols.append(name) }
        case .unlessEqual(let other): if present(), groups.contains(where: { $0[name] != $0[other] }) { cols.append(name) }
        case .largestK: if present() { cols.append(name); largestK[def.name] = name }
        }
    }
    return cols.filter { col in
        guard let def = metricDefinition(col), case .largestK = def.table else { return true }
        return largestK[def.name] == col
    }
}

func cell(_ g: GroupResult, _ col: String) -> String {
    switch col {
    case "n":
        guard case .int(let lo)? = g["n_min"], case .int(let hi)? = g["n_max"] else { return "-" }
        return lo == hi ? String(lo) : "\(lo)-\(hi)"
    case "fpr":
        guard let v = g["fpr"], case .int(let n)? = g["fpr_n"] else { return "-" }
        return v == .none ? "-" : formatMetric("fpr", v) + " (\(n))"
    default:
        return formatMetric(col, g[col] ?? .none)
    }
}

/// Column heading of a metric in the table.
func heading(_ col: String) -> String { metricDefinition(col)?.heading ?? col }

/// The whole table: a row per input and group, a row of bootstrap intervals under each input's "all" row, a row
/// per difference against the first input, then one line per pair of methods.
public func renderTable(_ inputs: [InputResult], differences diffs: [Difference], confidence: Double) -> String {
    var groups: [GroupResult] = []
    for i in inputs {
        groups.append(i.all); groups += i.methods
        for (_, gs) in i.by { groups += gs }
    }
    let cols = tableColumns(groups)
    var rows: [[String]] = [["input", "group"] + cols.map(heading)]
    let ciName = fixed(100 * confidence, confidence * 100 == (confidence * 100).rounded() ? 0 : 1) + "% CI"
    for input in inputs {
        var gs = [input.all] + input.methods
        for (_, b) in input.by { gs += b }
        for (j, g) in gs.enumerated() {
            rows.append([j == 0 ? input.label : "", g.title] + cols.map { cell(g, $0) })
            if j == 0, !g.intervals.isEmpty {
                rows.append(["", ciName] + cols.map { col in
                    guard let ci = g.intervals.first(where: { $0.name == col }) else { return "" }
                    let scale = isRate(col) ? 100.0 : 1.0, d = isRate(col) ? 1 : 2
                    return fixed(scale * ci.low, d) + ".." + fixed(scale * ci.high, d)
                })
            }
        }
    }
    for d in diffs {
        let values = Dictionary(d.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        rows.append(["\u{0394} \(d.label) - \(d.baseline)", d.group] + cols.map { col in
            switch col {
            case "n": return ""
            case "fpr": return formatMetric("fpr", values["fpr"] ?? .none, signed: true)
            default: return formatMetric(col, values[col] ?? .none, signed: true)
            }
        })
        if d.group == "all", !d.intervals.isEmpty {
            rows.append(["", ciName + (d.paired ? " (paired)" : "")] + cols.map { col in
                guard let ci = d.intervals.first(where: { $0.name == col }) else { return "" }
                let scale = isRate(col) ? 100.0 : 1.0, digits = isRate(col) ? 1 : 2
                return fixed(scale * ci.low, digits) + ".." + fixed(scale * ci.high, digits)
            })
        }
    }
    var text = alignColumns(rows, leftColumns: 2)
    text += "rates in percent" + (diffs.isEmpty ? "" : ", differences (\u{0394}) in percentage points")
        + "; - = not computable\n"
    for input in inputs {
        for p in input.pairs {
            let r = p.correlation.map { fixed($0, 2) } ?? "not computable"
            text += "\(input.label): \(p.a) vs \(p.b) over \(p.problems) problems: correlation of per-problem "
                + "success \(r); solved only by \(p.a) \(p.onlyA), only by \(p.b) \(p.onlyB), by both \(p.both), "
                + "by neither \(p.neither)\n"
        }
    }
    return text
}
