#!/usr/bin/env python3
"""PyTorch eager reference for bench/tensor.sh: one training step (forward, backward, AdamW) of the same
Llama architecture as st's tensor-bench (RMSNorm, RoPE rotate_half, grouped-query attention through
scaled_dot_product_attention, SwiGLU MLP, tied embeddings), same configs and FLOP count. Prints one JSON line
per config.

  python3 bench/tensor_ref.py [--steps N] [--threads N] S M L
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {  # vocab, hidden, inter, layers, heads, kv heads, context, batch
    "S": (272, 128, 512, 4, 4, 4, 128, 16),
    "M": (272, 384, 1024, 6, 6, 6, 256, 8),
    "L": (4096, 512, 1408, 8, 8, 2, 256, 4),
}


class RMSNorm(nn.Module):
    def __init__(self, c, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(nn.Module):
    def __init__(self, C, I, H, KV):
        super().__init__()
        self.H, self.KV, self.D = H, KV, C // H
        self.input_layernorm = RMSNorm(C)
        self.q_proj = nn.Linear(C, H * self.D, bias=False)
        self.k_proj = nn.Linear(C, KV * self.D, bias=False)
        self.v_proj = nn.Linear(C, KV * self.D, bias=False)
        self.o_proj = nn.Linear(H * self.D, C, bias=False)
        self.post_attention_layernorm = RMSNorm(C)
        self.gate_proj = nn.Linear(C, I, bias=False)
        self.up_proj = nn.Linear(C, I, bias=False)
        self.down_proj = nn.Linear(I, C, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.KV, self.D).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.KV, self.D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.KV != self.H:
            k = k.repeat_interleave(self.H // self.KV, dim=1)
            v = v.repeat_interleave(self.H // self.KV, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(B, T, C))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, V, C, I, L, H, KV, T):
        super().__init__()
        self.embed = nn.Embedding(V, C)
        self.layers = nn.ModuleList(Block(C, I, H, KV) for _ in range(L))
        self.norm = RMSNorm(C)
        D = C // H
        inv = 1.0 / (10000.0 ** (torch.arange(0, D, 2).float() / D))
        f = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((f, f), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())
        for n, p in self.named_parameters():  # as st and transformers initialise: N(0, 0.02), norms 1
            if not n.endswith("norm.weight") and "layernorm" not in n:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, targets):
        x = self.embed(idx)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin)
        logits = F.linear(self.norm(x), self.embed.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def flops(V, C, I, L, H, KV, T, B):
    D = C // H
    N = B * T
    per_layer = (H + 2 * KV) * D * C + C * H * D + 3 * C * I
    return 6 * N * (L * per_layer + V * C) + 3 * L * B * H * (T * (T + 1) / 2) * D * 4


def main():
    args = sys.argv[1:]
    steps, threads, names = 10, 2, []
    while args:
        a = args.pop(0)
        if a == "--steps":
            steps = int(args.pop(0))
        elif a == "--threads":
            threads = int(args.pop(0))
        else:
            names.append(a)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for name in names or ["S", "M", "L"]:
        V, C, I, L, H, KV, T, B = CONFIGS[name]
        model = Llama(V, C, I, L, H, KV, T)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
        idx = torch.randint(0, V, (B, T))
        tgt = torch.randint(0, V, (B, T))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = model(idx, tgt)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss.item()

        for _ in range(2):
            step()
        times = []
        cpu0 = time.process_time()
        for _ in range(steps):
            t0 = time.perf_counter()
            loss = step()
            times.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu0) / steps
        times.sort()
        med = times[len(times) // 2]
        print(json.dumps({"bench": "train_step_pytorch", "config": name, "torch": torch.__version__,
                          "threads": threads, "ms_per_step": round(med * 1000, 1),
                          "tokens_per_s": round(B * T / med), "gflops": round(flops(V, C, I, L, H, KV, T, B) / med / 1e9, 1),
                          "cpu_ms_per_step": round(cpu * 1000, 1), "loss": round(loss, 4)}), flush=True)


if __name__ == "__main__":
    main()
