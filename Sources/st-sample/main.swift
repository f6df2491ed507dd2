// st-sample: draws candidate solutions per problem and method from a model.
import ArgumentParser
import Foundation
import Sample
import Streams
import Tensor
import ToolSupport

struct STSample: ToolCommand {
    static let attachedShortOptions: Set<Character> = ["o", "n"]
    static let configuration = CommandConfiguration(
        commandName: "st-sample",
        abstract: "Sample candidate solutions from a model, per problem and method.",
        discussion: """
        For each problem record of the INPUTs and each --method, renders the method's prompt and draws -n \
        samples. Each output record holds every field of the problem plus: method, sample (index), prompt_text \
        (the prompt the model saw, special tokens by name, <bos> left out: st-train --prompt-field prompt_text \
        trains on exactly it), completion (without the stop string), finish ("stop": end of text or a stop string; "length": --max-tokens or the \
        context ran out), prompt_tokens, completion_tokens, flops, model (directory name @ a hash of the \
        weights), seed, temperature, with --chat prompt_messages (the system and user messages sent; st-train --chat trains \
        on them plus the completion), and with --token-ids completion_ids. A translation method (text-to-code, \
        code-to-text) reads an earlier sample and keeps its completion and method as source_completion and \
        source_method. Records come out in problem, method, sample order.

        Methods: raw (the record's prompt field as written); text and code (the embedded arithmetic tasks: \
        chain of thought and Python program, the prompts of st-tasks' seed set); text-to-code and code-to-text \
        (MMST translations of an earlier sample); chat-text and chat-code (with --chat, for an instruct model: \
        a word problem's question field, st-tasks' arithmetic or GSM8K, asked for a worked solution ending \
        'Answer: N' or for a Python program in a ```python block that prints the answer); humaneval (a HumanEval-format prompt, also the embedded \
        function tasks); infill (the middle between prefix and suffix fields, CodeGen2's format, for a model \
        trained with FIM); gsm8k, math, mbpp (the public benchmark record formats). A method file defines \
        another: header lines 'name:', 'stop:' (repeatable; \\n escapes), 'max-tokens:', 'system:' (--chat), then a line '---', \
        then the template, in which {field} inserts a problem field (an array joined by newlines), {@name} a \
        special token (e.g. {@mask_1}) and {{ }} literal braces.

        Tokenizer: the model directory's (st-tokenizer.json, or a Hugging Face tokenizer.json with \
        tokenizer_config.json / generation_config.json). A text segment of the prompt is encoded once, special \
        tokens go between segments where the template puts them. With a Hugging Face tokenizer that has \
        <fim_prefix>/<fim_suffix>/<fim_middle>, infill uses them (<fim_prefix> prefix <fim_suffix> suffix \
        <fim_middle>). --chat renders a conversation with the model's chat template (tokenizer_config.json's \
        chat_template or chat_template.jinja): the method's 'system:' header, if any, as the system message, \
        the rendered prompt as the user message, then the generation prompt; prompt_text is that rendering. \
        --chat on a model without a chat template is an error.

        Decoding: the prompt starts with <bos> (when the tokenizer adds one); samples end at <eos> (or <eom> \
        for infill; the model's eos tokens, e.g. generation_config.json's list, with a Hugging Face \
        tokenizer), a stop string, or --max-tokens. Stop strings match the decoded text, across token \
        boundaries; the completion is the decoded text before the stop string. Temperature, then top-k, then top-p, then min-p, then one draw (the order of Hugging Face \
        transformers and vLLM); --temperature 0 is greedy (lowest token id on ties). Each sample has its own \
        random stream keyed by --seed, problem id, method and sample index, and a token's logits do not depend \
        on the batch, so output is byte-identical for any --batch or --threads, and --shard or --resume runs \
        reproduce exactly the samples of one big run. The problem id is the first of \(ProblemID.idFields.joined(separator: ", ")) \
        present (or --\(ProblemID.option)), else a hash of its text (the first of \(ProblemID.textFields.joined(separator: ", ")), \
        so dropping a line changes no other problem's samples), else its position. --prefix-lm decodes as a \
        model trained with st-train --objective prefix-lm reads a pair: the prompt's tokens (with <bos>) \
        attend to each other in both directions, generated tokens causally.

        flops is 2 × (weight-matmul parameters) per token processed plus 4 × layers × heads × head size per \
        attended position, with the prompt's prefill shared equally among the samples drawn from it in this run \
        (so samples added by --resume carry the cost of the prefill they needed).

        Batching: up to --batch sequences decode together over a key-value cache; a finished sample's slot \
        takes the next waiting one at once (continuous batching); a prompt is prefilled once and shared by its \
        n samples. -v reports where the time went: prompt tokens prefilled and their time, decode steps and \
        milliseconds per step, and tokens generated per second.

        Weights: --dtype bf16 rounds every parameter of the model to bfloat16 (to nearest, ties to even) when \
        it is loaded and has the decoding matmuls read them as bf16, half the bytes of f32; each weight is \
        widened back to f32 exactly in the kernel and all arithmetic stays f32, so the output is byte for byte \
        what --dtype f32 gives on a model whose weights were rounded to bf16 beforehand, still the same for any \
        --batch, --threads or CPU. It differs from --dtype f32 on the original weights by that rounding \
        (relative 2^-9 per weight).

        EXAMPLES:
          # 16 chain-of-thought and 16 program samples per training problem
          st-sample data/generated/arith-train.jsonl.zst --model round-0/model --method text --method code -n 16 --temperature 0.7 --top-k 40 -o samples.jsonl.zst
          # Greedy evaluation on the test split
          st-sample data/generated/arith-test.jsonl.zst --model round-1/model --method text -n 1 --temperature 0 -o eval-samples.jsonl.zst
          # Shard 2 of 4 (0-based), joined later with cat
          st-sample problems.jsonl.zst --model m --method code -n 32 --shard 2/4 -o shard-2.jsonl.zst
          # Raise -n from 16 to 32 without redrawing the first 16
          st-sample problems.jsonl.zst --model m --method text -n 32 --resume -o samples.jsonl.zst

        EXIT STATUS:
          0   success
          1   bad input: a missing model or prompt field, an unknown method, --chat without a chat template, a prompt longer than the context, an unwritable output; nothing is written
          64  usage error (e.g. -n 0)
        """)

    @Argument(help: ArgumentHelp("Problem files (.jsonl, .jsonl.zst); '-' or none reads stdin.", valueName: "input"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Model: a directory (config.json, weights, tokenizer) or a .gguf file.", valueName: "dir|file.gguf"))
    var model: String

    @Option(help: ArgumentHelp("A PEFT LoRA adapter of --model (st-train --lora's output), merged into it at load.", valueName: "dir"))
    var adapter: String?

    @Option(help: ArgumentHelp("A built-in method or a method file (repeatable).", valueName: "name|file"))
    var method: [String] = []

    @Option(name: .short, parsing: .unconditional, help: ArgumentHelp("Samples per problem and method.", valueName: "n"))
    var n: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Sampling temperature; 0 is greedy.", valueName: "t"))
    var temperature: Double = 1

    @Option(name: .customLong("top-k"), parsing: .unconditional, help: ArgumentHelp("Keep the k most likely tokens (0: all).", valueName: "k"))
    var topK: Int = 0

    @Option(name: .customLong("top-p"), parsing: .unconditional, help: ArgumentHelp("Keep the smallest set of tokens with this much probability (1: all).", valueName: "p"))
    var topP: Double = 1

    @Option(name: .customLong("min-p"), parsing: .unconditional, help: ArgumentHelp("Drop tokens less likely than this fraction of the top token (0: none).", valueName: "p"))
    var minP: Double = 0

    @Option(name: .customLong("max-tokens"), help: ArgumentHelp("Most new tokens per sample (a method file may set its own).", valueName: "n"))
    var maxTokens: Int = 256

    @Option(help: ArgumentHelp("Another stop string (repeatable; \\n escapes).", valueName: "text"))
    var stop: [String] = []

    @Option(help: ArgumentHelp("Sequences decoded together.", valueName: "n"))
    var batch: Int = 32

    @Option(help: ArgumentHelp("Take shard I of N (0 ≤ I < N) of the problems, by position.", valueName: "I/N"))
    var shard: String?

    @Flag(help: "Keep the samples already in the output file and draw only the missing ones.")
    var resume = false

    @Flag(name: .customLong("token-ids"), help: "Add the completion's token ids as completion_ids.")
    var tokenIDs = false

    @Option(help: ArgumentHelp("Weight precision of the decoding matmuls: f32, or bf16 (every weight rounded to bfloat16, arithmetic f32).", valueName: "f32|bf16"))
    var dtype: String = "f32"

    @Flag(name: .customLong("ignore-eos"), help: "Keep decoding past <eos> until --max-tokens or a stop string (for benchmarks).")
    var ignoreEOS = false

    @Flag(help: "Send the rendered prompt as the user message through the model's chat template (with the generation prompt); stop at the model's eos tokens.")
    var chat = false

    @Flag(name: .customLong("prefix-lm"), help: "Attend bidirectionally within the prompt (a model trained with --objective prefix-lm).")
    var prefixLM = false

    @Option(name: .customLong(ProblemID.option), help: ArgumentHelp("Field that identifies a problem.", valueName: "path"))
    var idField: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if n < 1 { throw ValidationError("-n must be at least 1, got \(n)") }
        if !(temperature.isFinite && temperature >= 0) { throw ValidationError("--temperature must be a finite number ≥ 0, got \(temperature)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        if !(minP >= 0 && minP < 1) { throw ValidationError("--min-p must be in [0, 1), got \(minP)") }
        if topK < 0 { throw ValidationError("--top-k must be at least 0, got \(topK)") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if method.isEmpty { throw ValidationError("give at least one --method") }
        if WeightPrecision(rawValue: dtype) == nil { throw ValidationError("--dtype takes f32 or bf16, got '\(dtype)'") }
        if let s = shard, parseShard(s) == nil { throw ValidationError("--shard takes I/N with 0 <= I < N, got '\(s)'") }
        if resume && (common.output == nil || common.output == "-") { throw ValidationError("--resume needs -o FILE") }
        if let f = idField, (try? FieldPath(f)) == nil { throw ValidationError("--\(ProblemID.option): '\(f)' is not a field path") }
    }

    /// How many samples this run draws, for the ETA: the problems of the input files (read once more; nil for
    /// stdin) in this shard, times methods and n, less those --resume keeps.
    func expectedSamples(existing: Int) throws -> Int? {
        if inputs.isEmpty || inputs.contains("-") { return nil }
        let r = try JSONLReader(paths: inputs, allowEmpty: true)
        var problems = 0, index = 0
        let sh = shard.flatMap(parseShard)
        while try r.next() != nil {
            if sh.map({ index % $0.1 == $0.0 }) ?? true { problems += 1 }
            index += 1
        }
        return max(0, problems * method.count * n - existing)
    }

    func parseShard(_ s: String) -> (Int, Int)? {
        let p = s.split(separator: "/").compactMap { Int($0) }
        guard p.count == 2, p[1] >= 1, p[0] >= 0, p[0] < p[1] else { return nil }
        return (p[0], p[1])
    }

    func run() throws {
        if let t = common.threads { Threads.set(t) }
        var o = SampleOptions()
        o.methods = try method.map(resolveMethod)
        if Set(o.methods.map(\.name)).count != o.methods.count { throw ToolError("a method is named twice") }
        o.n = n
        o.settings.temperature = temperature; o.settings.topK = topK; o.settings.topP = topP; o.settings.minP = minP
        o.maxTokens = maxTokens
        o.extraStops = stop.map { $0.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t") }
        o.seed = common.seed
        o.batch = batch
        o.shard = shard.flatMap(parseShard).map { (index: $0.0, count: $0.1) }
        o.tokenIDs = tokenIDs
        o.idField = idField
        o.ignoreEOS = ignoreEOS
        o.prefixLM = prefixLM
        o.chat = chat
        o.weights = WeightPrecision(rawValue: dtype)!
        o.adapter = adapter

        let reader = try openInputs(inputs, tool: Self.toolName, common: common)
        let engine = try SampleEngine(modelDirectory: model, options: o)
        var existing: [String: JSONRecord] = [:]
        if resume, let out = common.output, FileManager.default.fileExists(atPath: out) {
            let old = try JSONLReader(paths: [out], allowEmpty: true)
            while let r = try old.next() {
                guard let m = r[RecordField.method]?.string, let s = r[RecordField.sample]?.int else {
                    throw DataError(file: old.file, line: old.line, message: "not a sample record (no method or sample field)")
                }
                if let seed = r["seed"]?.int, UInt64(truncatingIfNeeded: seed) != common.seed {
                    throw DataError(file: old.file, line: old.line, message: "made with --seed \(seed); --resume needs the same seed")
                }
                if let t = r["temperature"]?.double, t != temperature {
                    throw DataError(file: old.file, line: old.line, message: "made with --temperature \(t); --resume needs the same settings")
                }
                guard let id = SampleEngine.problemID(r, field: idField) else {
                    throw DataError(file: old.file, line: old.line,
                                    message: "--resume needs problem ids (\(ProblemID.idFields.joined(separator: ", ")), or --\(ProblemID.option)) or a problem text (\(ProblemID.textFields.joined(separator: ", ")))")
                }
                existing["\(id)\u{0}\(m)\u{0}\(s)"] = r.copy()
            }
        }
        let writer = try JSONLWriter(path: common.output)
        if common.showProgress {
            reader.progress = nil   // the input's records are problems: the samples are what takes the time
            engine.onSample = SampleProgress(total: try expectedSamples(existing: existing.count)).update
        }
        try engine.run(reader: reader, writer: writer, existing: existing)
        if common.showProgress { fputs("\r\u{1B}[K", stderr) }
        try writer.commit()
        if common.verbose {
            let st = engine.stats
            note(Self.toolName, "wrote \(writer.records) samples with \(engine.modelID)")
            note(Self.toolName, String(format: "prefill: %d prompt tokens in %.3f s; decode: %d steps in %.3f s (%.2f ms per step)",
                                       st.prefillTokens, st.prefillSeconds, st.decodeSteps, st.decodeSeconds,
                                       1000 * st.decodeSeconds / Double(max(st.decodeSteps, 1))))
            note(Self.toolName, String(format: "generated %d tokens at %.0f tokens/s (prefill and decode time)", st.generatedTokens,
                                       Double(st.generatedTokens) / max(st.prefillSeconds + st.decodeSeconds, 1e-9)))
        }
    }
}

/// The progress line on stderr (a terminal, not -q): samples done, generated tokens per second, and with a
/// known total the share done and an ETA; redrawn at most four times a second.
final class SampleProgress {
    let total: Int?
    let started = monotonicSeconds()
    var lastPrint = 0.0

    init(total: Int?) { self.total = total }

    func update(_ e: SampleEngine) {
        let now = monotonicSeconds()
        guard now - lastPrint >= 0.25 else { return }
        lastPrint = now
        let elapsed = max(now - started, 1e-9), done = e.samplesDone
        var line = "st-sample: \(done)\(total.map { "/\($0)" } ?? "") samples, "
            + "\(Int(Double(e.stats.generatedTokens) / elapsed)) tokens/s"
        if let t = total, t > 0 {
            let eta = elapsed / Double(max(done, 1)) * Double(max(t - done, 0))
            line += ", \(min(100, done * 100 / t))%, ETA \(Int(eta))s"
        }
        fputs("\r\u{1B}[K" + line, stderr)
    }
}

STSample.runTool()
