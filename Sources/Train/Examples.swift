// Training examples: read from JSON Lines, tokenized once, kept in one flat token array.
//
// An example is either a document {"text": ...} (loss on every token) or a pair {"prompt": ..., "completion": ...}
// (loss on the completion only: prompt tokens get exactly zero weight). A pair's prompt is `prompt`, else
// st-sample's `prompt_text`; a completion without either is an error, never a pair with an empty prompt.
// Token layout, with the byte tokenizer:
//   document:  <bos>? text <eos>?
//   pair:      <bos>? prompt completion <eos>?
// <bos> and <eos> follow the tokenizer's add_bos / add_eos (both true by default; see Model/Tokenizer.swift).
// With a Hugging Face tokenizer the same layout holds in its tokens: <bos> when the tokenizer adds one, the
// prompt and the completion (or text) each encoded on its own, then its (first) eos.
//
// A conversation {"messages": [{"role", "content"}, ...]} (TRL's conversational format), or a pair with
// --chat (user: prompt, assistant: completion), goes through the model's chat template and is trained on
// its assistant turns only. With --chat, st-sample --chat's samples (prompt_messages, the conversation it
// sent, and a completion) are that conversation plus the completion as the assistant's turn, so the tokens
// trained on are exactly those the model saw and wrote, and its end-of-turn. The span of assistant message i is found by rendering prefixes, as transformers'
// assistant masks do: P = the messages before i with the generation prompt, Q = the messages up to i; the
// span is the text Q adds after P (the content and the template's end-of-turn, e.g. "...<|im_end|>\n").
// The whole rendering must start with Q and Q with P, else the record is refused. The rendering is encoded
// segment by segment at the span boundaries (no merge crosses one), with no <bos>/<eos> added: the template
// writes its own, as apply_chat_template's tokenization does.
import ChatTemplate
import Model
import Streams

/// Which fields of a record hold what.
public struct FieldNames: Equatable, Sendable {
    public var text = RecordField.text, prompt = RecordField.prompt, completion = RecordField.completion
    public var weight = RecordField.weight
    public init() {}
}

/// What to do with an example longer than the context window.
public enum LongPolicy: String, CaseIterable, Sendable { case truncate, skip }

/// One example inside an ExampleStore.
public struct ExampleRef: Equatable, Sendable {
    /// first token in ExampleStore.tokens
    public var start: Int
    /// tokens, <bos> and <eos> included (after any truncation)
    public var count: Int
    /// tokens [0, lossFrom) are never loss targets: <bos> alone for a document, <bos> + prompt for a pair
    public var lossFrom: Int
    /// tokens of the prompt (0 for a document; bytes with the byte tokenizer); the body is tokens [bos, count - eos)
    public var promptTokens: Int
    public var weight: Float
    /// a prompt/completion pair (loss on the completion only)
    public var isPair: Bool
    /// whether the stored tokens start with <bos> / end with <eos>
    public var bos: Bool, eos: Bool
    /// true when the example was cut to fit the context
    public var truncated: Bool
    /// a conversation: which tokens are loss targets is in ExampleStore.lossMask (the assistant turns)
    public var masked = false
}

/// Counts reported after loading.
public struct LoadReport: Equatable, Sendable {
    public var records = 0, examples = 0, documents = 0, pairs = 0, conversations = 0
    public var truncated = 0, skippedLong = 0, skippedNoLoss = 0, zeroWeight = 0, skippedBad = 0
    public var tokens = 0
    public init() {}
}

public final class ExampleStore {
    public private(set) var tokens: [Int32] = []
    public private(set) var examples: [ExampleRef] = []
    /// Per token of `tokens`: a loss target of a conversation (assistant turns). Empty until the first one.
    public private(set) var lossMask: [Bool] = []
    public var report = LoadReport()
    /// 64-bit FNV-1a of every token, boundary and weight (identifies the data for --resume).
    public var fingerprint: UInt64 { hash.value }
    private var hash = FNV1a()

    public let tokenizer: ModelTokenizer
    /// --chat: a prompt/completion pair is a conversation (user, assistant) through the chat template.
    public let chat: Bool
    public let fields: FieldNames
    /// Maximum tokens of an example (context + 1: a window of T positions holds T + 1 tokens' worth of targets).
    public let maxTokens: Int
    public let long: LongPolicy

    public init(tokenizer: ModelTokenizer, chat: Bool = false, fields: FieldNames = FieldNames(), context: Int,
                long: LongPolicy = .truncate) {
        self.tokenizer = tokenizer; self.chat = chat; self.fields = fields; self.maxTokens = context + 1; self.long = long
    }

    public convenience init(tokenizer: ByteTokenizer, fields: FieldNames = FieldNames(), context: Int, long: LongPolicy = .truncate) {
        self.init(tokenizer: ModelTokenizer(tokenizer, origin: ByteTokenizer.fileName), fields: fields, context: context, long: long)
    }

    public var count: Int { examples.count }

    /// Add one example. Throws a message (without location) when the record is unusable.
    public func add(text: String?, prompt: String?, completion: String?, weight: Float) throws {
        report.records += 1
        guard weight.isFinite, weight >= 0 else { throw ToolInputError("weight must be a finite number ≥ 0") }
        var isPair = false
        let promptText: String, body: String
        if let completion {
            if completion.isEmpty { throw ToolInputError("empty completion ('\(fields.completion)')") }
            // a completion alone would be trained as if it answered nothing: the prompt must be named
            guard let prompt else {
                throw ToolInputError("a '\(fields.completion)' without a prompt: give it as '\(fields.prompt)'"
                    + (fields.prompt == RecordField.prompt ? " (or st-sample's '\(RecordField.promptText)')" : "")
                    + ", or name its field with --prompt-field")
            }
            isPair = true; promptText = prompt; body = completion
        } else if prompt != nil {
            throw ToolInputError("example has a '\(fields.prompt)' but no '\(fields.completion)'")
        } else if let text {
            if text.isEmpty { throw ToolInputError("empty text ('\(fields.text)')") }
            promptText = ""; body = text
        } else {
            throw ToolInputError("no '\(fields.text)' field and no '\(fields.prompt)'/'\(fields.completion)' pair")
        }
        if weight == 0 { report.zeroWeight += 1; return }
        if chat && isPair {
            report.records -= 1
            try add(messages: [.message("user", promptText), .message("assistant", body)], weight: weight)
            return
        }
        guard tokenizer.byte != nil else { return try addTokens(prompt: promptText, body: body, isPair: isPair, weight: weight) }
        let bos = tokenizer.addBOS, eos = tokenizer.addEOS
        let pb = promptText.utf8.count
        var n = (bos ? 1 : 0) + pb + body.utf8.count + (eos ? 1 : 0)
        let lossFrom = (bos ? 1 : 0) + pb
        var truncated = false
        if n > maxTokens {
            if long == .skip { report.skippedLong += 1; return }
            // a pair whose prompt fills the window has nothing left to learn
            if lossFrom >= maxTokens { report.skippedNoLoss += 1; return }
            truncated = true
        }
        if lossFrom == 0 && n < 2 { report.skippedNoLoss += 1; return }
        let start = tokens.count
        if truncated { n = maxTokens }
        // one resize, then the bytes written in place (Array.append per byte costs a uniqueness check each)
        tokens.append(contentsOf: repeatElement(0, count: n))
        var h = hash
        let bosId = tokenizer.bos ?? 0, eosId = tokenizer.eos.first ?? 0
        tokens.withUnsafeMutableBufferPointer { buf in
            var k = start
            let end = start + n
            @inline(__always) func put(_ t: Int32) { if k < end { buf[k] = t; k += 1 } }
            func putBytes(_ text: String) {
                var t = text
                t.withUTF8 { u in for b in u { put(Int32(b)) } }
            }
            if bos { put(bosId) }
            putBytes(promptText)
            putBytes(body)
            if eos { put(eosId) }
            for i in start..<end { h.absorb(UInt64(UInt32(bitPattern: buf[i]))) }
        }
        if truncated { report.truncated += 1 }
        h.absorb(0xFFFF_FFFF_0000 | UInt64(lossFrom)); h.absorb(UInt64(weight.bitPattern))
        hash = h
        examples.append(ExampleRef(start: start, count: n, lossFrom: lossFrom, promptTokens: pb, weight: weight,
                                   isPair: isPair, bos: bos, eos: eos && !truncated, truncated: truncated))
        if !lossMask.isEmpty { lossMask.append(contentsOf: repeatElement(true, count: n)) }
        report.examples += 1
        if isPair { report.pairs += 1 } else { report.documents += 1 }
        report.tokens += n
    }

    /// A document or pair through a Hugging Face tokenizer: prompt and body encoded apart (so the prompt's
    /// tokens are exactly its own), <bos>/<eos> as the tokenizer asks.
    func addTokens(prompt: String, body: String, isPair: Bool, weight: Float) throws {
        let bos = tokenizer.addBOS, eos = tokenizer.addEOS
        let p = prompt.isEmpty ? [] : try tokenizer.encode(prompt), b = try tokenizer.encode(body)
        if b.isEmpty { throw ToolInputError("the tokenizer encodes the \(isPair ? "completion" : "text") as no tokens") }
        var ids: [Int32] = bos ? [tokenizer.bos!] : []
        ids += p; ids += b
        if eos { ids.append(tokenizer.eos[0]) }
        try place(ids, lossFrom: (bos ? 1 : 0) + p.count, promptTokens: p.count, mask: nil, isPair: isPair, bos: bos, eos: eos, weight: weight)
    }

    /// A conversation: rendered with the chat template, loss on the assistant turns (rule at the top).
    public func add(messages: [Value], weight: Float) throws {
        report.records += 1
        guard weight.isFinite, weight >= 0 else { throw ToolInputError("weight must be a finite number ≥ 0") }
        if let problem = ChatTemplate.validate(messages: messages) { throw ToolInputError(problem) }
        guard tokenizer.chatTemplate != nil else {
            throw ToolInputError("\(chat ? "--chat" : "a 'messages' record") needs a chat template, and \(tokenizer.origin) has none")
        }
        if weight == 0 { report.zeroWeight += 1; return }
        func render(_ m: ArraySlice<Value>, _ gen: Bool) throws -> [UInt8] {
            do { return Array(try tokenizer.renderChat(Array(m), addGenerationPrompt: gen).utf8) } catch {
                throw ToolInputError("chat template: \(error)")
            }
        }
        let full = try render(messages[...], false)
        var spans: [Range<Int>] = []
        for (i, m) in messages.enumerated() where m["role"] == .string("assistant") {
            let p = try render(messages[..<i], true), q = try render(messages[...i], false)
            guard q.starts(with: p), full.starts(with: q), p.count < q.count, spans.last.map({ $0.upperBound <= p.count }) ?? true else {
                throw ToolInputError("message \(i + 1): the chat template does not render this conversation as a sequence of prefixes, so its assistant turn cannot be found")
            }
            spans.append(p.count ..< q.count)
        }
        if spans.isEmpty { throw ToolInputError("a conversation without an assistant message has nothing to train on") }
        var ids: [Int32] = [], mask: [Bool] = []
        var pos = 0
        func segment(_ r: Range<Int>, _ loss: Bool) throws {
            guard !r.isEmpty else { return }
            let t = try tokenizer.encode(String(decoding: full[r], as: UTF8.self))
            ids += t; mask += repeatElement(loss, count: t.count)
        }
        for sp in spans { try segment(pos ..< sp.lowerBound, false); try segment(sp, true); pos = sp.upperBound }
        try segment(pos ..< full.count, false)
        let first = mask.firstIndex(of: true) ?? ids.count
        try place(ids, lossFrom: first, promptTokens: first, mask: mask, isPair: true, bos: false, eos: false, weight: weight)
        report.pairs -= 1; report.conversations += 1
    }

    /// Stores one tokenized example (truncated or skipped as --long says).
    func place(_ ids: [Int32], lossFrom: Int, promptTokens: Int, mask: [Bool]?, isPair: Bool, bos: Bool, eos: Bool, weight: Float) throws {
        var n = ids.count
        var truncated = false
        if n > maxTokens {
            if long == .skip { report.skippedLong += 1; return }
            if lossFrom >= maxTokens { report.skippedNoLoss += 1; return }
            truncated = true; n = maxTokens
        }
        if lossFrom == 0 && n < 2 { report.skippedNoLoss += 1; return }
        let start = tokens.count
        tokens.append(contentsOf: ids[..<n])
        if let mask {
            if lossMask.isEmpty { lossMask = [Bool](repeating: true, count: start) }
            lossMask.append(contentsOf: mask[..<n])
        } else if !lossMask.isEmpty { lossMask.append(contentsOf: repeatElement(true, count: n)) }
        var h = hash
        for t in ids[..<n] { h.absorb(UInt64(UInt32(bitPattern: t))) }
        if let mask { for (k, m) in mask[..<n].enumerated() where m { h.absorb(0xFFFF_0000_0000 | UInt64(k)) } }
        if truncated { report.truncated += 1 }
        h.absorb(0xFFFF_FFFF_0000 | UInt64(lossFrom)); h.absorb(UInt64(weight.bitPattern))
        hash = h
        examples.append(ExampleRef(start: start, count: n, lossFrom: lossFrom, promptTokens: promptTokens, weight: weight,
                                   isPair: isPair, bos: bos, eos: eos && !truncated, truncated: truncated, masked: mask != nil))
        report.examples += 1
        if isPair { report.pairs += 1 } else { report.documents += 1 }
        report.tokens += n
    }

    /// Read every record of `reader`. Errors name the file and line. `shouldStop` is polled (interrupts).
    /// With `skip`, a record that is not a usable example is passed to it and skipped instead of thrown.
    public func load(_ reader: JSONLReader, shouldStop: () -> Bool = { false }, skip: ((DataError) -> Void)? = nil) throws {
        while let r = try reader.next() {
            if shouldStop() { throw Interrupted() }
            func str(_ key: String) throws -> String? {
                guard let v = r[key] else { return nil }
                if case .null = v { return nil }
                guard let s = v.string else {
                    throw DataError(file: reader.file, line: reader.line, message: "'\(key)' is not a string")
                }
                return s
            }
            do {
                var w: Float = 1
                if let v = r[fields.weight], v != .null {
                    guard let d = v.double else {
                        throw DataError(file: reader.file, line: reader.line, message: "'\(fields.weight)' is not a number")
                    }
                    w = Float(d)
                }
                do {
                    if let m = r[RecordField.messages], !m.isNull {
                        guard let list = m.array else { throw ToolInputError("'\(RecordField.messages)' is not a list of messages") }
                        try add(messages: list.map(chatValue), weight: w)
                    } else if chat, fields.prompt == RecordField.prompt, r[fields.prompt] == nil,
                              let sent = r[RecordField.promptMessages], !sent.isNull, let c = try str(fields.completion) {
                        // st-sample --chat's sample: the conversation it sent, then the completion as the reply
                        // (its prompt_text is that conversation already rendered, not a user message)
                        guard let list = sent.array else { throw ToolInputError("'\(RecordField.promptMessages)' is not a list of messages") }
                        if c.isEmpty { throw ToolInputError("empty completion ('\(fields.completion)')") }
                        try add(messages: list.map(chatValue) + [.message("assistant", c)], weight: w)
                    } else {
                        // st-sample's records name the rendered prompt prompt_text: read when there is no `prompt`
                        var p = try str(fields.prompt)
                        if p == nil && fields.prompt == RecordField.prompt { p = try str(RecordField.promptText) }
                        try add(text: try str(fields.text), prompt: p, completion: try str(fields.completion), weight: w)
                    }
                } catch let e as ToolInputError {
                    throw DataError(file: reader.file, line: reader.line, message: e.description)
                }
            } catch let e as DataError {
                guard let skip else { throw e }
                report.skippedBad += 1
                skip(e)
            }
        }
    }

    /// Whether token k of example e is a loss target as far as its conversation goes (true outside conversations).
    @inline(__always) public func lossAllowed(_ e: ExampleRef, _ k: Int) -> Bool { !e.masked || lossMask[e.start + k] }

    /// The tokens of example i.
    @inline(__always) public func tokens(of e: ExampleRef) -> ArraySlice<Int32> { tokens[e.start ..< e.start + e.count] }
}

/// Thrown when SIGINT/SIGTERM asked the run to stop.
public struct Interrupted: Error, CustomStringConvertible {
    /// what was kept for --resume, if anything
    public var kept: String?
    public init() {}
    public var description: String { kept.map { "interrupted; \($0)" } ?? "interrupted" }
}
