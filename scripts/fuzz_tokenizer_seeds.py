#!/usr/bin/env python3
"""Writes Fuzz/corpus/tokenizer/<name>.json: each golden tokenizer.json cut down to its first 64 tokens, its
added tokens and its first 40 merges (with the tokens they use), renumbered from 0, so that a whole file fits
the fuzzer's -max_len and mutations reach every section. Needs only the standard library; with the
`tokenizers` package installed it also checks that each seed loads there."""
import json, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
golden = root / "Tests/TokenizersTests/Golden"
out = root / "Fuzz/corpus/tokenizer"

def parts(merge):
    return merge.split(" ", 1) if isinstance(merge, str) else merge

def renumber_ids(node, remap):
    # the post-processor's special tokens name ids ("ids": [...])
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "ids" and isinstance(v, list): node[k] = [remap.get(x, x) for x in v]
            else: renumber_ids(v, remap)
    elif isinstance(node, list):
        for v in node: renumber_ids(v, remap)

for name in ["gpt2", "llama2", "llama3", "mistral", "qwen2", "starcoder", "affixes"]:
    d = json.loads((golden / f"{name}.tokenizer.json").read_text())
    model = d["model"]
    added = {a["content"] for a in d.get("added_tokens", [])}
    keep = {t for t, i in model["vocab"].items() if i < 64 or t in added}
    merges = model["merges"][:40]
    for m in merges:
        a, b = parts(m)
        keep |= {a, b, a + b}
    keep = {t for t in keep if t in model["vocab"]}
    merges = [m for m in merges if all(p in keep for p in parts(m)) and "".join(parts(m)) in keep]
    order = sorted(keep, key=lambda t: model["vocab"][t])
    remap = {model["vocab"][t]: i for i, t in enumerate(order)}
    d["model"] = dict(model, vocab={t: i for i, t in enumerate(order)}, merges=merges)
    d["added_tokens"] = [dict(a, id=remap[a["id"]]) for a in d.get("added_tokens", []) if a["id"] in remap]
    if d.get("post_processor"): renumber_ids(d["post_processor"], remap)
    text = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    (out / f"{name}.json").write_text(text)
    try:
        from tokenizers import Tokenizer
        Tokenizer.from_str(text)
    except ImportError:
        pass
    print(f"{name}.json: {len(text.encode())} bytes, {len(order)} tokens, {len(merges)} merges")
