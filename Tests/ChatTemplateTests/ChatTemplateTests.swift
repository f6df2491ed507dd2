import XCTest
@testable import ChatTemplate

final class ChatTemplateTests: XCTestCase {
    func render(_ source: String, _ messages: [Value] = [.message("user", "hi")], gen: Bool = false,
                extra: [String: Value] = [:]) throws -> String {
        try ChatTemplate(source: source).render(messages: messages, addGenerationPrompt: gen, bosToken: "<s>",
                                                eosToken: "</s>", extra: extra, now: 1_700_000_000)
    }

    func error(_ source: String, _ messages: [Value] = [.message("user", "hi")]) -> ChatTemplateError? {
        do { _ = try render(source, messages); return nil } catch let e as ChatTemplateError { return e } catch {
            XCTFail("unexpected error type \(error)"); return nil
        }
    }

    func testUnsupportedFilterNamesLineAndColumn() {
        let e = error("line one\n{{ 'x' }}\n{{ messages | wordwrap }}")
        XCTAssertEqual(e?.description, "chat template:3:15: unsupported filter 'wordwrap'")
        XCTAssertEqual(e?.kind, .unsupported)
        // Reported at parse time, as jinja2 reports unknown filters when compiling, even in a branch not taken.
        XCTAssertThrowsError(try ChatTemplate(source: "{% if false %}{{ x | nosuch }}{% endif %}"))
        XCTAssertEqual(error("{{ x is nosuchtest }}")?.description, "chat template:1:9: unsupported test 'nosuchtest'")
        XCTAssertEqual(error("\n  {% include 'x.jinja' %}")?.description, "chat template:2:6: unsupported tag 'include'")
    }

    func testSyntaxErrorsNameThePlace() {
        XCTAssertEqual(error("{% if x %}unclosed")?.kind, .syntax)
        XCTAssertEqual(error("{% if x %}unclosed")?.line, 1)
        XCTAssertEqual(error("ok\n{{ 1 + }}")?.description, "chat template:2:8: unexpected 'end of print statement'")
        XCTAssertEqual(error("{% for %}{% endfor %}")?.kind, .syntax)
        XCTAssertEqual(error("{{ (1 }}")?.kind, .syntax)
        XCTAssertEqual(error("{{ 1 ) }}")?.description, "chat template:1:6: unexpected ')'")
        XCTAssertEqual(error("{# never closed")?.description, "chat template:1:1: missing end of comment tag")
        XCTAssertEqual(error("{% endif %}")?.kind, .syntax)
        XCTAssertEqual(error("{% break %}")?.description, "chat template:1:4: 'break' outside of a loop")
        XCTAssertEqual(error("{{ 'abc }}")?.kind, .syntax)
        XCTAssertEqual(error("{% frobnicate %}")?.description, "chat template:1:4: unknown tag 'frobnicate'")
    }

    func testRaiseExceptionCarriesTheMessage() {
        let e = error("a\n{% if messages[0].role == 'user' %}{{ raise_exception('no users ' ~ 'here') }}{% endif %}")
        XCTAssertEqual(e?.kind, .raised)
        XCTAssertEqual(e?.message, "no users here")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.description, "chat template:2:39: raise_exception: no users here")
    }

    func testRuntimeErrorsAsJinja() {
        XCTAssertEqual(error("{{ nope.attr }}")?.message, "'nope' is undefined")
        XCTAssertEqual(error("{{ messages[0].nope.deeper }}")?.message, "'dict object' has no attribute 'nope'")
        XCTAssertEqual(error("{{ 1 + 'a' }}")?.message, "unsupported operand type(s) for +: 'int' and 'str'")
        XCTAssertEqual(error("{{ 'a' + 1 }}")?.message, "can only concatenate str (not \"int\") to str")
        XCTAssertEqual(error("{{ 1 // 0 }}")?.message, "integer division or modulo by zero")
        XCTAssertEqual(error("{{ 1 < 'a' }}")?.message, "'<' not supported between instances of 'int' and 'str'")
        XCTAssertEqual(error("{{ range(200000) | length }}")?.kind, .runtime)
        XCTAssertEqual(error("{% set ns = namespace() %}{% set ns._x = 1 %}")?.kind, .runtime)
        XCTAssertEqual(error("{{ [1].append(2) }}")?.message, "access to attribute 'append' of 'list' object is unsafe.")
        XCTAssertEqual(error("{{ 9223372036854775807 + 1 }}")?.kind, .unsupported)
        // Printing, testing and iterating an undefined value is not an error.
        XCTAssertEqual(try render("[{{ nope }}][{{ nope is defined }}][{% for x in nope %}x{% endfor %}][{{ nope | length }}]"),
                       "[][False][][0]")
    }

    func testMessagePreparationMirrorsApplyChatTemplate() throws {
        // None-valued keys are dropped; reasoning is aliased to thinking and reasoning_content.
        let m: Value = ["role": "assistant", "content": nil, "reasoning": "hmm"]
        XCTAssertEqual(try render("{{ messages[0] }}", [m]), "{'thinking': 'hmm', 'role': 'assistant', 'reasoning': 'hmm', 'reasoning_content': 'hmm'}")
        XCTAssertEqual(try render("{{ messages[0].content is defined }}", [m]), "False")
        // Extra keyword arguments override the special tokens, as in transformers.
        XCTAssertEqual(try render("{{ bos_token }}{{ custom }}", extra: ["bos_token": "<B>", "custom": 3]), "<B>3")
        XCTAssertEqual(try render("{{ tools }} {{ documents }} {{ add_generation_prompt }}", gen: true), "None None True")
        let noTokens = try ChatTemplate(source: "[{{ bos_token }}]{{ bos_token is defined }}").render(messages: [])
        XCTAssertEqual(noTokens, "[]False")
    }

    func testValidateMessages() {
        XCTAssertNil(ChatTemplate.validate(messages: [.message("user", "x"), ["role": "tool", "content": ""]]))
        XCTAssertEqual(ChatTemplate.validate(messages: [.message("user", "x"), ["role": "user"]]), "message 2: no 'content'")
        XCTAssertEqual(ChatTemplate.validate(messages: [["content": "x"]]), "message 1: no 'role'")
        XCTAssertEqual(ChatTemplate.validate(messages: ["text"]), "message 1: not an object")
    }

    func testSelectTemplateFromTokenizerConfig() throws {
        XCTAssertEqual(try ChatTemplate.select(from: "{{ x }}"), "{{ x }}")
        let list: Value = [["name": "tool_use", "template": "T"], ["name": "default", "template": "D"], ["name": "rag", "template": "R"]]
        XCTAssertEqual(try ChatTemplate.select(from: list), "D")
        XCTAssertEqual(try ChatTemplate.select(from: list, withTools: true), "T")
        XCTAssertEqual(try ChatTemplate.select(from: list, name: "rag"), "R")
        XCTAssertThrowsError(try ChatTemplate.select(from: [["name": "a", "template": "A"]]))
        XCTAssertThrowsError(try ChatTemplate.select(from: 3))
    }

    func testStrftimeNowAndGlobals() throws {
        XCTAssertEqual(try render("{{ strftime_now('%Y') }}"), "2023")
        XCTAssertEqual(try render("{{ dict(a=1, b='x') }} {{ dict({'k': 2}, z=none) }}"), "{'a': 1, 'b': 'x'} {'k': 2, 'z': None}")
        XCTAssertEqual(try render("{{ range(2, 10, 3) | list }} {{ range(3, 0, -1) | list }}"), "[2, 5, 8] [3, 2, 1]")
    }

    func testPythonReprOfFloats() {
        let cases: [(Double, String)] = [(1, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
                                         (1.5e-5, "1.5e-05"), (0.0001, "0.0001"), (-0.0, "-0.0"), (.leastNonzeroMagnitude, "5e-324"),
                                         (1.7976931348623157e308, "1.7976931348623157e+308"), (123456.789, "123456.789"),
                                         (.infinity, "inf"), (12345678901234568, "1.2345678901234568e+16")]
        for (d, want) in cases { XCTAssertEqual(pyFloatRepr(d), want) }
    }

    func testTrailingNewlineAndLineEndings() throws {
        XCTAssertEqual(try render("a\n"), "a")
        XCTAssertEqual(try render("a\n\n"), "a\n")
        XCTAssertEqual(try render("a\r\nb\rc"), "a\nb\nc")
        XCTAssertEqual(try render("{% if true %}\r\nx{% endif %}"), "x")
    }

    /// The parser must be total (the fuzzing issue runs it under libFuzzer): random token soup gives errors,
    /// never a trap, and deep nesting is refused before the stack runs out.
    func testParserIsTotal() {
        let pieces = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "\\",
                      "if", "for", "in", "endif", "endfor", "else", "elif", "set", "=", "macro", "endmacro", "x", "1",
                      "1.5e", "0x", "|", "upper", "is", "defined", "not", ".", ",", ":", "~", "*", "**", "//", " ", "\n",
                      "raw", "endraw", "é", "\u{0}", "%", "#", "loop", "namespace", "filter", "with", "0b2", "_"]
        var rng = SystemRandomNumberGenerator()
        var parsed = 0
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...30, using: &rng) { s += pieces.randomElement(using: &rng)! }
            if (try? ChatTemplate(source: s)) != nil { parsed += 1 }
        }
        XCTAssertGreaterThan(parsed, 0)
        for deep in [String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000),
                     String(repeating: "[", count: 5000), String(repeating: "-", count: 5000) + "1",
                     String(repeating: "not ", count: 5000) + "x", "x" + String(repeating: ".a", count: 5000),
                     "x" + String(repeating: "|upper", count: 5000)] {
            XCTAssertThrowsError(try ChatTemplate(source: "{{ " + deep + " }}"))
        }
        let nestedIfs = String(repeating: "{% if x %}", count: 5000) + String(repeating: "{% endif %}", count: 5000)
        XCTAssertEqual((try? ChatTemplate(source: nestedIfs)) == nil, true)
        XCTAssertNoThrow(try ChatTemplate(source: String(repeating: "{% if x %}", count: 50) + String(repeating: "{% endif %}", count: 50)))
    }

    func testMacroRecursionIsBounded() {
        XCTAssertEqual(error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")?.message, "macro calls nested too deeply")
    }
}
