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

/// The C kernel families (Sources/CKernels) against the documented per-element orders, written out in scalar
/// Swift, bit for bit; bf16 weights against their f32 widening.
final class KernelFamilyTests: XCTestCase {
    override func tearDown() { selectKernelFamily(nil) }

    /// rowIndependentMatmul's order: 16 fused lane sums, the 16 -> 8 -> 4 -> 2 -> 1 tree, the fused tail last.
    static func treeDot(_ x: ArraySlice<Float>, _ w: ArraySlice<Float>) -> Float {
        let x = Array(x), w = Array(w), C = x.count, C16 = C & ~15
        var lane = [Float](repeating: 0, count: 16)
        for c in stride(from: 0, to: C16, by: 16) { for i in 0..<16 { lane[i] = lane[i].addingProduct(x[c + i], w[c + i]) } }
        let a = (0..<8).map { lane[$0] + lane[$0 + 8] }, b = (0..<4).map { a[$0] + a[$0 + 4] }
        let t = (0..<2).map { b[$0] + b[$0 + 2] }
        var tail: Float = 0
        for c in C16..<C { tail = tail.addingProduct(x[c], w[c]) }
        return (t[0] + t[1]) + tail
    }

    /// matmulSmallM's order: the same lane sums, added lane 0 to 15, then the tail a product and an add each.
    static func sumDot(_ x: ArraySlice<Float>, _ w: ArraySlice<Float>) -> Float {
        let x = Array(x), w = Array(w), C = x.count, C16 = C & ~15
        var lane = [Float](repeating: 0, count: 16)
        for c in stride(from: 0, to: C16, by: 16) { for i in 0..<16 { lane[i] = lane[i].addingProduct(x[c + i], w[c + i]) } }
        var s = lane[0]
        for i in 1..<16 { s += lane[i] }
        for c in C16..<C { let p = x[c] * w[c]; s += p }
        return s
    }

    func testEveryFamilyGivesTheDocumentedBits() {
        var g = SplitMix(seed: 11)
        var ran: [String] = []
        for family in ["avx512", "avx2", "portable"] {
            guard selectKernelFamily(family) else { continue }
            ran.append(kernelFamily)
            for (N, C, OC) in [(1, 16, 1), (5, 37, 45), (9, 130, 70), (67, 64, 131), (4, 576, 9)] {
                let x = (0..<N * C).map { _ in g.float() }, w = (0..<OC * C).map { _ in g.float() }
                var tree = [Float](repeating: .nan, count: N * OC), sum = tree
                rowIndependentMatmul(&tree, x, w, N, C, OC)
                matmulSmallM(&sum, x, w, N, C, OC)
                for n in 0..<N {
                    for o in 0..<OC {
                        let xs = x[n * C ..< (n + 1) * C], ws = w[o * C ..< (o + 1) * C]
                        XCTAssertEqual(tree[n * OC + o].bitPattern, Self.treeDot(xs, ws).bitPattern, "\(family) tree N\(N) C\(C) OC\(OC) (\(n),\(o))")
                        XCTAssertEqual(sum[n * OC + o].bitPattern, Self.sumDot(xs, ws).bitPattern, "\(family) sum N\(N) C\(C) OC\(OC) (\(n),\(o))")
                    }
                }
            }
        }
        XCTAssertTrue(ran.contains("portable"))
    }

    func testBF16WeightsEqualTheirF32Widening() {
        var g = SplitMix(seed: 12)
        for family in ["avx512", "avx2", "portable"] {
            guard selectKernelFamily(family) else { continue }
            for (N, C, OC) in [(3, 37, 45), (33, 96, 70)] {
                let x = (0..<N * C).map { _ in g.float() }, w = (0..<OC * C).map { _ in g.float() * 3 }
                var h = [UInt16](repeating: 0, count: w.count)
                roundToBF16(&h, w, w.count)
                let widened = h.map { Float(bitPattern: UInt32($0) << 16) }
                var a = [Float](repeating: 0, count: N * OC), b = a
                rowIndependentMatmul(&a, x, widened, N, C, OC)
                h.withUnsafeBufferPointer { rowIndependentMatmulBF16(&b, x, $0.baseAddress!, N, C, OC) }
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), family)
            }
        }
    }

    /// Round to nearest, ties to even; infinities and signs kept; NaN stays NaN; overflow goes to infinity.
    func testRoundToBF16() {
        let cases: [(UInt32, UInt16)] = [
            (0x3F80_0000, 0x3F80), (0x3F80_8000, 0x3F80), (0x3F81_8000, 0x3F82), (0x3F80_8001, 0x3F81),
            (0xBF80_7FFF, 0xBF80), (0x7F80_0000, 0x7F80), (0xFF80_0000, 0xFF80), (0x7F7F_FFFF, 0x7F80),
            (0x0000_0001, 0x0000), (0x8000_0000, 0x8000),
        ]
        let src = cases.map { Float(bitPattern: $0.0) }
        var dst = [UInt16](repeating: 0, count: src.count)
        roundToBF16(&dst, src, src.count)
        for (i, c) in cases.enumerated() { XCTAssertEqual(dst[i], c.1, String(c.0, radix: 16)) }
        var nan = [UInt16](repeating: 0, count: 2)
        roundToBF16(&nan, [Float.nan, Float(bitPattern: 0x7F80_0001)], 2)
        XCTAssertTrue(nan.allSatisfy { Float(bitPattern: UInt32($0) << 16).isNaN })
    }
}

extension KernelFamilyTests {
    /// swigluForward (C, every family) equals the Swift vexp/vsigmoid arithmetic it replaced, bit for bit,
    /// over the whole range of the exp clamp.
    func testSwigluEqualsSwiftArithmetic() {
        var g = SplitMix(seed: 13)
        let N = 3, I = 77
        let gu = (0..<N * 2 * I).map { i in i % 7 == 0 ? g.float() * 240 : g.float() * 16 }
        var want = [Float](repeating: 0, count: N * I)
        for n in 0..<N {
            for i in 0..<I {
                let x = F16(repeating: gu[n * 2 * I + i]), u = F16(repeating: gu[n * 2 * I + I + i])
                want[n * I + i] = (x * vsigmoid(x) * u)[0]
            }
        }
        for family in ["avx512", "avx2", "portable"] {
            guard selectKernelFamily(family) else { continue }
            var out = [Float](repeating: .nan, count: N * I)
            swigluForward(&out, gu, N, I)
            XCTAssertEqual(out.map(\.bitPattern), want.map(\.bitPattern), family)
        }
    }
}
