// st-tasks: writes the embedded tasks and corpora into a directory, deterministically from --seed.
import ArgumentParser
import Foundation
import Streams
import Tasks
import ToolSupport

struct STTasks: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-tasks",
        abstract: "Generate the embedded tasks, seed set and pre-training corpora.",
        discussion: """
        Writes into DIR (default data/generated), every file a .jsonl.zst written atomically, and MANIFEST.json \
        last (file names, record counts and the settings), so Make can use the manifest as the target:

          arith-{train,val,test}.jsonl.zst  multi-step arithmetic word problems (task "arith"): question, \
        answer, difficulty (= number of equations, 1-5), family (story template), and the gold \
        solution_text (one equation per line, then "Answer: N") and solution_code (a Python program that \
        prints the answer)
          arith-transfer.jsonl.zst          the same arithmetic in a held-out story family, for transfer
          funcs-{train,val,test}.jsonl.zst  Python function-synthesis problems in HumanEval's format (task \
        "humaneval": prompt, canonical_solution, test, entry_point)
          seed.jsonl.zst                    the solved seed set (arithmetic and functions), disjoint from the splits
          seed-pairs.jsonl.zst              the seed set as prompt/completion training pairs, methods text and code
          corpus-text.jsonl.zst             natural-language documents {"text", "source"}
          corpus-code.jsonl.zst             code documents {"text", "source"}

        Questions and function entry points never repeat across splits. The corpora mix generated in-domain \
        documents (stories without questions; programs; the train split's functions only) with real text \
        and code every Debian machine has: /usr/share/common-licenses and the Python 3.11 standard library. \
        The prompts in seed-pairs are the ones st-sample's built-in text and code methods render.

        EXAMPLES:
          # The defaults used by the demo
          st-tasks -o data/generated
          # A bigger, harder set with another seed
          st-tasks -o /tmp/tasks --seed 7 --arith-train 5000 --max-difficulty 6

        EXIT STATUS:
          0   success
          1   a file could not be written
          64  usage error
        """)

    @Option(name: .customLong("arith-train"), help: "Arithmetic training problems.") var arithTrain = 2000
    @Option(name: .customLong("arith-val"), help: "Arithmetic validation problems.") var arithVal = 200
    @Option(name: .customLong("arith-test"), help: "Arithmetic test problems.") var arithTest = 500
    @Option(name: .customLong("arith-transfer"), help: "Problems of the held-out family.") var arithTransfer = 300
    @Option(name: .customLong("funcs-train"), help: "Function problems for training.") var funcsTrain = 100
    @Option(name: .customLong("funcs-val"), help: "Function problems for validation.") var funcsVal = 25
    @Option(name: .customLong("funcs-test"), help: "Function problems for testing.") var funcsTest = 50
    @Option(name: .customLong("seed-size"), help: "Solved arithmetic problems in the seed set (plus a quarter as many functions).") var seedSize = 128
    @Option(name: .customLong("max-difficulty"), help: "Most equations in a problem.") var maxDifficulty = 5
    @Option(name: .customLong("corpus-bytes"), help: "Approximate size of each corpus in bytes.") var corpusBytes = 3_000_000
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !(1...8).contains(maxDifficulty) { throw ValidationError("--max-difficulty must be 1 to 8") }
        for (name, v) in [("arith-train", arithTrain), ("arith-val", arithVal), ("arith-test", arithTest),
                          ("arith-transfer", arithTransfer), ("funcs-train", funcsTrain), ("funcs-val", funcsVal),
                          ("funcs-test", funcsTest), ("seed-size", seedSize), ("corpus-bytes", corpusBytes)] where v < 0 {
            throw ValidationError("--\(name) must be at least 0")
        }
    }

    func run() throws {
        let dir = common.output ?? "data/generated"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var manifest: [(String, JSON)] = []
        func write(_ name: String, _ records: [JSONObject]) throws {
            let w = try JSONLWriter(path: "\(dir)/\(name)")
            for r in records { try w.write(r) }
            try w.commit()
            manifest.append((name, JSON(records.count)))
            if common.verbose { note(Self.toolName, "\(dir)/\(name): \(records.count) records") }
        }
        let seed = common.seed
        let arith = arithmeticSplits([.train: arithTrain, .val: arithVal, .test: arithTest, .transfer: arithTransfer,
                                      .seed: seedSize], difficulties: 1...maxDifficulty, seed: seed)
        let funcs = functionSplits([.train: funcsTrain, .val: funcsVal, .test: funcsTest, .seed: seedSize / 4], seed: seed)
        for split in [Split.train, .val, .test] {
            try write("arith-\(split.rawValue).jsonl.zst", arith[split]!)
            try write("funcs-\(split.rawValue).jsonl.zst", funcs[split]!)
        }
        try write("arith-transfer.jsonl.zst", arith[.transfer]!)
        let seedSet = arith[.seed]! + funcs[.seed]!
        try write("seed.jsonl.zst", seedSet)
        try write("seed-pairs.jsonl.zst", seedSet.flatMap { r in ["text", "code"].compactMap { trainingPair(r, method: $0) } })
        let corpus = CorpusOptions(bytes: corpusBytes, seed: seed)
        try write("corpus-text.jsonl.zst", textCorpus(corpus))
        try write("corpus-code.jsonl.zst", codeCorpus(corpus, trainFunctions: funcs[.train]!))

        let settings = JSONObject([
            ("seed", JSON(Int(truncatingIfNeeded: seed))), ("max_difficulty", JSON(maxDifficulty)),
            ("corpus_bytes", JSON(corpusBytes)),
        ])
        let m = JSONObject([("generator", JSON("st-tasks")), ("settings", .object(settings)),
                            ("files", .object(JSONObject(manifest)))])
        let out = try OutputFile(path: "\(dir)/MANIFEST.json")
        let sink = ByteSink(out, compress: false)
        try sink.write(Array((JSON.object(m).serialized() + "\n").utf8))
        try sink.commit()
    }
}

STTasks.runTool()
