// Qwen3 (Qwen3ForCausalLM): Llama with q_norm / k_norm (RMSNorm over head_dim of each query and key head,
// before RoPE) and an explicit head_dim (128 when absent, as transformers' Qwen3Config).
import Base

extension Architecture {
    public static let qwen3 = Architecture(
        modelType: "qwen3", className: "Qwen3ForCausalLM",
        configure: { r, c in
            try r.refuseAttentionBias()
            c.qkNorm = true
            c.headDim = r.optInt("head_dim") ?? 128
            c.slidingWindow = try r.qwenSlidingWindow(layers: c.numLayers)
        },
        jsonKeys: { c in [("use_sliding_window", JSON(c.slidingWindow != nil)),
                          ("sliding_window", c.slidingWindow.map { JSON($0) } ?? .null), ("max_window_layers", JSON(0))] })
}
