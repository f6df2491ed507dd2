// Where a model's weights come from, behind one interface: a safetensors file (F32, F16, BF16), a sharded
// safetensors checkpoint (model.safetensors.index.json), or a GGUF file (Weights' GGUFLlama: dequantized,
// llama q/k rows un-permuted, HF names). LlamaModel.load(path:) picks the source; loadWeights(from:) reads every
// tensor of the model's layout, in parallel, straight into the parameter buffer (safetensors are memory
// mapped: one conversion pass, no intermediate copy).
import Base
import Foundation
import Weights

/// One tensor to read: HF name, destination (f32, HF row-major layout), the shape the config implies.
public typealias WeightRequest = (name: String, dst: UnsafeMutablePointer<Float>, shape: [Int])

public protocol WeightSource {
    /// The file or directory, for error messages.
    var sourcePath: String { get }
    /// Read every request (all or nothing: names and shapes are checked before any data is read). A missing
    /// tensor or a shape that disagrees is a one-line error naming the tensor.
    func readAll(_ requests: [WeightRequest]) throws
}

extension SafetensorsFile: WeightSource {
    public var sourcePath: String { path }
    public func readAll(_ requests: [WeightRequest]) throws {
        for r in requests {
            guard let e = entries[r.name] else { throw ModelError("\(path): missing tensor '\(r.name)'") }
            guard e.shape == r.shape else { throw ModelError("\(path): tensor '\(r.name)' has shape \(e.shape), expected \(r.shape)") }
            guard [.f32, .f16, .bf16].contains(e.dtype) else {
                throw ModelError("\(path): tensor '\(r.name)' has dtype \(e.dtype.rawValue) (weights must be F32, F16 or BF16)")
            }
        }
        // tensors in parallel; each converts from the mapped file into its place
        let n = min(requests.count, ProcessInfo.processInfo.activeProcessorCount)
        let failure = LockedError()
        DispatchQueue.concurrentPerform(iterations: max(1, n)) { w in
            var i = w
            while i < requests.count {
                do { try read(requests[i].name, into: requests[i].dst, shape: requests[i].shape) } catch { failure.set(error) }
                i += n
            }
        }
        if let e = failure.error { throw e }
    }
}

/// The first error of a parallel loop.
final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}

/// A checkpoint split over several safetensors files by model.safetensors.index.json ({"weight_map": {tensor:
/// file}}). Every shard the index names must exist.
public final class ShardedSafetensors: WeightSource {
    public static let indexFile = "model.safetensors.index.json"
    public let sourcePath: String
    let shards: [String: SafetensorsFile]     // file name -> opened shard
    let weightMap: [String: String]           // tensor -> file name

    public init(index path: String) throws {
        sourcePath = path
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError("\(path): cannot read") }
        guard let map = (try? JSON.parse(bytes: Array(data), file: path))?["weight_map"]?.object else {
            throw ModelError("\(path): no \"weight_map\" object")
        }
        var wm: [String: String] = [:]
        for (k, v) in map {
            guard let f = v.string, !f.contains("/") else { throw ModelError("\(path): weight_map entry '\(k)' is not a file name") }
            wm[k] = f
        }
        let dir = (path as NSString).deletingLastPathComponent
        var shards: [String: SafetensorsFile] = [:]
        for f in Set(wm.values).sorted() {
            let p = (dir as NSString).appendingPathComponent(f)
            guard FileManager.default.fileExists(atPath: p) else {
                throw ModelError("\(path): shard '\(f)' named in the index is missing")
            }
            shards[f] = try SafetensorsFile(path: p)
        }
        self.shards = shards; weightMap = wm
    }

    public func readAll(_ requests: [WeightRequest]) throws {
        var byShard: [String: [WeightRequest]] = [:]
        for r in requests {
            guard let f = weightMap[r.name] else { throw ModelError("\(sourcePath): missing tensor '\(r.name)' (not in weight_map)") }
            byShard[f, default: []].append(r)
        }
        for (f, rs) in byShard.sorted(by: { $0.key < $1.key }) { try shards[f]!.readAll(rs) }
    }
}

extension GGUFLlama: WeightSource {
    public var sourcePath: String { file.path }
    public func readAll(_ requests: [WeightRequest]) throws {
        try readAll(requests.map { (name: $0.name, dst: $0.dst, shape: $0.shape) }, threads: ProcessInfo.processInfo.activeProcessorCount)
    }
}

extension LlamaConfig {
    /// The config of a GGUF file (GGUFLlama.configJSON, the keys transformers' GGUF loader writes), read as a
    /// config.json so the same checks and refusals apply.
    public static func from(gguf g: GGUFLlama) throws -> LlamaConfig {
        try parse(Data(g.configText().utf8), file: g.file.path)
    }
}
