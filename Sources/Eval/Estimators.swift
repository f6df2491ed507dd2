// Estimators: the per-problem quantities behind pass@k, maj@k, coverage@k and diversity@k, and the
// seeded percentile bootstrap over problems. Pure functions over plain values; see docs/st-eval.md.
import Base

/// Unbiased pass@k of Chen et al. (2021) for one problem with `n` samples of which `c` are correct:
/// 1 − C(n−c, k) / C(n, k), computed in the numerically stable product form
/// 1 − Π_{i=n−c+1…n} (1 − k/i). Returns nil when k < 1 or k > n (not computable).
public func passAtK(n: Int, c: Int, k: Int) -> Double? {
    guard k >= 1, k <= n, c >= 0, c <= n else { return nil }
    if n - c < k { return 1 }
    var fail = 1.0
    var i = n - c + 1
    while i <= n {
        fail *= 1 - Double(k) / Double(i)
        i += 1
    }
    return 1 - fail
}

/// One sample as the vote-level estimators see it, in sample-index order.
public struct Outcome: Equatable {
    /// The verifier's verdict was `pass`.
    public var correct: Bool
    /// Interned normalized extracted answer; nil when the sample gave no answer (it does not vote).
    public var answer: Int32?
    /// Interned normalized solution (text or equation signature), set for correct samples only.
    public var solution: Int32?

    public init(correct: Bool, answer: Int32? = nil, solution: Int32? = nil) {
        self.correct = correct
        self.answer = answer
        self.solution = solution
    }
}

/// Majority vote over the first `k` outcomes (the caller passes them in sample-index order).
///
/// Votes are counted per answer class. All answer-correct samples form one class (the verifier judged each equal
/// to the same expected answer, so they are equivalent to each other even when written differently: `18`,
/// `18.00`); every other sample votes for its normalized extracted answer. A sample without an extracted answer
/// does not vote. Tie rule: among classes with the most votes, the one whose first vote comes earliest wins.
/// Returns true when the winning class is the correct one, false when another class wins or nobody voted, and
/// nil when k < 1 or fewer than k outcomes are given.
public func majorityIsCorrect<C: Collection>(_ outcomes: C, k: Int) -> Bool? where C.Element == Outcome {
    guard k >= 1, outcomes.count >= k else { return nil }
    // Class key: -1 for the correct class, else the answer id. Tracks (votes, first position).
    var tally: [Int64: (votes: Int, first: Int)] = [:]
    var position = 0
    for o in outcomes.prefix(k) {
        defer { position += 1 }
        guard let a = o.answer else { continue }
        let key: Int64 = o.correct ? -1 : Int64(a)
        if let t = tally[key] { tally[key] = (t.votes + 1, t.first) } else { tally[key] = (1, position) }
    }
    var best: (key: Int64, votes: Int, first: Int)? = nil
    for (key, t) in tally {
        if let b = best, t.votes < b.votes || (t.votes == b.votes && t.first > b.first) { continue }
        best = (key, t.votes, t.first)
    }
    guard let winner = best else { return false }
    return winner.key == -1
}

/// coverage@k for one problem: at least one correct sample among the first k. nil when fewer than k outcomes.
public func covered<C: Collection>(_ outcomes: C, k: Int) -> Bool? where C.Element == Outcome {
    guard k >= 1, outcomes.count >= k else { return nil }
    return outcomes.prefix(k).contains { $0.correct }
}

/// diversity@k for one problem: the number of distinct correct solutions among the first k samples.
/// nil when fewer than k outcomes.
public func distinctCorrect<C: Collection>(_ outcomes: C, k: Int) -> Int? where C.Element == Outcome {
    guard k >= 1, outcomes.count >= k else { return nil }
    var seen = Set<Int32>()
    var anonymous = 0  // a correct sample without a solution text still counts once
    for o in outcomes.prefix(k) where o.correct {
        if let s = o.solution { seen.insert(s) } else { anonymous += 1 }
    }
    return seen.count + anonymous
}

/// Pearson correlation of two equally long series; nil when shorter than 2 or when either has no variance.
public func pearson(_ x: [Double], _ y: [Double]) -> Double? {
    precondition(x.count == y.count)
    let n = x.count
    guard n >= 2 else { return nil }
    let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in 0..<n {
        let dx = x[i] - mx, dy = y[i] - my
        sxy += dx * dy; sxx += dx * dx; syy += dy * dy
    }
    guard sxx > 0, syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
}

/// Linear-interpolation quantile (R type 7) of sorted values, q in [0, 1].
public func quantile(sorted v: [Double], _ q: Double) -> Double {
    precondition(!v.isEmpty)
    let h = Double(v.count - 1) * q
    let lo = Int(h.rounded(.down)), hi = min(lo + 1, v.count - 1)
    return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
}

/// Percentile bootstrap interval of the mean of `values` (one value per problem): `resamples` times, draw as
/// many problems as there are with replacement, take the mean; return the (1−confidence)/2 and (1+confidence)/2
/// quantiles of those means. Deterministic for a given seed. nil for an empty series or resamples < 1.
public func bootstrapMeanInterval(_ values: [Double], resamples: Int, confidence: Double,
                                  seed: UInt64) -> (low: Double, high: Double)? {
    guard !values.isEmpty, resamples >= 1 else { return nil }
    var rng = SplitMix64(seed: seed)
    let n = values.count
    var means = [Double](repeating: 0, count: resamples)
    values.withUnsafeBufferPointer { v in
        for b in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += v[rng.below(n)] }
            means[b] = s / Double(n)
        }
    }
    means.sort()
    let alpha = (1 - confidence) / 2
    return (quantile(sorted: means, alpha), quantile(sorted: means, 1 - alpha))
}
