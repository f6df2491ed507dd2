// The sandbox for untrusted Python: long-lived workers inside bubblewrap (new PID, network, IPC, UTS and
// mount namespaces; read-only root; private /tmp; home hidden; --die-with-parent), each run in a forked
// child with rlimits, its own session and temporary directory, and an unprivileged uid when st-verify runs
// as root. Where bubblewrap cannot create namespaces the workers run directly (rlimits + setsid + uid drop;
// sockets refused at the Python level) and `layer` says so.
import Foundation
import Streams
#if canImport(Glibc)
import Glibc
#endif

/// Limits of one program run.
public struct SandboxLimits: Sendable {
    /// Wall-clock seconds.
    public var wall: Double = 10
    /// CPU seconds (rounded up to whole seconds by RLIMIT_CPU).
    public var cpu: Double = 10
    /// Address space, bytes.
    public var memory: Int = 1024 << 20
    /// Largest file the program may write, bytes.
    public var fileSize: Int = 16 << 20
    /// Open file descriptors.
    public var openFiles: Int = 64
    /// Processes (of the sandbox uid, or in the sandbox's user namespace).
    public var processes: Int = 32
    /// stdout + stderr captured, bytes; more ends the run.
    public var output: Int = 1 << 20
    public init() {}
}

/// What one run produced.
public struct RunOutcome: Sendable {
    public enum Status: String, Sendable {
        case done          // ran to the end of the harness: see passed/total
        case exit          // ended without reporting (exit status in exitCode)
        case signal        // killed by a signal
        case timeout       // wall-clock limit
        case cpuLimit      // CPU-time limit
        case outputLimit   // too much output
        case sandboxError  // the worker failed or died
    }
    public var status: Status
    public var passed = 0
    public var total = 1
    public var reason: String?
    public var exitCode: Int?
    public var signal: Int?
    public var stdout = ""
    public var stderr = ""
    public var elapsed = 0.0
    /// The benchmark's own test is broken (does not compile, defines no check()): why.
    public var broken: String?
    /// The worker process died during the run (a program that kills its parent, where the uid allows it).
    public var workerDied = false
}

/// One program to run.
public struct RunRequest: Sendable {
    public enum Mode: String, Sendable { case script, tests }
    public var mode: Mode
    public var program: String
    /// For `.tests`: statements run one by one after the program; `assert …` and `check(…)` count as tests.
    public var tests: [String] = []
    /// For HumanEval with --partial: the test source whose `check(candidate)` body is split into tests.
    public var splitCheck: String?
    public var entryPoint: String?
    /// For `.tests`: benchmark code the tester runs before the tests, apart from the program (HumanEval's
    /// prompt: the helpers its test uses).
    public var context: String?
    public var stopOnFail = true
    public var stdin: String?
    public init(mode: Mode, program: String) { self.mode = mode; self.program = program }
}

/// How the workers are isolated, found once by trying.
public struct SandboxLayer: Sendable, CustomStringConvertible {
    public var bwrap: Bool
    public var userNamespace: Bool
    public var uidDrop: Bool
    public var why: String?      // why bubblewrap is not used
    public var python: String
    public var description: String {
        var s = bwrap ? "bwrap(pid,net,ipc,uts,mount\(userNamespace ? ",user" : ""))+rlimits" : "rlimits+setsid"
        if uidDrop { s += "+uid" }
        if !bwrap { s += " (no namespaces: \(why ?? "bwrap unavailable"); network blocked in Python only)" }
        return s
    }
    /// Short form for the `verifier` field.
    public var short: String { (bwrap ? "bwrap+rlimits" : "rlimits-only") + (uidDrop ? "+uid" : "") }
}

public struct SandboxError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

// MARK: - Spawning

/// Spawns every worker from one long-lived thread: bubblewrap's --die-with-parent is tied to the thread
/// that started it (PR_SET_PDEATHSIG), and Dispatch threads come and go.
final class Spawner: @unchecked Sendable {
    static let shared = Spawner()
    private let lock = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let t = Thread { [unowned self] in self.loop() }
        t.name = "st-verify-spawner"
        t.start()
    }

    private func loop() {
        while true {
            lock.lock()
            while jobs.isEmpty { lock.wait() }
            let job = jobs.removeFirst()
            lock.unlock()
            job()
        }
    }

    func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        var result: T?
        lock.lock()
        jobs.append { result = body(); done.signal() }
        lock.signal()
        lock.unlock()
        done.wait()
        return result!
    }
}

/// posix_spawn with stdin/stdout pipes; stderr to /dev/null or inherited. Returns (pid, write fd, read fd).
func spawnPiped(_ argv: [String], env: [String], inheritStderr: Bool) -> (pid_t, Int32, Int32)? {
    var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
    // Close-on-exec right away: every spawn happens on the Spawner thread, so no other spawn can inherit
    // these between pipe() and fcntl().
    guard pipe(&inPipe) == 0 else { return nil }
    guard pipe(&outPipe) == 0 else { close(inPipe[0]); close(inPipe[1]); return nil }
    for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    defer { posix_spawn_file_actions_destroy(&fa) }
    posix_spawn_file_actions_adddup2(&fa, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1)
    if !inheritStderr { posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    // Own process group (a terminal's ^C reaches st-verify, which tears the workers down); default signals.
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &fa, &attr, cArgs, cEnv)
    close(inPipe[0]); close(outPipe[1])
    if rc != 0 { close(inPipe[1]); close(outPipe[0]); return nil }
    return (pid, inPipe[1], outPipe[0])
}

/// Runs a command to completion and returns its stdout (for probing python).
func captureOutput(_ argv: [String], timeout: Double = 20) -> String? {
    guard let (pid, w, r) = Spawner.shared.run({ spawnPiped(argv, env: currentEnvironment(), inheritStderr: false) })
    else { return nil }
    close(w)
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    let deadline = monotonicSeconds() + timeout
    while true {
        var p = pollfd(fd: r, events: Int16(POLLIN), revents: 0)
        let left = Int32(max(0, (deadline - monotonicSeconds()) * 1000))
        if left == 0 { Glibc.kill(pid, SIGKILL); break }
        if poll(&p, 1, left) <= 0 { continue }
        let n = read(r, &buf, buf.count)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    close(r)
    var st: Int32 = 0
    waitpid(pid, &st, 0)
    return st == 0 ? String(decoding: out, as: UTF8.self) : nil
}

func currentEnvironment() -> [String] {
    ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }.sorted()
}

// MARK: - Workers

/// One long-lived worker process and its pipes.
final class SandboxWorker {
    let pid: pid_t
    let toWorker: Int32
    let fromWorker: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1
    private(set) var alive = true
    var calls = 0

    init(pid: pid_t, toWorker: Int32, fromWorker: Int32) {
        self.pid = pid; self.toWorker = toWorker; self.fromWorker = fromWorker
    }

    deinit { terminate() }

    /// Sends one request object and waits for the answer line; nil when the worker died or did not answer
    /// within `timeout` seconds (then it is killed).
    func call(_ request: JSONObject, timeout: Double) -> JSON? {
        guard alive else { return nil }
        var req = request
        let id = nextID
        nextID += 1
        req["id"] = JSON(id)
        let line = Array((JSON.object(req).serialized() + "\n").utf8)
        var off = 0
        while off < line.count {
            let n = line[off...].withUnsafeBytes { write(toWorker, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; terminate(); return nil }
            off += n
        }
        let deadline = monotonicSeconds() + timeout
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let text = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                guard let v = try? JSON.parse(text), v["id"]?.int == id else { continue }
                return v
            }
            let left = deadline - monotonicSeconds()
            if left <= 0 { terminate(); return nil }
            var p = pollfd(fd: fromWorker, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(min(left * 1000 + 1, 60_000)))
            if r < 0 && errno != EINTR { terminate(); return nil }
            if r <= 0 { continue }
            let n = read(fromWorker, &chunk, chunk.count)
            if n <= 0 { terminate(); return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    private var hungUp = false

    /// Closes the worker's input: it finishes, and bubblewrap's init and monitor exit after it.
    func hangUp() {
        guard alive, !hungUp else { return }
        hungUp = true
        close(toWorker)
    }

    /// Ends the worker and reaps it before returning, so nothing of it is left when st-verify exits: a
    /// worker told to hang up gets half a second to exit; otherwise (or then) the worker is killed (the
    /// kernel then kills every process of its PID namespace, and bubblewrap's monitor reaps it and exits),
    /// and last the monitor itself.
    func terminate() {
        guard alive else { return }
        alive = false
        let inner = childrenOf(pid)   // the worker in the sandbox (or setsid's)
        if !hungUp { close(toWorker) }
        close(fromWorker)
        if !(hungUp && reap(pid, within: 0.5)) {
            for child in inner { Glibc.kill(child, SIGKILL) }
            if !reap(pid, within: 0.5) {
                Glibc.kill(pid, SIGKILL)
                _ = reap(pid, within: 5)
            }
        }
    }
}

/// Waits up to `seconds` for `pid` to end and reaps it; true when it is gone (or not our child).
func reap(_ pid: pid_t, within seconds: Double) -> Bool {
    var st: Int32 = 0
    let end = monotonicSeconds() + seconds
    while true {
        let r = waitpid(pid, &st, WNOHANG)
        if r == pid || (r < 0 && errno == ECHILD) { return true }
        if monotonicSeconds() >= end { return false }
        usleep(1000)
    }
}

/// A pool of sandboxed workers, one per concurrent run.
public final class SandboxPool: @unchecked Sendable {
    public let layer: SandboxLayer
    public let limits: SandboxLimits
    private let argvBase: [String]
    private let env: [String]
    private let verbose: Bool
    private let lock = NSCondition()
    private var idle: [(Int, SandboxWorker?)] = []   // slot index and its worker (nil: start on first use)
    private let privateTmp: String?

    /// Finds the strongest layer that works here (unless `forceFallback`) and prepares `slots` workers.
    public init(limits: SandboxLimits, slots: Int, python: String = "python3", forceFallback: Bool = false,
                verbose: Bool = false) throws {
        self.limits = limits
        self.verbose = verbose
        // The real interpreter (pyenv and similar put a shell script first on PATH) and its prefix.
        guard let probe = captureOutput([python, "-I", "-c",
                                         "import os,sys;print(os.path.realpath(sys.executable));print(sys.base_prefix);[print(p) for p in sys.path if p]"]) else {
            throw SandboxError("cannot run \(python): the code tasks need Python 3 (--python PATH)")
        }
        let lines = probe.split(separator: "\n").map(String.init)
        guard lines.count >= 2 else { throw SandboxError("cannot run \(python)") }
        let exe = lines[0], prefix = lines[1]
        let root = geteuid() == 0
        var layers: [(SandboxLayer, [String])] = []
        var why: String? = nil
        if !forceFallback, let bwrap = findExecutable("bwrap") {
            let tmpSize = String(max(64 << 20, 4 * limits.fileSize))
            let args = [bwrap] + Self.runtimeBinds(python: exe, prefix: prefix, paths: lines.dropFirst(2).map { $0 })
                + ["--dev", "/dev", "--proc", "/proc", "--size", tmpSize, "--tmpfs", "/tmp"]
                + ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                   "--die-with-parent", "--new-session", "--chdir", "/tmp"]
                // The worker as the namespace's init: bubblewrap's monitor then reaps it itself (its own
                // init is left to whoever inherits it, a zombie after st-verify's exit), the kernel kills
                // every process of the sandbox when it ends, and no program can signal it.
                + ((captureOutput([bwrap, "--help"]) ?? "").contains("--as-pid-1") ? ["--as-pid-1"] : [])
            let tail = ["--", exe, "-I", "-c", workerScript]
            if root {
                // As root: no user namespace, so the worker can give each run its own unprivileged uid
                // (RLIMIT_NPROC does not bind uid 0).
                // The worker keeps only the capabilities it needs to do that and clean up after a run.
                let caps = ["--cap-drop", "ALL"] + ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN",
                                                    "CAP_DAC_OVERRIDE", "CAP_FOWNER"].flatMap { ["--cap-add", $0] }
                layers.append((SandboxLayer(bwrap: true, userNamespace: false, uidDrop: true, why: nil, python: exe),
                               args + caps + tail))
            }
            layers.append((SandboxLayer(bwrap: true, userNamespace: true, uidDrop: false, why: nil, python: exe),
                           args + ["--unshare-user"] + tail))
        } else if !forceFallback {
            why = "bwrap not found"
        } else {
            why = "--no-namespaces"
        }
        var tmp: String? = nil
        var found: (SandboxLayer, [String])? = nil
        for (layer, argv) in layers {
            if Self.probe(argv, env: Self.environment(uid: layer.uidDrop ? 61000 : 0, tmp: "/tmp", nonet: false)) {
                found = (layer, argv)
                break
            }
            why = "bwrap could not create namespaces here"
        }
        if found == nil {
            // Fallback: no namespaces. A private directory for the runs.
            var template = Array("/tmp/st-verify-XXXXXX".utf8CString)
            guard let d = mkdtemp(&template) else { throw SandboxError("cannot create a temporary directory") }
            let dir = String(cString: d)
            chmod(dir, 0o711)
            tmp = dir
            // As root the runs need an unprivileged uid; that uid must be able to read the interpreter's
            // files (pyenv under /root is not), so try the system python3 too before giving the uid up.
            var candidates: [(String, Bool)] = [(exe, root)]
            if root {
                if exe != "/usr/bin/python3", access("/usr/bin/python3", X_OK) == 0 { candidates.append(("/usr/bin/python3", true)) }
                candidates.append((exe, false))
            }
            for (py, drop) in candidates {
                // -w: setsid waits for the worker, so killing it (and the worker's parent-death signal) ends it
                let argv = ["setsid", "-w", py, "-I", "-c", workerScript]
                if Self.probe(argv, env: Self.environment(uid: drop ? 61000 : 0, tmp: dir, nonet: true)) {
                    var w = why ?? "bwrap unavailable"
                    if root && !drop { w += "; running as root without a uid change: \(exe)'s files are not readable by another uid" }
                    found = (SandboxLayer(bwrap: false, userNamespace: false, uidDrop: drop, why: w, python: py), argv)
                    break
                }
            }
            if found == nil {
                rmdir(dir)
                throw SandboxError("the Python sandbox worker does not start (\(exe))")
            }
        }
        self.layer = found!.0
        self.argvBase = found!.1
        self.privateTmp = tmp
        self.env = []
        idle = (0..<max(1, slots)).map { ($0, nil) }
    }

    deinit { shutdown() }

    /// What a program sees of the machine, read-only: the system's programs and libraries (/usr and the
    /// top-level links or directories into it), the few /etc files the dynamic loader and Python read, and
    /// the interpreter's own directories (pyenv under a hidden home, a virtual environment's site-packages).
    /// Nothing else: no home directory, no working tree, no benchmark or sample files, no /var, /opt, /mnt.
    static func runtimeBinds(python exe: String, prefix: String, paths: [String]) -> [String] {
        var args: [String] = []
        var bound: [String] = []
        var made = Set<String>()
        func covered(_ p: String) -> Bool { bound.contains { p == $0 || p.hasPrefix($0 + "/") } }
        func bind(_ path: String) {
            guard path.hasPrefix("/"), path != "/", !covered(path), FileManager.default.fileExists(atPath: path) else { return }
            // parents the sandbox uid can traverse (the real ones, such as /root, may not be)
            var dir = ""
            for part in path.split(separator: "/").dropLast() {
                dir += "/" + part
                if !covered(dir) && !made.contains(dir) {
                    args += ["--perms", "0755", "--dir", dir]
                    made.insert(dir)
                }
            }
            args += ["--ro-bind", path, path]
            bound.append(path)
        }
        bind("/usr")
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                args += ["--symlink", dest, top]
            } else {
                bind(top)
            }
        }
        for f in ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "passwd", "group",
                  "nsswitch.conf", "hosts"] {
            bind("/etc/" + f)
        }
        for p in [prefix, exe] + paths { bind(p) }
        return args
    }

    /// Stops every worker and removes the fallback layer's private directory.
    public func shutdown() {
        lock.lock()
        // all at once: each worker exits on end of input, and bubblewrap with it, within a few milliseconds
        for (_, w) in idle { w?.hangUp() }
        for (_, w) in idle { w?.terminate() }
        lock.unlock()
        if let t = privateTmp { try? FileManager.default.removeItem(atPath: t) }
    }

    static func environment(uid: Int, tmp: String, nonet: Bool) -> [String] {
        var e = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONHASHSEED=0",
                 "PYTHONDONTWRITEBYTECODE=1", "ST_SANDBOX_TMP=\(tmp)"]
        if uid > 0 { e.append("ST_SANDBOX_UID=\(uid)") }
        if nonet { e.append("ST_SANDBOX_NONET=1") }
        return e
    }

    /// Starts a worker with this command line and checks that a run works end to end, including an import
    /// the worker did not preload (the interpreter's files must be readable by the sandbox uid).
    static func probe(_ argv: [String], env: [String]) -> Bool {
        guard let (pid, w, r) = Spawner.shared.run({ spawnPiped(argv, env: env, inheritStderr: false) }) else {
            return false
        }
        let worker = SandboxWorker(pid: pid, toWorker: w, fromWorker: r)
        defer { worker.terminate() }
        var limits = SandboxLimits()
        limits.wall = 10
        let req = SandboxPool.requestObject(RunRequest(mode: .script, program: "import xml.dom.minidom, json\nprint(6*7)"),
                                            limits: limits)
        guard let resp = worker.call(req, timeout: 30) else { return false }
        return resp["status"]?.string == "done" && resp["stdout"]?.string == "42\n"
    }

    static func requestObject(_ r: RunRequest, limits: SandboxLimits) -> JSONObject {
        var o = JSONObject()
        o["mode"] = JSON(r.mode.rawValue)
        o["program"] = JSON(r.program)
        if r.mode == .tests {
            o["tests"] = .array(r.tests.map { JSON($0) })
            o["stop_on_fail"] = JSON(r.stopOnFail)
            if let s = r.splitCheck { o["split_check"] = JSON(s) }
            if let e = r.entryPoint { o["entry_point"] = JSON(e) }
            if let c = r.context { o["context"] = JSON(c) }
        }
        if let s = r.stdin { o["stdin"] = JSON(s) }
        o["limits"] = .object(JSONObject([
            ("wall", JSON(limits.wall)), ("cpu", JSON(limits.cpu)), ("memory", JSON(limits.memory)),
            ("fsize", JSON(limits.fileSize)), ("nofile", JSON(limits.openFiles)),
            ("nproc", JSON(limits.processes)), ("output", JSON(limits.output)),
        ]))
        return o
    }

    private func startWorker(slot: Int) -> SandboxWorker? {
        let env = Self.environment(uid: layer.uidDrop ? 61000 + slot : 0, tmp: privateTmp ?? "/tmp",
                                   nonet: !layer.bwrap)
        let argv = argvBase
        let verbose = self.verbose
        guard let (pid, w, r) = Spawner.shared.run({ spawnPiped(argv, env: env, inheritStderr: verbose) }) else {
            return nil
        }
        return SandboxWorker(pid: pid, toWorker: w, fromWorker: r)
    }

    /// Starts another long-lived process in the same sandbox layer, running `script` (with ST_SANDBOX_UID).
    func startService(script: String, uid: Int) -> SandboxWorker? {
        var argv = argvBase
        argv[argv.count - 1] = script
        let env = Self.environment(uid: layer.uidDrop ? uid : 0, tmp: privateTmp ?? "/tmp", nonet: !layer.bwrap)
        let verbose = self.verbose
        guard let (pid, w, r) = Spawner.shared.run({ spawnPiped(argv, env: env, inheritStderr: verbose) }) else {
            return nil
        }
        return SandboxWorker(pid: pid, toWorker: w, fromWorker: r)
    }

    /// Runs one program in a free worker (waiting for one when all are busy).
    public func run(_ request: RunRequest) -> RunOutcome {
        lock.lock()
        while idle.isEmpty { lock.wait() }
        var (slot, worker) = idle.removeLast()
        lock.unlock()
        defer {
            lock.lock()
            idle.append((slot, worker))
            lock.signal()
            lock.unlock()
        }
        if worker == nil || !(worker!.alive) { worker = startWorker(slot: slot) }
        guard let w = worker else {
            return RunOutcome(status: .sandboxError, reason: "cannot start a sandbox worker")
        }
        let req = Self.requestObject(request, limits: limits)
        // The worker enforces the limits itself; this deadline only catches a worker that hangs.
        guard let resp = w.call(req, timeout: limits.wall + 10) else {
            w.terminate()
            worker = nil
            var o = RunOutcome(status: .sandboxError,
                               reason: "the sandbox worker died during the run (killed by the program?)")
            o.workerDied = true
            return o
        }
        return Self.outcome(resp)
    }

    static func outcome(_ resp: JSON) -> RunOutcome {
        let status = resp["status"]?.string ?? "worker_error"
        var o = RunOutcome(status: .sandboxError)
        o.stdout = resp["stdout"]?.string ?? ""
        o.stderr = resp["stderr"]?.string ?? ""
        o.elapsed = resp["elapsed"]?.double ?? 0
        switch status {
        case "done":
            o.status = .done
            let r = resp["result"]
            o.passed = r?["passed"]?.int ?? 0
            o.total = max(1, r?["total"]?.int ?? 1)
            o.reason = r?["reason"]?.string
            o.exitCode = r?["exit"]?.int
            o.broken = r?["broken"]?.string
        case "exit":
            o.status = .exit
            o.exitCode = resp["exit"]?.int
        case "signal":
            o.status = .signal
            o.signal = resp["signal"]?.int
        case "cpu_limit": o.status = .cpuLimit
        case "timeout": o.status = .timeout
        case "output_limit": o.status = .outputLimit
        default:
            o.status = .sandboxError
            o.reason = resp["reason"]?.string ?? "sandbox worker error"
        }
        return o
    }
}

/// Processes whose parent is `pid` (from /proc/PID/task/*/children).
func childrenOf(_ pid: pid_t) -> [pid_t] {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [] }
    var out: [pid_t] = []
    for t in tasks {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/children", encoding: .utf8) else { continue }
        out += s.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    return out
}

func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}
