// tensor-bench: times one training step (forward, backward, AdamW) of the Llama model on the benchmark
// configs of docs/tensor.md, and the sgemm ceiling. Used by bench/tensor.sh (a dev tool, not installed).
//   tensor-bench [--steps N] [--threads N] [sgemm] [S] [M] [L] [decode]
// decode: config M, 32 sequences x 128 new tokens after 64-token prompts through LlamaDecoder (KV cache),
// and one sequence alone (latency).
import Base
import Foundation
import Model
import Tensor

struct BenchConfig { let name: String; let config: LlamaConfig; let batch: Int; let context: Int }

let configs: [String: BenchConfig] = [
    "S": BenchConfig(name: "S", config: LlamaConfig(vocabSize: 272, hiddenSize: 128, intermediateSize: 512, numLayers: 4,
                                                   numHeads: 4, maxPositions: 1024), batch: 16, context: 128),
    "M": BenchConfig(name: "M", config: LlamaConfig(vocabSize: 272, hiddenSize: 384, intermediateSize: 1024, numLayers: 6,
                                                   numHeads: 6, maxPositions: 1024), batch: 8, context: 256),
    "L": BenchConfig(name: "L", config: LlamaConfig(vocabSize: 4096, hiddenSize: 512, intermediateSize: 1408, numLayers: 8,
                                                   numHeads: 8, numKVHeads: 2, maxPositions: 1024), batch: 4, context: 256),
]

/// FLOPs of one training step: 6 per weight per token for the matmuls (lm head included), plus attention
/// (q.k and p.v over the causal half, x3 for forward + backward).
func stepFlops(_ b: BenchConfig) -> Double {
    let c = b.config, N = Double(b.batch * b.context)
    let C = Double(c.hiddenSize), A = Double(c.numHeads * c.headDim)
    let perLayer = Double(c.qkvSize) * C + C * A + 3 * C * Double(c.intermediateSize)
    let matmul = 6 * N * (Double(c.numLayers) * perLayer + Double(c.vocabSize) * C)
    let T = Double(b.context)
    let attn = 3 * Double(c.numLayers) * Double(b.batch * c.numHeads) * (T * (T + 1) / 2) * Double(c.headDim) * 4
    return matmul + attn
}

func cpuNow() -> Double { processCPUSeconds() }
func now() -> Double { monotonicSeconds() }
/// One result line of JSON; numbers with a fixed count of decimals.
func report(_ fields: [(String, JSON)]) { print(JSON.object(JSONObject(fields)).serialized()) }
func fixed(_ x: Double, _ decimals: Int) -> JSON { x.isFinite ? .number(String(format: "%.\(decimals)f", x)) : .null }

var steps = 10
var names: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--steps": steps = Int(args.popFirst() ?? "") ?? steps
    case "--threads": Threads.set(Int(args.popFirst() ?? "") ?? Threads.count)
    default: names.append(a)
    }
}
if names.isEmpty { names = ["sgemm", "S", "M", "L"] }

for name in names {
    if name == "sgemm" {
        let n = 2048
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<n * n { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        sgemm(false, true, n, n, n, 1, a.ptr, n, b.ptr, n, 0, c.ptr, n)
        var best = 0.0
        for _ in 0..<5 {
            let t0 = now()
            sgemm(false, true, n, n, n, 1, a.ptr, n, b.ptr, n, 0, c.ptr, n)
            best = max(best, 2 * Double(n * n * n) / (now() - t0) / 1e9)
        }
        report([("bench", JSON("sgemm")), ("n", JSON(n)), ("threads", JSON(Threads.count)), ("gflops", fixed(best, 1)),
                ("core", JSON(Threads.blasCore))])
        continue
    }
    if name == "smallm" {
        let C = 384, OC = 1152
        let w = FloatBuffer(count: OC * C), x = FloatBuffer(count: 64 * C), y = FloatBuffer(count: 64 * OC)
        for i in 0..<OC * C { w[i] = Float(i % 13) * 0.01 }
        for M in [1, 4, 8, 16, 32, 64] {
            var tb = 1e9, ts = 1e9
            for _ in 0..<20 {
                var t0 = now(); matmulForward(y.ptr, x.ptr, w.ptr, nil, M, C, OC); tb = min(tb, now() - t0)
                t0 = now(); matmulSmallM(y.ptr, x.ptr, w.ptr, M, C, OC); ts = min(ts, now() - t0)
            }
            report([("bench", JSON("smallm")), ("M", JSON(M)), ("sgemm_us", fixed(tb * 1e6, 1)), ("smallm_us", fixed(ts * 1e6, 1))])
        }
        continue
    }
    if name == "decode" {
        let c = configs["M"]!.config
        let model = LlamaModel(config: c)
        model.initialize(seed: 1)
        for seqs in [32, 1] {
            let prompt = 64, new = 128
            let dec = LlamaDecoder(model: model, slots: seqs, maxLen: prompt + new, maxTokens: seqs * prompt)
            var rng = SplitMix64(seed: 5)
            var toks: [Int32] = [], sl: [Int32] = [], ps: [Int32] = []
            for s in 0..<seqs { for t in 0..<prompt { toks.append(Int32(rng.next() % 256)); sl.append(Int32(s)); ps.append(Int32(t)) } }
            let t0 = now()
            var lg = try dec.forward(tokens: toks, slots: sl, positions: ps)
            var last = (0..<seqs).map { $0 * prompt + prompt - 1 }
            let t1 = now()
            let V = c.vocabSize
            for step in 0..<new {
                var next: [Int32] = []
                for s in 0..<seqs {
                    var best = 0
                    for v in 1..<V where lg[last[s] * V + v] > lg[last[s] * V + best] { best = v }
                    next.append(Int32(best))
                }
                if step == new - 1 { break }
                lg = try dec.forward(tokens: next, slots: (0..<seqs).map(Int32.init), positions: [Int32](repeating: Int32(prompt + step), count: seqs))
                last = Array(0..<seqs)
            }
            let t2 = now()
            report([("bench", JSON("decode")), ("config", JSON("M")), ("sequences", JSON(seqs)), ("prompt", JSON(prompt)),
                    ("new_tokens", JSON(new)), ("threads", JSON(Threads.count)), ("prefill_ms", fixed((t1 - t0) * 1000, 1)),
                    ("decode_ms_per_token_step", fixed((t2 - t1) * 1000 / Double(new - 1), 2)),
                    ("tokens_per_s", fixed(Double(seqs * new) / (t2 - t0), 0))])
        }
        continue
    }
    guard let b = configs[name] else { FileHandle.standardError.write("tensor-bench: unknown config \(name) (expected sgemm, S, M, L, decode, smallm)\n".data(using: .utf8)!); exit(64) }
    let model = LlamaModel(config: b.config)
    model.initialize(seed: 1)
    let tr = LlamaTrainer(model: model, batch: b.batch, context: b.context)
    var rng = SplitMix64(seed: 2)
    let N = b.batch * b.context
    let tok = (0..<N).map { _ in Int32(rng.next() % UInt64(b.config.vocabSize)) }
    try tr.setBatch(tokens: tok, targets: Array(tok.dropFirst()) + [0])
    for _ in 0..<2 { _ = tr.trainStep(lr: 1e-4, clip: 1) }
    var times: [Double] = []
    var loss = 0.0
    let cpu0 = cpuNow()
    for _ in 0..<steps {
        let t0 = now()
        loss = tr.trainStep(lr: 1e-4, clip: 1).loss
        times.append(now() - t0)
    }
    let cpuPerStep = (cpuNow() - cpu0) / Double(steps)
    times.sort()
    let med = times[times.count / 2]
    report([("bench", JSON("train_step")), ("config", JSON(name)), ("params", JSON(b.config.parameterCount)), ("tokens", JSON(N)),
            ("threads", JSON(Threads.count)), ("ms_per_step", fixed(med * 1000, 1)), ("tokens_per_s", fixed(Double(N) / med, 0)),
            ("gflops", fixed(stepFlops(b) / med / 1e9, 1)), ("cpu_ms_per_step", fixed(cpuPerStep * 1000, 1)), ("loss", fixed(loss, 7))])
}
