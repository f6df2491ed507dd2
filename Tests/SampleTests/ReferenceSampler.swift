// The sampler chain as Sources/Sample/Samplers.swift had it before it stopped sorting the vocabulary: a copy of
// the row, then each step in turn, sorting all candidates (logit descending, id ascending) and recomputing the
// softmax. It is the chain's definition written plainly; SamplerTests draws with both and wants the same tokens.
import Foundation
@testable import Sample
@testable import Streams

/// Candidate tokens of one decoding step, sorted by logit (descending; ties by token id ascending) once a
/// piece needs the order.
struct RefCandidates {
    var ids: [Int32]
    var logits: [Float]
    private(set) var sorted = false

    init(logits row: UnsafePointer<Float>, vocab: Int) {
        ids = (0..<Int32(vocab)).map { $0 }
        logits = Array(UnsafeBufferPointer(start: row, count: vocab))
    }
    init(ids: [Int32], logits: [Float]) { self.ids = ids; self.logits = logits }

    var count: Int { ids.count }

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
        let e = logits.map { refExp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

@inline(__always) func refExp(_ x: Double) -> Double { exp(x) }

protocol RefPiece {
    mutating func apply(_ c: inout RefCandidates)
}

/// Divides logits by T (T > 0).
struct RefTemperature: RefPiece {
    var t: Float
    init(_ t: Float) { self.t = t }
    func apply(_ c: inout RefCandidates) {
        guard t != 1 else { return }
        for i in c.logits.indices { c.logits[i] /= t }
    }
}

/// Keeps the k most likely tokens (k ≤ 0 keeps all).
struct RefTopK: RefPiece {
    var k: Int
    init(_ k: Int) { self.k = k }
    func apply(_ c: inout RefCandidates) {
        guard k > 0, k < c.count else { return }
        c.sort()
        c.keepFirst(k)
    }
}

/// Keeps the smallest set of most likely tokens whose probability reaches p (p ≥ 1 keeps all).
struct RefTopP: RefPiece {
    var p: Double
    init(_ p: Double) { self.p = p }
    func apply(_ c: inout RefCandidates) {
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
struct RefMinP: RefPiece {
    var p: Double
    init(_ p: Double) { self.p = p }
    func apply(_ c: inout RefCandidates) {
        guard p > 0 else { return }
        c.sort()
        let probs = c.probabilities()
        let floor = probs[0] * p
        let n = probs.firstIndex { $0 < floor } ?? probs.count
        c.keepFirst(max(1, n))
    }
}

/// Picks the next token from a row of logits: greedy, or the chain then one draw from `rng`.
struct ReferenceSampler {
    let settings: SamplingSettings
    let pieces: [RefPiece]

    init(_ s: SamplingSettings) {
        settings = s
        var p: [RefPiece] = []
        if s.temperature > 0 && s.temperature != 1 { p.append(RefTemperature(Float(s.temperature))) }
        if s.topK > 0 { p.append(RefTopK(s.topK)) }
        if s.topP < 1 { p.append(RefTopP(s.topP)) }
        if s.minP > 0 { p.append(RefMinP(s.minP)) }
        pieces = p
    }

    func next(_ row: UnsafePointer<Float>, vocab: Int, allowed: Int? = nil, rng: inout SeededRandom) -> Int32 {
        let v = allowed ?? vocab
        if settings.isGreedy {
            var best = 0
            for i in 1..<v where row[i] > row[best] { best = i }
            return Int32(best)
        }
        var c = RefCandidates(logits: row, vocab: v)
        for var piece in pieces { piece.apply(&c) }
        return draw(c, &rng)
    }

    /// The chain for a given uniform number.
    func next(_ row: UnsafePointer<Float>, vocab: Int, u: Double) -> Int32 {
        var c = RefCandidates(logits: row, vocab: vocab)
        for var piece in pieces { piece.apply(&c) }
        return draw(c, u: u)
    }

    /// The candidates the chain keeps, in order.
    func survivors(_ row: UnsafePointer<Float>, vocab: Int) -> [Int32] {
        var c = RefCandidates(logits: row, vocab: vocab)
        for var piece in pieces { piece.apply(&c) }
        c.sort()
        return c.ids
    }

    /// One draw from the softmax of the candidates, walking them in sorted order so the result depends only
    /// on the candidates and the random number.
    func draw(_ cand: RefCandidates, _ rng: inout SeededRandom) -> Int32 { draw(cand, u: rng.unit()) }

    /// The draw for a given uniform number (tests reach the rare ends of the walk with it).
    func draw(_ cand: RefCandidates, u: Double) -> Int32 {
        var c = cand
        c.sort()
        let probs = c.probabilities()
        var acc = 0.0
        for i in 0..<probs.count {
            acc += probs[i]
            if u < acc { return c.ids[i] }
        }
        return c.ids[probs.count - 1]
    }
}

