// Storage: one aligned, zeroed Float32 allocation per role (parameters, gradients, moments, activations),
// sliced into named contiguous tensors. Nothing is allocated per step.

/// An owned, 64-byte-aligned, zero-initialised Float32 allocation.
public final class FloatBuffer: @unchecked Sendable {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        ptr = raw.bindMemory(to: Float.self, capacity: max(1, count))
        ptr.initialize(repeating: 0, count: max(1, count))
    }
    deinit { ptr.deallocate() }
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
