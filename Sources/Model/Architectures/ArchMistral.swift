// Mistral (MistralForCausalLM): Llama with sliding-window attention over the last `sliding_window` positions
// (transformers' default 4096 when the key is absent; null = full attention, as Mistral 7B v0.2 on).
import Base

extension Architecture {
    public static let mistral = Architecture(
        modelType: "mistral", className: "MistralForCausalLM",
        configure: { r, c in
            try r.refuseAttentionBias()
            if r["layer_types"] != nil { throw r.fail("layer_types is not supported for mistral") }
            if let v = r["sliding_window"] { c.slidingWindow = v.isNull ? nil : r.integer(v) } else { c.slidingWindow = 4096 }
            if let w = c.slidingWindow, w >= c.maxPositions { c.slidingWindow = nil }   // never binds
        },
        jsonKeys: { c in [("sliding_window", c.slidingWindow.map { JSON($0) } ?? .null)] })
}
