// Fuzz target: encoding and decoding text (Sources/Tokenizers) with fixed tokenizers, each read once: the
// committed golden tokenizer.json files (byte-level BPE with and without a split regex and digit splitting,
// NFC, SentencePiece-style Metaspace with byte fallback, whitespace with affixes). Input: one byte choosing
// the tokenizer, then a UTF-8 text. Properties: ids are in range; decoding and the streaming decoder never
// trap; through the byte-level ones without a normalizer (GPT-2, Llama 3, StarCoder, all lossless in the
// tokenizers library too) decode(encode(x)) = x and the streamed pieces join to x (short of a final U+FFFD, which
// the streaming decoder holds back as the tokenizers library does).
@testable import Tokenizers

let goldenDir: String = {
    let here = #filePath
    return String(here[..<here.range(of: "/Fuzz/")!.lowerBound]) + "/Tests/TokenizersTests/Golden/"
}()
// LeakSanitizer ignores what is allocated between these: the fixed tokenizers live for the whole run in a
// global, where Swift keeps an indirect enum's case in spare bits of the box pointer, which LeakSanitizer
// cannot follow (a false "direct leak" at exit). Everything allocated per input is still checked.
@_silgen_name("__lsan_disable") func lsanDisable()
@_silgen_name("__lsan_enable") func lsanEnable()
let tokenizers: [(t: HFTokenizer, lossless: Bool)] = {
    lsanDisable(); defer { lsanEnable() }
    return [
        ("gpt2", true), ("llama3", true), ("starcoder", true), ("qwen2", false), ("llama2", false), ("mistral", false),
        ("affixes", false),
    ].map { (try! HFTokenizer(contentsOf: goldenDir + $0.0 + ".tokenizer.json"), $0.1) }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let (t, lossless) = tokenizers[Int(data[0]) % tokenizers.count]
    guard let text = String(validating: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self) else { return 0 }
    let ids = t.encode(text, addSpecialTokens: false)
    precondition(ids.allSatisfy { $0 >= 0 && Int($0) < t.vocabSize }, "id out of range")
    let back = t.decode(ids, skipSpecialTokens: false)
    if lossless { precondition(back == text, "decode(encode(x)) != x") }
    _ = t.decode(ids, skipSpecialTokens: true)
    var stream = t.streamingDecoder()
    var joined = ""
    for id in ids { if let piece = stream.step(id) { joined += piece } }
    // A text that ends in U+FFFD keeps it back (it looks like a partial character), as the library does.
    if lossless {
        precondition(joined == text || (text.hasSuffix("\u{FFFD}") && text.unicodeScalars.starts(with: joined.unicodeScalars)),
                     "streamed pieces do not join to the text")
    }
    _ = t.encode(text, addSpecialTokens: true)
    return 0
}
