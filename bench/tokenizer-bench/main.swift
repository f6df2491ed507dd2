// Encode throughput of an HFTokenizer on one thread (bench/tokenizer.sh; dev tool, not installed).
// usage: tokenizer-bench <tokenizer dir> <passes> <jsonl>:<field,field...> ...
import Foundation
import Streams
import Tokenizers

let args = CommandLine.arguments
guard args.count >= 4, let passes = Int(args[2]) else {
    FileHandle.standardError.write("usage: tokenizer-bench <tokenizer dir> <passes> <file.jsonl>:<field,...> ...\n".data(using: .utf8)!)
    exit(64)
}
var texts: [String] = []
for spec in args[3...] {
    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
    let fields = parts[1].split(separator: ",").map(String.init)
    let reader = try JSONLReader(paths: [parts[0]], allowEmpty: false)
    while let r = try reader.next() {
        let v = r.value()
        for f in fields { if let s = v[f]?.string, !s.isEmpty { texts.append(s) } }
    }
}
let bytes = texts.reduce(0) { $0 + $1.utf8.count }
let tok = try HFTokenizer.load(directory: args[1])
func pass() -> Int { var n = 0; for t in texts { n += tok.encode(t).count }; return n }
let tokens = pass()  // warm-up, fills the cache as the library's first pass does
var times: [Double] = []
for _ in 0..<passes {
    let s = DispatchTime.now().uptimeNanoseconds
    let n = pass()
    if n != tokens { fatalError("pass gave \(n) tokens, warm-up \(tokens)") }
    times.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e9)
}
let t = times.sorted()[times.count / 2]
print(String(format: "st      %d texts %.2f MB %d tokens: %.3f s  %.1f MB/s  %.2f M tokens/s", texts.count, Double(bytes) / 1e6, tokens, t, Double(bytes) / 1e6 / t, Double(tokens) / 1e6 / t))
