#!/usr/bin/env bash
# Tensor library: one training step (forward, backward, AdamW with clipping) of the Llama model in tokens/s on
# configs S, M, L (docs/tensor.md), the measured two-thread sgemm ceiling, batched KV-cache decoding, and —
# when PyTorch is importable by $TORCH_PYTHON (default python3) — the same architecture in PyTorch eager
# (bench/tensor_ref.py) in the same run. Goal: >= 1.5x PyTorch on S, >= 1.0x on M and L.
# BENCH_STEPS=N timed steps per config (default 10), BENCH_THREADS=N (default: all cores). OpenBLAS kernels:
# st respects OPENBLAS_CORETYPE when set, else picks the AVX-512 (SkylakeX) kernels on AVX-512 CPUs that
# Debian's OpenBLAS 0.3.21 does not recognise. Prints a Markdown section for BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
py=${TORCH_PYTHON:-python3}
steps=${BENCH_STEPS:-10}
threads=${BENCH_THREADS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }

echo "## Tensor library: training step"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $threads threads; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/tensor-bench" --threads "$threads" --steps "$steps" sgemm S M L decode > "$out/st.jsonl"
sg=$(grep '"sgemm"' "$out/st.jsonl")
ceiling=$(field "$sg" gflops)
echo "- sgemm ceiling (2048^3, st's split over single-threaded OpenBLAS calls, $threads threads): $ceiling GFLOP/s; OpenBLAS kernels: $(field "$sg" core) (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})"
torch=""
if "$py" -c 'import torch' 2>/dev/null; then
  "$py" "$root/bench/tensor_ref.py" --threads "$threads" --steps "$steps" S M L > "$out/torch.jsonl"
  torch=$(field "$(head -1 "$out/torch.jsonl")" torch)
  echo "- PyTorch $torch eager, $threads threads (bench/tensor_ref.py), same run"
else
  echo "- PyTorch: not importable by '$py' (set TORCH_PYTHON=/path/to/python with torch installed); st only"
fi
echo "- median of $steps steps after 2 warm-up steps; GFLOP/s counts 6 x weights x tokens + causal attention"
echo
echo "- CPU ms = process CPU time per step (all threads); on this shared machine the CPU-time ratio is the steadier one"
echo
echo "| config | tokens/step | st ms/step | st tokens/s | st GFLOP/s | % of sgemm | st CPU ms | PyTorch ms/step | PyTorch tokens/s | PyTorch GFLOP/s | PyTorch CPU ms | st / PyTorch (wall) | st / PyTorch (CPU) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in S M L; do
  s=$(grep "\"config\":\"$c\"" "$out/st.jsonl" | grep train_step)
  tok=$(field "$s" tokens); ms=$(field "$s" ms_per_step); tps=$(field "$s" tokens_per_s); gf=$(field "$s" gflops)
  cpu=$(field "$s" cpu_ms_per_step)
  pct=$(awk -v a="$gf" -v b="$ceiling" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  if [ -n "$torch" ]; then
    t=$(grep "\"config\": \"$c\"" "$out/torch.jsonl")
    tms=$(field "$t" ms_per_step); ttps=$(field "$t" tokens_per_s); tgf=$(field "$t" gflops); tcpu=$(field "$t" cpu_ms_per_step)
    ratio=$(awk -v a="$tps" -v b="$ttps" 'BEGIN { printf "%.2fx", a / b }')
    cratio=$(awk -v a="$cpu" -v b="$tcpu" 'BEGIN { printf "%.2fx", b / a }')
  else tms="n/a"; ttps="n/a"; tgf="n/a"; tcpu="n/a"; ratio="n/a"; cratio="n/a"; fi
  echo "| $c | $tok | $ms | $tps | $gf | $pct | $cpu | $tms | $ttps | $tgf | $tcpu | $ratio | $cratio |"
done
echo
echo "KV-cache decoding (LlamaDecoder, config M, greedy, 64-token prompts, 128 new tokens):"
echo
echo "| sequences | prefill ms | ms per decode step | new tokens/s (prefill included) |"
echo "|---:|---:|---:|---:|"
grep '"decode"' "$out/st.jsonl" | while read -r d; do
  echo "| $(field "$d" sequences) | $(field "$d" prefill_ms) | $(field "$d" decode_ms_per_token_step) | $(field "$d" tokens_per_s) |"
done
