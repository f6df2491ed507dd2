// st-eval: metrics of verified samples (pass@k, maj@k, coverage, diversity, fpr, compute) as JSON, a table and
// an SVG plot. Argument parsing here; everything else in the Eval library.
import ArgumentParser
import Eval
import Streams
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

struct EvalCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-eval",
        abstract: "Measure verified samples: pass@k, maj@k, coverage, diversity, fpr, compute; compare runs.",
        discussion: """
        Reads st-verify output (JSON Lines, zstd or plain) and reports, overall, per method and per value of \
        each --by field: pass@K (the unbiased estimator of Chen et al.), greedy accuracy, maj@K, coverage@K, \
        diversity@K, fpr (answer-correct samples whose steps were found wrong, with the count it rests on), \
        the correlation of per-problem success between methods, compute (FLOPs, tokens) and seeded bootstrap \
        confidence intervals over problems.

        Each INPUT is one run; several give a row per run and the differences against the first. Write \
        LABEL=PATH to name a run; inputs with the same label are read as one run. A metric that cannot be \
        computed honestly (a K above some problem's sample count, fpr with no steps checked) is null in the \
        JSON and "-" in the table, with a note on stderr.

        The JSON document goes to stdout or -o; the table to stderr, or to stdout with --table. Keys and rules \
        are documented in docs/st-eval.md.

        EXAMPLES:
          # pass@1,4,16, maj@16, coverage and diversity of one run, per method and per difficulty
          st-eval verified.jsonl.zst --k 1,4,16 --by level
          # compare rounds and plot them
          st-eval round-*/eval-verified.jsonl.zst --plot rounds.svg -o rounds.json
          # a weak-cheap model against a strong-expensive one, as a table on stdout
          st-eval weak=wc.jsonl.zst strong=se.jsonl.zst --table
          # one number for a script
          st-eval verified.jsonl.zst -q | jq '.inputs[0].all["pass@1"]'

        EXIT STATUS:
          0   success
          1   bad input (no verdict, a duplicated sample, an empty input, ...) or a failed write
          64  usage error
        """)

    @Argument(help: ArgumentHelp(
        "Verified samples, [LABEL=]PATH; '-' or none reads stdin.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: .customLong("k"), help: ArgumentHelp(
        "K values for pass@K, maj@K, coverage@K and diversity@K, comma-separated (default: 1, 2, 4, … up to the smallest sample count).",
        valueName: "list"))
    var kList: String?

    @Option(name: .customLong("by"), help: ArgumentHelp(
        "Also report per value of this field (e.g. level, meta.difficulty); repeatable or comma-separated.",
        valueName: "field"))
    var byFields: [String] = []

    @Option(name: .customLong("id"), help: ArgumentHelp(
        "Problem id field (default: the first of id, problem_id, task_id, unique_id, question, problem, prompt found in the first record).",
        valueName: "field"))
    var idField: String?

    @Option(name: .customLong("solution-field"), help: ArgumentHelp(
        "Field whose distinct correct versions diversity@K counts.", valueName: "field"))
    var solutionField = "completion"

    @Option(name: .customLong("diversity"), help: ArgumentHelp(
        "Count solutions as distinct by 'text' (whitespace folded) or by their list of arithmetic 'equations' (RFT).",
        valueName: "text|equations"))
    var diversity = "text"

    @Option(help: ArgumentHelp("Bootstrap resamples over problems for confidence intervals (0: none).",
                               valueName: "n"))
    var bootstrap = 1000

    @Option(help: ArgumentHelp("Confidence level of the bootstrap intervals.", valueName: "p"))
    var confidence = 0.95

    @Flag(help: "Print the table on stdout (the JSON then goes only to -o, if given).")
    var table = false

    @Option(help: ArgumentHelp("Write an SVG plot: metrics across inputs and pass@k curves.", valueName: "file.svg"))
    var plot: String?

    @Option(name: .customLong("plot-metrics"), help: ArgumentHelp(
        "Metrics drawn across inputs, comma-separated (default: greedy, pass@ smallest and largest K, maj@ and coverage@ largest K, fpr).",
        valueName: "list"))
    var plotMetrics: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let k = kList {
            let parts = k.split(separator: ",", omittingEmptySubsequences: false)
            if parts.isEmpty || parts.contains(where: { Int($0).map { $0 < 1 } ?? true }) {
                throw ValidationError("--k wants positive integers separated by commas, got '\(k)'")
            }
        }
        if DiversityKey(rawValue: diversity) == nil {
            throw ValidationError("--diversity is 'text' or 'equations', got '\(diversity)'")
        }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be 0 or more") }
        if !(confidence > 0 && confidence < 1) { throw ValidationError("--confidence must be between 0 and 1") }
    }

    func run() throws {
        let tool = Self.toolName
        let specs = try parseInputs(inputs)
        var load = LoadOptions()
        load.idField = idField
        load.solutionField = solutionField
        load.byFields = byFields.flatMap { $0.split(separator: ",").map(String.init) }
        load.diversity = DiversityKey(rawValue: diversity)!

        var sets: [(SampleSet, InputInfo)] = []
        for spec in specs {
            let (set, id) = try loadSamples(paths: spec.paths, options: load) {
                try openInputs($0, tool: tool, common: common)
            }
            sets.append((set, InputInfo(label: spec.label, paths: spec.paths, idField: id)))
            if common.verbose {
                note(tool, "\(spec.label): \(set.count) samples of \(set.problemCount) problems from "
                    + spec.paths.joined(separator: ", ") + "; problem id field '\(id)'")
            }
        }

        var options = EvalOptions()
        options.seed = common.seed
        options.bootstrap = bootstrap
        options.confidence = confidence
        if let k = kList {
            options.ks = Array(Set(k.split(separator: ",").map { Int($0)! })).sorted()
            options.explicitK = true
        } else {
            let smallest = sets.compactMap { $0.0.smallestSampleCount() }.min() ?? 1
            var ks = [1]
            while ks.last! * 2 <= smallest { ks.append(ks.last! * 2) }
            options.ks = ks
        }
        let results = sets.map { $0.0.evaluate(label: $0.1.label, path: $0.1.paths.joined(separator: " "),
                                                options: options) }
        let diffs = differences(results, options: options)

        if !common.quiet {
            for r in results {
                var groups = [r.all] + r.methods
                for (_, g) in r.by { groups += g }
                for g in groups {
                    for n in g.notes { warn(tool, "\(r.label): \(g.title): \(n)") }
                }
            }
        }

        let doc = report(results, info: sets.map(\.1), differences: diffs, options: options,
                         diversity: load.diversity)
        // Every output is prepared under a temporary name first and committed only when all are written.
        var pending: [() throws -> Void] = []
        if !table || common.output != nil {
            let w = try JSONLWriter(path: common.output)
            try w.write(doc)
            pending.append { try w.commit() }
        }
        if let path = plot {
            let names = plotMetrics.map { $0.split(separator: ",").map(String.init) }
            let known = Set(results[0].all.metrics.map(\.name))
            for n in names ?? [] where !known.contains(n) {
                throw ValidationError("--plot-metrics: no metric '\(n)' (K values: "
                    + options.ks.map(String.init).joined(separator: ",") + ")")
            }
            let f = try OutputFile(path: path)
            try Array(renderPlot(results, ks: options.ks, metrics: names).utf8).withUnsafeBytes { try f.write($0) }
            pending.append { try f.commit() }
        }
        for commit in pending { try commit() }
        let text = renderTable(results, differences: diffs, confidence: confidence)
        if table {
            try writeText(text, to: nil)
        } else if !common.quiet {
            fputs(text, stderr)
        }
    }
}

struct InputSpec { var label: String; var paths: [String] }

/// `[LABEL=]PATH` arguments to inputs. An argument with `=` that is not itself an existing file is LABEL=PATH.
/// Inputs sharing a label are one input. Unlabeled inputs are labelled by their path, with the leading and
/// trailing path components they all share removed (`round-1/eval.jsonl.zst round-2/eval.jsonl.zst` →
/// `round-1`, `round-2`).
func parseInputs(_ args: [String]) throws -> [InputSpec] {
    let args = args.isEmpty ? ["-"] : args
    var labelled: [(String?, String)] = []
    for a in args {
        if let eq = a.firstIndex(of: "="), access(a, F_OK) != 0 {
            let label = String(a[..<eq]), path = String(a[a.index(after: eq)...])
            if label.isEmpty || path.isEmpty { throw ValidationError("input '\(a)': want LABEL=PATH") }
            labelled.append((label, path))
        } else {
            labelled.append((nil, a))
        }
    }
    let unlabelled = labelled.filter { $0.0 == nil }.map { $0.1 }
    let short = shortLabels(unlabelled)
    var next = 0
    var specs: [InputSpec] = []
    for (label, path) in labelled {
        let name: String
        if let l = label { name = l } else { name = short[next]; next += 1 }
        if let i = specs.firstIndex(where: { $0.label == name }) {
            specs[i].paths.append(path)
        } else {
            specs.append(InputSpec(label: name, paths: [path]))
        }
    }
    return specs
}

func shortLabels(_ paths: [String]) -> [String] {
    let named = paths.map { $0 == "-" ? "stdin" : $0 }
    guard Set(named).count == named.count, named.count > 1 else { return named }
    let parts = named.map { $0.split(separator: "/", omittingEmptySubsequences: false).map(String.init) }
    var head = 0, tail = 0
    let shortest = parts.map(\.count).min()!
    while head < shortest - 1, parts.allSatisfy({ $0[head] == parts[0][head] }) { head += 1 }
    while tail < shortest - 1 - head, parts.allSatisfy({ $0[$0.count - 1 - tail] == parts[0][parts[0].count - 1 - tail] }) {
        tail += 1
    }
    let labels = parts.map { $0[head..<($0.count - tail)].joined(separator: "/") }
    return Set(labels).count == labels.count && !labels.contains("") ? labels : named
}

/// Writes text to a file atomically (or to stdout when path is nil).
func writeText(_ text: String, to path: String?) throws {
    let f = try OutputFile(path: path)
    let bytes = Array(text.utf8)
    try bytes.withUnsafeBytes { try f.write($0) }
    try f.commit()
}

EvalCommand.runTool()
