// A model's chat template rendered as transformers renders it: jinja2's ImmutableSandboxedEnvironment with
// trim_blocks, lstrip_blocks and loopcontrols, transformers' tojson, raise_exception, strftime_now, dict and
// namespace globals, and apply_chat_template's preparation of the messages.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ChatTemplate: Sendable {
    public let source: String
    private let box: Box

    private final class Box: @unchecked Sendable {  // immutable after init
        let nodes: [Node]
        let map: SourceMap
        init(_ nodes: [Node], _ map: SourceMap) { self.nodes = nodes; self.map = map }
    }

    /// Parses the template; a syntax error or an unsupported construct (filter, test, tag) is reported here,
    /// as jinja2 reports unknown filters when it compiles.
    public init(source: String) throws {
        self.source = source
        var lexer = Lexer(source)
        let tokens = try lexer.tokenize()
        var parser = Parser(tokens, lexer.map)
        box = Box(try parser.parseTemplate(), lexer.map)
    }

    /// Renders `messages` as `tokenizer.apply_chat_template(messages, tokenize=False, ...)` does.
    /// - bosToken/eosToken: the special tokens transformers passes (nil: not defined for the template).
    /// - tools/documents: nil renders them as None, as transformers does when they are not given.
    /// - extra: further keyword arguments (they override bos_token/eos_token, as in transformers).
    /// - now: the time strftime_now() formats, as seconds since the epoch in the local time zone; nil reads the
    ///   clock (transformers always reads the clock; pass a value for reproducible output).
    public func render(messages: [Value], addGenerationPrompt: Bool = false, bosToken: String? = nil,
                       eosToken: String? = nil, tools: [Value]? = nil, documents: [Value]? = nil,
                       extra: [String: Value] = [:], now: Double? = nil) throws -> String {
        var vars: [String: Val] = [:]
        if let b = bosToken { vars["bos_token"] = .string(b) }
        if let e = eosToken { vars["eos_token"] = .string(e) }
        for (k, v) in extra { vars[k] = Val(v) }
        vars["messages"] = .list(try messages.enumerated().map { try ChatTemplate.prepare($1, $0) })
        vars["tools"] = tools.map { .list($0.map(Val.init)) } ?? Val.none
        vars["documents"] = documents.map { .list($0.map(Val.init)) } ?? Val.none
        vars["add_generation_prompt"] = .bool(addGenerationPrompt)
        let r = Renderer(map: box.map, globals: ChatTemplate.globals(now: now))
        r.root = vars
        _ = try r.exec(box.nodes)
        return r.out
    }

    /// apply_chat_template's normalization: keys whose value is None are dropped, and a message's reasoning
    /// (reasoning_content, thinking or reasoning) is also given as `thinking` (first) and `reasoning_content`.
    static func prepare(_ m: Value, _ index: Int) throws -> Val {
        guard case .dict(let pairs) = m else {
            throw ChatTemplateError(.runtime, line: 0, column: 0, "message \(index + 1) is not an object")
        }
        var d = Dict()
        for (k, v) in pairs where v != Value.none { if d[k] == nil { d[k] = Val(v) } }
        let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap { d[$0] }.first
        if let r = reasoning {
            var out = Dict()
            out["thinking"] = r
            for (k, v) in d.pairs { out[k] = v }
            out["reasoning_content"] = r
            d = out
        }
        return .dict(d)
    }

    /// transformers' is_valid_message for every message: an object with "role" and "content". Returns the
    /// first problem as "message N: ..." (1-based), nil when all are valid.
    public static func validate(messages: [Value]) -> String? {
        for (i, m) in messages.enumerated() {
            guard case .dict = m else { return "message \(i + 1): not an object" }
            if m["role"] == nil { return "message \(i + 1): no 'role'" }
            if m["content"] == nil { return "message \(i + 1): no 'content'" }
        }
        return nil
    }

    /// The template to use from tokenizer_config.json's `chat_template`: a string, or a list of
    /// {"name", "template"} from which `name` (default "default"; "tool_use" when tools are given and one
    /// exists, as transformers picks) is taken.
    public static func select(from chatTemplate: Value, name: String? = nil, withTools: Bool = false) throws -> String {
        switch chatTemplate {
        case .string(let s): return s
        case .list(let entries):
            var named: [(String, String)] = []
            for e in entries {
                guard case .string(let n)? = e["name"], case .string(let t)? = e["template"] else {
                    throw ChatTemplateError(.syntax, line: 0, column: 0, "chat_template list entries need a 'name' and a 'template'")
                }
                named.append((n, t))
            }
            let want = name ?? (withTools && named.contains { $0.0 == "tool_use" } ? "tool_use" : "default")
            guard let t = named.first(where: { $0.0 == want })?.1 else {
                throw ChatTemplateError(.syntax, line: 0, column: 0,
                    "no chat template named '\(want)' (have: \(named.map { $0.0 }.sorted().joined(separator: ", ")))")
            }
            return t
        default:
            throw ChatTemplateError(.syntax, line: 0, column: 0, "chat_template must be a string or a list of {name, template}")
        }
    }

    // MARK: globals

    static func globals(now: Double?) -> [String: Val] {
        var g: [String: Val] = [:]
        g["raise_exception"] = .function(Function("raise_exception") { _, args, kwargs in
            let b = try BoundArgs("raise_exception", ["message"], args, kwargs)
            throw EvalError(pyStr(try b.required(0)), .raised)
        })
        g["range"] = .function(Function("range") { _, args, kwargs in
            if !kwargs.isEmpty { throw EvalError("range() takes no keyword arguments") }
            var ints: [Int] = []
            for a in args {
                guard case .int(let i)? = numeric(a) else { throw EvalError("'\(a.typeName)' object cannot be interpreted as an integer") }
                ints.append(i)
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw EvalError("range expected 1 to 3 arguments, got \(ints.count)")
            }
            if step == 0 { throw EvalError("range() arg 3 must not be zero") }
            // jinja2's sandbox refuses ranges over MAX_RANGE items.
            let n = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0) : (start > stop ? (start - stop - 1) / -step + 1 : 0)
            if n > 100_000 { throw EvalError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
            return .list((0..<n).map { .int(start + $0 * step) })
        })
        func mapping(_ fn: String, _ args: [Val], _ kwargs: [(String, Val)]) throws -> Dict {
            var d = Dict()
            if args.count > 1 { throw EvalError("\(fn) expected at most 1 argument, got \(args.count)") }
            if let a = args.first {
                switch a {
                case .dict(let x): d = x
                default:
                    for item in try pyIterate(a) {
                        let kv = try pyIterate(item)
                        guard kv.count == 2, case .string(let k) = kv[0] else { throw EvalError("\(fn) needs (string key, value) pairs") }
                        d[k] = kv[1]
                    }
                }
            }
            for (k, v) in kwargs { d[k] = v }
            return d
        }
        g["dict"] = .function(Function("dict") { _, args, kwargs in .dict(try mapping("dict", args, kwargs)) })
        g["namespace"] = .function(Function("namespace") { _, args, kwargs in
            let ns = Namespace()
            ns.attrs = try mapping("namespace", args, kwargs)
            if let bad = ns.attrs.keys.first(where: { $0.hasPrefix("_") }) {
                throw EvalError("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(bad)'. Please rename the attribute.")
            }
            return .namespace(ns)
        })
        g["strftime_now"] = .function(Function("strftime_now") { _, args, kwargs in
            let b = try BoundArgs("strftime_now", ["format"], args, kwargs)
            guard case .string(let fmt) = try b.required(0) else { throw EvalError("strftime() argument 1 must be str") }
            return .string(strftime(fmt, now))
        })
        return g
    }
}

/// datetime.now().strftime(format): C strftime in the local time zone (what CPython calls on Linux).
private func strftime(_ format: String, _ now: Double?) -> String {
    var t = time_t(now.map { $0.rounded(.down) } ?? Double(time(nil)))
    var parts = tm()
    localtime_r(&t, &parts)
    var buf = [CChar](repeating: 0, count: 512)
    let n = strftime(&buf, buf.count, format, &parts)
    guard n > 0 else { return "" }
    return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
