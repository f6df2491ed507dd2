// Parity with PyTorch + transformers on golden files written by scripts/reference/llama_golden.py
// (committed under Tests/Golden, so these tests need no PyTorch).
import XCTest
import Foundation
import Model
import Tensor

let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Golden").path

/// max |a - b| / max |b|: the error relative to the tensor's scale.
func relErr(_ a: UnsafePointer<Float>, _ b: [Float]) -> Double {
    var d = 0.0, m = 1e-30
    for i in 0..<b.count { d = max(d, Double(abs(a[i] - b[i]))); m = max(m, Double(abs(b[i]))) }
    return d / m
}

final class ParityTests: XCTestCase {
    func testTrainingStepMatchesPyTorch() throws {
        let dir = goldenDir + "/llama-tiny"
        let golden = try SafetensorsFile(path: dir + "/golden.safetensors")
        let model = try LlamaModel.load(directory: dir)
        XCTAssertFalse(model.config.tieWordEmbeddings)
        let tokens = try golden.ints("tokens"), targets = try golden.ints("targets")
        let weights = try golden.floats("weights")
        let B = golden.entries["tokens"]!.shape[0], T = golden.entries["tokens"]!.shape[1]
        let tr = LlamaTrainer(model: model, batch: B, context: T)
        tr.adam = AdamWConfig(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        try tr.setBatch(tokens: tokens, targets: targets, weights: weights)

        let loss = tr.forward()
        let logitsErr = relErr(tr.logitsPointer, try golden.floats("logits"))
        XCTAssertLessThan(logitsErr, 1e-4, "logits")
        XCTAssertEqual(loss, Double(try golden.floats("loss")[0]), accuracy: 1e-4 * loss)

        tr.zeroGrad()
        _ = tr.forwardBackward()
        var worst = 0.0
        for t in model.layout.tensors {
            let e = relErr(t.ptr(tr.grads), try golden.floats("grad." + t.name))
            worst = max(worst, e)
            XCTAssertLessThan(e, 1e-4, "gradient of \(t.name)")
        }
        print("parity: logits rel err \(logitsErr), worst gradient rel err \(worst)")

        // 10 AdamW steps with clipping (the first recomputes the same gradient)
        let losses = try golden.floats("losses")
        for s in 0..<10 {
            let (l, _) = tr.trainStep(lr: 1e-2, clip: 1)
            XCTAssertEqual(l, Double(losses[s]), accuracy: 1e-3 * Double(losses[s]), "loss at step \(s)")
        }
        var worstP = 0.0
        for t in model.layout.tensors {
            let e = relErr(t.ptr(model.params), try golden.floats("step10." + t.name))
            worstP = max(worstP, e)
            XCTAssertLessThan(e, 1e-3, "\(t.name) after 10 AdamW steps")
        }
        print("parity: worst parameter rel err after 10 steps \(worstP)")
    }

    /// Packed documents + prefix-LM against transformers with an explicit 4D mask and restarting positions.
    func testPackedPrefixLMMatchesPyTorch() throws {
        let dir = goldenDir + "/llama-tiny"
        let golden = try SafetensorsFile(path: dir + "/masked.safetensors")
        let model = try LlamaModel.load(directory: dir)
        let shape = golden.entries["tokens"]!.shape
        let tr = LlamaTrainer(model: model, batch: shape[0], context: shape[1])
        try tr.setBatch(tokens: try golden.ints("tokens"), targets: try golden.ints("targets"),
                        weights: try golden.floats("weights"), segments: try golden.ints("segments"),
                        prefix: try golden.ints("prefix").map { UInt8($0) })
        let loss = tr.forward()
        XCTAssertLessThan(relErr(tr.logitsPointer, try golden.floats("logits")), 1e-4, "logits")
        XCTAssertEqual(loss, Double(try golden.floats("loss")[0]), accuracy: 1e-4 * loss)
        tr.zeroGrad()
        _ = tr.forwardBackward()
        for t in model.layout.tensors {
            XCTAssertLessThan(relErr(t.ptr(tr.grads), try golden.floats("grad." + t.name)), 1e-4, "gradient of \(t.name)")
        }
    }

    func testTransformersDirectoryTextLoss() throws {
        let dir = goldenDir + "/llama-tiny-tied"
        let golden = try SafetensorsFile(path: dir + "/text_loss.safetensors")
        let model = try LlamaModel.load(directory: dir)
        XCTAssertTrue(model.config.tieWordEmbeddings)
        XCTAssertEqual(model.config.ropeTheta, 500000)
        let ids = try golden.ints("input_ids")
        let text = "Natalia sold clips to 48 of her friends in April. #### 72\n"
        let tok = try ByteTokenizer.load(directory: dir)   // no st-tokenizer.json there: the byte default
        XCTAssertEqual(tok.encode(text, bos: true), ids)
        let T = ids.count
        let tr = LlamaTrainer(model: model, batch: 1, context: T)
        try tr.setBatch(tokens: ids, targets: Array(ids.dropFirst()) + [-1])
        let loss = tr.forward()
        let want = Double(try golden.floats("loss")[0])
        XCTAssertEqual(loss, want, accuracy: 1e-4 * want)
    }

    /// With ST_EXPORT_DIR set: write an st model directory plus st's logits for a fixed batch, for
    /// scripts/reference/check_st_export.py to load in transformers (make check-tensor-transformers).
    func testExportForTransformers() throws {
        guard let dir = ProcessInfo.processInfo.environment["ST_EXPORT_DIR"] else { throw XCTSkip("ST_EXPORT_DIR not set") }
        let c = LlamaConfig(vocabSize: 272, hiddenSize: 48, intermediateSize: 80, numLayers: 2, numHeads: 6,
                            numKVHeads: 2, maxPositions: 128, ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: true)
        let model = LlamaModel(config: c)
        model.initialize(seed: 42, std: 0.1)
        try model.save(directory: dir)
        let text = "def add(a, b):\n    return a + b\n"
        let ids = ByteTokenizer.standard.encode(text, bos: true)
        let tr = LlamaTrainer(model: model, batch: 1, context: ids.count)
        try tr.setBatch(tokens: ids, targets: Array(ids.dropFirst()) + [-1])
        let loss = tr.forward()
        var lossF = [Float(loss)]
        let idsF = ids.map(Float.init)
        try idsF.withUnsafeBufferPointer { ip in
            try lossF.withUnsafeMutableBufferPointer { lp in
                try writeSafetensors(dir + "/st_logits.safetensors", [
                    TensorToWrite(name: "input_ids", shape: [1, ids.count], data: ip.baseAddress!),
                    TensorToWrite(name: "logits", shape: [1, ids.count, c.vocabSize], data: tr.logitsPointer),
                    TensorToWrite(name: "loss", shape: [1], data: lp.baseAddress!),
                ])
            }
        }
    }
}
