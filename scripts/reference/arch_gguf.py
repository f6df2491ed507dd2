#!/usr/bin/env python3
"""Writes GGUF copies of the random-weight Qwen2 and Qwen3 models of arch_golden.py (Tests/Golden/arch-qwen2,
arch-qwen3), as llama.cpp's convert_hf_to_gguf.py lays them out, for st's GGUF loading of those architectures:

  python3 scripts/reference/arch_gguf.py [GOLDEN_DIR]     # default Tests/Golden

  arch-qwen2/qwen2.gguf   general.architecture qwen2: blk.N.attn_{q,k,v}.{weight,bias}, no Q/K permutation
                          (llama.cpp runs qwen2 with NEOX-style rotary halves, as transformers), tied (no
                          output.weight); F32, the q/k/v biases F32, the FFN matrices F16
  arch-qwen3/qwen3.gguf   general.architecture qwen3: blk.N.attn_{q,k}_norm.weight, head_dim 16 in
                          qwen3.attention.key_length / value_length, untied; F32 and F16

The test (ModelTests' ArchitectureTests) loads each with st and requires the logits of golden.safetensors (the
F16 matrices are the F32 values rounded, so the tolerance is the F16 one). When transformers can load the
file (its GGUF loader), the script also prints its logits' difference from the golden, as a cross-check.
"""
import json
import os
import sys

import numpy as np
import gguf
from safetensors.numpy import load_file

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Golden")

NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
         "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
         "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
         "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"}


def gguf_name(hf):
    top = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}
    if hf in top:
        return top[hf]
    p = hf.split(".")
    return f"blk.{p[2]}.{NAMES['.'.join(p[3:-1])]}.{p[-1]}"


def weights(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        files = sorted(set(json.load(open(idx))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    w = {}
    for f in files:
        w.update(load_file(os.path.join(d, f)))
    return w


def write(name, arch):
    d = os.path.join(OUT, name)
    c = json.load(open(os.path.join(d, "config.json")))
    w = weights(d)
    heads, hidden = c["num_attention_heads"], c["hidden_size"]
    head_dim = c.get("head_dim") or hidden // heads
    path = os.path.join(d, f"{arch}.gguf")
    g = gguf.GGUFWriter(path, arch)
    g.add_name(f"st-{name}")
    g.add_context_length(c["max_position_embeddings"])
    g.add_embedding_length(hidden)
    g.add_block_count(c["num_hidden_layers"])
    g.add_feed_forward_length(c["intermediate_size"])
    g.add_head_count(heads)
    g.add_head_count_kv(c["num_key_value_heads"])
    g.add_layer_norm_rms_eps(c["rms_norm_eps"])
    theta = c.get("rope_theta") or (c.get("rope_parameters") or {}).get("rope_theta") or 10000.0
    g.add_rope_freq_base(theta)
    if arch == "qwen3":
        g.add_key_length(head_dim)
        g.add_value_length(head_dim)
    g.add_vocab_size(c["vocab_size"])
    g.add_bos_token_id(c["bos_token_id"])
    g.add_eos_token_id(c["eos_token_id"])
    for hf in sorted(w):
        if hf == "lm_head.weight" and c.get("tie_word_embeddings"):
            continue
        x = w[hf].astype(np.float32)
        if "mlp." in hf:
            x = x.astype(np.float16)
        g.add_tensor(gguf_name(hf), x)
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()
    print(f"{path}: {len(w)} tensors")
    try:
        import torch
        from transformers import AutoModelForCausalLM
        golden = load_file(os.path.join(d, "golden.safetensors"))
        m = AutoModelForCausalLM.from_pretrained(d, gguf_file=os.path.basename(path), dtype=torch.float32).eval()
        with torch.no_grad():
            logits = m(torch.tensor(golden["tokens"]).long()).logits.numpy()
        print(f"  transformers' GGUF loader: logits max abs diff from the golden {np.abs(logits - golden['logits']).max():.2e}")
    except Exception as e:  # a cross-check only
        print(f"  transformers' GGUF loader cannot check it: {str(e).splitlines()[0][:160]}")


write("arch-qwen2", "qwen2")
write("arch-qwen3", "qwen3")
