// Compare: differences between inputs (each against the first), with bootstrap intervals of the differences.
import Base

public struct Difference {
    public var label: String          // this input
    public var baseline: String       // the first input
    public var group: String          // "all" or "method=NAME"
    /// Metric name → this input's value minus the baseline's; none when either is not computable.
    public var metrics: [(name: String, value: MetricValue)]
    /// Bootstrap intervals of the differences of the accuracy-like metrics.
    public var intervals: [(name: String, low: Double, high: Double)]
    /// True when both inputs hold the same problems, so the bootstrap resampled problems in pairs.
    public var paired: Bool
}

/// Differences of every input after the first against the first: for the "all" group, and for each method both
/// inputs have.
public func differences(_ inputs: [InputResult], options: EvalOptions) -> [Difference] {
    guard let base = inputs.first else { return [] }
    var out: [Difference] = []
    for input in inputs.dropFirst() {
        out.append(difference(input.all, base.all, label: input.label, baseline: base.label, options: options))
        for m in input.methods {
            if let bm = base.methods.first(where: { $0.value == m.value }) {
                out.append(difference(m, bm, label: input.label, baseline: base.label, options: options))
            }
        }
    }
    return out
}

func difference(_ g: GroupResult, _ b: GroupResult, label: String, baseline: String,
                options: EvalOptions) -> Difference {
    var metrics: [(String, MetricValue)] = []
    for (name, v) in g.metrics {
        let w = b[name] ?? .none
        switch (v, w) {
        case let (.int(x), .int(y)): metrics.append((name, .int(x - y)))
        case let (x, y):
            if let x = x.double, let y = y.double { metrics.append((name, .real(x - y))) }
            else { metrics.append((name, .none)) }
        }
    }
    var intervals: [(String, Double, Double)] = []
    var paired = true
    for (name, _, _) in g.intervals {
        guard let pa = g.perProblem[name], let pb = b.perProblem[name] else { continue }
        let seed = options.seed ^ stableHash("diff " + g.title + " " + name)
        if Set(pa.keys) == Set(pb.keys) {
            let keys = pa.keys.sorted()
            let diffs = keys.map { pa[$0]! - pb[$0]! }
            if let ci = bootstrapMeanInterval(diffs, resamples: options.bootstrap, confidence: options.confidence,
                                              seed: seed) {
                intervals.append((name, ci.low, ci.high))
            }
        } else {
            paired = false
            let va = pa.keys.sorted().map { pa[$0]! }, vb = pb.keys.sorted().map { pb[$0]! }
            if let ci = bootstrapDifferenceInterval(va, vb, resamples: options.bootstrap,
                                                    confidence: options.confidence, seed: seed) {
                intervals.append((name, ci.low, ci.high))
            }
        }
    }
    return Difference(label: label, baseline: baseline, group: g.title, metrics: metrics, intervals: intervals,
                      paired: paired)
}

/// Percentile bootstrap interval of mean(a) − mean(b) when a and b hold different problems: each side
/// resampled on its own.
public func bootstrapDifferenceInterval(_ a: [Double], _ b: [Double], resamples: Int, confidence: Double,
                                        seed: UInt64) -> (low: Double, high: Double)? {
    guard !a.isEmpty, !b.isEmpty, resamples >= 1 else { return nil }
    var rng = SplitMix64(seed: seed)
    var diffs = [Double](repeating: 0, count: resamples)
    for r in 0..<resamples {
        var sa = 0.0, sb = 0.0
        for _ in 0..<a.count { sa += a[rng.below(a.count)] }
        for _ in 0..<b.count { sb += b[rng.below(b.count)] }
        diffs[r] = sa / Double(a.count) - sb / Double(b.count)
    }
    diffs.sort()
    let alpha = (1 - confidence) / 2
    return (quantile(sorted: diffs, alpha), quantile(sorted: diffs, 1 - alpha))
}
