#!/usr/bin/env bash
# st-train at real-model size: a full fine-tune, f32, of SmolLM2-135M-Instruct (from its GGUF, `make models`) at
# batch 8 x 256 tokens, beside PyTorch/transformers eager (sdpa, torch.optim.AdamW) on the same model and data
# in the same run (bench/train_ref.py, when TORCH_PYTHON can import torch and transformers). Both run
# BENCH_TRAIN_REAL_STEPS timed steps (default 3) after one warm-up step, on BENCH_THREADS threads (default: all
# cores). Reports tokens/s (wall and per CPU second: on a shared machine the second compares better), peak
# RSS, and the share of the GEMM ceiling (6 x params x tokens per step over the step time, against
# tensor-bench's sgemm GFLOP/s). Prints a Markdown section for BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
py=${TORCH_PYTHON:-python3}
gguf=${ST_SMOLLM2_GGUF:-$root/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
threads=${BENCH_THREADS:-$(nproc)}
steps=${BENCH_TRAIN_REAL_STEPS:-3}
B=8 T=256 lr=1e-5
[ -f "$gguf" ] || { echo "bench/train-real.sh: $gguf missing: run 'make models'" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1" | head -1; }

# 400 GSM8K test questions with their solutions, as documents (about 60k tokens: enough for 1 + steps batches)
data=$root/../shared/data/gsm8k/test.jsonl
[ -f "$data" ] || data=${BENCH_GSM8K:?set BENCH_GSM8K to GSM8K test.jsonl}
head -400 "$data" | jq -c '{text: (.question + "\n" + .answer)}' > "$out/docs.jsonl"

# st-train: 1 + steps steps; the first is the warm-up (first touch of every buffer), as for the reference
/usr/bin/time -v "$bin/st-train" "$out/docs.jsonl" --init "$gguf" --batch $B --context $T --steps $((steps + 1)) \
  --lr $lr --threads "$threads" --seed 1 -q -o "$out/model" 2> "$out/time.txt"
st_rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$out/time.txt")
# steady-state rate: B x T positions a step (what is computed, padding included, as the reference's full rows)
# over the summed seconds of steps 2.. (each step's tokens / its tokens_per_s)
st_tps=$(tail -n +2 "$out/model/metrics.jsonl" | jq -s --argjson bt $((B * T)) 'map(.tokens / .tokens_per_s) | length * $bt / add')
info=$(cat "$out/model/st-train.json")
st_cpu=$(field "$info" train_loop_cpu)
st_tpc=$(awk -v c="$st_cpu" -v n=$((steps + 1)) -v t=$((B * T)) 'BEGIN { printf "%.1f", t * n / c }')

# the GEMM ceiling: tensor-bench's sgemm rate on all threads
ceiling=$("$bin/tensor-bench" --threads "$threads" sgemm 2>/dev/null | sed -n 's/.*"gflops": *\([0-9.]*\).*/\1/p' | sort -n | tail -1)
params=$(jq '(.head_dim // (.hidden_size / .num_attention_heads)) as $d | .hidden_size as $c
  | .num_hidden_layers * ($c * .num_attention_heads * $d * 2 + 2 * $c * .num_key_value_heads * $d
      + 3 * $c * .intermediate_size + 2 * $c) + .vocab_size * $c * (if .tie_word_embeddings then 1 else 2 end) + $c' \
  "$out/model/config.json")

ref=""
if "$py" -c 'import torch, transformers' 2>/dev/null; then
  ref=$(/usr/bin/time -v "$py" "$root/bench/train_ref.py" "$gguf" "$out/docs.jsonl" $B $T "$steps" "$threads" $lr \
    2> "$out/ref-time.txt" | tail -1)
  ref_rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$out/ref-time.txt")
fi

echo "## st-train at real-model size (SmolLM2-135M-Instruct, full fine-tune, f32)"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $threads threads; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- model: $(basename "$gguf") (dequantized to f32 by each side), $params parameters; batch $B x $T tokens, AdamW lr $lr, betas 0.9/0.95, weight decay 0.1, clip 1"
echo "- data: 400 GSM8K test questions + solutions as documents; st-train packs them (attention within each document),"
echo "  the reference concatenates them with eos and cuts rows (causal attention over the row): the same shapes"
echo "- tokens/s: $B x $T positions a step over $steps timed steps after one warm-up step; per CPU second: all threads'"
echo "  CPU time over every step, warm-up included (compares better on a busy machine); peak RSS of the whole"
echo "  process (/usr/bin/time -v), and the reference's over its steps alone"
echo "- GEMM ceiling: tensor-bench sgemm, $ceiling GFLOP/s on $threads threads; share = 6 x params x tokens/s / ceiling"
echo
echo "| | tokens/s | tokens per CPU s | share of GEMM ceiling | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
share() { awk -v p="$params" -v r="$1" -v c="$ceiling" 'BEGIN { if (c > 0) printf "%.0f%%", 100 * 6 * p * r / (c * 1e9); else printf "?" }'; }
printf '| st-train | %.1f | %s | %s | %s |\n' "$st_tps" "$st_tpc" "$(share "$st_tps")" "$st_rss"
if [ -n "$ref" ]; then
  r_tps=$(field "$ref" tokens_per_s); r_tpc=$(field "$ref" tokens_per_cpu_s); r_step=$(field "$ref" step_peak_rss_mb)
  printf '| PyTorch eager (sdpa) | %.1f | %.1f | %s | %s (steps: %.0f) |\n' "$r_tps" "$r_tpc" "$(share "$r_tps")" "$ref_rss" "$r_step"
  awk -v a="$st_tps" -v b="$r_tps" -v c="$st_tpc" -v d="$r_tpc" -v m="$st_rss" -v n="$ref_rss" \
    'BEGIN { printf "| st-train / PyTorch | %.2f× | %.2f× | | %.2f× |\n", a / b, c / d, m / n }'
  echo
  echo "- reference: $ref"
else
  echo "| PyTorch eager (sdpa) | (not importable) | | | |"
fi
echo
echo "Command: \`bash bench/train-real.sh\` (part of \`make bench\`; \`make bench-train-real\` alone; needs \`make models\`)."
