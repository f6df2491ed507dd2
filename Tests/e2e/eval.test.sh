#!/usr/bin/env bash
# st-eval end to end: metrics of a hand-made file checked against values worked out by hand, labelled inputs
# and their differences, zstd input, --by groups, method correlation, determinism.
# Run by Tests/e2e/run.sh in a fresh temporary directory with the built tools on PATH.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }

# Two problems, four samples each (written out of order: the `sample` field decides the order).
#   a: fail "1"; pass "4" (steps ok); pass "4.0" (steps wrong); pass "4" (steps not checked)
#   b: fail "7"; fail "7"; fail "8"; pass "5"
cat > h.jsonl <<'J'
{"id":"a","sample":3,"method":"text","level":1,"verdict":"pass","reward":1,"extracted":"4","completion":"so 2+2=4 yes","flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"a","sample":0,"method":"text","level":1,"verdict":"fail","reward":0,"extracted":"1","completion":"x = 1","flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"a","sample":1,"method":"text","level":1,"verdict":"pass","reward":1,"extracted":"4","completion":"2 + 2 = 4","steps_ok":true,"flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"a","sample":2,"method":"text","level":1,"verdict":"pass","reward":1,"extracted":"4.0","completion":"2  +  2 = 4\n","steps_ok":false,"flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"b","sample":0,"method":"text","level":2,"verdict":"fail","reward":0,"extracted":"7","completion":"7","flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"b","sample":1,"method":"text","level":2,"verdict":"fail","reward":0,"extracted":"7","completion":"7","flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"b","sample":2,"method":"text","level":2,"verdict":"fail","reward":0,"extracted":"8","completion":"8","flops":10,"prompt_tokens":3,"completion_tokens":5}
{"id":"b","sample":3,"method":"text","level":2,"verdict":"pass","reward":1,"extracted":"5","completion":"yes","flops":10,"prompt_tokens":3,"completion_tokens":5}
J

st-eval h.jsonl --k 1,2,4 --by level -o h.json 2> h.err
all() { jq -c ".inputs[0].all[\"$1\"]" h.json; }
eq "$(all problems)" 2 problems
eq "$(all samples)" 8 samples
eq "$(all correct)" 4 correct
eq "$(all pass@1)" 0.5 "pass@1 (a: 3/4, b: 1/4)"
eq "$(all pass@2)" 0.75 "pass@2 (a: 1, b: 1 - C(3,2)/C(4,2))"
eq "$(all pass@4)" 1 pass@4
eq "$(all maj@2)" 0 "maj@2 (a: tie 1 vs correct, 1 came first; b: 7)"
eq "$(all maj@4)" 0.5 "maj@4 (a: correct 3 votes; b: 7 wins)"
eq "$(all coverage@1)" 0 coverage@1
eq "$(all coverage@2)" 0.5 coverage@2
eq "$(all coverage@4)" 1 coverage@4
eq "$(all diversity@2)" 0.5 diversity@2
eq "$(all diversity@4)" 1.5 "diversity@4 (a: 2 distinct texts, b: 1)"
eq "$(all fpr)" 0.5 fpr
eq "$(all fpr_n)" 2 fpr_n
eq "$(all greedy)" null "greedy (no greedy samples)"
eq "$(all flops)" 80 flops
eq "$(all flops_per_correct)" 20 flops_per_correct
eq "$(all tokens)" 64 tokens
eq "$(all verdicts)" '{"pass":4,"fail":4,"timeout":0,"error":0,"unparsed":0}' verdicts
eq "$(jq -c '.inputs[0].id_field' h.json)" '"id"' id_field
eq "$(jq -c '.inputs[0].by.level["1"]["pass@1"]' h.json)" 0.75 "by level 1"
eq "$(jq -c '.inputs[0].by.level["2"]["pass@1"]' h.json)" 0.25 "by level 2"
eq "$(jq -c '.inputs[0].methods.text["pass@1"]' h.json)" 0.5 "method text"
eq "$(jq -c '.inputs[0].all.ci["pass@1"] | (.[0] <= 0.5 and .[1] >= 0.5)' h.json)" true "CI contains pass@1"
grep -q "pass@1" h.err || fail "no table on stderr"

# Diversity by equation list: "so 2+2=4 yes" and "2 + 2 = 4" have the same equations.
st-eval h.jsonl --k 4 --diversity equations -q > he.json
eq "$(jq -c '.inputs[0].all["diversity@4"]' he.json)" 1 "diversity@4 by equations"
eq "$(jq -c '.diversity_by' he.json)" '"equations"' diversity_by

# Input from stdin and zstd; same numbers.
zstd -q h.jsonl -o h.jsonl.zst
eq "$(st-eval --k 1,2,4 -q < h.jsonl.zst | jq -c '.inputs[0].all["pass@2"]')" 0.75 "stdin zstd"

# Default K: powers of two up to the smallest sample count.
eq "$(st-eval h.jsonl -q | jq -c '.k')" "[1,2,4]" "default k"

# Two labelled inputs: a row each and the differences; the second solves everything.
sed -e 's/"verdict":"fail"/"verdict":"pass"/' h.jsonl > all-pass.jsonl
st-eval base=h.jsonl better=all-pass.jsonl --k 1,4 -q -o cmp.json
eq "$(jq -c '[.inputs[].label]' cmp.json)" '["base","better"]' labels
eq "$(jq -c '.differences[0] | [.label, .baseline, .group, .paired, .["pass@1"]]' cmp.json)" \
   '["better","base","all",true,0.5]' difference
eq "$(jq -c '.differences[0].ci["pass@1"] | (.[0] <= 0.5 and .[1] >= 0.5)' cmp.json)" true "difference CI"
st-eval base=h.jsonl better=all-pass.jsonl --k 1,4 --table > table.txt 2> /dev/null
grep -q "^base " table.txt || fail "table has no row for base"
grep -q "^better " table.txt || fail "table has no row for better"
grep -q "better - base" table.txt || fail "table has no difference row"

# Unlabelled inputs are labelled by what differs in their paths.
mkdir -p round-1 round-2; cp h.jsonl round-1/v.jsonl; cp all-pass.jsonl round-2/v.jsonl
eq "$(st-eval round-*/v.jsonl -q | jq -c '[.inputs[].label]')" '["round-1","round-2"]' "path labels"
# The same label twice: one input read from both files.
head -4 h.jsonl > part1.jsonl; tail -4 h.jsonl > part2.jsonl
eq "$(st-eval r=part1.jsonl r=part2.jsonl --k 1,2,4 -q | jq -c '[(.inputs|length), .inputs[0].all["pass@2"]]')" \
   "[1,0.75]" "shards joined by label"

# Two methods that solve different problems: negative correlation, counts of what each solves alone.
for p in 0 1 2 3 4 5; do
  t=fail; c=fail
  case $p in 0|1) t=pass;; 2|3) c=pass;; 5) t=pass; c=pass;; esac
  echo "{\"task_id\":$p,\"method\":\"text\",\"sample\":0,\"verdict\":\"$t\"}"
  echo "{\"task_id\":$p,\"method\":\"code\",\"sample\":0,\"verdict\":\"$c\"}"
done > mm.jsonl
st-eval mm.jsonl -q > mm.json
eq "$(jq -c '.inputs[0].id_field' mm.json)" '"task_id"' "task_id detected"
eq "$(jq -c '.inputs[0].pairs[0] | [.a, .b, .problems, .only_a, .only_b, .both, .neither]' mm.json)" \
   '["text","code",6,2,2,1,1]' "pair counts"
eq "$(jq -c '.inputs[0].pairs[0].correlation < 0' mm.json)" true "anti-correlated"

# Greedy samples (temperature 0) are scored apart from sampled ones.
cat > g.jsonl <<'J'
{"id":1,"temperature":0,"verdict":"pass"}
{"id":2,"temperature":0,"verdict":"fail"}
{"id":1,"temperature":0.7,"sample":0,"verdict":"fail"}
{"id":2,"temperature":0.7,"sample":0,"verdict":"fail"}
J
eq "$(st-eval g.jsonl -q | jq -c '.inputs[0].all | [.greedy, .["pass@1"]]')" "[0.5,0]" greedy

# An independent reference: pass@1 and fpr recomputed with jq on synthetic sample-like records.
if [ -f "$ST_ROOT/data/synthetic-samples.awk" ]; then
  awk -v N=3000 -v SEED=2 -f "$ST_ROOT/data/synthetic-samples.awk" > syn.jsonl
  want=$(jq -n 'reduce inputs as $r ({}; .[$r.id] |= ((. // [0, 0]) | [.[0] + 1, .[1] + (if $r.verdict == "pass" then 1 else 0 end)]))
                | [.[] | .[1] / .[0]] | add / length' syn.jsonl)
  got=$(st-eval syn.jsonl --k 1 -q | jq '.inputs[0].all["pass@1"]')
  awk -v a="$got" -v b="$want" 'BEGIN { exit !(a - b < 1e-12 && b - a < 1e-12) }' || fail "pass@1 $got, jq says $want"
  want=$(jq -s '[.[] | select(.verdict == "pass")] | [(map(select(.steps_ok == false)) | length) / length, length]' -c syn.jsonl)
  got=$(st-eval syn.jsonl --k 1 -q | jq -c '.inputs[0].all | [.fpr, .fpr_n]')
  eq "$got" "$want" "fpr against jq"
fi

# Determinism: same inputs and seed give the same bytes, whatever --threads; another seed moves the CIs.
st-eval h.jsonl all-pass.jsonl --seed 3 --threads 1 -q > d1.json
st-eval h.jsonl all-pass.jsonl --seed 3 --threads 2 -q > d2.json
cmp -s d1.json d2.json || fail "output differs between runs"
echo "st-eval: ok"
