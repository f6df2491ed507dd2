#!/usr/bin/env python3
"""The `tokenizers` library's encode throughput on one thread, same texts and passes as tokenizer-bench.
usage: RAYON_NUM_THREADS=1 tokenizer_ref.py <tokenizer dir> <passes> <jsonl>:<field,...> ...
Measures a loop of Tokenizer.encode (one call per text, as st encodes) and, for reference, encode_batch."""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
from tokenizers import Tokenizer  # noqa: E402

tok = Tokenizer.from_file(os.path.join(sys.argv[1], "tokenizer.json"))
passes = int(sys.argv[2])
texts = []
for spec in sys.argv[3:]:
    path, fields = spec.split(":", 1)
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            texts += [r[k] for k in fields.split(",") if isinstance(r.get(k), str) and r[k]]
nbytes = sum(len(t.encode()) for t in texts)
tokens = sum(len(tok.encode(t, add_special_tokens=False).ids) for t in texts)  # warm-up


def timed(fn):
    ts = []
    for _ in range(passes):
        s = time.perf_counter()
        n = fn()
        ts.append(time.perf_counter() - s)
        assert n == tokens
    return statistics.median(ts)


t = timed(lambda: sum(len(tok.encode(x, add_special_tokens=False).ids) for x in texts))
b = timed(lambda: sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)))
mb = nbytes / 1e6
print(f"library {len(texts)} texts {mb:.2f} MB {tokens} tokens: {t:.3f} s  {mb / t:.1f} MB/s  {tokens / 1e6 / t:.2f} M tokens/s (encode loop)")
print(f"library encode_batch, RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}: {b:.3f} s  {mb / b:.1f} MB/s")
