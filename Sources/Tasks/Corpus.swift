// Pre-training corpora: natural-language text and code, as {"text": …} documents, so mixtures with any
// code share can be built with st-mix. Real text and code that every machine of this kind has (Debian's
// licence texts from base-files, the Python 3.11 standard library from libpython3.11-stdlib) are mixed
// with generated documents in the domain of the embedded tasks. The files read are listed, with their
// sizes, in each document's `source` field, so a corpus can be traced.
import Foundation
import Streams

public struct CorpusOptions {
    /// Approximate size in bytes of the corpus.
    public var bytes: Int
    public var seed: UInt64
    /// Share of generated (in-domain) documents, by bytes; the rest is real text or code.
    public var generatedShare: Double = 0.5
    public var textRoots = ["/usr/share/common-licenses"]
    public var codeRoots = ["/usr/lib/python3.11"]
    public init(bytes: Int, seed: UInt64) { self.bytes = bytes; self.seed = seed }
}

/// Splits text into documents of at most `limit` bytes at blank lines (or line ends when a block is long).
func chunk(_ text: String, limit: Int) -> [String] {
    var out: [String] = []
    var current = ""
    for block in text.components(separatedBy: "\n\n") {
        let b = block.trimmingCharacters(in: .whitespacesAndNewlines)
        if b.isEmpty { continue }
        if current.utf8.count + b.utf8.count + 2 > limit, !current.isEmpty { out.append(current); current = "" }
        if b.utf8.count > limit {
            for line in b.split(separator: "\n", omittingEmptySubsequences: false) {
                if current.utf8.count + line.utf8.count + 1 > limit, !current.isEmpty { out.append(current); current = "" }
                current += (current.isEmpty ? "" : "\n") + line
            }
        } else {
            current += (current.isEmpty ? "" : "\n\n") + b
        }
    }
    if !current.isEmpty { out.append(current) }
    return out
}

/// Real files under `roots` with the given suffix (or any, for ""), sorted, as (path, contents).
func realFiles(_ roots: [String], suffix: String, maxFiles: Int) -> [(String, String)] {
    var out: [(String, String)] = []
    for root in roots {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { continue }
        for name in names.sorted() where suffix.isEmpty || name.hasSuffix(suffix) {
            let path = root + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                  let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8) else { continue }
            out.append((path, text))
            if out.count >= maxFiles { return out }
        }
    }
    return out
}

/// Documents up to about `bytes` in all: generated ones (from `generate`) and real ones (from `real`, in
/// order), interleaved so that generated documents make up `generatedShare` of the bytes (all generated
/// once the real ones run out).
func interleave(bytes: Int, generatedShare: Double, real: [(String, String)],
                generate: () -> String) -> [JSONObject] {
    var docs: [JSONObject] = []
    var generatedBytes = 0, realBytes = 0, realIndex = 0
    while generatedBytes + realBytes < bytes {
        if Double(generatedBytes) <= generatedShare * Double(generatedBytes + realBytes) || realIndex >= real.count {
            let text = generate()
            generatedBytes += text.utf8.count
            docs.append(JSONObject([("text", JSON(text)), ("source", JSON("generated"))]))
        } else {
            let (path, text) = real[realIndex]
            realIndex += 1
            realBytes += text.utf8.count
            docs.append(JSONObject([("text", JSON(text)), ("source", JSON(path))]))
        }
    }
    return docs
}

/// A natural-language corpus: stories and arithmetic statements in the tasks' domain (no solved problems
/// with their answers), interleaved with paragraphs of Debian's licence texts.
public func textCorpus(_ o: CorpusOptions) -> [JSONObject] {
    var g = ArithGenerator(rng: SeededRandom(seed: o.seed, stream: 201))
    let real = realFiles(o.textRoots, suffix: "", maxFiles: 1000)
        .flatMap { path, text in chunk(text, limit: 1500).map { (path, $0) } }
    let numbers = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    return interleave(bytes: o.bytes, generatedShare: o.generatedShare, real: real) {
        // A story: a problem's sentences without its question, then a few number facts in words.
        var lines: [String] = []
        for _ in 0..<g.int(2, 4) {
            let p = g.problem(family: g.pick(trainFamilies), equations: g.int(1, 4))
            var sentences = p.question.components(separatedBy: ". ")
            sentences.removeLast()
            lines.append(sentences.joined(separator: ". ") + ".")
        }
        for _ in 0..<g.int(1, 3) {
            let a = g.int(2, 12), b = g.int(2, 12)
            lines.append(g.pick([
                "\(numbers[a].capitalized) groups of \(numbers[b]) make \(a * b).",
                "If you have \(a) and get \(b) more, you have \(a + b).",
                "Taking \(min(a, b)) away from \(max(a, b)) leaves \(max(a, b) - min(a, b)).",
                "\(a * b) shared equally by \(a) is \(b) each.",
            ]))
        }
        return lines.joined(separator: "\n")
    }
}

/// A code corpus: Python standard-library source cut at top-level definitions, interleaved with generated
/// programs in the tasks' style: arithmetic programs of freshly generated problems, and the train split's
/// functions with their tests (never a val or test function, so pass rates measure generalization).
public func codeCorpus(_ o: CorpusOptions, trainFunctions: [JSONObject]) -> [JSONObject] {
    var g = ArithGenerator(rng: SeededRandom(seed: o.seed, stream: 202))
    let real = realFiles(o.codeRoots, suffix: ".py", maxFiles: 400).flatMap { path, text in
        chunk(text.replacingOccurrences(of: "\n\n\ndef ", with: "\n\ndef ").replacingOccurrences(of: "\n\n\nclass ", with: "\n\nclass "),
              limit: 1500).map { (path, $0) }
    }
    return interleave(bytes: o.bytes, generatedShare: o.generatedShare, real: real) {
        var parts: [String] = []
        for _ in 0..<g.int(1, 3) {
            if g.int(0, 1) == 0 || trainFunctions.isEmpty {
                parts.append(g.problem(family: g.pick(trainFamilies), equations: g.int(1, 5)).solutionCode)
            } else {
                let f = g.pick(trainFunctions)
                parts.append(["prompt", "canonical_solution"].compactMap { f[$0]?.string }.joined()
                             + "\n\n" + (f["test"]?.string ?? "") + "\ncheck(\(f["entry_point"]?.string ?? ""))")
            }
        }
        return parts.joined(separator: "\n\n")
    }
}
