// The sampling engine: continuous batching over a key-value cache.
//
// Problems are read in order; each (problem, method) is a prompt with n samples. A prompt is prefilled once
// into one of two prompt slots of the cache; each of its samples copies that prefix into a free decode slot
// when one opens (so the n samples share one prefill) and draws its first token from the prompt's last
// logits. Every decode step runs one forward call over all active samples; a finished sample frees its slot
// for the next waiting one at once. Finished samples are written in (problem, method, sample) order.
//
// The parts: SampleEngine.readPrompts turns problems into PromptJobs; the Scheduler holds the decode and prompt
// slots, the queue of prompts and the OrderedOutput; Prefill fills prompt slots; startSamples and decodeStep
// draw the tokens.
//
// Reproducibility: each sample draws from its own random stream keyed by (seed, problem id, method, sample
// index), and the decoder's logits for a token do not depend on what else shares its forward call
// (Tensor/RowMatmul.swift), so the output is byte-identical for any --batch and --threads.
import ChatTemplate
import Foundation
import Model
import Streams
import Tensor
import Tokenizers

public struct SampleOptions {
    /// A PEFT LoRA adapter merged into the model at load (st-train --lora's output).
    public var adapter: String?
    public var methods: [Method] = []
    public var n = 1
    public var settings = SamplingSettings()
    public var maxTokens = 256
    public var extraStops: [String] = []
    public var seed: UInt64 = 0
    public var batch = 16
    public var shard: (index: Int, count: Int)?
    public var tokenIDs = false
    public var idField: String?
    /// Keep decoding past <eos> (benchmarks that need a fixed length).
    public var ignoreEOS = false
    /// Prefix-LM decoding (a model trained with st-train --objective prefix-lm): the prompt's tokens attend to
    /// each other in both directions, as the prompt of a pair does in training; generated tokens are causal.
    public var prefixLM = false
    /// The rendered prompt is the user message of a conversation rendered with the model's chat template
    /// (after the method's system message, if any) and the generation prompt.
    public var chat = false
    /// The precision the decoder's matmuls read the weights in (LlamaDecoder: .bf16 rounds every parameter).
    public var weights: WeightPrecision = .f32
    public init() {}
}

/// Model's WeightPrecision, for the tools that import Sample only.
public typealias WeightPrecision = Model.WeightPrecision

/// One (problem, method) prompt and the state of its samples.
final class PromptJob {
    let record: JSONRecord
    let problemID: String
    let method: Method
    let methodIndex: Int
    let tokens: [Int32]
    /// The prompt as text (special tokens by name, <bos> left out): the M-step trains on prompt_text → completion.
    var promptText = ""
    /// With --chat, the messages before the reply (prompt_messages).
    var promptMessages: [(role: String, content: String)] = []
    let samples: [Int]            // sample indices still to draw (resume may skip some)
    let ordinalBase: Int
    var next = 0                  // next entry of `samples` to start
    var promptSlot: Int?          // where its prefix sits in the cache while samples remain
    var firstLogits: [Float] = []
    var prefillFlops = 0.0
    let stops: [[UInt8]]
    let maxNew: Int
    init(record: JSONRecord, problemID: String, method: Method, methodIndex: Int, tokens: [Int32], samples: [Int],
         ordinalBase: Int, stops: [[UInt8]], maxNew: Int) {
        self.record = record; self.problemID = problemID; self.method = method; self.methodIndex = methodIndex
        self.tokens = tokens; self.samples = samples; self.ordinalBase = ordinalBase; self.stops = stops; self.maxNew = maxNew
    }
    var started: Bool { next >= samples.count }
}

/// A sample being decoded in a slot.
struct Active {
    let job: PromptJob
    let sampleIndex: Int
    let ordinal: Int
    let slot: Int
    var rng: SeededRandom
    var tokens: [Int32] = []
    /// the completion's text so far (UTF-8): bytes of byte tokens, or what the streaming decoder emitted
    var bytes: [UInt8] = []
    /// a Hugging Face tokenizer's text, decoded as the ids arrive (nil: st's byte tokenizer)
    var stream: StreamingDecoder?
    /// ended by a stop string: the completion is `bytes` (else the decoded tokens)
    var stoppedByString = false
    var pending: Int32 = 0        // token to feed at `position`
    var position: Int
    var flops: Double
}

/// Where a run's time went (st-sample -v prints it): prompt tokens prefilled, tokens drawn, and the wall time
/// of each phase.
public struct SampleStats {
    public var prefillTokens = 0, prefillSeconds = 0.0
    public var decodeSteps = 0, decodeSeconds = 0.0
    public var generatedTokens = 0
}

/// The output in (problem, method, sample) order: every sample gets its place (ordinal) when its problem is read;
/// a finished sample waits here until all before it are written.
struct OrderedOutput {
    private var places: [(record: JSONRecord, kept: Bool)] = []
    private var done: [Int: [(String, JSON)]] = [:]   // ordinal -> fields, waiting for their turn
    private var next = 0

    /// The place of a sample still to draw from `record`.
    mutating func reserve(_ record: JSONRecord) { places.append((record, false)) }
    /// The place of a sample kept from the output (--resume): written as it was.
    mutating func keep(_ record: JSONRecord) {
        done[places.count] = []
        places.append((record, true))
    }
    mutating func finish(_ ordinal: Int, fields: [(String, JSON)]) { done[ordinal] = fields }

    /// Writes every finished sample whose turn has come.
    mutating func flush(to writer: JSONLWriter) throws {
        while next < places.count, let fields = done[next] {
            done[next] = nil
            let p = places[next]
            if p.kept { try writer.write(p.record) } else { try writer.write(p.record, setting: fields) }
            next += 1
        }
    }
    /// Places given so far.
    var count: Int { places.count }
    var isComplete: Bool { done.isEmpty && next == places.count }
}

/// Continuous batching: `batch` decode slots of the cache, prompt slots that hold prefilled prompts until all
/// their samples have started, the queue of prompts whose samples have not all started, and the ordered output.
final class Scheduler {
    private(set) var queue: [PromptJob] = []
    private var freeSlots: [Int]
    private var freePromptSlots: [Int]
    var output = OrderedOutput()

    init(decodeSlots: Int, promptSlots: Int) {
        freeSlots = Array((0..<decodeSlots).reversed())
        freePromptSlots = Array((decodeSlots..<decodeSlots + promptSlots).reversed())
    }

    func enqueue(_ job: PromptJob) { queue.append(job) }
    var hasFreeSlot: Bool { !freeSlots.isEmpty }
    var hasFreePromptSlot: Bool { !freePromptSlots.isEmpty }
    func takeSlot() -> Int { freeSlots.removeLast() }
    func releaseSlot(_ slot: Int) { freeSlots.append(slot) }

    /// The queued prompts about to start (one per free decode slot, at most `maxTokens` prompt tokens together
    /// unless the first alone is longer), each given a prompt slot: they are prefilled together.
    func takePrefillGroup(maxTokens: Int) -> [PromptJob] {
        var group: [PromptJob] = []
        var tokens = 0
        for j in queue where j.promptSlot == nil {
            guard group.count < min(freePromptSlots.count, freeSlots.count) else { break }
            guard tokens + j.tokens.count <= maxTokens || group.isEmpty else { break }
            group.append(j)
            tokens += j.tokens.count
        }
        for j in group { j.promptSlot = freePromptSlots.popLast()! }
        return group
    }

    /// The prompt at the head of the queue has started all its samples: its prompt slot is free again.
    func retireHead() {
        let job = queue.removeFirst()
        freePromptSlots.append(job.promptSlot!)
        job.promptSlot = nil
    }
}

/// Prefill: runs prompts through the model into their prompt slots of the cache and keeps each one's last logits
/// (its first sampled token's distribution).
///
/// Short prompts that start together share one call through the exact (row-independent) path: the weights are
/// read once for the group instead of once per prompt (perf: per-prompt BLAS calls re-packed every weight matrix
/// for each 64-token prompt), and a prompt's cache and first logits are the same whichever prompts share its
/// call. A prompt longer than `chunk` is prefilled alone, in chunks of that size, and a prefix-LM prompt alone in
/// one call (its tokens attend to the whole prompt): the same computation whatever --batch is, so both may take
/// the fast (BLAS) path. Which path a prompt takes depends only on the prompt, so the output never depends on
/// --batch.
struct Prefill {
    static let chunk = 256
    /// Most prompt tokens prefilled together in one forward call (prompts up to `chunk` tokens each).
    static let groupTokens = 512
    let decoder: LlamaDecoder
    let vocab: Int
    let prefixLM: Bool
    let flopsPerToken: Double
    let attentionFlopsPerPosition: Double

    func prefillsAlone(_ j: PromptJob) -> Bool { prefixLM || j.tokens.count > Prefill.chunk }

    func setFirstLogits(_ j: PromptJob, _ logits: UnsafePointer<Float>, row: Int) {
        j.firstLogits = Array(UnsafeBufferPointer(start: logits + row * vocab, count: vocab))
    }

    /// FLOPs of a causal prefill of n tokens.
    func causalPrefillFlops(_ n: Int) -> Double {
        let L = Double(n)
        return L * flopsPerToken + attentionFlopsPerPosition * L * (L + 1) / 2
    }

    /// Prefills a group of prompts that have their prompt slots.
    func run(_ group: [PromptJob], stats: inout SampleStats) throws {
        for j in group where prefillsAlone(j) { try alone(j, slot: j.promptSlot!, stats: &stats) }
        let short = group.filter { !prefillsAlone($0) }
        if short.isEmpty { return }
        let t0 = monotonicSeconds()
        var toks: [Int32] = [], sl: [Int32] = [], ps: [Int32] = []
        for j in short {
            toks += j.tokens
            sl += [Int32](repeating: Int32(j.promptSlot!), count: j.tokens.count)
            ps += (0..<j.tokens.count).map { Int32($0) }
        }
        // only each prompt's last logits: its first sampled token's
        var lastRows: [Int] = [], row = 0
        for j in short { row += j.tokens.count; lastRows.append(row - 1) }
        let logits = try decoder.forward(tokens: toks, slots: sl, positions: ps, logitRows: lastRows)
        for (i, j) in short.enumerated() {
            setFirstLogits(j, logits, row: i)
            j.prefillFlops = causalPrefillFlops(j.tokens.count)
        }
        stats.prefillTokens += toks.count
        stats.prefillSeconds += monotonicSeconds() - t0
    }

    /// A long or prefix-LM prompt, prefilled on its own.
    func alone(_ job: PromptJob, slot: Int, stats: inout SampleStats) throws {
        let t0 = monotonicSeconds()
        defer { stats.prefillTokens += job.tokens.count; stats.prefillSeconds += monotonicSeconds() - t0 }
        if prefixLM {
            let L = job.tokens.count
            let last = try decoder.forward(tokens: job.tokens, slots: [Int32](repeating: Int32(slot), count: L),
                                           positions: (0..<L).map { Int32($0) },
                                           kvEnd: [Int32](repeating: Int32(L), count: L), exact: false)
            setFirstLogits(job, last, row: L - 1)
            job.prefillFlops = Double(L) * flopsPerToken + attentionFlopsPerPosition * Double(L) * Double(L)
            return
        }
        let chunkSize = Prefill.chunk
        var start = 0
        var last: UnsafePointer<Float>? = nil
        while start < job.tokens.count {
            let end = min(job.tokens.count, start + chunkSize)
            let chunk = Array(job.tokens[start..<end])
            // the chunks before the last need no logits
            last = try decoder.forward(tokens: chunk, slots: [Int32](repeating: Int32(slot), count: chunk.count),
                                       positions: (start..<end).map { Int32($0) }, exact: false,
                                       logitRows: end < job.tokens.count ? [] : nil)
            start = end
        }
        let rows = job.tokens.count - (job.tokens.count - 1) / chunkSize * chunkSize
        setFirstLogits(job, last!, row: rows - 1)
        job.prefillFlops = causalPrefillFlops(job.tokens.count)
    }
}

/// The problems still to read, and where reading stands.
final class ProblemFeed {
    let reader: JSONLReader
    /// samples already in the output (--resume), keyed by "id\0method\0sample"
    let existing: [String: JSONRecord]
    var problemIndex = 0
    var exhausted = false
    init(reader: JSONLReader, existing: [String: JSONRecord]) { self.reader = reader; self.existing = existing }
}

public final class SampleEngine {
    public private(set) var stats = SampleStats()
    /// Samples finished so far in this run, and a hook called after each (st-sample's progress line).
    public private(set) var samplesDone = 0
    public var onSample: ((SampleEngine) -> Void)?
    public let model: LlamaModel
    public let tokenizer: ModelTokenizer
    /// generation ends at any of these (<eos> and <eom> for st's byte tokenizer; the model's eos list)
    let stopIDs: Set<Int32>
    public let modelID: String
    let options: SampleOptions
    let decoder: LlamaDecoder
    /// Cache slots that hold prefilled prompts until all their samples have started.
    let promptSlots: Int
    let prefill: Prefill
    let vocab: Int
    /// FLOPs of one token through the weight matmuls (2 per multiply-add; embedding lookups are free).
    let flopsPerToken: Double
    let attentionFlopsPerPosition: Double

    public init(modelDirectory dir: String, options: SampleOptions) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue || dir.hasSuffix(".gguf") else {
            throw ToolInputError("\(dir): no such model directory or .gguf file")
        }
        do {
            model = try LlamaModel.load(path: dir, adapter: options.adapter)
            tokenizer = try ModelTokenizer.load(dir)
        } catch {
            throw ToolInputError("\(dir): cannot load model: \(error)")
        }
        guard tokenizer.vocabSize <= model.config.vocabSize else {
            throw ToolInputError("\(dir): tokenizer has \(tokenizer.vocabSize) tokens but the model only \(model.config.vocabSize)")
        }
        if options.chat && tokenizer.chatTemplate == nil {
            throw ToolInputError("--chat: \(tokenizer.origin) has no chat template")
        }
        if let b = tokenizer.byte { stopIDs = [b.eos, b.eom] } else { stopIDs = Set(tokenizer.eos) }
        self.options = options
        let c = model.config
        vocab = c.vocabSize
        promptSlots = min(16, max(2, options.batch))
        // a forward call takes a decode step, a group of short prompts, or a whole prefix-LM prompt
        decoder = LlamaDecoder(model: model, slots: options.batch + promptSlots, maxLen: c.maxPositions,
                               maxTokens: max(options.batch, options.prefixLM ? c.maxPositions : Prefill.groupTokens),
                               weights: options.weights)
        let perLayer = Double(c.hiddenSize * c.qkvSize + c.numHeads * c.headDim * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize)
        flopsPerToken = 2 * (Double(c.numLayers) * perLayer + Double(c.hiddenSize * c.vocabSize))
        attentionFlopsPerPosition = 4 * Double(c.numLayers * c.numHeads * c.headDim)
        prefill = Prefill(decoder: decoder, vocab: vocab, prefixLM: options.prefixLM, flopsPerToken: flopsPerToken,
                          attentionFlopsPerPosition: attentionFlopsPerPosition)
        modelID = SampleEngine.identify(dir) + (options.adapter.map { "+" + SampleEngine.identify($0, weights: LoRAConfig.weightsFile) } ?? "")
        // each {@name} against this tokenizer before any problem is read: the error names the method file's line
        for m in options.methods { try adapt(m).checkSpecials(chat: options.chat) { tokenizer.special(named: $0) != nil } }
    }

    /// `<directory name>@<12 hex digits of a hash of the weights>` (with --adapter, `+<adapter>@<its hash>` after
    /// it): tells checkpoints apart in sample files.
    static func identify(_ dir: String, weights file: String = LlamaModel.weightsFile) -> String {
        let name = URL(fileURLWithPath: dir).standardizedFileURL.lastPathComponent
        // a .gguf file is its own weights
        let weights = dir.hasSuffix(".gguf") ? dir : (dir as NSString).appendingPathComponent(file)
        // hashed from a read-only mapping of the file: no copy of the weights into memory
        let fd = open(weights, O_RDONLY)
        guard fd >= 0 else { return name }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return name }
        let size = Int(st.st_size)
        let h: Hash128
        if size == 0 { h = Hash128([UInt8]()) } else {
            guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else { return name }
            defer { munmap(m, size) }
            _ = madvise(m, size, MADV_SEQUENTIAL)
            h = Hash128(UnsafeRawBufferPointer(start: m, count: size))
        }
        return name + "@" + String(String(h.a, radix: 16).suffix(12))
    }

    /// The prompt's ids: <bos> when the tokenizer adds one, each text segment encoded once (merges never cross
    /// a special token the template puts between segments), each {@name} as its id.
    func encode(_ pieces: [PromptPiece]) throws -> [Int32] {
        var ids: [Int32] = tokenizer.addBOS ? [tokenizer.bos!] : []
        for (i, p) in pieces.enumerated() {
            switch p {
            case .text(let t): ids += try tokenizer.encode(t)
            // a template that starts with {@bos} for a tokenizer that adds one gets one <bos>, not two
            case .special("bos") where i == 0 && tokenizer.addBOS: continue
            case .special(let name):
                guard let id = tokenizer.special(named: name) else { throw ToolInputError("unknown special token {@\(name)}") }
                ids.append(id)
            }
        }
        return ids
    }

    /// The method as this model runs it: infill in the model's own FIM format when its vocabulary has one.
    func adapt(_ m: Method) -> Method {
        guard m.name == "infill" && m.template == BuiltinMethods.named("infill")!.template, tokenizer.fim != nil else { return m }
        var a = m
        a.template = "{@fim_prefix}{prefix}{@fim_suffix}{suffix}{@fim_middle}"
        return a
    }

    /// The prompt's ids and its text: with --chat, the rendered prompt as the user message of a conversation
    /// through the chat template (after the method's system message) with the generation prompt, encoded once
    /// with no special tokens added (the template writes them), as apply_chat_template tokenizes.
    func prompt(_ m: Method, _ pieces: [PromptPiece]) throws -> (ids: [Int32], text: String, messages: [(role: String, content: String)]) {
        guard options.chat else {
            // <bos> left out of the text, also when the template writes it ({@bos} first)
            let text = pieces.enumerated().map { i, p in
                if case .text(let t) = p { return t }
                if case .special(let n) = p { return i == 0 && n == "bos" ? "" : "<\(n)>" }
                return ""
            }.joined()
            return (try encode(pieces), text, [])
        }
        var user = ""
        for p in pieces {
            switch p {
            case .text(let t): user += t
            case .special(let n): throw ToolInputError("method \(m.name): {@\(n)} cannot be part of a chat message (--chat)")
            }
        }
        var sent: [(role: String, content: String)] = []
        if let s = m.system { sent.append(("system", s)) }
        sent.append(("user", user))
        let text: String
        do { text = try tokenizer.renderChat(sent.map { .message($0.role, $0.content) }, addGenerationPrompt: true) } catch {
            throw ToolInputError("\(tokenizer.origin): chat template: \(error)")
        }
        return (try tokenizer.encode(text), text, sent)
    }

    /// The problem's name by the schema's rule (`ProblemID.key`: field path `field`, else the first id field
    /// present, else a hash of its text); nil if none. st-sample checks `field` is a valid path before it reads
    /// any record.
    public static func problemID(_ r: JSONRecord, field: String?) -> String? {
        (try? ProblemID.key(r, named: field)) ?? nil
    }

    /// The random stream of one sample.
    static func stream(seed: UInt64, problem: String, method: String, sample: Int) -> SeededRandom {
        let key = Hash128(Array("\(problem)\u{0}\(method)\u{0}\(sample)".utf8))
        return SeededRandom(seed: seed, stream: key.a)
    }

    /// Samples every problem of `reader` and writes the records to `writer`. `existing` holds samples already
    /// in the output (--resume), keyed by "id\0method\0sample"; they are written in place, not redrawn.
    public func run(reader: JSONLReader, writer: JSONLWriter, existing: [String: JSONRecord] = [:]) throws {
        let feed = ProblemFeed(reader: reader, existing: existing)
        let sched = Scheduler(decodeSlots: options.batch, promptSlots: promptSlots)
        let sampler = Sampler(options.settings)
        // the sampler chain's room, one per sampling thread
        let scratch = (0..<max(1, Threads.count)).map { _ in SamplerScratch(vocab: vocab) }
        var active: [Active] = []
        while true {
            try readPrompts(feed, into: sched)
            try startSamples(sched, feed: feed, sampler: sampler, scratch: scratch[0], active: &active)
            try sched.output.flush(to: writer)
            if active.isEmpty {
                if sched.queue.isEmpty && feed.exhausted { break }
                continue
            }
            try decodeStep(&active, sched: sched, sampler: sampler, scratch: scratch)
        }
        try sched.output.flush(to: writer)
        precondition(sched.output.isComplete, "sampling ended with unwritten samples")
    }

    /// Reads problems into the queue: a PromptJob per (problem, method) with samples still to draw, every sample
    /// given its place in the output. Keeps a few prompts ahead so free slots never wait on input.
    func readPrompts(_ feed: ProblemFeed, into sched: Scheduler) throws {
        let reader = feed.reader
        while !feed.exhausted && sched.queue.count < promptSlots + 2 {
            guard let r = try reader.next() else { feed.exhausted = true; return }
            let problemIndex = feed.problemIndex
            defer { feed.problemIndex += 1 }
            if let s = options.shard, problemIndex % s.count != s.index { continue }
            let rec = r.copy()
            let id = SampleEngine.problemID(rec, field: options.idField) ?? "#\(problemIndex)"
            for (mi, m) in options.methods.enumerated() {
                let tokens: [Int32]
                let promptText: String, messages: [(role: String, content: String)]
                do { (tokens, promptText, messages) = try prompt(m, try adapt(m).render(rec)) } catch {
                    throw DataError(file: reader.file, line: reader.line, message: "\(error)")
                }
                let maxNew = min(m.maxTokens ?? options.maxTokens, decoder.maxLen - tokens.count)
                guard maxNew > 0 else {
                    throw DataError(file: reader.file, line: reader.line,
                                    message: "prompt of method \(m.name) is \(tokens.count) tokens, the model's context is \(decoder.maxLen)")
                }
                var todo: [Int] = []
                for s in 0..<options.n {
                    if let old = feed.existing["\(id)\u{0}\(m.name)\u{0}\(s)"] { sched.output.keep(old) }
                    else { todo.append(s); sched.output.reserve(rec) }
                }
                if todo.isEmpty { continue }
                // the prompt's n places are the last n reserved: sample s sits at ordinalBase + s
                let ordinalBase = sched.output.count - options.n
                let stops = (m.stop + options.extraStops).filter { !$0.isEmpty }.map { Array($0.utf8) }
                let job = PromptJob(record: rec, problemID: id, method: m, methodIndex: mi, tokens: tokens, samples: todo,
                                    ordinalBase: ordinalBase, stops: stops, maxNew: maxNew)
                job.promptText = promptText
                job.promptMessages = messages
                sched.enqueue(job)
            }
        }
    }

    /// Starts samples in free decode slots, prefilling prompts as they come up: a sample copies its prompt's
    /// prefix from the prompt slot and draws its first token from the prompt's last logits.
    func startSamples(_ sched: Scheduler, feed: ProblemFeed, sampler: Sampler, scratch: SamplerScratch,
                      active: inout [Active]) throws {
        while sched.hasFreeSlot, let job = sched.queue.first {
            if job.promptSlot == nil {
                guard sched.hasFreePromptSlot else { break }
                try prefill.run(sched.takePrefillGroup(maxTokens: Prefill.groupTokens), stats: &stats)
            }
            let slot = sched.takeSlot()
            let s = job.samples[job.next]
            job.next += 1
            decoder.copySlot(from: job.promptSlot!, to: slot, length: job.tokens.count)
            var a = Active(job: job, sampleIndex: s, ordinal: job.ordinalBase + s, slot: slot,
                           rng: SampleEngine.stream(seed: options.seed, problem: job.problemID, method: job.method.name, sample: s),
                           position: job.tokens.count, flops: job.prefillFlops / Double(job.samples.count))
            if tokenizer.byte == nil { a.stream = tokenizer.tokenizer.streamingDecoder(skipSpecialTokens: true) }
            let first = job.firstLogits.withUnsafeBufferPointer { sampler.next($0.baseAddress!, vocab: vocab, rng: &a.rng, scratch: scratch) }
            stats.generatedTokens += 1
            if job.started {
                sched.retireHead()
                try readPrompts(feed, into: sched)
            }
            if let reason = accept(&a, first) {
                finish(a, reason: reason, sched); sched.releaseSlot(slot)
            } else {
                a.pending = first
                active.append(a)
            }
        }
    }

    /// One decode step: a forward call over every active sample, a token drawn for each.
    func decodeStep(_ active: inout [Active], sched: Scheduler, sampler: Sampler, scratch: [SamplerScratch]) throws {
        let t0 = monotonicSeconds()
        defer { stats.decodeSteps += 1; stats.decodeSeconds += monotonicSeconds() - t0 }
        stats.generatedTokens += active.count
        let logits = try decoder.forward(tokens: active.map(\.pending), slots: active.map { Int32($0.slot) },
                                         positions: active.map { Int32($0.position) })
        let drawn = draw(logits, &active, sampler: sampler, scratch: scratch)
        var still: [Active] = []
        for (i, var a) in active.enumerated() {
            a.flops += flopsPerToken + attentionFlopsPerPosition * Double(a.position + 1)
            a.position += 1
            let t = drawn[i]
            if let reason = accept(&a, t) ?? (a.position >= decoder.maxLen ? "length" : nil) {
                finish(a, reason: reason, sched); sched.releaseSlot(a.slot)
            } else {
                a.pending = t
                still.append(a)
            }
        }
        active = still
    }

    /// Draws every active sample's next token from its row of `logits`, the samples spread over the threads: a
    /// draw depends only on its row and its sample's own random stream, so the tokens are the same for any
    /// thread count.
    func draw(_ logits: UnsafePointer<Float>, _ active: inout [Active], sampler: Sampler, scratch: [SamplerScratch]) -> [Int32] {
        let n = active.count, workers = min(scratch.count, n)
        var rngs = active.map(\.rng)
        var drawn = [Int32](repeating: 0, count: n)
        let V = vocab
        rngs.withUnsafeMutableBufferPointer { rp in
            drawn.withUnsafeMutableBufferPointer { dp in
                let r = SendablePointer(rp.baseAddress!), d = SendablePointer(dp.baseAddress!)
                parallelChunks(workers) { w in
                    for i in stride(from: w, to: n, by: workers) {
                        d.p[i] = sampler.next(logits + i * V, vocab: V, rng: &r.p[i], scratch: scratch[w])
                    }
                }
            }
        }
        for i in 0..<n { active[i].rng = rngs[i] }
        return drawn
    }

    /// Appends a drawn token; returns the finish reason when the sample is complete.
    func accept(_ a: inout Active, _ token: Int32) -> String? {
        if !options.ignoreEOS && stopIDs.contains(token) { return "stop" }
        a.tokens.append(token)
        if a.stream != nil {
            // Stop strings match the decoded text, across token boundaries: the first occurrence that the new
            // piece completes ends the sample, and the completion is the text before it.
            if let piece = a.stream!.step(token) {
                let old = a.bytes.count
                a.bytes.append(contentsOf: piece.utf8)
                var cut: Int?
                for s in a.job.stops where a.bytes.count >= s.count {
                    var j = max(0, old - s.count + 1)
                    while j + s.count <= a.bytes.count {
                        if a.bytes[j] == s[0] && a.bytes[j ..< j + s.count].elementsEqual(s) { cut = min(cut ?? j, j); break }
                        j += 1
                    }
                }
                if let cut {
                    a.bytes.removeLast(a.bytes.count - cut)
                    a.stoppedByString = true
                    return "stop"
                }
            }
        } else if token < 256 {
            a.bytes.append(UInt8(token))
            for s in a.job.stops where a.bytes.count >= s.count {
                // A stop string can only complete at the end; search the tail it could occupy.
                if a.bytes.suffix(s.count).elementsEqual(s) {
                    a.bytes.removeLast(s.count)
                    return "stop"
                }
            }
        }
        if a.tokens.count >= a.job.maxNew { return "length" }
        return nil
    }

    /// The completion's text: the bytes of byte tokens; with a Hugging Face tokenizer the text decoded up to
    /// the stop string, or all the tokens decoded (special tokens left out).
    func completion(_ a: Active) -> String {
        if a.stream == nil || a.stoppedByString { return String(decoding: a.bytes, as: UTF8.self) }
        return tokenizer.decode(a.tokens, skipSpecialTokens: true)
    }

    /// A complete sample's fields, handed to the output to wait for their turn.
    func finish(_ a: Active, reason: String, _ sched: Scheduler) {
        typealias F = RecordField
        var fields: [(String, JSON)] = []
        if a.job.method.translates {
            if let c = a.job.record[F.completion] { fields.append((F.sourceCompletion, c)) }
            if let m = a.job.record[F.method] { fields.append((F.sourceMethod, m)) }
        }
        fields += [
            (F.method, JSON(a.job.method.name)), (F.sample, JSON(a.sampleIndex)),
            (F.promptText, JSON(a.job.promptText)),
            (F.completion, JSON(completion(a))), (F.finish, JSON(reason)),
            (F.promptTokens, JSON(a.job.tokens.count)), (F.completionTokens, JSON(a.tokens.count)),
            (F.flops, JSON(a.flops.rounded())), (F.model, JSON(modelID)), (F.seed, JSON(Int(truncatingIfNeeded: options.seed))),
            (F.temperature, JSON(options.settings.temperature)),
        ]
        if options.chat {
            fields.append((F.promptMessages, .array(a.job.promptMessages.map { JSON.object(JSONObject([("role", JSON($0.role)), ("content", JSON($0.content))])) })))
        }
        if options.tokenIDs { fields.append((F.completionIDs, .array(a.tokens.map { JSON(Int($0)) }))) }
        sched.output.finish(a.ordinal, fields: fields)
        samplesDone += 1
        onSample?(self)
    }
}
