// st-train's options: parsed by ArgumentParser straight into the struct the run reads (st-train holds it as an
// @OptionGroup), so a flag is declared once, with its help text, next to the rules that check it.
import ArgumentParser
import Foundation
import Model
import ToolSupport

public enum ScheduleKind: String, CaseIterable, Sendable, ExpressibleByArgument { case cosine, linear, constant }
public enum KeepPolicy: String, CaseIterable, Sendable, ExpressibleByArgument { case last, best }
extension LongPolicy: ExpressibleByArgument {}
extension FIMLoss: ExpressibleByArgument {}

public struct TrainOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Training examples (.jsonl or .jsonl.zst; - or none: stdin).", valueName: "data"))
    public var data: [String] = []

    // model
    @Option(name: .customLong("init"), help: ArgumentHelp("Fine-tune this model directory or .gguf file.", valueName: "dir|file.gguf"))
    public var initDir: String?
    @Option(help: ArgumentHelp("Train from scratch with this config.json (must match --init's when both are given).", valueName: "file"))
    public var config: String?
    @Option(help: ArgumentHelp("From scratch: hidden size (default 128).", valueName: "n")) public var hidden: Int?
    @Option(help: ArgumentHelp("From scratch: decoder layers (default 4).", valueName: "n")) public var layers: Int?
    @Option(help: ArgumentHelp("From scratch: attention heads (default 4).", valueName: "n")) public var heads: Int?
    @Option(name: .customLong("kv-heads"), help: ArgumentHelp("From scratch: key-value heads (default: --heads).", valueName: "n")) public var kvHeads: Int?
    @Option(help: ArgumentHelp("From scratch: MLP intermediate size (default 4 × hidden).", valueName: "n")) public var intermediate: Int?
    @Option(help: ArgumentHelp("From scratch: vocabulary size (default: the tokenizer's, 272 for st's byte tokenizer).", valueName: "n")) public var vocab: Int?
    @Option(help: ArgumentHelp("The tokenizer (default: --init's, else st's byte tokenizer): a model or tokenizer directory, tokenizer.json, st-tokenizer.json or a .gguf file.", valueName: "file|dir")) public var tokenizer: String?
    @Option(name: .customLong("max-positions"), help: ArgumentHelp("From scratch: max_position_embeddings (default 2048).", valueName: "n")) public var maxPositions: Int?
    @Option(name: .customLong("rope-theta"), help: ArgumentHelp("From scratch: RoPE theta (default 10000).", valueName: "x")) public var ropeTheta: Double?
    @Flag(help: "From scratch: a separate lm_head instead of tied embeddings.") public var untied = false

    // LoRA
    @Option(help: ArgumentHelp("Train LoRA adapters of rank R on --init's projections instead of its weights (frozen); -o DIR gets a PEFT adapter.", valueName: "R"))
    public var lora: Int?
    @Option(name: .customLong("lora-alpha"), help: ArgumentHelp("LoRA: the update is scaled by alpha / R (default 2 × R).", valueName: "x"))
    public var loraAlpha: Double?
    @Option(name: .customLong("lora-dropout"), help: ArgumentHelp("LoRA: dropout on the adapters' input (default 0, PEFT's).", valueName: "p"))
    public var loraDropout: Double?
    @Option(name: .customLong("lora-targets"), help: ArgumentHelp("LoRA: projections with adapters, from q,k,v,o,gate,up,down (default all seven).", valueName: "list"))
    public var loraTargets: String?
    @Option(help: ArgumentHelp("A PEFT LoRA adapter of --init: with --lora its training continues; without, it is merged in and every weight trains.", valueName: "dir"))
    public var adapter: String?
    @Flag(help: "Write --init with --adapter merged in as a full model directory to -o DIR, and stop (no data, no training).")
    public var merge = false

    // data
    @Option(name: .customLong("text-field"), help: ArgumentHelp("Field of a document's text.", valueName: "name")) public var textField = "text"
    @Option(name: .customLong("prompt-field"), help: ArgumentHelp("Field of a pair's prompt.", valueName: "name")) public var promptField = "prompt"
    @Option(name: .customLong("completion-field"), help: ArgumentHelp("Field of a pair's completion.", valueName: "name")) public var completionField = "completion"
    @Option(name: .customLong("weight-field"), help: ArgumentHelp("Field of an example's loss weight.", valueName: "name")) public var weightField = "weight"
    @Option(help: ArgumentHelp("Examples longer than the context: truncate or skip.", valueName: "policy")) public var long = LongPolicy.truncate
    @Flag(help: "Train prompt/completion pairs as conversations (user, assistant) through the model's chat template, loss on the assistant turn.") public var chat = false
    @Flag(name: .customLong("skip-bad"), help: "Warn about and skip bad lines (not a JSON object, or not a usable example) instead of stopping.") public var skipBad = false

    // objectives and batching
    @Option(help: ArgumentHelp("Objective or per-example mixture: causal, prefix-lm, fim, e.g. causal:0.5,fim:0.5.", valueName: "mix")) public var objective = "causal"
    @Option(name: .customLong("fim-spans"), help: ArgumentHelp("FIM: spans cut out per example.", valueName: "k")) public var fimSpans = 1
    @Option(name: .customLong("fim-rate"), help: ArgumentHelp("FIM: share of the body's bytes in the spans (0: span ends drawn uniformly).", valueName: "x")) public var fimRate = 0.0
    @Option(name: .customLong("fim-max-span"), help: ArgumentHelp("FIM: longest span in bytes (0: no limit).", valueName: "n")) public var fimMaxSpan = 0
    @Option(name: .customLong("fim-loss"), help: ArgumentHelp("FIM: train on all tokens or only on the middles and <eom>.", valueName: "all|middle")) public var fimLoss = FIMLoss.all
    @Flag(help: "One example per row, padded, instead of packing.") public var padding = false
    @Option(name: .customLong("pack-window"), help: ArgumentHelp("Packing looks this many examples ahead for one that fits.", valueName: "n")) public var packWindow = 64
    @Flag(name: .customLong("no-shuffle"), help: "Keep the file order in every epoch.") public var noShuffle = false
    @Option(help: ArgumentHelp("Rows (sequences) per micro-batch.", valueName: "n")) public var batch = 8
    @Option(name: .customLong("batch-tokens"), help: ArgumentHelp("Rows per micro-batch given in tokens (rounded down to whole rows; replaces --batch).", valueName: "n")) public var batchTokens: Int?
    @Option(help: ArgumentHelp("Tokens per row.", valueName: "n")) public var context = 256
    @Option(name: .customLong("grad-accum"), help: ArgumentHelp("Micro-batches per optimizer step.", valueName: "n")) public var gradAccum = 1

    // schedule
    @Option(help: ArgumentHelp("Optimizer steps (the data is cycled as needed).", valueName: "n")) public var steps: Int?
    @Option(help: ArgumentHelp("Passes over the data (default 1 when --steps is not given).", valueName: "n")) public var epochs: Int?
    @Option(help: ArgumentHelp("Peak learning rate.", valueName: "x")) public var lr = 1e-3
    @Option(name: .customLong("min-lr"), help: ArgumentHelp("Final learning rate of cosine and linear (default lr/10).", valueName: "x")) public var minLR: Double?
    @Option(help: ArgumentHelp("Linear warmup steps.", valueName: "n")) public var warmup = 0
    @Option(help: ArgumentHelp("After warmup: cosine, linear (anneal to --min-lr) or constant.", valueName: "kind")) public var schedule = ScheduleKind.cosine
    @Option(name: .customLong("weight-decay"), help: ArgumentHelp("AdamW decoupled weight decay (not on norms or embeddings).", valueName: "x")) public var weightDecay = 0.1
    @Option(help: ArgumentHelp("Clip the gradient to this global norm (0: no clipping).", valueName: "x")) public var clip = 1.0
    @Option(help: ArgumentHelp("AdamW beta1.", valueName: "x")) public var beta1 = 0.9
    @Option(help: ArgumentHelp("AdamW beta2.", valueName: "x")) public var beta2 = 0.95

    // validation and checkpoints
    @Option(help: ArgumentHelp("Held-out examples for the validation loss (repeatable).", valueName: "file")) public var val: [String] = []
    @Option(name: .customLong("val-objective"), help: ArgumentHelp("Objective(s) of the validation loss, as --objective.", valueName: "mix")) public var valObjective = "causal"
    @Option(name: .customLong("val-every"), help: ArgumentHelp("Validation every N steps (default: a tenth of the run).", valueName: "n")) public var valEvery: Int?
    @Option(help: ArgumentHelp("Output weights: last, or best (lowest validation loss; needs --val).", valueName: "which")) public var keep = KeepPolicy.last
    @Option(help: ArgumentHelp("Write K evenly spaced checkpoints to DIR/checkpoints/step-N.", valueName: "k")) public var checkpoints = 0
    @Option(name: .customLong("save-every"), help: ArgumentHelp("Save a resumable state every N steps (0: never).", valueName: "n")) public var saveEvery = 0
    @Flag(help: "Continue the interrupted run in DIR.partial when there is one (else start).") public var resume = false

    @OptionGroup public var common: CommonOptions

    public init() {}

    public func validate() throws {
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
        if lora == nil {
            let loraOnly = [("--lora-alpha", loraAlpha != nil), ("--lora-dropout", loraDropout != nil), ("--lora-targets", loraTargets != nil)]
            if let (name, _) = loraOnly.first(where: { $0.1 }) { throw ValidationError("\(name) goes with --lora R") }
        }
        if (lora != nil || adapter != nil || merge) && initDir == nil {
            throw ValidationError("\(lora != nil ? "--lora" : adapter != nil ? "--adapter" : "--merge") needs the base model: --init DIR|FILE.gguf")
        }
        if merge {
            if adapter == nil { throw ValidationError("--merge needs --adapter DIR") }
            if lora != nil { throw ValidationError("--merge cannot be combined with --lora") }
            if !data.isEmpty { throw ValidationError("--merge reads no training data") }
        }
    }

    /// The LoRA settings of the flags (nil without --lora). Bad values are one-line input errors (exit 1).
    public func loraConfig() throws -> LoRAConfig? {
        guard let r = lora else { return nil }
        guard r > 0 else { throw ToolInputError("--lora \(r): the rank must be at least 1") }
        if let a = loraAlpha, !(a > 0 && a.isFinite) { throw ToolInputError("--lora-alpha must be a positive number") }
        if let p = loraDropout, !(p >= 0 && p < 1) { throw ToolInputError("--lora-dropout must be in [0, 1)") }
        var targets = LoRATarget.allCases
        if let t = loraTargets {
            do { targets = try LoRAConfig.parseTargets(t) } catch let e as ModelError { throw ToolInputError("--lora-targets: \(e.description)") }
        }
        return LoRAConfig(rank: r, alpha: loraAlpha, dropout: loraDropout ?? 0, targets: targets, base: initDir)
    }

    // MARK: what the run reads, derived from the flags

    /// The model directory to write (-o DIR, trailing slashes dropped).
    public var output: String {
        var out = common.output ?? ""
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        return out
    }
    public var fields: FieldNames {
        var f = FieldNames()
        f.text = textField; f.prompt = promptField; f.completion = completionField; f.weight = weightField
        return f
    }
    public var fim: FIMOptions {
        var f = FIMOptions()
        f.spans = fimSpans; f.rate = fimRate; f.maxSpan = fimMaxSpan; f.loss = fimLoss
        return f
    }
    public var pack: Bool { !padding }
    public var shuffle: Bool { !noShuffle }
    /// Rows per micro-batch: --batch, or --batch-tokens in whole rows of --context.
    public var rows: Int { batchTokens.map { $0 / context } ?? batch }
    public var seed: UInt64 { common.seed }
    public var quiet: Bool { common.quiet }

    /// The model config when training from scratch: --config FILE or the size flags; nil with --init alone.
    /// Checked here, not in validate(), because it reads a file.
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

    /// --objective and --val-objective as mixtures (usage errors name the flag).
    func objectives() throws -> (train: ObjectiveMix, val: ObjectiveMix) {
        let train: ObjectiveMix, val: ObjectiveMix
        do { train = try ObjectiveMix.parse(objective) } catch let e as ToolInputError { throw ValidationError(e.description) }
        do { val = try ObjectiveMix.parse(valObjective) } catch let e as ToolInputError {
            throw ValidationError(e.description.replacingOccurrences(of: "--objective", with: "--val-objective"))
        }
        return (train, val)
    }
}
