import XCTest
import Foundation
import Model
import Tensor

final class DecoderTests: XCTestCase {
    func model() -> LlamaModel {
        let m = LlamaModel(config: LlamaConfig(vocabSize: 40, hiddenSize: 32, intermediateSize: 40, numLayers: 2,
                                               numHeads: 4, numKVHeads: 2, maxPositions: 32, ropeTheta: 1000))
        m.initialize(seed: 21, std: 0.2)
        return m
    }

    func trainerLogits(_ m: LlamaModel, _ tok: [Int32], prefix: [UInt8]? = nil) throws -> [Float] {
        let tr = LlamaTrainer(model: m, batch: 1, context: tok.count)
        try tr.setBatch(tokens: tok, targets: [Int32](repeating: 0, count: tok.count), prefix: prefix)
        tr.forward()
        return Array(UnsafeBufferPointer(start: tr.logitsPointer, count: tok.count * m.config.vocabSize))
    }

    /// --dtype bf16: the decoder rounds every parameter to bf16 in place and its matmuls read the bf16 copy;
    /// its logits are bitwise those of an f32 decoder on a model rounded the same way, and within bf16
    /// rounding of the unrounded model's.
    func testBF16WeightsEqualF32OnRoundedWeights() throws {
        let orig = model(), rounded = model(), n = orig.params.count, V = orig.config.vocabSize
        for i in 0..<n {
            var h: UInt16 = 0
            var f = rounded.params.ptr[i]
            roundToBF16(&h, &f, 1)
            rounded.params.ptr[i] = Float(bitPattern: UInt32(h) << 16)
        }
        let bf = model()
        let dbf = LlamaDecoder(model: bf, slots: 2, maxTokens: 8, weights: .bf16)
        for i in 0..<n { XCTAssertEqual(bf.params.ptr[i].bitPattern, rounded.params.ptr[i].bitPattern) }
        let d32 = LlamaDecoder(model: rounded, slots: 2, maxTokens: 8), d0 = LlamaDecoder(model: orig, slots: 2, maxTokens: 8)
        let tok: [Int32] = [3, 1, 4, 1, 5], sl = [Int32](repeating: 1, count: 5), ps = (0..<5).map(Int32.init)
        let a = Array(UnsafeBufferPointer(start: try dbf.forward(tokens: tok, slots: sl, positions: ps), count: 5 * V))
        let b = Array(UnsafeBufferPointer(start: try d32.forward(tokens: tok, slots: sl, positions: ps), count: 5 * V))
        let c = Array(UnsafeBufferPointer(start: try d0.forward(tokens: tok, slots: sl, positions: ps), count: 5 * V))
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
        XCTAssertNotEqual(a, c)
        for i in 0..<a.count { XCTAssertEqual(a[i], c[i], accuracy: 0.05 * (1 + abs(c[i]))) }
    }

    func testPrefillAndStepsMatchFullForward() throws {
        let m = model(), V = m.config.vocabSize
        let tok: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let want = try trainerLogits(m, tok)
        let dec = LlamaDecoder(model: m, slots: 3, maxTokens: 16)
        // prefill 6 tokens in slot 2, then 4 single steps
        let pre = try dec.forward(tokens: Array(tok[0..<6]), slots: [Int32](repeating: 2, count: 6), positions: (0..<6).map(Int32.init))
        for i in 0..<6 * V { XCTAssertEqual(pre[i], want[i], accuracy: 1e-5) }
        for t in 6..<tok.count {
            let lg = try dec.forward(tokens: [tok[t]], slots: [2], positions: [Int32(t)])
            for v in 0..<V { XCTAssertEqual(lg[v], want[t * V + v], accuracy: 1e-5) }
        }
    }

    /// Training and the decoder run one forward pass (Layer.swift) with their own attention step and matmul:
    /// a whole sequence through the cache, on the exact and on the BLAS path, gives the trainer's logits, for a
    /// width where matmulForward takes both its small-M kernel (n <= 16) and OpenBLAS.
    func testTrainerAndDecoderForwardAgree() throws {
        let m = LlamaModel(config: LlamaConfig(vocabSize: 50, hiddenSize: 64, intermediateSize: 96, numLayers: 2,
                                               numHeads: 4, numKVHeads: 2, maxPositions: 40, tieWordEmbeddings: false))
        m.initialize(seed: 4, std: 0.1)
        let V = m.config.vocabSize
        for n in [3, 16, 29] {
            let tok = (0..<n).map { Int32(($0 * 7 + 3) % V) }
            let want = try trainerLogits(m, tok)
            for exact in [true, false] {
                let dec = LlamaDecoder(model: m, slots: 1, maxTokens: 32)
                let lg = try dec.forward(tokens: tok, slots: [Int32](repeating: 0, count: n),
                                         positions: (0..<n).map(Int32.init), exact: exact)
                var worst: Float = 0
                for i in 0..<n * V { worst = max(worst, abs(lg[i] - want[i])) }
                XCTAssertLessThan(worst, 1e-5, "n \(n), exact \(exact)")
            }
        }
    }

    func testBatchedSlotsAndSharedPrefill() throws {
        let m = model(), V = m.config.vocabSize
        let a: [Int32] = [1, 2, 3, 4, 5], b: [Int32] = [1, 2, 3, 7, 8]
        let wa = try trainerLogits(m, a), wb = try trainerLogits(m, b)
        let dec = LlamaDecoder(model: m, slots: 2, maxTokens: 8)
        _ = try dec.forward(tokens: [1, 2, 3], slots: [0, 0, 0], positions: [0, 1, 2])
        dec.copySlot(from: 0, to: 1, length: 3)
        // one call decoding both slots, two tokens each
        let lg = try dec.forward(tokens: [4, 7, 5, 8], slots: [0, 1, 0, 1], positions: [3, 3, 4, 4])
        for v in 0..<V {
            XCTAssertEqual(lg[0 * V + v], wa[3 * V + v], accuracy: 1e-5)
            XCTAssertEqual(lg[1 * V + v], wb[3 * V + v], accuracy: 1e-5)
            XCTAssertEqual(lg[2 * V + v], wa[4 * V + v], accuracy: 1e-5)
            XCTAssertEqual(lg[3 * V + v], wb[4 * V + v], accuracy: 1e-5)
        }
    }

    func testPrefixLMPrefill() throws {
        let m = model(), V = m.config.vocabSize
        let tok: [Int32] = [5, 6, 7, 8, 9]
        let want = try trainerLogits(m, tok, prefix: [1, 1, 1, 0, 0])
        let dec = LlamaDecoder(model: m, slots: 1, maxTokens: 8)
        let lg = try dec.forward(tokens: Array(tok[0..<3]), slots: [0, 0, 0], positions: [0, 1, 2], kvEnd: [3, 3, 3])
        for i in 0..<3 * V { XCTAssertEqual(lg[i], want[i], accuracy: 1e-5) }
        let l4 = try dec.forward(tokens: [8, 9], slots: [0, 0], positions: [3, 4])
        for i in 0..<2 * V { XCTAssertEqual(l4[i], want[3 * V + i], accuracy: 1e-5) }
    }

    /// logitRows: only the named tokens' logits, bit for bit the rows of a full call on the exact path (a
    /// prefill keeps each prompt's last); no rows at all is allowed; a row outside the call is an error.
    func testLogitRowsAreTheFullCallsRows() throws {
        let m = model(), V = m.config.vocabSize
        let tok: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6]
        let sl: [Int32] = [0, 0, 0, 1, 1, 1, 1, 1], ps: [Int32] = [0, 1, 2, 0, 1, 2, 3, 4]
        let full = Array(UnsafeBufferPointer(start: try LlamaDecoder(model: m, slots: 2, maxTokens: 8)
            .forward(tokens: tok, slots: sl, positions: ps), count: tok.count * V))
        let dec = LlamaDecoder(model: m, slots: 2, maxTokens: 8)
        let some = try dec.forward(tokens: tok, slots: sl, positions: ps, logitRows: [2, 7, 0])
        for (j, r) in [2, 7, 0].enumerated() {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: some + j * V, count: V)), Array(full[r * V ..< (r + 1) * V]))
        }
        _ = try dec.forward(tokens: tok, slots: sl, positions: ps, logitRows: [])
        XCTAssertThrowsError(try dec.forward(tokens: tok, slots: sl, positions: ps, logitRows: [8]))
    }

    func testBadInput() {
        let dec = LlamaDecoder(model: model(), slots: 1, maxTokens: 4)
        XCTAssertThrowsError(try dec.forward(tokens: [1], slots: [1], positions: [0]))
        XCTAssertThrowsError(try dec.forward(tokens: [99], slots: [0], positions: [0]))
        XCTAssertThrowsError(try dec.forward(tokens: [1], slots: [0], positions: [32]))
        XCTAssertThrowsError(try dec.forward(tokens: [1, 1, 1, 1, 1], slots: [0, 0, 0, 0, 0], positions: [0, 1, 2, 3, 4]))
    }

    /// Greedy generation equals transformers' greedy generation (golden file), token for token.
    func testGreedyMatchesTransformers() throws {
        let dir = goldenDir + "/llama-tiny-gen"
        let golden = try SafetensorsFile(path: dir + "/greedy.safetensors")
        let m = try LlamaModel.load(directory: dir)
        let dec = LlamaDecoder(model: m, slots: 1, maxTokens: 64)
        let want = try golden.ints("output")
        XCTAssertEqual(try dec.greedy(prompt: try golden.ints("prompt"), maxNew: want.count), want)
    }
}
