// Training objectives: how an example becomes the token sequence the model is trained on.
//
//   causal     the example as stored; loss on every token after <bos> (a document) or on the completion
//              and <eos> (a pair).
//   prefix-lm  the same tokens; the first P tokens attend to each other in both directions, the rest is causal,
//              loss only after the prefix. P is the prompt (with <bos>) of a pair, and a uniformly random cut
//              of a document (CodeGen2).
//   fim        infilling in CodeGen2's format: K spans are cut out of the body (of the completion, for a pair)
//              and the model learns to write them after the rest:
//                <bos> prefix <mask_1> suffix <eos> <sep> <mask_1> middle <eom>
//              and with K spans  <bos> a <mask_1> b <mask_2> c <eos> <sep> <mask_1> m1 <eom> <mask_2> m2 <eom>.
//              Loss on every token after <bos> (fim-loss all; a pair's prompt bytes never) or only on the
//              middles and their <eom> (fim-loss middle).
//              A model whose tokenizer has its own FIM tokens (StarCoder, SmolLM) uses them instead, in
//              StarCoder's prefix-suffix-middle order with one span:
//                <bos>? <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <eos>
//              Spans are cut at token boundaries (bytes, with the byte tokenizer). A conversation (messages)
//              is never cut: it trains causally on its assistant turns.
//
// Every random choice (which objective, where to cut) comes from a generator seeded by (seed, epoch, example),
// so the sequence of an example in an epoch never depends on what came before it (resumable, order-free).
import Model
import Streams

public enum Objective: String, CaseIterable, Sendable {
    case causal, prefixLM = "prefix-lm", fim
}

/// A per-example mixture of objectives, `causal:0.5,fim:0.5` (weights need not sum to 1).
public struct ObjectiveMix: Equatable, Sendable {
    public var parts: [(Objective, Double)]
    public init(_ parts: [(Objective, Double)]) { self.parts = parts }
    public static func == (a: ObjectiveMix, b: ObjectiveMix) -> Bool {
        a.parts.count == b.parts.count && zip(a.parts, b.parts).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public static func parse(_ text: String) throws -> ObjectiveMix {
        var parts: [(Objective, Double)] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let o = Objective(rawValue: String(kv[0]).trimmingSpaces()) else {
                throw ToolInputError("--objective: unknown objective '\(kv[0])' (causal, prefix-lm, fim)")
            }
            var w = 1.0
            if kv.count == 2 {
                guard let d = Double(String(kv[1]).trimmingSpaces()), d.isFinite, d >= 0 else {
                    throw ToolInputError("--objective: weight '\(kv[1])' of \(o.rawValue) is not a number ≥ 0")
                }
                w = d
            }
            if parts.contains(where: { $0.0 == o }) { throw ToolInputError("--objective: \(o.rawValue) given twice") }
            parts.append((o, w))
        }
        guard parts.contains(where: { $0.1 > 0 }) else { throw ToolInputError("--objective: every weight is 0") }
        return ObjectiveMix(parts)
    }

    public var description: String {
        parts.count == 1 ? parts[0].0.rawValue : parts.map { "\($0.0.rawValue):\($0.1)" }.joined(separator: ",")
    }

    func pick(_ u: Double) -> Objective {
        if parts.count == 1 { return parts[0].0 }
        let total = parts.reduce(0) { $0 + $1.1 }
        var x = u * total
        for (o, w) in parts where w > 0 { if x < w { return o }; x -= w }
        return parts.last { $0.1 > 0 }!.0
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

public enum FIMLoss: String, CaseIterable, Sendable { case all, middle }

public struct FIMOptions: Equatable, Sendable {
    /// number of spans cut out (each gets its own <mask_k>)
    public var spans = 1
    /// fraction of the body's bytes in the spans; 0 = span ends drawn uniformly at random
    public var rate = 0.0
    /// longest span in bytes (0 = no limit)
    public var maxSpan = 0
    public var loss = FIMLoss.all
    public init() {}
}

/// A transformed example: tokens, which of them are loss targets, and the bidirectional prefix length.
public struct TrainSequence: Equatable {
    public var tokens: [Int32] = []
    /// loss[k]: predicting tokens[k] (from tokens[..<k]) is trained; loss[0] is always false
    public var loss: [Bool] = []
    /// tokens [0, prefix) attend to each other in both directions (prefix-LM); 0 = causal
    public var prefix = 0
    public var weight: Float = 1
    public var objective = Objective.causal
    public init() {}
    /// Input positions this sequence takes in a window (targets are the next tokens).
    public var positions: Int { max(0, tokens.count - 1) }
}

/// Turns stored examples into training sequences.
public struct Transformer {
    public let store: ExampleStore
    public let mix: ObjectiveMix
    public let fim: FIMOptions
    public let seed: UInt64
    public let tokenizer: ModelTokenizer
    /// the model's own FIM tokens (nil: st's byte format with masks)
    let fimTokens: FIMTokens?

    public init(store: ExampleStore, mix: ObjectiveMix, fim: FIMOptions = FIMOptions(), seed: UInt64) {
        self.store = store; self.mix = mix; self.fim = fim; self.seed = seed; self.tokenizer = store.tokenizer
        fimTokens = store.tokenizer.fim
    }

    /// Tokens FIM adds to an example: 3 per span + <sep> and the closing <eos> (byte format), or the three
    /// FIM tokens and <eos> of the model's own format.
    var fimExtra: Int { fimTokens != nil ? 3 + 1 : 3 * fim.spans + 2 }

    func rng(epoch: Int, index: Int) -> SeededRandom {
        SeededRandom(seed: seed, stream: mix64(UInt64(epoch) &* 0x9E3779B97F4A7C15 ^ UInt64(index)) ^ 0x6F626A)
    }

    /// Number of input positions example `index` takes in `epoch` (without building it).
    public func positions(epoch: Int, index: Int) -> Int {
        var r = rng(epoch: epoch, index: index)
        let e = store.examples[index]
        let o = mix.pick(r.unit())
        if o == .fim, let n = fimLength(e) { return min(n, store.maxTokens) - 1 }
        return e.count - 1
    }

    /// FIM length of an example, nil when its body is too short for the spans.
    func fimLength(_ e: ExampleRef) -> Int? {
        if e.masked { return nil }
        let bos = e.bos ? 1 : 0
        let body = e.count - bos - (e.eos ? 1 : 0) - e.promptTokens
        let budgetBody = store.maxTokens - bos - e.promptTokens - fimExtra
        if min(body, budgetBody) < fim.spans { return nil }
        return bos + e.promptTokens + min(body, budgetBody) + fimExtra
    }

    /// Build the sequence of example `index` in `epoch` into `out` (reused buffers).
    public func build(epoch: Int, index: Int, into out: inout TrainSequence) {
        var r = rng(epoch: epoch, index: index)
        let e = store.examples[index]
        let o = mix.pick(r.unit())
        out.tokens.removeAll(keepingCapacity: true); out.loss.removeAll(keepingCapacity: true)
        out.prefix = 0; out.weight = e.weight; out.objective = o
        let toks = store.tokens(of: e)
        if o == .fim, fimLength(e) != nil {
            buildFIM(e, toks, &r, &out)
            return
        }
        out.objective = o == .fim ? .causal : o
        out.tokens.append(contentsOf: toks)
        var from = e.lossFrom
        if o == .prefixLM {
            if e.isPair { out.prefix = e.lossFrom }
            else if e.count >= 3 {
                // a document: the prefix is its first P tokens, P uniform in [1, count - 2] (at least one target)
                let p = 1 + Int(r.unit() * Double(e.count - 2))
                out.prefix = p; from = p
            }
            if out.prefix > out.tokens.count - 1 { out.prefix = out.tokens.count - 1 }
        }
        if e.masked {
            for k in 0..<out.tokens.count { out.loss.append(k >= max(1, from) && store.lossAllowed(e, k)) }
        } else {
            for k in 0..<out.tokens.count { out.loss.append(k >= max(1, from)) }
        }
    }

    func buildFIM(_ e: ExampleRef, _ toks: ArraySlice<Int32>, _ r: inout SeededRandom, _ out: inout TrainSequence) {
        let bos = e.bos ? 1 : 0
        let s = toks.startIndex
        var bodyEnd = e.count - (e.eos ? 1 : 0)            // token index (within the example) after the body
        let lo = bos + e.promptTokens                        // spans are cut from [lo, bodyEnd)
        let budgetBody = store.maxTokens - lo - fimExtra
        if bodyEnd - lo > budgetBody { bodyEnd = lo + budgetBody }
        let spans = cutSpans(lo: lo, hi: bodyEnd, &r)
        @inline(__always) func emit(_ t: Int32, _ loss: Bool) { out.tokens.append(t); out.loss.append(loss) }
        let all = fim.loss == .all
        // <bos> prompt (never trained) and the body with each span replaced by its mask
        for k in 0..<lo { emit(toks[s + k], k >= max(1, e.lossFrom) && all) }
        if let f = fimTokens {
            // <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <eos>
            let sp = spans[0]
            emit(f.prefix, all)
            for k in lo..<sp.lowerBound { emit(toks[s + k], all) }
            emit(f.suffix, all)
            for k in sp.upperBound..<bodyEnd { emit(toks[s + k], all) }
            emit(f.middle, all)
            for k in sp { emit(toks[s + k], true) }
            emit(tokenizer.eos[0], true)
            if !out.loss.isEmpty { out.loss[0] = false }
            return
        }
        let byte = tokenizer.byte!
        var pos = lo
        for (i, sp) in spans.enumerated() {
            for k in pos..<sp.lowerBound { emit(toks[s + k], all) }
            emit(byte.mask(i + 1), all)
            pos = sp.upperBound
        }
        for k in pos..<bodyEnd { emit(toks[s + k], all) }
        emit(byte.eos, all)
        emit(byte.sep, all)
        for (i, sp) in spans.enumerated() {
            emit(byte.mask(i + 1), all && i > 0)   // <mask_1> after <sep> is given at inference
            for k in sp { emit(toks[s + k], true) }
            emit(byte.eom, true)
        }
        if !out.loss.isEmpty { out.loss[0] = false }
    }

    /// K non-overlapping spans inside [lo, hi), in order.
    func cutSpans(lo: Int, hi: Int, _ r: inout SeededRandom) -> [Range<Int>] {
        let K = fim.spans, n = hi - lo
        var spans: [Range<Int>] = []
        if fim.rate > 0 {
            let total = min(n, max(K, Int((fim.rate * Double(n)).rounded())))
            var lens = (0..<K).map { total / K + ($0 < total % K ? 1 : 0) }
            if fim.maxSpan > 0 { lens = lens.map { min($0, fim.maxSpan) } }
            let free = n - lens.reduce(0, +)
            var gaps = (0..<K).map { _ in Int(r.unit() * Double(free + 1)) }
            gaps.sort()
            var used = 0
            for i in 0..<K {
                let start = lo + gaps[i] + used
                spans.append(start ..< start + lens[i])
                used += lens[i]
            }
        } else {
            var cuts = (0..<(2 * K)).map { _ in lo + Int(r.unit() * Double(n + 1)) }
            cuts.sort()
            for i in 0..<K {
                var end = cuts[2 * i + 1]
                if fim.maxSpan > 0 { end = min(end, cuts[2 * i] + fim.maxSpan) }
                spans.append(cuts[2 * i] ..< end)
            }
        }
        return spans
    }
}
