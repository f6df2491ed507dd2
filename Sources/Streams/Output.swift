// Writing: zstd compression chosen by the `.zst` suffix, and JSON Lines records, into atomic output files
// (Base/AtomicFile.swift).
import CZstd
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writer of bytes to an OutputFile, zstd-compressing when asked.
public final class ByteSink {
    public let file: OutputFile
    private var buf: UnsafeMutablePointer<UInt8>
    private let cap = 1 << 20
    private var len = 0
    private var cctx: OpaquePointer?
    private var zbuf: UnsafeMutablePointer<UInt8>?
    private let zcap = ZSTD_CStreamOutSize()

    /// Compression level for `.zst` outputs (zstd's default, 3: fast and about 4–8× on JSONL).
    public static let zstdLevel: Int32 = 3

    public init(_ file: OutputFile, compress: Bool) {
        self.file = file
        buf = .allocate(capacity: cap)
        if compress {
            cctx = ZSTD_createCCtx()
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, ByteSink.zstdLevel)
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
            zbuf = .allocate(capacity: zcap)
        }
    }

    deinit {
        buf.deallocate()
        zbuf?.deallocate()
        if let c = cctx { ZSTD_freeCCtx(c) }
    }

    @inline(__always)
    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if len + bytes.count > cap {
            try flush(final: false)
            if bytes.count > cap { try emit(UnsafeRawBufferPointer(bytes), end: false); return }
        }
        (buf + len).update(from: bytes.baseAddress!, count: bytes.count)
        len += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { if $0.count > 0 { try write($0) } }
    }

    @inline(__always)
    public func write(byte: UInt8) throws {
        if len == cap { try flush(final: false) }
        buf[len] = byte; len += 1
    }

    private func flush(final: Bool) throws {
        try emit(UnsafeRawBufferPointer(start: buf, count: len), end: final)
        len = 0
    }

    private func emit(_ data: UnsafeRawBufferPointer, end: Bool) throws {
        guard let c = cctx, let z = zbuf else {
            if data.count > 0 { try file.write(data) }
            return
        }
        var input = ZSTD_inBuffer(src: data.baseAddress, size: data.count, pos: 0)
        while true {
            var output = ZSTD_outBuffer(dst: z, size: zcap, pos: 0)
            let remaining = ZSTD_compressStream2(c, &output, &input, end ? ZSTD_e_end : ZSTD_e_continue)
            if ZSTD_isError(remaining) != 0 {
                throw ToolInputError("\(file.displayName): zstd compression failed: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            if output.pos > 0 { try file.write(UnsafeRawBufferPointer(start: z, count: output.pos)) }
            if end ? remaining == 0 : input.pos == input.size { break }
        }
    }

    /// Flushes everything (ending the zstd frame) and commits the file.
    public func commit() throws {
        try flush(final: true)
        try file.commit()
    }
}

/// Writes JSON Lines records. A path ending in `.zst` is zstd-compressed; nil or "-" is stdout.
public final class JSONLWriter {
    public let sink: ByteSink
    private var scratch = ByteWriter()
    public private(set) var records = 0

    public init(path: String?) throws {
        let file = try OutputFile(path: path)
        sink = ByteSink(file, compress: path?.hasSuffix(".zst") ?? false)
    }

    public func write(_ object: JSONObject) throws {
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.write(.object(object))
        scratch.append(0x0A)
        try sink.write(scratch.bytes)
        records += 1
    }

    /// Writes a record as it was read (its exact bytes), or with `fields` replaced in place or appended.
    public func write(_ record: JSONRecord, setting fields: [(String, JSON)] = []) throws {
        if fields.isEmpty {
            try writeRaw(record)
        } else {
            scratch.bytes.removeAll(keepingCapacity: true)
            rebuild(record, into: &scratch, setting: fields)
            scratch.append(0x0A)
            try sink.write(scratch.bytes)
        }
        records += 1
    }

    /// Writes a record's members selected and renamed by `shape`, copying each kept value's bytes as they are.
    public func write(_ record: JSONRecord, keeping shape: (String) -> String?) throws {
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.append(UInt8(ascii: "{"))
        var first = true
        record.forEachMember { keyToken, rawKey, rawValue in
            let key = record.string(at: keyToken)
            guard let name = shape(key) else { return }
            if !first { scratch.append(UInt8(ascii: ",")) }
            first = false
            if name == key { scratch.append(rawKey) } else { scratch.writeString(name) }
            scratch.append(UInt8(ascii: ":"))
            scratch.append(rawValue)
        }
        scratch.append(UInt8(ascii: "}"))
        scratch.append(0x0A)
        try sink.write(scratch.bytes)
        records += 1
    }

    private func writeRaw(_ record: JSONRecord) throws {
        let t = record.tokens[0]
        try record.bytes.withUnsafeBufferPointer { b in
            try sink.write(UnsafeBufferPointer(rebasing: b[Int(t.start)..<Int(t.end)]))
        }
        try sink.write(byte: 0x0A)
    }

    private func rebuild(_ record: JSONRecord, into w: inout ByteWriter, setting fields: [(String, JSON)]) {
        var used = [Bool](repeating: false, count: fields.count)
        w.append(UInt8(ascii: "{"))
        var first = true
        record.forEachMember { keyToken, rawKey, rawValue in
            if !first { w.append(UInt8(ascii: ",")) }
            first = false
            w.append(rawKey)
            w.append(UInt8(ascii: ":"))
            if let k = fields.indices.first(where: { !used[$0] && record.stringEquals(keyToken, fields[$0].0) }) {
                used[k] = true
                w.write(fields[k].1)
            } else {
                w.append(rawValue)
            }
        }
        for (k, (key, value)) in fields.enumerated() where !used[k] {
            if !first { w.append(UInt8(ascii: ",")) }
            first = false
            w.writeString(key)
            w.append(UInt8(ascii: ":"))
            w.write(value)
        }
        w.append(UInt8(ascii: "}"))
    }

    /// Flushes and renames the output into place. Without it, no output file is left behind.
    public func commit() throws { try sink.commit() }
}
