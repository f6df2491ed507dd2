// TrainCore: one optimizer step over packed micro-batches, validation loss, and the resumable state.
//
// A step fills `accum` micro-batches of B rows from the packer, runs forward + backward on each with the loss
// scaled by 1 / (total loss weight of the step) — so the step's loss is the weighted mean over all its loss
// tokens, however they fall into micro-batches — then checks that loss and gradient norm are finite (before
// touching the weights), clips, and takes one AdamW step.
import Foundation
import Model
import Streams
import Tensor

public struct StepResult: Equatable, Sendable {
    public var loss: Double
    public var gradNorm: Double
    /// input positions holding an example token (not padding), and those carrying a loss target
    public var tokens: Int, lossTokens: Int
    public var examples: Int
    /// false when the data ran out before this step could be filled (epochs mode)
    public var hadData: Bool
}

public struct NonFiniteLoss: Error, CustomStringConvertible {
    public let step: Int, what: String
    public var description: String { "step \(step): \(what)" }
}

public final class TrainCore {
    public let model: LlamaModel
    public let trainer: LlamaTrainer
    public let packer: Packer
    public let B: Int, T: Int, accum: Int
    public var clip: Float = 1
    /// optimizer steps taken
    public var step = 0
    /// wall seconds spent laying out batches (packing, copying into the trainer) and in forward/backward/AdamW
    public var packSeconds = 0.0, computeSeconds = 0.0
    /// CPU seconds of the calling thread spent packing (all of packing runs on it)
    public var packCPUSeconds = 0.0
    var rows: [[Row]]
    var segs: [Int32], prefix: [UInt8]

    /// LoRA adapters trained instead of the model's weights (the model stays frozen).
    public init(model: LlamaModel, packer: Packer, batch B: Int, accum: Int, lora: LoRAAdapters? = nil) {
        self.model = model; self.packer = packer; self.B = B; self.T = packer.T; self.accum = accum
        trainer = LlamaTrainer(model: model, batch: B, context: packer.T, lora: lora)
        trainer.hasWeights = true
        rows = (0..<accum).map { _ in (0..<B).map { _ in Row(T: packer.T) } }
        segs = .init(repeating: 0, count: B * packer.T); prefix = .init(repeating: 0, count: B * packer.T)
    }

    /// Copy rows into the trainer's inputs and build the attention ranges. Returns the loss weight sum.
    @discardableResult
    public func load(_ rs: [Row]) -> Double {
        let T = self.T
        var w = 0.0
        for (b, r) in rs.enumerated() {
            let o = b * T
            for t in 0..<T {
                trainer.tokens[o + t] = r.tokens[t]; trainer.targets[o + t] = r.targets[t]
                trainer.weights[o + t] = r.weights[t]; trainer.positions[o + t] = r.positions[t]
                segs[o + t] = r.segments[t]; prefix[o + t] = r.prefix[t]
                if r.targets[t] >= 0 { w += Double(r.weights[t]) }
            }
        }
        trainer.hasWeights = true
        segs.withUnsafeBufferPointer { s in prefix.withUnsafeBufferPointer { p in
            fillAttentionRanges(trainer.kvStart, trainer.kvEnd, s.baseAddress, p.baseAddress, B, T)
        } }
        return w
    }

    static func weightSum(_ rs: [Row]) -> Double {
        var w = 0.0
        for r in rs { for t in 0..<r.targets.count where r.targets[t] >= 0 { w += Double(r.weights[t]) } }
        return w
    }

    /// One optimizer step at learning rate `lr`. Throws NonFiniteLoss (weights untouched) on NaN/inf.
    public func trainStep(lr: Float, interrupted: () -> Bool = { false }) throws -> StepResult {
        var res = StepResult(loss: 0, gradNorm: 0, tokens: 0, lossTokens: 0, examples: 0, hadData: false)
        let t0 = monotonicSeconds(), c0 = threadCPUSeconds()
        for m in 0..<accum {
            for b in 0..<B {
                if packer.fill(&rows[m][b]) { res.hadData = true }
                res.tokens += rows[m][b].usedPositions; res.lossTokens += rows[m][b].lossPositions
                res.examples += rows[m][b].examples
            }
        }
        if !res.hadData { return res }
        var total = 0.0
        var parts = [Double](repeating: 0, count: accum)
        for m in 0..<accum { parts[m] = TrainCore.weightSum(rows[m]); total += parts[m] }
        let t1 = monotonicSeconds()
        packSeconds += t1 - t0
        packCPUSeconds += threadCPUSeconds() - c0
        var loadTime = 0.0, loadCPU = 0.0
        defer { computeSeconds += monotonicSeconds() - t1 - loadTime; packSeconds += loadTime; packCPUSeconds += loadCPU }
        trainer.zeroGrad()
        var lossSum = 0.0
        if total > 0 {
            for m in 0..<accum where parts[m] > 0 {
                if interrupted() { throw Interrupted() }
                let t2 = monotonicSeconds(), c2 = threadCPUSeconds()
                load(rows[m])
                loadTime += monotonicSeconds() - t2; loadCPU += threadCPUSeconds() - c2
                let l = trainer.forwardBackward(lossScale: 1 / total)
                lossSum += l * parts[m]
            }
        }
        res.loss = total > 0 ? lossSum / total : 0
        if !res.loss.isFinite { throw NonFiniteLoss(step: step + 1, what: "loss is \(res.loss)") }
        if total > 0 {
            res.gradNorm = trainer.clipGradients(maxNorm: clip)
            if !res.gradNorm.isFinite { throw NonFiniteLoss(step: step + 1, what: "gradient norm is \(res.gradNorm)") }
            trainer.optimizerStep(lr: lr)
        }
        step += 1
        return res
    }

    /// Mean loss (weighted, over loss tokens) of pre-packed rows, in micro-batches of B rows (an array, or a
    /// sequence that packs them as it goes).
    public func evaluate<S: Sequence>(_ batches: S) -> Double where S.Element == [Row] {
        var sum = 0.0, total = 0.0
        for rs in batches {
            let w = load(rs)
            if w == 0 { continue }
            sum += trainer.forward(keepLogits: false) * w
            total += w
        }
        return total > 0 ? sum / total : .nan
    }

    // MARK: resumable state

    public static let stateFile = "state.json", optimizerFile = "optimizer.safetensors"

    /// Write weights (with LoRA: the adapter's only; the base is --init's), AdamW moments and `extra` (with the
    /// step, the optimizer's step count and the packer state) into `dir` (created).
    public func saveState(_ dir: String, packerState: PackerState, extra: JSONObject) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let lora = trainer.lora { try lora.save(directory: dir) } else {
            let ts = model.layout.tensors
            try writeSafetensors(dir + "/" + LlamaModel.weightsFile,
                                 ts.map { TensorToWrite(name: $0.name, shape: $0.shape, data: $0.ptr(model.params)) })
        }
        try trainer.saveOptimizerState(dir + "/" + TrainCore.optimizerFile)
        var o = extra
        o["step"] = JSON(step)
        o["adam_step"] = JSON(trainer.step)
        o["packer"] = packerState.json()
        try writeFileAtomically(dir + "/" + TrainCore.stateFile, JSON.object(o).serialized() + "\n")
    }

    /// Read a state written by saveState; returns its JSON (the packer state and counters are applied).
    public func loadState(_ dir: String) throws -> JSONObject {
        let text = try String(contentsOfFile: dir + "/" + TrainCore.stateFile, encoding: .utf8)
        guard let o = try JSON.parse(text).object, let s = o["step"]?.int, let a = o["adam_step"]?.int,
              let p = o["packer"] else { throw ToolInputError("\(dir)/\(TrainCore.stateFile): not a training state") }
        if let lora = trainer.lora { try lora.loadWeights(directory: dir) } else { try model.loadWeights(dir + "/" + LlamaModel.weightsFile) }
        try trainer.loadOptimizerState(dir + "/" + TrainCore.optimizerFile)
        guard trainer.step == a else { throw ToolInputError("\(dir): optimizer step \(trainer.step) differs from the state's \(a)") }
        step = s
        packer.state = try PackerState.parse(p)
        return o
    }
}
