// Reading JSON Lines from several inputs in order, with locations for every error.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class JSONLReader {
    private let paths: [String]
    private var index = -1
    private var splitter: LineSplitter?
    private var current: InputFile?
    private let record = JSONRecord()
    private let skipBad: Bool
    private let allowEmpty: Bool
    private var reportedEmpty = false

    public private(set) var file = ""
    public private(set) var line = 0
    /// Records returned so far, over all inputs.
    public private(set) var records = 0
    /// Bad lines skipped under `skipBad`.
    public private(set) var skipped = 0
    /// Called for each skipped line under `skipBad`, with the error.
    public var onSkip: ((DataError) -> Void)?
    /// Called instead of failing when the inputs hold no record at all (the tools warn: an empty output of one
    /// tool is a valid input of the next), with the inputs' names.
    public var onEmpty: ((String) -> Void)?
    /// Set by the tool when progress should be shown (stderr is a terminal).
    public var progress: Progress?
    private var finishedBytes = 0

    /// `paths` empty or `["-"]` reads stdin. Records must be JSON objects. Inputs with no record at all are
    /// an error unless `allowEmpty` (silently accepted) or `onEmpty` is set (told, then accepted).
    public init(paths: [String], skipBad: Bool = false, allowEmpty: Bool = false) throws {
        self.paths = paths.isEmpty ? ["-"] : paths
        self.skipBad = skipBad
        self.allowEmpty = allowEmpty
        // Open every input up front so a missing file or a directory fails before any output is made.
        for p in self.paths where p != "-" { _ = try InputFile(path: p) }
    }

    /// Total size of the inputs when all are regular files (for an ETA).
    public var totalInputBytes: Int? {
        var total = 0
        for p in paths {
            guard p != "-", let f = try? InputFile(path: p), let s = f.size else { return nil }
            total += s
        }
        return total
    }

    private func openNext() throws -> Bool {
        if let s = splitter { finishedBytes += s.decodedBytes }
        splitter = nil; current = nil
        index += 1
        guard index < paths.count else { return false }
        let f = try InputFile(path: paths[index])
        current = f
        file = f.name
        line = 0
        splitter = LineSplitter(try DecodedInput(f))
        return true
    }

    /// The next record, or nil at the end of the last input. The returned object is reused by the next call.
    public func next() throws -> JSONRecord? {
        while true {
            if splitter == nil {
                guard try openNext() else {
                    progress?.finish(records: records, bytes: finishedBytes)
                    if records == 0 && !allowEmpty && !reportedEmpty {
                        let names = paths.map { $0 == "-" ? "<stdin>" : $0 }.joined(separator: ", ")
                        guard let onEmpty else { throw ToolInputError("\(names): empty input (no records)") }
                        reportedEmpty = true
                        onEmpty(names)
                    }
                    return nil
                }
            }
            let lineBytes: UnsafeBufferPointer<UInt8>?
            do { lineBytes = try splitter!.next() } catch let e as ToolInputError {
                throw ToolInputError(line > 0 ? "\(e.description) (after line \(line))" : e.description)
            }
            guard let l = lineBytes else { splitter = nil; continue }
            line += 1
            if isBlank(l) { continue }
            do throws(JSONParseError) {
                try record.load(l)
                if !record.isObject {
                    throw JSONParseError(offset: 0, message: "record is not a JSON object")
                }
            } catch {
                let e = DataError(file: file, line: line, column: error.offset + 1, message: error.message)
                if skipBad { skipped += 1; onSkip?(e); continue }
                throw e
            }
            records += 1
            if let p = progress, records & 4095 == 0 {
                p.update(records: records, bytes: finishedBytes + splitter!.decodedBytes,
                         inputBytesRead: (current?.bytesRead ?? 0))
            }
            return record
        }
    }

    private func isBlank(_ l: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in l where !(c == 0x20 || c == 0x09 || c == 0x0D) { return false }
        return true
    }
}

/// A one-line progress display on stderr: records, MB/s of uncompressed JSONL, and an ETA when sizes are known.
public final class Progress {
    let tool: String
    public var totalBytes: Int?
    private let started = monotonicSeconds()
    private var lastPrint = 0.0
    private var printed = false

    public init(tool: String, totalBytes: Int?) {
        self.tool = tool; self.totalBytes = totalBytes
    }

    func update(records: Int, bytes: Int, inputBytesRead: Int) {
        let now = monotonicSeconds()
        guard now - lastPrint >= 0.25 else { return }
        lastPrint = now
        let elapsed = max(now - started, 1e-9)
        var line = "\(tool): \(formatCount(records)) records, \(Int(Double(bytes) / elapsed / 1e6)) MB/s"
        if let total = totalBytes, total > 0, inputBytesRead > 0 {
            let frac = min(1, Double(inputBytesRead) / Double(total))
            let eta = elapsed * (1 - frac) / max(frac, 1e-9)
            line += ", \(Int(frac * 100))%, ETA \(Int(eta))s"
        }
        fputs("\r\u{1B}[K" + line, stderr)
        printed = true
    }

    func finish(records: Int, bytes: Int) {
        if printed { fputs("\r\u{1B}[K", stderr) }
    }
}

func formatCount(_ n: Int) -> String {
    if n >= 1_000_000 { return String(format1(Double(n) / 1e6)) + "M" }
    if n >= 1_000 { return String(format1(Double(n) / 1e3)) + "k" }
    return String(n)
}

func format1(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}
