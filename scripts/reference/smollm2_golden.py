#!/usr/bin/env python3
"""Greedy continuations and losses of SmolLM2-135M-Instruct loaded from its GGUF by transformers' own GGUF
loader, for the parity test of st against transformers (Tests/e2e/real-model.test.sh).

  python3 scripts/reference/smollm2_golden.py MODEL.gguf GSM8K_TEST.jsonl OUT.json [N_QUESTIONS] [N_TOKENS]

For each of the first N GSM8K test questions: the question as the user message through the model's chat
template with the generation prompt (apply_chat_template), greedy decoding of N_TOKENS new tokens (stopping at
eos), and the token ids. For the first 50 (question, answer) pairs: the summed loss of the assistant turn's tokens after
the chat-rendered question (what st-eval --loss --chat scores). Needs torch,
transformers and gguf (pip); the committed golden file is what the test reads, so the suite never needs them.
"""
import json, os, sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
n_questions = int(sys.argv[4]) if len(sys.argv) > 4 else 20
n_tokens = int(sys.argv[5]) if len(sys.argv) > 5 else 32
torch.manual_seed(0)
d, f = os.path.dirname(os.path.abspath(gguf)), os.path.basename(gguf)
tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32).eval()
rows = [json.loads(l) for l in open(data)]

greedy = []
for r in rows[:n_questions]:
    ids = tok.apply_chat_template([{"role": "user", "content": r["question"]}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)["input_ids"]
    with torch.no_grad():
        g = model.generate(ids, max_new_tokens=n_tokens, do_sample=False, eos_token_id=tok.eos_token_id,
                           pad_token_id=tok.eos_token_id)
    greedy.append({"question": r["question"], "prompt_ids": ids[0].tolist(), "completion_ids": g[0, ids.shape[1]:].tolist()})

losses = []
for r in rows[:50]:
    # st's rule for a pair through the chat template (st-eval --loss --chat, st-train --chat): the assistant
    # turn's tokens are what the rendered conversation adds after the rendered prompt with the generation prompt
    p = tok.apply_chat_template([{"role": "user", "content": r["question"]}], add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template([{"role": "user", "content": r["question"]}, {"role": "assistant", "content": r["answer"]}],
                                   tokenize=False)
    assert full.startswith(p)
    pi = tok(p, add_special_tokens=False)["input_ids"]
    ci = tok(full[len(p):], add_special_tokens=False)["input_ids"]
    x = torch.tensor([pi + ci])
    with torch.no_grad():
        logits = model(x).logits[0, len(pi) - 1:-1]
    nll = torch.nn.functional.cross_entropy(logits, torch.tensor(ci), reduction="sum").item()
    losses.append({"nll": nll, "tokens": len(ci)})

json.dump({"model": f, "n_tokens": n_tokens, "greedy": greedy, "losses": losses}, open(out, "w"), indent=0)
print(f"{out}: {len(greedy)} greedy continuations, {len(losses)} losses")
