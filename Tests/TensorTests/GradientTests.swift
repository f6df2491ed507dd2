// Every operation's backward against central finite differences of its forward, the loss
// L = sum(out * R) accumulated in double precision (R random, so every output element matters).
import XCTest
import Tensor

/// Deterministic pseudo-random numbers for tests.
struct TestRNG {
    var s: UInt64
    init(_ seed: UInt64) { s = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal(_ n: Int, _ scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (uniform() * 2 - 1) * scale * 1.7 }
    }
}

/// inputs: arrays differentiated; loss: forward then sum(out*R) in double; grads: analytic gradient of the
/// same loss for each input (backward with dout = R). Compares every element.
func gradCheck(_ name: String, _ inputs: [[Float]], h: Float = 1e-2, tol: Double = 1e-2,
               loss: ([UnsafeMutablePointer<Float>]) -> Double,
               grads: ([UnsafeMutablePointer<Float>], [UnsafeMutablePointer<Float>]) -> Void,
               file: StaticString = #filePath, line: UInt = #line) {
    let bufs = inputs.map { a -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, a.count))
        p.initialize(from: a, count: a.count); return p
    }
    let gbufs = inputs.map { a -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, a.count))
        p.initialize(repeating: 0, count: max(1, a.count)); return p
    }
    defer { bufs.forEach { $0.deallocate() }; gbufs.forEach { $0.deallocate() } }
    grads(bufs, gbufs)
    var worst = 0.0
    for (k, a) in inputs.enumerated() {
        for i in 0..<a.count {
            let orig = bufs[k][i]
            bufs[k][i] = orig + h
            let lp = loss(bufs)
            bufs[k][i] = orig - h
            let lm = loss(bufs)
            bufs[k][i] = orig
            let numeric = (lp - lm) / (2 * Double(h))
            let analytic = Double(gbufs[k][i])
            let err = abs(numeric - analytic) / max(0.05, abs(numeric), abs(analytic))
            worst = max(worst, err)
            if err > tol {
                XCTFail("\(name): input \(k)[\(i)] analytic \(analytic) numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
    XCTAssertLessThan(worst, tol, name, file: file, line: line)
    if ProcessInfo.processInfo.environment["ST_GRADCHECK_VERBOSE"] != nil { print("gradcheck \(name): worst \(worst)") }
}

func dotD(_ a: UnsafePointer<Float>, _ b: [Float]) -> Double {
    var s = 0.0
    for i in 0..<b.count { s += Double(a[i]) * Double(b[i]) }
    return s
}

final class GradientTests: XCTestCase {
    var rng = TestRNG(7)

    func testMatmul() {
        let (N, C, OC) = (5, 7, 19)
        let R = rng.normal(N * OC)
        var out = [Float](repeating: 0, count: N * OC)
        gradCheck("matmul", [rng.normal(N * C), rng.normal(OC * C), rng.normal(OC)], loss: { p in
            matmulForward(&out, p[0], p[1], p[2], N, C, OC)
            return dotD(out, R)
        }, grads: { p, g in
            matmulBackward(g[0], g[1], g[2], R, p[0], p[1], N, C, OC)
        })
    }

    func testBatchedMatmul() {
        let (batch, M, N, K) = (3, 4, 5, 6)
        let R = rng.normal(batch * M * N)
        var out = [Float](repeating: 0, count: batch * M * N)
        gradCheck("bmm", [rng.normal(batch * M * K), rng.normal(batch * K * N)], loss: { p in
            batchedMatmulForward(&out, p[0], p[1], batch, M, N, K)
            return dotD(out, R)
        }, grads: { p, g in
            batchedMatmulBackward(g[0], g[1], R, p[0], p[1], batch, M, N, K)
        })
    }

    func testAddScale() {
        let n = 37
        let R = rng.normal(n)
        var out = [Float](repeating: 0, count: n), out2 = out
        gradCheck("add+scale", [rng.normal(n), rng.normal(n)], loss: { p in
            addForward(&out, p[0], p[1], n)
            scaleForward(&out2, out, 0.7, n)
            return dotD(out2, R)
        }, grads: { p, g in
            var dsum = [Float](repeating: 0, count: n)
            scaleBackward(&dsum, R, 0.7, n)
            addBackward(g[0], g[1], dsum, n)
        })
    }

    func testEmbedding() {
        let (V, C) = (6, 5)
        let tokens: [Int32] = [3, 1, 3, 0, 5, 3]
        let N = tokens.count
        let R = rng.normal(N * C)
        var out = [Float](repeating: 0, count: N * C)
        gradCheck("embedding", [rng.normal(V * C)], loss: { p in
            embeddingForward(&out, tokens, p[0], N, C)
            return dotD(out, R)
        }, grads: { _, g in
            embeddingBackward(g[0], R, tokens, N, C)
        })
    }

    func testRMSNorm() {
        for C in [7, 40] {
            let N = 3
            let R = rng.normal(N * C)
            var out = [Float](repeating: 0, count: N * C), rstd = [Float](repeating: 0, count: N)
            gradCheck("rmsnorm C=\(C)", [rng.normal(N * C), rng.normal(C)], h: 1e-2, loss: { p in
                rmsnormForward(&out, &rstd, p[0], p[1], N, C, 1e-5)
                return dotD(out, R)
            }, grads: { p, g in
                rmsnormForward(&out, &rstd, p[0], p[1], N, C, 1e-5)
                rmsnormBackward(g[0], g[1], R, p[0], p[1], rstd, N, C)
            })
        }
    }

    func testLayerNorm() {
        let (N, C) = (3, 20)
        let R = rng.normal(N * C)
        var out = [Float](repeating: 0, count: N * C), mean = [Float](repeating: 0, count: N), rstd = mean
        gradCheck("layernorm", [rng.normal(N * C), rng.normal(C), rng.normal(C)], h: 1e-2, loss: { p in
            layernormForward(&out, &mean, &rstd, p[0], p[1], p[2], N, C, 1e-5)
            return dotD(out, R)
        }, grads: { p, g in
            layernormForward(&out, &mean, &rstd, p[0], p[1], p[2], N, C, 1e-5)
            layernormBackward(g[0], g[1], g[2], R, p[0], p[1], mean, rstd, N, C)
        })
    }

    func testRope() {
        for D in [8, 40] {
            let (N, heads, stride) = (4, 3, 3 * D + 5)
            let table = RopeTable(headDim: D, maxPositions: 64, theta: 10000)
            let pos: [Int32] = [0, 17, 3, 63]
            let R = rng.normal(N * stride)
            var work = [Float](repeating: 0, count: N * stride)
            gradCheck("rope D=\(D)", [rng.normal(N * stride)], loss: { p in
                work.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: p[0], count: N * stride) }
                ropeInPlace(&work, table.cos, table.sin, pos, N, heads, D, stride)
                return dotD(work, R)
            }, grads: { _, g in
                var d = R
                ropeInPlace(&d, table.cos, table.sin, pos, N, heads, D, stride, inverse: true)
                for i in 0..<d.count { g[0][i] += d[i] }
            })
        }
    }

    func testRopeMatchesRotateHalf() {
        // out = x*cos(emb) + rotate_half(x)*sin(emb), emb = [freqs, freqs], rotate_half(x) = [-x2, x1]
        let D = 6, theta = 500.0, p = 5
        let table = RopeTable(headDim: D, maxPositions: 8, theta: theta)
        let x = rng.normal(D)
        var y = x
        ropeInPlace(&y, table.cos, table.sin, [Int32(p)], 1, 1, D, D)
        for i in 0..<D {
            let f = Double(p) / pow(theta, Double(2 * (i % (D / 2))) / Double(D))
            let rot = i < D / 2 ? -Double(x[i + D / 2]) : Double(x[i - D / 2])
            let want = Double(x[i]) * cos(f) + rot * sin(f)
            XCTAssertEqual(Double(y[i]), want, accuracy: 1e-5)
        }
    }

    func testActivations() {
        let n = 35
        let R = rng.normal(n)
        var out = [Float](repeating: 0, count: n)
        gradCheck("silu", [rng.normal(n, 3)], h: 1e-3, loss: { p in
            siluForward(&out, p[0], n); return dotD(out, R)
        }, grads: { p, g in siluBackward(g[0], R, p[0], n) })
        gradCheck("gelu", [rng.normal(n, 3)], h: 1e-3, loss: { p in
            geluForward(&out, p[0], n); return dotD(out, R)
        }, grads: { p, g in geluBackward(g[0], R, p[0], n) })
        // silu values against the definition
        let x = rng.normal(n, 5)
        siluForward(&out, x, n)
        for i in 0..<n { XCTAssertEqual(Double(out[i]), Double(x[i]) / (1 + exp(-Double(x[i]))), accuracy: 1e-5) }
    }

    func testSwiGLU() {
        for I in [5, 21] {
            let N = 3
            let R = rng.normal(N * I)
            var out = [Float](repeating: 0, count: N * I)
            gradCheck("swiglu I=\(I)", [rng.normal(N * 2 * I, 3)], h: 1e-3, loss: { p in
                swigluForward(&out, p[0], N, I); return dotD(out, R)
            }, grads: { p, g in swigluBackward(g[0], R, p[0], N, I) })
            // overwrite mode ignores what the gradient buffer held
            let gu = rng.normal(N * 2 * I)
            var acc = [Float](repeating: 0, count: N * 2 * I), over = [Float](repeating: .nan, count: N * 2 * I)
            swigluBackward(&acc, R, gu, N, I)
            swigluBackward(&over, R, gu, N, I, overwrite: true)
            XCTAssertTrue(acc == over)
        }
    }

    func testCrossEntropy() {
        let (N, V) = (6, 21)
        let targets: [Int32] = [3, -1, 20, 0, 7, 7]
        let weights: [Float] = [1, 1, 0.5, 2, 0, 1]
        var probs = [Float](repeating: 0, count: N * V), losses = [Float](repeating: 0, count: N)
        let scale: Float = 0.3
        gradCheck("crossentropy", [rng.normal(N * V, 3)], h: 1e-3, loss: { p in
            crossEntropyForward(&losses, &probs, p[0], targets, weights, N, V)
            return losses.reduce(0.0) { $0 + Double($1) } * Double(scale)
        }, grads: { p, g in
            crossEntropyForward(&losses, &probs, p[0], targets, weights, N, V)
            crossEntropyBackward(g[0], probs, targets, weights, scale, N, V)
        })
        // fused = forward + backward
        let logits = rng.normal(N * V, 3)
        crossEntropyForward(&losses, &probs, logits, targets, weights, N, V)
        var d = [Float](repeating: 0, count: N * V)
        crossEntropyBackward(&d, probs, targets, weights, scale, N, V)
        var fused = logits, flosses = [Float](repeating: 0, count: N)
        crossEntropyFused(&flosses, &fused, targets, weights, scale, N, V)
        for i in 0..<N { XCTAssertEqual(flosses[i], losses[i], accuracy: 1e-5) }
        for i in 0..<N * V { XCTAssertEqual(fused[i], d[i], accuracy: 1e-6) }
        XCTAssertEqual(losses[1], 0); XCTAssertEqual(losses[4], 0)
        // loss value against the definition
        var lse = 0.0
        for v in 0..<V { lse += exp(Double(logits[v])) }
        XCTAssertEqual(Double(losses[0]), log(lse) - Double(logits[3]), accuracy: 1e-5)
    }

    /// Attention gradient for a mask given by segments/prefix flags, grouped-query heads.
    func checkAttention(_ name: String, B: Int, T: Int, H: Int, KV: Int, D: Int,
                        segment: [Int32]?, prefix: [UInt8]?) {
        for block in [64, 2, 3] {
            attentionRowBlock = block
            checkAttention1("\(name) rows/block=\(block)", B: B, T: T, H: H, KV: KV, D: D, segment: segment, prefix: prefix)
        }
        attentionRowBlock = 64
    }

    func checkAttention1(_ name: String, B: Int, T: Int, H: Int, KV: Int, D: Int,
                         segment: [Int32]?, prefix: [UInt8]?) {
        var kvStart = [Int32](repeating: 0, count: B * T), kvEnd = kvStart
        fillAttentionRanges(&kvStart, &kvEnd, segment, prefix, B, T)
        let rows = (H + 2 * KV) * D
        let R = rng.normal(B * T * H * D)
        var out = [Float](repeating: 0, count: B * T * H * D)
        var att = [Float](repeating: 0, count: B * H * T * T)
        gradCheck("attention \(name)", [rng.normal(B * T * rows, 1.5)], h: 1e-2, loss: { p in
            attentionForward(&out, &att, p[0], kvStart, kvEnd, B, T, H, KV, D)
            return dotD(out, R)
        }, grads: { p, g in
            attentionForward(&out, &att, p[0], kvStart, kvEnd, B, T, H, KV, D)
            var scr = [Float](repeating: 0, count: B * KV * T * T)
            attentionBackward(g[0], R, att, p[0], kvStart, kvEnd, &scr, B, T, H, KV, D)
        })
    }

    func testAttentionCausalGQA() { checkAttention("causal gqa", B: 2, T: 5, H: 4, KV: 2, D: 4, segment: nil, prefix: nil) }
    func testAttentionMHA() { checkAttention("mha", B: 1, T: 6, H: 2, KV: 2, D: 16, segment: nil, prefix: nil) }
    func testAttentionPacked() {
        checkAttention("packed", B: 2, T: 6, H: 2, KV: 1, D: 4,
                       segment: [0, 0, 1, 1, 1, 2, 5, 5, 5, 5, 6, 6], prefix: nil)
    }
    func testAttentionPrefixLM() {
        checkAttention("prefix-lm", B: 1, T: 7, H: 2, KV: 1, D: 4,
                       segment: [0, 0, 0, 0, 1, 1, 1], prefix: [1, 1, 0, 0, 1, 0, 0])
    }

    func testAttentionRanges() {
        var s = [Int32](repeating: 0, count: 7), e = s
        fillAttentionRanges(&s, &e, [4, 4, 4, 4, 9, 9, 9], [1, 1, 0, 1, 0, 0, 0], 1, 7)
        XCTAssertEqual(s, [0, 0, 0, 0, 4, 4, 4])
        XCTAssertEqual(e, [2, 2, 3, 4, 5, 6, 7])
        fillAttentionRanges(&s, &e, nil, nil, 1, 7)
        XCTAssertEqual(s, [0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(e, [1, 2, 3, 4, 5, 6, 7])
    }

    /// Attention output against a direct double-precision computation with an explicit mask.
    func testAttentionValues() {
        for block in [64, 2] {
            attentionRowBlock = block
            attentionValues()
        }
        attentionRowBlock = 64
    }

    func attentionValues() {
        let (B, T, H, KV, D) = (1, 5, 2, 1, 3)
        let qkv = rng.normal(B * T * (H + 2 * KV) * D)
        var s = [Int32](repeating: 0, count: T), e = s
        fillAttentionRanges(&s, &e, [0, 0, 0, 1, 1], [1, 1, 0, 0, 0], B, T)
        var out = [Float](repeating: 0, count: T * H * D), att = [Float](repeating: 0, count: H * T * T)
        attentionForward(&out, &att, qkv, s, e, B, T, H, KV, D)
        let allowed: (Int, Int) -> Bool = { t, u in
            let seg = [0, 0, 0, 1, 1], pre = [true, true, false, false, false]
            return seg[t] == seg[u] && (u <= t || (pre[t] && pre[u]))
        }
        let row = (H + 2 * KV) * D
        for h in 0..<H { for t in 0..<T {
            var w = [Double](repeating: 0, count: T)
            for u in 0..<T where allowed(t, u) {
                var d = 0.0
                for i in 0..<D { d += Double(qkv[t * row + h * D + i]) * Double(qkv[u * row + H * D + i]) }
                w[u] = exp(d / sqrt(Double(D)))
            }
            let z = w.reduce(0, +)
            for i in 0..<D {
                var y = 0.0
                for u in 0..<T { y += w[u] / z * Double(qkv[u * row + (H + KV) * D + i]) }
                XCTAssertEqual(Double(out[t * H * D + h * D + i]), y, accuracy: 1e-5)
            }
        } }
    }
}

/// The architecture pieces' kernels: per-head RMSNorm (Qwen3 q/k norms), llama3 RoPE, sliding-window ranges.
final class ArchitectureGradientTests: XCTestCase {
    var rng = TestRNG(17)

    func testRMSNormHeads() {
        let (N, heads, D, stride) = (3, 2, 8, 2 * 8 + 5)
        let R = rng.normal(N * stride)
        var out = [Float](repeating: 0, count: N * stride), rstd = [Float](repeating: 0, count: N * heads)
        gradCheck("rmsnorm heads", [rng.normal(N * stride), rng.normal(D)], loss: { p in
            rmsnormHeadsForward(&out, &rstd, p[0], p[1], N, heads, D, stride, 1e-5)
            var s = 0.0
            for n in 0..<N { for i in 0..<heads * D { s += Double(out[n * stride + i]) * Double(R[n * stride + i]) } }
            return s
        }, grads: { p, g in
            rmsnormHeadsForward(&out, &rstd, p[0], p[1], N, heads, D, stride, 1e-5)
            var d = R   // in place: d becomes d inp
            rmsnormHeadsBackward(&d, g[1], d, p[0], p[1], rstd, N, heads, D, stride)
            for n in 0..<N { for i in 0..<heads * D { g[0][n * stride + i] += d[n * stride + i] } }
        })
        // in place forward equals out of place
        let x = rng.normal(N * stride), w = rng.normal(D)
        var y = x
        rmsnormHeadsForward(&out, &rstd, x, w, N, heads, D, stride, 1e-5)
        rmsnormHeadsForward(&y, &rstd, y, w, N, heads, D, stride, 1e-5)
        for n in 0..<N { for i in 0..<heads * D { XCTAssertEqual(y[n * stride + i], out[n * stride + i]) } }
    }

    func testLlama3Rope() {
        let D = 16, l3: RopeTable.Llama3 = (factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 32)
        let table = RopeTable(headDim: D, maxPositions: 40, theta: 10000, llama3: l3)
        // against the definition in double precision: every band (kept, interpolated, divided) occurs
        var bands = Set<Int>()
        for i in 0..<D / 2 {
            let inv = 1 / pow(10000.0, Double(2 * i) / Double(D)), wl = 2 * Double.pi / inv
            var f = inv
            if wl > 32 { f = inv / 8; bands.insert(2) } else if wl < 8 { bands.insert(0) } else {
                let s = (32 / wl - 1) / 3
                f = (1 - s) * inv / 8 + s * inv; bands.insert(1)
            }
            XCTAssertEqual(Double(table.cos[33 * D / 2 + i]), cos(33 * f), accuracy: 1e-5)
            XCTAssertEqual(Double(table.sin[33 * D / 2 + i]), sin(33 * f), accuracy: 1e-5)
        }
        XCTAssertEqual(bands, [0, 1, 2])
        let (N, heads, stride) = (3, 2, 2 * D)
        let pos: [Int32] = [0, 21, 39]
        let R = rng.normal(N * stride)
        var work = [Float](repeating: 0, count: N * stride)
        gradCheck("rope llama3", [rng.normal(N * stride)], loss: { p in
            work.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: p[0], count: N * stride) }
            ropeInPlace(&work, table.cos, table.sin, pos, N, heads, D, stride)
            return dotD(work, R)
        }, grads: { _, g in
            var d = R
            ropeInPlace(&d, table.cos, table.sin, pos, N, heads, D, stride, inverse: true)
            for i in 0..<d.count { g[0][i] += d[i] }
        })
    }

    func testSlidingWindowAttention() {
        let (B, T, H, KV, D) = (2, 7, 2, 1, 4)
        var kvStart = [Int32](repeating: 0, count: B * T), kvEnd = kvStart
        fillAttentionRanges(&kvStart, &kvEnd, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0], B, T)
        applySlidingWindow(&kvStart, B, T, 3)
        XCTAssertEqual(kvStart, [0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 3, 3, 3, 4])
        XCTAssertEqual(kvEnd, [1, 2, 3, 4, 5, 6, 7, 3, 3, 3, 4, 5, 6, 7])
        for block in [64, 2] {
            attentionRowBlock = block
            let rows = (H + 2 * KV) * D
            let R = rng.normal(B * T * H * D)
            var out = [Float](repeating: 0, count: B * T * H * D), att = [Float](repeating: 0, count: B * H * T * T)
            gradCheck("sliding-window attention rows/block=\(block)", [rng.normal(B * T * rows, 1.5)], loss: { p in
                attentionForward(&out, &att, p[0], kvStart, kvEnd, B, T, H, KV, D)
                return dotD(out, R)
            }, grads: { p, g in
                attentionForward(&out, &att, p[0], kvStart, kvEnd, B, T, H, KV, D)
                var scr = [Float](repeating: 0, count: B * KV * T * T)
                attentionBackward(g[0], R, att, p[0], kvStart, kvEnd, &scr, B, T, H, KV, D)
            })
        }
        attentionRowBlock = 64
    }
}
