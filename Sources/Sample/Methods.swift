// Methods: a prompt template plus a stop rule. A template inserts problem fields by name (`{question}`,
// `{meta.level}`, `{test_list}`: an array is joined with newlines), special tokens by name (`{@mask_1}`),
// and literal braces as `{{` and `}}`. Built-in methods cover the embedded tasks and the public benchmark
// formats; a user writes others as method files:
//
//     # comment lines start with '#'
//     name: cot-fewshot
//     stop: \n\nQuestion:          (repeatable; \n and \t are escapes)
//     max-tokens: 256
//     system: You are a careful tutor.   (--chat only: a system message before the prompt; \n escapes)
//     ---
//     Question: Tom has 3 apples and buys 2 more. How many apples does he have?
//     Solution:
//     3 + 2 = 5
//     Answer: 5
//
//     Question: {question}
//     Solution:
//
// Everything after the `---` line is the template, byte for byte (its final newline included).
import Foundation
import Streams

/// A piece of a rendered prompt: text, or a special token named as the tokenizer names it.
public enum PromptPiece: Equatable {
    case text(String)
    case special(String)
}

public struct Method {
    public var name: String
    public var template: String
    public var stop: [String] = []
    public var maxTokens: Int?
    /// With --chat, the system message sent before the rendered prompt (the user message).
    public var system: String?
    /// A translation reads an earlier sample: its `completion` and `method` are kept as `source_completion`
    /// and `source_method` in the output.
    public var translates = false
    /// The method file, named in errors with the line of the mistake; nil for a built-in.
    public var path: String?
    /// The line of the method file the template starts on.
    public var templateLine = 1
    /// The method file and the line its template starts on ("cot.txt:6"); nil for a built-in.
    public var source: String? { path.map { "\($0):\(templateLine)" } }
    /// What the completion is meant to be (text or a program); st-verify reads it from the record's `method`
    /// through the same schema rule.
    public var answer: AnswerKind { AnswerKind(method: name) }

    public init(name: String, template: String, stop: [String] = [], maxTokens: Int? = nil, translates: Bool = false) {
        self.name = name; self.template = template; self.stop = stop; self.maxTokens = maxTokens; self.translates = translates
    }

    /// The prompt for one record. Errors name the missing field and, for a method file, its line.
    public func render(_ r: JSONRecord) throws -> [PromptPiece] {
        var pieces: [PromptPiece] = []
        var text = ""
        var line = templateLine
        // Braces are found among Unicode scalars, not Characters: a grapheme cluster can swallow a brace
        // (U+0602 then `{` is one Character, as is `}` then a combining accent), found by fuzzing.
        let t = template.unicodeScalars
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c == "{" {
                let next = t.index(after: i)
                if next < t.endIndex, t[next] == "{" { text.append("{"); i = t.index(after: next); continue }
                guard let close = t[next...].firstIndex(of: "}") else {
                    throw ToolInputError("\(place(line)): unclosed '{' in template")
                }
                let name = String(String.UnicodeScalarView(t[next..<close]))
                if name.hasPrefix("@") {
                    if !text.isEmpty { pieces.append(.text(text)); text = "" }
                    pieces.append(.special(String(name.dropFirst())))
                } else {
                    text += try field(r, name, line: line)
                }
                i = t.index(after: close)
            } else if c == "}" {
                let next = t.index(after: i)
                if next < t.endIndex, t[next] == "}" { i = t.index(after: next) } else { i = next }
                text.append("}")
            } else {
                if c == "\n" { line += 1 }
                text.unicodeScalars.append(c)
                i = t.index(after: i)
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// "method NAME" and, for a method file, the file and line: "method cot (cot.txt:7)".
    func place(_ line: Int) -> String { "method \(name)" + (path.map { " (\($0):\(line))" } ?? "") }

    func field(_ r: JSONRecord, _ name: String, line: Int) throws -> String {
        let fieldPath: FieldPath
        do { fieldPath = try FieldPath(name) } catch { throw ToolInputError("\(place(line)): '{\(name)}' is not a field path") }
        guard let v = r.value(at: fieldPath) else {
            throw ToolInputError("\(place(line)) needs field '\(name)', which the record lacks")
        }
        switch v {
        case .string(let s): return s
        case .array(let a): return a.map { $0.string ?? $0.serialized() }.joined(separator: "\n")
        case .null: return ""
        default: return v.serialized()
        }
    }

    /// Parses a method file (format above).
    public static func parse(file path: String) throws -> Method {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ToolInputError("\(path): cannot read method file")
        }
        return try parse(text: text, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, path: path)
    }

    /// Parses the text of a method file; `name` is used unless the header sets one, `path` names it in errors.
    public static func parse(text: String, name: String, path: String) throws -> Method {
        guard let sep = text.range(of: "\n---\n") ?? (text.hasPrefix("---\n") ? text.range(of: "---\n") : nil) else {
            throw ToolInputError("\(path): no '---' line between the header and the template")
        }
        var m = Method(name: name, template: String(text[sep.upperBound...]))
        let templateLine = text[..<sep.upperBound].reduce(0) { $1 == "\n" ? $0 + 1 : $0 } + 1
        for (n, raw) in text[..<sep.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw ToolInputError("\(path):\(n + 1): expected 'key: value'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = unescape(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            switch key {
            case "name": m.name = value
            case "stop": m.stop.append(value)
            case "max-tokens":
                guard let v = Int(value), v > 0 else { throw ToolInputError("\(path):\(n + 1): max-tokens must be a positive integer") }
                m.maxTokens = v
            case "translates": m.translates = value == "true"
            case "system": m.system = value
            default: throw ToolInputError("\(path):\(n + 1): unknown key '\(key)' (name, stop, max-tokens, translates, system)")
            }
        }
        // A built-in's name would make its records look like the built-in's (st-verify reads the method).
        if BuiltinMethods.named(m.name) != nil {
            throw ToolInputError("\(path): the method name '\(m.name)' is a built-in's; give the file another name (a 'name:' line, or rename the file)")
        }
        m.path = path
        m.templateLine = templateLine
        try m.checkTemplate(path: path, firstLine: templateLine)
        return m
    }

    /// The special tokens the template names ({@name}), with the line of each.
    public func specials() -> [(name: String, line: Int)] {
        var found: [(name: String, line: Int)] = []
        var line = templateLine
        let t = template.unicodeScalars
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c == "\n" { line += 1 }
            guard c == "{" else { i = t.index(after: i); continue }
            let next = t.index(after: i)
            if next < t.endIndex, t[next] == "{" { i = t.index(after: next); continue }
            guard let close = t[next...].firstIndex(of: "}") else { break }
            let name = String(String.UnicodeScalarView(t[next..<close]))
            if name.hasPrefix("@") { found.append((String(name.dropFirst()), line)) }
            for s in t[next..<close] where s == "\n" { line += 1 }
            i = t.index(after: close)
        }
        return found
    }

    /// The special tokens checked against the model's tokenizer before any problem is read, so a misspelt
    /// {@name} is reported at its line of the method file, not at the first record: `known` says whether the
    /// tokenizer has it; with `chat`, no special token may appear (the prompt is a chat message).
    public func checkSpecials(chat: Bool, known: (String) -> Bool) throws {
        for (name, line) in specials() {
            let at = path.map { "\($0):\(line): " } ?? "method \(self.name): "
            if chat { throw ToolInputError("\(at){@\(name)} cannot be part of a chat message (--chat)") }
            if !known(name) { throw ToolInputError("\(at)unknown special token {@\(name)}: the model's tokenizer has no such token") }
        }
    }

    /// The template's braces and field names, checked when the file is read so a mistake is reported at its
    /// line of the method file, not at the first problem it is rendered for.
    func checkTemplate(path: String, firstLine: Int) throws {
        var line = firstLine
        let t = template.unicodeScalars
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c == "\n" { line += 1 }
            if c == "{" {
                let next = t.index(after: i)
                if next < t.endIndex, t[next] == "{" { i = t.index(after: next); continue }
                guard let close = t[next...].firstIndex(of: "}") else { throw ToolInputError("\(path):\(line): unclosed '{' in the template") }
                let name = String(String.UnicodeScalarView(t[next..<close]))
                if name.contains("\n") { throw ToolInputError("\(path):\(line): unclosed '{' in the template") }
                if name.hasPrefix("@") {
                    if name.count == 1 { throw ToolInputError("\(path):\(line): '{@}' names no special token") }
                } else if (try? FieldPath(name)) == nil {
                    throw ToolInputError("\(path):\(line): '{\(name)}' is not a field path (write a literal brace as '{{')")
                }
                i = t.index(after: close)
            } else {
                i = t.index(after: i)
            }
        }
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
    }
}

/// The built-in methods, by name.
public enum BuiltinMethods {
    static let codeStops = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"]

    public static let all: [Method] = [
        // The record's `prompt` exactly as written.
        Method(name: "raw", template: "{prompt}"),
        // Embedded arithmetic: chain of thought and program, in the prompts of the seed set (Base's ArithPrompt).
        Method(name: "text", template: ArithPrompt.text("{question}"), stop: ["\n\n"]),
        Method(name: "code", template: ArithPrompt.code("{question}"), stop: ["\n\n"]),
        // MMST translations: the input record is an earlier sample with its `completion`.
        Method(name: "text-to-code", template: ArithPrompt.text("{question}") + "{completion}\nProgram:\n", stop: ["\n\n"], translates: true),
        Method(name: "code-to-text", template: ArithPrompt.code("{question}") + "{completion}\nSolution:\n", stop: ["\n\n"], translates: true),
        // Function synthesis in HumanEval's format (the embedded function tasks and HumanEval itself).
        Method(name: "humaneval", template: "{prompt}", stop: codeStops),
        // Infilling for a model trained with FIM (CodeGen2's format): the middle between `prefix` and `suffix`.
        Method(name: "infill", template: "{prefix}{@mask_1}{suffix}{@eos}{@sep}{@mask_1}", stop: []),
        // Public benchmark formats.
        // One worked example shows the form st-verify reads: GSM8K's steps and a final '#### N' line; MATH's
        // solution with the answer in \boxed{} (a bare "Answer:" prompt gets answers with no marker: unparsed).
        Method(name: "gsm8k", template: gsm8kExample + "Question: {question}\nAnswer:", stop: ["\n\nQuestion:", "\n\n\n"]),
        Method(name: "math", template: mathExample + "Problem: {problem}\nSolution:", stop: ["\n\nProblem:"]),
        Method(name: "mbpp", template: "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{test_list}\n[BEGIN]\n", stop: ["[DONE]"]),
        // Chat form, for an instruct model sampled with --chat: a word problem's `question` (st-tasks'
        // arithmetic and GSM8K records alike) as the user message with the form of the answer asked for, no
        // worked example. The reply ends at the model's end of turn.
        chat("chat-text", system: nil, template: chatTextAsk + "Question: {question}\nSolution:"),
        chat("chat-code", system: chatCodeSystem, template: chatCodeAsk + "Question: {question}\nReply with the program only."),
    ]

    // What the chat methods ask for, in words SmolLM2-135M-Instruct follows (tried by hand, greedy), with one
    // worked example of the form: a solution of one calculation per line whose last line is `Answer: N`
    // (st-verify's "Answer:" rule), or a Python program in a ```python block that prints the number alone
    // (st-verify runs the block and compares its output).
    static let chatTextAsk = "Solve the math word problem. Write one calculation per line, then the final line 'Answer: N'.\n\n"
        + "Question: A farmer has 3 bags with 5 apples in each bag. He eats 2 apples. How many apples are left?\n"
        + "Solution:\n3 * 5 = 15\n15 - 2 = 13\nAnswer: 13\n\n"
    static let chatCodeAsk = "Write a short Python program that computes the answer to the math word problem and prints only the number.\n\n"
        + "Question: A farmer has 3 bags with 5 apples in each bag. He eats 2 apples. How many apples are left?\n"
        + "Program:\n```python\nx = 3 * 5\nx = x - 2\nprint(x)\n```\n\n"

    static let chatCodeSystem = "You are a Python programmer. You reply with one ```python block and nothing else."

    static func chat(_ name: String, system: String?, template: String) -> Method {
        // the model goes on with a question of its own after the answer: that is where the reply ends
        var m = Method(name: name, template: template, stop: ["\n\nQuestion:"])
        m.system = system
        return m
    }

    static let gsm8kExample = "Question: A baker makes 3 trays of 12 muffins and sells 20 of them. How many muffins are left?\n"
        + "Answer: The baker makes 3 * 12 = 36 muffins.\nAfter selling 20, 36 - 20 = 16 muffins are left.\n#### 16\n\n"
    // (a template: literal braces doubled)
    static let mathExample = "Problem: What is the sum of the roots of $x^2 - 5x + 6 = 0$?\n"
        + "Solution: The roots are $2$ and $3$, since $x^2 - 5x + 6 = (x - 2)(x - 3)$. Their sum is $2 + 3 = \\boxed{{5}}$.\n\n"

    public static func named(_ name: String) -> Method? { all.first { $0.name == name } }
}

/// Resolves `--method` values: a built-in name, or a path to a method file.
public func resolveMethod(_ spec: String) throws -> Method {
    if let m = BuiltinMethods.named(spec) { return m }
    if FileManager.default.fileExists(atPath: spec) { return try Method.parse(file: spec) }
    throw ToolInputError("unknown method '\(spec)': not a built-in (\(BuiltinMethods.all.map(\.name).joined(separator: ", "))) nor a method file")
}
