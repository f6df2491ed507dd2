// Reading bytes: a file or stdin, zstd-compressed or plain (told apart by the magic bytes), cut into lines.
import CZstd
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input file (or stdin) opened for reading, with its display name for messages.
final class InputFile {
    let name: String
    let fd: Int32
    let ownsFD: Bool
    /// Size in bytes when it is a regular file (for progress and ETA).
    let size: Int?
    private(set) var bytesRead = 0

    init(path: String) throws {
        if path == "-" {
            name = "<stdin>"; fd = 0; ownsFD = false
        } else {
            name = path
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                throw ToolInputError("\(path): is a directory")
            }
            let f = open(path, O_RDONLY | O_CLOEXEC)
            if f < 0 { throw ToolInputError("\(path): \(String(cString: strerror(errno)))") }
            fd = f; ownsFD = true
        }
        var st = stat()
        size = (fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG) ? Int(st.st_size) : nil
    }

    deinit { if ownsFD { close(fd) } }

    /// Reads up to `count` bytes; 0 at end of file.
    func read(into p: UnsafeMutablePointer<UInt8>, _ count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, p, count)
            if n >= 0 { bytesRead += n; return n }
            if errno == EINTR { continue }
            throw ToolInputError("\(name): read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Produces the decompressed bytes of one input: plain bytes pass through; zstd frames (one or many
/// concatenated, skippable frames included) are decoded. A stream that ends inside a frame is an error.
final class DecodedInput {
    let file: InputFile
    private var inBuf: UnsafeMutablePointer<UInt8>
    private let inCap = 1 << 17
    private var inPos = 0, inEnd = 0
    private var eof = false
    private var dstream: OpaquePointer?
    private var frameOpen = false
    let compressed: Bool

    init(_ file: InputFile) throws {
        self.file = file
        inBuf = .allocate(capacity: inCap)
        // Fill up to 4 bytes to look at the magic number.
        while inEnd < 4 {
            let n = try file.read(into: inBuf + inEnd, inCap - inEnd)
            if n == 0 { eof = true; break }
            inEnd += n
        }
        compressed = inEnd >= 4 && DecodedInput.isZstdMagic(inBuf)
        if compressed {
            dstream = ZSTD_createDStream()
            ZSTD_initDStream(dstream)
        }
    }

    deinit {
        inBuf.deallocate()
        if let d = dstream { ZSTD_freeDStream(d) }
    }

    static func isZstdMagic(_ p: UnsafePointer<UInt8>) -> Bool {
        let m = UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
        return m == 0xFD2FB528 || (m & 0xFFFFFFF0) == 0x184D2A50
    }

    private func refill() throws {
        if inPos == inEnd { inPos = 0; inEnd = 0 }
        if eof { return }
        let n = try file.read(into: inBuf + inEnd, inCap - inEnd)
        if n == 0 { eof = true } else { inEnd += n }
    }

    /// Writes up to `cap` decoded bytes into `out`; returns 0 only at the end of the input.
    func read(into out: UnsafeMutablePointer<UInt8>, _ cap: Int) throws -> Int {
        if !compressed {
            if inPos < inEnd {
                let n = min(cap, inEnd - inPos)
                out.update(from: inBuf + inPos, count: n)
                inPos += n
                return n
            }
            if eof { return 0 }
            return try file.read(into: out, cap)
        }
        while true {
            if inPos == inEnd {
                try refill()
                if inPos == inEnd && eof {
                    if frameOpen {
                        throw ToolInputError("\(file.name): truncated zstd stream (the last frame is incomplete)")
                    }
                    return 0
                }
            }
            var input = ZSTD_inBuffer(src: inBuf + inPos, size: inEnd - inPos, pos: 0)
            var output = ZSTD_outBuffer(dst: out, size: cap, pos: 0)
            let ret = ZSTD_decompressStream(dstream, &output, &input)
            if ZSTD_isError(ret) != 0 {
                let why = String(cString: ZSTD_getErrorName(ret))
                throw ToolInputError("\(file.name): corrupt zstd stream at compressed byte \(file.bytesRead - (inEnd - inPos)): \(why)")
            }
            inPos += input.pos
            frameOpen = ret != 0
            if output.pos > 0 { return output.pos }
            // No output yet: either more input is needed or a frame header was consumed; loop.
            if input.pos == 0 && inPos < inEnd && ret != 0 {
                // The decoder wants more input than is buffered: compact and read more.
                if inPos > 0 {
                    (inBuf).update(from: inBuf + inPos, count: inEnd - inPos)
                    inEnd -= inPos; inPos = 0
                }
                if eof { throw ToolInputError("\(file.name): truncated zstd stream (the last frame is incomplete)") }
                try refill()
            }
        }
    }
}

/// Splits decoded bytes into lines (without the `\n`), reading through a growable buffer.
final class LineSplitter {
    private let input: DecodedInput
    private var buf: UnsafeMutablePointer<UInt8>
    private var cap = 1 << 20
    private var start = 0, end = 0
    private var done = false
    /// Decoded bytes handed out so far (for throughput reporting).
    private(set) var decodedBytes = 0

    init(_ input: DecodedInput) {
        self.input = input
        buf = .allocate(capacity: cap)
    }
    deinit { buf.deallocate() }

    /// The next line; valid until the next call. Nil at the end.
    func next() throws -> UnsafeBufferPointer<UInt8>? {
        var scanFrom = start
        while true {
            if end > scanFrom, let hit = memchr(buf + scanFrom, 0x0A, end - scanFrom) {
                let nl = hit.assumingMemoryBound(to: UInt8.self) - buf
                let line = UnsafeBufferPointer(start: buf + start, count: nl - start)
                decodedBytes += nl + 1 - start
                start = nl + 1
                return line
            }
            if done {
                if start < end {
                    let line = UnsafeBufferPointer(start: buf + start, count: end - start)
                    decodedBytes += end - start
                    start = end
                    return line
                }
                return nil
            }
            // Move the partial line to the front, grow if a single line fills the buffer, read more.
            scanFrom = end - start
            if start > 0 {
                if end > start { buf.update(from: buf + start, count: end - start) }
                end -= start; start = 0
            }
            if end == cap {
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: cap * 2)
                bigger.update(from: buf, count: end)
                buf.deallocate()
                buf = bigger; cap *= 2
            }
            let n = try input.read(into: buf + end, cap - end)
            if n == 0 { done = true } else { end += n }
        }
    }
}
