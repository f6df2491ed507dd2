// The record schema: what passes between the tools in JSON Lines. One owner for each fact that two tools
// must agree on — the field names, the verdicts, the rule that names a problem, the kind of answer a
// sampling method asks for, and the prompts the seed set and the built-in methods share — so st-tasks,
// st-sample, st-verify, st-filter, st-eval and st-train cannot drift apart.

/// Field names of the records the tools read and write.
public enum RecordField {
    // Problems (st-tasks, public benchmarks)
    public static let id = "id", task = "task", question = "question", answer = "answer", prompt = "prompt"
    /// st-tasks' arithmetic problems carry their worked solutions apart from the bare answer.
    public static let solutionText = "solution_text", solutionCode = "solution_code"
    // Added by st-sample
    public static let method = "method", sample = "sample", promptText = "prompt_text", completion = "completion"
    public static let finish = "finish", promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
    public static let flops = "flops", model = "model", seed = "seed", temperature = "temperature"
    public static let completionIDs = "completion_ids"
    /// With --chat, the conversation sent before the reply (system and user messages): st-train --chat trains
    /// a sample as that conversation plus the completion as the assistant's turn.
    public static let promptMessages = "prompt_messages"
    /// A translation keeps the sample it read as these.
    public static let sourceCompletion = "source_completion", sourceMethod = "source_method"
    // Added by st-verify
    public static let verdict = "verdict", reward = "reward", extracted = "extracted", expected = "expected"
    public static let stepsOK = "steps_ok", firstBadStep = "first_bad_step", reason = "reason"
    public static let runtimeMs = "runtime_ms", verifier = "verifier"
    // Read by st-eval
    public static let greedy = "greedy"
    // Training examples (st-train)
    public static let text = "text", weight = "weight"
    /// A conversation (TRL's conversational format): [{"role", "content"}, ...], trained through the chat template.
    public static let messages = "messages"
}

/// st-verify's verdicts. Only `pass` is correct.
public enum Verdict: String, CaseIterable, Sendable {
    case pass, fail, timeout, error, unparsed

    /// Position in `allCases` (per-verdict counters are arrays indexed by it).
    public var index: Int {
        switch self { case .pass: return 0; case .fail: return 1; case .timeout: return 2; case .error: return 3; case .unparsed: return 4 }
    }
}

/// The rule that names a problem, shared by st-sample (its random streams and --resume key on the id) and
/// st-eval (samples of one problem are grouped by it): a field named with --id-field, else the first of
/// `idFields` present. A problem without an id (GSM8K's records have none) is named by its content: `key`
/// gives "h:" and 16 hex digits of a hash of its text (the first of `textFields` present), so dropping or
/// reordering lines changes no other problem's name, and a sample record, which keeps the problem's fields,
/// names the same problem (st-sample --resume).
public enum ProblemID {
    /// The option every tool spells for an explicit id field.
    public static let option = "id-field"
    /// Fields that identify a problem, tried in this order.
    public static let idFields = ["id", "task_id", "problem_id", "unique_id"]
    /// Fields whose text names the problem when it has no id (GSM8K's records have none).
    public static let textFields = ["question", "problem", "prompt"]
    /// What st-eval tries, in order, when no field is named.
    public static let candidates = idFields + textFields

    /// The name of `record`'s problem: its id (`of`), else its content key (`contentKey`). nil when it has
    /// neither (or `named` is given and absent).
    public static func key(_ record: JSONRecord, named: String? = nil) throws -> String? {
        if let id = try of(record, named: named) { return id }
        if named != nil { return nil }
        return contentKey(record)
    }

    /// "h:" + 16 hex digits of a 128-bit hash of the problem's text: the first of `textFields` present (as
    /// text), with the field's name, so the same text in another role is another problem. nil without one.
    public static func contentKey(_ record: JSONRecord) -> String? {
        guard let f = field(of: record, among: textFields), let v = record[f] else { return nil }
        return contentKey(field: f, text: text(v))
    }

    /// The content key of a problem whose text field `field` holds `text`.
    public static func contentKey(field: String, text: String) -> String {
        let h = Hash128(Array("\(field)\u{0}\(text)".utf8))
        let hex = String(h.a, radix: 16)
        return "h:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The field that names the problem of `record`: `named` when given, else the first of `among` present
    /// and not null. nil when there is none.
    public static func field(of record: JSONRecord, named: String? = nil, among: [String] = idFields) -> String? {
        if let named { return named }
        return among.first { if let v = record[$0] { return !v.isNull }; return false }
    }

    /// The problem id of `record` as text (strings as they are, other values as compact JSON): the value of
    /// field path `named` when given, else of the first of `among` present. nil when there is none, or when
    /// the value is null.
    public static func of(_ record: JSONRecord, named: String? = nil, among: [String] = idFields) throws -> String? {
        guard let f = field(of: record, named: named, among: among) else { return nil }
        let v = named == nil ? record[f] : record.value(at: try FieldPath(f))
        guard let v, !v.isNull else { return nil }
        return text(v)
    }

    /// An id value as text: strings as they are, numbers as written, other values as compact JSON.
    public static func text(_ v: JSON) -> String { v.string ?? v.serialized() }
}

/// What a sample's completion is: worked text with an answer, or a program whose output is the answer.
public enum AnswerKind: String, Sendable {
    case text, program

    /// The built-in sampling methods and what they ask for (st-sample's methods read their kind here; the
    /// verifier reads a record's kind from its `method` through `init(method:)`).
    public static let builtinMethods: [String: AnswerKind] = [
        "raw": .text, "text": .text, "code": .program, "text-to-code": .program, "code-to-text": .text,
        "humaneval": .program, "infill": .program, "gsm8k": .text, "math": .text, "mbpp": .program,
        "chat-text": .text, "chat-code": .program,
    ]

    /// The kind of answer a record sampled with `method` carries: the built-in method's, else read from the
    /// name of a user's method file — "code", "program" or "python" mean a program; for a translation
    /// ("a-to-b", "a_to_b", "a2b") what it translates to. No method: text.
    public init(method: String?) {
        guard let method else { self = .text; return }
        if let k = AnswerKind.builtinMethods[method] { self = k; return }
        var m = Array(method.lowercased().utf8)
        for sep in ["-to-", "_to_", "2"] {
            let p = Array(sep.utf8)
            if let i = lastOccurrence(p, in: m) { m = Array(m[(i + p.count)...]); break }
        }
        self = ["code", "program", "python"].contains { lastOccurrence(Array($0.utf8), in: m) != nil } ? .program : .text
    }

    /// The field of an st-tasks arithmetic problem that holds its reference solution of this kind.
    public var solutionField: String { self == .program ? RecordField.solutionCode : RecordField.solutionText }
}

/// Start of the last occurrence of `p` in `s`.
private func lastOccurrence(_ p: [UInt8], in s: [UInt8]) -> Int? {
    guard p.count <= s.count else { return nil }
    var i = s.count - p.count
    while i >= 0 {
        if s[i..<i + p.count].elementsEqual(p) { return i }
        i -= 1
    }
    return nil
}

/// The arithmetic prompts: st-tasks writes the seed set's training pairs with them and st-sample's built-in
/// `text` and `code` methods render them, so a model fine-tuned on the seed set is sampled as it was taught.
public enum ArithPrompt {
    public static func text(_ question: String) -> String { "Question: \(question)\nSolution:\n" }
    public static func code(_ question: String) -> String { "Question: \(question)\nProgram:\n" }
}
