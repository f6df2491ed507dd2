// Verification of one record: the task decides how (math answer + steps, HumanEval/MBPP tests, stdio
// tests, a program whose output is the answer); the result is the set of fields st-verify adds.
import Foundation
import Streams
import MathText

public let verifierVersion = "1.0"

public enum Task: String, CaseIterable, Sendable {
    case gsm8k, math, humaneval, mbpp, stdio, program

    /// Task names accepted in `--task` and in records, with aliases.
    public static func named(_ s: String) -> Task? {
        switch s.lowercased() {
        case "gsm8k", "arith", "arithmetic": return .gsm8k
        case "math", "math500", "math-500": return .math
        case "humaneval", "human-eval", "human_eval": return .humaneval
        case "mbpp": return .mbpp
        case "stdio", "apps": return .stdio
        case "program": return .program
        default: return nil
        }
    }

    public var isCode: Bool { self == .humaneval || self == .mbpp || self == .stdio || self == .program }
}

public struct VerifyOptions: Sendable {
    /// Task for every record (else each record's `task` field).
    public var task: Task?
    /// Reward = fraction of tests passed (code tasks).
    public var partial = false
    /// Ask sympy when the built-in rules cannot decide.
    public var symbolic = false
    public var symbolicTimeout = 5.0
    public var lastNumberFallback = false
    /// MBPP: also run `challenge_test_list`.
    public var challengeTests = false
    /// Field holding the solution to verify.
    public var completionField = RecordField.completion
    /// Verify the benchmark's own reference solution instead (canonical_solution, code, answer, solution).
    public var reference = false
    /// stdio: numbers in outputs compare equal within this absolute/relative tolerance.
    public var floatTolerance: Double?
    /// Check arithmetic steps of math solutions.
    public var checkSteps = true
    public var limits = SandboxLimits()
    public var python = "python3"
    /// Do not try bubblewrap (tests of the fallback layer).
    public var noNamespaces = false
    public var verbose = false
    public init() {}
}

public struct VerifyResult: Sendable {
    public var verdict: Verdict
    public var reward: Double = 0
    public var extracted: String?
    public var expected: String?
    public var stepsOK: Bool?
    public var firstBadStep: Int?
    public var reason: String?
    public var runtimeMs: Double = 0
    public var verifier = ""

    public init(verdict: Verdict, reason: String? = nil) { self.verdict = verdict; self.reason = reason }

    /// The fields st-verify sets on the record, in this order.
    public var fields: [(String, JSON)] {
        func opt(_ s: String?) -> JSON { s.map { JSON($0) } ?? .null }
        let r: JSON = reward == reward.rounded() ? JSON(Int(reward)) : .number(formatReward(reward))
        return [
            (RecordField.verdict, JSON(verdict.rawValue)),
            (RecordField.reward, r),
            (RecordField.extracted, opt(extracted)),
            (RecordField.expected, opt(expected)),
            (RecordField.stepsOK, stepsOK.map { JSON($0) } ?? .null),
            (RecordField.firstBadStep, firstBadStep.map { JSON($0) } ?? .null),
            (RecordField.reason, opt(reason)),
            (RecordField.runtimeMs, .number(milliseconds(runtimeMs))),
            (RecordField.verifier, JSON(verifier)),
        ]
    }
}

/// `12.345`: three decimals, without Foundation's String(format:) (slow in the per-record path).
public func milliseconds(_ ms: Double) -> String {
    let micro = Int((max(0, ms) * 1000).rounded())
    let frac = micro % 1000
    return "\(micro / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + String(frac)
}

private func formatReward(_ r: Double) -> String {
    var s = String(format: "%.6f", r)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
}

/// Verifies records; thread-safe (the sandbox pool and the sympy checker are shared and locked).
public final class Verifier: @unchecked Sendable {
    public let options: VerifyOptions
    private let lock = NSLock()
    private var pool: SandboxPool?
    private var poolError: String?
    private var sympy: SympyChecker?
    private let slots: Int

    public init(options: VerifyOptions, threads: Int) {
        self.options = options
        self.slots = max(1, threads)
    }

    /// The sandbox layer in use, when the sandbox has been started.
    public var activeLayer: SandboxLayer? {
        lock.lock(); defer { lock.unlock() }
        return pool?.layer
    }

    /// The sandbox, started on first use. Nil (with the reason) when it cannot start.
    public func sandbox() -> (SandboxPool?, String?) {
        lock.lock(); defer { lock.unlock() }
        if pool == nil && poolError == nil {
            do {
                pool = try SandboxPool(limits: options.limits, slots: slots, python: options.python,
                                       forceFallback: options.noNamespaces, verbose: options.verbose)
            } catch {
                poolError = "\(error)"
            }
        }
        return (pool, poolError)
    }

    /// Stops the sandbox workers (and the sympy process) and removes their temporary files.
    public func shutdown() {
        lock.lock(); defer { lock.unlock() }
        sympy?.stop()
        pool?.shutdown()
    }

    private func symbolicChecker() -> SympyChecker? {
        let (p, _) = sandbox()
        guard let p else { return nil }
        lock.lock(); defer { lock.unlock() }
        if sympy == nil { sympy = SympyChecker(pool: p, timeout: options.symbolicTimeout) }
        return sympy
    }

    public func verify(_ record: JSONRecord) -> VerifyResult {
        let t0 = monotonicSeconds()
        var r = verifyUntimed(record)
        r.runtimeMs = (monotonicSeconds() - t0) * 1000
        return r
    }

    /// What st-verify says when a record's task is neither given nor inferable (the run stops on it: marking
    /// every record `error` would look like a finished run).
    public static let noTaskMessage = "no task: the record has no \"task\" field, no built-in method and no benchmark format "
        + "(GSM8K's answer with ####, HumanEval's entry_point and test, MBPP's test_list, MATH's problem with answer "
        + "or a \\boxed solution); give --task gsm8k, math, humaneval, mbpp, stdio or program"

    /// The task of a record without a --task and a "task" field, from what it says: its benchmark format first
    /// (the fields its verifier reads), else the built-in sampling method it was drawn with. nil: cannot tell.
    public static func inferTask(_ record: JSONRecord) -> Task? {
        func str(_ k: String) -> String? { record[k]?.string }
        if record["entry_point"] != nil && record["test"] != nil { return .humaneval }
        if record["test_list"] != nil { return .mbpp }
        if record["input_output"] != nil { return .stdio }
        if let a = str("answer"), hasBytes(a, "####") { return .gsm8k }
        if let s = str("solution"), hasBytes(s, "\\boxed") || hasBytes(s, "\\fbox") { return .math }
        if str("problem") != nil && record["answer"] != nil { return .math }
        switch record[RecordField.method]?.string {
        case "gsm8k", "text", "code", "text-to-code", "code-to-text", "chat-text", "chat-code": return .gsm8k
        case "math": return .math
        case "humaneval": return .humaneval
        case "mbpp": return .mbpp
        default: return nil
        }
    }

    /// Whether the run must stop on `record`: no --task, no "task" field and nothing to infer one from.
    public func lacksTask(_ record: JSONRecord) -> Bool {
        options.task == nil && record["task"] == nil && Verifier.inferTask(record) == nil
    }

    private func taskOf(_ record: JSONRecord) -> (Task?, String?) {
        if let t = options.task { return (t, nil) }
        guard let v = record["task"] else {
            if let t = Verifier.inferTask(record) { return (t, nil) }
            return (nil, Verifier.noTaskMessage)
        }
        guard let s = v.string else { return (nil, "the \"task\" field is not a string") }
        guard let t = Task.named(s) else { return (nil, "unknown task \"\(s)\"") }
        return (t, nil)
    }

    private func verifyUntimed(_ record: JSONRecord) -> VerifyResult {
        let (task, why) = taskOf(record)
        guard let task else {
            var r = VerifyResult(verdict: .error, reason: why)
            r.verifier = "st-verify \(verifierVersion)"
            return r
        }
        switch task {
        case .gsm8k, .math:
            if answerKind(record) == .program { return verifyProgramAnswer(record, task: task) }
            return verifyMath(record, task: task)
        case .program: return verifyProgramAnswer(record, task: task)
        case .humaneval: return verifyHumanEval(record)
        case .mbpp: return verifyMBPP(record)
        case .stdio: return verifyStdio(record)
        }
    }

    // MARK: Math

    /// What the record's completion is: the record's `method` says (the schema's AnswerKind).
    private func answerKind(_ record: JSONRecord) -> AnswerKind {
        AnswerKind(method: record[RecordField.method]?.string)
    }

    /// The field holding the solution: --completion-field, or with --reference the benchmark's own.
    private func solutionField(_ task: Task, _ record: JSONRecord? = nil) -> String {
        guard options.reference else { return options.completionField }
        // st-tasks' arithmetic problems carry their worked solutions apart from the bare answer
        if task == .gsm8k, let r = record, r[RecordField.solutionText] != nil { return answerKind(r).solutionField }
        if task == .program, let r = record, r[RecordField.solutionCode] != nil { return RecordField.solutionCode }
        switch task {
        case .humaneval: return "canonical_solution"
        case .mbpp: return "code"
        case .gsm8k: return "answer"
        case .math: return "solution"
        case .stdio, .program: return "solution"
        }
    }

    private func stringField(_ record: JSONRecord, _ name: String) -> String? {
        guard let v = record[name] else { return nil }
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }

    /// The reference answer: `answer` (the `#### N` of a GSM8K solution, the `\boxed{}` of a MATH
    /// solution, or the field itself), else `solution`, else `expected`.
    private func expectedAnswer(_ record: JSONRecord) -> String? {
        for name in ["answer", "solution", "expected"] {
            guard let s = stringField(record, name) else { continue }
            if name != "expected" && (hasBytes(s, "####") || hasBytes(s, "\\boxed") || hasBytes(s, "\\fbox")),
               let e = extractAnswer(s) {
                return e.text
            }
            if name == "solution" { continue }   // a solution without a marked answer is not an answer
            return s.trimmedSpaces()
        }
        return nil
    }

    private func verifyMath(_ record: JSONRecord, task: Task) -> VerifyResult {
        var r = VerifyResult(verdict: .error)
        r.verifier = "st-verify \(verifierVersion) \(task.rawValue) exact\(options.symbolic ? "+sympy" : "")"
        let field = solutionField(task, record)
        guard let completion = stringField(record, field) else {
            r.reason = "no string field \"\(field)\""
            return r
        }
        guard let expected = expectedAnswer(record) else {
            r.reason = "no reference answer (\"answer\", \"solution\" with a marked answer, or \"expected\")"
            return r
        }
        r.expected = expected
        if options.checkSteps {
            let steps = checkSteps(completion)
            if steps.checked > 0 {
                r.stepsOK = steps.ok
                r.firstBadStep = steps.firstBad
            }
            if let why = steps.reason { r.reason = why }
        }
        guard let got = extractAnswer(completion, lastNumberFallback: options.lastNumberFallback) else {
            r.verdict = .unparsed
            r.reason = "no final answer found (#### N, \\boxed{}, \"The answer is\", \"Answer:\")"
                + (options.lastNumberFallback ? " and no number" : "")
            return r
        }
        r.extracted = got.text
        judge(&r, got.text, expected)
        return r
    }

    /// Sets verdict, reward and reason from comparing an extracted answer with the expected one.
    private func judge(_ r: inout VerifyResult, _ got: String, _ expected: String) {
        var eq = answersEquivalent(got, expected)
        var how = ""
        if eq == .undecided && options.symbolic, let s = symbolicChecker() {
            switch s.equal(got, expected) {
            case .some(true): eq = .equal; how = " (sympy)"
            case .some(false): eq = .different; how = " (sympy)"
            case .none: how = " (sympy could not decide in time)"
            }
        }
        switch eq {
        case .equal:
            r.verdict = .pass
            r.reward = 1
            if r.stepsOK == false {
                // right answer, wrong reasoning: the pass stands, the reason says which step
            } else {
                r.reason = how.isEmpty ? nil : "equal\(how)"
            }
        case .different:
            r.verdict = .fail
            r.reward = 0
            let stepWhy = r.stepsOK == false ? "; " + (r.reason ?? "") : ""
            r.reason = "answer \(got) is not \(expected)\(how)\(stepWhy)"
        case .undecided:
            r.verdict = .fail
            r.reward = 0
            r.reason = "cannot decide whether \(got) equals \(expected)\(how.isEmpty ? " (try --symbolic)" : how)"
        }
    }

    // MARK: Code

    private func sandboxOrError(_ r: inout VerifyResult) -> SandboxPool? {
        let (p, why) = sandbox()
        if p == nil { r.verdict = .error; r.reason = "sandbox unavailable: \(why ?? "unknown")" }
        if let p { r.verifier += " sandbox=\(p.layer.short)" }
        return p
    }

    /// Applies a run outcome: verdict, reward (passed fraction with --partial), reason.
    private func apply(_ o: RunOutcome, to r: inout VerifyResult, script: Bool) {
        switch o.status {
        case .done:
            if let broken = o.broken {
                r.verdict = .error; r.reward = 0
                r.reason = broken
                return
            }
            if o.exitCode != nil {
                r.verdict = .fail; r.reward = 0
                r.reason = withStderr(o.reason ?? "nonzero exit", o)
                return
            }
            let frac = Double(o.passed) / Double(max(o.total, 1))
            r.verdict = o.passed >= o.total ? .pass : .fail
            r.reward = options.partial ? frac : (r.verdict == .pass ? 1 : 0)
            if r.verdict == .fail {
                r.reason = (o.reason ?? "a test failed") + (o.total > 1 ? " (\(o.passed)/\(o.total) tests passed)" : "")
            }
        case .exit:
            if script && o.exitCode == 0 {
                r.verdict = .pass; r.reward = 1   // a script that ended with os._exit(0)
            } else {
                r.verdict = .fail; r.reward = 0
                r.reason = withStderr(script ? "exit status \(o.exitCode ?? -1)"
                                             : "the program ended before the tests finished (exit status \(o.exitCode ?? -1))", o)
            }
        case .signal:
            r.verdict = .fail; r.reward = 0
            r.reason = "killed by signal \(o.signal ?? 0)\(o.signal == 25 ? " (file size limit)" : "")"
        case .timeout:
            r.verdict = .timeout; r.reward = 0
            r.reason = "wall-clock limit of \(fmt(options.limits.wall)) s"
        case .cpuLimit:
            r.verdict = .timeout; r.reward = 0
            r.reason = "CPU-time limit of \(fmt(options.limits.cpu)) s"
        case .outputLimit:
            r.verdict = .fail; r.reward = 0
            r.reason = "output limit of \(options.limits.output) bytes exceeded"
        case .sandboxError:
            r.verdict = o.workerDied ? .fail : .error
            r.reward = 0
            r.reason = o.reason ?? "sandbox error"
        }
    }

    private func withStderr(_ s: String, _ o: RunOutcome) -> String {
        let last = o.stderr.split(separator: "\n").last.map { String($0.prefix(300)) }
        if let last, !s.contains(last) { return s + ": " + last }
        return s
    }

    private func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    private func completionCode(_ record: JSONRecord, _ r: inout VerifyResult, _ task: Task) -> String? {
        let field = solutionField(task, record)
        guard let c = stringField(record, field) else {
            r.verdict = .error
            r.reason = "no string field \"\(field)\""
            return nil
        }
        return extractCode(c)
    }

    private func verifyHumanEval(_ record: JSONRecord) -> VerifyResult {
        var r = VerifyResult(verdict: .error)
        r.verifier = "st-verify \(verifierVersion) humaneval"
        guard let code = completionCode(record, &r, .humaneval) else { return r }
        guard let prompt = stringField(record, "prompt"), let test = stringField(record, "test"),
              let entry = stringField(record, "entry_point") else {
            r.reason = "a humaneval record needs \"prompt\", \"test\" and \"entry_point\""
            return r
        }
        guard let pool = sandboxOrError(&r) else { return r }
        // The completion continues the prompt, or (from chat models) restates the whole function. The test
        // code runs after it (compiled apart, so a broken test is told from a broken completion).
        var program = prompt + code
        if !program.hasSuffix("\n") { program += "\n" }
        var req = RunRequest(mode: .tests, program: program)
        req.tests = [test, "check(\(entry))"]
        req.entryPoint = entry
        req.context = prompt   // the tester's own copy of the prompt's helpers (the program's are remote)
        if options.partial {
            req.splitCheck = test
            req.stopOnFail = false
        }
        apply(pool.run(req), to: &r, script: false)
        return r
    }

    private func verifyMBPP(_ record: JSONRecord) -> VerifyResult {
        var r = VerifyResult(verdict: .error)
        r.verifier = "st-verify \(verifierVersion) mbpp"
        guard let code = completionCode(record, &r, .mbpp) else { return r }
        guard let list = record["test_list"]?.array, !list.isEmpty else {
            r.reason = "an mbpp record needs a non-empty \"test_list\""
            return r
        }
        var tests = list.compactMap { $0.string }
        if options.challengeTests, let more = record["challenge_test_list"]?.array {
            tests += more.compactMap { $0.string }
        }
        guard tests.count == list.count + (options.challengeTests ? (record["challenge_test_list"]?.array?.count ?? 0) : 0)
        else {
            r.reason = "\"test_list\" holds a value that is not a string"
            return r
        }
        guard let pool = sandboxOrError(&r) else { return r }
        let setup = stringField(record, "test_setup_code") ?? ""
        var req = RunRequest(mode: .tests, program: code + "\n" + setup + "\n")
        req.tests = tests
        req.stopOnFail = !options.partial
        apply(pool.run(req), to: &r, script: false)
        return r
    }

    /// Test cases of a stdio record: `tests` [{input, output}], `inputs`/`outputs`, or APPS's
    /// `input_output` (an object or a JSON string with `inputs` and `outputs`).
    private func stdioCases(_ record: JSONRecord) -> [(String, String)]? {
        func text(_ v: JSON) -> String? {
            if let s = v.string { return s }
            if let a = v.array { return a.compactMap { $0.string ?? $0.serialized() }.joined(separator: "\n") }
            if case .number(let n) = v { return n }
            return nil
        }
        func pairs(_ ins: [JSON], _ outs: [JSON]) -> [(String, String)]? {
            guard ins.count == outs.count, !ins.isEmpty else { return nil }
            var out: [(String, String)] = []
            for (a, b) in zip(ins, outs) {
                guard let x = text(a), let y = text(b) else { return nil }
                out.append((x, y))
            }
            return out
        }
        if let t = record["tests"]?.array {
            var out: [(String, String)] = []
            for c in t {
                guard let i = c["input"].flatMap(text), let o = c["output"].flatMap(text) else { return nil }
                out.append((i, o))
            }
            return out.isEmpty ? nil : out
        }
        if let i = record["inputs"]?.array, let o = record["outputs"]?.array { return pairs(i, o) }
        if var io = record["input_output"] {
            if let s = io.string, let parsed = try? JSON.parse(s) { io = parsed }
            if let i = io["inputs"]?.array, let o = io["outputs"]?.array { return pairs(i, o) }
        }
        return nil
    }

    private func verifyStdio(_ record: JSONRecord) -> VerifyResult {
        var r = VerifyResult(verdict: .error)
        r.verifier = "st-verify \(verifierVersion) stdio"
        guard let code = completionCode(record, &r, .stdio) else { return r }
        guard let cases = stdioCases(record) else {
            r.reason = "a stdio record needs \"tests\" [{input, output}], \"inputs\"/\"outputs\" or \"input_output\""
            return r
        }
        guard let pool = sandboxOrError(&r) else { return r }
        var passed = 0
        var firstFail: VerifyResult?
        for (k, (input, expected)) in cases.enumerated() {
            var req = RunRequest(mode: .script, program: code)
            req.stdin = input
            let o = pool.run(req)
            var one = r
            apply(o, to: &one, script: true)
            if one.verdict == .pass {
                if outputsMatch(o.stdout, expected, tolerance: options.floatTolerance) {
                    passed += 1
                    continue
                }
                one.verdict = .fail
                one.reason = "test \(k + 1): wrong output: got \(preview(o.stdout)), expected \(preview(expected))"
            } else if let why = one.reason {
                one.reason = "test \(k + 1): \(why)"
            }
            if firstFail == nil { firstFail = one }
            if !options.partial { break }
        }
        if let f = firstFail {
            r = f
            r.reason = (f.reason ?? "") + (cases.count > 1 ? " (\(passed)/\(cases.count) tests passed)" : "")
        } else {
            r.verdict = .pass
            r.reason = nil
        }
        r.reward = options.partial ? Double(passed) / Double(cases.count) : (r.verdict == .pass ? 1 : 0)
        return r
    }

    /// A program whose printed output is the answer (task `program`, or a math record whose method is code).
    private func verifyProgramAnswer(_ record: JSONRecord, task: Task) -> VerifyResult {
        var r = VerifyResult(verdict: .error)
        r.verifier = "st-verify \(verifierVersion) \(task.rawValue)\(task == .program ? "" : " program")\(options.symbolic ? " +sympy" : "")"
        guard let code = completionCode(record, &r, task) else { return r }
        guard let expected = expectedAnswer(record) else {
            r.reason = "no reference answer (\"answer\", \"solution\" with a marked answer, or \"expected\")"
            return r
        }
        r.expected = expected
        guard let pool = sandboxOrError(&r) else { return r }
        let o = pool.run(RunRequest(mode: .script, program: code))
        var ran = r
        apply(o, to: &ran, script: true)
        guard ran.verdict == .pass else { return ran }
        guard let last = o.stdout.split(separator: "\n").last(where: { !$0.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }) else {
            r.verdict = .unparsed
            r.reason = "the program printed nothing"
            return r
        }
        let got = String(last).trimmedSpaces()
        r.extracted = got
        judge(&r, got, expected)
        return r
    }
}

/// Byte-level substring test (Foundation's String.contains is slow in the per-record path).
func hasBytes(_ s: String, _ needle: StaticString) -> Bool {
    let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
    guard let first = n.first else { return true }
    var s = s
    return s.withUTF8 { b in
        guard b.count >= n.count else { return false }
        for i in 0...(b.count - n.count) where b[i] == first {
            var k = 1
            while k < n.count && b[i + k] == n[k] { k += 1 }
            if k == n.count { return true }
        }
        return false
    }
}

/// The code in a completion: the first fenced block (```python … ```) when there is one, else all of it.
public func extractCode(_ s: String) -> String {
    guard let open = s.range(of: "```") else { return s }
    var rest = s[open.upperBound...]
    if let nl = rest.firstIndex(of: "\n") { rest = rest[rest.index(after: nl)...] }   // language tag line
    if let close = rest.range(of: "```") { return String(rest[..<close.lowerBound]) }
    return String(rest)
}

private func preview(_ s: String) -> String {
    var t = s.trimmingTrailingWhitespace()
    if t.count > 60 { t = String(t.prefix(60)) + "…" }
    return "\"" + t.replacingOccurrences(of: "\n", with: "\\n") + "\""
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var u = Substring(self)
        while let l = u.last, l == " " || l == "\n" || l == "\t" || l == "\r" { u = u.dropLast() }
        return String(u)
    }

    func trimmedSpaces() -> String {
        var u = Substring(self)
        while let f = u.first, f == " " || f == "\n" || f == "\t" || f == "\r" { u = u.dropFirst() }
        while let l = u.last, l == " " || l == "\n" || l == "\t" || l == "\r" { u = u.dropLast() }
        return String(u)
    }
}

/// stdio comparison: lines compared with trailing whitespace ignored and trailing empty lines dropped; with
/// a tolerance, whitespace-separated tokens that are both numbers compare within it (absolute or relative).
public func outputsMatch(_ got: String, _ expected: String, tolerance: Double?) -> Bool {
    func lines(_ s: String) -> [Substring] {
        var ls = s.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { l -> Substring in
                var u = l
                while let c = u.last, c == " " || c == "\t" || c == "\r" { u = u.dropLast() }
                return u
            }
        while let l = ls.last, l.isEmpty { ls.removeLast() }
        return ls
    }
    let a = lines(got), b = lines(expected)
    if a == b { return true }
    guard let tol = tolerance, a.count == b.count else { return false }
    for (x, y) in zip(a, b) where x != y {
        let tx = x.split(whereSeparator: { $0 == " " || $0 == "\t" }), ty = y.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard tx.count == ty.count else { return false }
        for (p, q) in zip(tx, ty) where p != q {
            guard let u = Double(p), let v = Double(q) else { return false }
            if abs(u - v) > tol && abs(u - v) > tol * max(abs(u), abs(v)) { return false }
        }
    }
    return true
}
