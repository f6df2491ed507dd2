// safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then raw little-endian data. Read by memory map; written under a temporary name and renamed.
import Base
import Foundation

public enum DType: String, Sendable {
    case f32 = "F32", bf16 = "BF16", f16 = "F16", f64 = "F64", i32 = "I32", i64 = "I64", u8 = "U8"
    var size: Int {
        switch self { case .f32, .i32: return 4; case .bf16, .f16: return 2; case .f64, .i64: return 8; case .u8: return 1 }
    }
}

@inline(__always) public func bf16Bits(_ f: Float) -> UInt16 {
    let b = f.bitPattern
    if f.isNaN { return 0x7FC0 }
    return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)   // round to nearest even
}
@inline(__always) public func floatFromBF16(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

public final class SafetensorsFile {
    public struct Entry { public let dtype: DType; public let shape: [Int]; public let start: Int; public let end: Int
        public var count: Int { shape.reduce(1, *) } }
    public let path: String
    public private(set) var entries: [String: Entry] = [:]
    public private(set) var metadata: [String: String] = [:]
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw ModelError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError("\(path): cannot stat") }
        size = Int(st.st_size)
        guard size >= 8 else { throw ModelError("\(path): not a safetensors file (too short)") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ModelError("\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        base = m
        let n = Int(UInt64(littleEndian: m.loadUnaligned(as: UInt64.self)))
        guard n > 0, 8 + n <= size else { munmap(m, size); throw ModelError("\(path): bad header length \(n)") }
        dataStart = 8 + n
        let header = Array(UnsafeBufferPointer(start: (m + 8).assumingMemoryBound(to: UInt8.self), count: n))
        guard let obj = (try? JSON.parse(bytes: header, file: path))?.object else {
            munmap(m, size); throw ModelError("\(path): header is not a JSON object")
        }
        for (name, v) in obj {
            if name == "__metadata__" {
                if let md = v.object { for (k, x) in md { metadata[k] = x.string ?? x.serialized() } }
                continue
            }
            guard let d = v.object, let ds = d["dtype"]?.string,
                  let shape = d["shape"]?.array?.map(\.int), !shape.contains(nil),
                  let off = d["data_offsets"]?.array?.compactMap(\.int), off.count == 2 else {
                munmap(m, size); throw ModelError("\(path): bad header entry '\(name)'")
            }
            guard let dt = DType(rawValue: ds) else { munmap(m, size); throw ModelError("\(path): tensor '\(name)' has unsupported dtype \(ds)") }
            let e = Entry(dtype: dt, shape: shape.map { $0! }, start: off[0], end: off[1])
            guard e.start >= 0, e.end >= e.start, dataStart + e.end <= size, e.end - e.start == e.count * dt.size else {
                munmap(m, size); throw ModelError("\(path): tensor '\(name)' has inconsistent offsets")
            }
            entries[name] = e
        }
    }
    deinit { munmap(base, size) }

    /// Copy tensor `name` into dst as Float32 (converting BF16/F16/F64/ints); its shape must be `shape`.
    public func read(_ name: String, into dst: UnsafeMutablePointer<Float>, shape: [Int]) throws {
        guard let e = entries[name] else { throw ModelError("\(path): missing tensor '\(name)'") }
        guard e.shape == shape else { throw ModelError("\(path): tensor '\(name)' has shape \(e.shape), expected \(shape)") }
        let src = UnsafeRawPointer(base + dataStart + e.start)
        let n = e.count
        switch e.dtype {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
        case .bf16: for i in 0..<n { dst[i] = floatFromBF16(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .f16:
            #if arch(x86_64) || arch(arm64)
            for i in 0..<n { dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            #endif
        case .f64: for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .i32: for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .i64: for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .u8: for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
        }
    }

    /// Tensor `name` as Float32 values.
    public func floats(_ name: String) throws -> [Float] {
        guard let e = entries[name] else { throw ModelError("\(path): missing tensor '\(name)'") }
        var out = [Float](repeating: 0, count: e.count)
        try out.withUnsafeMutableBufferPointer { try read(name, into: $0.baseAddress!, shape: e.shape) }
        return out
    }

    /// Integer tensor `name` (I32, I64 or U8) as Int32 values.
    public func ints(_ name: String) throws -> [Int32] {
        guard let e = entries[name] else { throw ModelError("\(path): missing tensor '\(name)'") }
        let src = UnsafeRawPointer(base + dataStart + e.start)
        switch e.dtype {
        case .i32: return (0..<e.count).map { src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        case .i64: return (0..<e.count).map { Int32(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .u8: return (0..<e.count).map { Int32(src.load(fromByteOffset: $0, as: UInt8.self)) }
        default: throw ModelError("\(path): tensor '\(name)' is not an integer tensor")
        }
    }
}

/// One tensor to write: Float32 data stored as F32 or BF16.
public struct TensorToWrite {
    public let name: String, shape: [Int], data: UnsafePointer<Float>, dtype: DType
    public init(name: String, shape: [Int], data: UnsafePointer<Float>, dtype: DType = .f32) {
        self.name = name; self.shape = shape; self.data = data; self.dtype = dtype
    }
}

/// Write a safetensors file atomically (Base's OutputFile: a temporary file beside it, renamed on success).
/// Tensors are stored in name order; the header is padded with spaces to a multiple of 8 bytes.
public func writeSafetensors(_ path: String, _ tensors: [TensorToWrite], metadata: [String: String] = ["format": "pt"]) throws {
    let sorted = tensors.sorted { $0.name < $1.name }
    var header = JSONObject()
    if !metadata.isEmpty {
        header["__metadata__"] = .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, JSON($0.value)) }))
    }
    var offset = 0
    for t in sorted {
        guard t.dtype == .f32 || t.dtype == .bf16 else { throw ModelError("\(path): can only write F32 or BF16") }
        let bytes = t.shape.reduce(1, *) * t.dtype.size
        header[t.name] = .object(JSONObject([
            ("dtype", JSON(t.dtype.rawValue)), ("shape", .array(t.shape.map { JSON($0) })),
            ("data_offsets", .array([JSON(offset), JSON(offset + bytes)])),
        ]))
        offset += bytes
    }
    var text = Array(JSON.object(header).serialized().utf8)
    while text.count % 8 != 0 { text.append(0x20) }
    let f = try OutputFile(path: path)
    do {
        var len = UInt64(text.count).littleEndian
        try withUnsafeBytes(of: &len) { try f.write($0) }
        try text.withUnsafeBytes { try f.write($0) }
        for t in sorted {
            let n = t.shape.reduce(1, *)
            if t.dtype == .f32 {
                try f.write(UnsafeRawBufferPointer(start: t.data, count: 4 * n))
            } else {
                var buf = [UInt16](repeating: 0, count: n)
                for i in 0..<n { buf[i] = bf16Bits(t.data[i]) }
                try buf.withUnsafeBytes { try f.write($0) }
            }
        }
        try f.commit()
    } catch { f.abort(); throw error }
}
