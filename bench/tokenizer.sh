#!/usr/bin/env bash
# Tokenizer encode throughput, one thread: st's HFTokenizer beside the `tokenizers` library (a loop of
# encode, RAYON_NUM_THREADS=1; encode_batch printed too) over GSM8K (train + test: question, answer) and
# HumanEval (prompt, canonical_solution, test) with the real SmolLM2-135M tokenizer, in the same run.
# Goal (tokenizers issue): >= 2x the library. The tokenizer is built from the GGUF by
# scripts/reference/smollm2_tokenizer.py into .cache/tokenizers/smollm2 (ST_SMOLLM2_TOKENIZER overrides).
# BENCH_PASSES=N timed passes after one warm-up (median reported).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${ST_SMOLLM2_TOKENIZER:-$root/.cache/tokenizers/smollm2}
passes=${BENCH_PASSES:-5}
data=$root/../shared/data
if [ ! -f "$dir/tokenizer.json" ]; then
  python3 "$root/scripts/reference/smollm2_tokenizer.py" >&2
fi
(cd "$root" && swift build -c release --product tokenizer-bench >&2)
inputs=("$data/gsm8k/train.jsonl:question,answer" "$data/gsm8k/test.jsonl:question,answer"
        "$data/humaneval/HumanEval.jsonl:prompt,canonical_solution,test")
echo "## tokenizer encode throughput (SmolLM2-135M, one thread)"
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
"$root/.build/release/tokenizer-bench" "$dir" "$passes" "${inputs[@]}"
RAYON_NUM_THREADS=1 python3 "$root/bench/tokenizer_ref.py" "$dir" "$passes" "${inputs[@]}"
