// swift-tools-version:6.0
// st: a toolchain for self-training language models on checkable problems.
// Layout: one library per concern under Sources/, one thin executable per tool (st-*).
import PackageDescription

// Release builds may use the host CPU's vector units; `make PORTABLE=1` passes ST_PORTABLE=1 to drop that.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

func tool(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: deps + ["ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Sources/\(name)",
        swiftSettings: fast)
}

let package = Package(
    name: "st",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "st-sample", targets: ["st-sample"]),
        .executable(name: "st-verify", targets: ["st-verify"]),
        .executable(name: "st-filter", targets: ["st-filter"]),
        .executable(name: "st-mix", targets: ["st-mix"]),
        .executable(name: "st-train", targets: ["st-train"]),
        .executable(name: "st-eval", targets: ["st-eval"]),
        .executable(name: "st-tasks", targets: ["st-tasks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System library: Debian's libzstd-dev, found through pkg-config.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),

        // The base layer every library may import: JSON (value, tape parser, records), the record schema shared
        // by the tools, seeded randomness, hashing, clocks, the atomic file writer and the user-facing errors.
        .target(name: "Base", swiftSettings: fast),
        // Data plane: JSON Lines over zstd (re-exports Base).
        .target(name: "Streams", dependencies: ["Base", "CZstd"], swiftSettings: fast),
        // Shared command-line plumbing: common options, error reporting, exit codes, progress.
        .target(name: "ToolSupport", dependencies: [
            "Streams", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // Arithmetic in text: equation extraction and exact rationals (st-filter dedup, st-verify steps).
        .target(name: "MathText", swiftSettings: fast),
        // Hugging Face tokenizer.json tokenizers (BPE), exact against the `tokenizers` library.
        .target(name: "Tokenizers", dependencies: ["Streams"], swiftSettings: fast),
        // Tool libraries: everything a tool does beyond parsing its arguments.
        .target(name: "Filter", dependencies: ["Streams", "MathText"], swiftSettings: fast),
        .target(name: "Mix", dependencies: ["Streams"], swiftSettings: fast),
        .target(name: "Verify", dependencies: ["Streams", "MathText"], swiftSettings: fast),
        .target(name: "Eval", dependencies: ["Streams", "MathText", "Train", "Model", "Tensor"], swiftSettings: fast),
        // Chat templates (Jinja2 as transformers configures it), rendered byte-identically to Python.
        .target(name: "ChatTemplate", swiftSettings: fast),
        // The embedded tasks and corpora (generated, deterministic by seed).
        .target(name: "Tasks", dependencies: ["Streams"], swiftSettings: fast),
        // System library: Debian's OpenBLAS (libopenblas-dev), found through pkg-config.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Tensors, kernels (forward + backward), optimizer: llm.c-style free functions over raw buffers.
        // The hot inference kernels in C, one variant per instruction set (AVX-512, AVX2, portable) chosen at run
        // time, all giving the same bits: fast under a plain `swift build`, which passes no CPU flags.
        .target(name: "CKernels"),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        // The Llama-family model (Llama, Mistral, Qwen2, Qwen3: Architecture.swift): config.json, weights (safetensors,
        // sharded, GGUF), its tokenizer (st's byte one, tokenizer.json or a GGUF's), training step, KV-cache inference.
        .target(name: "Model", dependencies: ["Base", "Tensor", "CBLAS", "Tokenizers", "ChatTemplate", "Weights"], swiftSettings: fast),
        // Times a training step of the Llama model and the sgemm ceiling (bench/tensor.sh; dev tool, not installed).
        .executableTarget(name: "tensor-bench", dependencies: ["Base", "Model", "Tensor"], path: "Sources/tensor-bench",
                          swiftSettings: fast),
        // st-train: examples, objectives (causal, prefix-LM, FIM), packing, the training loop, resumable state.
        // Its options are parsed by ArgumentParser straight into the struct the run reads.
        .target(name: "Train", dependencies: [
            "Model", "Tensor", "Streams", "ToolSupport", "Tokenizers", "ChatTemplate", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // GGUF weights (llama.cpp's format): metadata, tensor infos, dequantization of F16/BF16/Q*_0/Q*_1/K-quants to f32.
        .target(name: "Weights", dependencies: ["Base"], swiftSettings: fast),
        // Times loading a GGUF file through Weights (dev tool, not installed).
        .executableTarget(name: "gguf-bench", dependencies: ["Weights"], path: "Sources/gguf-bench", swiftSettings: fast),
        // Sampling: the sampler chain, methods (prompt templates + stop rules), continuous-batching engine.
        .target(name: "Sample", dependencies: ["Streams", "Model", "Tensor", "Tokenizers", "ChatTemplate"], swiftSettings: fast),

        tool("st-filter", ["Streams", "Filter"]),
        tool("st-mix", ["Streams", "Mix"]),
        tool("st-verify", ["Streams", "Verify"]),
        tool("st-eval", ["Streams", "Eval"]),
        tool("st-train", ["Streams", "Model", "Train"]),
        tool("st-sample", ["Streams", "Sample", "Tensor"]),
        tool("st-tasks", ["Streams", "Tasks"]),
        // Times HFTokenizer.encode beside the tokenizers library (bench/tokenizer.sh; dev tool, not installed).
        .executableTarget(name: "tokenizer-bench", dependencies: ["Tokenizers", "Streams"], path: "bench/tokenizer-bench",
                          swiftSettings: fast),
        // Writes man/man1/*.1 from the tools' own --help definitions (dev tool, not installed).
        .executableTarget(name: "st-man", path: "Sources/st-man"),

        .testTarget(name: "StreamsTests", dependencies: ["Base", "Streams", "ToolSupport"]),
        .testTarget(name: "FilterTests", dependencies: ["Filter", "Streams", "MathText"]),
        .testTarget(name: "VerifyTests", dependencies: ["Verify", "Streams", "MathText"]),
        .testTarget(name: "MathTextTests", dependencies: ["MathText"]),
        .testTarget(name: "EvalTests", dependencies: ["Base", "Eval", "Streams", "Train", "Model", "Tensor"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ModelTests", dependencies: ["Base", "Model", "Tensor", "Tokenizers", "ChatTemplate", "Weights"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "Streams"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "Model", "Tensor", "Streams", "Tokenizers", "ChatTemplate"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplate", "Streams"], exclude: ["Fixtures"]),
        .testTarget(name: "WeightsTests", dependencies: ["Weights"], exclude: ["Golden"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "Streams"], exclude: ["Golden"]),
        .testTarget(name: "SampleTests", dependencies: ["Sample", "Model", "Tensor", "Streams"]),
    ],
    swiftLanguageModes: [.v5]
)
