# st-verify over the public benchmarks' own reference solutions (skipped without ../shared/data):
# every GSM8K (test split) and MATH-500 reference equals its own answer, every GSM8K annotation passes the
# step checker, every HumanEval canonical solution passes, MBPP references pass (every 8th here; all of them,
# with challenge tests, in `make check-full`: ST_FULL=1).
. "$ST_ROOT/Tests/e2e/lib.sh"
[ -n "${ST_DATA:-}" ] || { echo "no ../shared/data: skipped"; exit 0; }

st-verify --task gsm8k --reference "$ST_DATA/gsm8k/test.jsonl" -o gsm.jsonl
assert_eq "$(jq -r .verdict gsm.jsonl | sort | uniq -c | tr -s ' ')" " 1319 pass"
assert_eq "$(jq -r 'select(.answer | test("<<")) | .steps_ok' gsm.jsonl | sort -u)" "true"

st-verify --task math --reference "$ST_DATA/math500/test.jsonl" -o math.jsonl
assert_eq "$(jq -r .verdict math.jsonl | sort | uniq -c | tr -s ' ')" " 500 pass"

st-verify --task humaneval --reference --threads 2 "$ST_DATA/humaneval/HumanEval.jsonl" -o he.jsonl
jq -r 'select(.verdict != "pass") | [.task_id, .verdict, .reason] | @tsv' he.jsonl
assert_eq "$(jq -r .verdict he.jsonl | sort | uniq -c | tr -s ' ')" " 164 pass"

if [ "${ST_FULL:-0}" = 1 ]; then
  cp "$ST_DATA/mbpp/mbpp.jsonl" mbpp.jsonl; want=974; flags=--challenge-tests
else
  awk 'NR % 8 == 1' "$ST_DATA/mbpp/mbpp.jsonl" > mbpp.jsonl; want=$(wc -l < mbpp.jsonl); flags=
fi
st-verify --task mbpp --reference $flags --threads 2 mbpp.jsonl -o mbpp-out.jsonl
jq -r 'select(.verdict != "pass") | [.task_id, .verdict, .reason] | @tsv' mbpp-out.jsonl
assert_eq "$(jq -r .verdict mbpp-out.jsonl | sort | uniq -c | tr -s ' ')" " $want pass"
