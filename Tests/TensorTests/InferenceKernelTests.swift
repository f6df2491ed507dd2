import Foundation
import XCTest
@testable import Tensor

// The kernels of the inference path (st-sample): the row-independent matmul, cached attention, large buffers.
final class InferenceKernelTests: XCTestCase {
    /// A row's output is bitwise the same whatever the other rows of the call, and close to a Double reference.
    func testRowsAreIndependentOfTheBatch() {
        let C = 37, OC = 45, maxN = 9   // odd sizes exercise every tail
        var g = SplitMix(seed: 5)
        let inp = (0..<maxN * C).map { _ in g.float() }, w = (0..<OC * C).map { _ in g.float() }
        var alone = [Float](repeating: 0, count: OC)
        rowIndependentMatmul(&alone, inp, w, 1, C, OC)
        for n in 1...maxN {
            for threads in [1, 2] {
                Threads.set(threads)
                var out = [Float](repeating: 0, count: n * OC)
                rowIndependentMatmul(&out, inp, w, n, C, OC)
                XCTAssertEqual(Array(out[0..<OC]), alone, "row 0 changed with N = \(n), threads = \(threads)")
                for r in 0..<n {
                    for o in 0..<OC {
                        var ref = 0.0
                        for c in 0..<C { ref += Double(inp[r * C + c]) * Double(w[o * C + c]) }
                        XCTAssertEqual(Double(out[r * OC + o]), ref, accuracy: 1e-4)
                    }
                }
            }
        }
        Threads.set(2)
    }

    /// cachedAttention against a Double softmax-attention reference, for head sizes that use every path of
    /// the kernel (64-wide blocks, 16-wide blocks, scalar tail).
    func testCachedAttentionMatchesReference() {
        var g = SplitMix(seed: 9)
        for D in [16, 24, 64, 80, 128] {
            for e in [1, 7, 33] {
                let q = (0..<D).map { _ in g.float() }, k = (0..<e * D).map { _ in g.float() }
                let v = (0..<e * D).map { _ in g.float() }
                var out = [Float](repeating: 0, count: D), s = [Float](repeating: 0, count: e)
                let scale = 1 / Float(D).squareRoot()
                cachedAttention(&out, q, k, v, e, D, scale, &s)
                var sc = (0..<e).map { t in (0..<D).reduce(0.0) { $0 + Double(q[$1]) * Double(k[t * D + $1]) } * Double(scale) }
                let m = sc.max()!
                sc = sc.map { Foundation.exp($0 - m) }
                let z = sc.reduce(0, +)
                for c in 0..<D {
                    let ref = (0..<e).reduce(0.0) { $0 + sc[$1] / z * Double(v[$1 * D + c]) }
                    XCTAssertEqual(Double(out[c]), ref, accuracy: 1e-5, "D \(D), e \(e), c \(c)")
                }
            }
        }
    }

    /// Large buffers come from mmap (lazily zeroed, optionally huge pages): zero everywhere, writable.
    func testLargeBuffersAreZeroAndWritable() {
        for huge in [true, false] {
            let n = (9 << 20) / 4 + 3           // over the mapping threshold, not a multiple of a page
            let b = FloatBuffer(count: n, hugePages: huge)
            XCTAssertEqual(Int(bitPattern: b.ptr) % 64, 0)
            for i in stride(from: 0, to: n, by: 1021) { XCTAssertEqual(b[i], 0) }
            XCTAssertEqual(b[n - 1], 0)
            b[n - 1] = 3; b[0] = 2
            XCTAssertEqual(b[n - 1] + b[0], 5)
            b.zero()
            XCTAssertEqual(b[n - 1], 0)
        }
    }
}

private struct SplitMix {
    var s: UInt64
    init(seed: UInt64) { s = seed }
    mutating func float() -> Float {
        s &+= 0x9E3779B97F4A7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) - 0.5
    }
}
