#!/usr/bin/env bash
# st-eval speed (run by `make bench`; the Markdown section it prints goes to BENCHMARKS.md "## st-eval" by
# hand): st-eval over synthetic verified samples beside a streaming zstdcat | jq | awk pipeline computing
# pass@1 alone on the same file in the same run. EVAL_BENCH_RECORDS=N changes the size (240000 records ~ 310 MB
# uncompressed); the generated input is kept in bench/out/ for the next run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
n=${EVAL_BENCH_RECORDS:-240000}
out=$root/bench/out; mkdir -p "$out"
data=$out/eval-samples-$n.jsonl.zst
if [ ! -f "$data" ]; then
  echo "generating $n records..." >&2
  awk -v N="$n" -v SEED=1 -f "$root/data/synthetic-samples.awk" | zstd -q -T1 -3 -o "$data.tmp" && mv "$data.tmp" "$data"
fi
bytes=$(zstdcat "$data" | wc -c)

# timed CMD: "wall CPU" seconds of a shell command (CPU = user + sys of all its processes).
timed() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time bash -c "$1" > /dev/null; } 2>&1 )
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.2f %.2f", a[1], a[2] + a[3] }'
}
# row LABEL "wall CPU" "reference wall CPU": one table row; rates and the ratio use CPU seconds.
row() {
  awk -v l="$1" -v w="${2% *}" -v c="${2#* }" -v b="$bytes" -v r="$n" -v j="${3#* }" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.0f | %.1f× |\n", l, w, c, b / 1e6 / c, r / c / 1000, j / c }'
}

jq_t=$(timed "zstdcat $data | jq -r '[.id, .verdict == \"pass\"] | @tsv' | awk -F '\t' '{ n[\$1]++; if (\$2 == \"true\") c[\$1]++ } END { for (k in n) s += c[k] / n[k]; print s / length(n) }'")
a=$(timed "$bin/st-eval $data -q --bootstrap 0 --k 1")
b=$(timed "$bin/st-eval $data -q --k 1,4,16 --by meta.difficulty")
c=$(timed "$bin/st-eval $data -q --k 1,4,16 --by meta.difficulty --bootstrap 0")

echo "## st-eval"; echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- input: $n synthetic verified samples (data/synthetic-samples.awk), $((bytes / 1000000)) MB uncompressed, zstd; one run each"
echo "- st-eval is single-threaded; the reference (zstdcat | jq -r '[.id, .verdict == \"pass\"] | @tsv' | awk) streams and computes pass@1 only"
echo "- CPU s = user + sys of all processes; MB/s, records/s and the ratio use CPU s (the machine is shared, so wall time is noisy)"
echo; echo "| command | wall s | CPU s | MB/s | k records/s | vs jq (CPU) |"; echo "|---|---:|---:|---:|---:|---:|"
row '`st-eval --k 1 --bootstrap 0`' "$a" "$jq_t"
row '`st-eval --k 1,4,16 --by meta.difficulty --bootstrap 0`' "$c" "$jq_t"
row '`st-eval --k 1,4,16 --by meta.difficulty` (1000 bootstrap resamples)' "$b" "$jq_t"
row '`zstdcat f \| jq -r … \| awk` (pass@1 by id)' "$jq_t" "$jq_t"
