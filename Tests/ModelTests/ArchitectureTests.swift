// The architecture registry (Llama with llama3 RoPE, Mistral, Qwen2, Qwen3) against transformers on golden
// files written by scripts/reference/arch_golden.py (Tests/Golden/arch-*): logits, loss, every gradient, and
// greedy generation through the key-value cache; the weight sources (BF16, F16, sharded, GGUF); the whole-model
// gradient of each architecture's pieces against finite differences; and the one-line refusals.
import XCTest
import Foundation
import Base
import Model
import Tensor

final class ArchitectureTests: XCTestCase {
    func parity(_ name: String, check: (LlamaConfig) -> Void) throws {
        let dir = goldenDir + "/" + name
        let golden = try SafetensorsFile(path: dir + "/golden.safetensors")
        let model = try LlamaModel.load(directory: dir)
        check(model.config)
        let shape = golden.entries["tokens"]!.shape
        let tr = LlamaTrainer(model: model, batch: shape[0], context: shape[1])
        try tr.setBatch(tokens: try golden.ints("tokens"), targets: try golden.ints("targets"), weights: try golden.floats("weights"))
        let loss = tr.forward()
        let logitsErr = relErr(tr.logitsPointer, try golden.floats("logits"))
        XCTAssertLessThan(logitsErr, 1e-4, "\(name) logits")
        XCTAssertEqual(loss, Double(try golden.floats("loss")[0]), accuracy: 1e-4 * loss, "\(name) loss")
        tr.zeroGrad()
        _ = tr.forwardBackward()
        var worst = 0.0
        for t in model.layout.tensors {
            let e = relErr(t.ptr(tr.grads), try golden.floats("grad." + t.name))
            worst = max(worst, e)
            XCTAssertLessThan(e, 1e-4, "\(name): gradient of \(t.name)")
        }
        XCTAssertEqual(model.layout.tensors.count, golden.entries.keys.filter { $0.hasPrefix("grad.") }.count, "\(name): every parameter")
        let dec = LlamaDecoder(model: model, slots: 1, maxTokens: 64)
        let want = try golden.ints("greedy")
        XCTAssertEqual(try dec.greedy(prompt: try golden.ints("prompt"), maxNew: want.count), want, "\(name) greedy")
        print("\(name): logits rel err \(logitsErr), worst gradient rel err \(worst)")
    }

    func testLlama3RopeBF16() throws {
        try parity("arch-llama3") { c in
            XCTAssertEqual(c.modelType, "llama"); XCTAssertTrue(c.tieWordEmbeddings)
            XCTAssertEqual(c.ropeScaling, RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16))
        }
    }
    func testMistralSlidingWindowF16() throws {
        try parity("arch-mistral") { c in XCTAssertEqual(c.modelType, "mistral"); XCTAssertEqual(c.slidingWindow, 5) }
    }
    func testQwen2BiasesSharded() throws {
        try parity("arch-qwen2") { c in
            XCTAssertEqual(c.modelType, "qwen2"); XCTAssertTrue(c.qkvBias); XCTAssertNil(c.slidingWindow); XCTAssertTrue(c.tieWordEmbeddings)
        }
    }
    func testQwen3QKNorm() throws {
        try parity("arch-qwen3") { c in
            XCTAssertEqual(c.modelType, "qwen3"); XCTAssertTrue(c.qkNorm); XCTAssertEqual(c.headDim, 16); XCTAssertFalse(c.qkvBias)
        }
    }

    /// Each architecture's config survives json() -> parse, and a saved model loads back bit for bit.
    func testConfigRoundTrip() throws {
        for name in ["arch-llama3", "arch-mistral", "arch-qwen2", "arch-qwen3"] {
            let m = try LlamaModel.load(directory: goldenDir + "/" + name)
            XCTAssertEqual(try LlamaConfig.parse(Data(m.config.json().utf8)), m.config, name)
            let dir = tempDir("rt-" + name)
            try m.save(directory: dir)
            let back = try LlamaModel.load(directory: dir)
            XCTAssertEqual(back.config, m.config, name)
            XCTAssertTrue(back.params.array == m.params.array, name)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    // MARK: whole-model gradients against finite differences

    func checkGradient(_ c: LlamaConfig, T: Int = 7, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = LlamaModel(config: c)
        model.initialize(seed: 3, std: 0.3)
        var rng = SplitMix64(seed: 11)
        for t in model.layout.tensors where t.name.hasSuffix("norm.weight") || t.name.hasSuffix(".bias") {
            for i in 0..<t.count { t.ptr(model.params)[i] = (t.name.hasSuffix(".bias") ? 0 : 1) + Float(rng.nextDouble() - 0.5) * 0.4 }
        }
        let B = 2
        let tr = LlamaTrainer(model: model, batch: B, context: T)
        let tok = (0..<B * T).map { _ in Int32(rng.next() % UInt64(c.vocabSize)) }
        var tgt = (0..<B * T).map { _ in Int32(rng.next() % UInt64(c.vocabSize)) }
        tgt[2] = -1
        try tr.setBatch(tokens: tok, targets: tgt)
        tr.zeroGrad()
        _ = tr.forwardBackward()
        var worst = 0.0
        for t in model.layout.tensors {
            for _ in 0..<5 {
                let i = Int(rng.next() % UInt64(t.count))
                let ptr = t.ptr(model.params) + i
                let orig = ptr.pointee, h: Float = 1e-2
                ptr.pointee = orig + h; let lp = tr.forward()
                ptr.pointee = orig - h; let lm = tr.forward()
                ptr.pointee = orig
                let numeric = (lp - lm) / (2 * Double(h)), analytic = Double(t.ptr(tr.grads)[i])
                let err = abs(numeric - analytic) / max(0.02, abs(numeric), abs(analytic))
                worst = max(worst, err)
                XCTAssertLessThan(err, 2e-2, "\(c.modelType) \(t.name)[\(i)]: analytic \(analytic) numeric \(numeric)", file: file, line: line)
            }
        }
        XCTAssertLessThan(worst, 2e-2, file: file, line: line)
    }

    func tiny() -> LlamaConfig {
        LlamaConfig(vocabSize: 30, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4, numKVHeads: 2,
                    maxPositions: 32, ropeTheta: 1000, rmsNormEps: 1e-5, tieWordEmbeddings: false)
    }
    func testGradientQKVBias() throws { var c = tiny(); c.modelType = "qwen2"; c.qkvBias = true; try checkGradient(c) }
    func testGradientQKNorm() throws { var c = tiny(); c.modelType = "qwen3"; c.qkNorm = true; c.headDim = 8; try checkGradient(c) }
    func testGradientSlidingWindow() throws { var c = tiny(); c.modelType = "mistral"; c.slidingWindow = 3; try checkGradient(c) }
    func testGradientLlama3Rope() throws {
        var c = tiny()
        c.ropeScaling = RopeScaling(factor: 4, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8)
        try checkGradient(c)
    }

    /// The decoder's sliding window: prefill then single steps past the window equal the trainer's logits.
    func testSlidingWindowDecoderMatchesTrainer() throws {
        var c = tiny(); c.modelType = "mistral"; c.slidingWindow = 3; c.qkvBias = true; c.qkNorm = true
        let m = LlamaModel(config: c)
        m.initialize(seed: 5, std: 0.3)
        let tok: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], V = c.vocabSize
        let tr = LlamaTrainer(model: m, batch: 1, context: tok.count)
        try tr.setBatch(tokens: tok, targets: [Int32](repeating: 0, count: tok.count))
        tr.forward()
        let want = Array(UnsafeBufferPointer(start: tr.logitsPointer, count: tok.count * V))
        let dec = LlamaDecoder(model: m, slots: 2, maxTokens: 16)
        let pre = try dec.forward(tokens: Array(tok[0..<6]), slots: [Int32](repeating: 1, count: 6), positions: (0..<6).map(Int32.init))
        for i in 0..<6 * V { XCTAssertEqual(pre[i], want[i], accuracy: 1e-5) }
        for t in 6..<tok.count {
            let lg = try dec.forward(tokens: [tok[t]], slots: [1], positions: [Int32(t)])
            for v in 0..<V { XCTAssertEqual(lg[v], want[t * V + v], accuracy: 1e-5) }
        }
    }

    // MARK: refusals and weight sources

    func testUnsupportedIsOneLineError() throws {
        let base = try String(contentsOfFile: goldenDir + "/arch-qwen3/config.json", encoding: .utf8)
        func fails(_ edit: (String) -> String, _ needle: String, line: UInt = #line) {
            XCTAssertThrowsError(try LlamaConfig.parse(Data(edit(base).utf8))) { e in
                XCTAssert("\(e)".contains(needle) && !"\(e)".contains("\n"), "\(e)", line: line)
            }
        }
        fails({ $0.replacingOccurrences(of: "\"rope_type\": \"default\"", with: "\"rope_type\": \"yarn\"") }, "rope_scaling type 'yarn' is not supported")
        fails({ $0.replacingOccurrences(of: "\"silu\"", with: "\"gelu\"") }, "hidden_act 'gelu' is not supported")
        fails({ $0.replacingOccurrences(of: "\"qwen3\"", with: "\"gemma\"") }, "model_type 'gemma' is not supported")
        fails({ $0.replacingOccurrences(of: "\"Qwen3ForCausalLM\"", with: "\"LlamaForCausalLM\"") }, "is not Qwen3ForCausalLM")
        fails({ $0.replacingOccurrences(of: "\"attention_bias\": false", with: "\"attention_bias\": true") }, "attention_bias = true is not supported")
        fails({ $0.replacingOccurrences(of: "\"full_attention\"\n  ]", with: "\"sliding_attention\"\n  ]")
                  .replacingOccurrences(of: "\"sliding_window\": null", with: "\"sliding_window\": 8") }, "only some layers")
    }

    func testMissingShardAndBadShape() throws {
        let dir = tempDir("shards")
        try FileManager.default.copyItem(atPath: goldenDir + "/arch-qwen2", toPath: dir)
        try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00004.safetensors")
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { XCTAssert("\($0)".contains("shard 'model-00002-of-00004.safetensors' named in the index is missing"), "\($0)") }
        try? FileManager.default.removeItem(atPath: dir)
        // a config that disagrees with the weights: the error names the tensor
        let d2 = tempDir("shape")
        try FileManager.default.copyItem(atPath: goldenDir + "/arch-mistral", toPath: d2)
        let cfg = try String(contentsOfFile: d2 + "/config.json", encoding: .utf8).replacingOccurrences(of: "\"intermediate_size\": 48", with: "\"intermediate_size\": 40")
        try cfg.write(toFile: d2 + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LlamaModel.load(directory: d2)) { XCTAssert("\($0)".contains("tensor 'model.layers.0.mlp.") && "\($0)".contains("expected [40, 32]"), "\($0)") }
        try FileManager.default.removeItem(atPath: d2 + "/model.safetensors")
        XCTAssertThrowsError(try LlamaModel.load(directory: d2)) { XCTAssert("\($0)".contains("no model.safetensors or model.safetensors.index.json"), "\($0)") }
        try? FileManager.default.removeItem(atPath: d2)
    }

    /// A GGUF file loads through the Weights module (config from its metadata); the tiny one is Weights' golden.
    func testLoadGGUF() throws {
        let path = URL(fileURLWithPath: goldenDir).deletingLastPathComponent().path + "/WeightsTests/Golden/tiny-llama.gguf"
        let m = try LlamaModel.load(path: path)
        XCTAssertEqual(m.config.vocabSize, 48); XCTAssertEqual(m.config.numKVHeads, 2); XCTAssertFalse(m.config.tieWordEmbeddings)
        XCTAssertEqual(m.config.ropeTheta, 500000)
        let dec = LlamaDecoder(model: m, slots: 1, maxTokens: 16)
        XCTAssertEqual(try dec.greedy(prompt: [1, 5, 7], maxNew: 4).count, 4)
        XCTAssertThrowsError(try LlamaModel.load(path: path + ".missing.gguf")) { XCTAssert("\($0)".contains("no such file"), "\($0)") }
        XCTAssertThrowsError(try LlamaModel.load(path: path + ".missing")) { XCTAssert("\($0)".contains("not a model directory"), "\($0)") }
        XCTAssertThrowsError(try LlamaModel.load(path: goldenDir + "/arch-qwen3/golden.safetensors")) { XCTAssert("\($0)".contains("not a model directory or .gguf file"), "\($0)") }
    }

    /// Qwen2 and Qwen3 GGUFs (llama.cpp's tensor names and metadata, written by scripts/reference/arch_gguf.py
    /// from the same random weights): the same configuration and weights as the safetensors directory (the
    /// F16 FFN matrices as the F32 values rounded to F16; q/k not permuted), and logits near the golden ones.
    func testQwenGGUF() throws {
        for (name, arch) in [("arch-qwen2", "qwen2"), ("arch-qwen3", "qwen3")] {
            let dir = goldenDir + "/" + name
            let g = try LlamaModel.load(path: dir + "/\(arch).gguf"), m = try LlamaModel.load(directory: dir)
            var want = m.config
            want.padTokenId = nil      // the GGUF states no pad token
            want.rmsNormEps = Double(Float(want.rmsNormEps))     // a GGUF stores it as float32
            XCTAssertEqual(g.config, want, name)
            for t in m.layout.tensors {
                let a = UnsafeBufferPointer(start: t.ptr(g.params), count: t.count), b = UnsafeBufferPointer(start: t.ptr(m.params), count: t.count)
                let f16 = t.name.contains(".mlp.")
                let bad = zip(a, b).filter { $0.0 != (f16 ? Float(Float16($0.1)) : $0.1) }.count
                XCTAssertEqual(bad, 0, "\(name) \(t.name): \(bad) values differ")
            }
            let golden = try SafetensorsFile(path: dir + "/golden.safetensors")
            let shape = golden.entries["tokens"]!.shape
            let tr = LlamaTrainer(model: g, batch: shape[0], context: shape[1])
            try tr.setBatch(tokens: try golden.ints("tokens"), targets: try golden.ints("targets"), weights: try golden.floats("weights"))
            _ = tr.forward()
            XCTAssertLessThan(relErr(tr.logitsPointer, try golden.floats("logits")), 1e-2, "\(name) GGUF logits")
        }
    }

    /// The real model loads from its GGUF and round-trips through a BF16 safetensors directory (load times are
    /// printed; the speed goal is measured in BENCHMARKS.md, not asserted here).
    func testLoadSmolLM2GGUF() throws {
        let path = ProcessInfo.processInfo.environment["ST_SMOLLM2_GGUF"] 
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) absent (make models)") }
        let t0 = Date()
        let m = try LlamaModel.load(path: path)
        let dt = Date().timeIntervalSince(t0)
        print("SmolLM2-135M GGUF: \(m.config.parameterCount) parameters loaded in \(String(format: "%.2f", dt)) s")
        XCTAssertEqual(m.config.numLayers, 30); XCTAssertTrue(m.config.tieWordEmbeddings)
        // the same weights as a BF16 safetensors directory (memory-mapped, converted in parallel)
        let dir = tempDir("smollm2-bf16")
        try m.save(directory: dir, dtype: .bf16)
        let t1 = Date()
        let s = try LlamaModel.load(path: dir)
        let ds = Date().timeIntervalSince(t1)
        print("SmolLM2-135M BF16 safetensors: loaded in \(String(format: "%.2f", ds)) s")
        XCTAssertEqual(s.config, m.config)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
