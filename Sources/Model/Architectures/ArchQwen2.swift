// Qwen2 / Qwen2.5 (Qwen2ForCausalLM): Llama with biases on q_proj, k_proj and v_proj. Sliding windows only
// when use_sliding_window is set (false by default).
import Base

extension Architecture {
    public static let qwen2 = Architecture(
        modelType: "qwen2", className: "Qwen2ForCausalLM",
        configure: { r, c in
            c.qkvBias = true
            c.slidingWindow = try r.qwenSlidingWindow(layers: c.numLayers)
        },
        jsonKeys: { c in [("use_sliding_window", JSON(c.slidingWindow != nil)),
                          ("sliding_window", c.slidingWindow.map { JSON($0) } ?? .null), ("max_window_layers", JSON(0))] })
}
