// st-mix: weighted, seeded mixtures of JSON Lines streams.
import ArgumentParser
import Mix
import Streams
import ToolSupport

struct STMix: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-mix",
        abstract: "Build a weighted, seeded mixture of JSON Lines sources.",
        discussion: """
        Each SOURCE is PATH or PATH:WEIGHT (weight 1 when omitted; weights need not sum to 1). A path that \
        itself contains ':' is read as a path when that file exists.

        With --total N, a source gives N × weight / Σweights records (largest-remainder rounding), drawn \
        uniformly at random without replacement. A source with fewer records is an error that says how many \
        it had, unless --replacement is given: then each of its records is taken once and the rest are \
        drawn uniformly with replacement. The drawn records are shuffled together exactly; they are held in \
        memory.

        Without --total, every record of every source is written once, shuffled. The shuffle is exact when \
        all records fit in the buffer (--buffer, in records). Otherwise the sources are counted in a first \
        pass, interleaved at random in proportion to what each has left, and passed through a shuffle \
        buffer: each output is drawn uniformly from the last B records read, so a record moves at most \
        about B places from its position in that random interleaving. Stdin cannot be counted twice and \
        must fit in the buffer.

        --tag FIELD writes each record's source path into FIELD; a record that already has FIELD is an error \
        unless --overwrite-tag is given. The realized proportions are reported on \
        stderr (unless -q). The same sources, options and --seed always give the same bytes.

        EXAMPLES:
          # 75% code, 25% text, 10000 records in all
          st-mix code.jsonl.zst:0.75 text.jsonl.zst:0.25 --total 10000 --seed 1 -o mix.jsonl.zst
          # Shuffle two rounds' kept samples together and remember where each came from
          st-mix round-1/kept.jsonl.zst round-2/kept.jsonl.zst --tag source --seed 2 -o train.jsonl.zst
          # Upsample a small seed set beside a large one
          st-mix seed.jsonl:1 kept.jsonl.zst:3 --total 4000 --replacement -o train.jsonl.zst

        EXIT STATUS:
          0   success (also when stdout is a closed pipe)
          1   bad input: a missing or invalid source, a weight that is not a number, a record that already has the --tag field, a source with too few records without --replacement, an unwritable output; no output file is left
          64  usage error: an unknown option or a bad option value
        """)

    @Argument(help: ArgumentHelp("Sources as PATH or PATH:WEIGHT.", valueName: "source"))
    var sources: [String]

    @Option(help: ArgumentHelp("Number of records to draw in all.", valueName: "n"))
    var total: Int?

    @Flag(help: "Let a source that runs out be drawn again with replacement.")
    var replacement = false

    @Option(help: ArgumentHelp("Write each record's source path into this field.", valueName: "field"))
    var tag: String?

    @Flag(name: .customLong("overwrite-tag"), help: "Let --tag replace a field the records already have (an error otherwise).")
    var overwriteTag = false

    @Option(help: ArgumentHelp("Shuffle buffer size in records (default 1000000); all records shuffled exactly when they fit.", valueName: "records"))
    var buffer: Int = 1_000_000

    @Flag(name: .customLong("skip-bad"), help: "Warn about and skip invalid lines instead of stopping.")
    var skipBad = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source") }
        if let t = total, t < 0 { throw ValidationError("--total must be at least 0") }
        if buffer < 1 { throw ValidationError("--buffer must be at least 1") }
    }

    func run() throws {
        var spec = MixSpec(sources: try sources.map { try MixSource.parse($0) })
        spec.total = total
        spec.replacement = replacement
        spec.tag = tag
        spec.overwriteTag = overwriteTag
        spec.bufferRecords = buffer
        spec.seed = common.seed
        spec.skipBad = skipBad
        if spec.sources.filter({ $0.path == "-" }).count > 1 { throw ToolError("stdin ('-') can be given only once") }
        let writer = try JSONLWriter(path: common.output)
        let report = try Mixer(spec: spec, writer: writer).run()
        try writer.commit()
        if !common.quiet {
            // an empty source is valid (an upstream filter may keep nothing), but said
            for (s, a) in zip(spec.sources, report.available) where a == 0 {
                warn(Self.toolName, "\(s.path == "-" ? "<stdin>" : s.path): empty input (no records)")
            }
            let n = max(1, report.written.reduce(0, +))
            let parts = zip(spec.sources, report.written).map { s, w in
                "\(s.path) \(w) (\(String(format2(100 * Double(w) / Double(n))))%)"
            }
            note(Self.toolName, "wrote \(report.written.reduce(0, +)): " + parts.joined(separator: ", ")
                 + (report.exactShuffle ? "" : "; buffered shuffle"))
        }
    }
}

func format2(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    return String(r)
}

STMix.runTool()
