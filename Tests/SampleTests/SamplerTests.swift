import XCTest
@testable import Sample
@testable import Streams

final class SamplerTests: XCTestCase {
    func settings(t: Double = 1, k: Int = 0, p: Double = 1, minP: Double = 0) -> SamplingSettings {
        var s = SamplingSettings(); s.temperature = t; s.topK = k; s.topP = p; s.minP = minP
        return s
    }
    func survivors(_ s: SamplingSettings, _ logits: [Float]) -> [Int32] {
        logits.withUnsafeBufferPointer { Sampler(s).survivors($0.baseAddress!, vocab: logits.count) }
    }
    func next(_ s: SamplingSettings, _ row: [Float], _ rng: inout SeededRandom) -> Int32 {
        row.withUnsafeBufferPointer { Sampler(s).next($0.baseAddress!, vocab: row.count, rng: &rng, scratch: SamplerScratch(vocab: row.count)) }
    }

    func testTopKKeepsTheKBestWithTiesByID() {
        XCTAssertEqual(survivors(settings(k: 3), [1, 3, 3, 0, 2]), [1, 2, 4])
        XCTAssertEqual(survivors(settings(k: 0), [1, 2]), [1, 0])
        XCTAssertEqual(survivors(settings(k: 2), [0, -0.0, 0, 0]), [0, 1])
    }

    func testTopPKeepsTheSmallestNucleus() {
        // probabilities 0.5, 0.25, 0.125, 0.125
        let l: [Float] = [log(0.5), log(0.25), log(0.125), log(0.125)].map { Float($0) }
        XCTAssertEqual(survivors(settings(p: 0.5), l), [0])
        XCTAssertEqual(survivors(settings(p: 0.6), l), [0, 1])
        XCTAssertEqual(survivors(settings(p: 0.75), l), [0, 1])
        XCTAssertEqual(survivors(settings(p: 0.8), l), [0, 1, 2])
        XCTAssertEqual(survivors(settings(p: 1), l).count, 4)
    }

    func testMinPDropsUnlikelyTokens() {
        let l: [Float] = [log(0.5), log(0.3), log(0.15), log(0.05)].map { Float($0) }
        XCTAssertEqual(survivors(settings(minP: 0.5), l), [0, 1])
        XCTAssertEqual(survivors(settings(minP: 0.05), l), [0, 1, 2, 3])
    }

    func testGreedyIsArgmaxLowestIDOnTies() {
        var rng = SeededRandom(seed: 1)
        XCTAssertEqual(next(settings(t: 0), [0, 5, 5, 1], &rng), 1)
    }

    func testDrawFollowsTheDistribution() {
        let row: [Float] = [log(0.7), log(0.2), log(0.1)].map { Float($0) }
        var rng = SeededRandom(seed: 3)
        var counts = [0, 0, 0]
        let scratch = SamplerScratch(vocab: 3), s = Sampler(settings())
        for _ in 0..<20000 { counts[Int(row.withUnsafeBufferPointer { s.next($0.baseAddress!, vocab: 3, rng: &rng, scratch: scratch) })] += 1 }
        XCTAssertEqual(Double(counts[0]) / 20000, 0.7, accuracy: 0.02)
        XCTAssertEqual(Double(counts[2]) / 20000, 0.1, accuracy: 0.01)
    }

    func testChainOrderTemperatureBeforeTopP() {
        // At T = 0.5 the top token's probability goes from 0.8 to 0.96, so top-p 0.9 keeps it alone; applied
        // before the temperature, top-p would keep two tokens.
        let row: [Float] = [log(0.8), log(0.15), log(0.05)].map { Float($0) }
        var rng = SeededRandom(seed: 9)
        for _ in 0..<200 { XCTAssertEqual(next(settings(t: 0.5, p: 0.9), row, &rng), 0) }
    }

    /// Rows of logits that reach every branch: spreads from flat to far wider than the near bound (37.5), ties
    /// by rounding to coarse steps, a few standouts, -inf entries.
    func randomRow(_ v: Int, _ g: inout SeededRandom, kind: Int) -> [Float] {
        let scale: Float = [0.3, 2, 4, 10, 40][kind % 5]
        var row = (0..<v).map { _ -> Float in
            // a sum of uniforms: roughly normal
            Float((0..<4).map { _ in g.unit() }.reduce(0, +) - 2) * scale
        }
        if kind % 3 == 1 { row = row.map { ($0 * 2).rounded() / 2 } }         // many ties
        if kind % 4 == 2 { for _ in 0..<3 { row[Int(g.next() % UInt64(v))] += 30 } }
        if kind % 7 == 3 { for _ in 0..<v / 10 { row[Int(g.next() % UInt64(v))] = -.infinity } }
        return row
    }

    /// The chain draws what the plain definition (the former implementation, ReferenceSampler.swift) draws,
    /// on random rows under every combination of settings, for the same random stream.
    func testSameDrawsAsTheReferenceChain() {
        var g = SeededRandom(seed: 42)
        var combos: [SamplingSettings] = []
        for t in [1, 0.7, 1.6, 0.25, 0] as [Double] {
            for k in [0, 1, 7, 100, 3000] { for p in [1, 0.9, 0.3, 0.999999999] { for mp in [0, 0.05, 1e-30] {
                combos.append(settings(t: t, k: k, p: p, minP: mp))
            } } }
        }
        var draws = 0, fallback = 0
        for (ci, s) in combos.enumerated() {
            let v = [5, 300, 4000][ci % 3]
            let row = randomRow(v, &g, kind: ci)
            let fast = Sampler(s), ref = ReferenceSampler(s)
            let scratch = SamplerScratch(vocab: v)
            var a = SeededRandom(seed: UInt64(ci)), b = a
            for _ in 0..<6 {
                let x = row.withUnsafeBufferPointer { fast.next($0.baseAddress!, vocab: v, rng: &a, scratch: scratch) }
                let y = row.withUnsafeBufferPointer { ref.next($0.baseAddress!, vocab: v, rng: &b) }
                XCTAssertEqual(x, y, "settings \(s) row kind \(ci) vocab \(v)")
                draws += 1
            }
            // the ends of the walk: u at 0 and just below 1 (the latter walks past the near candidates)
            for u in [0, 0.5, 1 - 0x1p-53, 1 - 0x1p-40] as [Double] where !s.isGreedy {
                var best = 0
                for i in 1..<v where row[i] > row[best] { best = i }
                let x = row.withUnsafeBufferPointer { fast.draw($0.baseAddress!, v, u: u, scratch, best: best) }
                let y = row.withUnsafeBufferPointer { ref.next($0.baseAddress!, vocab: v, u: u) }
                XCTAssertEqual(x, y, "u \(u) settings \(s) row kind \(ci) vocab \(v)")
                if row.withUnsafeBufferPointer({ fast.survivors($0.baseAddress!, v, scratch, all: false, best: best) }) == nil { fallback += 1 }
            }
            XCTAssertEqual(row.withUnsafeBufferPointer { fast.survivors($0.baseAddress!, vocab: v) },
                           row.withUnsafeBufferPointer { ref.survivors($0.baseAddress!, vocab: v) }, "survivors \(s) kind \(ci)")
        }
        XCTAssertGreaterThan(draws, 1000)
        XCTAssertGreaterThan(fallback, 0, "no row took the every-candidate path")
    }

    /// A real vocabulary's size, tokens drawn from many streams.
    func testSameDrawsAtVocabularySize() {
        var g = SeededRandom(seed: 7)
        let v = 49152
        let scratch = SamplerScratch(vocab: v)
        for (i, s) in [settings(), settings(t: 0.8, p: 0.95), settings(t: 0.7, k: 50, p: 0.9, minP: 0.02)].enumerated() {
            let row = randomRow(v, &g, kind: i + 1)
            let fast = Sampler(s), ref = ReferenceSampler(s)
            var a = SeededRandom(seed: 100 + UInt64(i)), b = a
            for _ in 0..<20 {
                let x = row.withUnsafeBufferPointer { fast.next($0.baseAddress!, vocab: v, rng: &a, scratch: scratch) }
                let y = row.withUnsafeBufferPointer { ref.next($0.baseAddress!, vocab: v, rng: &b) }
                XCTAssertEqual(x, y, "settings \(s)")
            }
        }
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
