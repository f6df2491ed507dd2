#!/usr/bin/env python3
"""Loads a model directory written by st in Hugging Face transformers and checks that transformers computes
what st computed.

  python3 scripts/reference/check_st_export.py DIR
      DIR = config.json + model.safetensors + st_logits.safetensors (written by ModelTests'
      testExportForTransformers with ST_EXPORT_DIR set): transformers' logits and loss on st's input ids.

  python3 scripts/reference/check_st_export.py --loss DIR PAIRS.jsonl LOSS.json
      DIR = a model st-train wrote (e.g. fine-tuned from the SmolLM2 GGUF), loaded with AutoModelForCausalLM
      and AutoTokenizer alone (its config.json, tokenizer.json, tokenizer_config.json with the chat template);
      PAIRS.jsonl = {"prompt", "completion"} records; LOSS.json = `st-eval --loss PAIRS.jsonl --model DIR
      --chat -o LOSS.json`. The mean loss of the assistant turns (st's rule for a pair through the chat
      template: the tokens the rendered conversation adds after the rendered prompt with the generation prompt,
      the assistant's end-of-turn included) must agree to 1e-4 relative, over the same number of tokens.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def check_logits(d):
    from safetensors.torch import load_file
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


def check_loss(d, pairs, loss_json):
    tok = AutoTokenizer.from_pretrained(d)
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    nll, n = 0.0, 0
    for line in open(pairs):
        r = json.loads(line)
        user = [{"role": "user", "content": r["prompt"]}]
        p = tok.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template(user + [{"role": "assistant", "content": r["completion"]}], tokenize=False)
        assert full.startswith(p), "the rendered conversation does not start with the rendered prompt"
        pi = tok(p, add_special_tokens=False)["input_ids"]
        ci = tok(full[len(p):], add_special_tokens=False)["input_ids"]
        if tok.bos_token_id is not None and getattr(tok, "add_bos_token", False):
            pi = [tok.bos_token_id] + pi
        x = torch.tensor([pi + ci])
        with torch.no_grad():
            logits = model(x).logits[0, len(pi) - 1:-1].double()
        nll += torch.nn.functional.cross_entropy(logits, torch.tensor(ci), reduction="sum").item()
        n += len(ci)
    st = json.load(open(loss_json))
    ours = nll / n
    print(f"transformers loads {d} (AutoModelForCausalLM, AutoTokenizer): loss {ours:.6f} over {n} tokens, "
          f"st-eval {st['loss']:.6f} over {st['tokens']}")
    if st["tokens"] != n or abs(ours - st["loss"]) > 1e-4 * ours:
        sys.exit("mismatch")


if sys.argv[1] == "--loss":
    check_loss(*sys.argv[2:5])
else:
    check_logits(sys.argv[1])
