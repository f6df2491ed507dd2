#!/usr/bin/env bash
# st-sample speed: config M of the tensor library (hidden 384, 6 layers, 6 heads, intermediate
# 1024, byte vocabulary), 32 sequences x 128 new tokens after 64-token prompts, beside a straightforward
# PyTorch key-value-cache loop on the same model directory in the same run (bench/sample_ref.py, when
# TORCH_PYTHON can import torch and transformers). Also single-sequence latency. Prints Markdown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
py=${TORCH_PYTHON:-python3}
out=$root/bench/out/sample
mkdir -p "$out"
threads=$(nproc)
new=128
if [ ! -d "$out/model-M" ]; then
  echo '{"text":"warm-up"}' > "$out/one.jsonl"
  "$bin/st-train" "$out/one.jsonl" --hidden 384 --layers 6 --heads 6 --intermediate 1024 --context 256 \
    --max-positions 256 --untied --steps 1 --seed 1 -q -o "$out/model-M"
fi
# 32 prompts of 63 bytes (+ <bos> = 64 tokens)
for i in $(seq 0 31); do printf '{"id":"b%02d","prompt":"%s"}\n' "$i" "$(printf 'Question %02d: what is the sum of the numbers from one up to ten?' "$i" | head -c 63)"; done > "$out/prompts.jsonl"
head -1 "$out/prompts.jsonl" > "$out/prompt1.jsonl"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timeit() {  # seconds of one run of "$@"
  local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}
# each batch run gives its whole-process time and, with -v, its generation rate (prefill + decode, the span
# the reference times: no process start, model load or output)
batch_runs=$(for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$bin/st-sample" "$out/prompts.jsonl" --model "$out/model-M" --method raw -n 1 --batch 32 --max-tokens $new \
    --ignore-eos --temperature 1 --seed 1 -v -o "$out/s.jsonl" 2> "$out/v.txt"
  e=$(date +%s.%N)
  echo "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }') $(sed -n 's/.*generated [0-9]* tokens at \([0-9]*\) tokens\/s.*/\1/p' "$out/v.txt")"
done)
batch_s=$(awk '{ print $1 }' <<< "$batch_runs" | median)
gen_rate=$(awk '{ print $2 }' <<< "$batch_runs" | median)
toks=$(jq -s 'map(.completion_tokens) | add' "$out/s.jsonl")
single_s=$(for _ in 1 2 3; do timeit "$bin/st-sample" "$out/prompt1.jsonl" --model "$out/model-M" --method raw -n 1 \
  --batch 1 --max-tokens $new --ignore-eos --temperature 1 --seed 1 -o "$out/s1.jsonl"; done | median)

echo "## st-sample decoding speed"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $threads cores; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- model: config M (hidden 384, 6 layers, 6 heads, intermediate 1024, vocab 272, untied), random weights; 64-token prompts, $new new tokens, temperature 1"
echo "- st-sample: medians of 3 runs, as whole-process time (start, model loading and output included) and as the"
echo "  generation time it reports with -v (prefill + decode: the span the reference times)"
echo
echo "| | st-sample | PyTorch KV-cache loop | ratio |"
echo "|---|---:|---:|---:|"
ref=""
if "$py" -c 'import torch, transformers' 2>/dev/null; then
  ref=$("$py" "$root/bench/sample_ref.py" "$out/model-M" "$out/prompts.jsonl" $new "$threads" 2>/dev/null | tail -1)
fi
awk -v t="$toks" -v b="$batch_s" -v g="$gen_rate" -v s="$single_s" -v n=$new -v ref="$ref" 'BEGIN {
  st_b = t / b; st_s = 1000 * s / n
  if (ref != "") {
    match(ref, /"batch_tokens_per_s": [0-9.e+-]+/); rb = substr(ref, RSTART + 22, RLENGTH - 22) + 0
    match(ref, /"single_ms_per_token": [0-9.e+-]+/); rs = substr(ref, RSTART + 23, RLENGTH - 23) + 0
    printf "| 32 sequences: tokens/s, whole process | %.0f | %.0f | %.2f× |\n", st_b, rb, st_b / rb
    printf "| 32 sequences: tokens/s, generation | %.0f | %.0f | %.2f× |\n", g, rb, g / rb
    printf "| 1 sequence: ms per token | %.2f | %.2f | %.2f× faster |\n", st_s, rs, rs / st_s
  } else {
    printf "| 32 sequences: tokens/s, whole process | %.0f | (PyTorch not importable) | |\n", st_b
    printf "| 32 sequences: tokens/s, generation | %.0f | | |\n", g
    printf "| 1 sequence: ms per token | %.2f | | |\n", st_s
  }
}'
[ -n "$ref" ] && echo && echo "- reference: $ref"
exit 0
