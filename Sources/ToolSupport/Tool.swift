// What every st tool shares: the common options, one way to report errors, and exit statuses.
//   0  success
//   1  a data or runtime error (bad input, a failed write, ...)
//   64 a usage error (unknown option, bad option value)
import ArgumentParser
import Streams
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_exported import struct Streams.ToolInputError

/// Options every tool spells the same way.
public struct CommonOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp(
        "Where to write: a file instead of stdout (a name ending in .zst is zstd-compressed), or for st-train and st-tasks a directory. It appears only when the tool succeeds.",
        valueName: "path"))
    public var output: String?

    @Option(help: ArgumentHelp("Seed for every random choice; same inputs and seed give byte-identical output.", valueName: "n"))
    public var seed: UInt64 = 0

    @Flag(name: .shortAndLong, help: "Print nothing on stderr but errors.")
    public var quiet = false

    @Flag(name: .shortAndLong, help: "Print more detail on stderr.")
    public var verbose = false

    @Option(help: ArgumentHelp("Worker threads (default: all cores). Never changes the output.", valueName: "n"))
    public var threads: Int?

    public init() {}

    public mutating func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other") }
    }

    /// The thread count to use: --threads, or the number of online cores.
    public var threadCount: Int { threads ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Whether a progress line belongs on stderr: a terminal, and not --quiet.
    public var showProgress: Bool { !quiet && isatty(2) != 0 }
}

/// A data or runtime error with a message for the user.
public typealias ToolError = ToolInputError

/// A command of an st tool. `main.swift` calls `Command.runTool()`.
public protocol ToolCommand: ParsableCommand {
    static var toolName: String { get }
    /// Short options that take a value, which may be written attached as users type them (`-n4`, `-oFILE`).
    static var attachedShortOptions: Set<Character> { get }
}

extension ToolCommand {
    public static var toolName: String { configuration.commandName ?? "st" }
    public static var attachedShortOptions: Set<Character> { ["o"] }

    /// Parses the arguments (usage errors: exit 64), runs, and reports any error as one line on stderr (exit 1).
    /// A closed stdout pipe ends quietly with exit 0.
    public static func runTool() -> Never {
        ignoreSIGPIPE()
        var command: ParsableCommand
        do {
            command = try parseAsRoot(splitAttachedValues(Array(CommandLine.arguments.dropFirst()), attachedShortOptions))
        } catch {
            // --help and --version: ArgumentParser prints them. A usage error: one line, exit 64.
            if exitCode(for: error) == .success { exit(withError: error) }
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            let text = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
            fputs("\(toolName): \(text) (see \(toolName) --help)\n", stderr)
            Glibc.exit(64)
        }
        do {
            try command.run()
            Glibc.exit(0)
        } catch is BrokenPipe {
            Glibc.exit(0)
        } catch let e as ExitCode {
            Glibc.exit(e.rawValue)
        } catch let e as ValidationError {
            fputs("\(toolName): \(e.message) (see \(toolName) --help)\n", stderr)
            Glibc.exit(64)
        } catch {
            // --help and --version arrive here as errors with a success status: let ArgumentParser print them.
            if exitCode(for: error) == .success { exit(withError: error) }
            fputs("\(toolName): \(error)\n", stderr)
            Glibc.exit(1)
        }
    }
}

/// `-n4` as `-n 4` for the short options in `letters` (ArgumentParser reads only the separate form). Everything
/// after `--` is left alone.
func splitAttachedValues(_ args: [String], _ letters: Set<Character>) -> [String] {
    var out: [String] = []
    for (i, a) in args.enumerated() {
        if a == "--" { return out + args[i...] }
        let c = Array(a)
        if c.count > 2, c[0] == "-", c[1] != "-", letters.contains(c[1]) {
            out.append("-\(c[1])"); out.append(String(c[2...]))
        } else {
            out.append(a)
        }
    }
    return out
}

/// "st-x: warning: message" on stderr.
public func warn(_ tool: String, _ message: String) {
    fputs("\(tool): warning: \(message)\n", stderr)
}

/// "st-x: message" on stderr (information the user asked for or should see).
public func note(_ tool: String, _ message: String) {
    fputs("\(tool): \(message)\n", stderr)
}

/// Opens the reader for a tool's inputs, wired to progress display and --skip-bad warnings. Inputs with no
/// record are a warning (unless -q or `allowEmpty`), not an error: the empty output of one tool (st-filter
/// keeping nothing) is a valid input of the next, which writes an empty output. `emptyIsError` keeps the
/// error for a tool whose result would mean nothing without records.
public func openInputs(_ paths: [String], tool: String, common: CommonOptions, skipBad: Bool = false,
                       allowEmpty: Bool = false, emptyIsError: Bool = false) throws -> JSONLReader {
    let reader = try JSONLReader(paths: paths, skipBad: skipBad, allowEmpty: allowEmpty)
    if !emptyIsError {
        let quiet = common.quiet
        reader.onEmpty = { names in if !quiet { warn(tool, "\(names): empty input (no records)") } }
    }
    if common.showProgress { reader.progress = Progress(tool: tool, totalBytes: reader.totalInputBytes) }
    if skipBad && !common.quiet {
        reader.onSkip = { e in warn(tool, "skipped bad line: \(e)") }
    }
    return reader
}

/// The closing report for --skip-bad runs.
public func reportSkipped(_ reader: JSONLReader, tool: String, common: CommonOptions) {
    if reader.skipped > 0 && !common.quiet {
        warn(tool, "skipped \(reader.skipped) bad line\(reader.skipped == 1 ? "" : "s")")
    }
}
