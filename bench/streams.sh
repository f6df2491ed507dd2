#!/usr/bin/env bash
# Data-plane throughput: st-filter pass-through and a --where on one field, over ~1 GB of uncompressed
# sample-like JSONL (zstd-compressed), beside `zstdcat f | jq -c 'select(...)'` on the same file in the
# same run. Goal: >= 250 MB/s of uncompressed JSONL on one core, >= 4x jq.
# BENCH_RECORDS=N changes the size (780000 records ~ 1 GB). Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
out=$root/bench/out
mkdir -p "$out"
n=${BENCH_RECORDS:-780000}
data=$out/samples-$n.jsonl.zst
if [ ! -f "$data" ]; then
  echo "generating $n records..." >&2
  awk -v N="$n" -v SEED=1 -f "$root/data/synthetic-samples.awk" | zstd -q -T1 -3 -o "$data.tmp" && mv "$data.tmp" "$data"
fi
bytes=$(zstdcat "$data" | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')

# median of wall seconds over $2 runs of the shell command $1
measure() {
  local cmd=$1 runs=$2 times=()
  for _ in $(seq 1 "$runs"); do
    local s e
    s=$(date +%s.%N); bash -c "$cmd" > /dev/null; e=$(date +%s.%N)
    times+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

echo "## st-filter throughput"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- input: $n records, $mb MB uncompressed, $(( $(stat -c %s "$data") / 1000000 )) MB zstd (data/synthetic-samples.awk)"
echo "- st-filter runs on one thread (zstd decoding included); the jq pipeline uses two processes"
echo
echo "| command | median wall s | MB/s (uncompressed) | vs jq |"
echo "|---|---:|---:|---:|"
jq_where=$(measure "zstdcat '$data' | jq -c 'select(.verdict == \"pass\")'" 1)
rows=(
  "zstdcat '$data'|zstdcat (decompression alone)"
  "'$bin/st-filter' '$data'|st-filter (pass-through)"
  "'$bin/st-filter' --where 'verdict == \"pass\"' '$data'|st-filter --where 'verdict == \"pass\"'"
  "'$bin/st-filter' --where 'meta.difficulty >= 3 and len(completion) < 1500' '$data'|st-filter --where 'meta.difficulty >= 3 and len(completion) < 1500'"
)
for row in "${rows[@]}"; do
  cmd=${row%%|*}; label=${row#*|}
  t=$(measure "$cmd" 3)
  awk -v l="$label" -v t="$t" -v b="$bytes" -v j="$jq_where" 'BEGIN { printf "| `%s` | %.2f | %.0f | %.1f× |\n", l, t, b / 1e6 / t, j / t }'
done
awk -v t="$jq_where" -v b="$bytes" 'BEGIN { printf "| `zstdcat f \\| jq -c '"'"'select(.verdict == \"pass\")'"'"'` | %.2f | %.0f | 1.0× |\n", t, b / 1e6 / t }'
