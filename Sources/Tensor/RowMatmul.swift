// A matmul whose every output row is bitwise independent of the other rows in the call.
//
// Why: OpenBLAS picks kernels and blocking by the row count M, so the same input row can round differently
// in a call of 1 row and a call of 4 (measured here: 906 of 1024 outputs differed between M = 1 and M = 4).
// Sampling must give the same tokens whatever the batch size, so the inference path uses this kernel:
// out[n, o] = Σ_c inp[n, c] · weight[o, c] accumulated in one fixed order for every element — 16 partial
// sums over c in steps of 16 (fused multiply-add), a fixed reduction tree, then the tail in order — whatever
// tile the element falls in, whatever M is, and whichever thread computes it.

@inline(__always) private func reduce16(_ v: SIMD16<Float>) -> Float {
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
public func rowIndependentMatmul(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                 _ weight: UnsafePointer<Float>, _ N: Int, _ C: Int, _ OC: Int) {
    let o = SendablePointer(out)
    let C16 = C & ~15
    // Columns (output features) are split among threads; each element is computed by exactly one thread.
    parallelFor((OC + 3) / 4, grain: max(1, 64 / max(1, N))) { blocks in
        for blk in blocks {
            let o0 = blk * 4, ocount = min(4, OC - o0)
            var n0 = 0
            if ocount == 4 {
                let w0 = weight + o0 * C, w1 = w0 + C, w2 = w1 + C, w3 = w2 + C
                // 2 rows x 4 columns: 8 accumulators
                while n0 + 2 <= N {
                    let x0 = inp + n0 * C, x1 = x0 + C
                    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
                    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
                    var c = 0
                    while c < C16 {
                        let v0 = load(x0 + c), v1 = load(x1 + c)
                        let u0 = load(w0 + c), u1 = load(w1 + c), u2 = load(w2 + c), u3 = load(w3 + c)
                        a00.addProduct(v0, u0); a01.addProduct(v0, u1); a02.addProduct(v0, u2); a03.addProduct(v0, u3)
                        a10.addProduct(v1, u0); a11.addProduct(v1, u1); a12.addProduct(v1, u2); a13.addProduct(v1, u3)
                        c += 16
                    }
                    let r0 = o.p + n0 * OC + o0, r1 = r0 + OC
                    r0[0] = reduce16(a00) + tail(x0, w0, C16, C); r0[1] = reduce16(a01) + tail(x0, w1, C16, C)
                    r0[2] = reduce16(a02) + tail(x0, w2, C16, C); r0[3] = reduce16(a03) + tail(x0, w3, C16, C)
                    r1[0] = reduce16(a10) + tail(x1, w0, C16, C); r1[1] = reduce16(a11) + tail(x1, w1, C16, C)
                    r1[2] = reduce16(a12) + tail(x1, w2, C16, C); r1[3] = reduce16(a13) + tail(x1, w3, C16, C)
                    n0 += 2
                }
            }
            // Remaining rows and columns one element at a time, in the same order.
            for n in n0..<N {
                let x = inp + n * C
                for j in 0..<ocount {
                    let w = weight + (o0 + j) * C
                    var a = SIMD16<Float>()
                    var c = 0
                    while c < C16 { a.addProduct(load(x + c), load(w + c)); c += 16 }
                    o.p[n * OC + o0 + j] = reduce16(a) + tail(x, w, C16, C)
                }
            }
            // Rows already done by the 2x4 kernel used all four columns; for ocount < 4 n0 stayed 0.
        }
    }
}
