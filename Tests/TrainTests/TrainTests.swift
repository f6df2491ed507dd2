import Foundation
import XCTest
import Model
import Streams
import Tensor
import Train

final class TrainTests: XCTestCase {
    let tok = ByteTokenizer.standard

    func tinyConfig(context: Int = 32) -> LlamaConfig {
        LlamaConfig(vocabSize: 272, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2,
                    maxPositions: context, tieWordEmbeddings: true)
    }

    func store(_ items: [(String?, String?, String?)], context: Int, long: LongPolicy = .truncate) throws -> ExampleStore {
        let s = ExampleStore(tokenizer: tok, context: context, long: long)
        for (t, p, c) in items { try s.add(text: t, prompt: p, completion: c, weight: 1) }
        return s
    }

    func core(_ s: ExampleStore, mix: ObjectiveMix = ObjectiveMix([(.causal, 1)]), fim: FIMOptions = FIMOptions(),
              B: Int = 4, T: Int = 32, accum: Int = 1, seed: UInt64 = 1, initSeed: UInt64? = nil, shuffle: Bool = true,
              maxEpochs: Int? = nil) -> TrainCore {
        let m = LlamaModel(config: tinyConfig(context: T))
        m.initialize(seed: initSeed ?? seed)
        let p = Packer(transformer: Transformer(store: s, mix: mix, fim: fim, seed: seed), context: T, shuffle: shuffle,
                       maxEpochs: maxEpochs)
        return TrainCore(model: m, packer: p, batch: B, accum: accum)
    }

    /// -log softmax(logits[i])[target], in double precision.
    func nll(_ c: TrainCore, _ i: Int, _ target: Int32) -> Double {
        let V = c.model.config.vocabSize
        let row = c.trainer.logitsPointer + i * V
        var mx = -Double.infinity
        for v in 0..<V { mx = max(mx, Double(row[v])) }
        var s = 0.0
        for v in 0..<V { s += exp(Double(row[v]) - mx) }
        return -(Double(row[Int(target)]) - mx - log(s))
    }

    // A tiny model learns a toy mapping (digit -> letter) to near-zero loss in a few seconds.
    func testLearnsToyMapping() throws {
        let letters = Array("qwertyuiop")
        let pairs = (0..<10).map { (nil as String?, "map \($0) ->" as String?, " \(letters[$0])" as String?) }
        let s = try store(pairs, context: 32)
        let c = core(s, B: 4, T: 32)
        var last = 0.0
        let start = Date()
        let sched = LRSchedule.cosine(lr: 1e-2, warmup: 10, totalSteps: 600, minLR: 1e-3)
        for step in 0..<600 { last = try c.trainStep(lr: Float(sched.lr(at: step))).loss }
        XCTAssertLessThan(last, 0.05, "final loss \(last)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    // Completion-only loss: prompt positions have no target and zero weight; the loss is the mean NLL of the
    // completion tokens (and <eos>) alone.
    func testCompletionOnlyGivesPromptZeroWeight() throws {
        let s = try store([(nil, "Q: 2+3?", " A: 5")], context: 32)
        let c = core(s, B: 1, T: 32, shuffle: false, maxEpochs: 1)
        var row = Row(T: 32)
        XCTAssertTrue(c.packer.fill(&row))
        let e = s.examples[0]
        XCTAssertEqual(e.lossFrom, 1 + 7)
        let n = e.count - 1
        for j in 0..<n {
            if j + 1 < e.lossFrom { XCTAssertEqual(row.targets[j], -1, "prompt position \(j)"); XCTAssertEqual(row.weights[j], 0) }
            else { XCTAssertGreaterThanOrEqual(row.targets[j], 0); XCTAssertEqual(row.weights[j], 1) }
        }
        XCTAssertEqual(row.lossPositions, 5 + 1)   // " A: 5" and <eos>
        XCTAssertEqual(row.targets[n - 1], tok.eos)
        c.load([row])
        let loss = c.trainer.forward()
        var manual = 0.0
        for j in (e.lossFrom - 1)..<n { manual += nll(c, j, row.targets[j]) }
        manual /= Double(n - e.lossFrom + 1)
        XCTAssertEqual(loss, manual, accuracy: 1e-4 * max(1, manual))
        // gradient check of "zero weight": changing a prompt token's target never enters the loss
        let before = c.trainer.forward()
        c.trainer.targets[0] = 42; c.trainer.weights[0] = 0
        XCTAssertEqual(c.trainer.forward(), before)
    }

    // Packed examples cannot see each other: changing the second leaves the first's per-token losses unchanged,
    // and positions restart at 0.
    func testPackedExamplesAreIsolated() throws {
        func losses(_ second: String) throws -> ([Double], Row) {
            let s = try store([("first document", nil, nil), (second, nil, nil)], context: 64)
            let c = core(s, B: 1, T: 64, shuffle: false, maxEpochs: 1)
            var row = Row(T: 64)
            c.packer.fill(&row)
            XCTAssertEqual(row.examples, 2)
            c.load([row])
            c.trainer.forward()
            let n = s.examples[0].count - 1
            return ((0..<n).map { nll(c, $0, row.targets[$0]) }, row)
        }
        let (a, row) = try losses("second one")
        let (b, _) = try losses("a different and longer second document")
        XCTAssertEqual(a, b)
        let n1 = 1 + 14 + 1 - 1
        XCTAssertEqual(row.positions[n1 - 1], Int32(n1 - 1))
        XCTAssertEqual(row.positions[n1], 0)
        XCTAssertEqual(row.tokens[n1], tok.bos)
        XCTAssertEqual(row.segments[n1 - 1], 0); XCTAssertEqual(row.segments[n1], 1)
        // the last token of the first example has no target (it would cross into the next)
        XCTAssertEqual(row.targets[n1 - 1], tok.eos)
    }

    // Prefix-LM: a pair's prompt is the bidirectional prefix and carries no loss; a document gets a random cut.
    func testPrefixLMLayout() throws {
        let s = try store([(nil, "abcd", "xyz"), ("hello world", nil, nil)], context: 32)
        let tr = Transformer(store: s, mix: ObjectiveMix([(.prefixLM, 1)]), seed: 3)
        var q = TrainSequence()
        tr.build(epoch: 0, index: 0, into: &q)
        XCTAssertEqual(q.tokens, tok.encode("abcdxyz", bos: true, eos: true))
        XCTAssertEqual(q.prefix, 5)
        XCTAssertEqual(q.loss, [false, false, false, false, false, true, true, true, true])
        tr.build(epoch: 0, index: 1, into: &q)
        XCTAssertGreaterThanOrEqual(q.prefix, 1)
        for k in 0..<q.tokens.count { XCTAssertEqual(q.loss[k], k >= q.prefix && k >= 1) }
        // attention ranges: prompt tokens see the whole prompt, completion tokens are causal
        let c = core(s, mix: ObjectiveMix([(.prefixLM, 1)]), B: 1, T: 32, shuffle: false, maxEpochs: 1)
        var row = Row(T: 32)
        c.packer.fill(&row)
        c.load([row])
        for t in 0..<5 { XCTAssertEqual(c.trainer.kvStart[t], 0); XCTAssertEqual(c.trainer.kvEnd[t], 5) }
        for t in 5..<8 { XCTAssertEqual(c.trainer.kvEnd[t], Int32(t + 1)) }
        // the second example starts its own block
        XCTAssertEqual(c.trainer.kvStart[8], 8)
    }

    // FIM: <bos> prefix <mask_1> suffix <eos> <sep> <mask_1> middle <eom>, pieces reassembling the document.
    func testFIMLayout() throws {
        let text = "def f(x):\n    return x + 1\n"
        let s = try store([(text, nil, nil)], context: 128)
        for spans in [1, 2] {
            var opts = FIMOptions(); opts.spans = spans
            for seed in 0..<20 as Range<UInt64> {
                let tr = Transformer(store: s, mix: ObjectiveMix([(.fim, 1)]), fim: opts, seed: seed)
                var q = TrainSequence()
                tr.build(epoch: 0, index: 0, into: &q)
                XCTAssertEqual(q.objective, .fim)
                XCTAssertEqual(q.tokens.count, 1 + text.utf8.count + 3 * spans + 2)
                XCTAssertEqual(tr.positions(epoch: 0, index: 0), q.tokens.count - 1)
                XCTAssertEqual(q.tokens[0], tok.bos)
                let eos = q.tokens.firstIndex(of: tok.eos)!, sep = q.tokens.firstIndex(of: tok.sep)!
                XCTAssertEqual(sep, eos + 1)
                XCTAssertEqual(q.tokens.last, tok.eom)
                // split the head at the masks and the tail into middles
                var pieces: [[Int32]] = [[]]
                for t in q.tokens[1..<eos] { if t >= tok.mask(1) { pieces.append([]) } else { pieces[pieces.count - 1].append(t) } }
                XCTAssertEqual(pieces.count, spans + 1)
                var middles: [[Int32]] = []
                var k = sep + 1
                for i in 1...spans {
                    XCTAssertEqual(q.tokens[k], tok.mask(i)); k += 1
                    var m: [Int32] = []
                    while q.tokens[k] != tok.eom { m.append(q.tokens[k]); k += 1 }
                    middles.append(m); k += 1
                }
                var whole: [Int32] = pieces[0]
                for i in 0..<spans { whole += middles[i] + pieces[i + 1] }
                XCTAssertEqual(tok.decode(whole), text)
                // loss all: every token after <bos> except the <mask_1> the prompt gives after <sep>
                for j in 0..<q.tokens.count { XCTAssertEqual(q.loss[j], j >= 1 && j != sep + 1, "token \(j)") }
            }
        }
        // middle-only loss, and a pair keeps its prompt out of the spans and the loss
        var opts = FIMOptions(); opts.loss = .middle; opts.rate = 0.3
        let p = try store([(nil, "PROMPT", "completion text here")], context: 128)
        let tr = Transformer(store: p, mix: ObjectiveMix([(.fim, 1)]), fim: opts, seed: 5)
        var q = TrainSequence()
        tr.build(epoch: 0, index: 0, into: &q)
        XCTAssertEqual(Array(q.tokens[0..<7]), tok.encode("PROMPT", bos: true))
        let sep = q.tokens.firstIndex(of: tok.sep)!
        for j in 0...sep { XCTAssertFalse(q.loss[j]) }
        XCTAssertFalse(q.loss[sep + 1])
        for j in (sep + 2)..<q.tokens.count { XCTAssertTrue(q.loss[j]) }
        XCTAssertEqual(q.tokens.count - sep - 3, 6)   // 30% of 20 bytes
    }

    // Interrupting and resuming from a saved state gives bitwise the same weights and moments.
    func testResumeIsBitwiseIdentical() throws {
        let docs = (0..<40).map { ("document number \($0) with some words \($0 * 7)" as String?, nil as String?, nil as String?) }
        let s = try store(docs, context: 32)
        let mix = try ObjectiveMix.parse("causal:0.5,fim:0.3,prefix-lm:0.2")
        let a = core(s, mix: mix, B: 2, T: 32, accum: 2)
        for i in 0..<6 { _ = try a.trainStep(lr: Float(1e-3 * Double(i + 1))) }
        let b = core(s, mix: mix, B: 2, T: 32, accum: 2)
        for i in 0..<3 { _ = try b.trainStep(lr: Float(1e-3 * Double(i + 1))) }
        let dir = NSTemporaryDirectory() + "st-train-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try b.saveState(dir, packerState: b.packer.state, extra: JSONObject())
        let c = core(s, mix: mix, B: 2, T: 32, accum: 2, initSeed: 99)   // other init: the state must overwrite it
        _ = try c.loadState(dir)
        XCTAssertEqual(c.step, 3)
        for i in 3..<6 { _ = try c.trainStep(lr: Float(1e-3 * Double(i + 1))) }
        XCTAssertTrue(a.model.params.array == c.model.params.array, "weights differ")
        XCTAssertTrue(a.trainer.m.array == c.trainer.m.array, "first moments differ")
        XCTAssertTrue(a.trainer.v.array == c.trainer.v.array, "second moments differ")
        XCTAssertTrue(a.packer.state == c.packer.state, "data positions differ")
        XCTAssertFalse(a.model.params.array == b.model.params.array)
    }

    // Same data and seed give the same weights for 1 or 2 threads.
    func testThreadCountDoesNotChangeWeights() throws {
        let docs = (0..<20).map { ("text \($0) " + String(repeating: "ab", count: $0), nil as String?, nil as String?) }
        let s = try store(docs, context: 32)
        defer { Threads.set(2) }
        var results: [[Float]] = []
        for t in [1, 2] {
            Threads.set(t)
            let c = core(s, B: 2, T: 32)
            for _ in 0..<3 { _ = try c.trainStep(lr: 1e-3) }
            results.append(c.model.params.array)
        }
        XCTAssertTrue(results[0] == results[1], "weights differ between 1 and 2 threads")
    }

    // Packing fills rows with whole examples; padding puts one per row; epochs end when the data is used up.
    func testPackingAndPadding() throws {
        let docs = (0..<10).map { ("x" + String(repeating: "y", count: $0), nil as String?, nil as String?) }
        let s = try store(docs, context: 16)
        let tr = Transformer(store: s, mix: ObjectiveMix([(.causal, 1)]), seed: 1)
        let packed = Packer(transformer: tr, context: 16, pack: true, maxEpochs: 1)
        let padded = Packer(transformer: tr, context: 16, pack: false, maxEpochs: 1)
        XCTAssertEqual(padded.countRows(), 10)
        let rows = packed.countRows()
        XCTAssertLessThan(rows, 10)
        var row = Row(T: 16), seen = 0, n = 0
        while packed.fill(&row) { seen += row.examples; n += 1; XCTAssertLessThanOrEqual(row.usedPositions, 16) }
        XCTAssertEqual(seen, 10); XCTAssertEqual(n, rows)
        XCTAssertTrue(packed.exhausted)
    }

    func testBadExamples() throws {
        let s = ExampleStore(tokenizer: tok, context: 16)
        XCTAssertThrowsError(try s.add(text: nil, prompt: "p", completion: nil, weight: 1))
        XCTAssertThrowsError(try s.add(text: nil, prompt: "p", completion: "", weight: 1))
        XCTAssertThrowsError(try s.add(text: nil, prompt: nil, completion: nil, weight: 1))
        XCTAssertThrowsError(try s.add(text: "t", prompt: nil, completion: nil, weight: -1))
        try s.add(text: String(repeating: "z", count: 40), prompt: nil, completion: nil, weight: 1)
        XCTAssertEqual(s.report.truncated, 1)
        XCTAssertEqual(s.examples[0].count, 17)
        try s.add(text: nil, prompt: String(repeating: "p", count: 20), completion: "c", weight: 1)
        XCTAssertEqual(s.report.skippedNoLoss, 1)
        XCTAssertThrowsError(try ObjectiveMix.parse("causal:0.5,bogus:1"))
        XCTAssertThrowsError(try ObjectiveMix.parse("causal:0"))
        XCTAssertEqual(try ObjectiveMix.parse("causal:0.5,fim:0.5").parts.map { $0.0 }, [.causal, .fim])
    }

    // A NaN loss stops the step before the weights change.
    func testNonFiniteLossLeavesWeights() throws {
        let s = try store([("some text to learn", nil, nil)], context: 32)
        let c = core(s, B: 1, T: 32)
        _ = try c.trainStep(lr: 1e-3)
        c.model.params[c.model.embed + Int(tok.bos) * 32 + 3] = .nan
        let before = c.model.params.array
        XCTAssertThrowsError(try c.trainStep(lr: 1e-3)) { e in XCTAssertTrue(e is NonFiniteLoss, "\(e)") }
        XCTAssertTrue(c.model.params.array.map(\.bitPattern) == before.map(\.bitPattern), "weights changed")
        XCTAssertEqual(c.step, 1)
    }

    // For every objective, example kind and length (truncated ones included), the length the packer plans with is
    // the length built, it fits the window, and no prompt token or <bos> is ever a target.
    func testSequenceLengthsAgreeWithPlan() throws {
        var r = SeededRandom(seed: 7)
        let s = ExampleStore(tokenizer: tok, context: 24)
        for i in 0..<300 {
            let n = 1 + Int(r.next() % 40)
            let body = String((0..<n).map { _ in Character(UnicodeScalar(97 + UInt8(r.next() % 26))) })
            if i % 2 == 0 { try s.add(text: body, prompt: nil, completion: nil, weight: 1) }
            else { try s.add(text: nil, prompt: String(body.prefix(5)), completion: body, weight: 1) }
        }
        for spans in [1, 3] {
            var f = FIMOptions(); f.spans = spans; f.rate = spans == 3 ? 0.2 : 0
            let tr = Transformer(store: s, mix: try ObjectiveMix.parse("causal,prefix-lm,fim"), fim: f, seed: 11)
            var q = TrainSequence()
            for epoch in 0..<3 {
                for i in 0..<s.count {
                    tr.build(epoch: epoch, index: i, into: &q)
                    XCTAssertEqual(tr.positions(epoch: epoch, index: i), q.positions)
                    XCTAssertLessThanOrEqual(q.positions, 24)
                    XCTAssertEqual(q.loss.count, q.tokens.count)
                    XCTAssertFalse(q.loss[0])
                    XCTAssertTrue(q.loss.contains(true), "example \(i) has no loss token")
                    let e = s.examples[i]
                    if e.isPair { for k in 0..<e.lossFrom where k < q.tokens.count { XCTAssertFalse(q.loss[k]) } }
                    for k in 0..<q.prefix { XCTAssertFalse(q.loss[k]) }
                }
            }
        }
    }

    // Per-example weights: the loss is Σ w·nll / Σ w over the loss tokens of the batch.
    func testExampleWeights() throws {
        let s = ExampleStore(tokenizer: tok, context: 64)
        try s.add(text: "heavy example", prompt: nil, completion: nil, weight: 2.5)
        try s.add(text: nil, prompt: "light ", completion: "one", weight: 0.5)
        try s.add(text: "dropped", prompt: nil, completion: nil, weight: 0)
        XCTAssertEqual(s.count, 2); XCTAssertEqual(s.report.zeroWeight, 1)
        let c = core(s, B: 1, T: 64, shuffle: false, maxEpochs: 1)
        var row = Row(T: 64)
        c.packer.fill(&row)
        XCTAssertEqual(row.examples, 2)
        c.load([row])
        let loss = c.trainer.forward()
        var num = 0.0, den = 0.0
        for j in 0..<64 where row.targets[j] >= 0 {
            num += Double(row.weights[j]) * nll(c, j, row.targets[j]); den += Double(row.weights[j])
        }
        XCTAssertEqual(den, 2.5 * 14 + 0.5 * 4, accuracy: 1e-9)   // 13 bytes + <eos>; 3 bytes + <eos>
        XCTAssertEqual(loss, num / den, accuracy: 1e-4 * max(1, loss))
    }
}
