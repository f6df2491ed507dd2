// A matmul whose every output row is bitwise independent of the other rows in the call.
//
// Why: OpenBLAS picks kernels and blocking by the row count M, so the same input row can round differently
// in a call of 1 row and a call of 4 (measured here: 906 of 1024 outputs differed between M = 1 and M = 4).
// Sampling must give the same tokens whatever the batch size, so the inference path uses this kernel:
// out[n, o] = Σ_c inp[n, c] · weight[o, c] accumulated in one fixed order for every element — 16 partial
// sums over c in steps of 16 (fused multiply-add), a fixed reduction tree, then the tail in order — whatever
// tile the element falls in, whatever M is, and whichever thread computes it.

@inline(__always) func reduce16(_ v: SIMD16<Float>) -> Float {
    // fixed tree: 16 → 8 → 4 → 2 → 1
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}

@inline(__always) private func tail(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ from: Int, _ C: Int) -> Float {
    var s: Float = 0
    var c = from
    while c < C { s = s.addingProduct(x[c], w[c]); c += 1 }
    return s
}

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// out (N,OC) = inp (N,C) @ weight (OC,C)^T, each element computed identically whatever N.
/// Work is cut into (64-row block) x (64-column block) tasks so a task's inputs stay in cache; inside a task,
/// 4x4 register tiles, then 1x4 and 1x1 for the edges — all with the same per-element order of operations.
public func rowIndependentMatmul(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                 _ weight: UnsafePointer<Float>, _ N: Int, _ C: Int, _ OC: Int) {
    let o = SendablePointer(out)
    let C16 = C & ~15
    let rowBlock = 64, colBlock = 64
    let rowTasks = (N + rowBlock - 1) / rowBlock, colTasks = (OC + colBlock - 1) / colBlock
    parallelFor(rowTasks * colTasks, grain: 1) { tasks in
        for task in tasks {
            let r0 = (task / colTasks) * rowBlock, r1 = min(N, r0 + rowBlock)
            let c0 = (task % colTasks) * colBlock, c1 = min(OC, c0 + colBlock)
            var j = c0
            while j + 4 <= c1 {
                let w0 = weight + j * C, w1 = w0 + C, w2 = w1 + C, w3 = w2 + C
                var n = r0
                while n + 4 <= r1 {
                    let x0 = inp + n * C, x1 = x0 + C, x2 = x1 + C, x3 = x2 + C
                    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
                    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
                    var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a22 = SIMD16<Float>(), a23 = SIMD16<Float>()
                    var a30 = SIMD16<Float>(), a31 = SIMD16<Float>(), a32 = SIMD16<Float>(), a33 = SIMD16<Float>()
                    var c = 0
                    while c < C16 {
                        let u0 = load(w0 + c), u1 = load(w1 + c), u2 = load(w2 + c), u3 = load(w3 + c)
                        let v0 = load(x0 + c)
                        a00.addProduct(v0, u0); a01.addProduct(v0, u1); a02.addProduct(v0, u2); a03.addProduct(v0, u3)
                        let v1 = load(x1 + c)
                        a10.addProduct(v1, u0); a11.addProduct(v1, u1); a12.addProduct(v1, u2); a13.addProduct(v1, u3)
                        let v2 = load(x2 + c)
                        a20.addProduct(v2, u0); a21.addProduct(v2, u1); a22.addProduct(v2, u2); a23.addProduct(v2, u3)
                        let v3 = load(x3 + c)
                        a30.addProduct(v3, u0); a31.addProduct(v3, u1); a32.addProduct(v3, u2); a33.addProduct(v3, u3)
                        c += 16
                    }
                    store4(o.p + n * OC + j, a00, a01, a02, a03, x0, w0, C16, C)
                    store4(o.p + (n + 1) * OC + j, a10, a11, a12, a13, x1, w0, C16, C)
                    store4(o.p + (n + 2) * OC + j, a20, a21, a22, a23, x2, w0, C16, C)
                    store4(o.p + (n + 3) * OC + j, a30, a31, a32, a33, x3, w0, C16, C)
                    n += 4
                }
                while n < r1 {   // 1 x 4
                    let x = inp + n * C
                    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                    var c = 0
                    while c < C16 {
                        let v = load(x + c)
                        a0.addProduct(v, load(w0 + c)); a1.addProduct(v, load(w1 + c))
                        a2.addProduct(v, load(w2 + c)); a3.addProduct(v, load(w3 + c))
                        c += 16
                    }
                    store4(o.p + n * OC + j, a0, a1, a2, a3, x, w0, C16, C)
                    n += 1
                }
                j += 4
            }
            while j < c1 {       // last columns, 1 x 1
                let w = weight + j * C
                for n in r0..<r1 {
                    let x = inp + n * C
                    var a = SIMD16<Float>()
                    var c = 0
                    while c < C16 { a.addProduct(load(x + c), load(w + c)); c += 16 }
                    o.p[n * OC + j] = reduce16(a) + tail(x, w, C16, C)
                }
                j += 1
            }
        }
    }
}

/// Writes four adjacent outputs of one row: each lane sum reduced the same way, plus its tail.
@inline(__always) private func store4(_ y: UnsafeMutablePointer<Float>, _ a0: SIMD16<Float>, _ a1: SIMD16<Float>,
                                      _ a2: SIMD16<Float>, _ a3: SIMD16<Float>, _ x: UnsafePointer<Float>,
                                      _ w0: UnsafePointer<Float>, _ C16: Int, _ C: Int) {
    y[0] = reduce16(a0) + tail(x, w0, C16, C)
    y[1] = reduce16(a1) + tail(x, w0 + C, C16, C)
    y[2] = reduce16(a2) + tail(x, w0 + 2 * C, C16, C)
    y[3] = reduce16(a3) + tail(x, w0 + 3 * C, C16, C)
}
