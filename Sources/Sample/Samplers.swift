// The sampler chain: small pieces, each with one job, applied in a fixed order to one row of logits —
// temperature → top-k → top-p → min-p → draw — the order of Hugging Face transformers and vLLM (so
// `--top-p` keeps the nucleus of the *tempered* distribution). Greedy (temperature 0) is argmax, lowest
// token id on ties. Every piece is deterministic; the only randomness is the draw, from the sample's own
// random stream.
import Streams

/// Candidate tokens of one decoding step, sorted by logit (descending; ties by token id ascending) once a
/// piece needs the order.
public struct Candidates {
    public var ids: [Int32]
    public var logits: [Float]
    public private(set) var sorted = false

    public init(logits row: UnsafePointer<Float>, vocab: Int) {
        ids = (0..<Int32(vocab)).map { $0 }
        logits = Array(UnsafeBufferPointer(start: row, count: vocab))
    }
    public init(ids: [Int32], logits: [Float]) { self.ids = ids; self.logits = logits }

    public var count: Int { ids.count }

    mutating func sort() {
        guard !sorted else { return }
        let order = ids.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : ids[$0] < ids[$1] }
        ids = order.map { ids[$0] }
        logits = order.map { logits[$0] }
        sorted = true
    }

    mutating func keepFirst(_ n: Int) {
        ids.removeSubrange(n...)
        logits.removeSubrange(n...)
    }

    /// Softmax probabilities of the current candidates (computed in Double, in candidate order).
    func probabilities() -> [Double] {
        guard let m = logits.max() else { return [] }
        let e = logits.map { Foundation_exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

@inline(__always) func Foundation_exp(_ x: Double) -> Double { exp(x) }

public protocol SamplerPiece {
    mutating func apply(_ c: inout Candidates)
}

/// Divides logits by T (T > 0).
public struct Temperature: SamplerPiece {
    public var t: Float
    public init(_ t: Float) { self.t = t }
    public func apply(_ c: inout Candidates) {
        guard t != 1 else { return }
        for i in c.logits.indices { c.logits[i] /= t }
    }
}

/// Keeps the k most likely tokens (k ≤ 0 keeps all).
public struct TopK: SamplerPiece {
    public var k: Int
    public init(_ k: Int) { self.k = k }
    public func apply(_ c: inout Candidates) {
        guard k > 0, k < c.count else { return }
        c.sort()
        c.keepFirst(k)
    }
}

/// Keeps the smallest set of most likely tokens whose probability reaches p (p ≥ 1 keeps all).
public struct TopP: SamplerPiece {
    public var p: Double
    public init(_ p: Double) { self.p = p }
    public func apply(_ c: inout Candidates) {
        guard p < 1 else { return }
        c.sort()
        let probs = c.probabilities()
        var total = 0.0, n = 0
        while n < probs.count {
            total += probs[n]; n += 1
            if total >= p { break }
        }
        c.keepFirst(max(1, n))
    }
}

/// Keeps tokens whose probability is at least `p` times the most likely token's (p ≤ 0 keeps all).
public struct MinP: SamplerPiece {
    public var p: Double
    public init(_ p: Double) { self.p = p }
    public func apply(_ c: inout Candidates) {
        guard p > 0 else { return }
        c.sort()
        let probs = c.probabilities()
        let floor = probs[0] * p
        let n = probs.firstIndex { $0 < floor } ?? probs.count
        c.keepFirst(max(1, n))
    }
}

public struct SamplingSettings: Equatable {
    public var temperature: Double = 1
    public var topK = 0
    public var topP = 1.0
    public var minP = 0.0
    public init() {}
    public var isGreedy: Bool { temperature == 0 }
}

/// Picks the next token from a row of logits: greedy, or the chain then one draw from `rng`.
public struct Sampler {
    public let settings: SamplingSettings
    let pieces: [SamplerPiece]

    public init(_ s: SamplingSettings) {
        settings = s
        var p: [SamplerPiece] = []
        if s.temperature > 0 && s.temperature != 1 { p.append(Temperature(Float(s.temperature))) }
        if s.topK > 0 { p.append(TopK(s.topK)) }
        if s.topP < 1 { p.append(TopP(s.topP)) }
        if s.minP > 0 { p.append(MinP(s.minP)) }
        pieces = p
    }

    public func next(_ row: UnsafePointer<Float>, vocab: Int, allowed: Int? = nil, rng: inout SeededRandom) -> Int32 {
        let v = allowed ?? vocab
        if settings.isGreedy {
            var best = 0
            for i in 1..<v where row[i] > row[best] { best = i }
            return Int32(best)
        }
        var c = Candidates(logits: row, vocab: v)
        for var piece in pieces { piece.apply(&c) }
        return draw(c, &rng)
    }

    /// One draw from the softmax of the candidates, walking them in sorted order so the result depends only
    /// on the candidates and the random number.
    public func draw(_ cand: Candidates, _ rng: inout SeededRandom) -> Int32 {
        var c = cand
        c.sort()
        let probs = c.probabilities()
        let u = rng.unit()
        var acc = 0.0
        for i in 0..<probs.count {
            acc += probs[i]
            if u < acc { return c.ids[i] }
        }
        return c.ids[probs.count - 1]
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
