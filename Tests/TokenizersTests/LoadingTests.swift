import Foundation
import XCTest
import Streams
@testable import Tokenizers

final class LoadingTests: XCTestCase {
    func base() throws -> JSONObject { try readJSON("\(goldenDir)/gpt2.tokenizer.json").object! }

    func loadError(_ o: JSONObject) -> String? {
        do { _ = try HFTokenizer(json: Array(JSON.object(o).serialized().utf8), file: "tokenizer.json"); return nil } catch {
            return "\(error)"
        }
    }

    /// Anything unsupported is one line naming the file and the JSON path.
    /// A vocabulary without <unk> or byte fallback drops a character it has no token for, as the library does;
    /// encodeChecked refuses such text instead, naming the character. With byte fallback (or <unk>) nothing drops.
    func testUnencodableText() throws {
        func tok(_ model: String) throws -> HFTokenizer {
            try HFTokenizer(json: Array(("{\"model\": {\"type\": \"BPE\", " + model + "\"merges\": [[\"a\", \"b\"]]}}").utf8), file: "t.json")
        }
        let plain = try tok("\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, ")
        XCTAssertEqual(plain.encode("abcab", addSpecialTokens: false), [2, 2])
        XCTAssertEqual(try plain.encodeChecked("abab", addSpecialTokens: false), [2, 2])
        XCTAssertThrowsError(try plain.encodeChecked("abé", addSpecialTokens: false)) { e in
            XCTAssertEqual("\(e)", "cannot encode \"é\" (U+00E9): it is not in the vocabulary, which has no unk_token and no byte fallback for it")
        }
        let unk = try tok("\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"<unk>\": 3}, \"unk_token\": \"<unk>\", ")
        XCTAssertEqual(try unk.encodeChecked("abc", addSpecialTokens: false), [2, 3])
        let bytes = (0..<256).map { String(format: "\"<0x%02X>\": %d, ", $0, $0 + 3) }.joined()
        let fallback = try tok("\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, " + bytes.dropLast(2) + "}, \"byte_fallback\": true, ")
        XCTAssertEqual(try fallback.encodeChecked("abc", addSpecialTokens: false), [2, 3 + 0x63])
    }

    func testUnsupportedIsNamedByPath() throws {
        var o = try base()
        o["pre_tokenizer"] = try JSON.parse(#"{"type":"Sequence","pretokenizers":[{"type":"Digits"},{"type":"BertPreTokenizer"}]}"#)
        XCTAssertEqual(loadError(o), #"tokenizer.json: pre_tokenizer.pretokenizers[1].type: unsupported "BertPreTokenizer""#)
        o = try base()
        o["normalizer"] = try JSON.parse(#"{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"BertNormalizer"}]}"#)
        XCTAssertEqual(loadError(o), #"tokenizer.json: normalizer.normalizers[1].type: unsupported "BertNormalizer""#)
        o = try base()
        o["decoder"] = try JSON.parse(###"{"type":"WordPiece","prefix":"##"}"###)
        XCTAssertEqual(loadError(o), #"tokenizer.json: decoder.type: unsupported "WordPiece""#)
        o = try base()
        o["post_processor"] = try JSON.parse(#"{"type":"BertProcessing"}"#)
        XCTAssertEqual(loadError(o), #"tokenizer.json: post_processor.type: unsupported "BertProcessing""#)
        o = try base()
        var m = o["model"]!.object!
        m["type"] = .string("WordPiece")
        o["model"] = .object(m)
        XCTAssertEqual(loadError(o), #"tokenizer.json: model.type: unsupported "WordPiece" (only BPE models)"#)
        m["type"] = .string("BPE")
        m["merges"] = try JSON.parse(#"["a b", "zzzq x"]"#)
        o["model"] = .object(m)
        XCTAssertEqual(loadError(o), #"tokenizer.json: model.merges[1]: "zzzq" is not in the vocabulary"#)
        o = try base()
        o["pre_tokenizer"] = try JSON.parse(#"{"type":"Split","pattern":{"Regex":"(unclosed"},"behavior":"Isolated"}"#)
        XCTAssert(loadError(o)?.hasPrefix("tokenizer.json: pre_tokenizer.pattern.Regex: invalid or unsupported regex") == true, loadError(o) ?? "")
        XCTAssertEqual((try? HFTokenizer(json: Array("{".utf8), file: "t.json")) == nil, true)
        // An id far past the vocabulary is an error, not a table of 10^12 entries (found by fuzzing).
        o = try base()
        m = o["model"]!.object!
        var v = m["vocab"]!.object!
        v["zz"] = .number("1000000000000")
        m["vocab"] = .object(v)
        o["model"] = .object(m)
        XCTAssertEqual(loadError(o), #"tokenizer.json: model.vocab: id 1000000000000 for "zz" is far past the vocabulary's 701 tokens"#)
    }

    /// tokenizer_config.json / generation_config.json / config.json special tokens and flags.
    func testModelDirectory() throws {
        let dir = NSTemporaryDirectory() + "st-tok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let llama3 = try readJSON("\(goldenDir)/llama3.tokenizer.json")
        try Data(llama3.serialized().utf8).write(to: URL(fileURLWithPath: "\(dir)/tokenizer.json"))
        // Without configs, the post-processor's template says what add_special_tokens adds.
        var t = try HFTokenizer.load(directory: dir)
        XCTAssertEqual(t.specialTokens, SpecialTokens(bos: 0, eos: [], pad: nil, addBOS: true, addEOS: false))
        XCTAssertEqual(t.encode("hi", addSpecialTokens: true).first, 0)
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        try write("tokenizer_config.json", #"{"bos_token": {"content": "<|begin_of_text|>", "lstrip": false}, "eos_token": "<|eot_id|>", "pad_token": "<|end_of_text|>", "add_bos_token": false, "add_eos_token": true}"#)
        try write("generation_config.json", #"{"bos_token_id": 0, "eos_token_id": [1, 2]}"#)
        t = try HFTokenizer.load(directory: dir)
        XCTAssertEqual(t.specialTokens, SpecialTokens(bos: 0, eos: [1, 2], pad: 1, addBOS: false, addEOS: true))
        let plain = t.encode("hi")
        // add_eos_token appends the tokenizer's eos_token, as transformers does (not generation_config's).
        XCTAssertEqual(t.encode("hi", addSpecialTokens: true), plain + [2])
        try write("generation_config.json", #"{"eos_token_id": 1}"#)
        try write("config.json", #"{"eos_token_id": 99999}"#)
        XCTAssertThrowsError(try HFTokenizer.load(directory: dir)) {
            XCTAssertEqual("\($0)", "\(dir)/config.json: eos_token_id: id 99999 is outside the vocabulary (700)")
        }
        try write("config.json", #"{"pad_token_id": 2}"#)
        t = try HFTokenizer.load(directory: dir)
        XCTAssertEqual(t.specialTokens.eos, [1, 2])  // generation_config's, then tokenizer_config's eos_token
        XCTAssertEqual(t.specialTokens.pad, 2)
        try write("tokenizer_config.json", #"{"eos_token": "<|nope|>"}"#)
        XCTAssertThrowsError(try HFTokenizer.load(directory: dir)) {
            XCTAssertEqual("\($0)", "\(dir)/tokenizer_config.json: eos_token: \"<|nope|>\" is not a token of tokenizer.json")
        }
    }

    /// Special tokens by name, vocabulary size, skipping specials in decode.
    func testSpecialTokens() throws {
        let t = try HFTokenizer(contentsOf: "\(goldenDir)/qwen2.tokenizer.json")
        XCTAssertEqual(t.vocabSize, 700)
        let im = try XCTUnwrap(t.id(ofSpecial: "<|im_start|>"))
        XCTAssert(t.isSpecial(im))
        let ids = t.encode("<|im_start|>user\nhi<|im_end|>")
        XCTAssertEqual(ids.first, im)
        XCTAssertEqual(t.decode(ids, skipSpecialTokens: true), "user\nhi")
        XCTAssertEqual(t.decode(ids), "<|im_start|>user\nhi<|im_end|>")
        XCTAssertEqual(t.encode(""), [])
    }

    /// The hand-written scanners agree with the general regex path on the patterns they replace.
    func testScannersMatchRegexFallback() throws {
        let golden = try readJSON("\(goldenDir)/cases.json")
        let texts = golden["entries"]!.array![0]["cases"]!.array!.map { $0["text"]!.string! }
        for (source, scanner) in [(gpt2Regex, GPT2Pattern() as any Pattern), (llama3Regex, Llama3Pattern(maxDigits: 3)),
                                  (qwen2Regex, Llama3Pattern(maxDigits: 1))] {
            let general = try RegexPattern(source)
            for text in texts {
                let b = Array(text.utf8)
                var x: [(Int, Int)] = [], y: [(Int, Int)] = []
                b.withUnsafeBufferPointer { scanner.matches($0, into: &x); general.matches($0, into: &y) }
                XCTAssert(x.elementsEqual(y, by: ==), "\(source.prefix(12)): \(text.debugDescription)")
            }
        }
    }
}
