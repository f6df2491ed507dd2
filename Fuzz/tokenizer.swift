// Fuzz target: tokenizer.json parsing and BPE encoding (Sources/Tokenizers).
// Input starting with '{': the text of a tokenizer.json; parsing never traps, and a tokenizer that parses
// encodes and decodes fixed texts without trapping, every id below its vocabulary size. Any other input: a
// text encoded with the committed GPT-2-style byte-level tokenizer; ids are in range and decode(encode(x)) = x
// (byte-level BPE is lossless), and the streaming decoder's pieces join to the same text.
@testable import Tokenizers

let goldenDir: String = {
    let here = #filePath
    return String(here[..<here.range(of: "/Fuzz/")!.lowerBound]) + "/Tests/TokenizersTests/Golden/"
}()
let byteLevel = try! HFTokenizer(contentsOf: goldenDir + "gpt2.tokenizer.json")
let fixedTexts = ["", "Hello world", "  12345 naïve 日本語 😀\n\t", "<|endoftext|> x"]

func check(_ t: HFTokenizer, _ text: String, lossless: Bool) {
    let ids = t.encode(text, addSpecialTokens: false)
    precondition(ids.allSatisfy { $0 >= 0 && Int($0) < t.vocabSize }, "id out of range")
    let back = t.decode(ids, skipSpecialTokens: false)
    if lossless { precondition(back == text, "decode(encode(x)) != x") }
    var stream = t.streamingDecoder()
    var joined = ""
    for id in ids { if let piece = stream.step(id) { joined += piece } }
    if lossless { precondition(joined == text, "streamed pieces do not join to the text") }
    _ = t.encode(text, addSpecialTokens: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.first == UInt8(ascii: "{") {
        if let t = try? HFTokenizer(json: bytes, file: "fuzz.json") {
            for text in fixedTexts { check(t, text, lossless: false) }
        }
        return 0
    }
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    check(byteLevel, text, lossless: true)
    return 0
}
