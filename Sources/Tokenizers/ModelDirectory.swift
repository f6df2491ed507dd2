// A model directory's tokenizer: tokenizer.json plus the special tokens and flags that transformers reads
// from tokenizer_config.json (bos_token, eos_token, pad_token, add_bos_token, add_eos_token),
// generation_config.json and config.json (bos_token_id, eos_token_id as a number or a list, pad_token_id).
import Foundation
import Streams

extension HFTokenizer {
    /// Loads `directory/tokenizer.json` and the special-token settings beside it. Where the files disagree,
    /// generation_config.json wins for eos (it lists every stop token), then config.json, then
    /// tokenizer_config.json; tokenizer_config.json's eos_token is always among the eos ids.
    public static func load(directory: String) throws -> HFTokenizer {
        try load(directory: directory) { FileManager.default.contents(atPath: $0) }
    }

    /// The same from files given by `contents` (a path to its bytes, nil when absent): a directory built in memory.
    public static func load(directory: String, contents: (String) -> Data?) throws -> HFTokenizer {
        func path(_ f: String) -> String { (directory as NSString).appendingPathComponent(f) }
        guard let tj = contents(path("tokenizer.json")) else { throw TokenizerError("\(path("tokenizer.json")): cannot read") }
        var t = try HFTokenizer(json: [UInt8](tj), file: path("tokenizer.json"))
        func read(_ f: String) throws -> Node? {
            guard let d = contents(path(f)) else { return nil }
            do { return Node(value: try JSON.parse(String(decoding: d, as: UTF8.self)), path: "", file: path(f)) } catch {
                throw TokenizerError("\(path(f)): not valid JSON: \(error)")
            }
        }
        /// A token named by text (or an AddedToken object with "content") must exist.
        func tokenId(_ n: Node?) throws -> Int32? {
            guard let n else { return nil }
            let text = try n.value.string ?? n.string("content")
            guard let id = t.id(ofSpecial: text) else { throw n.error("\(text.debugDescription) is not a token of tokenizer.json") }
            return id
        }
        func ids(_ n: Node?) throws -> [Int32]? {
            guard let n else { return nil }
            let list = n.value.array != nil ? try n.items() : [n]
            return try list.map { item in
                let i = try item.int()
                guard i >= 0 && i < t.vocabSize else { throw item.error("id \(i) is outside the vocabulary (\(t.vocabSize))") }
                return Int32(i)
            }
        }
        var sp = t.specialTokens
        if let tc = try read("tokenizer_config.json") {
            if let b = try tokenId(tc.child("bos_token")) { sp.bos = b }
            if let e = try tokenId(tc.child("eos_token")) { sp.eos = [e] }
            if let p = try tokenId(tc.child("pad_token")) { sp.pad = p }
            if let a = tc.child("add_bos_token") { sp.addBOS = try a.bool() }
            if let a = tc.child("add_eos_token") { sp.addEOS = try a.bool() }
        }
        let tokenizerEOS = sp.eos
        if let tc = try read("tokenizer_config.json"), tc.child("add_bos_token") != nil || tc.child("add_eos_token") != nil {
            var pieces: [[Int32]?] = []
            if sp.addBOS, let b = sp.bos { pieces.append([b]) }
            pieces.append(nil)
            if sp.addEOS, let e = sp.eos.first { pieces.append([e]) }
            t.post = .template(pieces)
        }
        for f in ["config.json", "generation_config.json"] {
            guard let c = try read(f) else { continue }
            if let b = try ids(c.child("bos_token_id"))?.first { sp.bos = b }
            if let e = try ids(c.child("eos_token_id")), !e.isEmpty { sp.eos = e }
            if let p = try ids(c.child("pad_token_id"))?.first { sp.pad = p }
        }
        for e in tokenizerEOS where !sp.eos.contains(e) { sp.eos.append(e) }
        t.specialTokens = sp
        return t
    }
}
