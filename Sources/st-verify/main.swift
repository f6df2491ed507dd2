// st-verify: the reward of every self-training round. Checks math answers (and every arithmetic step) with
// exact rationals, and runs code in a sandbox; adds verdict, reward and the why to each record.
import ArgumentParser
import Foundation
import Streams
import ToolSupport
import Verify

struct STVerify: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-verify",
        abstract: "Verify candidate solutions: math answers and steps exactly, code in a sandbox.",
        discussion: """
        Reads JSON Lines records (zstd-compressed or plain) from each INPUT in order, or stdin, and writes \
        every record with its fields intact plus: verdict (pass, fail, timeout, error, unparsed), reward (1 or \
        0, or the passed fraction of tests with --partial), extracted (the answer found in the completion), \
        expected, steps_ok and first_bad_step (math: every arithmetic equation checked exactly; null when \
        none was found), reason (why: the wrong step, the failed assertion, the exception), runtime_ms and \
        verifier (name, version, method, sandbox layer). Output order is input order whatever --threads.

        The task comes from --task, else each record's "task" field, else what the record says: its format \
        (HumanEval's entry_point and test, MBPP's test_list, APPS's input_output, GSM8K's answer with ####, \
        MATH's \\boxed solution or problem with answer), else its built-in method (gsm8k, math, humaneval, mbpp; \
        text, code and their translations are gsm8k); a record that says none stops the run with an error \
        naming the --task to give. Tasks: gsm8k, math (the answer in \
        "answer", or the marked answer of "solution"), humaneval (prompt + completion + test + \
        check(entry_point)), mbpp (completion + test_setup_code + each of test_list), stdio (the program \
        reads each test's input; "tests" [{input, output}], "inputs"/"outputs" or APPS's "input_output"), \
        program (a program that prints the answer). A gsm8k or math record whose "method" names code \
        (code, program, python; for a translation, what it translates to, e.g. text-to-code) is run as a \
        program too. The solution is read from "completion" \
        (--completion-field); a fenced ```python block in it is taken as the code.

        Math answers are found strictly: "#### N", the last \\boxed{...} or \\fbox{...}, "The answer is ...", \
        "Answer: ..."; the last number only with --last-number-fallback. They are compared as exact \
        rationals after normalization (thousands separators, currency, units, percent, degrees, \\frac, \
        mixed numbers, radicals and pi in canonical form, tuples and intervals element by element); see \
        docs/st-verify.md for exactly what is recognized. --symbolic asks sympy (in the sandbox, with a \
        timeout) when those rules cannot decide.

        A summary line on stderr counts the records per verdict (unless -q).

        Code runs in long-lived sandboxed Python workers: bubblewrap (new PID, network, IPC, UTS and mount \
        namespaces, read-only root, private /tmp, home hidden, --die-with-parent) and, for each run, a forked \
        child in its own session and temporary directory with CPU, memory, file-size, open-file and process \
        limits, an unprivileged uid when st-verify runs as root, captured and capped output, a scrubbed \
        environment and a wall-clock limit; every process a run leaves behind is killed. Where bubblewrap \
        cannot create namespaces, the workers run with the limits only and sockets refused in Python; -v \
        prints the active layer and the verifier field names it.

        EXAMPLES:
          # Verify GSM8K samples, math rules plus step checking
          st-verify --task gsm8k samples.jsonl.zst -o verified.jsonl.zst
          # HumanEval completions, partial credit, 5 s per program, 2 threads
          st-verify --task humaneval --partial --timeout 5 --threads 2 samples.jsonl.zst -o verified.jsonl.zst
          # Check that every canonical HumanEval solution passes
          st-verify --task humaneval --reference HumanEval.jsonl | jq -r .verdict | sort | uniq -c
          # MATH answers, asking sympy when the built-in rules cannot decide
          st-verify --task math --symbolic samples.jsonl.zst -o verified.jsonl.zst
          # Right answer, wrong reasoning: count them
          st-verify --task gsm8k samples.jsonl.zst | jq -c 'select(.verdict == "pass" and .steps_ok == false)' | wc -l

        EXIT STATUS:
          0   success: every record was written with a verdict (failing solutions are not an error)
          1   bad input: invalid JSON or UTF-8, a record that is not an object, a record whose task is neither given nor inferable, an unwritable output, no Python for a --task that runs code; no output file is left (an empty input is a warning and an empty output)
          64  usage error: an unknown option, a bad option value, an unknown --task
        """)

    @Argument(help: ArgumentHelp("JSON Lines files (.jsonl, .jsonl.zst); '-' or none reads stdin.", valueName: "input"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Task for every record: gsm8k, math, humaneval, mbpp, stdio, program (default: each record's \"task\" field).", valueName: "task"))
    var task: String?

    @Flag(help: "Reward is the fraction of tests passed (code tasks) instead of all or nothing.")
    var partial = false

    @Option(help: ArgumentHelp("Wall-clock and CPU-time limit of one program run, in seconds.", valueName: "s"))
    var timeout: Double = 10

    @Option(help: ArgumentHelp("Address-space limit of one program run, in MiB.", valueName: "mb"))
    var memory: Int = 1024

    @Option(name: .customLong("max-output"), help: ArgumentHelp("Captured stdout+stderr of one run, in KiB; more ends the run as a failure.", valueName: "kb"))
    var maxOutput: Int = 1024

    @Option(name: .customLong("max-file-size"), help: ArgumentHelp("Largest file a program may write, in MiB.", valueName: "mb"))
    var maxFileSize: Int = 16

    @Option(name: .customLong("max-processes"), help: ArgumentHelp("Processes a program may have at once.", valueName: "n"))
    var maxProcesses: Int = 32

    @Option(name: .customLong("max-open-files"), help: ArgumentHelp("Open file descriptors of a program.", valueName: "n"))
    var maxOpenFiles: Int = 64

    @Flag(help: "Ask sympy (python3, in the sandbox) when the built-in rules cannot decide an answer.")
    var symbolic = false

    @Option(name: .customLong("symbolic-timeout"), help: ArgumentHelp("Seconds sympy may spend on one answer.", valueName: "s"))
    var symbolicTimeout: Double = 5

    @Flag(name: .customLong("last-number-fallback"), help: "When no marked answer is found, take the last number of the completion.")
    var lastNumberFallback = false

    @Flag(name: .customLong("no-steps"), help: "Do not check the arithmetic steps of math solutions.")
    var noSteps = false

    @Flag(name: .customLong("challenge-tests"), help: "MBPP: also run challenge_test_list.")
    var challengeTests = false

    @Option(name: .customLong("completion-field"), help: ArgumentHelp("Field holding the solution to verify.", valueName: "name"))
    var completionField = "completion"

    @Flag(help: "Verify the benchmark's own reference solution (canonical_solution, code, answer, solution) instead of the completion.")
    var reference = false

    @Option(name: .customLong("float-tolerance"), help: ArgumentHelp("stdio: numbers in the output match within this absolute or relative tolerance.", valueName: "x"))
    var floatTolerance: Double?

    @Option(help: ArgumentHelp("Python interpreter for code tasks.", valueName: "path"))
    var python = "python3"

    @Flag(name: .customLong("no-namespaces"), help: "Do not use bubblewrap: limits only (to test the fallback layer).")
    var noNamespaces = false

    @Flag(name: .customLong("skip-bad"), help: "Warn about and skip invalid lines instead of stopping (counted at the end).")
    var skipBad = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let t = task, Task.named(t) == nil {
            throw ValidationError("unknown --task '\(t)' (gsm8k, math, humaneval, mbpp, stdio, program)")
        }
        if !(timeout > 0) { throw ValidationError("--timeout must be positive") }
        if memory < 16 { throw ValidationError("--memory must be at least 16 (MiB)") }
        if maxOutput < 1 || maxFileSize < 1 || maxProcesses < 1 || maxOpenFiles < 8 {
            throw ValidationError("--max-output, --max-file-size, --max-processes must be at least 1, --max-open-files at least 8")
        }
        if !(symbolicTimeout > 0) { throw ValidationError("--symbolic-timeout must be positive") }
        if let f = floatTolerance, !(f >= 0) { throw ValidationError("--float-tolerance must be at least 0") }
    }

    func run() throws {
        var o = VerifyOptions()
        o.task = task.flatMap(Task.named)
        o.partial = partial
        o.symbolic = symbolic
        o.symbolicTimeout = symbolicTimeout
        o.lastNumberFallback = lastNumberFallback
        o.checkSteps = !noSteps
        o.challengeTests = challengeTests
        o.completionField = completionField
        o.reference = reference
        o.floatTolerance = floatTolerance
        o.python = python
        o.noNamespaces = noNamespaces
        o.verbose = common.verbose
        o.limits.wall = timeout
        o.limits.cpu = timeout
        o.limits.memory = memory << 20
        o.limits.output = maxOutput << 10
        o.limits.fileSize = maxFileSize << 20
        o.limits.processes = maxProcesses
        o.limits.openFiles = maxOpenFiles

        let threads = common.threadCount
        let verifier = Verifier(options: o, threads: threads)
        defer { verifier.shutdown() }
        if o.task?.isCode == true {
            // every record needs the sandbox: no sandbox is an error for the whole run
            let (pool, why) = verifier.sandbox()
            guard let pool else { throw ToolError("sandbox unavailable: \(why ?? "?")") }
            if common.verbose { note(Self.toolName, "sandbox: \(pool.layer)") }
        }
        let reader = try openInputs(inputs, tool: Self.toolName, common: common, skipBad: skipBad)
        let writer = try JSONLWriter(path: common.output)
        let run = VerifyRun(verifier: verifier, reader: reader, writer: writer, threads: threads)
        try run.run()
        try writer.commit()
        reportSkipped(reader, tool: Self.toolName, common: common)
        // Always (unless -q) the counts per verdict: a run where every record came out `error` or `unparsed`
        // must not look like a finished one.
        if !common.quiet {
            let s = run.stats
            let counts = Verdict.allCases.map { "\($0.rawValue) \(s.count($0))" }.joined(separator: ", ")
            note(Self.toolName, "\(s.read) records: \(counts); mean reward \(s.read > 0 ? String(format: "%.4f", s.rewardSum / Double(s.read)) : "-")"
                 + (s.stepsChecked > 0 ? "; wrong steps in \(s.stepsBad) of \(s.stepsChecked) checked solutions" : ""))
        }
        if common.verbose, o.task?.isCode != true, let layer = verifier.activeLayer { note(Self.toolName, "sandbox: \(layer)") }
    }
}

STVerify.runTool()
