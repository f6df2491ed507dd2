// Fuzz target: tokenizer.json parsing (Sources/Tokenizers). Input: the text of a tokenizer.json; the seeds are
// the committed golden tokenizers cut down to a few dozen tokens and merges, so that whole files fit -max_len
// and mutations reach every section. Properties: parsing never traps (errors only); a tokenizer that parses
// encodes fixed texts with ids below its vocabulary size, and decodes and stream-decodes them without trapping.
// Texts through fixed tokenizers are the `tokenizer-text` target.
@testable import Tokenizers

let fixedTexts = ["", "Hello world", "  12345 naïve 日本語 😀\n\t", "<|endoftext|> x", "<s>a</s>\u{2581}b"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let t = try? HFTokenizer(json: Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz.json") else {
        return 0
    }
    for text in fixedTexts {
        let ids = t.encode(text, addSpecialTokens: false)
        precondition(ids.allSatisfy { $0 >= 0 && Int($0) < t.vocabSize }, "id out of range")
        _ = t.decode(ids, skipSpecialTokens: false)
        _ = t.decode(ids, skipSpecialTokens: true)
        var stream = t.streamingDecoder()
        for id in ids { _ = stream.step(id) }
        _ = t.encode(text, addSpecialTokens: true)
    }
    return 0
}
