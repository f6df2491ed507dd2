#!/usr/bin/env bash
# st-sample speed: config M of the tensor library (hidden 384, 6 layers, 6 heads, intermediate
# 1024, byte vocabulary), 32 sequences x 128 new tokens after 64-token prompts, beside a straightforward
# PyTorch key-value-cache loop on the same model directory in the same run (bench/sample_ref.py, when
# TORCH_PYTHON can import torch and transformers). Also single-sequence latency. Then the same on the real
# model, SmolLM2-135M-Instruct (below; SMOLLM2_ONLY=1 runs only that part). Prints Markdown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
py=${TORCH_PYTHON:-python3}
out=$root/bench/out/sample
mkdir -p "$out"
threads=$(nproc)
new=${SAMPLE_NEW:-128}   # SAMPLE_NEW=N: a shorter run (checking the script)
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timeit() {  # seconds of one run of "$@"
  local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}
# SMOLLM2_ONLY=1 runs only the SmolLM2 rows
if [ "${SMOLLM2_ONLY:-0}" = 0 ]; then
if [ ! -d "$out/model-M" ]; then
  echo '{"text":"warm-up"}' > "$out/one.jsonl"
  "$bin/st-train" "$out/one.jsonl" --hidden 384 --layers 6 --heads 6 --intermediate 1024 --context 256 \
    --max-positions 256 --untied --steps 1 --seed 1 -q -o "$out/model-M"
fi
# 32 prompts of 63 bytes (+ <bos> = 64 tokens)
for i in $(seq 0 31); do printf '{"id":"b%02d","prompt":"%s"}\n' "$i" "$(printf 'Question %02d: what is the sum of the numbers from one up to ten?' "$i" | head -c 63)"; done > "$out/prompts.jsonl"
head -1 "$out/prompts.jsonl" > "$out/prompt1.jsonl"

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
fi

# --- SmolLM2-135M-Instruct (the real model, from its Q4_1 GGUF; make models puts it in .cache/models) -------
# The same shape at real size: 32 prompts of 64 tokens (SmolLM2's tokenizer, no <bos>), 128 new tokens, beside
# transformers' generate on the same GGUF (sample_ref.py --gguf, f32) and, when LLAMA_CPP_DIR names a llama.cpp
# build (a directory holding bin/llama-batched-bench, bin/llama-bench, bin/llama-quantize), llama.cpp on the
# same weights converted to F32 and BF16. How llama.cpp was built here: its source ships in the PyPI sdist of
# llama-cpp-python (pip download --no-binary :all: --no-deps llama-cpp-python; vendor/llama.cpp), then
#   cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#   nice -n 19 cmake --build build -j1 --target llama-batched-bench llama-bench llama-quantize
# and LLAMA_CPP_DIR=.../build; every llama.cpp run uses 2 threads (-t 2), like st here.
gguf=${ST_SMOLLM2_GGUF:-$root/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
[ -f "$gguf" ] || { echo; echo "(SmolLM2 rows skipped: no $gguf; make models fetches it)"; exit 0; }
for i in $(seq 0 31); do printf '{"id":"q%02d","prompt":"Question %02d: A farmer has 17 sheep, 23 cows and 12 horses on his farm. He sells a third of the cows, buys twice as many goats as horses, and gives away 5 sheep. How many animals does the farmer have now? Show your reasoning step by step"}\n' "$i" "$i"; done > "$out/smol-prompts.jsonl"
head -1 "$out/smol-prompts.jsonl" > "$out/smol-prompt1.jsonl"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
smol() {  # st-sample on the GGUF; prints "wall_s generation_tok/s prefill_tokens prefill_s decode_ms_per_step"
  local s e; s=$(date +%s.%N)
  "$bin/st-sample" "$@" --model "$gguf" --method raw -n 1 --max-tokens $new --ignore-eos --temperature 1 --seed 1 -v \
    -o "$out/smol.jsonl" 2> "$out/smol-v.txt"
  e=$(date +%s.%N)
  echo "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" \
    "$(sed -n 's/.*generated [0-9]* tokens at \([0-9]*\) tokens\/s.*/\1/p' "$out/smol-v.txt")" \
    "$(sed -n 's/.*prefill: \([0-9]*\) prompt tokens in \([0-9.]*\) s; decode: [0-9]* steps in [0-9.]* s (\([0-9.]*\) ms per step).*/\1 \2 \3/p' "$out/smol-v.txt")"
}
smol_batch=$(for _ in 1 2 3; do smol "$out/smol-prompts.jsonl" --batch 32; done)
ptoks=$(jq -s 'map(.prompt_tokens) | unique | map(tostring) | join(",")' -r "$out/smol.jsonl")
smol_single=$(for _ in 1 2 3; do smol "$out/smol-prompt1.jsonl" --batch 1; done)
load=$( { for _ in 1 2 3; do timeit "$bin/st-sample" "$out/smol-prompt1.jsonl" --model "$gguf" --method raw --max-tokens 1 \
  -o "$out/smol-load.jsonl"; done; } | median)
st_b=$(awk -v n=$new '{ print 32 * n / $1 }' <<< "$smol_batch" | median)
st_g=$(awk '{ print $2 }' <<< "$smol_batch" | median)
st_pp=$(awk '{ print $3 / $4 }' <<< "$smol_batch" | median)
st_1=$(awk '{ print $5 }' <<< "$smol_single" | median)
echo
echo "## st-sample on SmolLM2-135M-Instruct"
echo
echo "- model: $(basename "$gguf") (st dequantizes to f32 on load); prompts of $ptoks tokens, 32 sequences x $new new"
echo "  tokens, temperature 1, --ignore-eos; st-sample medians of 3 runs; load average at start: $load0"
echo
echo "| | st-sample | transformers generate (f32) | llama.cpp F32 | llama.cpp BF16 |"
echo "|---|---:|---:|---:|---:|"
ref2=""
if "$py" -c 'import torch, transformers, gguf' 2>/dev/null; then
  ref2=$("$py" "$root/bench/sample_ref.py" --gguf "$gguf" "$out/smol-prompts.jsonl" $new "$threads" 2>/dev/null | tail -1)
fi
field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" <<< "$2"; }
declare -A lc_b lc_1 lc_pp
if [ -n "${LLAMA_CPP_DIR:-}" ]; then
  for ty in F32 BF16; do
    m="$out/smollm2-$ty.gguf"
    [ -f "$m" ] || "$LLAMA_CPP_DIR/bin/llama-quantize" --allow-requantize "$gguf" "$m" $ty > /dev/null 2>&1
    # batched-bench: -npp prompt tokens, -ntg new tokens, -npl parallel sequences; S_TG t/s is the decode rate
    bb=$("$LLAMA_CPP_DIR/bin/llama-batched-bench" -m "$m" -c 8192 -b 2048 -ub 512 -npp 64 -ntg $new -npl 1,32 -t 2 2>/dev/null | grep '^|' | tail -2)
    lc_1[$ty]=$(awk -F'|' 'NR == 1 { gsub(/ /, "", $9); print 1000 / $9 }' <<< "$bb")
    lc_b[$ty]=$(awk -F'|' 'NR == 2 { gsub(/ /, "", $9); print $9 }' <<< "$bb")
    lc_pp[$ty]=$("$LLAMA_CPP_DIR/bin/llama-bench" -m "$m" -p 64 -n 0 -t 2 -o csv 2>/dev/null | tail -1 | awk -F, '{ gsub(/"/, "", $(NF-1)); print $(NF-1) }')
  done
fi
awk -v sb="$st_b" -v sg="$st_g" -v s1="$st_1" -v pp="$st_pp" -v load="$load" \
    -v rb="$(field batch_tokens_per_s "$ref2")" -v r1="$(field single_ms_per_token "$ref2")" -v rpp="$(field prefill_tokens_per_s "$ref2")" \
    -v rl="$(field load_s "$ref2")" -v fb="${lc_b[F32]:-}" -v f1="${lc_1[F32]:-}" -v fpp="${lc_pp[F32]:-}" \
    -v bb="${lc_b[BF16]:-}" -v b1="${lc_1[BF16]:-}" -v bpp="${lc_pp[BF16]:-}" 'function f(x, fmt) { return x == "" ? "—" : sprintf(fmt, x) }
BEGIN {
  printf "| 32 sequences: tokens/s, whole process | %.0f | | | |\n", sb
  printf "| 32 sequences: tokens/s, generation (prefill + decode) | %.0f | %s | %s | %s |\n", sg, f(rb, "%.0f"), f(fb, "%.0f"), f(bb, "%.0f")
  printf "| 1 sequence: ms per token (decode step; transformers: generate time / new tokens) | %.2f | %s | %s | %s |\n", s1, f(r1, "%.2f"), f(f1, "%.2f"), f(b1, "%.2f")
  printf "| prefill: prompt tokens/s | %.0f | %s | %s | %s |\n", pp, f(rpp, "%.0f"), f(fpp, "%.0f"), f(bpp, "%.0f")
  printf "| load + 1 token, whole process: s | %.2f | %s (load only) | | |\n", load, f(rl, "%.2f")
}'
[ -n "$ref2" ] && echo && echo "- transformers: $ref2"
[ -z "${LLAMA_CPP_DIR:-}" ] && echo && echo "- llama.cpp: LLAMA_CPP_DIR not set (see the comment in bench/sample.sh for the build)"
exit 0
