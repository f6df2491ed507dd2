// The operations of a decoder language model, each a forward/backward pair of free functions over raw
// Float32 buffers (llm.c style): outputs first, then inputs, then sizes. Backward functions ACCUMULATE into
// the gradients they are given (`+=`), so a buffer used twice (tied embeddings, residuals) needs no copy.
// Every pair is checked against finite differences in double precision (Tests/TensorTests).
import CBLAS
import CKernels
import Foundation

public typealias FPtr = UnsafeMutablePointer<Float>
public typealias CFPtr = UnsafePointer<Float>
public typealias IPtr = UnsafePointer<Int32>

// MARK: - Matrix multiply (OpenBLAS)

/// C (M,N) = alpha * op(A) @ op(B) + beta * C, row-major; op(A) is (M,K), op(B) is (K,N).
/// Large products are cut into blocks of rows (or columns) of C whose boundaries depend only on the shape,
/// each computed by a single-threaded OpenBLAS call on one of st's threads. Every element of C is the same
/// K-long dot product whatever the split, so results do not depend on the thread count.
public func sgemm(_ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int,
                  _ alpha: Float, _ A: CFPtr, _ lda: Int, _ B: CFPtr, _ ldb: Int,
                  _ beta: Float, _ C: FPtr, _ ldc: Int) {
    ensureBLAS()
    let work = M * N * K
    // as few blocks as keep every core busy (each block packs the shared operand again); the count depends on
    // the machine (cores), never on the thread setting
    let blocks = min(Threads.cores, work / (1 << 21))
    if blocks <= 1 {
        sgemm1(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
        return
    }
    let cp = SendablePointer(C)
    if M >= N {
        let rows = max(16, (M + blocks - 1) / blocks + 15) / 16 * 16
        let chunks = (M + rows - 1) / rows
        parallelChunks(chunks) { c in
            let m0 = c * rows, m = min(rows, M - m0)
            sgemm1(transA, transB, m, N, K, alpha, transA ? A + m0 : A + m0 * lda, lda, B, ldb, beta, cp.p + m0 * ldc, ldc)
        }
    } else {
        let cols = max(16, (N + blocks - 1) / blocks + 15) / 16 * 16
        let chunks = (N + cols - 1) / cols
        parallelChunks(chunks) { c in
            let n0 = c * cols, n = min(cols, N - n0)
            sgemm1(transA, transB, M, n, K, alpha, A, lda, transB ? B + n0 * ldb : B + n0, ldb, beta, cp.p + n0, ldc)
        }
    }
}

/// One OpenBLAS call on the calling thread.
@inline(__always)
public func sgemm1(_ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int,
                   _ alpha: Float, _ A: CFPtr, _ lda: Int, _ B: CFPtr, _ ldb: Int,
                   _ beta: Float, _ C: FPtr, _ ldc: Int) {
    ensureBLAS()
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
}

/// out (N,OC) = inp (N,C) @ weight (OC,C)^T + bias (OC)   [the layout of torch.nn.Linear]
/// (2 to 16 rows, as when decoding a few sequences, go through matmulSmallM in RowMatmul.swift)
public func matmulForward(_ out: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ bias: CFPtr?, _ N: Int, _ C: Int, _ OC: Int) {
    if N >= 2 && N <= 16 && C >= 64 {
        matmulSmallM(out, inp, weight, N, C, OC)
    } else {
        sgemm(false, true, N, OC, C, 1, inp, C, weight, C, 0, out, OC)
    }
    if let bias { addBiasForward(out, bias, N, OC) }
}

/// out (N,OC) += bias (OC) on every row (each row on its own: the same whatever the row count). Its backward
/// is matmulBackward's dbias (a column sum of dout).
public func addBiasForward(_ out: FPtr, _ bias: CFPtr, _ N: Int, _ OC: Int) {
    parallelFor(N, grain: rowGrain(OC)) { r in
        for n in r { vaxpy(out + n * OC, 1, bias, OC) }
    }
}

/// dinp (N,C) += dout (N,OC) @ weight (OC,C);  dweight (OC,C) += dout^T @ inp;  dbias (OC) += sum_n dout
/// (overwriteDinp: dinp = instead of +=, which saves zeroing a scratch buffer)
public func matmulBackward(_ dinp: FPtr?, _ dweight: FPtr?, _ dbias: FPtr?,
                           _ dout: CFPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ C: Int, _ OC: Int,
                           overwriteDinp: Bool = false) {
    if let dinp { sgemm(false, false, N, C, OC, 1, dout, OC, weight, C, overwriteDinp ? 0 : 1, dinp, C) }
    if let dweight { sgemm(true, false, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C) }
    if let dbias {
        // columns split in fixed blocks; each block sums rows in order: deterministic
        let db = SendablePointer(dbias)
        parallelFor(OC, grain: 64) { cols in
            for n in 0..<N {
                let row = dout + n * OC
                for o in cols { db.p[o] += row[o] }
            }
        }
    }
}

/// out (batch,M,N) = a (batch,M,K) @ b (batch,K,N)
public func batchedMatmulForward(_ out: FPtr, _ a: CFPtr, _ b: CFPtr, _ batch: Int, _ M: Int, _ N: Int, _ K: Int) {
    for i in 0..<batch {
        sgemm(false, false, M, N, K, 1, a + i * M * K, K, b + i * K * N, N, 0, out + i * M * N, N)
    }
}

/// da (batch,M,K) += dout @ b^T;  db (batch,K,N) += a^T @ dout
public func batchedMatmulBackward(_ da: FPtr?, _ db: FPtr?, _ dout: CFPtr, _ a: CFPtr, _ b: CFPtr,
                                  _ batch: Int, _ M: Int, _ N: Int, _ K: Int) {
    for i in 0..<batch {
        if let da { sgemm(false, true, M, K, N, 1, dout + i * M * N, N, b + i * K * N, N, 1, da + i * M * K, K) }
        if let db { sgemm(true, false, K, N, M, 1, a + i * M * K, K, dout + i * M * N, N, 1, db + i * K * N, N) }
    }
}

// MARK: - Add and scale

/// out (n) = a (n) + b (n)   (out may alias a or b)
public func addForward(_ out: FPtr, _ a: CFPtr, _ b: CFPtr, _ n: Int) {
    let o = SendablePointer(out)
    parallelFor(n, grain: 1 << 16) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { store16(o.p + i, load16(a + i) + load16(b + i)); i += 16 }
        while i < r.upperBound { o.p[i] = a[i] + b[i]; i += 1 }
    }
}

/// da += dout; db += dout
public func addBackward(_ da: FPtr?, _ db: FPtr?, _ dout: CFPtr, _ n: Int) {
    if let da { accumulate(da, dout, n) }
    if let db { accumulate(db, dout, n) }
}

/// y (n) += x (n)
public func accumulate(_ y: FPtr, _ x: CFPtr, _ n: Int) {
    let yp = SendablePointer(y)
    parallelFor(n, grain: 1 << 16) { r in vaxpy(yp.p + r.lowerBound, 1, x + r.lowerBound, r.count) }
}

/// out (n) = s * inp (n)
public func scaleForward(_ out: FPtr, _ inp: CFPtr, _ s: Float, _ n: Int) {
    let o = SendablePointer(out)
    parallelFor(n, grain: 1 << 16) { r in vscaleTo(o.p + r.lowerBound, s, inp + r.lowerBound, r.count) }
}

/// dinp += s * dout
public func scaleBackward(_ dinp: FPtr, _ dout: CFPtr, _ s: Float, _ n: Int) {
    let d = SendablePointer(dinp)
    parallelFor(n, grain: 1 << 16) { r in vaxpy(d.p + r.lowerBound, s, dout + r.lowerBound, r.count) }
}

// MARK: - Embedding

/// out (N,C) = wte (V,C) [tokens (N)]
public func embeddingForward(_ out: FPtr, _ tokens: IPtr, _ wte: CFPtr, _ N: Int, _ C: Int) {
    let o = SendablePointer(out)
    parallelFor(N, grain: rowGrain(C)) { r in
        for n in r { (o.p + n * C).update(from: wte + Int(tokens[n]) * C, count: C) }
    }
}

/// dwte (V,C) [tokens[n]] += dout (N,C) [n]    (column blocks in parallel, rows in order: deterministic)
public func embeddingBackward(_ dwte: FPtr, _ dout: CFPtr, _ tokens: IPtr, _ N: Int, _ C: Int) {
    let d = SendablePointer(dwte)
    parallelFor(C, grain: 64) { cols in
        for n in 0..<N {
            vaxpy(d.p + Int(tokens[n]) * C + cols.lowerBound, 1, dout + n * C + cols.lowerBound, cols.count)
        }
    }
}

// MARK: - RMSNorm and LayerNorm

/// out (N,C) = inp * rstd * weight (C);  rstd (N) = 1/sqrt(mean(inp^2) + eps)   [HF LlamaRMSNorm]
public func rmsnormForward(_ out: FPtr, _ rstd: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ C: Int, _ eps: Float) {
    let o = SendablePointer(out), rs = SendablePointer(rstd)
    parallelFor(N, grain: rowGrain(C)) { r in
        for n in r {
            let x = inp + n * C, y = o.p + n * C
            let ms = vdot(x, x, C) / Float(C)
            let s = 1 / (ms + eps).squareRoot()
            rs.p[n] = s
            var i = 0
            let sv = F16(repeating: s)
            while i + 16 <= C { store16(y + i, (load16(x + i) * sv) * load16(weight + i)); i += 16 }
            while i < C { y[i] = (x[i] * s) * weight[i]; i += 1 }
        }
    }
}

/// dinp (N,C) += ...; dweight (C) += sum_n dout * inp * rstd
public func rmsnormBackward(_ dinp: FPtr, _ dweight: FPtr?, _ dout: CFPtr, _ inp: CFPtr, _ weight: CFPtr,
                            _ rstd: CFPtr, _ N: Int, _ C: Int) {
    let di = SendablePointer(dinp)
    parallelFor(N, grain: rowGrain(3 * C)) { r in
        for n in r {
            let x = inp + n * C, dy = dout + n * C, dx = di.p + n * C
            let s = rstd[n]
            // g = w * dy;  dx = s * g - x * s^3 * mean(g * x)
            var acc = F16()
            var i = 0
            while i + 16 <= C { fmadd(&acc, load16(weight + i) * load16(dy + i), load16(x + i)); i += 16 }
            var dotgx = acc.sum()
            while i < C { dotgx += weight[i] * dy[i] * x[i]; i += 1 }
            let k = -s * s * s * dotgx / Float(C)
            i = 0
            let sv = F16(repeating: s), kv = F16(repeating: k)
            while i + 16 <= C {
                var v = load16(dx + i)
                fmadd(&v, sv, load16(weight + i) * load16(dy + i))
                fmadd(&v, kv, load16(x + i))
                store16(dx + i, v)
                i += 16
            }
            while i < C { dx[i] += s * weight[i] * dy[i] + k * x[i]; i += 1 }
        }
    }
    if let dweight {
        let dw = SendablePointer(dweight)
        parallelFor(C, grain: 64) { cols in
            for n in 0..<N {
                let x = inp + n * C, dy = dout + n * C, s = rstd[n]
                for c in cols { dw.p[c] += dy[c] * x[c] * s }
            }
        }
    }
}

/// out (N,C) = (inp - mean) * rstd * weight + bias;  mean, rstd (N)
public func layernormForward(_ out: FPtr, _ mean: FPtr, _ rstd: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ bias: CFPtr,
                             _ N: Int, _ C: Int, _ eps: Float) {
    let o = SendablePointer(out), mp = SendablePointer(mean), rp = SendablePointer(rstd)
    parallelFor(N, grain: rowGrain(C)) { r in
        for n in r {
            let x = inp + n * C, y = o.p + n * C
            var acc = F16()
            var i = 0
            while i + 16 <= C { acc += load16(x + i); i += 16 }
            var sum = acc.sum()
            while i < C { sum += x[i]; i += 1 }
            let m = sum / Float(C)
            var vacc = F16()
            let mv = F16(repeating: m)
            i = 0
            while i + 16 <= C { let d = load16(x + i) - mv; fmadd(&vacc, d, d); i += 16 }
            var v = vacc.sum()
            while i < C { let d = x[i] - m; v += d * d; i += 1 }
            let s = 1 / (v / Float(C) + eps).squareRoot()
            mp.p[n] = m
            rp.p[n] = s
            for c in 0..<C { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
        }
    }
}

/// dinp (N,C) +=, dweight (C) +=, dbias (C) +=
public func layernormBackward(_ dinp: FPtr, _ dweight: FPtr?, _ dbias: FPtr?, _ dout: CFPtr, _ inp: CFPtr,
                              _ weight: CFPtr, _ mean: CFPtr, _ rstd: CFPtr, _ N: Int, _ C: Int) {
    let di = SendablePointer(dinp)
    parallelFor(N, grain: rowGrain(4 * C)) { r in
        for n in r {
            let x = inp + n * C, dy = dout + n * C, dx = di.p + n * C
            let m = mean[n], s = rstd[n]
            var sumG: Float = 0, sumGX: Float = 0
            for c in 0..<C {
                let g = weight[c] * dy[c]
                sumG += g
                sumGX += g * (x[c] - m) * s
            }
            sumG /= Float(C); sumGX /= Float(C)
            for c in 0..<C {
                let xhat = (x[c] - m) * s
                dx[c] += s * (weight[c] * dy[c] - sumG - xhat * sumGX)
            }
        }
    }
    let dw = dweight.map(SendablePointer.init), dbp = dbias.map(SendablePointer.init)
    parallelFor(C, grain: 64) { cols in
        for n in 0..<N {
            let x = inp + n * C, dy = dout + n * C, m = mean[n], s = rstd[n]
            for c in cols {
                dw?.p[c] += dy[c] * (x[c] - m) * s
                dbp?.p[c] += dy[c]
            }
        }
    }
}

/// RMSNorm of every head: inp holds N rows of `stride` floats whose first heads*D floats are `heads` vectors
/// of D; each vector becomes v * rstd * weight (D) (Qwen3's q_norm / k_norm over head_dim). rstd (N*heads).
/// out has the same layout and may be inp (in place).
public func rmsnormHeadsForward(_ out: FPtr, _ rstd: FPtr, _ inp: CFPtr, _ weight: CFPtr, _ N: Int, _ heads: Int,
                                _ D: Int, _ stride: Int, _ eps: Float) {
    let o = SendablePointer(out), rs = SendablePointer(rstd)
    parallelFor(N, grain: rowGrain(heads * D)) { r in
        for n in r {
            for h in 0..<heads {
                let x = inp + n * stride + h * D, y = o.p + n * stride + h * D
                let s = 1 / (vdot(x, x, D) / Float(D) + eps).squareRoot()
                rs.p[n * heads + h] = s
                for i in 0..<D { y[i] = (x[i] * s) * weight[i] }
            }
        }
    }
}

/// Backward of rmsnormHeadsForward: dinp (same layout) = d inp, OVERWRITTEN (it may be dout: in place);
/// dweight (D) += sum over rows and heads of dout * inp * rstd.
public func rmsnormHeadsBackward(_ dinp: FPtr, _ dweight: FPtr, _ dout: CFPtr, _ inp: CFPtr, _ weight: CFPtr,
                                 _ rstd: CFPtr, _ N: Int, _ heads: Int, _ D: Int, _ stride: Int) {
    // dweight first: in place, dinp overwrites dout
    for n in 0..<N {
        for h in 0..<heads {
            let x = inp + n * stride + h * D, dy = dout + n * stride + h * D, s = rstd[n * heads + h]
            for i in 0..<D { dweight[i] += dy[i] * x[i] * s }
        }
    }
    let di = SendablePointer(dinp)
    parallelFor(N, grain: rowGrain(3 * heads * D)) { r in
        for n in r {
            for h in 0..<heads {
                let x = inp + n * stride + h * D, dy = dout + n * stride + h * D, dx = di.p + n * stride + h * D
                let s = rstd[n * heads + h]
                // g = w * dy;  dx = s * g - x * s^3 * mean(g * x)
                var dotgx: Float = 0
                for i in 0..<D { dotgx += weight[i] * dy[i] * x[i] }
                let k = -s * s * s * dotgx / Float(D)
                for i in 0..<D { dx[i] = s * weight[i] * dy[i] + k * x[i] }
            }
        }
    }
}

// MARK: - Rotary position embedding (Hugging Face Llama "rotate_half" convention)

/// cos/sin tables (maxPositions, headDim/2): angle(p, i) = p * theta^(-2i/headDim), computed in Float32 as
/// transformers does (inv_freq in float32, then float32 product), cos/sin rounded from double.
/// llama3 (Llama 3.1's rope type) rescales the inverse frequencies as transformers' _compute_llama3_parameters
/// does, in float32: wavelengths above original/lowFreqFactor are divided by factor, below
/// original/highFreqFactor kept, and interpolated between.
public struct RopeTable {
    public typealias Llama3 = (factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int)
    public let headDim: Int, maxPositions: Int, theta: Double
    public let cos: [Float], sin: [Float]
    public init(headDim: Int, maxPositions: Int, theta: Double, llama3: Llama3? = nil) {
        self.headDim = headDim; self.maxPositions = maxPositions; self.theta = theta
        let half = headDim / 2
        var c = [Float](repeating: 0, count: maxPositions * half), s = c
        for i in 0..<half {
            var invFreq = Float(1) / Float(pow(Float(theta), Float(2 * i) / Float(headDim)))
            if let l = llama3 { invFreq = RopeTable.llama3InvFreq(invFreq, l) }
            for p in 0..<maxPositions {
                let a = Float(p) * invFreq
                c[p * half + i] = Float(Foundation.cos(Double(a)))
                s[p * half + i] = Float(Foundation.sin(Double(a)))
            }
        }
        cos = c; sin = s
    }

    /// One inverse frequency under llama3 scaling, in torch's float32 order of operations
    /// (scalar / tensor is reciprocal(tensor) * scalar).
    public static func llama3InvFreq(_ inv: Float, _ l: Llama3) -> Float {
        let old = Double(l.originalMaxPositions)
        let lowWavelen = old / l.lowFreqFactor, highWavelen = old / l.highFreqFactor
        let wavelen = (1 / inv) * Float(2 * Double.pi)
        let scaled = Double(wavelen) > lowWavelen ? inv / Float(l.factor) : inv
        if Double(wavelen) < highWavelen || Double(wavelen) > lowWavelen { return scaled }
        let smooth = ((1 / wavelen) * Float(old) - Float(l.lowFreqFactor)) / Float(l.highFreqFactor - l.lowFreqFactor)
        return (1 - smooth) * scaled / Float(l.factor) + smooth * scaled
    }
}

/// In place on x (N rows of `stride` floats; the first `heads*D` floats of a row are `heads` vectors of D):
///   x[i] <- x[i] cos - x[i+D/2] sin;  x[i+D/2] <- x[i+D/2] cos + x[i] sin   (i < D/2, angle from pos[n])
/// inverse = true applies the transpose rotation: the backward pass, in place on the gradient.
public func ropeInPlace(_ x: FPtr, _ cosT: CFPtr, _ sinT: CFPtr, _ pos: IPtr, _ N: Int, _ heads: Int, _ D: Int,
                        _ stride: Int, inverse: Bool = false) {
    let xp = SendablePointer(x)
    let half = D / 2
    parallelFor(N, grain: rowGrain(heads * D * 3)) { r in
        for n in r {
            let c = cosT + Int(pos[n]) * half, s = sinT + Int(pos[n]) * half
            for h in 0..<heads {
                let v = xp.p + n * stride + h * D
                var i = 0
                while i + 16 <= half {
                    let a = load16(v + i), b = load16(v + i + half), cv = load16(c + i)
                    var sv = load16(s + i)
                    if inverse { sv = -sv }
                    store16(v + i, a * cv - b * sv)
                    store16(v + i + half, b * cv + a * sv)
                    i += 16
                }
                while i < half {
                    let a = v[i], b = v[i + half], cv = c[i], sv = inverse ? -s[i] : s[i]
                    v[i] = a * cv - b * sv
                    v[i + half] = b * cv + a * sv
                    i += 1
                }
            }
        }
    }
}

// MARK: - Activations

@inline(__always) func vsigmoid(_ x: F16) -> F16 { 1 / (1 + vexp(-x)) }

/// out (n) = silu(inp) = inp * sigmoid(inp)
public func siluForward(_ out: FPtr, _ inp: CFPtr, _ n: Int) {
    let o = SendablePointer(out)
    parallelFor(n, grain: 1 << 14) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { let x = load16(inp + i); store16(o.p + i, x * vsigmoid(x)); i += 16 }
        while i < r.upperBound { let x = inp[i]; o.p[i] = x / (1 + expScalar(-x)); i += 1 }
    }
}

/// dinp += dout * silu'(inp)
public func siluBackward(_ dinp: FPtr, _ dout: CFPtr, _ inp: CFPtr, _ n: Int) {
    let d = SendablePointer(dinp)
    parallelFor(n, grain: 1 << 14) { r in
        for i in r {
            let x = inp[i], sg = 1 / (1 + expScalar(-x))
            d.p[i] += dout[i] * sg * (1 + x * (1 - sg))
        }
    }
}

/// out (n) = gelu(inp) = inp * Phi(inp)   (exact, erf form: torch.nn.GELU())
public func geluForward(_ out: FPtr, _ inp: CFPtr, _ n: Int) {
    let o = SendablePointer(out)
    parallelFor(n, grain: 1 << 14) { r in
        for i in r { let x = inp[i]; o.p[i] = 0.5 * x * (1 + erf(x * 0.70710678118654752)) }
    }
}

/// dinp += dout * gelu'(inp)
public func geluBackward(_ dinp: FPtr, _ dout: CFPtr, _ inp: CFPtr, _ n: Int) {
    let d = SendablePointer(dinp)
    parallelFor(n, grain: 1 << 14) { r in
        for i in r {
            let x = inp[i]
            let cdf = 0.5 * (1 + erf(x * 0.70710678118654752))
            let pdf = 0.3989422804014327 * exp(-0.5 * x * x)
            d.p[i] += dout[i] * (cdf + x * pdf)
        }
    }
}

/// SwiGLU: out (N,I) = silu(gu[:, :I]) * gu[:, I:]   where gu (N,2I) holds [gate | up] per row
/// (in C, Sources/CKernels: vexp and vsigmoid's arithmetic lane for lane, fast under any build flags)
public func swigluForward(_ out: FPtr, _ gu: CFPtr, _ N: Int, _ I: Int) {
    let o = SendablePointer(out)
    parallelFor(N, grain: rowGrain(I * 8)) { r in st_swiglu_forward(o.p, gu, r.lowerBound, r.upperBound, I) }
}

/// dgu (N,2I) += d/d[gate|up] of SwiGLU given dout (N,I)   (overwrite: = instead of +=)
public func swigluBackward(_ dgu: FPtr, _ dout: CFPtr, _ gu: CFPtr, _ N: Int, _ I: Int, overwrite: Bool = false) {
    let d = SendablePointer(dgu)
    parallelFor(N, grain: rowGrain(I * 10)) { r in
        for n in r {
            let g = gu + n * 2 * I, u = g + I, dy = dout + n * I
            let dg = d.p + n * 2 * I, du = dg + I
            var i = 0
            let one = F16(repeating: 1)
            while i + 16 <= I {
                let x = load16(g + i), sg = vsigmoid(x), dyv = load16(dy + i), uv = load16(u + i)
                let silu = x * sg
                let du0 = overwrite ? F16() : load16(du + i), dg0 = overwrite ? F16() : load16(dg + i)
                store16(du + i, du0 + dyv * silu)
                store16(dg + i, dg0 + dyv * uv * sg * (one + x * (one - sg)))
                i += 16
            }
            while i < I {
                let x = g[i], sg = 1 / (1 + expScalar(-x))
                du[i] = (overwrite ? 0 : du[i]) + dy[i] * x * sg
                dg[i] = (overwrite ? 0 : dg[i]) + dy[i] * u[i] * sg * (1 + x * (1 - sg))
                i += 1
            }
        }
    }
}

// MARK: - Softmax cross-entropy with ignored positions and per-token weights

/// losses (N) = weight[n] * (logsumexp(logits[n]) - logits[n, target[n]]), 0 where target[n] < 0;
/// probs (N,V) = softmax(logits) (may alias logits). weights nil = all 1.
public func crossEntropyForward(_ losses: FPtr, _ probs: FPtr, _ logits: CFPtr, _ targets: IPtr, _ weights: CFPtr?,
                                _ N: Int, _ V: Int) {
    let lp = SendablePointer(losses), pp = SendablePointer(probs)
    parallelFor(N, grain: rowGrain(V * 4)) { r in
        for n in r {
            let x = logits + n * V, p = pp.p + n * V
            let t = Int(targets[n])
            let xt = t >= 0 ? x[t] : 0
            if p != UnsafeMutablePointer(mutating: x) { p.update(from: x, count: V) }
            let m = vmax(p, V)
            let sum = vexpShiftSum(p, m, V)
            let inv = 1 / sum
            vscaleTo(p, inv, p, V)
            let w = t < 0 ? 0 : (weights?[n] ?? 1)
            lp.p[n] = w == 0 ? 0 : w * (log(sum) + m - xt)
        }
    }
}

/// dlogits (N,V) += scale * weight[n] * (probs[n] - onehot(target[n]))   (rows with target < 0 untouched)
public func crossEntropyBackward(_ dlogits: FPtr, _ probs: CFPtr, _ targets: IPtr, _ weights: CFPtr?, _ scale: Float,
                                 _ N: Int, _ V: Int) {
    let d = SendablePointer(dlogits)
    parallelFor(N, grain: rowGrain(V * 2)) { r in
        for n in r {
            let t = Int(targets[n])
            if t < 0 { continue }
            let k = scale * (weights?[n] ?? 1)
            if k == 0 { continue }
            vaxpy(d.p + n * V, k, probs + n * V, V)
            d.p[n * V + t] -= k
        }
    }
}

/// Fused forward + backward used by training: losses (N) as in crossEntropyForward, and logits (N,V)
/// overwritten by dloss/dlogits = scale * weight * (softmax - onehot) (zero rows where ignored).
public func crossEntropyFused(_ losses: FPtr, _ logits: FPtr, _ targets: IPtr, _ weights: CFPtr?, _ scale: Float,
                              _ N: Int, _ V: Int) {
    let lp = SendablePointer(losses), xp = SendablePointer(logits)
    parallelFor(N, grain: rowGrain(V * 6)) { r in
        for n in r {
            let x = xp.p + n * V
            let t = Int(targets[n])
            let w = t < 0 ? 0 : (weights?[n] ?? 1)
            if w == 0 {
                lp.p[n] = 0
                x.update(repeating: 0, count: V)
                continue
            }
            let xt = x[t]
            let m = vmax(x, V)
            let sum = vexpShiftSum(x, m, V)
            lp.p[n] = w * (log(sum) + m - xt)
            vscaleTo(x, scale * w / sum, x, V)
            x[t] -= scale * w
        }
    }
}

/// Sum of n floats in a fixed order (chunks of 4096, chunk partials summed in order), in double.
public func deterministicSum(_ x: CFPtr, _ n: Int) -> Double {
    var total = 0.0
    var i = 0
    while i < n {
        let e = min(n, i + 4096)
        var s = 0.0
        for j in i..<e { s += Double(x[j]) }
        total += s
        i = e
    }
    return total
}
