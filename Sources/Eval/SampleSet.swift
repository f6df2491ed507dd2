// SampleSet: the verified samples of one input, held compactly, checked as they arrive.
import Base

/// One verified sample with the fields st-eval uses, already taken out of its JSON record.
public struct SampleRecord {
    public var problem: String            // the problem id, as text
    public var method: String?            // `method`; nil when absent
    public var index: Int?                // `sample`: position among the problem's samples
    public var verdict: Verdict
    public var reward: Double?
    public var extracted: String?         // the extracted answer; nil or empty = no answer
    public var stepsOK: Bool?             // `steps_ok`; nil when steps were not checked
    public var solution: String?          // the text diversity is measured on (usually `completion`)
    public var flops: Double?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var greedy: Bool               // temperature 0 or `greedy: true`
    public var groups: [String]           // values of the --by fields, in their order

    public init(problem: String, method: String? = nil, index: Int? = nil, verdict: Verdict,
                reward: Double? = nil, extracted: String? = nil, stepsOK: Bool? = nil, solution: String? = nil,
                flops: Double? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil,
                greedy: Bool = false, groups: [String] = []) {
        self.problem = problem; self.method = method; self.index = index; self.verdict = verdict
        self.reward = reward; self.extracted = extracted; self.stepsOK = stepsOK; self.solution = solution
        self.flops = flops; self.promptTokens = promptTokens; self.completionTokens = completionTokens
        self.greedy = greedy; self.groups = groups
    }
}

/// A problem in an input that cannot be evaluated honestly (the caller adds file and line).
public struct SampleSetError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The name a record without a method, or without a --by field, is grouped under.
public let missingGroupName = "(none)"

struct Sample {
    var problem: Int32
    var method: Int32
    var index: Int          // `sample`, or Int.max when absent (then file order decides)
    var seq: Int32          // position in the input
    var correct: Bool
    var verdict: UInt8      // index in Verdict.allCases
    var greedy: Bool
    var stepsOK: Int8       // -1 unknown, 0 false, 1 true
    var answer: Int32       // -1 none
    var solution: Int32     // -1 none (set for correct samples only)
    var reward: Double      // NaN when absent
    var flops: Double       // NaN when absent
    var promptTokens: Int   // -1 when absent
    var completionTokens: Int
    var groups: [Int32]
}

/// Bytes as a dictionary key, hashed in one call (an [UInt8] key is hashed byte by byte).
struct ByteKey: Hashable {
    var bytes: [UInt8]
    func hash(into h: inout Hasher) { bytes.withUnsafeBytes { h.combine(bytes: $0) } }
}

/// Interns strings to dense ids in order of first appearance.
struct Interner {
    var ids: [String: Int32] = [:]
    var names: [String] = []
    mutating func id(_ s: String) -> Int32 {
        if let i = ids[s] { return i }
        let i = Int32(names.count)
        ids[s] = i; names.append(s)
        return i
    }
}

public final class SampleSet {
    public let byFields: [String]
    let solutionKey: (String) -> [UInt8]
    let answerKey: (String) -> String
    var problems = Interner()
    var methods = Interner()
    var groupValues: [Interner]
    var answers = Interner()
    var solutions: [ByteKey: Int32] = [:]
    var samples: [Sample] = []
    var anyMethod = false
    var seenIndex: [SeenKey: Int] = [:]   // (problem, method, sample) -> position in input, for duplicates

    struct SeenKey: Hashable { var problem: Int32; var method: Int32; var index: Int; var greedy: Bool }

    /// `solutionKey` maps a correct sample's solution to the bytes diversity compares (default: whitespace
    /// normalized text). `answerKey` maps a wrong extracted answer to the class it votes for in maj@k
    /// (default: `answerVoteKey`).
    public init(byFields: [String] = [], solutionKey: @escaping (String) -> [UInt8] = normalizedSolutionBytes,
                answerKey: @escaping (String) -> String = answerVoteKey) {
        self.byFields = byFields
        self.solutionKey = solutionKey
        self.answerKey = answerKey
        groupValues = Array(repeating: Interner(), count: byFields.count)
    }

    public var count: Int { samples.count }
    public var problemCount: Int { problems.names.count }

    /// Adds one sample. Throws when the same (problem, method, sample index, greedy or not) was already seen: two copies of one
    /// sample (an input given twice, shards overlapping) would bias every metric.
    public func add(_ r: SampleRecord) throws {
        precondition(r.groups.count == byFields.count, "one value per --by field")
        let p = problems.id(r.problem)
        if r.method != nil { anyMethod = true }
        let m = methods.id(r.method ?? missingGroupName)
        if let idx = r.index {
            let key = SeenKey(problem: p, method: m, index: idx, greedy: r.greedy)
            if let first = seenIndex[key] {
                throw SampleSetError((r.greedy ? "greedy sample " : "sample ") + "\(idx) of problem \(r.problem)"
                    + (r.method.map { " (method \($0))" } ?? "")
                    + " appears twice (first as record \(first + 1) of this input); duplicated input?")
            }
            seenIndex[key] = samples.count
        }
        let correct = r.verdict == .pass
        var answer: Int32 = -1
        if let e = r.extracted {
            // Every correct answer votes for the one correct class; a wrong one for its normalized text.
            let key = correct ? "" : answerKey(e)
            if correct ? !e.isEmpty : !key.isEmpty { answer = answers.id(key) }
        }
        var solution: Int32 = -1
        if correct, let s = r.solution {
            let key = ByteKey(bytes: solutionKey(s))
            if let id = solutions[key] { solution = id } else {
                solution = Int32(solutions.count)
                solutions[key] = solution
            }
        }
        var groups: [Int32] = []
        groups.reserveCapacity(byFields.count)
        for (i, v) in r.groups.enumerated() { groups.append(groupValues[i].id(v)) }
        samples.append(Sample(
            problem: p, method: m, index: r.index ?? Int.max, seq: Int32(truncatingIfNeeded: samples.count),
            correct: correct, verdict: UInt8(Verdict.allCases.firstIndex(of: r.verdict)!), greedy: r.greedy,
            stepsOK: r.stepsOK.map { $0 ? 1 : 0 } ?? -1, answer: answer, solution: solution,
            reward: r.reward ?? .nan, flops: r.flops ?? .nan,
            promptTokens: r.promptTokens ?? -1, completionTokens: r.completionTokens ?? -1, groups: groups))
    }
}
