# st-verify end to end: fields, order and determinism across --threads, zstd, errors, help.
. "$ST_ROOT/Tests/e2e/lib.sh"

cat > samples.jsonl <<'JSON'
{"id":1,"task":"gsm8k","answer":"Half is 48/2=<<48/2=24>>24\n#### 24","completion":"She keeps 48 / 2 = 24.\n#### 24","extra":{"keep":[1,2.50,"x"]}}
{"id":2,"task":"gsm8k","answer":"#### 14","completion":"12 - 5 = 8\n8 + 6 = 14\nAnswer: 14"}
{"id":3,"task":"math","answer":"\\frac{1}{2}","completion":"so the answer is $\\boxed{0.5}$"}
{"id":4,"task":"math","answer":"\\sqrt{2}","completion":"I am not sure"}
{"id":5,"task":"math","solution":"Area $\\boxed{2\\pi}$.","completion":"The answer is $\\pi \\cdot 2$."}
{"id":6,"task":"chess","completion":"e4"}
{"id":7,"task":"gsm8k","completion":"#### 3"}
{"id":8,"task":"math","answer":"(1, 2]","completion":"\\boxed{(1.0, 2]}"}
JSON

st-verify samples.jsonl -o out.jsonl
[ "$(wc -l < out.jsonl)" = 8 ] || die "expected 8 records"
assert_eq "$(jq -r .verdict out.jsonl | tr '\n' ' ')" "pass pass pass unparsed pass error error pass "
assert_eq "$(jq -r .reward out.jsonl | tr '\n' ' ')" "1 1 1 0 1 0 0 1 "
assert_eq "$(jq -c '[.steps_ok, .first_bad_step]' out.jsonl | head -2 | tr '\n' ' ')" "[true,null] [false,1] "
assert_eq "$(jq -r .extracted out.jsonl | head -3 | tr '\n' ' ')" "24 14 0.5 "
jq -e -s 'map(select(.id == 6))[0].reason | test("unknown task")' out.jsonl >/dev/null || die "unknown task reason"
jq -e -s 'map(select(.id == 2))[0].reason | test("12 - 5 = 8")' out.jsonl >/dev/null || die "wrong step reason"
# input fields are kept byte for byte, the new ones follow in a fixed order
head -1 out.jsonl | grep -qF '"extra":{"keep":[1,2.50,"x"]}' || die "input fields changed"
assert_eq "$(head -1 out.jsonl | jq -c 'keys_unsorted[-9:]')" '["verdict","reward","extracted","expected","steps_ok","first_bad_step","reason","runtime_ms","verifier"]'

# same output (but runtime_ms) whatever --threads, and zstd output
st-verify samples.jsonl --threads 1 | jq -c 'del(.runtime_ms)' > t1
st-verify samples.jsonl --threads 2 -o out2.jsonl.zst
zstd -dc out2.jsonl.zst | jq -c 'del(.runtime_ms)' > t2
cmp t1 t2 || die "--threads changed the output"
cat samples.jsonl samples.jsonl samples.jsonl | st-verify --threads 2 - | jq -r .id | tr '\n' ' ' > order
assert_eq "$(cat order)" "1 2 3 4 5 6 7 8 1 2 3 4 5 6 7 8 1 2 3 4 5 6 7 8 " "order"

# --task overrides the record's task; --last-number-fallback
echo '{"task":"chess","answer":"5","completion":"we get 5 apples"}' > one.jsonl
assert_eq "$(st-verify --task math one.jsonl | jq -r .verdict)" "unparsed"
assert_eq "$(st-verify --task math --last-number-fallback one.jsonl | jq -r .verdict)" "pass"
# --no-steps leaves the step fields null
assert_eq "$(st-verify --no-steps samples.jsonl | head -2 | jq -c .steps_ok | tr '\n' ' ')" "null null "

# code through the sandbox: a program whose output is the answer, and a method naming code
printf '%s\n' '{"task":"program","answer":"42","completion":"print(6 * 7)"}' \
  '{"task":"gsm8k","method":"code","answer":"#### 7","completion":"```python\nprint(3 + 4)\n```"}' > code.jsonl
assert_eq "$(st-verify code.jsonl -v 2>err | jq -r .verdict | tr '\n' ' ')" "pass pass "
grep -q 'sandbox: ' err || die "-v does not name the sandbox layer"

# bad input: one-line errors, no output left behind
printf '{"task":"math"}\nnot json\n' > bad.jsonl
expect_error 1 '^st-verify: .*bad.jsonl:2' st-verify bad.jsonl -o bad-out.jsonl
assert_no_file bad-out.jsonl
assert_no_temp
st-verify --skip-bad -q bad.jsonl -o skipped.jsonl
[ "$(wc -l < skipped.jsonl)" = 1 ] || die "--skip-bad"
echo '[1,2]' > array.jsonl
expect_error 1 'not a JSON object' st-verify array.jsonl -o x.jsonl
assert_no_file x.jsonl
: > empty.jsonl
expect_status 0 st-verify empty.jsonl -o e.jsonl   # an empty input: a warning and an empty output
grep -q '^st-verify: warning: empty.jsonl: empty input (no records)$' stderr && [ -f e.jsonl ] && [ ! -s e.jsonl ] || die "empty input: $(cat stderr)"
rm e.jsonl
expect_status 64 st-verify --task nonsense samples.jsonl
expect_status 64 st-verify --timeout 0 samples.jsonl
expect_status 1 st-verify missing.jsonl

# help and man: examples and exit status documented
st-verify --help > help.txt
grep -q 'EXAMPLES:' help.txt || die "--help lacks EXAMPLES"
grep -q 'EXIT STATUS:' help.txt || die "--help lacks EXIT STATUS"
grep -q -- '--partial' help.txt || die "--help lacks --partial"

# --symbolic: sympy decides what the rules cannot (when sympy is installed), within its timeout
if python3 -c "import sympy" 2>/dev/null; then
  printf '%s\n' '{"task":"math","answer":"x^2-1","completion":"\\boxed{(x-1)(x+1)}"}' \
    '{"task":"math","answer":"x^2-1","completion":"\\boxed{(x-1)(x+2)}"}' \
    '{"task":"math","answer":"1","completion":"\\boxed{9^{9^{9^{9}}} - 9^{9^{9^{9}}} + 1 + 0*x^(10^(10^10))}"}' > sym.jsonl
  assert_eq "$(st-verify sym.jsonl | jq -r .verdict | tr '\n' ' ')" "fail fail fail "
  st-verify --symbolic --symbolic-timeout 2 sym.jsonl > sym-out.jsonl
  assert_eq "$(jq -r .verdict sym-out.jsonl | head -2 | tr '\n' ' ')" "pass fail "
  jq -r .verifier sym-out.jsonl | head -1 | grep -q sympy || die "verifier does not name sympy"
fi

# no interpreter for a code task: one error for the whole run, nothing written
expect_error 1 'sandbox unavailable' st-verify --task program --python /nonexistent/python3 code.jsonl -o nopy.jsonl
assert_no_file nopy.jsonl

# --partial: the passed fraction of a HumanEval-style check
python3 - > he.jsonl <<'PY'
import json
print(json.dumps({"task": "humaneval", "prompt": "def inc(x):\n", "entry_point": "inc",
                  "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n    assert candidate(3) == 5\n    assert candidate(0) == 2\n",
                  "completion": "    return x + 1\n"}))
PY
assert_eq "$(st-verify he.jsonl | jq -c '[.verdict, .reward]')" '["fail",0]'
assert_eq "$(st-verify --partial he.jsonl | jq -c '[.verdict, .reward]')" '["fail",0.5]'
st-verify he.jsonl | jq -r .reason | grep -q 'assert candidate(3) == 5' || die "the failing assert is not named"

# several pipelined batches (records carry their task): same output and order as one thread
python3 - > many.jsonl <<'PY'
import json
for i in range(1300):
    a, b = i % 97, i % 13 + 1
    right = a * b if i % 5 else a * b + 1
    print(json.dumps({"id": i, "task": "gsm8k" if i % 2 else "math", "answer": str(a * b),
                      "completion": "%d * %d = %d\nAnswer: %d" % (a, b, right, a * b + (i % 7 == 0))}))
PY
st-verify --threads 1 many.jsonl | jq -c 'del(.runtime_ms)' > m1
st-verify --threads 2 many.jsonl | jq -c 'del(.runtime_ms)' > m2
cmp m1 m2 || die "pipelined batches changed the output"
assert_eq "$(jq -r .id m2 | head -1300 | tail -1)" "1299"
