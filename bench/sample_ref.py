"""PyTorch reference for bench/sample.sh: a straightforward key-value-cache sampling loop (transformers'
LlamaForCausalLM with past_key_values, one forward per new token, temperature sampling with
torch.multinomial), on the same model directory and the same prompts as st-sample. Prints one JSON line."""
import json, sys, time
import torch
from transformers import LlamaForCausalLM

model_dir, prompts_path, new_tokens, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
prompts = [[256] + list(json.loads(l)["prompt"].encode()) for l in open(prompts_path)]
assert len({len(p) for p in prompts}) == 1, "equal-length prompts keep the reference simple"


def generate(batch):
    ids = torch.tensor(batch)
    with torch.inference_mode():
        out = model(input_ids=ids, use_cache=True)
        past, logits = out.past_key_values, out.logits[:, -1]
        for _ in range(new_tokens):
            nxt = torch.multinomial(torch.softmax(logits, -1), 1)
            out = model(input_ids=nxt, past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[:, -1]


generate(prompts[:2])  # warm-up
t = time.perf_counter(); generate(prompts); batch_s = time.perf_counter() - t
t = time.perf_counter(); generate(prompts[:1]); single_s = time.perf_counter() - t
print(json.dumps({"torch": torch.__version__, "batch": len(prompts), "new_tokens": new_tokens,
                  "batch_tokens_per_s": len(prompts) * new_tokens / batch_s,
                  "single_ms_per_token": 1000 * single_s / new_tokens}))
