// The built-in chat methods (chat-text, chat-code): what they render for an arithmetic problem, what kind of
// answer st-verify reads from their records, and where their replies end.
import Foundation
import XCTest
@testable import Sample
@testable import Streams

final class ChatMethodsTests: XCTestCase {
    func record(_ json: String) throws -> JSONRecord {
        let path = NSTemporaryDirectory() + "st-cm-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: path, contents: Data((json + "\n").utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try XCTUnwrap(try JSONLReader(paths: [path]).next()).copy()
    }

    func testChatMethodsRenderTheQuestionWithTheFormAskedFor() throws {
        let r = try record(#"{"id": "a", "question": "Tom has 9 pens and gives away 3. How many pens does Tom have now?", "answer": "6"}"#)
        let text = try XCTUnwrap(BuiltinMethods.named("chat-text")), code = try XCTUnwrap(BuiltinMethods.named("chat-code"))
        guard case .text(let t)? = try text.render(r).first, case .text(let c)? = try code.render(r).first else { return XCTFail("not text") }
        XCTAssertTrue(t.hasSuffix("Question: Tom has 9 pens and gives away 3. How many pens does Tom have now?\nSolution:"), t)
        XCTAssertTrue(t.contains("\nAnswer: 13\n"), "the worked example ends with the answer line st-verify reads")
        XCTAssertTrue(c.contains("```python\n") && c.contains("print(x)\n```"), c)
        XCTAssertEqual(text.answer, .text)
        XCTAssertEqual(code.answer, .program)
        XCTAssertNil(text.system)
        XCTAssertNotNil(code.system)
        for m in [text, code] { XCTAssertEqual(m.stop, ["\n\nQuestion:"]) }
        // a GSM8K record has the same question field
        let g = try record(#"{"question": "Q?", "answer": "x\n#### 1"}"#)
        XCTAssertNoThrow(try text.render(g))
    }
}
