#!/usr/bin/env bash
# st-train end to end (reading and tokenizing a zstd JSONL corpus, packing, training, writing the model
# directory) on configs S and M of the tensor library (docs/tensor.md), beside the bare training step that
# tensor-bench measures in the same run. Goal: data handling (reading, tokenizing, packing) under 5% of
# the time. BENCH_TRAIN_STEPS_S / _M set the steps (default 40 and 10). Prints a Markdown section for BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
threads=${BENCH_THREADS:-$(nproc)}
steps_s=${BENCH_TRAIN_STEPS_S:-40}
steps_m=${BENCH_TRAIN_STEPS_M:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }

# the embedded text corpus (st-tasks), about 3 MB of documents
"$bin/st-tasks" -o "$out/data" --seed 1 >/dev/null 2>&1
corpus=$out/data/corpus-text.jsonl.zst
docs=$(zstdcat "$corpus" | wc -l); mb=$(zstdcat "$corpus" | wc -c | awk '{ printf "%.1f", $1 / 1e6 }')

echo "## st-train"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $threads threads; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- data: st-tasks corpus-text.jsonl.zst, $docs documents, $mb MB; packed rows (look-ahead 64), causal objective"
echo "- st-train wall time includes process start, reading and tokenizing the whole corpus, packing, every step,"
echo "  metrics, and writing the model directory; the bare step is tensor-bench's median step in the same run"
echo "- data load and packing are single-threaded, given in CPU s of that thread (robust to other load on a shared"
echo "  machine); their share is given of st-train's wall time and of its whole CPU time (user + sys, all threads)"
echo "- CPU ms/step (all threads): st-train's training loop (packing, steps, metrics) over its steps, beside"
echo "  tensor-bench's; on a busy machine these compare better than wall times"
echo
echo "| config | steps | tokens/step | st-train wall s | st-train tokens/s (end to end) | bare step tokens/s | end to end / bare | st-train CPU ms/step | bare CPU ms/step | data load CPU s | packing CPU s | data share of wall | data share of CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for spec in "S 128 4 4 512 128 16 $steps_s" "M 384 6 6 1024 256 8 $steps_m"; do
  read -r name hidden layers heads inter ctx batch steps <<<"$spec"
  s=$(date +%s.%N)
  "$bin/st-train" "$corpus" --hidden "$hidden" --layers "$layers" --heads "$heads" --intermediate "$inter" \
    --context "$ctx" --batch "$batch" --steps "$steps" --threads "$threads" --seed 1 -q -o "$out/model-$name"
  e=$(date +%s.%N)
  wall=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
  info=$(cat "$out/model-$name/st-train.json")
  load=$(field "$info" data_load_cpu); pack=$(field "$info" packing_cpu); cpu=$(field "$info" process_cpu)
  tok=$((batch * ctx))
  e2e=$(awk -v t="$tok" -v n="$steps" -v w="$wall" 'BEGIN { printf "%.0f", t * n / w }')
  tb=$("$bin/tensor-bench" --threads "$threads" --steps 5 "$name" | grep train_step)
  bare=$(field "$tb" tokens_per_s); barecpu=$(field "$tb" cpu_ms_per_step)
  loopcpu=$(field "$info" train_loop_cpu)
  stcpu=$(awk -v c="$loopcpu" -v n="$steps" 'BEGIN { printf "%.1f", 1000 * c / n }')
  ratio=$(awk -v a="$e2e" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')
  share=$(awk -v l="$load" -v p="$pack" -v w="$wall" 'BEGIN { printf "%.1f%%", 100 * (l + p) / w }')
  cshare=$(awk -v l="$load" -v p="$pack" -v c="$cpu" 'BEGIN { printf "%.1f%%", 100 * (l + p) / c }')
  printf '| %s | %d | %d | %s | %s | %s | %s | %s | %s | %.3f | %.3f | %s | %s |\n' "$name" "$steps" "$tok" "$wall" "$e2e" "$bare" "$ratio" "$stcpu" "$barecpu" "$load" "$pack" "$share" "$cshare"
done
echo
echo "Command: \`bash bench/train.sh\` (part of \`make bench\`; \`make bench-train\` alone)."
