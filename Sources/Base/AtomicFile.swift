// The one atomic file writer: every output (JSON Lines, model weights, config.json, training state) is
// written under a temporary name beside its target and renamed into place on success; a failure, or
// SIGINT/SIGTERM/SIGHUP, removes the temporary file, so no half-written output is ever left.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thrown when stdout is a closed pipe (`st-filter … | head`): tools end quietly with status 0.
public struct BrokenPipe: Error {}

// Temporary files to delete if a signal ends the process. Plain C strings in a fixed table, so the
// signal handler only reads memory and calls unlink(2), which is async-signal-safe.
private let maxTempFiles = 64
private nonisolated(unsafe) let tempTable = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: maxTempFiles)
private nonisolated(unsafe) var signalsInstalled = false

private func registerTemp(_ path: String) -> Int? {
    if !signalsInstalled {
        tempTable.initialize(repeating: nil, count: maxTempFiles)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            let previous = signal(sig) { sig in
                for i in 0..<64 { if let p = tempTable[i] { unlink(p) } }
                signal(sig, SIG_DFL)
                raise(sig)
            }
            // A program that handles the signal itself (st-train stops at a step boundary and removes its
            // .partial directory, temporary files included) keeps its handler.
            if let previous, unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(sig, previous)
            }
        }
        signalsInstalled = true
    }
    for i in 0..<maxTempFiles where tempTable[i] == nil {
        tempTable[i] = strdup(path)
        return i
    }
    return nil
}

private func unregisterTemp(_ slot: Int?) {
    guard let i = slot, let p = tempTable[i] else { return }
    tempTable[i] = nil
    free(p)
}

/// Ignore SIGPIPE so a closed stdout shows up as EPIPE, which tools turn into a quiet exit 0.
public func ignoreSIGPIPE() { signal(SIGPIPE, SIG_IGN) }

/// A byte sink: stdout, or a file written under a temporary name and renamed by `commit()`.
public final class OutputFile {
    public let path: String?
    public let displayName: String
    private let fd: Int32
    private let tempPath: String?
    private var slot: Int?
    private var finished = false

    /// `path` nil or "-" is stdout.
    public init(path: String?) throws {
        if let path, path != "-" {
            self.path = path
            displayName = path
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                throw ToolInputError("\(path): is a directory")
            }
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
                // A device or a FIFO (-o /dev/null, a named pipe): write to it directly. Renaming a temporary
                // file over it would replace the device with a plain file.
                let f = open(path, O_WRONLY | O_CLOEXEC)
                if f < 0 { throw ToolInputError("\(path): cannot open output: \(String(cString: strerror(errno)))") }
                fd = f
                tempPath = nil
                return
            }
            let dir: String, base: String
            if let slash = path.lastIndex(of: "/") {
                dir = String(path[...slash]); base = String(path[path.index(after: slash)...])
            } else {
                dir = ""; base = path
            }
            var t = ""
            var f: Int32 = -1
            for attempt in 0..<100 {
                t = "\(dir).\(base).tmp.\(getpid()).\(attempt)"
                f = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
                if f >= 0 || errno != EEXIST { break }
            }
            if f < 0 {
                throw ToolInputError("\(path): cannot create output: \(String(cString: strerror(errno)))")
            }
            fd = f
            tempPath = t
            slot = registerTemp(t)
        } else {
            self.path = nil
            displayName = "<stdout>"
            fd = 1
            tempPath = nil
        }
    }

    deinit { abort() }

    public func write(_ p: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < p.count {
            let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw BrokenPipe() }
                throw ToolInputError("\(displayName): write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Makes the output final: fsync and rename over the target.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        if tempPath == nil, path != nil {
            if close(fd) != 0 { throw ToolInputError("\(displayName): cannot write output: \(String(cString: strerror(errno)))") }
            return
        }
        if let t = tempPath, let path {
            defer { unregisterTemp(slot) }
            if fsync(fd) != 0 && errno != EINVAL {
                let why = String(cString: strerror(errno))
                close(fd); unlink(t)
                throw ToolInputError("\(path): cannot write output: \(why)")
            }
            if close(fd) != 0 {
                let why = String(cString: strerror(errno))
                unlink(t)
                throw ToolInputError("\(path): cannot write output: \(why)")
            }
            if rename(t, path) != 0 {
                let why = String(cString: strerror(errno))
                unlink(t)
                throw ToolInputError("\(path): cannot rename output into place: \(why)")
            }
        }
    }

    /// Discards a file output that was not committed.
    public func abort() {
        guard !finished else { return }
        finished = true
        if let t = tempPath {
            close(fd); unlink(t)
            unregisterTemp(slot)
        } else if path != nil {
            close(fd)
        }
    }
}

/// Writes a whole file atomically (an OutputFile committed at once).
public func writeFileAtomically(_ path: String, bytes: [UInt8]) throws {
    let f = try OutputFile(path: path)
    do {
        try bytes.withUnsafeBytes { try f.write($0) }
        try f.commit()
    } catch { f.abort(); throw error }
}

/// Writes a small text file atomically.
public func writeFileAtomically(_ path: String, _ text: String) throws {
    try writeFileAtomically(path, bytes: Array(text.utf8))
}
