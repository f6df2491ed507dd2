// A whole st-train run: load data, build or load the model, train with a schedule, validate, checkpoint, and
// write the model directory atomically.
//
// Working directory: OUT.partial beside OUT. It holds metrics.jsonl, run.json, the resumable state
// (state-NNNNNN/: weights, AdamW moments, data position; written under a temporary name and renamed, so a
// kill -9 at any moment leaves the last complete one), best/ (--keep best) and checkpoints/. On success the
// model files are written into it, the resumable state is removed and it is renamed to OUT (an existing OUT is
// replaced). On an error or SIGINT/SIGTERM it is removed, unless it holds a resumable state (then it is kept for
// --resume and the message says so). OUT itself is never half-written.
import Foundation
import Model
import Streams
import Tensor

public enum ScheduleKind: String, CaseIterable, Sendable { case cosine, linear, constant }
public enum KeepPolicy: String, CaseIterable, Sendable { case last, best }

public struct TrainOptions {
    public var data: [String] = []
    public var val: [String] = []
    public var output = ""
    public var initDir: String?
    /// the model config when training from scratch (ignored with initDir, except for the check)
    public var config: LlamaConfig?
    public var fields = FieldNames()
    public var long = LongPolicy.truncate
    public var objective = ObjectiveMix([(.causal, 1)])
    /// objective(s) of the validation loss (cuts drawn as in epoch 0, the same at every measurement)
    public var valObjective = ObjectiveMix([(.causal, 1)])
    public var fim = FIMOptions()
    public var pack = true
    public var packWindow = 64
    public var shuffle = true
    public var batch = 8, context = 256, accum = 1
    public var steps: Int?
    public var epochs: Int?
    public var lr = 1e-3, minLR: Double?, warmup = 0
    public var schedule = ScheduleKind.cosine
    public var weightDecay = 0.1, clip = 1.0, beta1 = 0.9, beta2 = 0.95
    public var valEvery: Int?
    public var keep = KeepPolicy.last
    public var checkpoints = 0
    public var saveEvery = 0
    public var resume = false
    public var seed: UInt64 = 0
    public var threads = 1
    public var quiet = false, verbose = false, progress = false
    public var skipBad = false
    public init() {}
}

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

public final class TrainRun {
    public let o: TrainOptions
    let say: Say, warn: Say
    public var partial: String { o.output + ".partial" }

    public init(options: TrainOptions, say: @escaping Say, warn: @escaping Say) {
        o = options; self.say = say; self.warn = warn
    }

    // MARK: setup

    func loadModel() throws -> (LlamaModel, ByteTokenizer) {
        if let dir = o.initDir {
            let model: LlamaModel
            do { model = try LlamaModel.load(directory: dir) } catch let e as ModelError {
                throw ToolInputError("--init: \(e.description)")
            }
            if let c = o.config, c != model.config {
                throw ToolInputError("--config does not match --init \(dir): \(configDiff(c, model.config))")
            }
            return (model, try ByteTokenizer.load(directory: dir))
        }
        guard let c = o.config else { throw ToolInputError("no model: give --init DIR, --config FILE or size flags") }
        let model = LlamaModel(config: c)
        model.initialize(seed: o.seed)
        return (model, .standard)
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

    func loadStore(_ paths: [String], _ tok: ByteTokenizer, what: String) throws -> ExampleStore {
        let store = ExampleStore(tokenizer: tok, fields: o.fields, context: o.context, long: o.long)
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
        if r.zeroWeight > 0 && o.verbose { say("\(what): \(r.zeroWeight) examples with weight 0 skipped") }
        if store.count == 0 { throw ToolInputError("\(names): no usable \(what) examples") }
        return store
    }

    /// The fingerprint of everything that decides the sequence of batches and the model (checked by --resume).
    func runIdentity(_ store: ExampleStore, _ model: LlamaModel, _ val: ExampleStore?) -> JSONObject {
        var o = JSONObject()
        o["data"] = JSON(String(store.fingerprint, radix: 16))
        o["examples"] = JSON(store.count)
        o["val"] = JSON(val.map { String($0.fingerprint, radix: 16) + " " + self.o.valObjective.description } ?? "")
        o["config"] = (try? JSON.parse(model.config.json())) ?? JSON(model.config.json())
        o["init"] = JSON(self.o.initDir ?? "")
        o["seed"] = JSON(String(self.o.seed))
        o["batch"] = JSON(self.o.batch); o["context"] = JSON(self.o.context); o["grad_accum"] = JSON(self.o.accum)
        o["objective"] = JSON(self.o.objective.description)
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

    // MARK: run

    public func run() throws -> TrainSummary {
        let started = monotonicSeconds()
        Threads.set(o.threads)
        var summary = TrainSummary()
        let (model, tok) = try loadModel()
        let c = model.config
        if o.context > c.maxPositions {
            throw ToolInputError("--context \(o.context) exceeds the model's max_position_embeddings (\(c.maxPositions))")
        }
        if c.vocabSize < tok.vocabSize {
            throw ToolInputError("vocab_size \(c.vocabSize) is smaller than the tokenizer's (\(tok.vocabSize))")
        }
        let usesFIM = (o.objective.parts + o.valObjective.parts).contains { $0.0 == .fim && $0.1 > 0 }
        if usesFIM && o.fim.spans > tok.maskCount {
            throw ToolInputError("--fim-spans \(o.fim.spans) exceeds the tokenizer's \(tok.maskCount) mask tokens")
        }
        let loadStart = monotonicSeconds(), loadCPU0 = threadCPUSeconds()
        let store = try loadStore(o.data, tok, what: "training")
        summary.load = store.report
        let valStore = o.val.isEmpty ? nil : try loadStore(o.val, tok, what: "validation")

        summary.loadSeconds = monotonicSeconds() - loadStart
        let loadCPU = threadCPUSeconds() - loadCPU0
        let transformer = Transformer(store: store, mix: o.objective, fim: o.fim, seed: o.seed)
        let packer = Packer(transformer: transformer, context: o.context, pack: o.pack, window: o.packWindow,
                            shuffle: o.shuffle, maxEpochs: o.steps == nil ? (o.epochs ?? 1) : nil)
        let core = TrainCore(model: model, packer: packer, batch: o.batch, accum: o.accum)
        core.clip = Float(o.clip)
        core.trainer.adam = AdamWConfig(beta1: Float(o.beta1), beta2: Float(o.beta2), eps: 1e-8, weightDecay: Float(o.weightDecay))

        let rowsPerStep = o.batch * o.accum
        let totalSteps: Int
        if let s = o.steps { totalSteps = s } else {
            totalSteps = (packer.countRows() + rowsPerStep - 1) / rowsPerStep
        }
        if totalSteps < 1 { throw ToolInputError("nothing to train: 0 steps") }
        let sched = schedule(totalSteps: totalSteps)

        // validation rows, packed once (file order; objective cuts drawn once)
        var valBatches: [[Row]] = []
        if let vs = valStore {
            let vp = Packer(transformer: Transformer(store: vs, mix: o.valObjective, fim: o.fim, seed: o.seed),
                            context: o.context, pack: o.pack, window: o.packWindow, shuffle: false, maxEpochs: 1)
            valBatches = vp.batches(rows: o.batch)
        }
        let valEvery = valStore == nil ? 0 : (o.valEvery ?? max(1, (totalSteps + 9) / 10))
        if o.keep == .best && valStore == nil { throw ToolInputError("--keep best needs --val") }
        let checkpointSteps = Set((1...max(1, o.checkpoints)).map { i in (i * totalSteps + o.checkpoints / 2) / max(1, o.checkpoints) })
            .filter { o.checkpoints > 0 && $0 >= 1 }

        // working directory
        let fm = FileManager.default
        let identity = runIdentity(store, model, valStore)
        let settings = scheduleSettings(totalSteps: totalSteps)
        var bestVal = Double.infinity, bestStep = 0
        var resumed: Int?
        var metricsLines: [String] = []
        // (NSString.deletingLastPathComponent crashes on a one-character name in this Foundation)
        if let slash = o.output.lastIndex(of: "/"), slash != o.output.startIndex {
            let parent = String(o.output[..<slash])
            try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        if fm.fileExists(atPath: partial) { try lockPartial() }
        let latest = latestState()
        if o.resume, let (dir, step) = latest {
            let runText = (try? String(contentsOfFile: partial + "/run.json", encoding: .utf8)) ?? ""
            guard let prev = (try? JSON.parse(runText))?.object, let prevId = prev["identity"]?.object else {
                throw ToolInputError("\(partial): no run.json; cannot resume (remove it to start over)")
            }
            var diffs: [String] = []
            for (k, v) in identity where prevId[k] != v { diffs.append(k) }
            if !diffs.isEmpty {
                throw ToolInputError("--resume: \(partial) was made with other \(diffs.joined(separator: ", ")); remove it or use the same data and flags")
            }
            if let ps = prev["schedule"]?.object {
                let changed = settings.keys.filter { ps[$0] != settings[$0] }
                if !changed.isEmpty { warn("--resume: \(changed.joined(separator: ", ")) differ from the interrupted run") }
            }
            let st = try core.loadState(dir)
            if let b = st["best_val"]?.string, let bits = UInt64(b, radix: 16) { bestVal = Double(bitPattern: bits) }
            bestStep = st["best_step"]?.int ?? 0
            summary.firstLoss = st["first_loss"]?.string.flatMap { UInt64($0, radix: 16) }.map { Double(bitPattern: $0) } ?? .nan
            summary.tokens = st["tokens"]?.int ?? 0
            summary.lossTokens = st["loss_tokens"]?.int ?? 0
            summary.examples = st["examples"]?.int ?? 0
            resumed = step
            // metrics up to the resumed step; later checkpoints will be written again
            if let text = try? String(contentsOfFile: partial + "/metrics.jsonl", encoding: .utf8) {
                for line in text.split(separator: "\n") {
                    if let j = try? JSON.parse(String(line)), let s = j["step"]?.int, s <= step { metricsLines.append(String(line)) }
                }
            }
            for name in (try? fm.contentsOfDirectory(atPath: partial)) ?? [] where name.hasSuffix(".tmp") {
                try? fm.removeItem(atPath: partial + "/" + name)
            }
            for name in (try? fm.contentsOfDirectory(atPath: partial + "/checkpoints")) ?? [] {
                if let s = Int(name.dropFirst(5)), s > step { try? fm.removeItem(atPath: partial + "/checkpoints/" + name) }
            }
            if !o.quiet { say("resuming \(partial) at step \(step) of \(totalSteps)") }
        } else {
            if fm.fileExists(atPath: partial) {
                if o.resume { if !o.quiet { say("nothing to resume in \(partial); starting over") } }
                else if latest != nil { warn("replacing \(partial) left by an interrupted run (use --resume to continue one)") }
                try fm.removeItem(atPath: partial)
                if lockFD >= 0 { close(lockFD); lockFD = -1 }   // the new directory gets its own lock
            } else if o.resume && !o.quiet { say("nothing to resume (no \(partial)); starting") }
            do { try fm.createDirectory(atPath: partial, withIntermediateDirectories: false) } catch {
                throw ToolInputError("\(partial): cannot create: \(error.localizedDescription)")
            }
            try lockPartial()
        }
        var run = JSONObject()
        run["identity"] = .object(identity); run["schedule"] = .object(settings)
        summary.resumedFrom = resumed

        let metricsPath = partial + "/metrics.jsonl"
        do {
            try writeFileAtomically(partial + "/run.json", JSON.object(run).serialized() + "\n")
            try writeFileAtomically(metricsPath, metricsLines.map { $0 + "\n" }.joined())
            guard let metrics = fopen(metricsPath, "a") else { throw ToolInputError("\(metricsPath): cannot open") }
            defer { fclose(metrics) }
            func writeMetrics(_ obj: JSONObject) throws {
                let line = JSON.object(obj).serialized() + "\n"
                if fputs(line, metrics) < 0 || fflush(metrics) != 0 {
                    throw ToolInputError("\(metricsPath): write failed: \(String(cString: strerror(errno)))")
                }
            }
            func stateExtra() -> JSONObject {
                var e = JSONObject()
                e["best_val"] = JSON(String(bestVal.bitPattern, radix: 16)); e["best_step"] = JSON(bestStep)
                e["first_loss"] = JSON(String(summary.firstLoss.bitPattern, radix: 16))
                e["tokens"] = JSON(summary.tokens); e["loss_tokens"] = JSON(summary.lossTokens)
                e["examples"] = JSON(summary.examples)
                return e
            }
            func saveState(_ ps: PackerState) throws {
                let name = String(format: "state-%06d", core.step)
                let tmp = partial + "/" + name + ".tmp"
                try? fm.removeItem(atPath: tmp)
                try core.saveState(tmp, packerState: ps, extra: stateExtra())
                try? fm.removeItem(atPath: partial + "/" + name)
                guard rename(tmp, partial + "/" + name) == 0 else { throw ToolInputError("\(tmp): cannot rename into place") }
                for old in (try? fm.contentsOfDirectory(atPath: partial)) ?? [] where old.hasPrefix("state-") && old != name {
                    try? fm.removeItem(atPath: partial + "/" + old)
                }
            }
            func saveModelDir(_ path: String) throws {
                let tmp = path + ".tmp"
                try? fm.removeItem(atPath: tmp)
                try model.save(directory: tmp, tokenizer: tok)
                try? fm.removeItem(atPath: path)
                guard rename(tmp, path) == 0 else { throw ToolInputError("\(tmp): cannot rename into place") }
            }

            let trainStart = monotonicSeconds(), trainCPU0 = processCPUSeconds()
            var lastPrint = 0.0
            var lastLoss = Double.nan
            while core.step < totalSteps {
                if stopSignal != 0 { throw Interrupted() }
                let before = packer.state
                let lr = sched.lr(at: core.step)
                let t0 = monotonicSeconds()
                let r: StepResult
                do { r = try core.trainStep(lr: Float(lr), interrupted: { stopSignal != 0 }) } catch let e as NonFiniteLoss {
                    // the weights are those after the previous step: keep them as a resumable state
                    try saveState(before)
                    throw ToolInputError("\(e.description); stopped. The last good state (step \(core.step)) is kept in \(partial): continue with --resume (for example with a lower --lr)")
                }
                if !r.hadData { break }
                let dt = monotonicSeconds() - t0
                let s = core.step
                if summary.firstLoss.isNaN { summary.firstLoss = r.loss }
                lastLoss = r.loss
                summary.tokens += r.tokens; summary.lossTokens += r.lossTokens; summary.examples += r.examples
                var m = JSONObject()
                m["step"] = JSON(s); m["loss"] = JSON(r.loss); m["lr"] = JSON(lr); m["grad_norm"] = JSON(r.gradNorm)
                m["tokens"] = JSON(r.tokens)
                m["epoch"] = JSON((Double(packer.state.placed) / Double(store.count) * 1000).rounded() / 1000)
                m["tokens_per_s"] = JSON((Double(r.tokens) / max(dt, 1e-9)).rounded())
                let isCheckpoint = checkpointSteps.contains(s)
                let isLast = s == totalSteps || (o.steps == nil && packer.exhausted)
                if valEvery > 0 && (s % valEvery == 0 || isCheckpoint || isLast) {
                    let vl = core.evaluate(valBatches)
                    m["val_loss"] = JSON(vl)
                    summary.valLoss = vl
                    if vl < bestVal {
                        bestVal = vl; bestStep = s
                        if o.keep == .best { try saveModelDir(partial + "/best") }
                    }
                }
                try writeMetrics(m)
                if isCheckpoint {
                    try fm.createDirectory(atPath: partial + "/checkpoints", withIntermediateDirectories: true)
                    try saveModelDir(partial + "/checkpoints/" + String(format: "step-%06d", s))
                }
                if o.saveEvery > 0 && s % o.saveEvery == 0 && !isLast { try saveState(packer.state) }
                if o.progress {
                    let now = monotonicSeconds()
                    if now - lastPrint > 0.25 || isLast {
                        lastPrint = now
                        let el = now - trainStart, eta = el / Double(s - (resumed ?? 0)) * Double(totalSteps - s)
                        fputs("\r\u{1B}[Kst-train: step \(s)/\(totalSteps) loss \(fmt(r.loss)) lr \(String(format: "%.2e", lr)) \(Int(Double(r.tokens) / max(dt, 1e-9))) tok/s ETA \(Int(eta))s", stderr)
                    }
                }
            }
            if o.progress { fputs("\r\u{1B}[K", stderr) }
            summary.trainSeconds = monotonicSeconds() - trainStart
            let trainCPU = processCPUSeconds() - trainCPU0
            summary.steps = core.step
            summary.packSeconds = core.packSeconds; summary.computeSeconds = core.computeSeconds
            summary.lastLoss = lastLoss
            if bestVal.isFinite { summary.bestValLoss = bestVal; summary.bestStep = bestStep }
            if stopSignal != 0 { throw Interrupted() }

            // the model directory
            if o.keep == .best, fm.fileExists(atPath: partial + "/best") {
                try model.loadWeights(partial + "/best/" + LlamaModel.weightsFile)
            }
            try model.save(directory: partial, tokenizer: tok)
            var info = JSONObject()
            info["tool"] = JSON("st-train")
            info["data"] = .array(o.data.map { JSON($0) }); info["val"] = .array(o.val.map { JSON($0) })
            info["init"] = o.initDir.map { JSON($0) } ?? .null
            info["identity"] = .object(identity); info["schedule"] = .object(settings)
            info["steps"] = JSON(core.step); info["examples_seen"] = JSON(summary.examples)
            info["tokens_seen"] = JSON(summary.tokens); info["loss_tokens_seen"] = JSON(summary.lossTokens)
            info["epochs_seen"] = JSON(Double(packer.state.placed) / Double(store.count))
            info["final_loss"] = JSON(lastLoss)
            info["seconds"] = .object(JSONObject([
                ("total", JSON(monotonicSeconds() - started)), ("train_loop", JSON(summary.trainSeconds)),
                ("data_load", JSON(summary.loadSeconds)), ("packing", JSON(summary.packSeconds)),
                ("compute", JSON(summary.computeSeconds)),
                ("data_load_cpu", JSON(loadCPU)), ("packing_cpu", JSON(core.packCPUSeconds)),
                ("train_loop_cpu", JSON(trainCPU)), ("process_cpu", JSON(processCPUSeconds()))]))
            info["val_loss"] = summary.valLoss.map { JSON($0) } ?? .null
            info["best_val_loss"] = summary.bestValLoss.map { JSON($0) } ?? .null
            info["best_step"] = summary.bestValLoss != nil ? JSON(bestStep) : .null
            info["weights"] = JSON(o.keep == .best && summary.bestValLoss != nil ? "best" : "last")
            info["data_report"] = .object(JSONObject([
                ("records", JSON(store.report.records)), ("examples", JSON(store.count)),
                ("pairs", JSON(store.report.pairs)), ("documents", JSON(store.report.documents)),
                ("truncated", JSON(store.report.truncated)), ("skipped_long", JSON(store.report.skippedLong)),
                ("skipped_no_loss", JSON(store.report.skippedNoLoss)), ("zero_weight", JSON(store.report.zeroWeight)),
                ("skipped_bad", JSON(store.report.skippedBad))]))
            try writeFileAtomically(partial + "/st-train.json", JSON.object(info).serialized() + "\n")
            summary.epochsSeen = Double(packer.state.placed) / Double(store.count)
            for name in try fm.contentsOfDirectory(atPath: partial)
            where name.hasPrefix("state-") || name == "best" || name == "run.json" || name == "lock" || name.hasSuffix(".tmp") {
                try fm.removeItem(atPath: partial + "/" + name)
            }
            try replaceDirectory(partial, with: o.output)
        } catch {
            let kept = latestState()
            if kept == nil { try? fm.removeItem(atPath: partial) }
            if var i = error as? Interrupted {
                if let (_, st) = kept { i.kept = "the state of step \(st) is kept in \(partial): continue with --resume" }
                throw i
            }
            if let (_, st) = kept, !"\(error)".contains("--resume") {
                throw ToolInputError("\(error) (the state of step \(st) is kept in \(partial): continue with --resume)")
            }
            throw error
        }
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    private var lockFD: Int32 = -1
    deinit { if lockFD >= 0 { close(lockFD) } }

    /// Hold an exclusive lock on DIR.partial/lock for the whole run, so a second st-train writing the same DIR
    /// cannot remove or resume a working directory in use (the lock goes with the process, even on kill -9).
    func lockPartial() throws {
        guard lockFD < 0 else { return }
        let fd = open(partial + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw ToolInputError("\(partial) is in use by another st-train run writing \(o.output)")
        }
        lockFD = fd
    }

    /// The newest complete state-NNNNNN directory in the working directory.
    func latestState() -> (String, Int)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: partial)) ?? []
        let steps = names.compactMap { n -> Int? in
            guard n.hasPrefix("state-"), !n.hasSuffix(".tmp") else { return nil }
            guard FileManager.default.fileExists(atPath: partial + "/" + n + "/" + TrainCore.stateFile) else { return nil }
            return Int(n.dropFirst(6))
        }
        guard let s = steps.max() else { return nil }
        return (partial + "/" + String(format: "state-%06d", s), s)
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
}

func fmt(_ x: Double) -> String { String(format: x < 0.01 ? "%.2e" : "%.4f", x) }
