// Fuzz target: chat-template parsing and rendering (Sources/ChatTemplate). Input: a template's source.
// Properties: parsing never traps (errors only); a template that parses renders fixed conversations without
// trapping, and renders the same text twice.
@testable import ChatTemplate

let conversations: [[Value]] = [
    [],
    [Value.message("user", "hi")],
    [Value.message("system", "Be brief."), Value.message("user", "2 + 2?"), Value.message("assistant", "4"),
     Value.message("user", "naïve 😀\n")],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let source = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self),
          let template = try? ChatTemplate(source: source) else { return 0 }
    for messages in conversations {
        for generation in [false, true] {
            let a = try? template.render(messages: messages, addGenerationPrompt: generation, bosToken: "<s>",
                                         eosToken: "</s>", now: 0)
            let b = try? template.render(messages: messages, addGenerationPrompt: generation, bosToken: "<s>",
                                         eosToken: "</s>", now: 0)
            precondition(a == b, "rendering is not deterministic")
        }
    }
    return 0
}
