import Foundation
import XCTest
import Streams
@testable import Tokenizers

let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func readJSON(_ path: String) throws -> JSON {
    try JSON.parse(String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self))
}

/// A golden entry's tokenizer: its base tokenizer.json with the patch's top-level keys replaced.
func goldenTokenizer(_ entry: JSON) throws -> HFTokenizer {
    guard case .object(var base) = try readJSON("\(goldenDir)/\(entry["base"]!.string!).tokenizer.json") else { fatalError() }
    for (k, v) in entry["patch"]!.object! { base[k] = v }
    return try HFTokenizer(json: Array(JSON.object(base).serialized().utf8), file: "\(entry["name"]!.string!).tokenizer.json")
}

func ids(_ v: JSON?) -> [Int32] { (v?.array ?? []).map { Int32($0.int!) } }

final class GoldenTests: XCTestCase {
    /// Ids (with and without special tokens) and decodings identical to the `tokenizers` library.
    func testGoldenCases() throws {
        let golden = try readJSON("\(goldenDir)/cases.json")
        var checked = 0, failures: [String] = []
        for entry in golden["entries"]!.array! {
            let name = entry["name"]!.string!
            let tok = try goldenTokenizer(entry)
            for c in entry["cases"]!.array! {
                let text = c["text"]!.string!
                let want = ids(c["ids"])
                let got = tok.encode(text, addSpecialTokens: false)
                if got != want { failures.append("\(name): \(text.debugDescription): got \(got) want \(want)"); continue }
                let wantSpecial = c["special"] == nil ? want : ids(c["special"])
                let gotSpecial = tok.encode(text, addSpecialTokens: true)
                if gotSpecial != wantSpecial { failures.append("\(name) special: \(text.debugDescription): got \(gotSpecial) want \(wantSpecial)") }
                let wantText = c["decoded"]?.string ?? text
                let dec = tok.decode(got, skipSpecialTokens: false)
                if dec != wantText { failures.append("\(name) decode: \(text.debugDescription): got \(dec.debugDescription) want \(wantText.debugDescription)") }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 1000)
        XCTAssert(failures.isEmpty, "\(failures.count) mismatches:\n" + failures.prefix(12).joined(separator: "\n"))
    }

    /// decode(encode(x)) == x for the lossless (byte-level and byte-fallback) tokenizers.
    func testRoundTrip() throws {
        let golden = try readJSON("\(goldenDir)/cases.json")
        for entry in golden["entries"]!.array! where ["gpt2", "llama3", "qwen2", "starcoder"].contains(entry["name"]!.string!) {
            let tok = try goldenTokenizer(entry)
            for c in entry["cases"]!.array! {
                let text = c["text"]!.string!
                if entry["name"]!.string! == "qwen2" && text != text.precomposedStringWithCanonicalMapping { continue }
                XCTAssertEqual(tok.decode(tok.encode(text)), text, "\(entry["name"]!.string!): \(text.debugDescription)")
            }
        }
    }

    /// The streaming decoder's pieces join to the full decoding, and none ends inside a character.
    func testStreamingDecoder() throws {
        let golden = try readJSON("\(goldenDir)/cases.json")
        for entry in golden["entries"]!.array! where ["gpt2", "llama3", "llama2", "mistral"].contains(entry["name"]!.string!) {
            let tok = try goldenTokenizer(entry)
            for c in entry["cases"]!.array! {
                let all = ids(c["ids"])
                var d = tok.streamingDecoder()
                var pieces: [String] = []
                for id in all { if let p = d.step(id) { pieces.append(p) } }
                let whole = tok.decode(all)
                XCTAssertEqual(pieces.joined(), whole, "\(entry["name"]!.string!): \(c["text"]!.string!.debugDescription)")
                if !whole.contains("\u{FFFD}") { XCTAssert(pieces.allSatisfy { !$0.contains("\u{FFFD}") }) }
            }
        }
        // A four-byte emoji split over byte tokens comes out whole, once.
        let entry = try readJSON("\(goldenDir)/cases.json")["entries"]!.array!.first { $0["name"]!.string! == "gpt2" }!
        let tok = try goldenTokenizer(entry)
        var d = tok.streamingDecoder()
        let emojiIds = tok.encode("😀")
        XCTAssertGreaterThan(emojiIds.count, 1)
        let out = emojiIds.map { d.step($0) }
        XCTAssertEqual(out.compactMap { $0 }, ["😀"])
        XCTAssertNil(out.first!)
        // A real U+FFFD looks like an incomplete character: held back until what follows arrives, and never
        // emitted at the end (the tokenizers library's DecodeStream, same ids and pieces; found by fuzzing).
        for (text, want) in [("ab \u{FFFD}", ["ab", " ", nil, nil, nil]), ("a\u{FFFD} b", ["a", nil, nil, nil, "\u{FFFD} b"])] {
            var s = tok.streamingDecoder()
            let ids = tok.encode(text)
            XCTAssertEqual(ids.count, 5)
            XCTAssertEqual(ids.map { s.step($0) }, want, text.debugDescription)
        }
    }

    /// The real SmolLM2-135M tokenizer (built by scripts/reference/smollm2_tokenizer.py), when present.
    func testSmolLM2() throws {
        let dir = ProcessInfo.processInfo.environment["ST_SMOLLM2_TOKENIZER"] ?? "\(repoRoot)/.cache/tokenizers/smollm2"
        guard FileManager.default.fileExists(atPath: "\(dir)/tokenizer.json") else {
            throw XCTSkip("\(dir)/tokenizer.json absent (python3 scripts/reference/smollm2_tokenizer.py builds it)")
        }
        let tok = try HFTokenizer.load(directory: dir)
        XCTAssertEqual(tok.vocabSize, 49152)
        XCTAssertEqual(tok.specialTokens.bos, 1)
        XCTAssertEqual(tok.specialTokens.eos, [2])
        XCTAssertEqual(tok.specialTokens.addBOS, false)
        XCTAssertEqual(tok.id(ofSpecial: "<|im_end|>"), 2)
        XCTAssert(tok.isSpecial(0) && !tok.isSpecial(100))
        let text = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        XCTAssertEqual(tok.decode(tok.encode(text)), text)
        XCTAssertEqual(tok.encode(text).prefix(1), [1])
    }
}

final class FullConformanceTests: XCTestCase {
    /// Every text of ../shared/data (24448) through every golden tokenizer (and SmolLM2 when built), against
    /// the library's ids. Runs with ST_TOKENIZERS_FULL=1 (minutes in a debug build, so not by default).
    /// Expectations live in .cache/tokenizers/conformance; when missing and Python `tokenizers` is
    /// importable, scripts/reference/tokenizers_ref.py --full writes them; else the test skips.
    func testAllSharedData() throws {
        guard ProcessInfo.processInfo.environment["ST_TOKENIZERS_FULL"] == "1" else {
            throw XCTSkip("set ST_TOKENIZERS_FULL=1 to check every text of ../shared/data against the library")
        }
        let out = "\(repoRoot)/.cache/tokenizers/conformance"
        if !FileManager.default.fileExists(atPath: "\(out)/gpt2.jsonl") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "\(repoRoot)/scripts/reference/tokenizers_ref.py", "--full", out]
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            do { try p.run(); p.waitUntilExit() } catch { throw XCTSkip("python3 not runnable") }
            guard p.terminationStatus == 0 else { throw XCTSkip("Python tokenizers not importable; full conformance skipped") }
        }
        var total = 0, failures: [String] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: out).sorted() where f.hasSuffix(".jsonl") {
            let name = String(f.dropLast(6))
            let tok: HFTokenizer
            if name == "smollm2" {
                let dir = ProcessInfo.processInfo.environment["ST_SMOLLM2_TOKENIZER"] ?? "\(repoRoot)/.cache/tokenizers/smollm2"
                guard FileManager.default.fileExists(atPath: "\(dir)/tokenizer.json") else { continue }
                tok = try HFTokenizer(contentsOf: "\(dir)/tokenizer.json")
            } else {
                tok = try HFTokenizer(contentsOf: "\(goldenDir)/\(name).tokenizer.json")
            }
            let reader = try JSONLReader(paths: ["\(out)/\(f)"], allowEmpty: false)
            var n = 0
            while let rec = try reader.next() {
                let v = rec.value()
                let text = v["text"]!.string!
                let got = tok.encode(text)
                if got != ids(v["ids"]) { failures.append("\(name): \(text.prefix(80).debugDescription)") }
                n += 1
            }
            total += n
        }
        XCTAssertGreaterThan(total, 10000)
        XCTAssert(failures.isEmpty, "\(failures.count) of \(total) differ:\n" + failures.prefix(10).joined(separator: "\n"))
    }
}
