import Foundation
import XCTest
import Eval
import Model
import Streams
import Tensor
import Train

// st-eval --loss against an independent computation: one example per forward pass with every next-token target,
// the NLL of each position taken from the logits in double precision, and the masking rules applied by hand.
final class LossTests: XCTestCase {
    var dir = ""
    let tok = ByteTokenizer.standard

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "losstests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let m = LlamaModel(config: LlamaConfig(vocabSize: 272, hiddenSize: 32, intermediateSize: 64, numLayers: 2,
                                               numHeads: 2, maxPositions: 128, tieWordEmbeddings: true))
        m.initialize(seed: 7)
        try m.save(directory: dir + "/model")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String, _ records: [JSONObject]) throws -> String {
        let path = dir + "/" + name
        let text = records.map { JSON.object($0).serialized() + "\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func measure(_ path: String, threads: Int = 1, context: Int = 64) throws -> LossResult {
        var o = LossOptions()
        o.context = context; o.batch = 2; o.threads = threads
        return try measureLoss(modelDirectory: dir + "/model", reader: try JSONLReader(paths: [path]), names: path, options: o)
    }

    /// Per-position NLL of predicting tokens[1...] from tokens[..<n-1], by a lone forward pass.
    func positionLosses(_ tokens: [Int32]) throws -> [Double] {
        let model = try LlamaModel.load(directory: dir + "/model")
        let T = tokens.count - 1
        let tr = LlamaTrainer(model: model, batch: 1, context: T)
        try tr.setBatch(tokens: Array(tokens[..<T]), targets: Array(tokens[1...]))
        tr.forward()
        let V = model.config.vocabSize
        return (0..<T).map { i in
            let row = tr.logitsPointer + i * V
            var mx = -Double.infinity
            for v in 0..<V { mx = max(mx, Double(row[v])) }
            var s = 0.0
            for v in 0..<V { s += exp(Double(row[v]) - mx) }
            return -(Double(row[Int(tokens[i + 1])]) - mx - log(s))
        }
    }

    func bytes(_ s: String) -> [Int32] { s.utf8.map { Int32($0) } }

    /// (sum of NLL, scored tokens) of a pair by hand: positions predicting the completion and <eos> only.
    func pairByHand(_ prompt: String, _ completion: String) throws -> (Double, Int) {
        let toks = [tok.bos] + bytes(prompt) + bytes(completion) + [tok.eos]
        let l = try positionLosses(toks)
        // position i predicts token i+1; the completion starts at token 1 + |prompt|
        let scored = l[prompt.utf8.count...]
        return (scored.reduce(0, +), scored.count)
    }

    func docByHand(_ text: String) throws -> (Double, Int) {
        let l = try positionLosses([tok.bos] + bytes(text) + [tok.eos])
        return (l.reduce(0, +), l.count)
    }

    func testPairScoresOnlyTheCompletion() throws {
        let (p, c) = ("Q: what is 2+3? ", "A: 5")
        let r = try measure(try file("pair.jsonl", [JSONObject([("prompt", JSON(p)), ("completion", JSON(c))])]))
        let (sum, n) = try pairByHand(p, c)
        XCTAssertEqual(r.tokens, c.utf8.count + 1)
        XCTAssertEqual(n, r.tokens)
        XCTAssertEqual(r.loss, sum / Double(n), accuracy: 1e-5)
        XCTAssertEqual(r.perplexity, exp(sum / Double(n)), accuracy: 1e-4)
        // scoring the prompt too would give another number: the masking is what is measured
        let (all, _) = try docByHand(p + c)
        XCTAssertGreaterThan(abs(all / Double(p.utf8.count + c.utf8.count + 1) - r.loss), 1e-3)
    }

    func testWeightsAndDocuments() throws {
        let recs = [
            JSONObject([("text", JSON("def f(x): return x * 2"))]),
            JSONObject([("prompt", JSON("n7=")), ("completion", JSON("21")), ("weight", JSON(3.0))]),
            JSONObject([("text", JSON("ignored")), ("weight", JSON(0.0))]),
        ]
        let r = try measure(try file("mixed.jsonl", recs))
        let (ds, dn) = try docByHand("def f(x): return x * 2")
        let (ps, pn) = try pairByHand("n7=", "21")
        XCTAssertEqual(r.tokens, dn + pn)
        XCTAssertEqual(r.weight, Double(dn) + 3 * Double(pn))
        XCTAssertEqual(r.loss, (ds + 3 * ps) / (Double(dn) + 3 * Double(pn)), accuracy: 1e-5)
        XCTAssertEqual(r.report.examples, 2)
        XCTAssertEqual(r.report.zeroWeight, 1)
    }

    func testTruncationFollowsTheContext() throws {
        let text = String(repeating: "abcdefgh", count: 10)   // 80 bytes + <bos> + <eos> > 33
        let r = try measure(try file("long.jsonl", [JSONObject([("text", JSON(text))])]), context: 32)
        XCTAssertEqual(r.report.truncated, 1)
        XCTAssertEqual(r.tokens, 32)
        let l = try positionLosses([tok.bos] + bytes(String(text.prefix(32))))
        XCTAssertEqual(r.loss, l.reduce(0, +) / 32, accuracy: 1e-5)
    }

    func testSameBitsForAnyThreadCount() throws {
        let recs = (0..<9).map { JSONObject([("prompt", JSON("x\($0) = ")), ("completion", JSON(String($0 * 7)))]) }
        let path = try file("many.jsonl", recs)
        let a = try measure(path, threads: 1), b = try measure(path, threads: 2)
        XCTAssertEqual(a.loss.bitPattern, b.loss.bitPattern)
    }

    func testBadInput() throws {
        let noComp = try file("nocomp.jsonl", [JSONObject([("text", JSON("ok"))]), JSONObject([("prompt", JSON("x"))])])
        XCTAssertThrowsError(try measure(noComp)) { e in
            XCTAssertTrue("\(e)".contains("nocomp.jsonl:2:") && "\(e)".contains("no 'completion'"), "\(e)")
        }
        var o = LossOptions()
        o.context = 16
        let ok = try file("ok.jsonl", [JSONObject([("text", JSON("ok"))])])
        XCTAssertThrowsError(try measureLoss(modelDirectory: dir + "/nothing", reader: try JSONLReader(paths: [ok]),
                                             names: ok, options: o)) { e in
            XCTAssertTrue("\(e)".contains("not a model directory"), "\(e)")
        }
        o.context = 4096
        XCTAssertThrowsError(try measureLoss(modelDirectory: dir + "/model", reader: try JSONLReader(paths: [ok]),
                                             names: ok, options: o)) { e in
            XCTAssertTrue("\(e)".contains("max_position_embeddings"), "\(e)")
        }
    }
}
