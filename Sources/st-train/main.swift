// st-train: train a Llama-family model from scratch or fine-tune one, on JSON Lines examples.
import ArgumentParser
import Foundation
import Model
import Streams
import ToolSupport
import Train

struct STTrain: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-train",
        abstract: "Train a Llama-family model from scratch, or fine-tune one, on JSON Lines examples.",
        discussion: """
        Reads examples from the DATA files (.jsonl or .jsonl.zst; none or - reads stdin) and writes a complete \
        model directory to -o DIR: config.json (Hugging Face LlamaForCausalLM keys), model.safetensors, \
        the tokenizer (st-tokenizer.json, or the Hugging Face files it came with: tokenizer.json, \
        tokenizer_config.json, chat_template.jinja, generation_config.json, special_tokens_map.json), st-train.json (the run's settings and counts) and metrics.jsonl (one line per step: \
        step, loss, lr, grad_norm, tokens, epoch, tokens_per_s, and val_loss when measured). DIR's parent folder must exist. The directory is built as \
        DIR.partial and renamed to DIR on success, replacing an older DIR; on an error or an interrupt it is \
        removed, unless it holds a state saved by --save-every (then it is kept for --resume and the message \
        says so).

        Examples are {"text": ...} documents, trained on every token, or {"prompt": ..., "completion": ...} \
        pairs, trained on the completion only: prompt tokens have exactly zero weight (the M-step of ReST-EM \
        and STaR). Without a "prompt", st-sample's "prompt_text" (the exact prompt the model saw) is the \
        prompt, so st-sample and st-filter output trains as it is. A completion without a prompt, or a prompt \
        without a completion, is an error. A numeric "weight" field scales an \
        example's tokens in the step's weighted mean loss (weight 0 drops it). Field names are set by \
        --text-field, --prompt-field, --completion-field and --weight-field. With the byte tokenizer every \
        example is <bos> bytes <eos>: <bos> is prepended once per example and <eos> appended (the tokenizer's \
        add_bos/add_eos); with a Hugging Face tokenizer, <bos> if it adds one, the prompt and the completion \
        each encoded on its own, then its eos. {"messages": [{"role": ..., "content": ...}, ...]} records \
        (TRL's conversational format), and pairs with --chat (user: prompt, assistant: completion), are \
        rendered with the model's chat template and trained on the assistant turns only (with --chat, a record \
        of st-sample --chat, which carries prompt_messages, is that conversation plus its completion as the \
        assistant's turn): the span of an \
        assistant message is what the template adds for it after the generation prompt (its content and \
        end-of-turn marker), found by rendering the conversation's prefixes; a template that does not render \
        prefixes of the conversation as prefixes is an error. An example longer than --context + 1 tokens is truncated (or skipped with --long \
        skip); the count is reported.

        A model comes from --init DIR (fine-tuning; its tokenizer is kept), from --config FILE (a config.json), \
        or from the size flags (default: hidden 128, 4 layers, 4 heads, intermediate 4 × hidden, as many \
        vocabulary rows as the tokenizer has ids: 272 for st's byte tokenizer), initialised from --seed. \
        --tokenizer FILE|DIR names the tokenizer (a model or tokenizer directory, tokenizer.json, \
        st-tokenizer.json or a .gguf file); default: --init's, else st's byte tokenizer.

        Objectives (--objective, one or a per-example mixture such as causal:0.5,fim:0.5): causal; prefix-lm \
        (the prompt, or a random cut of a document, is attended bidirectionally and not trained on); fim \
        (CodeGen2 infilling: spans are cut out and trained as prefix <mask_1> suffix <eos> <sep> <mask_1> \
        middle <eom>; --fim-spans, --fim-rate, --fim-max-span, --fim-loss; a tokenizer with its own \
        <fim_prefix>/<fim_suffix>/<fim_middle> tokens uses StarCoder's <fim_prefix> prefix <fim_suffix> suffix \
        <fim_middle> middle <eos>, one span, cut at token boundaries).

        Rows of --context tokens are packed with whole examples (first fit over the next --pack-window \
        examples), with attention blocked between examples and positions restarting at 0 for each; --padding \
        puts one example per row. A step is --grad-accum micro-batches of --batch rows (or --batch-tokens / \
        --context rows). The run lasts --steps \
        optimizer steps (cycling through the data) or --epochs passes (default: 1 epoch); the learning rate \
        warms up linearly for --warmup steps, then follows --schedule (cosine or linear to --min-lr, default \
        lr/10, reached at the last step, or constant).

        --val FILE measures the held-out loss (causal, or --val-objective; completion only for pairs) every \
        --val-every steps \
        (default: a tenth of the run) and at the end; --keep best makes the output the weights with the lowest \
        validation loss. --checkpoints K writes K evenly spaced model directories to DIR/checkpoints/step-N.

        LoRA: --lora R trains low-rank adapters (PEFT's LoRA) on --init's projections, chosen by --lora-targets \
        (default all seven: q,k,v,o,gate,up,down), with --lora-alpha (default 2 × R: the update is scaled by \
        alpha / R) and --lora-dropout (default 0); the base weights stay frozen (no gradients, no AdamW \
        moments). A starts kaiming-uniform from --seed, B at zero. -o DIR then gets a PEFT adapter: \
        adapter_config.json (naming --init as the base) and adapter_model.safetensors (PEFT's tensor names), \
        with st-train.json and metrics.jsonl; PEFT loads it, and st-sample, st-eval and st-train take it as \
        --adapter DIR beside the base. --init B --adapter DIR continues training that adapter with --lora R \
        (R must be its rank), or without --lora merges it into B and fine-tunes every weight; --merge writes B \
        with the adapter merged in as a model directory to -o DIR and stops.

        --save-every N saves the weights, AdamW moments and data position every N steps into DIR.partial; after \
        a crash or kill -9, the same command with --resume continues and ends with weights bitwise identical \
        to an uninterrupted run. Every random choice comes from --seed, and the result is bitwise the same for \
        any --threads. A NaN or infinite loss stops the run before the weights are touched, names the step, \
        and keeps the last good state for --resume.

        EXAMPLES:
          # Pre-train a small model from scratch on a text corpus, 2 epochs
          st-train corpus-text.jsonl.zst --hidden 128 --layers 4 --heads 4 --context 256 --epochs 2 --lr 3e-3 --warmup 50 -o base
          # ReST-EM M-step: fine-tune the base model on verified pairs, loss on completions only
          st-train kept.jsonl.zst --init base --steps 300 --lr 5e-4 --val val.jsonl.zst --keep best -o round-1/model
          # Causal and infilling objectives mixed per document
          st-train corpus-code.jsonl.zst --config config.json --objective causal:0.5,fim:0.5 --steps 1000 -o code
          # A cooldown: continue from a checkpoint on a new mixture, learning rate annealed linearly to 1e-6
          st-train cooldown-mix.jsonl.zst --init base --schedule linear --lr 1e-3 --min-lr 1e-6 --steps 200 -o cooled
          # LoRA on a GGUF base: rank 16 adapters on every projection; then sample with them, or merge them
          st-train kept.jsonl --init SmolLM2-135M-Instruct.Q4_1.gguf --chat --lora 16 --steps 200 --lr 2e-4 -o adapter
          st-train --init SmolLM2-135M-Instruct.Q4_1.gguf --adapter adapter --merge -o merged
          # Resumable: save every 50 steps, and after an interruption run the same command with --resume
          st-train data.jsonl.zst --init base --steps 2000 --save-every 50 --resume -o model

        EXIT STATUS:
          0   success
          1   bad input or a failed run (empty data, an example with no completion, a config that does not match --init, an adapter that does not fit the base, --lora 0, an unknown --lora-targets name, a NaN loss, a full disk): one line on stderr, no model directory written
          64  usage error: an unknown option or a bad option value
          130 interrupted (SIGINT; 143 for SIGTERM)
        """)

    // Every flag is declared in TrainOptions (Sources/Train/Options.swift), which the run reads as parsed.
    @OptionGroup var options: TrainOptions

    func run() throws {
        let tool = Self.toolName, quiet = options.common.quiet
        let runner = try TrainRun(options: options, say: { note(tool, $0) }, warn: { if !quiet { ToolSupport.warn(tool, $0) } })
        if options.merge {
            do { try runner.mergeOnly() } catch let e as ModelError { throw ToolError(e.description) }
            if !quiet { note(tool, "merged \(options.adapter!) into \(options.initDir!); wrote \(options.output)") }
            return
        }
        installStopHandlers()
        let s: TrainSummary
        do { s = try runner.run() } catch let e as Interrupted {
            fputs("\(tool): \(e.description)\n", stderr)
            throw ExitCode(128 + stopRequested)
        } catch let e as ModelError {
            throw ToolError(e.description)
        }
        if !quiet {
            var line = "\(s.steps) steps"
            if let r = s.resumedFrom { line += " (resumed at \(r))" }
            line += String(format: ", %.2f epochs of %d examples, %d tokens in %.1f s (%.0f tokens/s)",
                           s.epochsSeen, s.load.examples, s.tokens, s.trainSeconds,
                           Double(s.tokens) / max(s.trainSeconds, 1e-9))
            line += "; loss \(fmtLoss(s.firstLoss)) -> \(fmtLoss(s.lastLoss))"
            if let v = s.valLoss { line += ", val \(fmtLoss(v))" }
            if let b = s.bestValLoss, let st = s.bestStep { line += " (best \(fmtLoss(b)) at step \(st)\(options.keep == .best ? ", kept" : ""))" }
            line += "; wrote \(options.output)"
            note(tool, line)
        }
    }

    func fmtLoss(_ x: Double) -> String { String(format: "%.4f", x) }
}

STTrain.runTool()
