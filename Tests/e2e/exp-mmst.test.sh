# Experiment 2 (make exp-mmst) in miniature: every arm runs through Make and the built tools; MMST's
# translations are drawn from the SFT model, re-verified, and enter training with the target method's prompt;
# the capped arm has single-method ST's data size per method; st-eval writes the table, plot and correlations;
# a second run rebuilds nothing.
. "$ST_ROOT/Tests/e2e/lib.sh"
mini="HIDDEN=32 LAYERS=1 HEADS=2 PRETRAIN_STEPS=4 SFT_STEPS=4 STEPS=4 MAX_TOKENS=32 TRAIN_PROBLEMS=8 EVAL_PROBLEMS=5 'TASK_FLAGS=--corpus-bytes 20000 --arith-train 30 --arith-val 4 --arith-test 8 --arith-transfer 4 --funcs-train 4 --funcs-val 2 --funcs-test 2 --seed-size 8'"
x() { make -s --no-print-directory -C "$ST_ROOT" exp-mmst XM="$PWD/x" XM_SET="$mini" XM_N=2 XM_SEED_MIX=1 "$@"; }

# make -n prints the whole plan before anything is made
x -n > plan.log 2>&1 || { tail -5 plan.log; die "make -n exp-mmst failed"; }
grep -q "st-train" plan.log || die "make -n exp-mmst printed no plan"

x > run.log 2>&1 || { tail -40 run.log; die "exp-mmst failed"; }
for f in results.json results.svg results-samples.json results.md st-text/round-1/model/config.json \
         st-code/round-1/model/config.json mmst/round-1/model/config.json mmst-capped/model/config.json \
         mmst-capped/eval-verified.jsonl.zst; do
  [ -s "x/$f" ] || die "missing x/$f"
done
rsvg-convert x/results.svg -o x/results.png || die "invalid SVG"
assert_eq "$(jq -r '[.inputs[].label] | join(" ")' x/results.json)" "base st-text st-code mmst mmst-capped"
# every arm is evaluated with both methods, and the correlation between them is reported
for i in 0 1 2 3 4; do
  assert_eq "$(jq -r ".inputs[$i].methods | keys | join(\" \")" x/results.json)" "code text"
  assert_eq "$(jq -r ".inputs[$i].pairs | length" x/results.json)" 1
done
# single-method arms sample one method; mmst both
assert_eq "$(zstdcat x/st-text/round-1/samples.jsonl.zst | jq -r .method | sort -u)" text
assert_eq "$(zstdcat x/st-code/round-1/samples.jsonl.zst | jq -r .method | sort -u)" code
assert_eq "$(zstdcat x/mmst/round-1/samples.jsonl.zst | jq -r .method | sort -u | xargs)" "code text"
# round 0 learned translation too: the seed set's gold pairs, both ways, in st-sample's translation prompts
assert_eq "$(zstdcat x/seed-translations.jsonl.zst | wc -l)" "$(zstdcat x/mmst/data/seed-pairs.jsonl.zst | jq -r .id | sort | uniq -d | wc -l | awk '{ print 2 * $1 }')"
zstdcat x/seed-translations.jsonl.zst | jq -s -e 'length > 0 and all(.[]; (.prompt | endswith("\n\nProgram:\n")) or (.prompt | endswith("\n\nSolution:\n")))' > /dev/null \
  || die "seed translation prompts"
grep -q -- "--init $PWD/x/st-text/base" <(jq -r '"--init " + .init' x/st-text/round-0/model/st-train.json) || die "round 0"
jq -e '.data | length == 2' x/st-text/round-0/model/st-train.json > /dev/null || die "round 0 did not train on the seed translations"
grep -q '| mmst-capped |' x/results.md || die "summary"

x > again.log 2>&1 || { tail -20 again.log; die "second run failed"; }
! grep -E '^st-(train|sample|verify|eval) ' again.log || die "a second run rebuilt something"

# The miniature model solves nothing, so give mmst gold solutions as its kept samples and run again: every kept
# sample is translated once into the other method, re-verified, and the correct translations (here: checked by
# hand on the gold answers' programs) become pairs in the target method's prompt.
t=x/mmst/round-1
# (with the prompt_text st-sample would have written: st-train refuses a completion without a prompt)
zstdcat x/mmst/problems-train.jsonl.zst | sed -n 1,4p | jq -c '(. + {method: "text", sample: 0, prompt_text: ("Question: " + .question + "\nSolution:\n"), completion: (.solution_text + "\n"), reward: 1}),
  (. + {method: "code", sample: 0, prompt_text: ("Question: " + .question + "\nProgram:\n"), completion: (.solution_code + "\n"), reward: 1})' | zstd -q -f -o $t/kept.jsonl.zst
x > third.log 2>&1 || { tail -20 third.log; die "run with gold kept samples failed"; }
assert_eq "$(zstdcat $t/translate-text-to-code-verified.jsonl.zst | wc -l)" 4
assert_eq "$(zstdcat $t/translate-code-to-text-verified.jsonl.zst | wc -l)" 4
zstdcat $t/translate-text-to-code-verified.jsonl.zst | jq -s -e 'all(.[]; has("verdict") and .source_method == "text" and .method == "text-to-code")' \
  > /dev/null || die "translations not verified"
assert_eq "$(zstdcat $t/translated.jsonl.zst | wc -l)" "$(zstdcat $t/translate-*-verified.jsonl.zst | jq -c 'select(.reward == 1)' | wc -l)"
seed=$(zstdcat x/mmst/data/seed-pairs.jsonl.zst | wc -l)   # the miniature mixes in the seed set (XM_SEED_MIX=1)
assert_eq "$(zstdcat $t/train.jsonl.zst | wc -l)" $(( seed + 8 + $(zstdcat $t/translated.jsonl.zst | wc -l) ))
# the pairs of correct translations: a hand-made verified translation goes through the same rule
zstdcat $t/translate-text-to-code-verified.jsonl.zst | sed -n 1p | jq -c '. + {completion: (.solution_code + "\n"), reward: 1, verdict: "pass"}' \
  | zstd -q -f -o one.jsonl.zst && mv one.jsonl.zst $t/translate-text-to-code-verified.jsonl.zst
x > fourth.log 2>&1 || { tail -20 fourth.log; die "run with a correct translation failed"; }
zstdcat $t/translated.jsonl.zst | jq -s -e 'length >= 1 and all(.[]; (.method == "code" and (.prompt | endswith("\nProgram:\n"))
  and (.prompt | startswith("Question: ")) and .source == "text-to-code") or .method == "text")' > /dev/null || die "translation pairs"
# mmst-capped: per method at most single-method ST's data size, plus the seed set
for m in text code; do
  n=$(zstdcat x/mmst-capped/train-$m.jsonl.zst | wc -l)
  [ "$n" -le "$(zstdcat x/st-$m/round-1/kept.jsonl.zst | wc -l)" ] || die "mmst-capped has more $m data than st-$m"
done
assert_eq "$(zstdcat x/mmst-capped/train.jsonl.zst | wc -l)" \
  $(( seed + $(zstdcat x/mmst-capped/train-text.jsonl.zst | wc -l) + $(zstdcat x/mmst-capped/train-code.jsonl.zst | wc -l) ))
echo ok
