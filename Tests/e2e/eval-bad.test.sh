#!/usr/bin/env bash
# st-eval on bad input: a one-line error naming the file and line, exit 1, no output file; or the metric null
# ("not computable") with a note — never a wrong number.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_error STATUS PATTERN ARGS...: st-eval exits STATUS, its stderr matches PATTERN (one line
# "st-eval: ..." for data errors), out.json is not made.
expect_error() {
  local want=$1 pattern=$2; shift 2
  rm -f out.json
  set +e; st-eval "$@" -o out.json 2> err.txt; local rc=$?; set -e
  [ "$rc" = "$want" ] || fail "st-eval $*: exit $rc, want $want ($(cat err.txt))"
  grep -q -- "$pattern" err.txt || fail "st-eval $*: message '$(cat err.txt)' lacks '$pattern'"
  if [ "$want" = 1 ]; then
    [ "$(wc -l < err.txt)" -eq 1 ] || fail "st-eval $*: want a one-line error, got: $(cat err.txt)"
    grep -q '^st-eval: ' err.txt || fail "st-eval $*: error not prefixed with the tool's name"
  fi
  [ ! -e out.json ] || fail "st-eval $*: left out.json behind"
  ls -a | grep -q '\.tmp\.' && fail "st-eval $*: left a temporary file" || true
}

printf '%s\n' '{"id":"a","sample":0,"verdict":"pass"}' '{"id":"a","sample":1}' > noverdict.jsonl
expect_error 1 "noverdict.jsonl:2: .*no 'verdict' field" noverdict.jsonl

printf '%s\n' '{"id":"a","sample":0,"verdict":"maybe"}' > badverdict.jsonl
expect_error 1 "badverdict.jsonl:1: .*not one of pass, fail" badverdict.jsonl

printf '%s\n' '{"id":"a","sample":0,"verdict":"pass"}' '{"id":"a","sample":0,"verdict":"fail"}' > dup.jsonl
expect_error 1 "dup.jsonl:2: .*appears twice" dup.jsonl
# The same file given twice under one label duplicates every sample.
printf '%s\n' '{"id":"a","sample":0,"verdict":"pass"}' > one.jsonl
expect_error 1 "one.jsonl:1: .*appears twice" x=one.jsonl x=one.jsonl

printf '%s\n' '{"name":"a","verdict":"pass"}' > noid.jsonl
expect_error 1 "noid.jsonl:1: no problem id field" noid.jsonl
printf '%s\n' '{"id":"a","verdict":"pass"}' '{"verdict":"pass"}' > lostid.jsonl
expect_error 1 "lostid.jsonl:2: no problem id field 'id'" lostid.jsonl
expect_error 1 "no problem id field 'uid'" --id uid one.jsonl

printf '%s\n' '{"id":"a","verdict":"pass","steps_ok":"yes"}' > badsteps.jsonl
expect_error 1 "badsteps.jsonl:1: 'steps_ok'" badsteps.jsonl
printf '%s\n' '{"id":"a","verdict":"pass","sample":-1}' > badsample.jsonl
expect_error 1 "badsample.jsonl:1: 'sample'" badsample.jsonl

: > empty.jsonl
expect_error 1 "empty input" empty.jsonl
printf '%s\n' '{"id":"a","verdict":"pass"}' '{"id":' > broken.jsonl
expect_error 1 "broken.jsonl:2" broken.jsonl
expect_error 1 "missing.jsonl" missing.jsonl

# Usage errors: exit 64.
expect_error 64 "--k" --k 0 one.jsonl
expect_error 64 "--k" --k 1,x one.jsonl
expect_error 64 "--diversity" --diversity words one.jsonl
expect_error 64 "--confidence" --confidence 1.5 one.jsonl
expect_error 64 "no metric 'pass@3'" --k 1,4 --plot p.svg --plot-metrics pass@1,pass@3 one.jsonl
[ ! -e p.svg ] || fail "plot written despite a usage error"

# A verdict of error (the verifier could not judge) counts as incorrect, and a note says so.
printf '%s\n' '{"id":"a","verdict":"pass"}' '{"id":"b","verdict":"error"}' > errv.jsonl
st-eval errv.jsonl -o errv.json 2> errv.err
[ "$(jq -c '.inputs[0].all | [.["pass@1"], .verdicts.error]' errv.json)" = "[0.5,1]" ] || fail "error verdict"
grep -q "1 sample(s) have verdict error" errv.err || fail "no note on error verdicts: $(cat errv.err)"

# Mixed sample counts: a K above some problem's count is null with a note naming the problem; smaller K stay.
printf '%s\n' '{"id":"a","sample":0,"verdict":"pass"}' '{"id":"a","sample":1,"verdict":"pass"}' \
  '{"id":"a","sample":2,"verdict":"fail"}' '{"id":"a","sample":3,"verdict":"fail"}' \
  '{"id":"b","sample":0,"verdict":"fail"}' '{"id":"b","sample":1,"verdict":"pass"}' > mixed.jsonl
st-eval mixed.jsonl --k 1,2,4 -o mixed.json 2> mixed.err
[ "$(jq -c '.inputs[0].all | [.["pass@4"], .["maj@4"], .["coverage@4"], .["diversity@4"]]' mixed.json)" = \
  "[null,null,null,null]" ] || fail "K above a problem's sample count was computed"
[ "$(jq -c '.inputs[0].all | [.["pass@1"], .["coverage@2"]]' mixed.json)" = "[0.5,1]" ] || fail "small K with mixed counts"
grep -q "K = 4 not computable: problem b has only 2" mixed.err || fail "no note on the dropped K: $(cat mixed.err)"
grep -q "vary from 2 to 4" mixed.err || fail "no note on mixed counts"
jq -e '.inputs[0].all.notes | length > 0' mixed.json > /dev/null || fail "notes missing from the JSON"

# Nothing to compute is null, not zero: no steps checked, no answers extracted, no FLOPs.
printf '%s\n' '{"id":"a","verdict":"pass"}' '{"id":"b","verdict":"fail","flops":5}' > sparse.jsonl
[ "$(st-eval sparse.jsonl -q | jq -c '.inputs[0].all | [.fpr, .fpr_n, .["maj@1"], .flops, .greedy]')" = \
  "[null,0,null,null,null]" ] || fail "not-computable metrics were given numbers"
echo "st-eval bad input: ok"
