// The SIMD16 matmul kernel for few rows and for results that must not depend on the batch:
// out (N,OC) = inp (N,C) @ weight (OC,C)^T in 4x4 register tiles, weight rows streamed and never packed.
//
// Every output element is its own dot product: 16 partial sums over c in steps of 16 (fused multiply-add),
// then reduced and the tail (c >= C rounded down to 16) added, in one fixed order whatever tile the element
// falls in, whatever N is and whichever thread computes it. Two such orders exist, one per public entry:
// - rowIndependentMatmul: a fixed reduction tree, the tail summed on its own (fused) and added last.
//   Why it exists: OpenBLAS picks kernels and blocking by the row count M, so the same input row can round
//   differently in a call of 1 row and a call of 4 (measured here: 906 of 1024 outputs differed between
//   M = 1 and M = 4). Sampling must give the same tokens whatever the batch size, so the inference path
//   uses this.
// - matmulSmallM: Swift's SIMD sum(), then the tail added term by term; matmulForward's path for 2 to 16
//   rows (measured 1.3-3.5x faster than OpenBLAS there). Its results are part of every trained model and
//   prefill, so the order stays as it was.

/// How a tile's 16-lane partial sums become one output element. Both orders are fixed per element.
protocol DotOrder {
    /// acc += x * w, lane by lane
    static func accumulate(_ acc: inout F16, _ x: F16, _ w: F16)
    /// The element from its partial sums and the tail c in C16..<C of x · w.
    static func finish(_ acc: F16, _ x: CFPtr, _ w: CFPtr, _ C16: Int, _ C: Int) -> Float
}

/// rowIndependentMatmul's order: SIMD addProduct, a 16 → 8 → 4 → 2 → 1 tree, plus a separately summed tail.
enum TreeOrder: DotOrder {
    @inline(__always) static func accumulate(_ acc: inout F16, _ x: F16, _ w: F16) { acc.addProduct(x, w) }
    @inline(__always) static func finish(_ acc: F16, _ x: CFPtr, _ w: CFPtr, _ C16: Int, _ C: Int) -> Float {
        var s: Float = 0
        var c = C16
        while c < C { s = s.addingProduct(x[c], w[c]); c += 1 }
        return reduce16(acc) + s
    }
}

/// matmulSmallM's order: fmadd (a multiply and an add without FMA), sum(), then the tail term by term.
enum SumOrder: DotOrder {
    @inline(__always) static func accumulate(_ acc: inout F16, _ x: F16, _ w: F16) { fmadd(&acc, x, w) }
    @inline(__always) static func finish(_ acc: F16, _ x: CFPtr, _ w: CFPtr, _ C16: Int, _ C: Int) -> Float {
        var s = acc.sum()
        for t in C16..<C { s += x[t] * w[t] }
        return s
    }
}

@inline(__always) func reduce16(_ v: F16) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}

/// out (N,OC) = inp (N,C) @ weight (OC,C)^T, each element computed identically whatever N.
public func rowIndependentMatmul(_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ C: Int, _ OC: Int) {
    tiledMatmul(TreeOrder.self, out, inp, weight, N, C, OC)
}

/// out (M,OC) = inp (M,C) @ weight (OC,C)^T for few rows (decoding a batch of tokens).
public func matmulSmallM(_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ M: Int, _ C: Int, _ OC: Int) {
    tiledMatmul(SumOrder.self, out, inp, weight, M, C, OC)
}

/// The one kernel. Work is cut into (64-row block) x (64-column block) tasks so a task's inputs stay in
/// cache; inside a task, 4x4 tiles, with 1 to 3 rows at a block's end.
@inline(__always)
func tiledMatmul<O: DotOrder>(_: O.Type, _ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ C: Int, _ OC: Int) {
    let o = SendablePointer(out)
    let rowBlock = 64, colBlock = 64
    let rowTasks = (N + rowBlock - 1) / rowBlock, colTasks = (OC + colBlock - 1) / colBlock
    parallelFor(rowTasks * colTasks, grain: 1) { tasks in
        for task in tasks {
            let r0 = (task / colTasks) * rowBlock, r1 = min(N, r0 + rowBlock)
            let c0 = (task % colTasks) * colBlock, c1 = min(OC, c0 + colBlock)
            var j = c0
            while j < c1 {
                // the last columns (c1 - j < 4) repeat their last one in the spare lanes: each element is
                // independent, so they change nothing, and only the tile's own elements are stored
                let nj = min(4, c1 - j)
                let w = (weight + j * C, weight + min(j + 1, c1 - 1) * C,
                         weight + min(j + 2, c1 - 1) * C, weight + min(j + 3, c1 - 1) * C)
                var n = r0
                while n + 4 <= r1 { tile(O.self, o.p + n * OC + j, inp + n * C, w, 4, nj, C, OC); n += 4 }
                switch r1 - n {   // a constant row count each, so each copy keeps only its rows' work
                case 3: tile(O.self, o.p + n * OC + j, inp + n * C, w, 3, nj, C, OC)
                case 2: tile(O.self, o.p + n * OC + j, inp + n * C, w, 2, nj, C, OC)
                case 1: tile(O.self, o.p + n * OC + j, inp + n * C, w, 1, nj, C, OC)
                default: break
                }
                j += 4
            }
        }
    }
}

/// y (rows, 4 of OC) = x (rows, C) @ the four weight rows w^T, for 1 to 4 rows; stores nj columns.
@inline(__always)
private func tile<O: DotOrder>(_: O.Type, _ y: FPtr, _ x0: CFPtr, _ w: (CFPtr, CFPtr, CFPtr, CFPtr),
                               _ rows: Int, _ nj: Int, _ C: Int, _ OC: Int) {
    let C16 = C & ~15
    let (w0, w1, w2, w3) = w
    let x1 = x0 + C, x2 = x1 + C, x3 = x2 + C
    var a00 = F16(), a01 = F16(), a02 = F16(), a03 = F16()
    var a10 = F16(), a11 = F16(), a12 = F16(), a13 = F16()
    var a20 = F16(), a21 = F16(), a22 = F16(), a23 = F16()
    var a30 = F16(), a31 = F16(), a32 = F16(), a33 = F16()
    var c = 0
    while c < C16 {
        let v0 = load16(x0 + c)
        let u0 = load16(w0 + c), u1 = load16(w1 + c), u2 = load16(w2 + c), u3 = load16(w3 + c)
        O.accumulate(&a00, v0, u0); O.accumulate(&a01, v0, u1); O.accumulate(&a02, v0, u2); O.accumulate(&a03, v0, u3)
        if rows > 1 {
            let v1 = load16(x1 + c)
            O.accumulate(&a10, v1, u0); O.accumulate(&a11, v1, u1); O.accumulate(&a12, v1, u2); O.accumulate(&a13, v1, u3)
        }
        if rows > 2 {
            let v2 = load16(x2 + c)
            O.accumulate(&a20, v2, u0); O.accumulate(&a21, v2, u1); O.accumulate(&a22, v2, u2); O.accumulate(&a23, v2, u3)
        }
        if rows > 3 {
            let v3 = load16(x3 + c)
            O.accumulate(&a30, v3, u0); O.accumulate(&a31, v3, u1); O.accumulate(&a32, v3, u2); O.accumulate(&a33, v3, u3)
        }
        c += 16
    }
    storeRow(O.self, y, nj, a00, a01, a02, a03, x0, w0, w1, w2, w3, C16, C)
    if rows > 1 { storeRow(O.self, y + OC, nj, a10, a11, a12, a13, x1, w0, w1, w2, w3, C16, C) }
    if rows > 2 { storeRow(O.self, y + 2 * OC, nj, a20, a21, a22, a23, x2, w0, w1, w2, w3, C16, C) }
    if rows > 3 { storeRow(O.self, y + 3 * OC, nj, a30, a31, a32, a33, x3, w0, w1, w2, w3, C16, C) }
}

/// Writes the first nj of four adjacent outputs of one row.
@inline(__always)
private func storeRow<O: DotOrder>(_: O.Type, _ y: FPtr, _ nj: Int, _ a0: F16, _ a1: F16, _ a2: F16, _ a3: F16,
                                   _ x: CFPtr, _ w0: CFPtr, _ w1: CFPtr, _ w2: CFPtr, _ w3: CFPtr,
                                   _ C16: Int, _ C: Int) {
    y[0] = O.finish(a0, x, w0, C16, C)
    if nj > 1 { y[1] = O.finish(a1, x, w1, C16, C) }
    if nj > 2 { y[2] = O.finish(a2, x, w2, C16, C) }
    if nj > 3 { y[3] = O.finish(a3, x, w3, C16, C) }
}
