#!/usr/bin/env python3
"""Writes the golden files of st's architecture parity tests (Tests/Golden/arch-*), using PyTorch and Hugging
Face transformers (eager attention, float32, CPU), for a small random-weight model of each architecture in
st's registry (Sources/Model/Architecture.swift):

  python3 scripts/reference/arch_golden.py [OUT_DIR]     # default Tests/Golden

  arch-llama3/   LlamaForCausalLM, rope type llama3 (bands exercised: original_max_position_embeddings 16),
                 tied embeddings; weights saved as BF16 (the model computes with the BF16-rounded values)
  arch-mistral/  MistralForCausalLM, sliding_window 5 (shorter than the batch and the generation); saved as F16
  arch-qwen2/    Qwen2ForCausalLM (q/k/v biases), tied; saved sharded (model.safetensors.index.json), F32
  arch-qwen3/    Qwen3ForCausalLM (q_norm/k_norm, explicit head_dim 16 with hidden 32 and 4 heads), untied, F32

Each directory holds transformers' own save_pretrained output and golden.safetensors: a batch (tokens,
targets with ignored positions, per-token weights), the logits, the loss sum(w * nll) / sum(w), the gradient
of every parameter ("grad.<name>"), and a prompt with transformers' greedy generation of 20 tokens
("prompt", "greedy"). Sizes are tiny (hidden 32, 2 layers, vocab 300) so the files stay small.
"""
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Golden")
torch.set_num_threads(1)
V = 300
COMMON = dict(vocab_size=V, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5, initializer_range=0.25,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)

ARCHS = [
    ("arch-llama3", LlamaConfig, LlamaForCausalLM, "bf16",
     dict(tie_word_embeddings=True, rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=8.0,
                                                         low_freq_factor=1.0, high_freq_factor=4.0,
                                                         original_max_position_embeddings=16))),
    ("arch-mistral", MistralConfig, MistralForCausalLM, "f16",
     dict(tie_word_embeddings=False, sliding_window=5, rope_parameters=dict(rope_type="default", rope_theta=10000.0))),
    ("arch-qwen2", Qwen2Config, Qwen2ForCausalLM, "sharded",
     dict(tie_word_embeddings=True, rope_parameters=dict(rope_type="default", rope_theta=1000000.0))),
    ("arch-qwen3", Qwen3Config, Qwen3ForCausalLM, "f32",
     dict(tie_word_embeddings=False, head_dim=16, rope_parameters=dict(rope_type="default", rope_theta=1000000.0))),
]


def build(config_cls, model_cls, extra, storage, seed):
    torch.manual_seed(seed)
    cfg = config_cls(**COMMON, **extra)
    cfg._attn_implementation = "eager"
    model = model_cls(cfg).float()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:  # non-trivial norm weights and biases so their gradients matter
                p.add_(0.1 * torch.randn_like(p))
            elif n.endswith(".bias"):
                p.normal_(0, 0.1)
            if storage == "bf16":  # compute with exactly what the file stores
                p.copy_(p.to(torch.bfloat16).float())
            elif storage == "f16":
                p.copy_(p.to(torch.float16).float())
    return model


def golden(name, config_cls, model_cls, storage, extra, seed):
    model = build(config_cls, model_cls, extra, storage, seed)
    d = os.path.join(OUT, name)
    B, T = 2, 12
    g = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    targets[0, 3] = -1
    targets[1, 0] = -1
    weights = torch.rand((B, T), generator=g) + 0.5
    logits = model(input_ids=tokens).logits
    nll = F.cross_entropy(logits.view(-1, V), targets.view(-1).clamp(min=0), reduction="none")
    w = weights.view(-1) * (targets.view(-1) >= 0).float()
    loss = (w * nll).sum() / w.sum()
    loss.backward()
    out = {"tokens": tokens.to(torch.int32), "targets": targets.to(torch.int32), "weights": weights.float(),
           "logits": logits.detach().contiguous(), "loss": loss.detach().reshape(1)}
    for n, p in model.named_parameters():
        out["grad." + n] = p.grad.detach().clone()
    prompt = torch.tensor([[1] + torch.randint(3, V, (7,), generator=g).tolist()])
    with torch.no_grad():
        gen = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=20,
                             do_sample=False, pad_token_id=0, eos_token_id=None)
    out["prompt"] = prompt.to(torch.int32)
    out["greedy"] = gen[:, prompt.shape[1]:].to(torch.int32)
    if storage == "bf16":
        model.to(torch.bfloat16).save_pretrained(d)
    elif storage == "f16":
        model.to(torch.float16).save_pretrained(d)
    elif storage == "sharded":
        model.save_pretrained(d, max_shard_size="30KB")
    else:
        model.save_pretrained(d)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(d, "golden.safetensors"))
    print(name, "loss", loss.item(), "greedy", out["greedy"][0].tolist(), "files", sorted(os.listdir(d)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, (name, ccls, mcls, storage, extra) in enumerate(ARCHS):
        golden(name, ccls, mcls, storage, extra, seed=100 + i)
