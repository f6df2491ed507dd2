# The paper experiments (exp-objectives, exp-code-mix, exp-compute-matched) in miniature through Make and
# the built tools: every arm's files appear, the tables and plots are written by st-eval, the compute-matched
# sample counts follow the parameter ratio and their FLOPs match, and a second run is a no-op.
. "$ST_ROOT/Tests/e2e/lib.sh"
common=(EXP_DATA="$PWD/data" "EXP_TASK_FLAGS=--corpus-bytes 20000 --arith-train 30 --arith-val 4 --arith-test 8 --arith-transfer 4 --funcs-train 4 --funcs-val 2 --funcs-test 6 --seed-size 8")
mk() { make -s --no-print-directory -C "$ST_ROOT" "$@" "${common[@]}"; }

# Experiment 5: three objectives, left-to-right and infill pass rates, held-out code loss.
mk "$PWD/obj/results.json" OBJ_OUT="$PWD/obj" OBJ_HIDDEN=32 OBJ_LAYERS=1 OBJ_HEADS=2 OBJ_CONTEXT=128 OBJ_STEPS=4 \
   OBJ_N=2 OBJ_MAX_TOKENS=16 > obj.log 2>&1 || { cat obj.log; die "exp-objectives failed"; }
for a in causal fim prefix-lm; do
  [ -s obj/$a/model/config.json ] || die "no model for $a"
  assert_eq "$(jq -r .identity.objective obj/$a/model/st-train.json)" "$(case $a in fim) echo causal:0.5,fim:0.5;; *) echo $a;; esac)"
  assert_eq "$(zstdcat obj/$a/l2r-verified.jsonl.zst | jq -r .method | sort | uniq -c | awk '{print $1, $2}')" "18 humaneval"
  assert_eq "$(zstdcat obj/$a/infill-verified.jsonl.zst | jq -r .method | sort -u)" infill
  jq -e '.loss > 0' obj/$a/loss.json > /dev/null || die "no loss for $a"
done
zstdcat obj/causal/infill-verified.jsonl.zst | jq -s -e '.[0].prompt_text | contains("<mask_1>") and endswith("<sep><mask_1>")' > /dev/null \
  || die "infill prompt not in CodeGen2's format"
jq -e '[.inputs[].label] == ["causal", "fim", "prefix-lm"] and (.inputs[0].methods | has("humaneval") and has("infill"))' \
  obj/results.json > /dev/null || die "objectives results.json"
rsvg-convert obj/results.svg -o obj/results.png || die "invalid SVG"
grep -q 'Δ fim - causal' obj/results.txt || die "no table"

# Experiment 4: four code shares and two cooldowns, each fine-tuned on the seed set and measured.
mk "$PWD/cx/results.json" CX_OUT="$PWD/cx" CX_HIDDEN=32 CX_LAYERS=1 CX_HEADS=2 CX_CONTEXT=128 CX_STEPS=10 CX_SFT_STEPS=4 \
   CX_EVAL_PROBLEMS=4 CX_MAX_TOKENS=16 > cx.log 2>&1 || { cat cx.log; die "exp-code-mix failed"; }
assert_eq "$(jq -c '[.inputs[].label]' cx/results.json)" '["code0","code25","code50","code75","cool-text","cool-code"]'
zstdcat data/code-train.jsonl.zst | jq -c . > code-docs
for p in 0 25 50 75; do  # each mixture: as many documents as the text slice, P percent of them code
  n=$(zstdcat data/text-train.jsonl.zst | wc -l)
  assert_eq "$(zstdcat data/corpus-$p.jsonl.zst | wc -l)" "$n"
  c=$(zstdcat data/corpus-$p.jsonl.zst | jq -c . | awk 'NR == FNR { code[$0] = 1; next } ($0 in code) { k++ } END { print k + 0 }' code-docs -)
  awk -v c=$c -v n=$n -v p=$p 'BEGIN { d = c - n * p / 100; exit !(d <= 1 && d >= -1) }' || die "corpus-$p: $c code documents of $n"
done
assert_eq "$(jq -r .schedule.schedule cx/cool-code/base/st-train.json)" linear
assert_eq "$(jq -r .schedule.min_lr cx/cool-code/base/st-train.json)" 1e-06
jq -e '.inputs[0].methods | has("text") and has("code") and has("humaneval")' cx/results.json > /dev/null || die "code-mix methods"
assert_eq "$(wc -l < cx/loss.txt)" 7
rsvg-convert cx/results.svg -o cx/results.png || die "invalid SVG"

# Experiment 3: WC and SE, compute-matched samples, data quality, eight fine-tuned models.
mk "$PWD/cm/results.json" CM_OUT="$PWD/cm" "CM_WC_ARCH=--hidden 32 --layers 1 --heads 2" "CM_SE_ARCH=--hidden 32 --layers 3 --heads 2" \
   "CM_STUDENT_ARCH=--hidden 16 --layers 1 --heads 2" CM_CONTEXT=128 CM_PRETRAIN_STEPS=4 CM_SFT_STEPS=4 CM_TRAIN_PROBLEMS=6 \
   CM_N_SE=2 CM_FT_STEPS=10 CM_EVAL_PROBLEMS=4 CM_VAL_PROBLEMS=4 CM_MAX_TOKENS=16 CM_SEED_MIX=1 CM_FT_FROM=sft > cm.log 2>&1 \
   || { cat cm.log; die "exp-compute-matched failed"; }
n_wc=$(sed 's/.*n_wc=//' cm/n-samples.txt)
ratio=$(sed 's/.*ratio=\([0-9.]*\).*/\1/' cm/n-samples.txt)
assert_eq "$n_wc" "$(awk "BEGIN { printf \"%d\", $ratio * 2 + 0.5 }")"
[ "$n_wc" -ge 4 ] || die "WC draws $n_wc samples per problem for SE's 2 (ratio $ratio)"
assert_eq "$(zstdcat cm/wc-samples.jsonl.zst | wc -l)" $((6 * n_wc))
assert_eq "$(zstdcat cm/se-samples.jsonl.zst | wc -l)" 12
assert_eq "$(zstdcat cm/wc-nm-verified.jsonl.zst | wc -l)" 12
# the paper's cost, 2 x parameters x generated tokens, matches (up to the rounding of n_wc and the lengths drawn)
jq -e '(.[0].generated_flops / .[1].generated_flops) as $r | $r > 0.6 and $r < 1.6' cm/quality.json > /dev/null \
  || die "generated FLOPs far from matched: $(cat cm/quality.json)"
jq -e '.[1].generated_flops == 2 * .[1].params * .[1].completion_tokens and .[1].flops > 0' cm/quality.json > /dev/null || die "compute columns"
assert_eq "$(jq -c '[.[].dataset]' cm/quality.json)" '["se","wc","wc-nm"]'
grep -q 'coverage' cm/quality.txt || die "no quality table"
assert_eq "$(jq -c '[.inputs[].label]' cm/results.json)" \
  '["sampler-wc","sampler-se","student-se","student-wc","student-wc-nm","student-wc-1","self-se","self-wc","w2s-se","w2s-wc"]'
assert_eq "$(jq -r .identity.config.num_hidden_layers cm/ft/w2s-wc/model/st-train.json)" 3
assert_eq "$(jq -r .identity.config.num_hidden_layers cm/ft/self-se/model/st-train.json)" 1
# CM_FT_FROM=sft: each fine-tune starts from its model's seed-set SFT
for f in student-wc:student self-se:wc w2s-wc:se; do
  [[ $(jq -r .init cm/ft/${f%:*}/model/st-train.json) == */cm/${f#*:}/sft ]] || die "${f%:*} does not start from ${f#*:}/sft"
done
jq -e '.val_loss != null' cm/ft/student-wc/model/st-train.json > /dev/null || die "fine-tuning without validation"
for d in 'student-wc - student-se' 'student-wc-nm - student-se' 'student-wc-1 - student-se' 'self-wc - self-se' 'w2s-wc - w2s-se'; do
  grep -q "Δ $d  *all" cm/results.txt || die "no difference $d"
done
rsvg-convert cm/results.svg -o cm/results.png || die "invalid SVG"
rsvg-convert cm/quality.svg -o cm/quality.png || die "invalid SVG"
expect_error 2 'CM_FT_FROM=last: expected base or sft' mk -n exp-compute-matched CM_OUT="$PWD/bad" CM_FT_FROM=last
assert_no_file bad

# a second run is a no-op
mk -q "$PWD/obj/results.json" OBJ_OUT="$PWD/obj" OBJ_HIDDEN=32 OBJ_LAYERS=1 OBJ_HEADS=2 OBJ_CONTEXT=128 OBJ_STEPS=4 OBJ_N=2 OBJ_MAX_TOKENS=16 \
  || die "a second exp-objectives run would rebuild something"
echo ok
