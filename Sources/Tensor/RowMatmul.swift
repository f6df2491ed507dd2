// The matmul kernel for few rows and for results that must not depend on the batch:
// out (N,OC) = inp (N,C) @ weight (OC,C)^T in 4x4 register tiles, weight rows streamed and never packed.
// The tiles are C (Sources/CKernels: an AVX-512, an AVX2 and a portable variant, picked at run time, all
// giving the same bits); this file cuts the work into tasks for st's threads.
//
// Every output element is its own dot product: 16 fused partial sums over c in steps of 16, then reduced and
// the tail (c >= C rounded down to 16) added, in one fixed order whatever tile the element falls in, whatever
// N is, whichever thread computes it and whichever CPU. Two such orders exist, one per public entry:
// - rowIndependentMatmul: a fixed reduction tree, the tail summed on its own (fused) and added last.
//   Why it exists: OpenBLAS picks kernels and blocking by the row count M, so the same input row can round
//   differently in a call of 1 row and a call of 4 (measured here: 906 of 1024 outputs differed between
//   M = 1 and M = 4). Sampling must give the same tokens whatever the batch size, so the inference path
//   uses this. rowIndependentMatmulBF16 is the same with bfloat16 weights (st-sample --dtype bf16).
// - matmulSmallM: the 16 lanes added in turn, then the tail term by term; matmulForward's path for 2 to 16
//   rows (measured 1.3-3.5x faster than OpenBLAS there). Its results are part of every trained model and
//   prefill, so the order stays as it was.
import CKernels

/// out (N,OC) = inp (N,C) @ weight (OC,C)^T, each element computed identically whatever N.
public func rowIndependentMatmul(_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ C: Int, _ OC: Int) {
    tiledMatmul(out, N, OC) { o, r0, r1, c0, c1 in st_matmul_tree_f32(o, inp, weight, r0, r1, c0, c1, C, OC) }
}

/// rowIndependentMatmul with weights in bfloat16 (the high half of an f32): bitwise what rowIndependentMatmul
/// gives on the weights widened to f32, at half the bytes read.
public func rowIndependentMatmulBF16(_ out: FPtr, _ inp: CFPtr, _ weight: UnsafePointer<UInt16>,
                                     _ N: Int, _ C: Int, _ OC: Int) {
    tiledMatmul(out, N, OC) { o, r0, r1, c0, c1 in st_matmul_tree_bf16(o, inp, weight, r0, r1, c0, c1, C, OC) }
}

/// out (M,OC) = inp (M,C) @ weight (OC,C)^T for few rows (decoding a batch of tokens).
public func matmulSmallM(_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ M: Int, _ C: Int, _ OC: Int) {
    tiledMatmul(out, M, OC) { o, r0, r1, c0, c1 in st_matmul_sum_f32(o, inp, weight, r0, r1, c0, c1, C, OC) }
}

/// dst[i] = src[i] rounded to bfloat16 (to nearest, ties to even), as the high 16 bits of an f32.
public func roundToBF16(_ dst: UnsafeMutablePointer<UInt16>, _ src: CFPtr, _ n: Int) {
    st_f32_to_bf16(dst, src, n)
}

/// The kernel family the CPU got: "avx512", "avx2" or "portable" (ST_KERNELS=avx2|portable picks a lower one).
public var kernelFamily: String { String(cString: st_kernels_name()) }

/// Tests only, while no kernel runs: use family `name` (nil: the best this CPU has). False if the CPU lacks it.
@discardableResult func selectKernelFamily(_ name: String?) -> Bool {
    guard let name else { return st_kernels_select(nil) != 0 }
    return name.withCString { st_kernels_select($0) != 0 }
}

/// Work cut into (64-row block) x (64-column block) tasks so a task's inputs stay in cache; the cut depends
/// on the shape only. `block(out, r0, r1, c0, c1)` computes one.
@inline(__always)
func tiledMatmul(_ out: FPtr, _ N: Int, _ OC: Int, _ block: (FPtr, Int, Int, Int, Int) -> Void) {
    let o = SendablePointer(out)
    let rowBlock = 64, colBlock = 64
    let rowTasks = (N + rowBlock - 1) / rowBlock, colTasks = (OC + colBlock - 1) / colBlock
    parallelFor(rowTasks * colTasks, grain: 1) { tasks in
        for task in tasks {
            let r0 = (task / colTasks) * rowBlock, r1 = min(N, r0 + rowBlock)
            let c0 = (task % colTasks) * colBlock, c1 = min(OC, c0 + colBlock)
            block(o.p, r0, r1, c0, c1)
        }
    }
}

/// The tree reduction of a 16-lane partial sum (cachedAttention's dot products use it too).
@inline(__always) func reduce16(_ v: F16) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}
