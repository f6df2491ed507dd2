#!/usr/bin/env python3
"""Writes the golden files of st's LoRA parity tests (Tests/Golden/lora/), using PyTorch, transformers and
PEFT (float32, CPU), and st's own st-train for the adapter PEFT is asked to read.

  python3 scripts/reference/lora_golden.py [ST_BIN]      # default .build/release
  python3 scripts/reference/lora_golden.py --smollm2 MODEL.gguf GSM8K_TEST.jsonl [ST_BIN]

Tests/Golden/lora/ gets:
  base/             a transformers-written random Llama (tied embeddings, grouped-query heads, byte vocabulary:
                    ids 0-255 are bytes, 256 <bos>, 257 <eos>, as st's byte tokenizer)
  data.jsonl        a few {"text": ...} documents
  peft-adapter/     an adapter PEFT wrote (save_pretrained) with random nonzero A and B on all seven projections
                    (r 4, lora_alpha 8: scale 2) — st must reproduce PEFT's loss with it
  st-adapter/       the adapter st-train --lora wrote (r 4, alpha 8, targets q,v,o,down; 6 steps) — PEFT must
                    reproduce st's loss with it
  golden.safetensors  a batch (tokens, targets) and, for peft-adapter, PEFT's loss and the gradient of every
                    lora_A / lora_B tensor (names as in the adapter file): st's backward pass against PEFT's
  expected.json     losses of data.jsonl as st-eval --loss measures them (mean NLL of every byte and <eos> after
                    <bos>): the base, base + peft-adapter (PEFT, unmerged), base + st-adapter (PEFT, unmerged and
                    merged), and the command st-train ran

With --smollm2, Tests/Golden/smollm2-lora/ gets the real model's case: adapter/ is what st-train --lora 1
--lora-targets q,v --chat wrote on the GGUF base after 2 steps on the first 8 GSM8K test pairs (small: 230 KB),
and expected.json PEFT's summed loss and token count on the first 10 pairs (the assistant turns, as st-eval
--loss --chat scores them) with transformers loading the same GGUF. The GSM8K data is not committed; the test
reads it from ST_DATA.
"""
import json
import os
import shutil
import subprocess
import sys

import torch
import torch.nn.functional as F
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ST_BIN = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.path.join(ROOT, ".build", "release")
OUT = os.path.join(ROOT, "Tests", "Golden", "lora")
torch.manual_seed(4321)
torch.set_num_threads(1)

DOCS = [
    "Natalia sold clips to 48 of her friends in April. #### 72",
    "def add(a, b):\n    return a + b\n",
    "The quick brown fox jumps over the lazy dog.",
    "12 + 30 = 42; 42 * 2 = 84",
    "LoRA adds a low-rank update to a frozen weight.",
]
ST_TRAIN = ["data.jsonl", "--init", "base", "--lora", "4", "--lora-alpha", "8", "--lora-targets", "q,v,o,down",
            "--steps", "6", "--lr", "2e-2", "--batch", "2", "--context", "64", "--seed", "7", "-q", "-o", "st-adapter"]


def base_model():
    cfg = LlamaConfig(vocab_size=272, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      bos_token_id=256, eos_token_id=257, pad_token_id=258, initializer_range=0.1)
    cfg._attn_implementation = "eager"
    model = LlamaForCausalLM(cfg).float()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
    return model


def data_loss(model):
    """st-eval --loss on DOCS: Σ nll / count over every position after <bos> (the bytes and <eos>)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for d in DOCS:
            ids = torch.tensor([[256] + list(d.encode("utf-8")) + [257]])
            logits = model(input_ids=ids).logits[0, :-1]
            total += F.cross_entropy(logits.double(), ids[0, 1:], reduction="sum").item()
            count += ids.shape[1] - 1
    return total / count


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    base = base_model()
    base.save_pretrained(os.path.join(OUT, "base"), safe_serialization=True)
    with open(os.path.join(OUT, "data.jsonl"), "w") as f:
        for d in DOCS:
            f.write(json.dumps({"text": d}) + "\n")
    expected = {"base_loss": data_loss(base)}

    # (b) an adapter PEFT writes, with nonzero A and B, that st must read
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, task_type="CAUSAL_LM",
                     target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    pm = get_peft_model(base_model_from(OUT), cfg)
    g = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_" in n:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    pm.save_pretrained(os.path.join(OUT, "peft-adapter"))
    os.remove(os.path.join(OUT, "peft-adapter", "README.md"))
    pm.eval()
    expected["peft_adapter_loss"] = data_loss(pm)

    # the backward pass: one batch, PEFT's loss and the gradient of every adapter tensor
    B, T, V = 2, 12, 272
    gb = torch.Generator().manual_seed(12)
    tokens = torch.randint(0, 258, (B, T), generator=gb)
    targets = torch.randint(0, 258, (B, T), generator=gb)
    targets[1, 2] = -1
    pm.train()
    logits = pm(input_ids=tokens).logits
    nll = F.cross_entropy(logits.view(-1, V), targets.view(-1).clamp(min=0), reduction="none")
    mask = (targets.view(-1) >= 0).float()
    loss = (mask * nll).sum() / mask.sum()
    loss.backward()
    out = {"tokens": tokens.to(torch.int32), "targets": targets.to(torch.int32), "loss": loss.detach().reshape(1)}
    for n, p in pm.named_parameters():
        if "lora_" in n:
            out["grad." + n.replace(".default", "")] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(OUT, "golden.safetensors"))

    # (a) an adapter st-train writes, that PEFT must read
    subprocess.run([os.path.join(ST_BIN, "st-train")] + ST_TRAIN, cwd=OUT, check=True)
    for f in ["metrics.jsonl", "st-train.json"]:
        os.remove(os.path.join(OUT, "st-adapter", f))
    st = PeftModel.from_pretrained(base_model_from(OUT), os.path.join(OUT, "st-adapter"))
    st.eval()
    expected["st_adapter_loss"] = data_loss(st)
    expected["st_adapter_merged_loss"] = data_loss(st.merge_and_unload())
    expected["st_train"] = "st-train " + " ".join(ST_TRAIN)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(json.dumps(expected, indent=1))


def base_model_from(out):
    return LlamaForCausalLM.from_pretrained(os.path.join(out, "base"), attn_implementation="eager").float()


def smollm2(gguf, data):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    out = os.path.join(ROOT, "Tests", "Golden", "smollm2-lora")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    rows = [json.loads(l) for l in open(data)][:10]
    pairs = os.path.join(out, "pairs.jsonl")
    with open(pairs, "w") as f:
        for r in rows[:8]:
            f.write(json.dumps({"prompt": r["question"], "completion": r["answer"]}) + "\n")
    # the base by its file name (a link beside the data), so adapter_config.json names no local path
    link = os.path.join(out, os.path.basename(gguf))
    os.symlink(os.path.abspath(gguf), link)
    cmd = ["pairs.jsonl", "--init", os.path.basename(gguf), "--chat", "--lora", "1", "--lora-alpha", "16",
           "--lora-targets", "q,v", "--steps", "2", "--lr", "2e-3", "--batch", "2", "--context", "256", "--seed", "3",
           "-q", "-o", "adapter"]
    subprocess.run([os.path.join(ST_BIN, "st-train")] + cmd, cwd=out, check=True)
    os.remove(pairs)
    os.remove(link)
    for f in ["metrics.jsonl", "st-train.json"]:
        os.remove(os.path.join(out, "adapter", f))
    d, f = os.path.dirname(os.path.abspath(gguf)), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32)
    model = PeftModel.from_pretrained(model, os.path.join(out, "adapter")).eval()
    nll, tokens = 0.0, 0
    for r in rows:
        # st's rule for a pair through the chat template (smollm2_golden.py): the assistant turn's tokens
        p = tok.apply_chat_template([{"role": "user", "content": r["question"]}], add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template([{"role": "user", "content": r["question"]},
                                        {"role": "assistant", "content": r["answer"]}], tokenize=False)
        pi = tok(p, add_special_tokens=False)["input_ids"]
        ci = tok(full[len(p):], add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([pi + ci])).logits[0, len(pi) - 1:-1]
        nll += F.cross_entropy(logits.double(), torch.tensor(ci), reduction="sum").item()
        tokens += len(ci)
    expected = {"nll": nll, "tokens": tokens, "loss": nll / tokens, "pairs": len(rows),
                "st_train": "st-train " + " ".join(cmd)}
    with open(os.path.join(out, "expected.json"), "w") as fo:
        json.dump(expected, fo, indent=1)
        fo.write("\n")
    print(json.dumps(expected, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--smollm2":
        ST_BIN = sys.argv[4] if len(sys.argv) > 4 else ST_BIN
        smollm2(sys.argv[2], sys.argv[3])
    else:
        main()
