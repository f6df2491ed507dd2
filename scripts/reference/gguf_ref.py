#!/usr/bin/env python3
"""Writes the golden files of st's GGUF reader tests (Tests/WeightsTests/Golden/), using gguf-py
(GGUFWriter, GGUFReader, gguf.quants) and transformers' GGUF loader (config, tokenizer metadata and the
llama Q/K un-permutation; no PyTorch needed).

  python3 scripts/reference/gguf_ref.py [OUT_DIR]                 # default Tests/WeightsTests/Golden
  ST_SMOLLM2_GGUF=/path/SmolLM2-135M-Instruct.Q4_1.gguf python3 scripts/reference/gguf_ref.py

1. types.gguf: metadata of every value type (and arrays, nested arrays, an empty-string-free set), a custom
   general.alignment of 64, and one tensor per (type, case): gguf-py-quantized random normals for the types
   gguf-py can quantize (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), and random block bytes with random
   finite f16 scales for every block type (K-quants included: gguf-py cannot quantize those).
   types.json: the metadata as gguf-py reads it, and per tensor its type, dims, and the byte offset/count of
   its expected values in types.f32 (gguf-py's dequantize, little-endian float32).
2. tiny-llama.gguf: a 2-layer llama (hidden 32, 4 heads, 2 kv heads, untied) with mixed tensor types and
   tokenizer metadata. tiny-llama.json: transformers' config and tokenizer dictionaries, and per HF tensor
   name its shape and offset in tiny-llama.f32 (gguf-py dequantize + transformers' reverse_permute_weights).
3. smollm2.json (only with ST_SMOLLM2_GGUF): for the real SmolLM2 GGUF, transformers' config and tokenizer
   summary, and per tensor its HF name, shape, a hash of every value's bits (sum of bits * (2i+1) mod 2^64
   over the HF-layout f32 values), the float64 sum, and the values at a few indices.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V
from gguf.quants import quantize, dequantize

import transformers.modeling_gguf_pytorch_utils as tg

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "WeightsTests", "Golden")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240607)

# byte offsets of the f16 scale fields in each block type (randomised separately so they stay finite)
F16_FIELDS = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
              T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def random_blocks(qtype, rows, cols):
    """Random block bytes for a (rows, cols) tensor; f16 scales are random finite values, some subnormal."""
    bs, ts = gguf.GGML_QUANT_SIZES[qtype]
    nb = rows * cols // bs
    b = rng.integers(0, 256, size=(nb, ts), dtype=np.uint8)
    for off in F16_FIELDS[qtype]:
        d = (rng.standard_normal(nb) * 0.05).astype(np.float16)
        d[::7] = np.float16(rng.standard_normal() * 1e-6)        # subnormal f16
        b[:, off:off + 2] = d.view(np.uint8).reshape(nb, 2)
    return b.reshape(rows, cols // bs * ts)


def f32_bits_hash(x):
    bits = np.ascontiguousarray(x, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    w = np.arange(bits.size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return int(np.sum(bits * w, dtype=np.uint64))


def py_value(field):
    """A reader field as JSON: {type, value} (arrays: element type and values)."""
    types = [int(t) for t in field.types]
    def one(part, t):   # numbers as exact decimal strings (JSON parsers differ on big integers)
        if t == V.STRING:
            return bytes(part).decode("utf-8")
        if t == V.BOOL:
            return bool(part[0])
        if t in (V.FLOAT32, V.FLOAT64):
            return repr(float(part[0]))
        return str(int(part[0]))
    if types[0] != V.ARRAY:
        return {"type": types[0], "value": one(field.parts[field.data[0]], types[0])}
    if len(types) > 2 and types[1] == V.ARRAY:        # nested array: gguf-py flattens the values
        return {"type": 9, "element": 9, "inner": types[2], "flat": [one(field.parts[i], types[2]) for i in field.data]}
    return {"type": 9, "element": types[1], "value": [one(field.parts[i], types[1]) for i in field.data]}


def write_types():
    path = os.path.join(OUT, "types.gguf")
    w = gguf.GGUFWriter(path, arch="test")
    w.add_custom_alignment(64)
    w.add_uint8("t.u8", 200); w.add_int8("t.i8", -100); w.add_uint16("t.u16", 60000); w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000); w.add_int32("t.i32", -2000000000)
    w.add_uint64("t.u64", 18000000000000000000); w.add_int64("t.i64", -9000000000000000000)
    w.add_float32("t.f32", 0.1); w.add_float64("t.f64", -2.5e-300)
    w.add_bool("t.true", True); w.add_bool("t.false", False)
    w.add_string("t.str", "héllo, wörld ✓ 日本")
    w.add_key_value("t.arr.i32", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("t.arr.u8", [0, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("t.arr.f32", [0.5, -1.25, 3.0e-8], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("t.arr.f64", [1e100, -0.0], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("t.arr.bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_array("t.arr.str", ["a", "", "ü b"])
    w.add_array("t.arr.nested", [[1, 2], [3]])

    cases = []
    def add(name, data_or_bytes, qtype, shape):
        if qtype in (T.F32, T.F16):
            w.add_tensor(name, data_or_bytes)
        else:
            w.add_tensor(name, data_or_bytes, raw_shape=data_or_bytes.shape, raw_dtype=qtype)
        cases.append(name)

    add("f32", rng.standard_normal((3, 40)).astype(np.float32), T.F32, None)
    f16 = (rng.standard_normal((2, 3, 8)) * 10).astype(np.float16)
    f16.reshape(-1)[:6] = np.array([0.0, -0.0, 6e-8, -3e-5, np.inf, np.nan], dtype=np.float16)  # quiet NaN 0x7E00
    add("f16", f16, T.F16, None)
    x = rng.standard_normal((2, 64)).astype(np.float32)
    add("bf16", quantize(x, T.BF16), T.BF16, None)
    for q in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        x = (rng.standard_normal((4, 64)) * rng.uniform(0.01, 3)).astype(np.float32)
        add(f"quantized.{q.name}", quantize(x, q), q, None)
    for q in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        add(f"random.{q.name}", random_blocks(q, 3, 64), q, None)
    for q in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        add(f"random.{q.name}", random_blocks(q, 2, 256), q, None)
    add("random3d.Q4_K", random_blocks(T.Q4_K, 6, 256).reshape(2, 3, 144), T.Q4_K, None)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

    r = gguf.GGUFReader(path)
    meta = {k: py_value(f) for k, f in r.fields.items() if not k.startswith("GGUF.")}
    expected, tensors, off = [], {}, 0
    for t in r.tensors:
        y = np.ascontiguousarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(-1)
        tensors[t.name] = {"type": t.tensor_type.name, "dims": [int(d) for d in t.shape], "offset": off, "count": int(y.size)}
        expected.append(y); off += y.size * 4
    np.concatenate(expected).astype("<f4").tofile(os.path.join(OUT, "types.f32"))
    with open(os.path.join(OUT, "types.json"), "w") as f:
        json.dump({"version": 3, "alignment": 64, "metadata": meta, "tensors": tensors}, f, indent=1, sort_keys=True)


HF = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
      "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
      "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}


def hf_name(n):
    fixed = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    if n in fixed:
        return fixed[n]
    p = n.split(".")
    return f"model.layers.{p[1]}.{HF[p[2]]}.weight"


def transformers_view(path):
    """transformers' config and tokenizer dictionaries, and its HF-layout f32 tensors (name -> array)."""
    tg.is_torch_available = lambda: True        # the metadata path needs no torch
    parsed = tg.load_gguf_checkpoint(path, return_tensors=False)
    proc = tg.LlamaTensorProcessor(config=parsed["config"])
    r = gguf.GGUFReader(path)
    tensors = {}
    for t in r.tensors:
        y = dequantize(t.data, t.tensor_type)
        y = proc.process(weights=y, name=t.name).weights
        tensors[t.name] = np.ascontiguousarray(y, dtype=np.float32)
    return parsed, tensors


def write_tiny_llama():
    path = os.path.join(OUT, "tiny-llama.gguf")
    C, H, KV, D, F, V_, L = 32, 4, 2, 8, 64, 48, 2
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_name("tiny llama"); w.add_context_length(128); w.add_embedding_length(C); w.add_block_count(L)
    w.add_feed_forward_length(F); w.add_head_count(H); w.add_head_count_kv(KV); w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-5); w.add_rope_dimension_count(D); w.add_vocab_size(V_)
    toks = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(V_ - 6)] + ["Ġé", "ü", "日本"]
    w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("smollm"); w.add_token_list(toks)
    w.add_token_types([3, 3, 3] + [1] * (V_ - 3)); w.add_token_scores([float(-i) / 4 for i in range(V_)])
    w.add_token_merges(["t 1", "Ġ é", "t1 0"]); w.add_bos_token_id(1); w.add_eos_token_id(2)
    w.add_unk_token_id(0); w.add_pad_token_id(2); w.add_add_bos_token(True); w.add_add_eos_token(False)
    w.add_chat_template("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}")

    def normal(*shape, s=0.3):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    def put(name, x, q):
        if q == T.F32:
            w.add_tensor(name, x)
        elif q == T.F16:
            w.add_tensor(name, x.astype(np.float16))
        else:
            b = quantize(x, q)
            w.add_tensor(name, b, raw_shape=b.shape, raw_dtype=q)

    put("token_embd.weight", normal(V_, C), T.Q8_0)
    for i in range(L):
        p = f"blk.{i}."
        put(p + "attn_norm.weight", 1 + normal(C, s=0.1), T.F32)
        put(p + "attn_q.weight", normal(H * D, C), [T.Q4_0, T.Q5_1][i])
        put(p + "attn_k.weight", normal(KV * D, C), [T.Q4_1, T.F16][i])
        put(p + "attn_v.weight", normal(KV * D, C), T.Q5_0)
        put(p + "attn_output.weight", normal(C, H * D), T.F16)
        put(p + "ffn_norm.weight", 1 + normal(C, s=0.1), T.F32)
        put(p + "ffn_gate.weight", normal(F, C), T.BF16)
        put(p + "ffn_up.weight", normal(F, C), T.Q8_0)
        put(p + "ffn_down.weight", normal(C, F), T.Q4_1)
    put("output_norm.weight", 1 + normal(C, s=0.1), T.F32)
    put("output.weight", normal(V_, C), T.Q5_1)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

    parsed, tensors = transformers_view(path)
    out, expected, off = {}, [], 0
    for n, y in tensors.items():
        out[hf_name(n)] = {"gguf": n, "shape": list(y.shape), "offset": off, "count": int(y.size)}
        expected.append(y.reshape(-1)); off += y.size * 4
    np.concatenate(expected).astype("<f4").tofile(os.path.join(OUT, "tiny-llama.f32"))
    with open(os.path.join(OUT, "tiny-llama.json"), "w") as f:
        json.dump({"config": parsed["config"], "tokenizer": parsed["tokenizer"],
                   "tokenizer_config": parsed["tokenizer_config"], "tensors": out}, f, indent=1, sort_keys=True)


def write_smollm2(path):
    parsed, tensors = transformers_view(path)
    r = gguf.GGUFReader(path)
    types = {t.name: t.tensor_type.name for t in r.tensors}
    out = {}
    for n, y in tensors.items():
        flat = y.reshape(-1)
        idx = sorted({0, 1, flat.size // 3, flat.size // 2 + 7, flat.size - 1})
        out[hf_name(n)] = {"gguf": n, "type": types[n], "shape": list(y.shape), "hash": str(f32_bits_hash(flat)),
                           "sum": float(np.sum(flat, dtype=np.float64)), "at": {str(i): float(flat[i]) for i in idx}}
    tok = parsed["tokenizer"]
    summary = {k: v for k, v in tok.items() if not isinstance(v, list)}
    for k in ("tokens", "merges", "token_type"):
        summary[k] = {"count": len(tok[k]), "first": tok[k][:3], "last": tok[k][-3:]}
    with open(os.path.join(OUT, "smollm2.json"), "w") as f:
        json.dump({"config": parsed["config"], "tokenizer": summary, "tokenizer_config": parsed["tokenizer_config"],
                   "tensor_count": len(r.tensors), "tensors": out}, f, indent=1, sort_keys=True)


write_types()
write_tiny_llama()
if os.environ.get("ST_SMOLLM2_GGUF"):
    write_smollm2(os.environ["ST_SMOLLM2_GGUF"])
print("wrote", OUT)
