import XCTest
@testable import Sample
@testable import Streams

final class SamplerTests: XCTestCase {
    func cands(_ logits: [Float]) -> Candidates { Candidates(ids: (0..<Int32(logits.count)).map { $0 }, logits: logits) }

    func testTemperatureScales() {
        var c = cands([2, 4])
        Temperature(2).apply(&c)
        XCTAssertEqual(c.logits, [1, 2])
    }

    func testTopKKeepsTheKBestWithTiesByID() {
        var c = cands([1, 3, 3, 0, 2])
        TopK(3).apply(&c)
        XCTAssertEqual(c.ids, [1, 2, 4])
        var all = cands([1, 2]); TopK(0).apply(&all); XCTAssertEqual(all.count, 2)
    }

    func testTopPKeepsTheSmallestNucleus() {
        // probabilities 0.5, 0.25, 0.125, 0.125
        let l: [Float] = [log(0.5), log(0.25), log(0.125), log(0.125)].map { Float($0) }
        var c = cands(l); TopP(0.5).apply(&c); XCTAssertEqual(c.ids, [0])
        c = cands(l); TopP(0.6).apply(&c); XCTAssertEqual(c.ids, [0, 1])
        c = cands(l); TopP(0.75).apply(&c); XCTAssertEqual(c.ids, [0, 1])
        c = cands(l); TopP(0.8).apply(&c); XCTAssertEqual(c.ids, [0, 1, 2])
        c = cands(l); TopP(1).apply(&c); XCTAssertEqual(c.count, 4)
    }

    func testMinPDropsUnlikelyTokens() {
        let l: [Float] = [log(0.5), log(0.3), log(0.15), log(0.05)].map { Float($0) }
        var c = cands(l); MinP(0.5).apply(&c); XCTAssertEqual(c.ids, [0, 1])
        c = cands(l); MinP(0.05).apply(&c); XCTAssertEqual(c.ids, [0, 1, 2, 3])
    }

    func testGreedyIsArgmaxLowestIDOnTies() {
        var s = SamplingSettings(); s.temperature = 0
        var rng = SeededRandom(seed: 1)
        let row: [Float] = [0, 5, 5, 1]
        XCTAssertEqual(row.withUnsafeBufferPointer { Sampler(s).next($0.baseAddress!, vocab: 4, rng: &rng) }, 1)
    }

    func testDrawFollowsTheDistribution() {
        let s = Sampler(SamplingSettings())
        let row: [Float] = [log(0.7), log(0.2), log(0.1)].map { Float($0) }
        var rng = SeededRandom(seed: 3)
        var counts = [0, 0, 0]
        for _ in 0..<20000 { counts[Int(row.withUnsafeBufferPointer { s.next($0.baseAddress!, vocab: 3, rng: &rng) })] += 1 }
        XCTAssertEqual(Double(counts[0]) / 20000, 0.7, accuracy: 0.02)
        XCTAssertEqual(Double(counts[2]) / 20000, 0.1, accuracy: 0.01)
    }

    func testChainOrderTemperatureBeforeTopP() {
        // At T = 0.5 the top token's probability goes from 0.8 to 0.96, so top-p 0.9 keeps it alone; applied
        // before the temperature, top-p would keep two tokens.
        var settings = SamplingSettings(); settings.temperature = 0.5; settings.topP = 0.9
        let row: [Float] = [log(0.8), log(0.15), log(0.05)].map { Float($0) }
        var rng = SeededRandom(seed: 9)
        for _ in 0..<200 { XCTAssertEqual(row.withUnsafeBufferPointer { Sampler(settings).next($0.baseAddress!, vocab: 3, rng: &rng) }, 0) }
    }

    func testSampleStreamsAreKeyedBySampleNotOrder() {
        var a = SampleEngine.stream(seed: 1, problem: "p", method: "text", sample: 3)
        var b = SampleEngine.stream(seed: 1, problem: "p", method: "text", sample: 3)
        var c = SampleEngine.stream(seed: 1, problem: "p", method: "code", sample: 3)
        XCTAssertEqual(a.next(), b.next())
        XCTAssertNotEqual(a.next(), c.next())
    }
}

final class MethodTests: XCTestCase {
    func record(_ json: String) throws -> JSONRecord {
        let path = NSTemporaryDirectory() + "st-m-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: path, contents: Data((json + "\n").utf8))
        return try XCTUnwrap(try JSONLReader(paths: [path]).next()).copy()
    }

    func testRenderFieldsSpecialsAndBraces() throws {
        let m = Method(name: "t", template: "A {{x}} {q} {meta.n} {list}{@mask_1}{s}")
        let r = try record(#"{"q":"why?","meta":{"n":3},"list":["a","b"],"s":"end"}"#)
        XCTAssertEqual(try m.render(r), [.text("A {x} why? 3 a\nb"), .special("mask_1"), .text("end")])
        XCTAssertThrowsError(try Method(name: "t", template: "{missing}").render(r)) { e in
            XCTAssertEqual("\(e)", "method t needs field 'missing', which the record lacks")
        }
        // A brace inside a grapheme cluster is still a brace (U+0602 prepends to `{`; U+0301 combines with `}`).
        XCTAssertEqual(try Method(name: "t", template: "\u{0602}{q}{{\u{301}").render(r), [.text("\u{0602}why?{\u{301}")])
        XCTAssertEqual(try Method(name: "t", template: "{q}\u{301}").render(r), [.text("why?\u{301}")])
    }

    func testBuiltinsMatchTheSeedSetPrompts() throws {
        let r = try record(#"{"question":"Q?","completion":"1 + 1 = 2\nAnswer: 2"}"#)
        XCTAssertEqual(try BuiltinMethods.named("text")!.render(r), [.text("Question: Q?\nSolution:\n")])
        XCTAssertEqual(try BuiltinMethods.named("text-to-code")!.render(r), [.text("Question: Q?\nSolution:\n1 + 1 = 2\nAnswer: 2\nProgram:\n")])
        XCTAssertTrue(BuiltinMethods.named("text-to-code")!.translates)
    }

    func testMethodFile() throws {
        let path = NSTemporaryDirectory() + "st-m-\(UUID().uuidString).method"
        FileManager.default.createFile(atPath: path, contents: Data("# c\nname: few\nstop: \\n\\nQ:\nstop: END\nmax-tokens: 9\n---\nQ: {q}\n".utf8))
        let m = try Method.parse(file: path)
        XCTAssertEqual(m.name, "few"); XCTAssertEqual(m.stop, ["\n\nQ:", "END"]); XCTAssertEqual(m.maxTokens, 9)
        XCTAssertEqual(m.template, "Q: {q}\n")
        FileManager.default.createFile(atPath: path, contents: Data("name: x\nbogus: 1\n---\nT".utf8))
        XCTAssertThrowsError(try Method.parse(file: path)) { e in XCTAssertTrue("\(e)".contains(":2: unknown key 'bogus'"), "\(e)") }
        XCTAssertThrowsError(try resolveMethod("no-such-method"))
        // The text entry (the fuzzer's): the given name holds unless the header sets one; errors name the path.
        let t = try Method.parse(text: "stop: X\n---\n{q}", name: "dflt", path: "<text>")
        XCTAssertEqual(t.name, "dflt"); XCTAssertEqual(t.stop, ["X"]); XCTAssertEqual(t.template, "{q}")
        XCTAssertThrowsError(try Method.parse(text: "name: x\n", name: "x", path: "<text>")) { e in
            XCTAssertTrue("\(e)".hasPrefix("<text>: no '---' line"), "\(e)")
        }
    }

    /// Errors in a method file name the file and the line of the mistake, at render time and before it.
    func testMethodFileErrorsNameTheirLine() throws {
        let m = try Method.parse(text: "name: few\n---\nQ: {q}\n{@bos}A: {{x}}\n\n{a.b}{@sep} {@mask_1}\n", name: "few", path: "few.txt")
        XCTAssertEqual(m.source, "few.txt:3")
        XCTAssertEqual(m.specials().map { "\($0.name):\($0.line)" }, ["bos:4", "sep:6", "mask_1:6"])
        let r = try record(#"{"q":"why?"}"#)
        XCTAssertThrowsError(try m.render(r)) { e in
            XCTAssertEqual("\(e)", "method few (few.txt:6) needs field 'a.b', which the record lacks")
        }
        XCTAssertNoThrow(try m.checkSpecials(chat: false) { _ in true })
        XCTAssertThrowsError(try m.checkSpecials(chat: false) { $0 != "sep" }) { e in
            XCTAssertEqual("\(e)", "few.txt:6: unknown special token {@sep}: the model's tokenizer has no such token")
        }
        XCTAssertThrowsError(try m.checkSpecials(chat: true) { _ in true }) { e in
            XCTAssertEqual("\(e)", "few.txt:4: {@bos} cannot be part of a chat message (--chat)")
        }
        // a built-in is named by its name
        XCTAssertThrowsError(try BuiltinMethods.named("infill")!.checkSpecials(chat: false) { $0 != "mask_1" }) { e in
            XCTAssertEqual("\(e)", "method infill: unknown special token {@mask_1}: the model's tokenizer has no such token")
        }
    }
}
