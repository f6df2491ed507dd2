// The metrics table: every metric st-eval reports is one row here, in the documented output order — its name,
// how it is computed from a group's records, and how it is shown (the JSON keeps every row; the text table
// follows `table` and `kind`). Adding a metric is adding a row.
import Base

/// How people read a metric's value (Table.swift): counts as integers, rates in percent, FLOPs in scientific
/// notation, other numbers with two decimals.
enum MetricKind { case count, rate, number, flops }

/// Where a metric goes in the text table.
enum TableUse {
    /// a column in every table, under this column key
    case always(String)
    /// a column when some group has a value
    case whenComputable
    /// a column when some group has a value that differs from this metric's
    case unlessEqual(String)
    /// of a K family: a column at the largest K shown only
    case largestK
    /// no column of its own (shown inside another's cell: n, fpr (n); or JSON only)
    case inCell
}

/// What a group's records give the metrics: per-problem values (problems in order of first appearance) and
/// totals over every record.
struct GroupStats {
    var ks: [Int]
    var problems = 0, records = 0
    var anySampled = false, anyGreedy = false, anyAnswer = false
    /// problems with greedy records, and the share of each one's greedy records that is correct
    var greedyIDs: [String] = [], greedyVals: [Double] = []
    /// problems with sampled records, their sampled-record counts, and per K (index j) their values
    var ids: [String] = [], counts: [Int] = []
    var pass: [[Double]], maj: [[Double]], coverage: [[Double]], diversity: [[Double]]
    var onlyGreedy = 0
    var correct = 0, rewardSum = 0.0, rewardMissing = false
    var flops = 0.0, flopsMissing = false, promptTokens = 0, promptMissing = false
    var completionTokens = 0, completionMissing = false
    /// correct records whose steps were checked, and those of them with a wrong step
    var checked = 0, wrongSteps = 0
    var verdictCounts = Array(repeating: 0, count: Verdict.allCases.count)

    init(ks: [Int]) {
        self.ks = ks
        pass = Array(repeating: [], count: ks.count)
        maj = pass; coverage = pass; diversity = pass
    }

    var minN: Int? { counts.min() }
    var maxN: Int? { counts.max() }
    /// Every problem with sampled records has at least the j-th K of them.
    func complete(_ j: Int) -> Bool { minN.map { ks[j] <= $0 } ?? false }

    func ratio(_ a: Double, _ b: Int) -> MetricValue { b > 0 ? .real(a / Double(b)) : .none }
}

/// One row of the metrics table.
struct MetricDefinition {
    /// The JSON key; a K family ("pass@") ends in "@" and has a row per K.
    let name: String
    let kind: MetricKind
    let table: TableUse
    /// the column heading, when it is not the name
    let heading: String?
    let value: Value

    enum Value {
        /// a count or an average over the group's records
        case total((GroupStats) -> MetricValue)
        /// the mean over problems of a per-problem value (at the j-th K for a family): these get bootstrap
        /// intervals and paired comparisons; nil when not computable
        case perProblem((GroupStats, _ j: Int) -> (ids: [String], values: [Double])?)
    }

    var isFamily: Bool { name.hasSuffix("@") }

    init(_ name: String, _ kind: MetricKind, _ table: TableUse, heading: String? = nil, _ value: Value) {
        self.name = name; self.kind = kind; self.table = table; self.heading = heading; self.value = value
    }
}

let metricTable: [MetricDefinition] = [
    .init("problems", .count, .always("problems"), .total { .int($0.problems) }),
    .init("samples", .count, .always("samples"), .total { .int($0.records) }),
    .init("correct", .count, .inCell, .total { .int($0.correct) }),
    .init("n_min", .count, .always("n"), .total { s in s.minN.map { .int($0) } ?? .none }),
    .init("n_max", .count, .inCell, .total { s in s.maxN.map { .int($0) } ?? .none }),
    .init("accuracy", .rate, .whenComputable, .total { s in s.ratio(Double(s.correct), s.records) }),
    .init("reward", .rate, .unlessEqual("accuracy"), .total { s in s.rewardMissing ? .none : s.ratio(s.rewardSum, s.records) }),
    .init("greedy", .rate, .whenComputable, .perProblem { s, _ in s.anyGreedy ? (s.greedyIDs, s.greedyVals) : nil }),
    .init("pass@", .rate, .whenComputable, .perProblem { s, j in s.complete(j) ? (s.ids, s.pass[j]) : nil }),
    .init("maj@", .rate, .largestK, .perProblem { s, j in s.complete(j) && s.anyAnswer ? (s.ids, s.maj[j]) : nil }),
    .init("coverage@", .rate, .largestK, .perProblem { s, j in s.complete(j) ? (s.ids, s.coverage[j]) : nil }),
    .init("diversity@", .number, .largestK, .perProblem { s, j in s.complete(j) ? (s.ids, s.diversity[j]) : nil }),
    .init("fpr", .rate, .whenComputable, heading: "fpr (n)", .total { s in s.ratio(Double(s.wrongSteps), s.checked) }),
    .init("fpr_n", .count, .inCell, .total { .int($0.checked) }),
    .init("flops", .flops, .whenComputable, .total { s in s.flopsMissing ? .none : .real(s.flops) }),
    .init("flops_per_correct", .flops, .whenComputable, heading: "flops/correct",
          .total { s in s.flopsMissing ? .none : s.ratio(s.flops, s.correct) }),
    .init("prompt_tokens", .count, .inCell, .total { s in s.promptMissing ? .none : .int(s.promptTokens) }),
    .init("completion_tokens", .count, .inCell, .total { s in s.completionMissing ? .none : .int(s.completionTokens) }),
    .init("tokens", .count, .whenComputable,
          .total { s in s.promptMissing || s.completionMissing ? .none : .int(s.promptTokens + s.completionTokens) }),
]

/// The row of a metric name ("pass@8" is a row of the "pass@" family).
func metricDefinition(_ name: String) -> MetricDefinition? {
    metricTable.first { $0.isFamily ? name.hasPrefix($0.name) : name == $0.name }
}

/// One evaluated metric: its name, value and, for the per-problem ones, the values it is the mean of.
struct MetricResult {
    var name: String
    var value: MetricValue
    var perProblem: (ids: [String], values: [Double])?
}

/// Every metric of the table for a group's stats, in table order (a family at each K).
func computeMetrics(_ s: GroupStats) -> [MetricResult] {
    var out: [MetricResult] = []
    func mean(_ v: [Double]) -> MetricValue { v.isEmpty ? .none : .real(v.reduce(0, +) / Double(v.count)) }
    for def in metricTable {
        let instances = def.isFamily ? s.ks.enumerated().map { ("\(def.name)\($0.element)", $0.offset) } : [(def.name, 0)]
        for (name, j) in instances {
            switch def.value {
            case .total(let f): out.append(MetricResult(name: name, value: f(s)))
            case .perProblem(let f):
                let v = f(s, j)
                out.append(MetricResult(name: name, value: v.map { mean($0.values) } ?? .none, perProblem: v))
            }
        }
    }
    return out
}
