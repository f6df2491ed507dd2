// Training examples through a Hugging Face tokenizer: conversations trained on the assistant turns only, pairs
// with --chat, and FIM in the model's own format.
import ChatTemplate
import Foundation
import XCTest
import Model
import Streams
import Train

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The starcoder golden tokenizer (ChatML specials) with the SmolLM2 template, optionally with FIM tokens.
private func tokenizer(fim: Bool = false) throws -> ModelTokenizer {
    let dir = NSTemporaryDirectory() + "st-chatex-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var tj = try String(contentsOfFile: root + "/Tests/TokenizersTests/Golden/starcoder.tokenizer.json", encoding: .utf8)
    if fim {
        let extra = ["<fim_prefix>", "<fim_middle>", "<fim_suffix>"].enumerated().map { i, t in
            "{\"id\":\(700 + i),\"content\":\"\(t)\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
        }.joined()
        tj = tj.replacingOccurrences(of: "\"added_tokens\":[", with: "\"added_tokens\":[" + extra)
    }
    try tj.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
    let t = try String(contentsOfFile: root + "/Tests/ChatTemplateTests/Fixtures/smollm2.jinja", encoding: .utf8)
    try t.write(toFile: dir + "/chat_template.jinja", atomically: true, encoding: .utf8)
    try "{\"bos_token\": \"<|im_start|>\", \"eos_token\": \"<|im_end|>\"}".write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
    return try ModelTokenizer.load(dir)
}

final class ChatExamplesTests: XCTestCase {
    /// The text of the loss-target tokens of example 0.
    func targets(_ s: ExampleStore, mix: ObjectiveMix = ObjectiveMix([(.causal, 1)])) -> (all: String, trained: [String]) {
        var seq = TrainSequence()
        Transformer(store: s, mix: mix, seed: 1).build(epoch: 0, index: 0, into: &seq)
        var runs: [[Int32]] = [], cur: [Int32] = []
        for (t, l) in zip(seq.tokens, seq.loss) { if l { cur.append(t) } else if !cur.isEmpty { runs.append(cur); cur = [] } }
        if !cur.isEmpty { runs.append(cur) }
        return (s.tokenizer.decode(seq.tokens, skipSpecialTokens: false), runs.map { s.tokenizer.decode($0, skipSpecialTokens: false) })
    }

    func testConversationTrainsAssistantTurnsOnly() throws {
        let tok = try tokenizer()
        let s = ExampleStore(tokenizer: tok, context: 256)
        let msgs: [Value] = [.message("user", "hi"), .message("assistant", "hello there"), .message("user", "2+2?"), .message("assistant", "4")]
        try s.add(messages: msgs, weight: 1)
        let (all, trained) = targets(s)
        XCTAssertEqual(all, try tok.renderChat(msgs, addGenerationPrompt: false))
        XCTAssertEqual(trained, ["hello there<|im_end|>\n", "4<|im_end|>\n"])
        // segment encoding equals encoding the whole rendering for ChatML
        XCTAssertEqual(Array(s.tokens), try tok.encode(all))
        XCTAssertEqual(s.report.conversations, 1)
        // a pair with --chat is the conversation (user, assistant)
        let c = ExampleStore(tokenizer: tok, chat: true, context: 256)
        try c.add(text: nil, prompt: "2+2?", completion: "4", weight: 1)
        XCTAssertEqual(targets(c).trained, ["4<|im_end|>\n"])
        // bad records
        XCTAssertThrowsError(try s.add(messages: [["role": "user"]], weight: 1)) { XCTAssertTrue("\($0)".contains("message 1: no 'content'"), "\($0)") }
        XCTAssertThrowsError(try s.add(messages: [.message("user", "x")], weight: 1))
        let byte = ExampleStore(tokenizer: ByteTokenizer.standard, context: 64)
        XCTAssertThrowsError(try byte.add(messages: msgs, weight: 1)) { XCTAssertTrue("\($0)".contains("needs a chat template"), "\($0)") }
    }

    /// st-sample --chat's records: with --chat, the conversation it sent (prompt_messages) plus the completion as
    /// the reply, whose rendering starts with the prompt_text the model saw; without --chat, prompt_text as is.
    func testSampledChatRecordsTrainAsTheConversationSent() throws {
        let tok = try tokenizer()
        let sent: [Value] = [.message("system", "Be brief."), .message("user", "2+2?")]
        let promptText = try tok.renderChat(sent, addGenerationPrompt: true)
        let rec = "{\"prompt_text\": \(JSON(promptText).serialized()), \"completion\": \"4\", "
            + "\"prompt_messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"2+2?\"}]}\n"
        let path = NSTemporaryDirectory() + "st-chatex-\(UUID().uuidString).jsonl"
        try rec.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = ExampleStore(tokenizer: tok, chat: true, context: 256)
        try c.load(try JSONLReader(paths: [path]))
        let (all, trained) = targets(c)
        XCTAssertEqual(all, promptText + "4<|im_end|>\n")
        XCTAssertEqual(trained, ["4<|im_end|>\n"])
        // without --chat the rendered prompt_text is the prompt, not wrapped again
        let p = ExampleStore(tokenizer: tok, context: 256)
        try p.load(try JSONLReader(paths: [path]))
        XCTAssertEqual(targets(p).all, promptText + "4<|im_end|>")
        // prompt_messages that is not a list is an error naming it
        try "{\"completion\": \"4\", \"prompt_messages\": \"x\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ExampleStore(tokenizer: tok, chat: true, context: 256).load(try JSONLReader(paths: [path]))) {
            XCTAssertTrue("\($0)".contains("'prompt_messages' is not a list"), "\($0)")
        }
    }

    func testHFDocumentsAndPairs() throws {
        let tok = try tokenizer()
        let s = ExampleStore(tokenizer: tok, context: 256)
        try s.add(text: nil, prompt: "Q: 1+1\nA:", completion: " 2", weight: 1)
        let (all, trained) = targets(s)
        XCTAssertEqual(all, "Q: 1+1\nA: 2<|im_end|>")
        XCTAssertEqual(trained, [" 2<|im_end|>"])
    }

    func testModelFIMFormat() throws {
        let tok = try tokenizer(fim: true)
        XCTAssertNotNil(tok.fim)
        let s = ExampleStore(tokenizer: tok, context: 256)
        try s.add(text: "def add(a, b):\n    return a + b\n", prompt: nil, completion: nil, weight: 1)
        var seq = TrainSequence()
        Transformer(store: s, mix: ObjectiveMix([(.fim, 1)]), seed: 3).build(epoch: 0, index: 0, into: &seq)
        XCTAssertEqual(seq.objective, .fim)
        let f = tok.fim!
        XCTAssertEqual(seq.tokens.first, f.prefix)
        let si = seq.tokens.firstIndex(of: f.suffix)!, mi = seq.tokens.firstIndex(of: f.middle)!
        XCTAssertLessThan(si, mi)
        XCTAssertEqual(seq.tokens.last, tok.eos[0])
        // prefix + middle + suffix is the document again
        let pre = Array(seq.tokens[1..<si]), suf = Array(seq.tokens[(si + 1)..<mi]), mid = Array(seq.tokens[(mi + 1)..<(seq.tokens.count - 1)])
        XCTAssertEqual(tok.decode(pre + mid + suf), "def add(a, b):\n    return a + b\n")
    }
}
