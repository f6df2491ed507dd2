import XCTest
import Tensor

final class OptimTests: XCTestCase {
    func testAdamWMatchesFormula() {
        let c = AdamWConfig(beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1)
        var p: [Float] = [0.5, -1, 2], m = [Float](repeating: 0, count: 3), v = m
        var pd = p.map(Double.init), md = [Double](repeating: 0, count: 3), vd = md
        let lr = 0.01
        for step in 1...5 {
            let g: [Float] = [0.1 * Float(step), -0.3, 0.05]
            adamwUpdate(&p, &m, &v, g, 3, lr: Float(lr), step: step, config: c, decay: true)
            for i in 0..<3 {
                pd[i] *= 1 - lr * 0.1
                md[i] = 0.9 * md[i] + 0.1 * Double(g[i])
                vd[i] = 0.99 * vd[i] + 0.01 * Double(g[i]) * Double(g[i])
                let mh = md[i] / (1 - pow(0.9, Double(step))), vh = vd[i] / (1 - pow(0.99, Double(step)))
                pd[i] -= lr * mh / (vh.squareRoot() + 1e-8)
            }
        }
        for i in 0..<3 { XCTAssertEqual(Double(p[i]), pd[i], accuracy: 1e-5) }
        // exempt from decay: zero gradient leaves the parameter unchanged
        var q: [Float] = [3], qm: [Float] = [0], qv: [Float] = [0]
        adamwUpdate(&q, &qm, &qv, [0], 1, lr: 0.1, step: 1, config: c, decay: false)
        XCTAssertEqual(q[0], 3)
        adamwUpdate(&q, &qm, &qv, [0], 1, lr: 0.1, step: 2, config: c, decay: true)
        XCTAssertEqual(q[0], 3 * (1 - 0.1 * 0.1), accuracy: 1e-6)
    }

    func testClip() {
        var g: [Float] = [3, 4]
        let n = clipGradNorm(&g, 2, maxNorm: 1)
        XCTAssertEqual(n, 5, accuracy: 1e-9)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-5); XCTAssertEqual(g[1], 0.8, accuracy: 1e-5)
        var h: [Float] = [0.3, 0.4]
        clipGradNorm(&h, 2, maxNorm: 1)
        XCTAssertEqual(h, [0.3, 0.4])
    }

    func testSchedules() {
        let cos = LRSchedule.cosine(lr: 1, warmup: 10, totalSteps: 110, minLR: 0.1)
        XCTAssertEqual(cos.lr(at: 0), 0.1, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 9), 1, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 10), 1, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 60), 0.55, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 110), 0.1, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 500), 0.1, accuracy: 1e-12)
        let lin = LRSchedule.linear(lr: 1, warmup: 0, totalSteps: 100, minLR: 0.2)
        XCTAssertEqual(lin.lr(at: 50), 0.6, accuracy: 1e-12)
        XCTAssertEqual(lin.lr(at: 100), 0.2, accuracy: 1e-12)
        XCTAssertEqual(LRSchedule.constant(lr: 0.3, warmup: 0).lr(at: 1000), 0.3)
        XCTAssertEqual(LRSchedule.constant(lr: 0.3, warmup: 3).lr(at: 0), 0.1, accuracy: 1e-12)
    }

    func testExpAccuracy() {
        var x: Float = -90
        while x < 88 {
            let want = Foundation.exp(Double(x))
            let got = Double(expScalar(x))
            if want > 1e-37 { XCTAssertEqual(got, want, accuracy: want * 1e-6, "exp(\(x))") }
            x += 0.173
        }
    }

    func testDeterministicAcrossThreads() {
        // attention backward + rmsnorm weight gradient: bitwise equal on 1 and 2 threads
        var rng = TestRNG(3)
        let (B, T, H, KV, D) = (2, 33, 4, 2, 16)
        let qkv = rng.normal(B * T * (H + 2 * KV) * D)
        let dout = rng.normal(B * T * H * D)
        var s = [Int32](repeating: 0, count: B * T), e = s
        fillAttentionRanges(&s, &e, nil, nil, B, T)
        func run(_ threads: Int) -> [Float] {
            Threads.set(threads)
            defer { Threads.set(Threads.cores) }
            var out = [Float](repeating: 0, count: B * T * H * D), att = [Float](repeating: 0, count: B * H * T * T)
            attentionForward(&out, &att, qkv, s, e, B, T, H, KV, D)
            var d = [Float](repeating: 0, count: qkv.count)
            var scr = [Float](repeating: 0, count: B * KV * T * T)
            attentionBackward(&d, dout, att, qkv, s, e, &scr, B, T, H, KV, D)
            let C = 64, N = qkv.count / C
            var y = [Float](repeating: 0, count: qkv.count), r = [Float](repeating: 0, count: N)
            var dx = [Float](repeating: 0, count: qkv.count), dw = [Float](repeating: 0, count: C)
            let w = rng.normal(C)
            rmsnormForward(&y, &r, qkv, w, N, C, 1e-5)
            rmsnormBackward(&dx, &dw, qkv, qkv, w, r, N, C)
            return out + d + dx + dw + [Float(gradNorm(d, d.count))]
        }
        let saved = rng
        let a = run(1); rng = saved
        let b = run(2); rng = saved
        let c = run(3)
        XCTAssertEqual(a, b); XCTAssertEqual(a, c)
    }

    func testSmallMMatchesSgemm() {
        var rng = TestRNG(9)
        for (M, C, OC) in [(1, 70, 9), (2, 64, 7), (3, 100, 10), (5, 64, 13), (8, 130, 33), (17, 16, 4), (70, 33, 66)] {
            let x = rng.normal(M * C), w = rng.normal(OC * C)
            var a = [Float](repeating: 0, count: M * OC), b = a
            matmulSmallM(&a, x, w, M, C, OC)
            sgemm1(false, true, M, OC, C, 1, x, C, w, C, 0, &b, OC)
            for i in 0..<a.count { XCTAssertEqual(a[i], b[i], accuracy: 1e-4 * (1 + abs(b[i]))) }
        }
    }

    /// The split of a large product depends on its shape only: bitwise equal results on 1, 2 and 3 threads,
    /// and within float rounding of the unsplit product.
    func testSplitSgemmIsDeterministic() {
        var rng = TestRNG(5)
        for (M, N, K) in [(517, 133, 96), (40, 1000, 130)] {
            for ta in [false, true] { for tb in [false, true] {
                let a = rng.normal(M * K), b = rng.normal(K * N), c0 = rng.normal(M * N)
                let lda = ta ? M : K, ldb = tb ? K : N
                var ref = c0
                sgemm1(ta, tb, M, N, K, 1, a, lda, b, ldb, 1, &ref, N)
                var first: [Float] = []
                for threads in [1, 2, 3] {
                    Threads.set(threads)
                    var c = c0
                    sgemm(ta, tb, M, N, K, 1, a, lda, b, ldb, 1, &c, N)
                    if first.isEmpty { first = c }
                    XCTAssertTrue(c == first, "M=\(M) N=\(N) K=\(K) ta=\(ta) tb=\(tb) threads=\(threads)")
                    var worst: Float = 0
                    for i in 0..<c.count { worst = max(worst, abs(c[i] - ref[i])) }
                    XCTAssertLessThan(worst, 1e-3)
                }
                Threads.set(Threads.cores)
            } }
        }
    }
}
