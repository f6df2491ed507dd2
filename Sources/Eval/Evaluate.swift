// Evaluate: from a SampleSet to the metrics of each group (all samples, each method, each --by value).
import Base

/// A metric's value: a count, a real number, or not computable (JSON null).
public enum MetricValue: Equatable, Sendable {
    case int(Int)
    case real(Double)
    case none

    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .real(let d): return d
        case .none: return nil
        }
    }
}

public struct EvalOptions {
    /// K values for pass@K, maj@K, coverage@K and diversity@K, ascending. Must be set before `evaluate`.
    public var ks: [Int] = [1]
    /// True when the user named the K values (a K dropped for too few samples is then reported as a note).
    public var explicitK = false
    public var bootstrap = 1000
    public var confidence = 0.95
    public var seed: UInt64 = 0
    public init() {}
}

/// The metrics of one group of samples.
public struct GroupResult {
    /// "" for all samples, "method" for a method, else the --by field.
    public var field: String
    /// "all", the method name, or the --by field's value.
    public var value: String
    /// Metric name → value, in the documented order.
    public var metrics: [(name: String, value: MetricValue)] = []
    /// Records per verdict, in the order of `Verdict.allCases`.
    public var verdicts: [(verdict: String, count: Int)] = []
    /// Bootstrap intervals of the accuracy-like metrics.
    public var intervals: [(name: String, low: Double, high: Double)] = []
    /// Per-problem values of the accuracy-like metrics (problem id → value), for comparisons between inputs.
    public var perProblem: [String: [String: Double]] = [:]
    /// Problem id → (share of sampled records correct, solved by any record), for method correlations.
    public var success: [String: (rate: Double, solved: Bool)] = [:]
    public var notes: [String] = []

    public subscript(name: String) -> MetricValue? {
        metrics.first { $0.name == name }?.value
    }
    public var title: String { field.isEmpty ? value : "\(field)=\(value)" }
}

/// Correlation of per-problem success between two methods, and what each solves alone.
public struct PairResult {
    public var a: String, b: String
    public var problems: Int          // problems both methods attempted
    public var correlation: Double?   // Pearson over per-problem success rates; nil without variance
    public var onlyA: Int, onlyB: Int, both: Int, neither: Int
}

public struct InputResult {
    public var label: String
    public var path: String
    public var all: GroupResult
    public var methods: [GroupResult]
    public var by: [(field: String, groups: [GroupResult])]
    public var pairs: [PairResult]
}

extension SampleSet {
    /// The smallest number of sampled records of any problem in the `all` group and in each method: the largest
    /// K all of them can report (the default K values stop there). --by groups are left out: a field that varies
    /// within a problem (`finish`) would otherwise pull every default K down to 1; a --by group whose problems
    /// have fewer samples reports those K as not computable, with a note.
    public func smallestSampleCount() -> Int? {
        var smallest: Int? = nil
        for subset in allGroupSubsets(includeBy: false) {
            if let n = sampledCounts(subset).min() { smallest = min(smallest ?? n, n) }
        }
        return smallest
    }

    func allGroupSubsets(includeBy: Bool) -> [[Int]] {
        var out = [Array(samples.indices)]
        if anyMethod {
            var per = Array(repeating: [Int](), count: methods.names.count)
            for (i, s) in samples.enumerated() { per[Int(s.method)].append(i) }
            out += per
        }
        for f in byFields.indices where includeBy {
            var per = Array(repeating: [Int](), count: groupValues[f].names.count)
            for (i, s) in samples.enumerated() { per[Int(s.groups[f])].append(i) }
            out += per
        }
        return out
    }

    /// Sampled-record counts per problem of a subset (problems with only greedy records are left out).
    func sampledCounts(_ subset: [Int]) -> [Int] {
        let useAll = !subset.contains { !samples[$0].greedy }
        var n: [Int32: Int] = [:]
        for i in subset where useAll || !samples[i].greedy { n[samples[i].problem, default: 0] += 1 }
        return Array(n.values)
    }

    public func evaluate(label: String, path: String, options: EvalOptions) -> InputResult {
        let all = evaluateGroup(Array(samples.indices), field: "", value: "all", options: options)
        var methodResults: [GroupResult] = []
        if anyMethod {
            var per = Array(repeating: [Int](), count: methods.names.count)
            for (i, s) in samples.enumerated() { per[Int(s.method)].append(i) }
            for (m, subset) in per.enumerated() {
                methodResults.append(evaluateGroup(subset, field: "method", value: methods.names[m], options: options))
            }
        }
        var by: [(String, [GroupResult])] = []
        for (f, name) in byFields.enumerated() {
            var per = Array(repeating: [Int](), count: groupValues[f].names.count)
            for (i, s) in samples.enumerated() { per[Int(s.groups[f])].append(i) }
            // Groups in a stable order: numbers numerically, then text.
            let order = per.indices.sorted { groupValueLess(groupValues[f].names[$0], groupValues[f].names[$1]) }
            by.append((name, order.map {
                evaluateGroup(per[$0], field: name, value: groupValues[f].names[$0], options: options)
            }))
        }
        // Methods that share no problem (arithmetic methods beside function tasks in one input) have nothing
        // to correlate: no pair rather than a line of zeros.
        var pairs: [PairResult] = []
        for i in methodResults.indices {
            for j in methodResults.indices where j > i {
                let p = pair(methodResults[i], methodResults[j])
                if p.problems > 0 { pairs.append(p) }
            }
        }
        return InputResult(label: label, path: path, all: all, methods: methodResults, by: by, pairs: pairs)
    }

    func evaluateGroup(_ subset: [Int], field: String, value: String, options: EvalOptions) -> GroupResult {
        var g = GroupResult(field: field, value: value)
        let st = groupStats(subset, ks: options.ks, success: &g.success)
        let results = computeMetrics(st)
        g.metrics = results.map { ($0.name, $0.value) }
        g.verdicts = zip(Verdict.allCases, st.verdictCounts).map { ($0.rawValue, $1) }
        g.notes = notes(st, explicitK: options.explicitK || !field.isEmpty)

        // Per-problem vectors and bootstrap intervals of the accuracy-like metrics.
        let seed = options.seed ^ stableHash(g.title)
        for r in results {
            guard let (pids, vals) = r.perProblem else { continue }
            g.perProblem[r.name] = Dictionary(uniqueKeysWithValues: zip(pids, vals))
            if let ci = bootstrapMeanInterval(vals, resamples: options.bootstrap, confidence: options.confidence,
                                              seed: seed) {
                g.intervals.append((r.name, ci.low, ci.high))
            }
        }
        return g
    }

    /// The per-problem values and record totals of a group that the metrics are computed from; `success` gets
    /// each problem's (share of sampled records correct, solved by any).
    func groupStats(_ subset: [Int], ks: [Int], success: inout [String: (rate: Double, solved: Bool)]) -> GroupStats {
        var st = GroupStats(ks: ks)
        // Problems in order of first appearance; their records split into greedy and sampled.
        var order: [Int32] = []
        var recs: [Int32: [Int]] = [:]
        for i in subset {
            let p = samples[i].problem
            if recs[p] == nil { order.append(p) }
            recs[p, default: []].append(i)
        }
        st.problems = order.count
        st.records = subset.count
        st.anySampled = subset.contains { !samples[$0].greedy }
        st.anyGreedy = subset.contains { samples[$0].greedy }
        st.anyAnswer = subset.contains { samples[$0].answer >= 0 }

        for p in order {
            let all = recs[p]!
            let id = problems.names[Int(p)]
            let greedy = all.filter { samples[$0].greedy }
            if !greedy.isEmpty {
                st.greedyIDs.append(id)
                st.greedyVals.append(Double(greedy.filter { samples[$0].correct }.count) / Double(greedy.count))
            }
            var sampled = st.anySampled ? all.filter { !samples[$0].greedy } : all
            if sampled.isEmpty { st.onlyGreedy += 1; continue }
            sampled.sort { (samples[$0].index, samples[$0].seq) < (samples[$1].index, samples[$1].seq) }
            let outcomes = sampled.map { i -> Outcome in
                let s = samples[i]
                return Outcome(correct: s.correct, answer: s.answer >= 0 ? s.answer : nil,
                               solution: s.solution >= 0 ? s.solution : nil)
            }
            let n = outcomes.count, c = outcomes.filter { $0.correct }.count
            st.counts.append(n)
            st.ids.append(id)
            success[id] = (Double(c) / Double(n), c > 0)
            for (j, k) in ks.enumerated() where k <= n {
                st.pass[j].append(passAtK(n: n, c: c, k: k)!)
                st.maj[j].append(majorityIsCorrect(outcomes, k: k)! ? 1 : 0)
                st.coverage[j].append(covered(outcomes, k: k)! ? 1 : 0)
                st.diversity[j].append(Double(distinctCorrect(outcomes, k: k)!))
            }
        }

        // Counts and micro averages over every record of the group.
        for i in subset {
            let s = samples[i]
            st.verdictCounts[Int(s.verdict)] += 1
            if s.correct {
                st.correct += 1
                if s.stepsOK >= 0 { st.checked += 1; if s.stepsOK == 0 { st.wrongSteps += 1 } }
            }
            if s.reward.isNaN { st.rewardMissing = true } else { st.rewardSum += s.reward }
            if s.flops.isNaN { st.flopsMissing = true } else { st.flops += s.flops }
            if s.promptTokens < 0 { st.promptMissing = true } else { st.promptTokens += s.promptTokens }
            if s.completionTokens < 0 { st.completionMissing = true } else { st.completionTokens += s.completionTokens }
        }
        return st
    }

    /// What could not be computed, and why. `explicitK`: report K values dropped for too few samples.
    func notes(_ st: GroupStats, explicitK: Bool) -> [String] {
        var notes: [String] = []
        if let lo = st.minN, let hi = st.maxN, lo != hi {
            notes.append("sample counts per problem vary from \(lo) to \(hi); pass@K uses each problem's own n, "
                + "maj@K, coverage@K and diversity@K its first K samples")
        }
        if st.onlyGreedy > 0 {
            notes.append("\(st.onlyGreedy) problem(s) have only greedy samples and are left out of pass@K")
        }
        if let lo = st.minN {
            let dropped = st.ks.filter { $0 > lo }
            if !dropped.isEmpty, explicitK {
                let j = st.counts.firstIndex(of: lo)!
                notes.append("K = " + dropped.map(String.init).joined(separator: ",")
                    + " not computable: problem \(st.ids[j]) has only \(lo) sample(s)")
            }
        }
        if st.minN != nil, !st.anyAnswer { notes.append("maj@K not computable: no sample has an extracted answer") }
        if st.records == 0 { notes.append("no samples") }
        let errors = st.verdictCounts[Verdict.allCases.firstIndex(of: .error)!]
        if errors > 0 {
            notes.append("\(errors) sample(s) have verdict error (the verifier could not judge them); "
                + "they count as incorrect")
        }
        return notes
    }

    func pair(_ a: GroupResult, _ b: GroupResult) -> PairResult {
        var xs: [Double] = [], ys: [Double] = []
        var onlyA = 0, onlyB = 0, both = 0, neither = 0
        for (id, sa) in a.success.sorted(by: { $0.key < $1.key }) {
            guard let sb = b.success[id] else { continue }
            xs.append(sa.rate); ys.append(sb.rate)
            switch (sa.solved, sb.solved) {
            case (true, true): both += 1
            case (true, false): onlyA += 1
            case (false, true): onlyB += 1
            case (false, false): neither += 1
            }
        }
        return PairResult(a: a.value, b: b.value, problems: xs.count, correlation: pearson(xs, ys),
                          onlyA: onlyA, onlyB: onlyB, both: both, neither: neither)
    }
}

/// Order of --by values: numbers numerically first, then everything else as text, records without the field last.
func groupValueLess(_ a: String, _ b: String) -> Bool {
    if (a == missingGroupName) != (b == missingGroupName) { return b == missingGroupName }
    switch (Double(a), Double(b)) {
    case let (x?, y?): return x != y ? x < y : a < b
    case (.some, nil): return true
    case (nil, .some): return false
    default: return a < b
    }
}
