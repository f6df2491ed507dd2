// A whole st-train run: load data, build or load the model, train with a schedule, validate, checkpoint, and
// write the model directory atomically.
//
// TrainRun.run is the outline: prepare (model, data, packing, schedule: a TrainPlan), open the working directory
// OUT.partial or resume in it (TrainWorkdir, Workdir.swift), the training loop, then the model directory, which
// replaces OUT on success.
import ArgumentParser
import Foundation
import Model
import Streams
import Tensor

public struct TrainSummary {
    public var steps = 0, examples = 0, tokens = 0, lossTokens = 0
    public var firstLoss = Double.nan, lastLoss = Double.nan
    public var valLoss: Double?, bestValLoss: Double?, bestStep: Int?
    public var seconds = 0.0, trainSeconds = 0.0
    /// reading and tokenizing the data (and packing the validation rows, counting epochs); packing batches;
    /// forward, backward and AdamW
    public var loadSeconds = 0.0, packSeconds = 0.0, computeSeconds = 0.0
    public var epochsSeen = 0.0
    public var resumedFrom: Int?
    public var load = LoadReport()
}

/// Messages on stderr go through this (the tool prefixes its name).
public typealias Say = (String) -> Void

// SIGINT / SIGTERM / SIGHUP set a flag that the loop checks between micro-batches.
nonisolated(unsafe) private var stopSignal: Int32 = 0
public func installStopHandlers() {
    for s in [SIGINT, SIGTERM, SIGHUP] {
        signal(s) { sig in
            stopSignal = sig
            signal(sig, SIG_DFL)   // a second signal ends the process at once
        }
    }
    signal(SIGXFSZ, SIG_IGN)       // an over-large file is a write error, not a crash
}
public var stopRequested: Int32 { stopSignal }

/// Everything a run is made of, built before the working directory is touched.
struct TrainPlan {
    let model: LlamaModel
    /// the adapters being trained (--lora; the model is frozen)
    let lora: LoRAAdapters?
    let tokenizer: ModelTokenizer
    let store: ExampleStore
    let valStore: ExampleStore?
    let packer: Packer
    let core: TrainCore
    let totalSteps: Int
    let schedule: LRSchedule
    /// validation rows, packed once (file order; objective cuts drawn once)
    let valBatches: [[Row]]
    /// validate every this many steps (and at checkpoints and the end); 0 without --val
    let valEvery: Int
    let checkpointSteps: Set<Int>
    /// CPU seconds of reading and tokenizing the data
    let loadCPU: Double
}

/// The running totals a resumable state carries besides the weights, AdamW moments and data position.
struct RunTotals {
    var bestVal = Double.infinity, bestStep = 0
    var firstLoss = Double.nan
    var tokens = 0, lossTokens = 0, examples = 0

    init() {}

    /// From the extra fields of a saved state (doubles as bit patterns, so they come back exactly).
    init(state st: JSONObject) {
        if let b = st["best_val"]?.string, let bits = UInt64(b, radix: 16) { bestVal = Double(bitPattern: bits) }
        bestStep = st["best_step"]?.int ?? 0
        firstLoss = st["first_loss"]?.string.flatMap { UInt64($0, radix: 16) }.map { Double(bitPattern: $0) } ?? .nan
        tokens = st["tokens"]?.int ?? 0
        lossTokens = st["loss_tokens"]?.int ?? 0
        examples = st["examples"]?.int ?? 0
    }

    var json: JSONObject {
        var e = JSONObject()
        e["best_val"] = JSON(String(bestVal.bitPattern, radix: 16)); e["best_step"] = JSON(bestStep)
        e["first_loss"] = JSON(String(firstLoss.bitPattern, radix: 16))
        e["tokens"] = JSON(tokens); e["loss_tokens"] = JSON(lossTokens)
        e["examples"] = JSON(examples)
        return e
    }
}

public final class TrainRun {
    public let o: TrainOptions
    /// --config or the size flags (nil: the model of --init)
    let config: LlamaConfig?
    let objective: ObjectiveMix, valObjective: ObjectiveMix
    let showProgress: Bool
    let workdir: TrainWorkdir
    let say: Say, warn: Say
    public var partial: String { workdir.path }

    /// Resolves what the options name (the model config, the objective mixtures): a usage error is a
    /// ValidationError.
    public init(options: TrainOptions, say: @escaping Say, warn: @escaping Say) throws {
        o = options; self.say = say; self.warn = warn
        config = try options.modelConfig()
        (objective, valObjective) = try options.objectives()
        if options.keep == .best && options.val.isEmpty { throw ValidationError("--keep best needs --val") }
        showProgress = options.common.showProgress
        workdir = TrainWorkdir(output: options.output)
    }

    // MARK: setup

    /// The tokenizer of --tokenizer (a file or directory), else of --init, else st's byte tokenizer.
    func loadTokenizer() throws -> ModelTokenizer {
        let path = o.tokenizer ?? o.initDir
        guard let path else { return .standard }
        do { return try ModelTokenizer.load(path) } catch let e as ModelError {
            throw ToolInputError("\(o.tokenizer != nil ? "--tokenizer" : "--init"): \(e.description)")
        }
    }

    func loadModel() throws -> (LlamaModel, ModelTokenizer) {
        let tok = try loadTokenizer()
        if let dir = o.initDir {
            let model: LlamaModel
            do { model = try LlamaModel.load(directory: dir) } catch let e as ModelError {
                throw ToolInputError("--init: \(e.description)")
            }
            // an adapter without --lora: merged in, and every weight trains (with --lora: loadLoRA)
            if let a = o.adapter, o.lora == nil {
                do { try LoRAAdapters.load(directory: a, model: model).merge(into: model) } catch let e as ModelError {
                    throw ToolInputError("--adapter: \(e.description)")
                }
            }
            if let c = config, c != model.config {
                throw ToolInputError("--config does not match --init \(dir): \(configDiff(c, model.config))")
            }
            return (model, tok)
        }
        guard var c = config else { throw ToolInputError("no model: give --init DIR, --config FILE or size flags") }
        // from scratch without --vocab: as many rows as the tokenizer has ids (272 for st's byte tokenizer)
        if o.config == nil && o.vocab == nil { c.vocabSize = tok.vocabSize }
        let model = LlamaModel(config: c)
        model.initialize(seed: o.seed)
        return (model, tok)
    }

    /// --lora's adapters on `model`: new ones (A from --seed, B zero), or --adapter's, whose training continues
    /// (its rank, alpha and targets; --lora-dropout may change its dropout).
    func loadLoRA(_ model: LlamaModel) throws -> LoRAAdapters? {
        guard var cfg = try o.loraConfig() else { return nil }
        let lora: LoRAAdapters
        if let dir = o.adapter {
            do {
                var saved = try LoRAConfig.read(directory: dir)
                var diffs: [String] = []
                if saved.rank != cfg.rank { diffs.append("r \(saved.rank), not --lora \(cfg.rank)") }
                if let a = o.loraAlpha, a != saved.alpha { diffs.append("lora_alpha \(saved.alpha), not \(a)") }
                if o.loraTargets != nil && saved.targets != cfg.targets {
                    diffs.append("target_modules \(saved.targets.map(\.rawValue).joined(separator: ",")), not \(cfg.targets.map(\.rawValue).joined(separator: ","))")
                }
                if !diffs.isEmpty { throw ModelError("\(dir) has \(diffs.joined(separator: "; "))") }
                if let p = o.loraDropout { saved.dropout = p }
                saved.base = cfg.base
                cfg = saved
                lora = LoRAAdapters(model: model, config: cfg)
                try lora.loadWeights(directory: dir)
            } catch let e as ModelError { throw ToolInputError("--adapter: \(e.description)") }
        } else {
            lora = LoRAAdapters(model: model, config: cfg)
            lora.initialize(seed: o.seed)
        }
        lora.seed = o.seed
        return lora
    }

    /// --merge: --init with --adapter merged in, written as a model directory to -o DIR (built beside it and
    /// renamed into place).
    public func mergeOnly() throws {
        let (model, tok) = try loadModel()
        let tmp = o.output + ".partial"
        try? FileManager.default.removeItem(atPath: tmp)
        do {
            try model.save(directory: tmp, tokenizer: tok)
            try replaceDirectory(tmp, with: o.output)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw plainFileError(error, tmp, "write")
        }
    }

    func configDiff(_ a: LlamaConfig, _ b: LlamaConfig) -> String {
        var d: [String] = []
        func cmp<V: Equatable>(_ k: String, _ x: V, _ y: V) { if x != y { d.append("\(k) \(x) vs \(y)") } }
        cmp("vocab_size", a.vocabSize, b.vocabSize); cmp("hidden_size", a.hiddenSize, b.hiddenSize)
        cmp("intermediate_size", a.intermediateSize, b.intermediateSize); cmp("num_hidden_layers", a.numLayers, b.numLayers)
        cmp("num_attention_heads", a.numHeads, b.numHeads); cmp("num_key_value_heads", a.numKVHeads, b.numKVHeads)
        cmp("head_dim", a.headDim, b.headDim); cmp("max_position_embeddings", a.maxPositions, b.maxPositions)
        cmp("rope_theta", a.ropeTheta, b.ropeTheta); cmp("rms_norm_eps", a.rmsNormEps, b.rmsNormEps)
        cmp("tie_word_embeddings", a.tieWordEmbeddings, b.tieWordEmbeddings)
        return d.isEmpty ? "token ids differ" : d.joined(separator: ", ")
    }

    func loadStore(_ paths: [String], _ tok: ModelTokenizer, what: String) throws -> ExampleStore {
        let store = ExampleStore(tokenizer: tok, chat: o.chat, fields: o.fields, context: o.context, long: o.long)
        let reader = try JSONLReader(paths: paths, skipBad: o.skipBad)
        if o.skipBad && !o.quiet { reader.onSkip = { [warn] e in warn("skipped bad line: \(e)") } }
        let skip: ((DataError) -> Void)? = o.skipBad ? { [warn, quiet = o.quiet] e in if !quiet { warn("skipped bad line: \(e)") } } : nil
        try store.load(reader, shouldStop: { stopSignal != 0 }, skip: skip)
        store.report.skippedBad += reader.skipped
        if store.report.skippedBad > 0 && !o.quiet { warn("\(what): skipped \(store.report.skippedBad) bad line\(store.report.skippedBad == 1 ? "" : "s")") }
        let r = store.report
        let names = paths.isEmpty ? "<stdin>" : paths.joined(separator: ", ")
        if r.truncated > 0 { warn("\(what): \(r.truncated) of \(r.records) examples longer than the context (\(o.context + 1) tokens): truncated") }
        if r.skippedLong > 0 { warn("\(what): \(r.skippedLong) of \(r.records) examples longer than the context (\(o.context + 1) tokens): skipped") }
        if r.skippedNoLoss > 0 { warn("\(what): \(r.skippedNoLoss) of \(r.records) examples skipped: the prompt fills the context") }
        if r.zeroWeight > 0 && o.common.verbose { say("\(what): \(r.zeroWeight) examples with weight 0 skipped") }
        if store.count == 0 { throw ToolInputError("\(names): no usable \(what) examples") }
        return store
    }

    /// The fingerprint of everything that decides the sequence of batches and the model (checked by --resume).
    func runIdentity(_ store: ExampleStore, _ model: LlamaModel, _ val: ExampleStore?, lora: LoRAAdapters?) -> JSONObject {
        var o = JSONObject()
        o["data"] = JSON(String(store.fingerprint, radix: 16))
        o["examples"] = JSON(store.count)
        o["val"] = JSON(val.map { String($0.fingerprint, radix: 16) + " " + self.valObjective.description } ?? "")
        o["config"] = (try? JSON.parse(model.config.json())) ?? JSON(model.config.json())
        o["init"] = JSON(self.o.initDir ?? "")
        if let l = lora {
            o["lora"] = JSON("r \(l.config.rank) alpha \(l.config.alpha) dropout \(l.config.dropout) targets \(l.config.targets.map(\.rawValue).joined(separator: ","))")
            o["adapter"] = JSON(self.o.adapter ?? "")
        } else if let a = self.o.adapter { o["adapter"] = JSON(a) }
        o["seed"] = JSON(String(self.o.seed))
        o["batch"] = JSON(self.o.rows); o["context"] = JSON(self.o.context); o["grad_accum"] = JSON(self.o.gradAccum)
        o["objective"] = JSON(self.objective.description)
        o["fim"] = JSON("\(self.o.fim.spans),\(self.o.fim.rate),\(self.o.fim.maxSpan),\(self.o.fim.loss.rawValue)")
        o["pack"] = JSON(self.o.pack ? "window \(self.o.packWindow)" : "off")
        o["shuffle"] = JSON(self.o.shuffle)
        o["epochs"] = JSON(self.o.epochs.map(String.init) ?? "")
        return o
    }

    /// Settings that may change on --resume (with a warning): they shape the updates, not the data.
    func scheduleSettings(totalSteps: Int) -> JSONObject {
        var s = JSONObject()
        s["steps"] = JSON(totalSteps); s["lr"] = JSON(o.lr); s["min_lr"] = JSON(o.minLR ?? o.lr / 10)
        s["warmup"] = JSON(o.warmup); s["schedule"] = JSON(o.schedule.rawValue)
        s["weight_decay"] = JSON(o.weightDecay); s["clip"] = JSON(o.clip)
        s["beta1"] = JSON(o.beta1); s["beta2"] = JSON(o.beta2)
        return s
    }

    /// The learning rate of update i (0-based): warmup, then the decay reaches --min-lr at the last update.
    func schedule(totalSteps: Int) -> LRSchedule {
        let minLR = o.minLR ?? o.lr / 10
        let totalSteps = max(o.warmup + 1, totalSteps - 1)
        switch o.schedule {
        case .constant: return .constant(lr: o.lr, warmup: o.warmup)
        case .cosine: return .cosine(lr: o.lr, warmup: o.warmup, totalSteps: totalSteps, minLR: minLR)
        case .linear: return .linear(lr: o.lr, warmup: o.warmup, totalSteps: totalSteps, minLR: minLR)
        }
    }

    /// The model, the data (read and tokenized), the packers, the optimizer and the schedule.
    func prepare(_ summary: inout TrainSummary) throws -> TrainPlan {
        let (model, tok) = try loadModel()
        let c = model.config
        if o.context > c.maxPositions {
            throw ToolInputError("--context \(o.context) exceeds the model's max_position_embeddings (\(c.maxPositions))")
        }
        if c.vocabSize < tok.vocabSize {
            throw ToolInputError("vocab_size \(c.vocabSize) is smaller than the tokenizer's (\(tok.vocabSize))")
        }
        let usesFIM = (objective.parts + valObjective.parts).contains { $0.0 == .fim && $0.1 > 0 }
        if usesFIM, let b = tok.byte, o.fim.spans > b.maskCount {
            throw ToolInputError("--fim-spans \(o.fim.spans) exceeds the tokenizer's \(b.maskCount) mask tokens")
        }
        if usesFIM && tok.byte == nil {
            guard tok.fim != nil else {
                throw ToolInputError("--objective fim: \(tok.origin) has no <fim_prefix>, <fim_middle> and <fim_suffix> tokens")
            }
            if o.fim.spans != 1 { throw ToolInputError("--fim-spans \(o.fim.spans): the model's own FIM format has one span") }
        }
        if o.chat && tok.chatTemplate == nil { throw ToolInputError("--chat: \(tok.origin) has no chat template") }
        let loadStart = monotonicSeconds(), loadCPU0 = threadCPUSeconds()
        let store = try loadStore(o.data, tok, what: "training")
        summary.load = store.report
        let valStore = o.val.isEmpty ? nil : try loadStore(o.val, tok, what: "validation")

        summary.loadSeconds = monotonicSeconds() - loadStart
        let loadCPU = threadCPUSeconds() - loadCPU0
        let transformer = Transformer(store: store, mix: objective, fim: o.fim, seed: o.seed)
        let packer = Packer(transformer: transformer, context: o.context, pack: o.pack, window: o.packWindow,
                            shuffle: o.shuffle, maxEpochs: o.steps == nil ? (o.epochs ?? 1) : nil)
        let lora = try loadLoRA(model)
        let core = TrainCore(model: model, packer: packer, batch: o.rows, accum: o.gradAccum, lora: lora)
        core.clip = Float(o.clip)
        core.trainer.adam = AdamWConfig(beta1: Float(o.beta1), beta2: Float(o.beta2), eps: 1e-8, weightDecay: Float(o.weightDecay))

        let rowsPerStep = o.rows * o.gradAccum
        let totalSteps: Int
        if let s = o.steps { totalSteps = s } else {
            totalSteps = (packer.countRows() + rowsPerStep - 1) / rowsPerStep
        }
        if totalSteps < 1 { throw ToolInputError("nothing to train: 0 steps") }

        var valBatches: [[Row]] = []
        if let vs = valStore {
            let vp = Packer(transformer: Transformer(store: vs, mix: valObjective, fim: o.fim, seed: o.seed),
                            context: o.context, pack: o.pack, window: o.packWindow, shuffle: false, maxEpochs: 1)
            valBatches = vp.batches(rows: o.rows)
        }
        let valEvery = valStore == nil ? 0 : (o.valEvery ?? max(1, (totalSteps + 9) / 10))
        let checkpointSteps = Set((1...max(1, o.checkpoints)).map { i in (i * totalSteps + o.checkpoints / 2) / max(1, o.checkpoints) })
            .filter { o.checkpoints > 0 && $0 >= 1 }
        return TrainPlan(model: model, lora: lora, tokenizer: tok, store: store, valStore: valStore, packer: packer, core: core,
                         totalSteps: totalSteps, schedule: schedule(totalSteps: totalSteps), valBatches: valBatches,
                         valEvery: valEvery, checkpointSteps: checkpointSteps, loadCPU: loadCPU)
    }

    // MARK: run

    public func run() throws -> TrainSummary {
        let started = monotonicSeconds()
        Threads.set(o.common.threadCount)
        var summary = TrainSummary()
        let p = try prepare(&summary)

        let identity = runIdentity(p.store, p.model, p.valStore, lora: p.lora)
        let settings = scheduleSettings(totalSteps: p.totalSteps)
        var totals = RunTotals()
        var metricsLines: [String] = []
        if let saved = try workdir.begin(identity: identity, settings: settings, resume: o.resume, quiet: o.quiet,
                                         say: say, warn: warn) {
            totals = RunTotals(state: try p.core.loadState(saved.directory))
            summary.resumedFrom = saved.step
            metricsLines = workdir.rewind(to: saved.step)
            if !o.quiet { say("resuming \(partial) at step \(saved.step) of \(p.totalSteps)") }
        }

        do {
            var run = JSONObject()
            run["identity"] = .object(identity); run["schedule"] = .object(settings)
            try writeFileAtomically(workdir.runFile, JSON.object(run).serialized() + "\n")
            let metrics = try MetricsLog(path: workdir.metricsFile, keeping: metricsLines)
            let trainCPU = try train(p, metrics: metrics, totals: &totals, summary: &summary)
            if stopSignal != 0 { throw Interrupted() }
            try writeModel(p, identity: identity, settings: settings, started: started, trainCPU: trainCPU,
                           summary: &summary)
            try workdir.commit()
        } catch {
            throw workdir.abandon(after: error)
        }
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    /// Saves a resumable state of the current step, with data position `ps`.
    func saveState(_ p: TrainPlan, _ ps: PackerState, _ totals: RunTotals) throws {
        try workdir.saveState(step: p.core.step) { dir in
            try p.core.saveState(dir, packerState: ps, extra: totals.json)
        }
    }

    /// The training loop: steps until the last (or until the data runs out with --epochs), validating, writing
    /// checkpoints and saving states on their steps, one metrics line per step. Returns its CPU seconds.
    func train(_ p: TrainPlan, metrics: MetricsLog, totals: inout RunTotals, summary: inout TrainSummary) throws -> Double {
        let core = p.core, packer = p.packer, totalSteps = p.totalSteps
        let trainStart = monotonicSeconds(), trainCPU0 = processCPUSeconds()
        var lastPrint = 0.0
        var lastLoss = Double.nan
        while core.step < totalSteps {
            if stopSignal != 0 { throw Interrupted() }
            let before = packer.state
            let lr = p.schedule.lr(at: core.step)
            let t0 = monotonicSeconds()
            let r: StepResult
            do { r = try core.trainStep(lr: Float(lr), interrupted: { stopSignal != 0 }) } catch let e as NonFiniteLoss {
                // the weights are those after the previous step: keep them as a resumable state
                try saveState(p, before, totals)
                throw ToolInputError("\(e.description); stopped. The last good state (step \(core.step)) is kept in \(partial): continue with --resume (for example with a lower --lr)")
            }
            if !r.hadData { break }
            let dt = monotonicSeconds() - t0
            let s = core.step
            if totals.firstLoss.isNaN { totals.firstLoss = r.loss }
            lastLoss = r.loss
            totals.tokens += r.tokens; totals.lossTokens += r.lossTokens; totals.examples += r.examples
            var m = JSONObject()
            m["step"] = JSON(s); m["loss"] = JSON(r.loss); m["lr"] = JSON(lr); m["grad_norm"] = JSON(r.gradNorm)
            m["tokens"] = JSON(r.tokens)
            m["epoch"] = JSON((Double(packer.state.placed) / Double(p.store.count) * 1000).rounded() / 1000)
            m["tokens_per_s"] = JSON((Double(r.tokens) / max(dt, 1e-9)).rounded())
            let isCheckpoint = p.checkpointSteps.contains(s)
            let isLast = s == totalSteps || (o.steps == nil && packer.exhausted)
            if p.valEvery > 0 && (s % p.valEvery == 0 || isCheckpoint || isLast) {
                let vl = core.evaluate(p.valBatches)
                m["val_loss"] = JSON(vl)
                summary.valLoss = vl
                if vl < totals.bestVal {
                    totals.bestVal = vl; totals.bestStep = s
                    if o.keep == .best { try saveWeights(p, at: partial + "/best") }
                }
            }
            try metrics.append(m)
            if isCheckpoint {
                try FileManager.default.createDirectory(atPath: partial + "/checkpoints", withIntermediateDirectories: true)
                try saveWeights(p, at: partial + "/checkpoints/" + String(format: "step-%06d", s))
            }
            if o.saveEvery > 0 && s % o.saveEvery == 0 && !isLast { try saveState(p, packer.state, totals) }
            if showProgress {
                let now = monotonicSeconds()
                if now - lastPrint > 0.25 || isLast {
                    lastPrint = now
                    let el = now - trainStart, eta = el / Double(s - (summary.resumedFrom ?? 0)) * Double(totalSteps - s)
                    fputs("\r\u{1B}[Kst-train: step \(s)/\(totalSteps) loss \(fmt(r.loss)) lr \(String(format: "%.2e", lr)) \(Int(Double(r.tokens) / max(dt, 1e-9))) tok/s ETA \(Int(eta))s", stderr)
                }
            }
        }
        if showProgress { fputs("\r\u{1B}[K", stderr) }
        summary.trainSeconds = monotonicSeconds() - trainStart
        let trainCPU = processCPUSeconds() - trainCPU0
        summary.steps = core.step
        summary.packSeconds = core.packSeconds; summary.computeSeconds = core.computeSeconds
        summary.firstLoss = totals.firstLoss; summary.lastLoss = lastLoss
        summary.tokens = totals.tokens; summary.lossTokens = totals.lossTokens; summary.examples = totals.examples
        if totals.bestVal.isFinite { summary.bestValLoss = totals.bestVal; summary.bestStep = totals.bestStep }
        return trainCPU
    }

    /// The model files and st-train.json, written into the working directory (with --keep best, the best
    /// validation weights).
    func writeModel(_ p: TrainPlan, identity: JSONObject, settings: JSONObject, started: Double, trainCPU: Double,
                    summary: inout TrainSummary) throws {
        let model = p.model
        let best = o.keep == .best && FileManager.default.fileExists(atPath: partial + "/best")
        if let lora = p.lora {
            if best { try lora.loadWeights(directory: partial + "/best") }
            try lora.save(directory: partial)
        } else {
            if best { try model.loadWeights(partial + "/best/" + LlamaModel.weightsFile) }
            try model.save(directory: partial, tokenizer: p.tokenizer)
        }
        let info = runInfo(p, identity: identity, settings: settings, started: started, trainCPU: trainCPU, summary)
        try writeFileAtomically(partial + "/st-train.json", JSON.object(info).serialized() + "\n")
        summary.epochsSeen = Double(p.packer.state.placed) / Double(p.store.count)
    }

    /// A model directory (or, with --lora, an adapter directory) of the current weights at `dir`: best/,
    /// checkpoints/step-N.
    func saveWeights(_ p: TrainPlan, at dir: String) throws {
        try workdir.saveDirectory(at: dir) { tmp in
            if let lora = p.lora { try lora.save(directory: tmp) } else { try p.model.save(directory: tmp, tokenizer: p.tokenizer) }
        }
    }

    /// st-train.json: the run's inputs, settings, counts and timings.
    func runInfo(_ p: TrainPlan, identity: JSONObject, settings: JSONObject, started: Double, trainCPU: Double,
                 _ summary: TrainSummary) -> JSONObject {
        let store = p.store
        var info = JSONObject()
        info["tool"] = JSON("st-train")
        info["data"] = .array(o.data.map { JSON($0) }); info["val"] = .array(o.val.map { JSON($0) })
        info["init"] = o.initDir.map { JSON($0) } ?? .null
        info["adapter"] = o.adapter.map { JSON($0) } ?? .null
        if let l = p.lora {
            info["lora"] = .object(JSONObject([("r", JSON(l.config.rank)), ("alpha", JSON(l.config.alpha)),
                ("dropout", JSON(l.config.dropout)), ("targets", .array(l.config.targets.map { JSON($0.hfName) })),
                ("trainable_parameters", JSON(l.parameterCount))]))
        }
        info["identity"] = .object(identity); info["schedule"] = .object(settings)
        info["steps"] = JSON(p.core.step); info["examples_seen"] = JSON(summary.examples)
        info["tokens_seen"] = JSON(summary.tokens); info["loss_tokens_seen"] = JSON(summary.lossTokens)
        info["epochs_seen"] = JSON(Double(p.packer.state.placed) / Double(store.count))
        info["final_loss"] = JSON(summary.lastLoss)
        info["seconds"] = .object(JSONObject([
            ("total", JSON(monotonicSeconds() - started)), ("train_loop", JSON(summary.trainSeconds)),
            ("data_load", JSON(summary.loadSeconds)), ("packing", JSON(summary.packSeconds)),
            ("compute", JSON(summary.computeSeconds)),
            ("data_load_cpu", JSON(p.loadCPU)), ("packing_cpu", JSON(p.core.packCPUSeconds)),
            ("train_loop_cpu", JSON(trainCPU)), ("process_cpu", JSON(processCPUSeconds()))]))
        info["val_loss"] = summary.valLoss.map { JSON($0) } ?? .null
        info["best_val_loss"] = summary.bestValLoss.map { JSON($0) } ?? .null
        info["best_step"] = summary.bestStep.map { JSON($0) } ?? .null
        info["weights"] = JSON(o.keep == .best && summary.bestValLoss != nil ? "best" : "last")
        info["data_report"] = .object(JSONObject([
            ("records", JSON(store.report.records)), ("examples", JSON(store.count)),
            ("pairs", JSON(store.report.pairs)), ("documents", JSON(store.report.documents)),
            ("truncated", JSON(store.report.truncated)), ("skipped_long", JSON(store.report.skippedLong)),
            ("skipped_no_loss", JSON(store.report.skippedNoLoss)), ("zero_weight", JSON(store.report.zeroWeight)),
            ("skipped_bad", JSON(store.report.skippedBad))]))
        return info
    }
}

func fmt(_ x: Double) -> String { String(format: x < 0.01 ? "%.2e" : "%.4f", x) }
