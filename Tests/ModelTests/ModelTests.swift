import XCTest
import Foundation
import Base
import Model
import Tensor

func tinyConfig(tied: Bool = true) -> LlamaConfig {
    LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4, numKVHeads: 2,
                maxPositions: 64, ropeTheta: 1000, rmsNormEps: 1e-5, tieWordEmbeddings: tied)
}

func tempDir(_ name: String) -> String {
    let d = NSTemporaryDirectory() + "st-model-tests-\(getpid())-\(name)"
    try? FileManager.default.removeItem(atPath: d)
    return d
}

final class ModelTests: XCTestCase {
    func randomBatch(_ B: Int, _ T: Int, _ V: Int, seed: UInt64) -> ([Int32], [Int32]) {
        var r = SplitMix64(seed: seed)
        let tok = (0..<B * T).map { _ in Int32(r.next() % UInt64(V)) }
        var tgt = (0..<B * T).map { _ in Int32(r.next() % UInt64(V)) }
        tgt[1] = -1
        return (tok, tgt)
    }

    /// Whole-model gradient against central finite differences (double-precision loss differences).
    func checkModelGradient(tied: Bool, segments: [Int32]?, prefix: [UInt8]?, headRows: Int? = nil) throws {
        let c = tinyConfig(tied: tied)
        let model = LlamaModel(config: c)
        model.initialize(seed: 1, std: 0.3)
        let (B, T) = (2, 6)
        let tr = LlamaTrainer(model: model, batch: B, context: T, headRows: headRows)
        let (tok, tgt) = randomBatch(B, T, c.vocabSize, seed: 2)
        let w: [Float] = (0..<B * T).map { Float($0 % 3) * 0.5 + 0.25 }
        try tr.setBatch(tokens: tok, targets: tgt, weights: w, segments: segments, prefix: prefix)
        tr.zeroGrad()
        _ = tr.forwardBackward()
        var worst = 0.0
        var rng = SplitMix64(seed: 9)
        for t in model.layout.tensors {
            for _ in 0..<6 {
                let i = Int(rng.next() % UInt64(t.count))
                let ptr = t.ptr(model.params) + i
                let orig = ptr.pointee, h: Float = 1e-2
                ptr.pointee = orig + h; let lp = tr.forward()
                ptr.pointee = orig - h; let lm = tr.forward()
                ptr.pointee = orig
                let numeric = (lp - lm) / (2 * Double(h)), analytic = Double(t.ptr(tr.grads)[i])
                let err = abs(numeric - analytic) / max(0.02, abs(numeric), abs(analytic))
                worst = max(worst, err)
                XCTAssertLessThan(err, 2e-2, "\(t.name)[\(i)]: analytic \(analytic) numeric \(numeric)")
            }
        }
        XCTAssertLessThan(worst, 2e-2)
    }

    func testGradientCausalTied() throws { try checkModelGradient(tied: true, segments: nil, prefix: nil) }
    /// The head in chunks of 5 of the 12 rows (5, 5, 2), as a 49k vocabulary runs it.
    func testGradientChunkedHead() throws { try checkModelGradient(tied: true, segments: nil, prefix: nil, headRows: 5) }

    /// Chunking the head changes the loss and the gradients only by rounding (the chunks' products may take
    /// other kernels, and they add up the head's weight gradient chunk by chunk); forward without kept logits
    /// gives the same loss bits when the chunks are the same.
    func testChunkedHeadMatchesOneChunk() throws {
        let c = tinyConfig(tied: true)
        let model = LlamaModel(config: c)
        model.initialize(seed: 3, std: 0.3)
        let (B, T) = (2, 8)
        let (tok, tgt) = randomBatch(B, T, c.vocabSize, seed: 4)
        func run(_ rows: Int?) throws -> (Double, Double, Double, [Float]) {
            let tr = LlamaTrainer(model: model, batch: B, context: T, headRows: rows)
            try tr.setBatch(tokens: tok, targets: tgt)
            tr.zeroGrad()
            let l = tr.forwardBackward()
            return (l, tr.forward(), tr.forward(keepLogits: false), tr.grads.array)
        }
        let (l1, f1, n1, g1) = try run(nil), (l3, f3, n3, g3) = try run(3)
        XCTAssertEqual(f1, n1)
        for (x, y) in [(l1, l3), (f1, f3), (n1, n3)] { XCTAssertEqual(x, y, accuracy: 1e-6 * abs(x)) }
        for i in g1.indices { XCTAssertEqual(g1[i], g3[i], accuracy: 1e-5 * max(1, abs(g1[i]))) }
    }
    func testGradientPackedPrefixUntied() throws {
        try checkModelGradient(tied: false, segments: [0, 0, 0, 1, 1, 1, 3, 3, 4, 4, 4, 4],
                               prefix: [1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0])
    }

    /// Packed documents cannot see each other: a document's logits are those it has alone in its own row.
    func testPackedDocumentsAreIsolated() throws {
        let c = tinyConfig()
        let model = LlamaModel(config: c)
        model.initialize(seed: 4, std: 0.2)
        let T = 8
        let docA: [Int32] = [1, 2, 3], docB: [Int32] = [7, 8, 9, 10, 11]
        let packed = LlamaTrainer(model: model, batch: 1, context: T)
        try packed.setBatch(tokens: docA + docB, targets: [Int32](repeating: 0, count: T), segments: [0, 0, 0, 1, 1, 1, 1, 1])
        packed.forward()
        let alone = LlamaTrainer(model: model, batch: 1, context: T)
        try alone.setBatch(tokens: docB + [0, 0, 0], targets: [Int32](repeating: 0, count: T))
        alone.forward()
        let V = c.vocabSize
        for t in 0..<docB.count { for v in 0..<V {
            XCTAssertEqual(packed.logitsPointer[(3 + t) * V + v], alone.logitsPointer[t * V + v], accuracy: 1e-5)
        } }
        // changing document A leaves B untouched
        try packed.setBatch(tokens: [5, 5, 5] + docB, targets: [Int32](repeating: 0, count: T), segments: [0, 0, 0, 1, 1, 1, 1, 1])
        packed.forward()
        for t in 0..<docB.count { XCTAssertEqual(packed.logitsPointer[(3 + t) * V], alone.logitsPointer[t * V], accuracy: 1e-5) }
    }

    /// Prefix-LM: a prefix token sees later prefix tokens; tokens after the prefix are causal.
    func testPrefixLMSeesAhead() throws {
        let c = tinyConfig()
        let model = LlamaModel(config: c)
        model.initialize(seed: 5, std: 0.2)
        let tr = LlamaTrainer(model: model, batch: 1, context: 4)
        let V = c.vocabSize
        func logits(_ tok: [Int32], _ prefix: [UInt8]?) throws -> [Float] {
            try tr.setBatch(tokens: tok, targets: [0, 0, 0, 0], prefix: prefix)
            tr.forward()
            return Array(UnsafeBufferPointer(start: tr.logitsPointer, count: 4 * V))
        }
        let a = try logits([1, 2, 3, 4], [1, 1, 0, 0]), b = try logits([1, 9, 3, 4], [1, 1, 0, 0])
        XCTAssertNotEqual(Array(a[0..<V]), Array(b[0..<V]), "token 0 must see prefix token 1")
        let c1 = try logits([1, 2, 3, 4], nil), c2 = try logits([1, 2, 3, 9], nil)
        XCTAssertEqual(Array(c1[0..<3 * V]), Array(c2[0..<3 * V]), "causal rows must not see the future")
        let d1 = try logits([1, 2, 3, 4], [1, 1, 0, 0]), d2 = try logits([1, 2, 3, 9], [1, 1, 0, 0])
        XCTAssertEqual(Array(d1[0..<3 * V]), Array(d2[0..<3 * V]), "after the prefix attention is causal")
    }

    func testTrainingLearnsAndIsDeterministic() throws {
        func run(threads: Int) throws -> ([Float], Double) {
            Threads.set(threads)
            defer { Threads.set(Threads.cores) }
            let c = tinyConfig()
            let model = LlamaModel(config: c)
            model.initialize(seed: 11)
            let tr = LlamaTrainer(model: model, batch: 2, context: 8)
            let tok: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1]
            var tgt = Array(tok.dropFirst()) + [9]
            tgt[7] = -1
            try tr.setBatch(tokens: tok, targets: tgt)
            adamLoop: for _ in 0..<150 { _ = tr.trainStep(lr: 3e-2, clip: 1) }
            let loss = tr.forward()
            return (model.params.array, loss)
        }
        let (p1, l1) = try run(threads: 1)
        let (p2, l2) = try run(threads: 2)
        XCTAssertLessThan(l1, 0.1, "tiny model should memorise two sequences")
        XCTAssertEqual(l1, l2)
        XCTAssertEqual(p1, p2, "weights must be bitwise identical for any thread count")
    }

    /// Large enough that matrix multiplies are split across threads: still bitwise identical.
    func testDeterministicWithSplitMatmuls() throws {
        func run(threads: Int) throws -> [Float] {
            Threads.set(threads)
            defer { Threads.set(Threads.cores) }
            let c = LlamaConfig(vocabSize: 272, hiddenSize: 64, intermediateSize: 160, numLayers: 1, numHeads: 4,
                                numKVHeads: 2, maxPositions: 128)
            let model = LlamaModel(config: c)
            model.initialize(seed: 12)
            let tr = LlamaTrainer(model: model, batch: 4, context: 64)
            var r = SplitMix64(seed: 3)
            let tok = (0..<256).map { _ in Int32(r.next() % 272) }
            try tr.setBatch(tokens: tok, targets: Array(tok.dropFirst()) + [-1])
            for _ in 0..<3 { _ = tr.trainStep(lr: 1e-3, clip: 1) }
            return model.params.array
        }
        let a = try run(threads: 1), b = try run(threads: 2), c = try run(threads: 3)
        XCTAssertTrue(a == b && a == c, "weights differ between thread counts")
    }

    func testSaveLoadRoundTrip() throws {
        for tied in [true, false] {
            let model = LlamaModel(config: tinyConfig(tied: tied))
            model.initialize(seed: 3)
            let dir = tempDir("rt\(tied)")
            try model.save(directory: dir)
            let back = try LlamaModel.load(directory: dir)
            XCTAssertEqual(back.config.tieWordEmbeddings, tied)
            XCTAssertEqual(back.params.array, model.params.array)
            let st = try SafetensorsFile(path: dir + "/model.safetensors")
            XCTAssertEqual(st.entries["lm_head.weight"] != nil, !tied)
            XCTAssertEqual(st.entries["model.layers.1.self_attn.k_proj.weight"]?.shape, [8, 16])
            // BF16
            try model.save(directory: dir, dtype: .bf16)
            let b16 = try LlamaModel.load(directory: dir)
            for (x, y) in zip(b16.params.array, model.params.array) { XCTAssertEqual(x, y, accuracy: abs(y) / 128 + 1e-30) }
            XCTAssertEqual(try ByteTokenizer.load(directory: dir), .standard)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Save weights + optimizer state mid-run, resume in a fresh trainer: bitwise the uninterrupted run.
    func testResumeIsBitwiseIdentical() throws {
        let c = tinyConfig()
        let tok: [Int32] = (0..<16).map { Int32($0 * 7 % 40) }
        let tgt = Array(tok.dropFirst()) + [-1]
        func trainer(_ m: LlamaModel) throws -> LlamaTrainer {
            let tr = LlamaTrainer(model: m, batch: 2, context: 8)
            try tr.setBatch(tokens: tok, targets: tgt)
            return tr
        }
        let m1 = LlamaModel(config: c); m1.initialize(seed: 8)
        let t1 = try trainer(m1)
        for _ in 0..<6 { _ = t1.trainStep(lr: 1e-2) }
        let m2 = LlamaModel(config: c); m2.initialize(seed: 8)
        let t2 = try trainer(m2)
        for _ in 0..<3 { _ = t2.trainStep(lr: 1e-2) }
        let dir = tempDir("resume")
        try m2.save(directory: dir)
        try t2.saveOptimizerState(dir + "/optimizer.safetensors")
        let m3 = try LlamaModel.load(directory: dir)
        let t3 = try trainer(m3)
        try t3.loadOptimizerState(dir + "/optimizer.safetensors")
        XCTAssertEqual(t3.step, 3)
        for _ in 0..<3 { _ = t3.trainStep(lr: 1e-2) }
        XCTAssertTrue(m3.params.array == m1.params.array)
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testBadModelDirectories() throws {
        let dir = tempDir("bad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { XCTAssert("\($0)".contains("no config.json")) }
        let model = LlamaModel(config: tinyConfig(tied: false))
        try model.save(directory: dir)
        var other = tinyConfig(tied: false); other.intermediateSize = 32
        try other.json().write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { XCTAssert("\($0)".contains("shape"), "\($0)") }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testConfigParsing() throws {
        let hf5 = """
        {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
         "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":300,"max_position_embeddings":512,
         "rope_parameters":{"rope_type":"default","rope_theta":500000.0},"rms_norm_eps":1e-06,"tie_word_embeddings":false}
        """
        let c = try LlamaConfig.parse(Data(hf5.utf8))
        XCTAssertEqual(c.ropeTheta, 500000); XCTAssertEqual(c.headDim, 16); XCTAssertEqual(c.numKVHeads, 2)
        XCTAssertFalse(c.tieWordEmbeddings); XCTAssertEqual(c.rmsNormEps, 1e-6)
        XCTAssertEqual(try LlamaConfig.parse(Data(c.json().utf8)), c)
        let old = hf5.replacingOccurrences(of: "\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":500000.0}", with: "\"rope_theta\":250000")
        XCTAssertEqual(try LlamaConfig.parse(Data(old.utf8)).ropeTheta, 250000)
        let noTie = hf5.replacingOccurrences(of: ",\"tie_word_embeddings\":false", with: "")
        XCTAssertFalse(try LlamaConfig.parse(Data(noTie.utf8)).tieWordEmbeddings, "absent means untied, as in transformers")
        XCTAssertThrowsError(try LlamaConfig.parse(Data(hf5.replacingOccurrences(of: "\"num_key_value_heads\":2", with: "\"num_key_value_heads\":3").utf8)))
        XCTAssertThrowsError(try LlamaConfig.parse(Data("{\"hidden_size\":4}".utf8))) { XCTAssert("\($0)".contains("missing")) }
    }

    func testTokenizer() throws {
        let t = ByteTokenizer.standard
        XCTAssertEqual(t.encode("hé", bos: true, eos: true), [256, 104, 195, 169, 257])
        XCTAssertEqual(t.decode([256, 104, 195, 169, 257]), "hé")
        XCTAssertEqual(t.decode([104, 261, 259], skipSpecial: false), "h<mask_1><sep>")
        XCTAssertEqual(t.mask(1), 261); XCTAssertEqual(t.id(ofSpecial: "<eom>"), 260); XCTAssertEqual(t.vocabSize, 272)
        XCTAssertEqual(try ByteTokenizer.parse(Data(t.json().utf8), file: "x"), t)
        XCTAssertThrowsError(try ByteTokenizer.parse(Data("{\"type\":\"bpe\"}".utf8), file: "x"))
        XCTAssertThrowsError(try t.validate(for: tinyConfig(), directory: "d")) { XCTAssert("\($0)".contains("272 tokens but vocab_size is 40")) }
        let dir = tempDir("hftok")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(try ByteTokenizer.load(directory: dir), .standard)
        try "{}".write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ByteTokenizer.load(directory: dir)) { XCTAssert("\($0)".contains("tokenizer.json")) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
