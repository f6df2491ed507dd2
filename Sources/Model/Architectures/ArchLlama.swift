// Llama (LlamaForCausalLM): SmolLM, TinyLlama, Llama 2, Llama 3 (rope type llama3). The plain case: no
// biases, no q/k norms, full attention.
import Base

extension Architecture {
    public static let llama = Architecture(
        modelType: "llama", className: "LlamaForCausalLM",
        configure: { r, _ in try r.refuseAttentionBias() },
        jsonKeys: { _ in [] })
}
