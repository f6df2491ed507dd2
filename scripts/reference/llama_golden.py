#!/usr/bin/env python3
"""Writes the golden files of st's tensor-library parity tests (Tests/Golden/), using PyTorch and
Hugging Face transformers (LlamaForCausalLM, eager attention, float32, CPU).

  python3 scripts/reference/llama_golden.py [OUT_DIR]     # default Tests/Golden

1. llama-tiny/ : a transformers-written model directory (untied embeddings, grouped-query heads) and
   golden.safetensors with a batch (tokens, targets with an ignored position, per-token weights), the logits,
   the loss sum(w * nll) / sum(w), the gradient of every parameter ("grad.<name>"), and every parameter after
   10 AdamW steps ("step10.<name>"; lr 1e-2, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 except norms and
   embeddings, gradients clipped to norm 1.0).
   masked.safetensors: the same model on packed rows (segment ids: block-diagonal attention, positions restarting
   per document) with prefix-LM flags, through an explicit 4D attention mask: logits, loss, every gradient.
2. llama-tiny-tied/ : a transformers-written directory (tied embeddings, rope_theta inside rope_parameters)
   and text_loss.safetensors: the UTF-8 bytes of a text with <bos> prepended, and transformers' loss with
   labels = input_ids (transformers shifts internally).
3. llama-tiny-gen/ : a transformers-written directory (untied, grouped-query heads, weights N(0, 0.3)) and
   greedy.safetensors: a prompt and transformers' greedy generation of 24 new tokens after it.
"""
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Golden")
torch.manual_seed(1234)
torch.set_num_threads(1)


def make(tied, kv, theta):
    cfg = LlamaConfig(vocab_size=272, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=kv, max_position_embeddings=64,
                      rope_theta=theta, rms_norm_eps=1e-5, tie_word_embeddings=tied,
                      bos_token_id=256, eos_token_id=257, pad_token_id=258, initializer_range=0.1)
    cfg._attn_implementation = "eager"
    model = LlamaForCausalLM(cfg).float()
    with torch.no_grad():  # non-trivial norm weights so their gradients matter
        for n, p in model.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
    return model


def training_parity():
    model = make(tied=False, kv=2, theta=10000.0)
    d = os.path.join(OUT, "llama-tiny")
    model.save_pretrained(d, safe_serialization=True)
    B, T, V = 2, 12, 272
    g = torch.Generator().manual_seed(5)
    tokens = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    targets[0, 3] = -1
    targets[1, 0] = -1
    weights = torch.rand((B, T), generator=g) + 0.5

    def loss_fn():
        logits = model(input_ids=tokens).logits
        nll = F.cross_entropy(logits.view(-1, V), targets.view(-1).clamp(min=0), reduction="none")
        mask = (targets.view(-1) >= 0).float()
        w = weights.view(-1) * mask
        return logits, (w * nll).sum() / w.sum()

    logits, loss = loss_fn()
    loss.backward()
    out = {"tokens": tokens.to(torch.int32), "targets": targets.to(torch.int32), "weights": weights.float(),
           "logits": logits.detach().contiguous(), "loss": loss.detach().reshape(1)}
    for n, p in model.named_parameters():
        out["grad." + n] = p.grad.detach().clone()
    decay = [p for n, p in model.named_parameters() if "norm" not in n and "embed_tokens" not in n]
    nodecay = [p for n, p in model.named_parameters() if "norm" in n or "embed_tokens" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.95), eps=1e-8, foreach=False)
    losses = []
    for step in range(10):
        opt.zero_grad()
        _, l = loss_fn()
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=False)
        opt.step()
        losses.append(l.item())
    for n, p in model.named_parameters():
        out["step10." + n] = p.detach().clone()
    out["losses"] = torch.tensor(losses)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(d, "golden.safetensors"))
    print("llama-tiny: loss", loss.item(), "after 10 steps", losses[-1])


def masked_parity():
    """Packed documents (block-diagonal, positions restarting) and prefix-LM through an explicit 4D mask."""
    model = LlamaForCausalLM.from_pretrained(os.path.join(OUT, "llama-tiny"), attn_implementation="eager")
    B, T, V = 2, 12, 272
    g = torch.Generator().manual_seed(6)
    tokens = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    targets[0, 4] = -1
    weights = torch.rand((B, T), generator=g) + 0.5
    segments = torch.tensor([[0] * 5 + [1] * 7, [3] * 12], dtype=torch.int32)
    prefix = torch.tensor([[1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1] + [0] * 8], dtype=torch.uint8)
    positions = torch.tensor([list(range(5)) + list(range(7)), list(range(12))])
    allowed = torch.zeros(B, 1, T, T, dtype=torch.bool)
    for b in range(B):
        for t in range(T):
            for s in range(T):
                allowed[b, 0, t, s] = bool(segments[b, t] == segments[b, s] and (s <= t or (prefix[b, t] and prefix[b, s])))
    mask = torch.zeros(B, 1, T, T).masked_fill(~allowed, torch.finfo(torch.float32).min)
    logits = model(input_ids=tokens, attention_mask=mask, position_ids=positions).logits
    nll = F.cross_entropy(logits.view(-1, V), targets.view(-1).clamp(min=0), reduction="none")
    w = weights.view(-1) * (targets.view(-1) >= 0).float()
    loss = (w * nll).sum() / w.sum()
    loss.backward()
    out = {"tokens": tokens.to(torch.int32), "targets": targets.to(torch.int32), "weights": weights.float(),
           "segments": segments, "prefix": prefix, "logits": logits.detach().contiguous(), "loss": loss.detach().reshape(1)}
    for n, p in model.named_parameters():
        out["grad." + n] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(OUT, "llama-tiny", "masked.safetensors"))
    print("llama-tiny: packed + prefix-LM loss", loss.item())


def text_loss():
    model = make(tied=True, kv=4, theta=500000.0)
    d = os.path.join(OUT, "llama-tiny-tied")
    model.save_pretrained(d, safe_serialization=True)
    text = "Natalia sold clips to 48 of her friends in April. #### 72\n"
    ids = torch.tensor([[256] + list(text.encode("utf-8"))])
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss
    save_file({"input_ids": ids.to(torch.int32), "loss": loss.reshape(1).float()},
              os.path.join(d, "text_loss.safetensors"))
    print("llama-tiny-tied: text loss", loss.item())


def greedy():
    torch.manual_seed(7)
    model = make(tied=False, kv=2, theta=10000.0)
    with torch.no_grad():  # larger weights: a random model that does not just repeat one byte
        for n, p in model.named_parameters():
            if "norm" not in n:
                p.normal_(0, 0.3)
    d = os.path.join(OUT, "llama-tiny-gen")
    model.save_pretrained(d, safe_serialization=True)
    prompt = torch.tensor([[256] + list("Question: 2 + 3 =".encode("utf-8"))])
    with torch.no_grad():
        out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=24,
                             do_sample=False, pad_token_id=258, eos_token_id=None)
    save_file({"prompt": prompt.to(torch.int32), "output": out[:, prompt.shape[1]:].to(torch.int32)},
              os.path.join(d, "greedy.safetensors"))
    print("llama-tiny-gen: greedy", out[0, prompt.shape[1]:].tolist())


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    training_parity()
    masked_parity()
    text_loss()
    greedy()
