// A GGUF SentencePiece vocabulary (tokenizer.ggml.model "llama") as the tokenizer.json transformers builds for
// it (integrations/gguf/gguf_tokenizer_mapping.py: sentencepiece_tokenizer -> LlamaTokenizer, then
// add_gguf_special_tokens). The pieces keep their ids and spelling ("▁" for a space, <0xXX> byte pieces that
// byte_fallback uses); a file without tokenizer.ggml.merges gets the merges generate_merges derives from the
// scores. The tokenizer that results encodes as llama.cpp's SPM tokenizer: the highest-scoring bigram merges
// first, unknown characters fall back to their UTF-8 bytes.
import Streams

extension GGUFVocabulary {
    func sentencePieceJSON(file: String) throws -> String {
        let mergeList: [(String, String)]
        if let merges {
            mergeList = try merges.enumerated().map { n, m in
                let parts = m.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError("\(file): tokenizer.ggml.merges[\(n)] \(m.debugDescription) is not two tokens") }
                return (String(parts[0]), String(parts[1]))
            }
        } else {
            guard let scores else { throw TokenizerError("\(file): a llama (SentencePiece) tokenizer needs tokenizer.ggml.scores or tokenizer.ggml.merges") }
            mergeList = GGUFVocabulary.mergesFromScores(tokens: tokens, scores: scores)
        }
        // a Python dict keeps the last index of a repeated piece; keys are bytes (Swift's String equality is
        // canonical equivalence, Python's is code point equality)
        var lastIndex: [[UInt8]: Int] = [:]
        for (i, t) in tokens.enumerated() { lastIndex[Array(t.utf8)] = i }
        let last = { (t: String) -> Int? in lastIndex[Array(t.utf8)] }
        var vocab = ByteWriter()
        vocab.append("{")
        for (i, t) in tokens.enumerated() where last(t) == i {
            if vocab.bytes.count > 1 { vocab.append(",") }
            vocab.writeString(t); vocab.append(":"); vocab.bytes.append(contentsOf: String(i).utf8)
        }
        vocab.append("}")

        // added tokens: the named special tokens (LlamaTokenizer's unk/bos/eos/pad), the control pieces
        // (type 3) as special, the user-defined ones (type 4) as plain; the library lists them by id
        var added: [Int: (String, Bool)] = [:]
        for id in [unk, bos, eos, pad].compactMap({ $0 }) { added[last(tokens[id])!] = (tokens[id], true) }
        let types = tokenTypes ?? []
        for (i, t) in tokens.enumerated() where i < types.count && types[i] == 3 && added[last(t)!] == nil { added[last(t)!] = (t, true) }
        for (i, t) in tokens.enumerated() where i < types.count && types[i] == 4 && added[last(t)!] == nil { added[last(t)!] = (t, false) }
        let addedTokens: [JSON] = added.keys.sorted().map { id in
            .object(JSONObject([("id", JSON(id)), ("content", JSON(added[id]!.0)), ("single_word", JSON(false)),
                                ("lstrip", JSON(false)), ("rstrip", JSON(false)), ("normalized", JSON(false)),
                                ("special", JSON(added[id]!.1))]))
        }

        // <s> first when add_bos_token (default true), </s> last when add_eos_token
        let b = addsBOS == true ? bos.map { tokens[$0] } : nil, e = addEOS == true ? eos.map { tokens[$0] } : nil
        func special(_ t: String, _ type: Int) -> JSON { .object(JSONObject([("SpecialToken", .object(JSONObject([("id", JSON(t)), ("type_id", JSON(type))])))])) }
        func seq(_ s: String, _ type: Int) -> JSON { .object(JSONObject([("Sequence", .object(JSONObject([("id", JSON(s)), ("type_id", JSON(type))])))])) }
        func side(_ s: String, _ type: Int) -> [JSON] { (b.map { [special($0, type)] } ?? []) + [seq(s, type)] + (e.map { [special($0, type)] } ?? []) }
        var specials = JSONObject()
        for t in [b, e].compactMap({ $0 }) where specials[t] == nil {
            specials[t] = .object(JSONObject([("id", JSON(t)), ("ids", .array([JSON(last(t)!)])), ("tokens", .array([JSON(t)]))]))
        }
        let post = JSONObject([("type", JSON("TemplateProcessing")), ("single", .array(side("A", 0))),
                               ("pair", .array(side("A", 0) + side("B", 1))), ("special_tokens", .object(specials))])
        let pre = JSONObject([("type", JSON("Metaspace")), ("replacement", JSON("▁")), ("prepend_scheme", JSON("first")), ("split", JSON(false))])
        func dec(_ pairs: [(String, JSON)]) -> JSON { .object(JSONObject(pairs)) }
        let decoder = JSONObject([("type", JSON("Sequence")), ("decoders", .array([
            dec([("type", JSON("Replace")), ("pattern", dec([("String", JSON("▁"))])), ("content", JSON(" "))]),
            dec([("type", JSON("ByteFallback"))]), dec([("type", JSON("Fuse"))]),
            dec([("type", JSON("Strip")), ("content", JSON(" ")), ("start", JSON(1)), ("stop", JSON(0))])]))])
        let modelObj = JSONObject([("type", JSON("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
                                   ("end_of_word_suffix", .null), ("fuse_unk", JSON(true)), ("byte_fallback", JSON(true)),
                                   ("ignore_merges", JSON(false)), ("vocab", JSON(placeholder)),
                                   ("merges", .array(mergeList.map { .array([JSON($0.0), JSON($0.1)]) }))])
        let text = JSON.object(JSONObject([("version", JSON("1.0")), ("truncation", .null), ("padding", .null),
                                           ("added_tokens", .array(addedTokens)), ("normalizer", .null), ("pre_tokenizer", .object(pre)),
                                           ("post_processor", .object(post)), ("decoder", .object(decoder)), ("model", .object(modelObj))])).serialized()
        guard let r = text.range(of: "\"" + placeholder + "\"") else { preconditionFailure("vocab placeholder lost") }
        return text.replacingCharacters(in: r, with: vocab.string)
    }

    /// transformers' generate_merges(vocab, scores): for every piece (in first-seen order, its last score), each
    /// split into two pieces of the vocabulary (ordered by their ids); all of them ordered by the piece's score,
    /// then the left and right lengths in code points, best first, ties in that order.
    static func mergesFromScores(tokens: [String], scores: [Float]) -> [(String, String)] {
        var id: [[UInt8]: Int] = [:], score: [[UInt8]: Float] = [:], order: [String] = []
        for (i, t) in tokens.enumerated() {
            let k = Array(t.utf8)
            if score[k] == nil { order.append(t) }
            id[k] = i; score[k] = scores[i]
        }
        struct M { let l: String, r: String, score: Float, ll: Int, rl: Int }
        var all: [M] = []
        for t in order {
            let u = Array(t.unicodeScalars)
            guard u.count > 1 else { continue }
            var local: [(Int, Int, M)] = []
            for k in 1..<u.count {
                var l = String.UnicodeScalarView(), r = String.UnicodeScalarView()
                l.append(contentsOf: u[..<k]); r.append(contentsOf: u[k...])
                let ls = String(l), rs = String(r)
                if let li = id[Array(ls.utf8)], let ri = id[Array(rs.utf8)] {
                    local.append((li, ri, M(l: ls, r: rs, score: score[Array(t.utf8)]!, ll: k, rl: u.count - k)))
                }
            }
            all += local.enumerated().sorted { a, b in (a.1.0, a.1.1, a.0) < (b.1.0, b.1.1, b.0) }.map(\.1.2)
        }
        // a stable descending sort (Python's sorted(reverse=True) keeps equal keys in order)
        let ranked = all.indices.sorted { a, b in
            let x = all[a], y = all[b]
            if x.score != y.score { return x.score > y.score }
            if x.ll != y.ll { return x.ll > y.ll }
            if x.rl != y.rl { return x.rl > y.rl }
            return a < b
        }
        return ranked.map { (all[$0].l, all[$0].r) }
    }
}
