// Times loading a llama GGUF through Weights: parse + dequantize every tensor to f32 (HF layout).
//   gguf-bench FILE.gguf [THREADS]
import Foundation
import Weights

let args = CommandLine.arguments
guard args.count >= 2 else { FileHandle.standardError.write("usage: gguf-bench FILE.gguf [THREADS]\n".data(using: .utf8)!); exit(64) }
let threads = args.count > 2 ? Int(args[2]) ?? 1 : ProcessInfo.processInfo.activeProcessorCount
do {
    let t0 = Date()
    let m = try GGUFLlama(path: args[1])
    let t1 = Date()
    let w = try m.loadAll(threads: threads)
    let t2 = Date()
    var types: [String: Int] = [:]
    for t in m.file.tensors { types[t.type.name, default: 0] += 1 }
    print("tensors \(m.file.tensors.count) (\(types.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), "
          + "\(w.count) floats, \(threads) threads")
    print(String(format: "open+metadata %.3f s, dequantize %.3f s, total %.3f s",
                 t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), t2.timeIntervalSince(t0)))
    if ProcessInfo.processInfo.environment["GGUF_BENCH_CONFIG"] != nil { print(m.configText()) }
    // again into the same (now resident) buffer: the dequantization alone, without page faults
    let names = m.names
    let t3 = Date()
    try m.readAll(names.map { ($0, w.data + w.index[$0]!.offset, w.index[$0]!.shape) }, threads: threads)
    print(String(format: "dequantize again into resident memory %.3f s", Date().timeIntervalSince(t3)))
} catch {
    FileHandle.standardError.write("gguf-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}
