// Storage: one aligned, zeroed Float32 allocation per role (parameters, gradients, moments, activations),
// sliced into named contiguous tensors. Nothing is allocated per step.
#if canImport(Glibc)
import Glibc
#endif

/// An owned, 64-byte-aligned, zero-initialised Float32 allocation.
///
/// Large buffers are mapped straight from the kernel, which hands out zeroed pages on first touch, so memory
/// that is never touched costs nothing: a sampler's key-value cache is sized for every position of every slot
/// (100+ MB) but a run writes only the positions its sequences reach. On this project's VMs the kernel zeroes
/// fresh pages at only ~350 MB/s, and memset-zeroing the whole cache up front was a fifth of a short st-sample
/// run (perf: clear_page_erms). `hugePages` asks for transparent huge pages (fewer faults and TLB misses) for
/// buffers that will be touched everywhere anyway — not for the cache, where a 2 MB page would zero unused
/// positions too.
public final class FloatBuffer: @unchecked Sendable {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int
    private let mappedBytes: Int      // > 0: ptr came from mmap
    static let hugePage = 1 << 21

    public init(count: Int, hugePages: Bool = true) {
        self.count = count
        let bytes = max(1, count) * 4
        #if os(Linux)
        if bytes >= 4 * FloatBuffer.hugePage {
            let size = (bytes + FloatBuffer.hugePage - 1) / FloatBuffer.hugePage * FloatBuffer.hugePage
            // over-map by one huge page so the start can be aligned to one (THP needs aligned 2 MB ranges)
            let raw = mmap(nil, size + FloatBuffer.hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let raw, raw != MAP_FAILED {
                let start = (Int(bitPattern: raw) + FloatBuffer.hugePage - 1) & ~(FloatBuffer.hugePage - 1)
                let lead = start - Int(bitPattern: raw)
                if lead > 0 { munmap(raw, lead) }
                munmap(UnsafeMutableRawPointer(bitPattern: start + size), FloatBuffer.hugePage - lead)   // the tail (> 0)
                let p = UnsafeMutableRawPointer(bitPattern: start)!
                if hugePages { _ = madvise(p, size, MADV_HUGEPAGE) }
                ptr = p.bindMemory(to: Float.self, capacity: count)
                mappedBytes = size
                return
            }
        }
        #endif
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        ptr = raw.bindMemory(to: Float.self, capacity: max(1, count))
        ptr.initialize(repeating: 0, count: max(1, count))
        mappedBytes = 0
    }
    deinit {
        #if os(Linux)
        if mappedBytes > 0 { munmap(UnsafeMutableRawPointer(ptr), mappedBytes); return }
        #endif
        ptr.deallocate()
    }
    public func zero() { ptr.update(repeating: 0, count: count) }
    public subscript(i: Int) -> Float {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }
    public var array: [Float] { Array(UnsafeBufferPointer(start: ptr, count: count)) }
}

/// A contiguous view of `shape` elements at `offset` in a buffer.
public struct TensorView: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public init(name: String, shape: [Int], offset: Int) { self.name = name; self.shape = shape; self.offset = offset }
    public func ptr(_ base: FloatBuffer) -> UnsafeMutablePointer<Float> { base.ptr + offset }
}

/// Lays out named tensors one after another (each start rounded to 16 floats), then allocates once.
public struct Layout: Sendable {
    public private(set) var tensors: [TensorView] = []
    public private(set) var total = 0
    public init() {}
    /// Append a tensor. padAfter = false keeps the next tensor adjacent (fused q|k|v or gate|up weights).
    @discardableResult
    public mutating func add(_ name: String, _ shape: [Int], padAfter: Bool = true) -> TensorView {
        let t = TensorView(name: name, shape: shape, offset: total)
        tensors.append(t)
        total += padAfter ? (t.count + 15) / 16 * 16 : t.count
        return t
    }
    public func view(_ name: String) -> TensorView? { tensors.first { $0.name == name } }
    public func allocate() -> FloatBuffer { FloatBuffer(count: total) }
}
