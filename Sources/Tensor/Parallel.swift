// Threads and vector helpers shared by every kernel.
//
// Determinism rule: work is cut into chunks whose boundaries depend only on the problem size (never on the
// thread count); each chunk is computed start to end by one thread, and cross-chunk reductions are summed in
// chunk order by the caller. So results are bitwise identical for any thread count.
import CBLAS
import Dispatch
import Foundation

public enum Threads {
    /// Worker threads used by the kernels, matrix multiplies included. Default: all cores.
    nonisolated(unsafe) public private(set) static var count: Int = max(1, Threads.cores)

    /// Cores of this machine.
    public static var cores: Int { Int(openblas_get_num_procs()) }

    /// Set the number of threads (1 = run everything on the calling thread).
    public static func set(_ n: Int) {
        ensureBLAS()
        count = max(1, n)
    }

    /// The OpenBLAS kernel family in use ("SkylakeX", "Haswell", ...).
    public static var blasCore: String {
        ensureBLAS()
        return String(cString: openblas_get_corename())
    }
}

nonisolated(unsafe) private var blasOnce = pthread_once_t()

/// Once per process, before the first BLAS call: OpenBLAS runs single-threaded inside each call (st splits
/// large multiplies itself, see `sgemm`, so no OpenBLAS worker spins while st's own kernels run and the split
/// never depends on the thread count), with its fastest kernels for this CPU (`upgradeBLASCore`).
@inline(__always) public func ensureBLAS() {
    pthread_once(&blasOnce) {
        upgradeBLASCore()
        openblas_set_num_threads(1)
    }
}

/// Debian's OpenBLAS 0.3.21 does not know AMD Zen 4/5 and falls back to its AVX2 (Haswell) kernels, about half
/// the speed of its AVX-512 (SkylakeX) ones on this machine, and rounding differently. Some machines also set
/// OPENBLAS_CORETYPE=Haswell in the environment, which a Makefile or a shell may or may not pass on. So that the
/// same command gives the same bytes and speed however it is started, st chooses the kernels itself: on a CPU
/// with AVX-512 (F, BW, DQ, VL), SkylakeX, whatever OPENBLAS_CORETYPE says; elsewhere what OpenBLAS chose.
/// ST_OPENBLAS_CORETYPE=NAME overrides that choice. OpenBLAS's dynamic-arch selection is re-run before any BLAS
/// call.
func upgradeBLASCore() {
    #if os(Linux) && arch(x86_64)
    typealias Fn = @convention(c) () -> Void
    func reselect(_ core: String) {
        guard let quit = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_quit"),
              let initArch = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init") else { return }
        let old = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", core, 1)
        unsafeBitCast(quit, to: Fn.self)()
        unsafeBitCast(initArch, to: Fn.self)()
        if let old { setenv("OPENBLAS_CORETYPE", old, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
    }
    if let forced = getenv("ST_OPENBLAS_CORETYPE") { reselect(String(cString: forced)); return }
    guard String(cString: openblas_get_corename()) != "SkylakeX" else { return }
    // /proc files report size 0, so read line by line
    guard let f = fopen("/proc/cpuinfo", "r") else { return }
    var flagsLine = ""
    var line: UnsafeMutablePointer<CChar>? = nil
    var cap = 0
    while getline(&line, &cap, f) > 0 {
        let l = String(cString: line!)
        if l.hasPrefix("flags") { flagsLine = l; break }
    }
    free(line)
    fclose(f)
    let flags = Set(flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
    guard ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) else { return }
    reselect("SkylakeX")
    #endif
}


/// Raw pointers carried into concurrent closures.
public struct SendablePointer<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// Run `body(chunk)` for chunk in 0..<chunks, spread over `Threads.count` threads (static round-robin).
/// Chunks must write disjoint memory; any reduction over chunks is the caller's, in chunk order.
@inline(__always)
public func parallelChunks(_ chunks: Int, _ body: (Int) -> Void) {
    let t = min(Threads.count, chunks)
    if t <= 1 {
        for c in 0..<chunks { body(c) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: t) { w in
            var c = w
            while c < chunks { box.value(c); c += t }
        }
    }
}

/// Run `body(range)` over 0..<n cut into ranges of `grain` items (the last may be shorter).
@inline(__always)
public func parallelFor(_ n: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    if n <= 0 { return }
    let g = max(1, grain)
    let chunks = (n + g - 1) / g
    parallelChunks(chunks) { c in body(c * g ..< min(n, (c + 1) * g)) }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

/// A grain that gives roughly `target` floating-point operations per chunk for rows of `rowCost` operations.
@inline(__always)
func rowGrain(_ rowCost: Int, target: Int = 1 << 15) -> Int { max(1, target / max(1, rowCost)) }

// MARK: - SIMD helpers (Swift never vectorizes float reductions by itself)

public typealias F16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}
@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}
@inline(__always) func store16(_ p: UnsafeMutablePointer<Float>, _ v: F16) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}

/// sum_i a[i]*b[i]
@inline(__always)
public func vdot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = F16(), acc1 = F16()
    var i = 0
    while i + 32 <= n {
        fmadd(&acc0, load16(a + i), load16(b + i))
        fmadd(&acc1, load16(a + i + 16), load16(b + i + 16))
        i += 32
    }
    if i + 16 <= n { fmadd(&acc0, load16(a + i), load16(b + i)); i += 16 }
    var s = (acc0 + acc1).sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// y[i] += a*x[i]
@inline(__always)
public func vaxpy(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let av = F16(repeating: a)
    while i + 16 <= n {
        var v = load16(y + i)
        fmadd(&v, av, load16(x + i))
        store16(y + i, v)
        i += 16
    }
    while i < n { y[i] += a * x[i]; i += 1 }
}

/// y[i] = a*x[i]
@inline(__always)
public func vscaleTo(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let av = F16(repeating: a)
    while i + 16 <= n { store16(y + i, av * load16(x + i)); i += 16 }
    while i < n { y[i] = a * x[i]; i += 1 }
}

/// max_i x[i]
@inline(__always)
public func vmax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity
    var i = 0
    if n >= 16 {
        var mv = load16(x)
        i = 16
        while i + 16 <= n { mv = pointwiseMax(mv, load16(x + i)); i += 16 }
        m = mv.max()
    }
    while i < n { m = max(m, x[i]); i += 1 }
    return m
}

/// Vectorized exp, ~2 ulp on [-87, 88]; below -87 flushes to 0. Integer work through bit patterns only
/// (a SIMD float-to-int conversion in Swift goes lane by lane).
@inline(__always)
public func vexp(_ x: F16) -> F16 {
    let xc = pointwiseMin(pointwiseMax(x, F16(repeating: -87.3)), F16(repeating: 88.3))
    // n = round(x / ln 2) by the 1.5 * 2^23 trick: the low mantissa bits of t hold n
    let magic = F16(repeating: 12582912.0)
    let t = xc * F16(repeating: 1.44269504088896341) + magic
    let n = t - magic
    var r = xc - n * F16(repeating: 0.693359375)
    r = r + n * F16(repeating: 2.12194440e-4)
    // Cephes expf polynomial
    var p = F16(repeating: 1.9875691500e-4)
    p = p * r + F16(repeating: 1.3981999507e-3)
    p = p * r + F16(repeating: 8.3334519073e-3)
    p = p * r + F16(repeating: 4.1665795894e-2)
    p = p * r + F16(repeating: 1.6666665459e-1)
    p = p * r + F16(repeating: 5.0000001201e-1)
    let r2 = r * r
    p = p * r2 + r + F16(repeating: 1)
    let ti = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ti &+ 127) &<< 23, to: F16.self)
    var out = p * scale
    out.replace(with: F16(), where: x .< F16(repeating: -87.0))
    return out
}

/// x[i] = exp(x[i] - shift); returns the sum.
@inline(__always)
public func vexpShiftSum(_ x: UnsafeMutablePointer<Float>, _ shift: Float, _ n: Int) -> Float {
    var acc = F16()
    let sv = F16(repeating: shift)
    var i = 0
    while i + 16 <= n {
        let e = vexp(load16(x + i) - sv)
        store16(x + i, e)
        acc += e
        i += 16
    }
    var s = acc.sum()
    if i < n {
        var tail = F16(repeating: -100)
        for j in 0..<(n - i) { tail[j] = x[i + j] - shift }
        let e = vexp(tail)
        for j in 0..<(n - i) { x[i + j] = e[j]; s += e[j] }
    }
    return s
}

@inline(__always)
public func expScalar(_ x: Float) -> Float {
    var v = F16(repeating: 0)
    v[0] = x
    return vexp(v)[0]
}

/// acc += a * b, fused where the target CPU has FMA (see Sources/CBLAS/shim.h), else a multiply and an add.
@inline(__always) func fmadd(_ acc: inout F16, _ a: F16, _ b: F16) {
    if ST_HAS_FMA != 0 { acc.addProduct(a, b) } else { acc = acc + a * b }
}
