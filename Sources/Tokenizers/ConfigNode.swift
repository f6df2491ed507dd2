// Reading tokenizer.json with errors that name the file and the JSON path of what is wrong, e.g.
// `tokenizer.json: pre_tokenizer.pretokenizers[1].type: unsupported "BertPreTokenizer"`.
import Streams

struct Node {
    let value: JSON
    let path: String
    let file: String

    func error(_ message: String) -> TokenizerError {
        TokenizerError("\(file): \(path.isEmpty ? "(top)" : path): \(message)")
    }
    func child(_ key: String) -> Node? {
        guard let v = value[key], !v.isNull else { return nil }
        return Node(value: v, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }
    func required(_ key: String) throws -> Node {
        guard let c = child(key) else { throw Node(value: .null, path: path.isEmpty ? key : "\(path).\(key)", file: file).error("missing") }
        return c
    }
    func string() throws -> String {
        guard let s = value.string else { throw error("expected a string") }
        return s
    }
    func int() throws -> Int {
        guard let i = value.int else { throw error("expected an integer") }
        return i
    }
    func bool() throws -> Bool {
        guard let b = value.bool else { throw error("expected true or false") }
        return b
    }
    func items() throws -> [Node] {
        guard let a = value.array else { throw error("expected an array") }
        return a.enumerated().map { Node(value: $1, path: "\(path)[\($0)]", file: file) }
    }
    func members() throws -> [(String, Node)] {
        guard let o = value.object else { throw error("expected an object") }
        return o.map { ($0.key, Node(value: $0.value, path: "\(path).\($0.key)", file: file)) }
    }
    func string(_ key: String) throws -> String { try required(key).string() }
    func bool(_ key: String, default d: Bool) throws -> Bool { try child(key)?.bool() ?? d }
    func optionalString(_ key: String) throws -> String? { try child(key)?.string() }
    /// The "type" member, checked against the supported ones.
    func type(_ supported: [String]) throws -> String {
        let t = try required("type")
        let s = try t.string()
        guard supported.contains(s) else { throw t.error("unsupported \(s.debugDescription)") }
        return s
    }
    /// A Split/Replace pattern: {"String": "..."} or {"Regex": "..."}.
    func pattern() throws -> any Pattern {
        if let s = child("String") { return LiteralPattern(needle: Array(try s.string().utf8)) }
        if let r = child("Regex") {
            do { return try makeRegexPattern(try r.string()) } catch let e as TokenizerError { throw r.error(e.description) }
        }
        throw error("expected {\"String\": ...} or {\"Regex\": ...}")
    }
}
