// st-train: train a Llama-family model from scratch or fine-tune one, on JSON Lines examples.
import ArgumentParser
import Foundation
import Model
import Streams
import ToolSupport
import Train

extension ScheduleKind: ExpressibleByArgument {}
extension KeepPolicy: ExpressibleByArgument {}
extension LongPolicy: ExpressibleByArgument {}
extension FIMLoss: ExpressibleByArgument {}

struct STTrain: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-train",
        abstract: "Train a Llama-family model from scratch, or fine-tune one, on JSON Lines examples.",
        discussion: """
        Reads examples from the DATA files (.jsonl or .jsonl.zst; none or - reads stdin) and writes a complete \
        model directory to -o DIR: config.json (Hugging Face LlamaForCausalLM keys), model.safetensors, \
        st-tokenizer.json, st-train.json (the run's settings and counts) and metrics.jsonl (one line per step: \
        step, loss, lr, grad_norm, tokens, epoch, tokens_per_s, and val_loss when measured). The directory is built as \
        DIR.partial and renamed to DIR on success, replacing an older DIR; on an error or an interrupt it is \
        removed, unless it holds a state saved by --save-every (then it is kept for --resume and the message \
        says so).

        Examples are {"text": ...} documents, trained on every token, or {"prompt": ..., "completion": ...} \
        pairs, trained on the completion only: prompt tokens have exactly zero weight (the M-step of ReST-EM \
        and STaR). A record with a prompt but no completion is an error. A numeric "weight" field scales an \
        example's tokens in the step's weighted mean loss (weight 0 drops it). Field names are set by \
        --text-field, --prompt-field, --completion-field and --weight-field. With the byte tokenizer every \
        example is <bos> bytes <eos>: <bos> is prepended once per example and <eos> appended (the tokenizer's \
        add_bos/add_eos). An example longer than --context + 1 tokens is truncated (or skipped with --long \
        skip); the count is reported.

        A model comes from --init DIR (fine-tuning; its tokenizer is kept), from --config FILE (a config.json), \
        or from the size flags (default: hidden 128, 4 layers, 4 heads, intermediate 4 × hidden, the byte \
        vocabulary of 272), initialised from --seed.

        Objectives (--objective, one or a per-example mixture such as causal:0.5,fim:0.5): causal; prefix-lm \
        (the prompt, or a random cut of a document, is attended bidirectionally and not trained on); fim \
        (CodeGen2 infilling: spans are cut out and trained as prefix <mask_1> suffix <eos> <sep> <mask_1> \
        middle <eom>; --fim-spans, --fim-rate, --fim-max-span, --fim-loss).

        Rows of --context tokens are packed with whole examples (first fit over the next --pack-window \
        examples), with attention blocked between examples and positions restarting at 0 for each; --padding \
        puts one example per row. A step is --grad-accum micro-batches of --batch rows (or --batch-tokens / \
        --context rows). The run lasts --steps \
        optimizer steps (cycling through the data) or --epochs passes (default: 1 epoch); the learning rate \
        warms up linearly for --warmup steps, then follows --schedule (cosine or linear to --min-lr, default \
        lr/10, reached at the last step, or constant).

        --val FILE measures the held-out loss (causal, or --val-objective; completion only for pairs) every \
        --val-every steps \
        (default: a tenth of the run) and at the end; --keep best makes the output the weights with the lowest \
        validation loss. --checkpoints K writes K evenly spaced model directories to DIR/checkpoints/step-N.

        --save-every N saves the weights, AdamW moments and data position every N steps into DIR.partial; after \
        a crash or kill -9, the same command with --resume continues and ends with weights bitwise identical \
        to an uninterrupted run. Every random choice comes from --seed, and the result is bitwise the same for \
        any --threads. A NaN or infinite loss stops the run before the weights are touched, names the step, \
        and keeps the last good state for --resume.

        EXAMPLES:
          # Pre-train a small model from scratch on a text corpus, 2 epochs
          st-train corpus-text.jsonl.zst --hidden 128 --layers 4 --heads 4 --context 256 --epochs 2 --lr 3e-3 --warmup 50 -o base
          # ReST-EM M-step: fine-tune the base model on verified pairs, loss on completions only
          st-train kept.jsonl.zst --init base --steps 300 --lr 5e-4 --val val.jsonl.zst --keep best -o round-1/model
          # Causal and infilling objectives mixed per document
          st-train corpus-code.jsonl.zst --config config.json --objective causal:0.5,fim:0.5 --steps 1000 -o code
          # A cooldown: continue from a checkpoint on a new mixture, learning rate annealed linearly to 1e-6
          st-train cooldown-mix.jsonl.zst --init base --schedule linear --lr 1e-3 --min-lr 1e-6 --steps 200 -o cooled
          # Resumable: save every 50 steps, and after an interruption run the same command with --resume
          st-train data.jsonl.zst --init base --steps 2000 --save-every 50 --resume -o model

        EXIT STATUS:
          0   success
          1   bad input or a failed run (empty data, an example with no completion, a config that does not match --init, a NaN loss, a full disk): one line on stderr, no model directory written
          64  usage error: an unknown option or a bad option value
          130 interrupted (SIGINT; 143 for SIGTERM)
        """)

    @Argument(help: ArgumentHelp("Training examples (.jsonl or .jsonl.zst; - or none: stdin).", valueName: "data"))
    var data: [String] = []

    // model
    @Option(name: .customLong("init"), help: ArgumentHelp("Fine-tune this model directory.", valueName: "dir"))
    var initDir: String?
    @Option(help: ArgumentHelp("Train from scratch with this config.json (must match --init's when both are given).", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("From scratch: hidden size (default 128).", valueName: "n")) var hidden: Int?
    @Option(help: ArgumentHelp("From scratch: decoder layers (default 4).", valueName: "n")) var layers: Int?
    @Option(help: ArgumentHelp("From scratch: attention heads (default 4).", valueName: "n")) var heads: Int?
    @Option(name: .customLong("kv-heads"), help: ArgumentHelp("From scratch: key-value heads (default: --heads).", valueName: "n")) var kvHeads: Int?
    @Option(help: ArgumentHelp("From scratch: MLP intermediate size (default 4 × hidden).", valueName: "n")) var intermediate: Int?
    @Option(help: ArgumentHelp("From scratch: vocabulary size (default: the byte tokenizer's 272).", valueName: "n")) var vocab: Int?
    @Option(name: .customLong("max-positions"), help: ArgumentHelp("From scratch: max_position_embeddings (default 2048).", valueName: "n")) var maxPositions: Int?
    @Option(name: .customLong("rope-theta"), help: ArgumentHelp("From scratch: RoPE theta (default 10000).", valueName: "x")) var ropeTheta: Double?
    @Flag(help: "From scratch: a separate lm_head instead of tied embeddings.") var untied = false

    // data
    @Option(name: .customLong("text-field"), help: ArgumentHelp("Field of a document's text.", valueName: "name")) var textField = "text"
    @Option(name: .customLong("prompt-field"), help: ArgumentHelp("Field of a pair's prompt.", valueName: "name")) var promptField = "prompt"
    @Option(name: .customLong("completion-field"), help: ArgumentHelp("Field of a pair's completion.", valueName: "name")) var completionField = "completion"
    @Option(name: .customLong("weight-field"), help: ArgumentHelp("Field of an example's loss weight.", valueName: "name")) var weightField = "weight"
    @Option(help: ArgumentHelp("Examples longer than the context: truncate or skip.", valueName: "policy")) var long = LongPolicy.truncate
    @Flag(name: .customLong("skip-bad"), help: "Warn about and skip bad lines (not a JSON object, or not a usable example) instead of stopping.") var skipBad = false

    // objectives and batching
    @Option(help: ArgumentHelp("Objective or per-example mixture: causal, prefix-lm, fim, e.g. causal:0.5,fim:0.5.", valueName: "mix")) var objective = "causal"
    @Option(name: .customLong("fim-spans"), help: ArgumentHelp("FIM: spans cut out per example.", valueName: "k")) var fimSpans = 1
    @Option(name: .customLong("fim-rate"), help: ArgumentHelp("FIM: share of the body's bytes in the spans (0: span ends drawn uniformly).", valueName: "x")) var fimRate = 0.0
    @Option(name: .customLong("fim-max-span"), help: ArgumentHelp("FIM: longest span in bytes (0: no limit).", valueName: "n")) var fimMaxSpan = 0
    @Option(name: .customLong("fim-loss"), help: ArgumentHelp("FIM: train on all tokens or only on the middles and <eom>.", valueName: "all|middle")) var fimLoss = FIMLoss.all
    @Flag(help: "One example per row, padded, instead of packing.") var padding = false
    @Option(name: .customLong("pack-window"), help: ArgumentHelp("Packing looks this many examples ahead for one that fits.", valueName: "n")) var packWindow = 64
    @Flag(name: .customLong("no-shuffle"), help: "Keep the file order in every epoch.") var noShuffle = false
    @Option(help: ArgumentHelp("Rows (sequences) per micro-batch.", valueName: "n")) var batch = 8
    @Option(name: .customLong("batch-tokens"), help: ArgumentHelp("Rows per micro-batch given in tokens (rounded down to whole rows; replaces --batch).", valueName: "n")) var batchTokens: Int?
    @Option(help: ArgumentHelp("Tokens per row.", valueName: "n")) var context = 256
    @Option(name: .customLong("grad-accum"), help: ArgumentHelp("Micro-batches per optimizer step.", valueName: "n")) var gradAccum = 1

    // schedule
    @Option(help: ArgumentHelp("Optimizer steps (the data is cycled as needed).", valueName: "n")) var steps: Int?
    @Option(help: ArgumentHelp("Passes over the data (default 1 when --steps is not given).", valueName: "n")) var epochs: Int?
    @Option(help: ArgumentHelp("Peak learning rate.", valueName: "x")) var lr = 1e-3
    @Option(name: .customLong("min-lr"), help: ArgumentHelp("Final learning rate of cosine and linear (default lr/10).", valueName: "x")) var minLR: Double?
    @Option(help: ArgumentHelp("Linear warmup steps.", valueName: "n")) var warmup = 0
    @Option(help: ArgumentHelp("After warmup: cosine, linear (anneal to --min-lr) or constant.", valueName: "kind")) var schedule = ScheduleKind.cosine
    @Option(name: .customLong("weight-decay"), help: ArgumentHelp("AdamW decoupled weight decay (not on norms or embeddings).", valueName: "x")) var weightDecay = 0.1
    @Option(help: ArgumentHelp("Clip the gradient to this global norm (0: no clipping).", valueName: "x")) var clip = 1.0
    @Option(help: ArgumentHelp("AdamW beta1.", valueName: "x")) var beta1 = 0.9
    @Option(help: ArgumentHelp("AdamW beta2.", valueName: "x")) var beta2 = 0.95

    // validation and checkpoints
    @Option(help: ArgumentHelp("Held-out examples for the validation loss (repeatable).", valueName: "file")) var val: [String] = []
    @Option(name: .customLong("val-objective"), help: ArgumentHelp("Objective(s) of the validation loss, as --objective.", valueName: "mix")) var valObjective = "causal"
    @Option(name: .customLong("val-every"), help: ArgumentHelp("Validation every N steps (default: a tenth of the run).", valueName: "n")) var valEvery: Int?
    @Option(help: ArgumentHelp("Output weights: last, or best (lowest validation loss; needs --val).", valueName: "which")) var keep = KeepPolicy.last
    @Option(help: ArgumentHelp("Write K evenly spaced checkpoints to DIR/checkpoints/step-N.", valueName: "k")) var checkpoints = 0
    @Option(name: .customLong("save-every"), help: ArgumentHelp("Save a resumable state every N steps (0: never).", valueName: "n")) var saveEvery = 0
    @Flag(help: "Continue the interrupted run in DIR.partial when there is one (else start).") var resume = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        func pos(_ v: Int?, _ name: String) throws { if let v, v < 1 { throw ValidationError("\(name) must be at least 1") } }
        try pos(batch, "--batch"); try pos(context, "--context"); try pos(gradAccum, "--grad-accum")
        try pos(steps, "--steps"); try pos(epochs, "--epochs"); try pos(valEvery, "--val-every"); try pos(packWindow, "--pack-window")
        try pos(fimSpans, "--fim-spans")
        if let bt = batchTokens, bt < context { throw ValidationError("--batch-tokens \(bt) is less than one row of --context \(context)") }
        for (v, n) in [(hidden, "--hidden"), (layers, "--layers"), (heads, "--heads"), (kvHeads, "--kv-heads"),
                       (intermediate, "--intermediate"), (vocab, "--vocab"), (maxPositions, "--max-positions")] { try pos(v, n) }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number") }
        if let m = minLR, !(m >= 0 && m.isFinite) { throw ValidationError("--min-lr must be a number ≥ 0") }
        if warmup < 0 || saveEvery < 0 || checkpoints < 0 || fimMaxSpan < 0 { throw ValidationError("--warmup, --save-every, --checkpoints and --fim-max-span must be ≥ 0") }
        if !(fimRate >= 0 && fimRate < 1) { throw ValidationError("--fim-rate must be in [0, 1)") }
        if !(weightDecay >= 0) || !(clip >= 0) { throw ValidationError("--weight-decay and --clip must be ≥ 0") }
        if !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) { throw ValidationError("--beta1 and --beta2 must be in [0, 1)") }
        if common.output == nil || common.output == "-" { throw ValidationError("give the model directory to write with -o DIR") }
        if data.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin ('-') can be given only once") }
    }

    func modelConfig() throws -> LlamaConfig? {
        let sizeFlags: [(String, Bool)] = [("--hidden", hidden != nil), ("--layers", layers != nil), ("--heads", heads != nil),
            ("--kv-heads", kvHeads != nil), ("--intermediate", intermediate != nil), ("--vocab", vocab != nil),
            ("--max-positions", maxPositions != nil), ("--rope-theta", ropeTheta != nil), ("--untied", untied)]
        let given = sizeFlags.filter { $0.1 }.map { $0.0 }
        if let path = config {
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")) cannot be combined with --config") }
            guard let d = FileManager.default.contents(atPath: path) else { throw ToolError("\(path): cannot read") }
            do { return try LlamaConfig.parse(d, file: path) } catch let e as ModelError { throw ToolError(e.description) }
        }
        if initDir != nil {
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")) cannot be combined with --init") }
            return nil
        }
        let h = hidden ?? 128
        let c = LlamaConfig(vocabSize: vocab ?? ByteTokenizer.standard.vocabSize, hiddenSize: h,
                            intermediateSize: intermediate ?? 4 * h, numLayers: layers ?? 4, numHeads: heads ?? 4,
                            numKVHeads: kvHeads, maxPositions: maxPositions ?? max(2048, context),
                            ropeTheta: ropeTheta ?? 10000, rmsNormEps: 1e-5, tieWordEmbeddings: !untied)
        if (h % (heads ?? 4)) != 0 { throw ValidationError("--hidden \(h) must be a multiple of --heads \(heads ?? 4)") }
        do { try c.validate() } catch let e as ModelError { throw ValidationError(e.description.replacingOccurrences(of: "config.json: ", with: "")) }
        return c
    }

    func run() throws {
        var o = TrainOptions()
        o.data = data; o.val = val
        var out = common.output!
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        o.output = out
        o.initDir = initDir
        o.config = try modelConfig()
        o.fields.text = textField; o.fields.prompt = promptField; o.fields.completion = completionField; o.fields.weight = weightField
        o.long = long
        do { o.objective = try ObjectiveMix.parse(objective) } catch let e as ToolInputError { throw ValidationError(e.description) }
        do { o.valObjective = try ObjectiveMix.parse(valObjective) } catch let e as ToolInputError {
            throw ValidationError(e.description.replacingOccurrences(of: "--objective", with: "--val-objective"))
        }
        o.fim.spans = fimSpans; o.fim.rate = fimRate; o.fim.maxSpan = fimMaxSpan; o.fim.loss = fimLoss
        o.pack = !padding; o.packWindow = packWindow; o.shuffle = !noShuffle
        o.batch = batchTokens.map { $0 / context } ?? batch; o.context = context; o.accum = gradAccum
        o.steps = steps; o.epochs = epochs
        o.lr = lr; o.minLR = minLR; o.warmup = warmup; o.schedule = schedule
        o.weightDecay = weightDecay; o.clip = clip; o.beta1 = beta1; o.beta2 = beta2
        o.valEvery = valEvery; o.keep = keep; o.checkpoints = checkpoints; o.saveEvery = saveEvery; o.resume = resume
        o.seed = common.seed; o.threads = common.threadCount
        o.quiet = common.quiet; o.verbose = common.verbose; o.progress = common.showProgress
        o.skipBad = skipBad
        if keep == .best && val.isEmpty { throw ValidationError("--keep best needs --val") }

        installStopHandlers()
        let tool = Self.toolName, quiet = common.quiet
        let runner = TrainRun(options: o, say: { note(tool, $0) }, warn: { if !quiet { ToolSupport.warn(tool, $0) } })
        let s: TrainSummary
        do { s = try runner.run() } catch let e as Interrupted {
            fputs("\(tool): \(e.description)\n", stderr)
            throw ExitCode(128 + stopRequested)
        } catch let e as ModelError {
            throw ToolError(e.description)
        }
        if !quiet {
            var line = "\(s.steps) steps"
            if let r = s.resumedFrom { line += " (resumed at \(r))" }
            line += String(format: ", %.2f epochs of %d examples, %d tokens in %.1f s (%.0f tokens/s)",
                           s.epochsSeen, s.load.examples, s.tokens, s.trainSeconds,
                           Double(s.tokens) / max(s.trainSeconds, 1e-9))
            line += "; loss \(fmtLoss(s.firstLoss)) -> \(fmtLoss(s.lastLoss))"
            if let v = s.valLoss { line += ", val \(fmtLoss(v))" }
            if let b = s.bestValLoss, let st = s.bestStep { line += " (best \(fmtLoss(b)) at step \(st)\(keep == .best ? ", kept" : ""))" }
            line += "; wrote \(out)"
            note(tool, line)
        }
    }

    func fmtLoss(_ x: Double) -> String { String(format: "%.4f", x) }
}

STTrain.runTool()
