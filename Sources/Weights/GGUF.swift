// GGUF (llama.cpp's weight format, versions 2 and 3, little-endian): a header
//   magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
// then kv_count metadata entries (key string, value type u32, value), tensor_count tensor infos
// (name string, n_dims u32, dims u64 x n_dims with ne0 first, ggml type u32, offset u64), padding to
// general.alignment (default 32), and the tensor data, each tensor at its offset from the data start.
// Strings are u64 length + UTF-8 bytes; arrays are element type u32 + count u64 + elements.
// The file is memory-mapped; every read is bounds-checked, so a bad file throws instead of crashing.
import Foundation

/// What went wrong with a GGUF file; `description` is one line naming the file.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case io, truncated, badMagic, badVersion, badMetadata, unsupportedType, outOfBounds, badShape, missingTensor
    }
    public let kind: Kind
    public let path: String
    public let message: String
    public init(_ kind: Kind, _ path: String, _ message: String) { self.kind = kind; self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// GGUF metadata value types, numbered as in the file.
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8,
         array = 9, uint64 = 10, int64 = 11, float64 = 12
}

/// One metadata value. Arrays keep their element type (so an empty array still says what it holds).
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])

    /// Any integer type as Int (nil for other types, or a UInt64 past Int.max).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): return Int(v)
        default: return nil
        }
    }
    /// float32 / float64 as Double (the float32 value widened exactly, as Python's float() does).
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return nil
        }
    }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [GGUFValue]? { if case .array(_, let a) = self { return a }; return nil }
}

/// One tensor's entry in the file: `dims` in GGUF order (ne0, the contiguous one, first); `shape` is the
/// row-major shape (dims reversed) that numpy, PyTorch and safetensors use.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    public let dims: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the tensor's data in the file.
    public let fileOffset: Int
    public let byteCount: Int
    public var shape: [Int] { dims.reversed() }
    public var count: Int { dims.reduce(1, *) }
    /// Elements per row (ne0) and number of rows (all other dims together).
    public var rowLength: Int { dims.first ?? 1 }
    public var rows: Int { dims.dropFirst().reduce(1, *) }
}

public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: Int
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int
    /// Metadata keys in file order, and their values.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    private let index: [String: Int]
    let base: UnsafeRawPointer
    public let fileSize: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw GGUFError(.io, path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw GGUFError(.io, path, "cannot stat: \(String(cString: strerror(errno)))") }
        fileSize = Int(st.st_size)
        guard fileSize >= 24 else { throw GGUFError(.truncated, path, "truncated: \(fileSize) bytes is shorter than a GGUF header") }
        guard let m = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw GGUFError(.io, path, "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(m)
        do {
            var r = Reader(base: base, size: fileSize, path: path)
            let magic = try r.u32("magic")
            guard magic == 0x4655_4747 else {
                throw GGUFError(.badMagic, path, "not a GGUF file (magic 0x\(String(magic, radix: 16)), expected 0x46554747 \"GGUF\")")
            }
            let v = try r.u32("version")
            if v & 0xFFFF == 0 && v != 0 { throw GGUFError(.badVersion, path, "big-endian GGUF files are not supported") }
            guard v == 2 || v == 3 else { throw GGUFError(.badVersion, path, "GGUF version \(v) is not supported (only 2 and 3)") }
            version = Int(v)
            let nTensors = try r.count("tensor count", minBytesEach: 24)
            let nKV = try r.count("metadata count", minBytesEach: 12)
            var keys: [String] = [], md: [String: GGUFValue] = [:]
            keys.reserveCapacity(nKV)
            for _ in 0..<nKV {
                let key = try r.string("metadata key")
                let raw = try r.u32("type of '\(key)'")
                guard let t = GGUFValueType(rawValue: raw) else {
                    throw GGUFError(.badMetadata, path, "metadata '\(key)' has unknown value type \(raw)")
                }
                let value = try r.value(t, key: key, depth: 0)
                guard md.updateValue(value, forKey: key) == nil else {
                    throw GGUFError(.badMetadata, path, "duplicate metadata key '\(key)'")
                }
                keys.append(key)
            }
            var align = 32
            if let a = md["general.alignment"] {
                guard case .uint32(let x) = a else { throw GGUFError(.badMetadata, path, "general.alignment is not a uint32") }
                guard x > 0, x & (x - 1) == 0 else {
                    throw GGUFError(.badMetadata, path, "general.alignment \(x) is not a power of two")
                }
                align = Int(x)
            }
            struct RawInfo { let name: String; let dims: [Int]; let type: UInt32; let offset: UInt64 }
            var raws: [RawInfo] = []
            raws.reserveCapacity(nTensors)
            for i in 0..<nTensors {
                let name = try r.string("name of tensor \(i)")
                let nd = try r.u32("dimension count of tensor '\(name)'")
                guard nd >= 1 && nd <= 4 else {
                    throw GGUFError(.badShape, path, "tensor '\(name)' has \(nd) dimensions (1 to 4 allowed)")
                }
                var dims: [Int] = []
                for _ in 0..<nd {
                    let d = try r.u64("dimensions of tensor '\(name)'")
                    guard d > 0, d < 1 << 40 else { throw GGUFError(.badShape, path, "tensor '\(name)' has dimension \(d)") }
                    dims.append(Int(d))
                }
                let type = try r.u32("type of tensor '\(name)'")
                let off = try r.u64("offset of tensor '\(name)'")
                raws.append(RawInfo(name: name, dims: dims, type: type, offset: off))
            }
            let data = (r.pos + align - 1) / align * align
            var infos: [GGUFTensorInfo] = [], index: [String: Int] = [:]
            infos.reserveCapacity(nTensors)
            for raw in raws {
                let name = raw.name
                guard let type = GGMLType(rawValue: raw.type) else {
                    throw GGUFError(.unsupportedType, path, "tensor '\(name)' has type \(ggmlTypeName(raw.type)), which is not supported"
                                    + " (supported: \(GGMLType.allCases.map(\.name).joined(separator: ", ")))")
                }
                var n = 1
                for d in raw.dims {
                    let (p, o) = n.multipliedReportingOverflow(by: d)
                    guard !o, p < 1 << 40 else { throw GGUFError(.badShape, path, "tensor '\(name)' is too large") }
                    n = p
                }
                guard raw.dims[0] % type.blockSize == 0 else {
                    throw GGUFError(.badShape, path, "tensor '\(name)' (\(type.name)) has rows of \(raw.dims[0]) elements, "
                                    + "not a multiple of the block size \(type.blockSize)")
                }
                let bytes = n / type.blockSize * type.blockBytes
                guard raw.offset % UInt64(align) == 0 else {
                    throw GGUFError(.outOfBounds, path, "tensor '\(name)' data offset \(raw.offset) is not a multiple of the alignment \(align)")
                }
                guard raw.offset <= UInt64(fileSize), data + Int(raw.offset) + bytes <= fileSize else {
                    throw GGUFError(.outOfBounds, path, "tensor '\(name)' data (\(bytes) bytes at offset \(raw.offset) after byte \(data)) "
                                    + "lies past the end of the file (\(fileSize) bytes); the file may be truncated")
                }
                guard index.updateValue(infos.count, forKey: name) == nil else {
                    throw GGUFError(.badMetadata, path, "duplicate tensor name '\(name)'")
                }
                infos.append(GGUFTensorInfo(name: name, dims: raw.dims, type: type, fileOffset: data + Int(raw.offset), byteCount: bytes))
            }
            self.keys = keys; metadata = md; alignment = align; dataOffset = data; tensors = infos; self.index = index
        } catch {
            munmap(m, fileSize)
            throw error
        }
    }
    deinit { munmap(UnsafeMutableRawPointer(mutating: base), fileSize) }

    public func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// Dequantize all of tensor `t` into dst (t.count floats), rows in file order.
    public func dequantize(_ t: GGUFTensorInfo, into dst: UnsafeMutablePointer<Float>) {
        dequantizeRows(t.type, base + t.fileOffset, dst, rows: t.rows, rowLength: t.rowLength)
    }

    /// Tensor `name` as Float32 values, in file (row-major) order.
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensor(name) else { throw GGUFError(.missingTensor, path, "no tensor '\(name)'") }
        return [Float](unsafeUninitializedCapacity: t.count) { buf, n in
            dequantize(t, into: buf.baseAddress!)
            n = t.count
        }
    }

    /// Raw bytes of a tensor's data (for callers that keep quantized weights).
    public func rawData(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + t.fileOffset, count: t.byteCount)
    }
}

/// Bounds-checked little-endian cursor over the mapped file.
struct Reader {
    let base: UnsafeRawPointer, size: Int, path: String
    var pos = 0

    func truncated(_ what: String) -> GGUFError {
        GGUFError(.truncated, path, "truncated: the file ends (at \(size) bytes) inside \(what)")
    }
    mutating func bytes(_ n: Int, _ what: String) throws -> UnsafeRawPointer {
        guard n >= 0, n <= size - pos else { throw truncated(what) }
        defer { pos += n }
        return base + pos
    }
    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        T(littleEndian: try bytes(MemoryLayout<T>.size, what).loadUnaligned(as: T.self))
    }
    mutating func u32(_ what: String) throws -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: String) throws -> UInt64 { try load(UInt64.self, what) }

    /// A u64 element count, refused when even minBytesEach per element would run past the file.
    mutating func count(_ what: String, minBytesEach: Int) throws -> Int {
        let n = try u64(what)
        guard n <= UInt64(size - pos) / UInt64(max(1, minBytesEach)) else {
            throw GGUFError(.truncated, path, "truncated or corrupt: \(what) \(n) does not fit in the file")
        }
        return Int(n)
    }
    mutating func string(_ what: String) throws -> String {
        let n = try u64("length of \(what)")
        guard n <= UInt64(size - pos) else { throw truncated(what) }
        let p = try bytes(Int(n), what)
        guard let s = String(validating: UnsafeRawBufferPointer(start: p, count: Int(n)), as: UTF8.self) else {
            throw GGUFError(.badMetadata, path, "\(what) is not valid UTF-8")
        }
        return s
    }
    mutating func value(_ t: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        let what = "metadata '\(key)'"
        switch t {
        case .uint8: return .uint8(try load(UInt8.self, what))
        case .int8: return .int8(try load(Int8.self, what))
        case .uint16: return .uint16(try load(UInt16.self, what))
        case .int16: return .int16(try load(Int16.self, what))
        case .uint32: return .uint32(try load(UInt32.self, what))
        case .int32: return .int32(try load(Int32.self, what))
        case .uint64: return .uint64(try load(UInt64.self, what))
        case .int64: return .int64(try load(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try load(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try load(UInt64.self, what)))
        case .bool:
            let b = try load(UInt8.self, what)
            guard b <= 1 else { throw GGUFError(.badMetadata, path, "\(what) is a bool with byte value \(b)") }
            return .bool(b == 1)
        case .string: return .string(try string(what))
        case .array:
            guard depth < 8 else { throw GGUFError(.badMetadata, path, "\(what) nests arrays too deeply") }
            let raw = try u32("element type of \(what)")
            guard let et = GGUFValueType(rawValue: raw) else {
                throw GGUFError(.badMetadata, path, "\(what) is an array of unknown value type \(raw)")
            }
            let minSize: Int
            switch et {
            case .uint8, .int8, .bool: minSize = 1
            case .uint16, .int16: minSize = 2
            case .uint32, .int32, .float32: minSize = 4
            case .uint64, .int64, .float64, .string: minSize = 8
            case .array: minSize = 12
            }
            let n = try count("element count of \(what)", minBytesEach: minSize)
            var a: [GGUFValue] = []
            a.reserveCapacity(n)
            for _ in 0..<n { a.append(try value(et, key: key, depth: depth + 1)) }
            return .array(et, a)
        }
    }
}
