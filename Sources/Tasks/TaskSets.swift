// The embedded data sets: problem splits, the seed set, and the pre-training corpora, as JSON objects.
// Everything is a pure function of the seed (the corpora also read files Debian ships: see Corpus).
import Streams

public enum Split: String, CaseIterable {
    case train, val, test
    /// Problems of the held-out family, for measuring transfer.
    case transfer
    /// The small solved set for the initial supervised fine-tuning (the "human-written" seed data).
    case seed
    var stream: UInt64 {
        switch self { case .train: return 1; case .val: return 2; case .test: return 3; case .transfer: return 4; case .seed: return 5 }
    }
}

public struct ArithOptions {
    public var count: Int
    public var difficulties: ClosedRange<Int> = 1...5
    public var seed: UInt64 = 0
    public init(count: Int) { self.count = count }
}

/// Arithmetic problems for each split. Questions never repeat within or across splits: the splits are
/// generated together, each from its own random stream, and deduplicated in a fixed order (train, val,
/// test, transfer). Difficulty cycles through `difficulties`, family by family, so every split is balanced.
public func arithmeticSplits(_ counts: [Split: Int], difficulties: ClosedRange<Int> = 1...5,
                             seed: UInt64) -> [Split: [JSONObject]] {
    var seen = Set<String>()
    var out: [Split: [JSONObject]] = [:]
    for split in Split.allCases {
        let n = counts[split] ?? 0
        var g = ArithGenerator(rng: SeededRandom(seed: seed, stream: split.stream))
        var records: [JSONObject] = []
        var k = 0
        while records.count < n {
            let family = split == .transfer ? transferFamily : trainFamilies[k % trainFamilies.count]
            let level = difficulties.lowerBound + (k / trainFamilies.count) % difficulties.count
            k += 1
            let p = g.problem(family: family, equations: level)
            guard seen.insert(p.question).inserted else { continue }
            records.append(JSONObject([
                ("id", JSON("arith-\(split.rawValue)-\(String(format5(records.count)))")),
                ("task", JSON("arith")), ("split", JSON(split.rawValue)), ("family", JSON(p.family)),
                ("difficulty", JSON(p.difficulty)), ("question", JSON(p.question)), ("answer", JSON(String(p.answer))),
                (RecordField.solutionText, JSON(p.solutionText)), (RecordField.solutionCode, JSON(p.solutionCode)),
            ]))
        }
        out[split] = records
    }
    return out
}

/// Which split a function (by entry point, i.e. kind + parameters) belongs to: a fixed hash partition of
/// every kind's parameter space (60% train, 10% val, 20% test, 10% seed), so each split gets every kind and
/// no function appears in two splits whatever the counts asked for.
func functionSplit(_ entryPoint: String) -> Split {
    switch Hash128(Array(entryPoint.utf8)).a % 10 {
    case 0...5: return .train
    case 6: return .val
    case 7, 8: return .test
    default: return .seed
    }
}

/// Function-synthesis problems per split, HumanEval-format records plus id/task/split/kind. Kinds take
/// turns; within a split an entry point appears once; a kind whose share of parameters is used up is skipped.
public func functionSplits(_ counts: [Split: Int], seed: UInt64) -> [Split: [JSONObject]] {
    var out: [Split: [JSONObject]] = [:]
    for split in [Split.train, .val, .test, .seed] {
        let n = counts[split] ?? 0
        var g = ArithGenerator(rng: SeededRandom(seed: seed, stream: 100 + split.stream))
        var seen = Set<String>()
        var exhausted = Set<Int>()
        var records: [JSONObject] = []
        var k = 0
        while records.count < n && exhausted.count < funcKinds.count {
            let kindIndex = k % funcKinds.count
            k += 1
            if exhausted.contains(kindIndex) { continue }
            var fresh: FuncProblem?
            for _ in 0..<200 {
                let p = g.function(kind: funcKinds[kindIndex])
                if functionSplit(p.entryPoint) == split && seen.insert(p.entryPoint).inserted { fresh = p; break }
            }
            guard let p = fresh else { exhausted.insert(kindIndex); continue }
            records.append(JSONObject([
                ("id", JSON("funcs-\(split.rawValue)-\(format5(records.count))")),
                ("task", JSON("humaneval")), ("split", JSON(split.rawValue)), ("kind", JSON(p.kind)),
                ("task_id", JSON("funcs/\(split.rawValue)/\(records.count)")),
                ("prompt", JSON(p.prompt)), ("canonical_solution", JSON(p.solution)),
                ("test", JSON(p.test)), ("entry_point", JSON(p.entryPoint)),
            ]))
        }
        out[split] = records
    }
    return out
}

/// Training pairs in the built-in methods' prompt format: `text` (chain of thought) or `code` (program)
/// for arithmetic records, `code` for function records (prompt → body).
public func trainingPair(_ r: JSONObject, method: String) -> JSONObject? {
    if r["task"]?.string == "arith", let q = r["question"]?.string {
        switch method {
        case "text", "code":
            // the solution of the method's answer kind, under the prompt st-sample's method renders
            let kind = AnswerKind(method: method)
            return r[kind.solutionField]?.string.map {
                JSONObject([(RecordField.id, r[RecordField.id]!), (RecordField.method, JSON(method)),
                            (RecordField.prompt, JSON(kind == .program ? ArithPrompt.code(q) : ArithPrompt.text(q))),
                            (RecordField.completion, JSON($0 + "\n"))])
            }
        default: return nil
        }
    }
    if let p = r["prompt"]?.string, let s = r["canonical_solution"]?.string, method == "code" {
        return JSONObject([("id", r["id"]!), ("method", JSON("code")), ("prompt", JSON(p)), ("completion", JSON(s))])
    }
    return nil
}

func format5(_ i: Int) -> String {
    let s = String(i)
    return String(repeating: "0", count: max(0, 5 - s.count)) + s
}
