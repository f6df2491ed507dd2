"""PyTorch reference for bench/sample.sh. Prints one JSON line.

  sample_ref.py MODEL_DIR PROMPTS NEW THREADS        config M: a straightforward key-value-cache sampling loop
      (transformers' LlamaForCausalLM with past_key_values, one forward per new token, temperature sampling
      with torch.multinomial) on st's byte-tokenized prompts.
  sample_ref.py --gguf FILE PROMPTS NEW THREADS      a real model: transformers' GGUF loader (gguf_file=, f32),
      its tokenizer, and model.generate (temperature 1, no top-k/top-p, exactly NEW new tokens) on the same
      prompt texts; also the prompt-processing (prefill) rate of one forward over the batch of prompts.
"""
import json, sys, time
import torch

gguf = sys.argv[1] == "--gguf"
args = sys.argv[2:] if gguf else sys.argv[1:]
model_path, prompts_path, new_tokens, threads = args[0], args[1], int(args[2]), int(args[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
texts = [json.loads(l)["prompt"] for l in open(prompts_path)]
t_load = time.perf_counter()
if gguf:
    import os
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d, f = os.path.dirname(os.path.abspath(model_path)), os.path.basename(model_path)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    prompts = [tok(t, add_special_tokens=True)["input_ids"] for t in texts]
else:
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    prompts = [[256] + list(t.encode()) for t in texts]
load_s = time.perf_counter() - t_load
assert len({len(p) for p in prompts}) == 1, "equal-length prompts keep the reference simple"


def loop(batch):
    ids = torch.tensor(batch)
    with torch.inference_mode():
        out = model(input_ids=ids, use_cache=True)
        past, logits = out.past_key_values, out.logits[:, -1]
        for _ in range(new_tokens):
            nxt = torch.multinomial(torch.softmax(logits, -1), 1)
            out = model(input_ids=nxt, past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[:, -1]


def generate(batch):
    ids = torch.tensor(batch)
    with torch.inference_mode():
        model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0,
                       top_k=0, top_p=1.0, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                       pad_token_id=model.config.eos_token_id)


run = generate if gguf else loop
run(prompts[:2])  # warm-up
t = time.perf_counter(); run(prompts); batch_s = time.perf_counter() - t
t = time.perf_counter(); run(prompts[:1]); single_s = time.perf_counter() - t
result = {"torch": torch.__version__, "batch": len(prompts), "prompt_tokens": len(prompts[0]),
          "new_tokens": new_tokens, "load_s": load_s,
          "batch_tokens_per_s": len(prompts) * new_tokens / batch_s,
          "single_ms_per_token": 1000 * single_s / new_tokens}
if gguf:
    import transformers
    with torch.inference_mode():
        t = time.perf_counter(); model(input_ids=torch.tensor(prompts)); pp_s = time.perf_counter() - t
    result["transformers"] = transformers.__version__
    result["prefill_tokens_per_s"] = len(prompts) * len(prompts[0]) / pp_s
print(json.dumps(result))
