// LoRA (Sources/Model/LoRA.swift) against PEFT on golden files written by scripts/reference/lora_golden.py
// (Tests/Golden/lora: a tiny base, an adapter PEFT wrote, PEFT's loss and adapter gradients), and on its own:
// finite differences with dropout, merged = unmerged, the files, the errors.
import XCTest
import Foundation
import Base
@testable import Model
import Tensor

final class LoRATests: XCTestCase {
    let dir = goldenDir + "/lora"

    func testBackwardMatchesPEFT() throws {
        let golden = try SafetensorsFile(path: dir + "/golden.safetensors")
        let model = try LlamaModel.load(directory: dir + "/base")
        let lora = try LoRAAdapters.load(directory: dir + "/peft-adapter", model: model)
        XCTAssertEqual(lora.config.rank, 4); XCTAssertEqual(lora.config.scale, 2)
        XCTAssertEqual(lora.config.targets, LoRATarget.allCases)
        let tokens = try golden.ints("tokens"), targets = try golden.ints("targets")
        let B = golden.entries["tokens"]!.shape[0], T = golden.entries["tokens"]!.shape[1]
        let tr = LlamaTrainer(model: model, batch: B, context: T, lora: lora)
        XCTAssertEqual(tr.grads.count, 0, "frozen base: no gradient buffer")
        XCTAssertEqual(tr.m.count, 0); XCTAssertEqual(tr.v.count, 0)
        try tr.setBatch(tokens: tokens, targets: targets)
        tr.zeroGrad()
        let loss = tr.forwardBackward()
        XCTAssertEqual(loss, Double(try golden.floats("loss")[0]), accuracy: 1e-5 * loss)
        for t in lora.layout.tensors {
            XCTAssertLessThan(relErr(t.ptr(lora.grads), try golden.floats("grad." + t.name)), 1e-4, "gradient of \(t.name)")
        }
        // the same loss merged into the base (what st-sample and st-eval run)
        let merged = try LlamaModel.load(path: dir + "/base", adapter: dir + "/peft-adapter")
        let plain = LlamaTrainer(model: merged, batch: B, context: T)
        try plain.setBatch(tokens: tokens, targets: targets)
        XCTAssertEqual(plain.forward(), loss, accuracy: 1e-5 * loss)
    }

    /// Gradients of A and B against finite differences, with dropout (the mask is the same in every call at
    /// the same optimizer step and micro-batch) and a model with q/k norms and biases (Qwen-like).
    func testGradientWithDropout() throws {
        var c = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4,
                            numKVHeads: 2, maxPositions: 32, ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: true)
        c.qkNorm = true; c.qkvBias = true
        let model = LlamaModel(config: c)
        model.initialize(seed: 3, std: 0.3)
        let lora = LoRAAdapters(model: model, config: LoRAConfig(rank: 3, alpha: 5, dropout: 0.3))
        lora.initialize(seed: 4)
        var rng = SplitMix64(seed: 5)
        for t in lora.layout.tensors where t.name.contains("lora_B") {   // nonzero B, so A gets gradients too
            for i in 0..<t.count { t.ptr(lora.params)[i] = Float(rng.nextDouble() - 0.5) }
        }
        let (B, T) = (2, 6)
        let tr = LlamaTrainer(model: model, batch: B, context: T, lora: lora)
        let tok = (0..<B * T).map { _ in Int32(rng.below(40)) }, tgt = (0..<B * T).map { _ in Int32(rng.below(40)) }
        try tr.setBatch(tokens: tok, targets: tgt)
        func lossWithMask() -> Double { tr.microBatch = 0; tr.zeroGrad(); return tr.forwardBackward() }
        let l0 = lossWithMask()
        XCTAssertNotEqual(l0, tr.forward(), "dropout is on in training, off in evaluation")
        _ = lossWithMask()
        let analytic = lora.grads.array
        var worst = 0.0
        for t in lora.layout.tensors {
            for _ in 0..<4 {
                let i = Int(rng.next() % UInt64(t.count)), ptr = t.ptr(lora.params) + i
                let orig = ptr.pointee, h: Float = 1e-2
                ptr.pointee = orig + h; let lp = lossWithMask()
                ptr.pointee = orig - h; let lm = lossWithMask()
                ptr.pointee = orig
                let numeric = (lp - lm) / (2 * Double(h)), a = Double(analytic[t.offset + i])
                let err = abs(numeric - a) / max(0.02, abs(numeric), abs(a))
                worst = max(worst, err)
                XCTAssertLessThan(err, 2e-2, "\(t.name)[\(i)]: analytic \(a) numeric \(numeric)")
            }
        }
        XCTAssertLessThan(worst, 2e-2)
        // another micro-batch draws another mask
        tr.microBatch = 1; tr.zeroGrad()
        XCTAssertNotEqual(tr.forwardBackward(), l0)
    }

    func testFreshAdapterIsTheBaseAndTrains() throws {
        let model = try LlamaModel.load(directory: dir + "/base")
        let lora = LoRAAdapters(model: model, config: LoRAConfig(rank: 2, targets: [.q, .v]))
        lora.initialize(seed: 1)
        XCTAssertEqual(lora.config.alpha, 4, "default alpha 2R")
        let a = lora.layout.tensors.first { $0.name.hasSuffix("q_proj.lora_A.weight") }!
        let bound = Float(1 / Double(a.shape[1]).squareRoot())
        let values = Array(UnsafeBufferPointer(start: a.ptr(lora.params), count: a.count))
        XCTAssert(values.allSatisfy { abs($0) <= bound } && values.contains { abs($0) > bound / 2 }, "kaiming-uniform A")
        let before = model.params.array
        let tr = LlamaTrainer(model: model, batch: 2, context: 8, lora: lora)
        let plain = LlamaTrainer(model: try LlamaModel.load(directory: dir + "/base"), batch: 2, context: 8)
        let tok = (0..<16).map { Int32($0 * 7 % 250) }, tgt = (0..<16).map { Int32($0 * 5 % 250) }
        try tr.setBatch(tokens: tok, targets: tgt); try plain.setBatch(tokens: tok, targets: tgt)
        XCTAssertEqual(tr.forward(), plain.forward(), "B = 0: exactly the base")
        var losses: [Double] = []
        for _ in 0..<5 { losses.append(tr.trainStep(lr: 1e-2).loss) }
        XCTAssertLessThan(losses.last!, losses.first!)
        XCTAssertEqual(model.params.array, before, "the base weights are frozen")
    }

    func testFilesRoundTripAndPEFTKeys() throws {
        let model = try LlamaModel.load(directory: dir + "/base")
        let lora = LoRAAdapters(model: model, config: LoRAConfig(rank: 3, alpha: 6, dropout: 0.05, targets: [.v, .q, .down], base: "base"))
        lora.initialize(seed: 2)
        let out = NSTemporaryDirectory() + "lora-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        try lora.save(directory: out)
        let read = try LoRAConfig.read(directory: out)
        XCTAssertEqual(read, lora.config)
        let back = try LoRAAdapters.load(directory: out, model: model)
        XCTAssertEqual(back.params.array, lora.params.array)
        let cfg = try JSON.parse(String(contentsOfFile: out + "/adapter_config.json", encoding: .utf8))
        XCTAssertEqual(cfg["peft_type"]?.string, "LORA"); XCTAssertEqual(cfg["task_type"]?.string, "CAUSAL_LM")
        XCTAssertEqual(cfg["target_modules"]?.array?.compactMap(\.string), ["q_proj", "v_proj", "down_proj"])
        XCTAssertEqual(cfg["base_model_name_or_path"]?.string, "base")
        // every key peft 0.21 writes (the golden adapter's) is there
        let peft = try JSON.parse(String(contentsOfFile: dir + "/peft-adapter/adapter_config.json", encoding: .utf8))
        XCTAssertEqual(Set(cfg.object!.keys), Set(peft.object!.keys))
        let f = try SafetensorsFile(path: out + "/adapter_model.safetensors")
        XCTAssertEqual(f.entries["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"]?.shape, [32, 3])
        XCTAssertEqual(f.entries["base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight"]?.shape, [3, 32])
    }

    func testErrors() throws {
        XCTAssertThrowsError(try LoRAConfig.parseTargets("q,x")) { XCTAssert("\($0)".contains("unknown LoRA target 'x'"), "\($0)") }
        XCTAssertEqual(try LoRAConfig.parseTargets("down_proj,q"), [.q, .down])
        // an adapter for another base: the shapes say so
        let other = LlamaModel(config: LlamaConfig(vocabSize: 272, hiddenSize: 16, intermediateSize: 48, numLayers: 2,
                                                   numHeads: 4, numKVHeads: 2, maxPositions: 64, ropeTheta: 10000,
                                                   rmsNormEps: 1e-5, tieWordEmbeddings: true))
        XCTAssertThrowsError(try LoRAAdapters.load(directory: dir + "/peft-adapter", model: other)) {
            XCTAssert("\($0)".contains("has shape [4, 32], expected [4, 16]"), "\($0)")
        }
        let deeper = LlamaModel(config: LlamaConfig(vocabSize: 272, hiddenSize: 32, intermediateSize: 48, numLayers: 1,
                                                    numHeads: 4, numKVHeads: 2, maxPositions: 64, ropeTheta: 10000,
                                                    rmsNormEps: 1e-5, tieWordEmbeddings: true))
        XCTAssertThrowsError(try LoRAAdapters.load(directory: dir + "/peft-adapter", model: deeper)) {
            XCTAssert("\($0)".contains("has no place in this base (1 layers"), "\($0)")
        }
        XCTAssertThrowsError(try LoRAConfig.read(directory: dir + "/base")) { XCTAssert("\($0)".contains("not a LoRA adapter directory"), "\($0)") }
    }
}
