import XCTest
@testable import Tensor

final class RowMatmulTests: XCTestCase {
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
