// Load: verified samples from JSON Lines (st-verify output) into a SampleSet, with errors that name the file
// and line.
import MathText
import Streams

/// Fields tried, in order, for the problem id when --id-field is not given (the schema's rule,
/// `ProblemID.candidates`); the first present in an input's first record is used for the whole input, so every
/// problem of an input is named the same way. Question text is a last resort (GSM8K records have no id).
public let defaultIDFields = ProblemID.candidates

public enum DiversityKey: String, CaseIterable, Sendable {
    /// Distinct by text with whitespace runs folded (`normalizeSolution`).
    case text
    /// Distinct by the list of arithmetic equations (`equationSignature`, RFT's rule).
    case equations

    public var function: (String) -> [UInt8] {
        switch self {
        case .text: return normalizedSolutionBytes
        case .equations: return { Array(equationSignature($0).joined(separator: "\n").utf8) }
        }
    }
}

public struct LoadOptions {
    /// Problem id field; nil: the first of `defaultIDFields` present in the first record.
    public var idField: String? = nil
    /// Field holding the solution whose distinct versions diversity@k counts.
    public var solutionField = RecordField.completion
    public var byFields: [String] = []
    public var diversity = DiversityKey.text
    public init() {}
}

/// A JSON value as group or answer text: strings as they are, numbers as written, other values as compact JSON.
func text(_ v: JSON) -> String {
    switch v {
    case .string(let s): return s
    case .number(let n): return n
    default: return v.serialized()
    }
}

/// Reads every record of `paths` (read in order as one input) into a new SampleSet. Returns the set and the
/// problem id field used.
public func loadSamples(paths: [String], options: LoadOptions,
                        open: ([String]) throws -> JSONLReader) throws -> (SampleSet, idField: String) {
    let reader = try open(paths)
    let set = SampleSet(byFields: options.byFields, solutionKey: options.diversity.function)
    let byPaths = try options.byFields.map { try FieldPath($0) }
    let solutionPath = try FieldPath(options.solutionField)
    var idField = options.idField
    var idPath = try idField.map { try FieldPath($0) }
    while let rec = try reader.next() {
        func fail(_ message: String) -> DataError { DataError(file: reader.file, line: reader.line, message: message) }
        if idPath == nil {
            guard let f = ProblemID.field(of: rec, among: ProblemID.candidates) else {
                throw fail("no problem id field (looked for " + defaultIDFields.joined(separator: ", ")
                    + "); name one with --\(ProblemID.option) FIELD")
            }
            idField = f
            idPath = FieldPath(steps: [.key(f)], text: f)
        }
        guard let verdictValue = rec[RecordField.verdict] else {
            throw fail("no 'verdict' field: st-eval reads st-verify output")
        }
        guard let vs = verdictValue.string, let verdict = Verdict(rawValue: vs) else {
            throw fail("verdict \(verdictValue.serialized()) is not one of "
                + Verdict.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let idValue = rec.value(at: idPath!), !idValue.isNull else {
            throw fail("no problem id field '\(idField!)'" + (options.idField == nil
                ? " (chosen from the first record; name the right one with --\(ProblemID.option) FIELD)" : ""))
        }
        var index: Int? = nil
        if let v = rec[RecordField.sample], !v.isNull {
            guard let i = v.int, i >= 0 else { throw fail("'sample' is \(v.serialized()), not a sample index") }
            index = i
        }
        func number(_ key: String) throws -> Double? {
            guard let v = rec[key], !v.isNull else { return nil }
            guard let d = v.double else { throw fail("'\(key)' is \(v.serialized()), not a number") }
            return d
        }
        func count(_ key: String) throws -> Int? {
            guard let v = rec[key], !v.isNull else { return nil }
            guard let i = v.int, i >= 0 else { throw fail("'\(key)' is \(v.serialized()), not a token count") }
            return i
        }
        var stepsOK: Bool? = nil
        if let v = rec[RecordField.stepsOK], !v.isNull {
            guard let b = v.bool else { throw fail("'steps_ok' is \(v.serialized()), not true or false") }
            stepsOK = b
        }
        var greedy = false
        if let g = rec[RecordField.greedy], !g.isNull {
            guard let b = g.bool else { throw fail("'greedy' is \(g.serialized()), not true or false") }
            greedy = b
        }
        if let t = try number(RecordField.temperature), t == 0 { greedy = true }
        let extracted = rec[RecordField.extracted].flatMap { $0.isNull ? nil : text($0) }
        let record = SampleRecord(
            // a problem named by its text gets st-sample's content key (the schema's one rule)
            problem: options.idField == nil && ProblemID.textFields.contains(idField!)
                ? ProblemID.contentKey(field: idField!, text: ProblemID.text(idValue)) : ProblemID.text(idValue),
            method: rec[RecordField.method].flatMap { $0.isNull ? nil : text($0) },
            index: index, verdict: verdict, reward: try number(RecordField.reward), extracted: extracted,
            stepsOK: stepsOK,
            solution: verdict == .pass ? rec.value(at: solutionPath).flatMap { $0.isNull ? nil : text($0) } : nil,
            flops: try number(RecordField.flops), promptTokens: try count(RecordField.promptTokens),
            completionTokens: try count(RecordField.completionTokens), greedy: greedy,
            groups: byPaths.map { p in rec.value(at: p).flatMap { $0.isNull ? nil : text($0) } ?? missingGroupName })
        do { try set.add(record) } catch let e as SampleSetError { throw fail(e.message) }
    }
    return (set, idField ?? defaultIDFields[0])
}
