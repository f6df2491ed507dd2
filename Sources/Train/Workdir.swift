// The working directory of a run: OUT.partial beside OUT, locked for the whole run.
//
// It holds run.json (the run's identity, checked by --resume, and its schedule settings), metrics.jsonl, the
// resumable state (state-NNNNNN/: weights, AdamW moments, data position; written under a temporary name and
// renamed, so a kill -9 at any moment leaves the last complete one), best/ (--keep best) and checkpoints/. On
// success the model files are written into it, the resumable state is removed and it is renamed to OUT (an
// existing OUT is replaced). On an error or SIGINT/SIGTERM it is removed, unless it holds a resumable state
// (then it is kept for --resume and the message says so). OUT itself is never half-written.
import Foundation
import Model
import Streams

/// A resumable state found in the working directory.
struct SavedState {
    let directory: String
    let step: Int
}

final class TrainWorkdir {
    /// OUT
    let output: String
    /// OUT.partial
    let path: String
    private var lockFD: Int32 = -1

    init(output: String) {
        self.output = output
        path = output + ".partial"
    }
    deinit { if lockFD >= 0 { close(lockFD) } }

    var runFile: String { path + "/run.json" }
    var metricsFile: String { path + "/metrics.jsonl" }

    /// Opens the working directory: continues the interrupted run in it (`resume`, and a complete state there:
    /// its run.json must carry the same identity) or starts a new, empty one, replacing a stale one. Returns the
    /// state to continue from, nil when starting over. Either way the directory is locked when this returns.
    func begin(identity: JSONObject, settings: JSONObject, resume: Bool, quiet: Bool, say: Say, warn: Say) throws -> SavedState? {
        let fm = FileManager.default
        // Like every tool's -o: the parent folder must exist (a mistyped path is not silently created).
        // (NSString.deletingLastPathComponent crashes on a one-character name in this Foundation)
        if let slash = output.lastIndex(of: "/"), slash != output.startIndex {
            let parent = String(output[..<slash])
            var isDir: ObjCBool = false
            if !fm.fileExists(atPath: parent, isDirectory: &isDir) {
                throw ToolInputError("\(output): cannot create output: no directory \(parent)")
            }
            if !isDir.boolValue { throw ToolInputError("\(output): cannot create output: \(parent) is not a directory") }
        }
        if fm.fileExists(atPath: path) { try lock() }
        let latest = latestState()
        if resume, let latest {
            let runText = (try? String(contentsOfFile: runFile, encoding: .utf8)) ?? ""
            guard let prev = (try? JSON.parse(runText))?.object, let prevId = prev["identity"]?.object else {
                throw ToolInputError("\(path): no run.json; cannot resume (remove it to start over)")
            }
            var diffs: [String] = []
            for (k, v) in identity where prevId[k] != v { diffs.append(k) }
            if !diffs.isEmpty {
                throw ToolInputError("--resume: \(path) was made with other \(diffs.joined(separator: ", ")); remove it or use the same data and flags")
            }
            if let ps = prev["schedule"]?.object {
                let changed = settings.keys.filter { ps[$0] != settings[$0] }
                if !changed.isEmpty { warn("--resume: \(changed.joined(separator: ", ")) differ from the interrupted run") }
            }
            return latest
        }
        if fm.fileExists(atPath: path) {
            if resume { if !quiet { say("nothing to resume in \(path); starting over") } }
            else if latest != nil { warn("replacing \(path) left by an interrupted run (use --resume to continue one)") }
            do { try fm.removeItem(atPath: path) } catch { throw plainFileError(error, path, "remove") }
            if lockFD >= 0 { close(lockFD); lockFD = -1 }   // the new directory gets its own lock
        } else if resume && !quiet { say("nothing to resume (no \(path)); starting") }
        if mkdir(path, 0o755) != 0 {
            throw ToolInputError("\(output): cannot create output: \(path): \(String(cString: strerror(errno)))")
        }
        try lock()
        return nil
    }

    /// Back to a resumed state's step: the metrics lines up to it (returned), and no temporary files or
    /// checkpoints after it (they will be written again).
    func rewind(to step: Int) -> [String] {
        let fm = FileManager.default
        var lines: [String] = []
        if let text = try? String(contentsOfFile: metricsFile, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                if let j = try? JSON.parse(String(line)), let s = j["step"]?.int, s <= step { lines.append(String(line)) }
            }
        }
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where name.hasSuffix(".tmp") {
            try? fm.removeItem(atPath: path + "/" + name)
        }
        for name in (try? fm.contentsOfDirectory(atPath: path + "/checkpoints")) ?? [] {
            if let s = Int(name.dropFirst(5)), s > step { try? fm.removeItem(atPath: path + "/checkpoints/" + name) }
        }
        return lines
    }

    /// Writes state-NNNNNN (through `write`, into a temporary directory renamed into place) and removes older ones.
    func saveState(step: Int, _ write: (String) throws -> Void) throws {
        let fm = FileManager.default
        let name = String(format: "state-%06d", step)
        let tmp = path + "/" + name + ".tmp"
        try? fm.removeItem(atPath: tmp)
        try write(tmp)
        try? fm.removeItem(atPath: path + "/" + name)
        guard rename(tmp, path + "/" + name) == 0 else { throw ToolInputError("\(tmp): cannot rename into place") }
        for old in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where old.hasPrefix("state-") && old != name {
            try? fm.removeItem(atPath: path + "/" + old)
        }
    }

    /// Writes a model directory at `dir` (best/, checkpoints/step-N) through a temporary name.
    func saveModel(_ model: LlamaModel, tokenizer: ModelTokenizer, at dir: String) throws {
        try saveDirectory(at: dir) { try model.save(directory: $0, tokenizer: tokenizer) }
    }

    /// Writes a directory at `dir` through `write` into a temporary name, renamed into place.
    func saveDirectory(at dir: String, _ write: (String) throws -> Void) throws {
        let fm = FileManager.default
        let tmp = dir + ".tmp"
        try? fm.removeItem(atPath: tmp)
        try write(tmp)
        try? fm.removeItem(atPath: dir)
        guard rename(tmp, dir) == 0 else { throw ToolInputError("\(tmp): cannot rename into place") }
    }

    /// Success: drops what only a resumed run needs and renames the directory to OUT.
    func commit() throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: path)
        where name.hasPrefix("state-") || name == "best" || name == "run.json" || name == "lock" || name.hasSuffix(".tmp") {
            try fm.removeItem(atPath: path + "/" + name)
        }
        try replaceDirectory(path, with: output)
    }

    /// Failure: removes the directory unless it holds a resumable state, and returns the error to report
    /// (saying where that state is kept).
    func abandon(after error: Error) -> Error {
        let kept = latestState()
        if kept == nil { try? FileManager.default.removeItem(atPath: path) }
        let error = plainFileError(error, path, "write")
        if var i = error as? Interrupted {
            if let st = kept?.step { i.kept = "the state of step \(st) is kept in \(path): continue with --resume" }
            return i
        }
        if let st = kept?.step, !"\(error)".contains("--resume") {
            return ToolInputError("\(error) (the state of step \(st) is kept in \(path): continue with --resume)")
        }
        return error
    }

    /// Hold an exclusive lock on DIR.partial/lock for the whole run, so a second st-train writing the same DIR
    /// cannot remove or resume a working directory in use (the lock goes with the process, even on kill -9).
    func lock() throws {
        guard lockFD < 0 else { return }
        let fd = open(path + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw ToolInputError("\(path) is in use by another st-train run writing \(output)")
        }
        lockFD = fd
    }

    /// The newest complete state-NNNNNN directory in the working directory.
    func latestState() -> SavedState? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let steps = names.compactMap { n -> Int? in
            guard n.hasPrefix("state-"), !n.hasSuffix(".tmp") else { return nil }
            guard FileManager.default.fileExists(atPath: path + "/" + n + "/" + TrainCore.stateFile) else { return nil }
            return Int(n.dropFirst(6))
        }
        guard let s = steps.max() else { return nil }
        return SavedState(directory: path + "/" + String(format: "state-%06d", s), step: s)
    }
}

/// Rename `src` to `dst`, replacing a directory already there (moved aside first, removed after).
func replaceDirectory(_ src: String, with dst: String) throws {
    let fm = FileManager.default
    var aside: String?
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: dst, isDirectory: &isDir) {
        guard isDir.boolValue else { throw ToolInputError("\(dst): exists and is not a directory") }
        let a = dst + ".old.\(getpid())"
        guard rename(dst, a) == 0 else { throw ToolInputError("\(dst): cannot move aside: \(String(cString: strerror(errno)))") }
        aside = a
    }
    if rename(src, dst) != 0 {
        let why = String(cString: strerror(errno))
        if let a = aside { rename(a, dst) }
        throw ToolInputError("\(dst): cannot rename into place: \(why)")
    }
    if let a = aside { try? fm.removeItem(atPath: a) }
}

/// The metrics.jsonl of a run, appended to and flushed line by line (a resumed run keeps its earlier lines).
final class MetricsLog {
    let path: String
    private let file: UnsafeMutablePointer<FILE>

    /// Starts the file with `lines` (written atomically), then opens it for appending.
    init(path: String, keeping lines: [String]) throws {
        self.path = path
        try writeFileAtomically(path, lines.map { $0 + "\n" }.joined())
        guard let f = fopen(path, "a") else { throw ToolInputError("\(path): cannot open") }
        file = f
    }
    deinit { fclose(file) }

    func append(_ obj: JSONObject) throws {
        let line = JSON.object(obj).serialized() + "\n"
        if fputs(line, file) < 0 || fflush(file) != 0 {
            throw ToolInputError("\(path): write failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// A Foundation file-system error as the tools word errors ("PATH: cannot DOING: reason", the reason from the
/// POSIX error underneath), not Foundation's own sentence; other errors as they are.
func plainFileError(_ error: Error, _ path: String, _ doing: String) -> Error {
    guard error is CocoaError || (error as NSError).domain == NSCocoaErrorDomain || error is POSIXError else { return error }
    let ns = error as NSError
    var code: Int32? = ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : nil
    if code == nil, let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain { code = Int32(u.code) }
    let file = (ns.userInfo[NSFilePathErrorKey] as? String) ?? path
    return ToolInputError("\(file): cannot \(doing)" + (code.map { ": " + String(cString: strerror($0)) } ?? ""))
}
