// st-eval --loss: the mean token loss and perplexity of a model on a dataset.
//
// The examples are read by st-train's ExampleStore (same fields, masking, <bos>/<eos>, weights, context and
// --long rules), laid out by its Packer in file order (packed rows, block-diagonal attention) and measured by
// TrainCore.evaluate — the very code of st-train's --val, so for the same data, --context and --batch the
// number is st-train's val_loss.
import Foundation
import Model
import Streams
import Tensor
import Train

public struct LossOptions {
    /// A PEFT LoRA adapter merged into the model at load.
    public var adapter: String?
    public var fields = FieldNames()
    public var context = 256
    /// rows per forward pass (only the float rounding of the sum depends on it)
    public var batch = 8
    public var long = LongPolicy.truncate
    public var threads = 1
    /// pairs as conversations through the model's chat template (st-train --chat)
    public var chat = false
    public init() {}
}

public struct LossResult {
    /// Σ w·nll / Σ w over scored tokens, in nats
    public var loss = Double.nan
    /// scored tokens (target positions), and the sum of their weights
    public var tokens = 0
    public var weight = 0.0
    public var report = LoadReport()
    public var perplexity: Double { exp(loss) }
}

/// Measure the model in `modelDirectory` on the examples read from `reader`. `warn` gets notes about
/// truncated or skipped examples. Throws a one-line ToolInputError / DataError on bad input.
public func measureLoss(modelDirectory dir: String, reader: JSONLReader, names: String, options o: LossOptions,
                        warn: (String) -> Void = { _ in }) throws -> LossResult {
    Threads.set(max(1, o.threads))
    let model: LlamaModel, tok: ModelTokenizer
    do {
        model = try LlamaModel.load(directory: dir)
        tok = try ModelTokenizer.load(dir)
        if let a = o.adapter {
            do { try LoRAAdapters.load(directory: a, model: model).merge(into: model) } catch let e as ModelError {
                throw ToolInputError("--adapter: \(e.description)")
            }
        }
        if tok.vocabSize > model.config.vocabSize {
            throw ModelError("\(dir): tokenizer has \(tok.vocabSize) tokens but vocab_size is \(model.config.vocabSize)")
        }
    } catch let e as ModelError {
        throw ToolInputError("--model: \(e.description)")
    }
    if o.chat && tok.chatTemplate == nil { throw ToolInputError("--chat: \(tok.origin) has no chat template") }
    if o.context > model.config.maxPositions {
        throw ToolInputError("--context \(o.context) exceeds \(dir)'s max_position_embeddings (\(model.config.maxPositions))")
    }
    let store = ExampleStore(tokenizer: tok, chat: o.chat, fields: o.fields, context: o.context, long: o.long)
    try store.load(reader)
    let r = store.report
    if r.truncated > 0 { warn("\(r.truncated) of \(r.records) examples longer than the context (\(o.context + 1) tokens): truncated") }
    if r.skippedLong > 0 { warn("\(r.skippedLong) of \(r.records) examples longer than the context (\(o.context + 1) tokens): skipped") }
    if r.skippedNoLoss > 0 { warn("\(r.skippedNoLoss) of \(r.records) examples skipped: the prompt fills the context") }
    if store.count == 0 {
        throw ToolInputError("\(names): no example to score (\(r.records) records: \(r.zeroWeight) with weight 0, "
            + "\(r.skippedLong + r.skippedNoLoss) too long)")
    }
    // file order, packed, the objective is plain next-token prediction (no random cuts: the seed is unused)
    let packer = Packer(transformer: Transformer(store: store, mix: ObjectiveMix([(.causal, 1)]), seed: 0),
                        context: o.context, pack: true, shuffle: false, maxEpochs: 1)
    var tokens = 0, weight = 0.0
    // rows are packed batch by batch as the model reads them, and counted on the way
    let batches = packer.batchSequence(rows: o.batch).lazy.map { rows -> [Row] in
        for row in rows {
            tokens += row.lossPositions
            for t in 0..<row.targets.count where row.targets[t] >= 0 { weight += Double(row.weights[t]) }
        }
        return rows
    }
    let core = TrainCore(model: model, packer: packer, batch: o.batch, accum: 1)
    var res = LossResult()
    res.report = r
    res.loss = core.evaluate(batches)
    res.tokens = tokens; res.weight = weight
    if !res.loss.isFinite { throw ToolInputError("\(dir): the loss is \(res.loss) (a broken model?)") }
    return res
}

/// The JSON document of a loss measurement.
public func lossReport(_ r: LossResult, model: String, data: [String], options o: LossOptions) -> JSONObject {
    var d = JSONObject()
    d["model"] = JSON(model)
    d["data"] = .array(data.map { JSON($0) })
    d["loss"] = JSON(r.loss)
    d["perplexity"] = JSON(r.perplexity)
    d["tokens"] = JSON(r.tokens)
    d["weight"] = JSON(r.weight)
    d["examples"] = JSON(r.report.examples)
    d["records"] = JSON(r.report.records)
    d["documents"] = JSON(r.report.documents)
    d["pairs"] = JSON(r.report.pairs)
    d["truncated"] = JSON(r.report.truncated)
    d["skipped_long"] = JSON(r.report.skippedLong)
    d["skipped_no_loss"] = JSON(r.report.skippedNoLoss)
    d["zero_weight"] = JSON(r.report.zeroWeight)
    d["context"] = JSON(o.context)
    d["long"] = JSON(o.long.rawValue)
    return d
}

/// The one-row table of a loss measurement.
public func renderLossTable(_ r: LossResult, model: String, data: String) -> String {
    let head = ["model", "data", "examples", "tokens", "loss", "perplexity", "truncated", "skipped"]
    let row = [model, data, String(r.report.examples), String(r.tokens), fixed(r.loss, 4), fixed(r.perplexity, 3),
               String(r.report.truncated), String(r.report.skippedLong + r.report.skippedNoLoss + r.report.zeroWeight)]
    let widths = zip(head, row).map { max($0.count, $1.count) }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i < 2 ? c + pad : pad + c
        }.joined(separator: "  ") + "\n"
    }
    return line(head) + line(row)
}
