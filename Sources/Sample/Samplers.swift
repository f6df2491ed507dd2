// The sampler chain, applied in a fixed order to one row of logits — temperature → top-k → top-p → min-p →
// draw — the order of Hugging Face transformers and vLLM (so `--top-p` keeps the nucleus of the *tempered*
// distribution). Greedy (temperature 0) is argmax, lowest token id on ties. Every step is deterministic; the
// only randomness is the draw, one number from the sample's own random stream.
//
// The chain's definition: the candidates in order (logit descending, token id ascending on ties), softmax
// probabilities p_i = e_i / S with e_i = exp(Double(l_i - max)) and S their Double sum in that order; top-k
// keeps the first k; top-p the shortest prefix whose running sum of p_i reaches p; min-p the prefix with
// p_i ≥ p · p_0; the draw walks the survivors' probabilities (recomputed over them) until the running sum
// passes a uniform u in [0, 1), else takes the last.
//
// Computed without ordering the whole vocabulary (perf at a 49,152-token vocabulary: the full sort was a
// quarter of a decode step): since e_0 = 1, every running sum is ≥ 1, and a term below 2^-53 (l - max < -37.5)
// added to it rounds away. So S over the candidates equals S over the "near" ones (l - max ≥ -37.5) alone, and
// only those are keyed and sorted (CandidateOrder.swift: integer keys, radix sort); top-k selects
// its k first. A step that would have to look past the near candidates (a top-p nucleus or a min-p floor
// reaching that far, or a u beyond their running sum — vanishingly rare) reruns the chain with every candidate
// keyed, so the result is always the definition's. Tests/SampleTests/ReferenceSampler.swift is the definition
// written plainly (the former implementation: copy, full sort, per step), and the tests compare the two.
import Streams

public struct SamplingSettings: Equatable {
    public var temperature: Double = 1
    public var topK = 0
    public var topP = 1.0
    public var minP = 0.0
    public init() {}
    public var isGreedy: Bool { temperature == 0 }
}

/// Vocabulary-sized room for the chain, reused token after token (one per sampling thread).
public final class SamplerScratch {
    let capacity: Int
    let keys: UnsafeMutablePointer<UInt64>, spare: UnsafeMutablePointer<UInt64>
    let weights: UnsafeMutablePointer<Double>
    public init(vocab: Int) {
        capacity = max(1, vocab)
        keys = .allocate(capacity: capacity); spare = .allocate(capacity: capacity); weights = .allocate(capacity: capacity)
    }
    deinit { keys.deallocate(); spare.deallocate(); weights.deallocate() }
}

/// Picks the next token from a row of logits: greedy, or the chain then one draw from `rng`.
public struct Sampler {
    public let settings: SamplingSettings
    /// the steps in use (the chain leaves out a step whose setting keeps everything)
    let temperature: Float?, topK: Int?, topP: Double?, minP: Double?

    public init(_ s: SamplingSettings) {
        settings = s
        temperature = s.temperature > 0 && s.temperature != 1 ? Float(s.temperature) : nil
        topK = s.topK > 0 ? s.topK : nil
        topP = s.topP < 1 ? s.topP : nil
        minP = s.minP > 0 ? s.minP : nil
    }

    /// Candidates more than this far below the best logit weigh under 2^-53 (exp(-37.5) ≈ 5.2e-17) and round
    /// away from every running sum, which starts at e_0 = 1.
    static let nearBound: Float = -37.5

    public func next(_ row: UnsafePointer<Float>, vocab: Int, allowed: Int? = nil, rng: inout SeededRandom,
                     scratch: SamplerScratch) -> Int32 {
        let v = allowed ?? vocab
        var best = 0
        for i in 1..<v where row[i] > row[best] { best = i }
        if settings.isGreedy { return Int32(best) }
        return draw(row, v, u: rng.unit(), scratch, best: best)
    }

    /// The chain and the draw for the uniform number u: from the near candidates, else from all of them.
    func draw(_ row: UnsafePointer<Float>, _ v: Int, u: Double, _ scratch: SamplerScratch, best: Int) -> Int32 {
        precondition(scratch.capacity >= v, "sampler scratch smaller than the vocabulary")
        if let c = survivors(row, v, scratch, all: false, best: best), let t = pick(c, u, scratch) { return t }
        return pick(survivors(row, v, scratch, all: true, best: best)!, u, scratch)!
    }

    /// The candidates the chain keeps before the draw, in order (tests; the sampler never lists them).
    public func survivors(_ row: UnsafePointer<Float>, vocab v: Int) -> [Int32] {
        let s = SamplerScratch(vocab: v)
        var best = 0
        for i in 1..<v where row[i] > row[best] { best = i }
        let c = survivors(row, v, s, all: true, best: best)!
        return (0..<c.n).map { keyID(s.keys[$0]) }
    }

    @inline(__always) func tempered(_ x: Float) -> Float {
        if let t = temperature { return x / t }
        return x
    }

    /// The candidates after top-k, top-p and min-p from the near candidates (`all`: from every candidate):
    /// scratch.keys[0..<n] are the first n of the `count` survivors, in order, and scratch.weights[0..<n] their
    /// e_i. Nil when a step depends on candidates it left out.
    func survivors(_ row: UnsafePointer<Float>, _ v: Int, _ s: SamplerScratch, all: Bool, best: Int) -> (n: Int, count: Int)? {
        let keys = s.keys, e = s.weights
        // x / t rounds monotonically, so the tempered maximum is the tempered row maximum
        let m = tempered(row[best])
        var n = 0
        for i in 0..<v {
            let l = tempered(row[i])
            if all || l - m >= Sampler.nearBound { keys[n] = candidateKey(l, i); n += 1 }
        }
        if n == 0 { return nil }   // no finite maximum (NaN or infinite logits): every candidate decides
        var count = v              // candidates in the chain; keys[0..<n] are its first n once sorted
        if let k = topK, k < v {
            count = k
            if n > k {
                let bound = kthSmallestKey(keys, n, k, spare: s.spare)
                var j = 0   // kept in id order
                for i in 0..<n where keys[i] <= bound { keys[j] = keys[i]; j += 1 }
                n = k
            }
        }
        sortKeys(keys, n, spare: s.spare)
        for i in 0..<n { e[i] = exp(Double(keyLogit(keys[i]) - m)) }
        if let p = topP {
            let sum = Sampler.total(e, n)
            var acc = 0.0, kept = 0, reached = false
            while kept < n {
                acc += e[kept] / sum; kept += 1
                if acc >= p { reached = true; break }
            }
            if !reached && n < count { return nil }
            n = max(1, kept); count = n
        }
        if let p = minP {
            let sum = Sampler.total(e, n)
            let floor = e[0] / sum * p
            var kept = 0
            while kept < n && !(e[kept] / sum < floor) { kept += 1 }
            if kept == n && n < count { return nil }
            n = max(1, kept); count = n
        }
        return (n, count)
    }

    /// S over the first n candidates, in order (the left-out rest rounds away).
    static func total(_ e: UnsafePointer<Double>, _ n: Int) -> Double {
        var t = 0.0
        for i in 0..<n { t += e[i] }
        return t
    }

    /// The draw: the survivors' probabilities summed in order until they pass u; nil when that runs past the
    /// survivors listed.
    func pick(_ c: (n: Int, count: Int), _ u: Double, _ s: SamplerScratch) -> Int32? {
        let sum = Sampler.total(s.weights, c.n)
        var acc = 0.0
        for i in 0..<c.n {
            acc += s.weights[i] / sum
            if u < acc { return keyID(s.keys[i]) }
        }
        return c.n < c.count ? nil : keyID(s.keys[c.n - 1])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
