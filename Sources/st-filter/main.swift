// st-filter: keep the records that pass, cap them per group, dedup, and shape their fields.
import ArgumentParser
import Filter
import Streams
import ToolSupport

struct STFilter: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-filter",
        abstract: "Keep, cap, dedup and reshape JSON Lines records.",
        discussion: """
        Reads JSON Lines (zstd-compressed or plain, told apart by their first bytes) from each INPUT in \
        order, or stdin, and writes the records that survive, unchanged byte for byte unless fields are \
        reshaped. Steps run in this order: --where, dedup, --cap, then --keep-fields/--drop-fields/--rename. \
        --by names the group for --cap and scopes dedup to each group.

        The --where language: field paths (verdict, meta.difficulty, tests[0], meta["odd key"]), literals \
        ("text" or 'text', numbers, true, false, null), == != < <= > >=, and, or, not, parentheses, and the \
        functions exists(path), contains(path, "s"), matches(path, "regex"), len(path). Any comparison with \
        a missing field is false, whatever the operator; test presence with exists(). Numbers compare \
        numerically, strings by code point; values of different types are unequal. len() counts a \
        string's code points, an array's items or an object's members. contains() finds a substring, or \
        an array item equal to the literal. matches() searches (is not anchored). A bare value used as a \
        condition is true unless it is missing, null or false. A field the expression names that no record \
        has, and a comparison of a string with a number, are reported as warnings on stderr (unless -q).

        Dedup modes: --dedup compares the field exactly; --dedup-normalized after folding case and \
        collapsing whitespace; --dedup-equations compares the sequence of arithmetic equations in the text \
        (GSM8K <<a*b=c>> annotations when present, else inline 'a op b = c' chains; whitespace, thousands \
        separators and operator spellings normalized), the rule of rejection-sampling fine-tuning (RFT). \
        The first record of each duplicate set is kept. Dedup keeps a 128-bit hash per distinct key.

        --cap keeps the first N records of each group, or with --cap-pick random a uniformly random N \
        chosen by --seed (those are held in memory and written at the end, in input order). A record \
        without the --by or dedup field is an error. -v prints what each step removed.

        EXAMPLES:
          # Keep passing samples shorter than 2000 characters
          st-filter --where 'verdict == "pass" and len(completion) < 2000' verified.jsonl.zst -o kept.jsonl.zst
          # ReST-EM: at most 10 correct solutions per problem, chosen at random
          st-filter --where 'reward == 1' --by id --cap 10 --cap-pick random --seed 1 verified.jsonl.zst -o kept.jsonl.zst
          # RFT: distinct reasoning paths per problem
          st-filter --where 'verdict == "pass"' --by id --dedup-equations completion verified.jsonl.zst -o rft.jsonl.zst
          # Training pairs only, completion renamed
          st-filter --keep-fields prompt,completion --rename completion=target kept.jsonl.zst -o train.jsonl.zst
          # Peek at the first failures
          st-filter --where 'verdict != "pass"' verified.jsonl.zst | head -3 | jq .reason

        EXIT STATUS:
          0   success (also when stdout is a closed pipe)
          1   bad input: invalid JSON or UTF-8, a truncated zstd file, an invalid --where, a missing --by field, an unwritable output; no output file is left
          64  usage error: an unknown option or a bad option value
        """)

    @Argument(help: ArgumentHelp("JSON Lines files (.jsonl, .jsonl.zst); '-' or none reads stdin.", valueName: "input"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Keep records for which EXPR is true (see the --where language above).", valueName: "expr"))
    var `where`: String?

    @Option(help: ArgumentHelp("Group field for --cap and dedup scope (e.g. id).", valueName: "path"))
    var by: String?

    @Option(help: ArgumentHelp("Keep at most N records per --by group (or overall without --by).", valueName: "n"))
    var cap: Int?

    @Option(name: .customLong("cap-pick"), help: ArgumentHelp("Which records --cap keeps: first or random (by --seed).", valueName: "first|random"))
    var capPick: String = "first"

    @Option(help: ArgumentHelp("Drop records whose FIELD equals that of an earlier record.", valueName: "path"))
    var dedup: String?

    @Option(name: .customLong("dedup-normalized"), help: ArgumentHelp("Like --dedup, with case folded and whitespace collapsed.", valueName: "path"))
    var dedupNormalized: String?

    @Option(name: .customLong("dedup-equations"), help: ArgumentHelp("Like --dedup, comparing the text's sequence of arithmetic equations.", valueName: "path"))
    var dedupEquations: String?

    @Option(name: .customLong("keep-fields"), help: ArgumentHelp("Write only these top-level fields (comma-separated), in their original order.", valueName: "a,b"))
    var keepFields: String?

    @Option(name: .customLong("drop-fields"), help: ArgumentHelp("Remove these top-level fields (comma-separated).", valueName: "a,b"))
    var dropFields: String?

    @Option(help: ArgumentHelp("Rename a top-level field (repeatable, or comma-separated).", valueName: "old=new"))
    var rename: [String] = []

    @Flag(name: .customLong("skip-bad"), help: "Warn about and skip invalid lines instead of stopping (counted at the end).")
    var skipBad = false

    @Flag(name: .customLong("allow-empty"), help: "Say nothing about inputs with no records (an empty input gives an empty output either way; without this flag a warning names it).")
    var allowEmpty = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let c = cap, c < 0 { throw ValidationError("--cap must be at least 0") }
        if CapPick(rawValue: capPick) == nil { throw ValidationError("--cap-pick must be 'first' or 'random'") }
        if [dedup, dedupNormalized, dedupEquations].compactMap({ $0 }).count > 1 {
            throw ValidationError("give only one of --dedup, --dedup-normalized, --dedup-equations")
        }
        if keepFields != nil && dropFields != nil { throw ValidationError("give --keep-fields or --drop-fields, not both") }
        for r in rename.flatMap({ $0.split(separator: ",") }) where r.split(separator: "=").count != 2 {
            throw ValidationError("--rename takes old=new, got '\(r)'")
        }
    }

    func run() throws {
        var spec = FilterSpec()
        spec.seed = common.seed
        if let w = `where` { spec.predicate = try Predicate(w) }
        if let b = by { spec.by = try FieldPath(b) }
        spec.cap = cap
        spec.capPick = CapPick(rawValue: capPick)!
        if let d = dedup { spec.dedup = (try FieldPath(d), .exact) }
        if let d = dedupNormalized { spec.dedup = (try FieldPath(d), .normalized) }
        if let d = dedupEquations { spec.dedup = (try FieldPath(d), .equations) }
        spec.keepFields = keepFields.map { $0.split(separator: ",").map(String.init) }
        spec.dropFields = Set(dropFields.map { $0.split(separator: ",").map(String.init) } ?? [])
        for r in rename.flatMap({ $0.split(separator: ",") }) {
            let parts = r.split(separator: "=").map(String.init)
            spec.renames[parts[0]] = parts[1]
        }

        let reader = try openInputs(inputs, tool: Self.toolName, common: common, skipBad: skipBad, allowEmpty: allowEmpty)
        let writer = try JSONLWriter(path: common.output)
        let run = FilterRun(spec: spec, reader: reader, writer: writer)
        try run.run()
        try writer.commit()
        reportSkipped(reader, tool: Self.toolName, common: common)
        if let d = spec.predicate?.diagnostics, !common.quiet, run.stats.read > 0 {
            for p in d.missingPaths {
                warn(Self.toolName, "--where names '\(p)', which none of the \(run.stats.read) records has (a comparison with it is false)")
            }
            if d.mixedComparisons > 0, let first = d.firstMixed {
                warn(Self.toolName, "--where compared a string with a number \(d.mixedComparisons) time\(d.mixedComparisons == 1 ? "" : "s"), first \(first): such a comparison is always false")
            }
        }
        if common.verbose {
            let s = run.stats
            note(Self.toolName, "read \(s.read), failed --where \(s.failedWhere), duplicates \(s.duplicates), over cap \(s.overCap), wrote \(s.written)")
        }
    }
}

STFilter.runTool()
