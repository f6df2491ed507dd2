# Experiment 2 (make exp-mmst) in miniature: every arm runs through Make and the built tools; MMST's
# translations are drawn from the SFT model, re-verified, and enter training with the target method's prompt;
# the capped arm has single-method ST's data size per method; st-eval writes the table, plot and correlations;
# a second run rebuilds nothing.
. "$ST_ROOT/Tests/e2e/lib.sh"
mini="HIDDEN=32 LAYERS=1 HEADS=2 PRETRAIN_STEPS=4 SFT_STEPS=4 STEPS=4 MAX_TOKENS=32 TRAIN_PROBLEMS=8 EVAL_PROBLEMS=5
      'TASK_FLAGS=--corpus-bytes 20000 --arith-train 30 --arith-val 4 --arith-test 8 --arith-transfer 4 --funcs-train 4 --funcs-val 2 --funcs-test 2 --seed-size 8'"
x() { make -s --no-print-directory -C "$ST_ROOT" exp-mmst XM="$PWD/x" XM_SET="$mini" XM_N=2 XM_SEED_MIX=1 "$@"; }

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
# single-method arms sample one method; mmst both, plus one translation per kept sample, re-verified
assert_eq "$(zstdcat x/st-text/round-1/samples.jsonl.zst | jq -r .method | sort -u)" text
assert_eq "$(zstdcat x/st-code/round-1/samples.jsonl.zst | jq -r .method | sort -u)" code
t=x/mmst/round-1
assert_eq "$(zstdcat $t/translate-text-to-code-verified.jsonl.zst | wc -l)" "$(zstdcat $t/kept.jsonl.zst | jq -c 'select(.method == "text")' | wc -l)"
assert_eq "$(zstdcat $t/translate-code-to-text-verified.jsonl.zst | wc -l)" "$(zstdcat $t/kept.jsonl.zst | jq -c 'select(.method == "code")' | wc -l)"
zstdcat $t/translate-text-to-code-verified.jsonl.zst | jq -e 'has("verdict") and .source_method == "text"' > /dev/null \
  || die "translations not verified"
# the correct translations, with the target method's prompt
assert_eq "$(zstdcat $t/translated.jsonl.zst | wc -l)" \
  "$(zstdcat $t/translate-*-verified.jsonl.zst | jq -c 'select(.reward == 1)' | wc -l)"
zstdcat $t/translated.jsonl.zst | jq -e '(.method == "code" and (.prompt | endswith("\nProgram:\n"))) or
  (.method == "text" and (.prompt | endswith("\nSolution:\n")))' > /dev/null || die "translation prompts"
seed=$(zstdcat x/mmst/data/seed-pairs.jsonl.zst | wc -l)   # the miniature mixes in the seed set (XM_SEED_MIX=1)
assert_eq "$(zstdcat $t/train.jsonl.zst | wc -l)" $(( seed + $(zstdcat $t/kept.jsonl.zst | wc -l) + $(zstdcat $t/translated.jsonl.zst | wc -l) ))
# mmst-capped: per method at most single-method ST's data size
for m in text code; do
  n=$(zstdcat x/mmst-capped/train-$m.jsonl.zst | wc -l)
  [ "$n" -le "$(zstdcat x/st-$m/round-1/kept.jsonl.zst | wc -l)" ] || die "mmst-capped has more $m data than st-$m"
done
assert_eq "$(zstdcat x/mmst-capped/train.jsonl.zst | wc -l)" \
  $(( seed + $(zstdcat x/mmst-capped/train-text.jsonl.zst | wc -l) + $(zstdcat x/mmst-capped/train-code.jsonl.zst | wc -l) ))
grep -q '| mmst-capped |' x/results.md || die "summary"

x > again.log 2>&1 || { tail -20 again.log; die "second run failed"; }
! grep -E '^st-(train|sample|verify|eval) ' again.log || die "a second run rebuilt something"
echo ok
