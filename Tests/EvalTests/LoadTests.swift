import XCTest
import Streams
import Eval

final class LoadTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "evaltests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String, _ lines: [String]) throws -> String {
        let path = dir + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ path: String, _ configure: (inout LoadOptions) -> Void = { _ in }) throws -> (SampleSet, String) {
        var o = LoadOptions()
        configure(&o)
        return try loadSamples(paths: [path], options: o) { try JSONLReader(paths: $0) }
    }

    func testFieldsAndDefaults() throws {
        let p = try file("a.jsonl", [
            #"{"task_id":7,"method":"code","sample":1,"verdict":"pass","extracted":42,"meta":{"difficulty":"hard"},"temperature":0.8}"#,
            #"{"task_id":7,"method":"code","sample":0,"verdict":"fail","extracted":"41","temperature":0.8}"#,
            #"{"task_id":7,"method":"code","verdict":"pass","temperature":0}"#,
        ])
        let (set, id) = try load(p) { $0.byFields = ["meta.difficulty"] }
        XCTAssertEqual(id, "task_id")
        XCTAssertEqual(set.count, 3)
        XCTAssertEqual(set.problemCount, 1)
        var opts = EvalOptions(); opts.ks = [1, 2]
        let r = set.evaluate(label: "a", path: p, options: opts)
        XCTAssertEqual(r.all["greedy"], .real(1))       // the temperature-0 record
        XCTAssertEqual(r.all["n_min"], .int(2))         // two sampled records
        XCTAssertEqual(r.all["samples"], .int(3))
        XCTAssertEqual(r.all["coverage@1"], .real(0))   // sample 0 (wrong) comes first
        XCTAssertEqual(r.all["maj@2"], .real(0))        // tie: "41" (sample 0) came first
        XCTAssertEqual(r.by[0].groups.map(\.value), ["hard", missingGroupName])
    }

    func testGSM8KStyleRecordsUseTheQuestionAsID() throws {
        let p = try file("g.jsonl", [
            "{\"question\":\"1+1?\",\"answer\":\"#### 2\",\"verdict\":\"pass\"}",
            "{\"question\":\"2+2?\",\"answer\":\"#### 4\",\"verdict\":\"fail\"}",
        ])
        let (set, id) = try load(p)
        XCTAssertEqual(id, "question")
        XCTAssertEqual(set.problemCount, 2)
    }

    func testErrorsNameFileAndLine() throws {
        let cases: [([String], String)] = [
            ([#"{"id":1,"verdict":"pass"}"#, #"{"id":2}"#], ":2: no 'verdict' field"),
            ([#"{"id":1,"verdict":true}"#], ":1: verdict true is not one of pass, fail"),
            ([#"{"id":1,"verdict":"pass","sample":0}"#, #"{"id":1,"verdict":"fail","sample":0}"#], ":2: sample 0 of problem 1 appears twice"),
            ([#"{"id":1,"verdict":"pass","reward":"high"}"#], ":1: 'reward' is \"high\", not a number"),
            ([#"{"id":1,"verdict":"pass","prompt_tokens":-3}"#], ":1: 'prompt_tokens' is -3, not a token count"),
            ([#"{"id":1,"verdict":"pass","greedy":1}"#], ":1: 'greedy' is 1, not true or false"),
            ([#"{"key":1,"verdict":"pass"}"#], ":1: no problem id field (looked for id, task_id, problem_id"),
        ]
        for (i, (lines, want)) in cases.enumerated() {
            let p = try file("bad\(i).jsonl", lines)
            XCTAssertThrowsError(try load(p)) { e in
                XCTAssert("\(e)".contains("bad\(i).jsonl" + want), "\(e) lacks \(want)")
            }
        }
    }

    func testEquationDiversity() throws {
        let p = try file("e.jsonl", [
            #"{"id":1,"sample":0,"verdict":"pass","completion":"2 + 3 = 5, so 5"}"#,
            #"{"id":1,"sample":1,"verdict":"pass","completion":"We add: 2+3=5. Answer 5"}"#,
            #"{"id":1,"sample":2,"verdict":"pass","completion":"3 + 2 = 5"}"#,
        ])
        var opts = EvalOptions(); opts.ks = [3]
        let (text, _) = try load(p)
        XCTAssertEqual(text.evaluate(label: "", path: "", options: opts).all["diversity@3"], .real(3))
        let (eqs, _) = try load(p) { $0.diversity = .equations }
        XCTAssertEqual(eqs.evaluate(label: "", path: "", options: opts).all["diversity@3"], .real(2))
    }

    func testReportKeysAreStable() throws {
        let set = SampleSet()
        try set.add(SampleRecord(problem: "a", index: 0, verdict: .pass))
        var opts = EvalOptions(); opts.ks = [1, 4]
        let r = set.evaluate(label: "x", path: "x", options: opts)
        let doc = report([r], info: [InputInfo(label: "x", paths: ["x"], idField: "id")], differences: [],
                         options: opts, diversity: .text)
        XCTAssertEqual(doc.keys, ["k", "seed", "bootstrap", "confidence", "diversity_by", "inputs", "differences"])
        let all = doc["inputs"]!.array![0]["all"]!.object!
        XCTAssertEqual(all.keys, [
            "problems", "samples", "correct", "n_min", "n_max", "accuracy", "reward", "greedy",
            "pass@1", "pass@4", "maj@1", "maj@4", "coverage@1", "coverage@4", "diversity@1", "diversity@4",
            "fpr", "fpr_n", "flops", "flops_per_correct", "prompt_tokens", "completion_tokens", "tokens",
            "verdicts", "ci", "notes",
        ])
        XCTAssertEqual(all["verdicts"]!.object!.keys, ["pass", "fail", "timeout", "error", "unparsed"])
        XCTAssertEqual(all["pass@4"], .null)   // one sample: K = 4 not computable
        XCTAssertEqual(all["pass@1"], JSON(1))
    }
}
