// st-eval: metrics of verified samples (pass@k, maj@k, coverage, diversity, fpr, compute) as JSON, a table and
// an SVG plot. Argument parsing here; everything else in the Eval library.
import ArgumentParser
import Eval
import Streams
import ToolSupport
import Train
#if canImport(Glibc)
import Glibc
#endif

extension PlotYRange: ExpressibleByArgument {}

struct EvalCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-eval",
        abstract: "Measure verified samples (pass@k, maj@k, coverage, diversity, fpr, compute; compare runs), or a model's loss.",
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

        --plot FILE.svg writes a results figure: the --plot-metrics across inputs and the pass@k curves, each \
        point with its bootstrap interval as an error bar, titles naming the metrics, and the y axis fitted to \
        the values and interval ends (--plot-y full: 0-100 %).

        With --loss DATA --model DIR, st-eval instead measures the model's mean token loss (nats per scored \
        token) and perplexity on DATA, with st-train's rules: a {"text"} document is scored on every token \
        after <bos> and on <eos>, a {"prompt","completion"} pair on its completion and <eos> only (the prompt \
        is context), a {"messages"} conversation (or a pair with --chat) through the model's chat template on its \
        assistant turns only, each token weighted by its example's weight; the model's own tokenizer (st's byte \
        tokenizer, tokenizer.json or the GGUF's); --context, --long and the field flags as in st-train. It is computed by st-train's own validation code, so with the same --context and --batch it \
        equals st-train's val_loss for that data. One dataset (--loss is repeatable: the files are read as one) \
        and one model per call; the result is the same for any --threads.

        EXAMPLES:
          # pass@1,4,16, maj@16, coverage and diversity of one run, per method and per difficulty
          st-eval verified.jsonl.zst --k 1,4,16 --by level
          # compare rounds and plot them
          st-eval round-*/eval-verified.jsonl.zst --plot rounds.svg -o rounds.json
          # greedy accuracy of the rounds on a 0-100 % axis
          st-eval r0=r0/v.jsonl.zst r1=r1/v.jsonl.zst --plot greedy.svg --plot-metrics greedy --plot-y full -q
          # a weak-cheap model against a strong-expensive one, as a table on stdout
          st-eval weak=wc.jsonl.zst strong=se.jsonl.zst --table
          # one number for a script
          st-eval verified.jsonl.zst -q | jq '.inputs[0].all["pass@1"]'
          # mean loss and perplexity of a model on held-out pairs (completion tokens only)
          st-eval --loss val.jsonl.zst --model round-1/model -o loss.json
          # the same measurement as st-train --val with --context 512 --batch 4
          st-eval --loss val.jsonl.zst --model round-1/model --context 512 --batch 4 -q | jq .loss

        EXIT STATUS:
          0   success
          1   bad input (no verdict, a duplicated sample, an empty input, a prompt without a completion, a missing or incompatible --model, ...) or a failed write
          64  usage error (an unknown option, --k 0, --loss without --model, ...)
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

    @Option(name: .customLong(ProblemID.option), help: ArgumentHelp(
        "Problem id field (default: the first of \(ProblemID.candidates.joined(separator: ", ")) found in the first record).",
        valueName: "field"))
    var idFieldOption: String?
    /// The option's earlier spelling, still accepted.
    @Option(name: .customLong("id"), help: .hidden) var idFieldAlias: String?
    var idField: String? { idFieldOption ?? idFieldAlias }

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

    @Option(help: ArgumentHelp(
        "Write an SVG plot: metrics across inputs and pass@k curves, with bootstrap intervals as error bars.",
        valueName: "file.svg"))
    var plot: String?

    @Option(name: .customLong("plot-metrics"), help: ArgumentHelp(
        "Metrics drawn across inputs, comma-separated (default: greedy, pass@ smallest and largest K, maj@ and coverage@ largest K, fpr).",
        valueName: "list"))
    var plotMetrics: String?

    @Option(name: .customLong("plot-y"), help: ArgumentHelp(
        "Plot y axis: 'fit' the values and interval ends on 1-2-5 ticks (default), or 'full' 0-100 %.",
        valueName: "fit|full"))
    var plotY: PlotYRange?

    // --loss
    @Option(name: .customLong("loss"), help: ArgumentHelp(
        "Measure the loss of --model on these examples instead of reading samples (repeatable: one dataset; '-' is stdin).",
        valueName: "data"))
    var lossData: [String] = []

    @Option(help: ArgumentHelp("--loss: the model directory (config.json, model.safetensors, its tokenizer).",
                               valueName: "dir"))
    var model: String?

    @Option(help: ArgumentHelp("--loss: a PEFT LoRA adapter of --model (st-train --lora's output), merged in.", valueName: "dir"))
    var adapter: String?

    @Option(help: ArgumentHelp("--loss: tokens per row, as st-train's --context (default 256).", valueName: "n"))
    var context: Int?

    @Option(help: ArgumentHelp("--loss: rows per forward pass, as st-train's --batch (default 8).", valueName: "n"))
    var batch: Int?

    @Option(help: ArgumentHelp("--loss: examples longer than the context: truncate (default) or skip.", valueName: "policy"))
    var long: LongPolicy?

    @Option(name: .customLong("text-field"), help: ArgumentHelp("--loss: field of a document's text (default text).", valueName: "name"))
    var textField: String?
    @Option(name: .customLong("prompt-field"), help: ArgumentHelp("--loss: field of a pair's prompt (default prompt).", valueName: "name"))
    var promptField: String?
    @Option(name: .customLong("completion-field"), help: ArgumentHelp("--loss: field of a pair's completion (default completion).", valueName: "name"))
    var completionField: String?
    @Option(name: .customLong("weight-field"), help: ArgumentHelp("--loss: field of an example's loss weight (default weight).", valueName: "name"))
    var weightField: String?
    @Flag(help: "--loss: pairs as conversations through the model's chat template (as st-train --chat).")
    var chat = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if lossData.isEmpty {
            let lossOnly: [(String, Bool)] = [("--model", model != nil), ("--adapter", adapter != nil), ("--context", context != nil), ("--batch", batch != nil),
                ("--long", long != nil), ("--text-field", textField != nil), ("--prompt-field", promptField != nil),
                ("--completion-field", completionField != nil), ("--weight-field", weightField != nil), ("--chat", chat)]
            if let (name, _) = lossOnly.first(where: { $0.1 }) { throw ValidationError("\(name) goes with --loss DATA") }
        } else {
            if model == nil { throw ValidationError("--loss needs --model DIR") }
            if !inputs.isEmpty {
                throw ValidationError("--loss measures a model; give its data with --loss (repeatable), not as input '\(inputs[0])'")
            }
            let sampleOnly: [(String, Bool)] = [("--k", kList != nil), ("--by", !byFields.isEmpty), ("--\(ProblemID.option)", idField != nil),
                ("--plot", plot != nil), ("--plot-metrics", plotMetrics != nil), ("--plot-y", plotY != nil)]
            if let (name, _) = sampleOnly.first(where: { $0.1 }) { throw ValidationError("\(name) cannot be combined with --loss") }
            if let c = context, c < 1 { throw ValidationError("--context must be at least 1") }
            if let b = batch, b < 1 { throw ValidationError("--batch must be at least 1") }
            if lossData.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin ('-') can be given only once") }
        }
        if plot == nil, lossData.isEmpty {
            if plotMetrics != nil { throw ValidationError("--plot-metrics goes with --plot FILE") }
            if plotY != nil { throw ValidationError("--plot-y goes with --plot FILE") }
        }
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
        if !lossData.isEmpty { return try runLoss() }
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
                try openInputs($0, tool: tool, common: common, emptyIsError: true)
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
            if let n = names, let conflict = plotMetricsConflict(n) { throw ValidationError(conflict) }
            var plotOptions = PlotOptions()
            plotOptions.metrics = names
            plotOptions.yRange = plotY ?? .fit
            plotOptions.confidence = confidence
            let f = try OutputFile(path: path)
            try Array(renderPlot(results, ks: options.ks, options: plotOptions).utf8).withUnsafeBytes { try f.write($0) }
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

extension EvalCommand {
    func runLoss() throws {
        let tool = Self.toolName
        var o = LossOptions()
        o.context = context ?? 256
        o.batch = batch ?? 8
        o.long = long ?? .truncate
        o.threads = common.threadCount
        if let f = textField { o.fields.text = f }
        if let f = promptField { o.fields.prompt = f }
        if let f = completionField { o.fields.completion = f }
        if let f = weightField { o.fields.weight = f }
        o.chat = chat
        o.adapter = adapter
        let dir = model!
        let reader = try openInputs(lossData, tool: tool, common: common, emptyIsError: true)
        let names = lossData.map { $0 == "-" ? "<stdin>" : $0 }.joined(separator: ", ")
        let quiet = common.quiet
        let r = try measureLoss(modelDirectory: dir, reader: reader, names: names, options: o,
                                warn: { if !quiet { warn(tool, $0) } })
        if common.verbose {
            note(tool, "\(dir): \(r.report.examples) examples (\(r.report.documents) documents, \(r.report.pairs) pairs, \(r.report.conversations) conversations), "
                + "\(r.tokens) scored tokens, context \(o.context), batch \(o.batch)")
        }
        if !table || common.output != nil {
            let w = try JSONLWriter(path: common.output)
            try w.write(lossReport(r, model: dir, data: lossData, options: o))
            try w.commit()
        }
        let text = renderLossTable(r, model: dir, data: names)
        if table {
            try writeText(text, to: nil)
        } else if !quiet {
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
func writeText(_ text: String, to path: String?) throws { try writeFileAtomically(path ?? "-", text) }

EvalCommand.runTool()
