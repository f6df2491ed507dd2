#!/usr/bin/env python3
"""Loads a model directory written by st (config.json + model.safetensors) in Hugging Face transformers and
checks that transformers' logits and loss match the ones st computed (st_logits.safetensors in the directory,
written by ModelTests' testExportForTransformers with ST_EXPORT_DIR set).

  python3 scripts/reference/check_st_export.py DIR
"""
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

d = sys.argv[1]
model = AutoModelForCausalLM.from_pretrained(d, attn_implementation="eager", dtype=torch.float32)
st = load_file(d + "/st_logits.safetensors")
ids = st["input_ids"].long()
with torch.no_grad():
    out = model(input_ids=ids, labels=ids)
err = (out.logits - st["logits"]).abs().max().item() / st["logits"].abs().max().item()
lerr = abs(out.loss.item() - st["loss"].item()) / out.loss.item()
print(f"transformers loads st's directory: logits rel err {err:.2e}, loss {out.loss.item():.6f} vs st {st['loss'].item():.6f}")
if err > 1e-4 or lerr > 1e-4:
    sys.exit("mismatch")
