"""PyTorch reference for bench/train-real.sh: a full fine-tune step of SmolLM2-135M-Instruct in f32, the way
a transformers user writes it (eager, sdpa attention, torch.optim.AdamW, clip_grad_norm_), on CPU.

The model comes from the same GGUF file st-train reads (transformers dequantizes it). The data: the documents
of a JSON Lines file ({"text": ...}), each tokenized by the GGUF's tokenizer and followed by its eos,
concatenated and cut into rows of context + 1 tokens (inputs and next-token targets), batch rows per step: the
same shape (batch x context tokens, a loss on every position) as st-train's packed rows. One warm-up step,
then `steps` timed steps. Prints one JSON line: tokens/s (wall, over the timed steps; per CPU second of all
threads, over every step, the warm-up included, as bench/train-real.sh counts st-train's), peak RSS after loading
and over the steps
(VmHWM reset after loading).

usage: train_ref.py GGUF DOCS.jsonl BATCH CONTEXT STEPS THREADS LR"""
import json, os, re, resource, sys, time
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, docs, B, T, steps, threads, lr = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), float(sys.argv[7])
torch.set_num_threads(threads)
torch.manual_seed(0)
d, f = os.path.split(os.path.abspath(gguf))
tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32, attn_implementation="sdpa")
model.train()
load_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def hwm_mb():  # peak resident set (VmHWM) since the last reset
    return int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024


def reset_hwm():  # Linux: writing 5 to clear_refs resets VmHWM to the current RSS
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

ids = []
for line in open(docs):
    ids += tok(json.loads(line)["text"])["input_ids"] + [tok.eos_token_id]
need = (steps + 1) * B * (T + 1)
assert len(ids) >= need, f"{docs}: {len(ids)} tokens, {need} needed"
rows = torch.tensor(ids[:need]).view(steps + 1, B, T + 1)

# st-train's AdamW: weight decay on matrices only (not norms, not the embedding, which is tied to lm_head here)
decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                        lr=lr, betas=(0.9, 0.95), eps=1e-8)


def step(batch):
    opt.zero_grad(set_to_none=True)
    logits = model(input_ids=batch[:, :-1]).logits
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


reset_hwm()  # the steps' peak, not the loader's
c0 = time.process_time()
step(rows[0])  # warm-up: first-touch of the gradients and moments, allocator caches
t, c = time.perf_counter(), time.process_time()
losses = [step(rows[i]) for i in range(1, steps + 1)]
wall, cpu = time.perf_counter() - t, time.process_time() - c0
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"torch": torch.__version__, "params": params, "batch": B, "context": T, "steps": steps,
                  "seconds": wall, "tokens_per_s": steps * B * T / wall, "tokens_per_cpu_s": (steps + 1) * B * T / cpu,
                  "load_peak_rss_mb": load_rss / 1024,
                  "step_peak_rss_mb": hwm_mb(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "losses": losses}))
