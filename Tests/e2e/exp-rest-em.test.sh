# Experiment 1 (make exp-rest-em) in miniature: every arm runs through Make and the built tools, the arms share
# one base and round-0 model, each arm is what it claims (restart from the base or from the SFT model, continue
# from the previous iterate, 3x samples, RFT's dedup by equations plus the seed set), st-eval writes the tables and plots, and a
# second run rebuilds nothing.
. "$ST_ROOT/Tests/e2e/lib.sh"
mini="HIDDEN=32 LAYERS=1 HEADS=2 PRETRAIN_STEPS=4 SFT_STEPS=6 STEPS=4 MAX_TOKENS=32 TRAIN_PROBLEMS=8 EVAL_PROBLEMS=5 'TASK_FLAGS=--corpus-bytes 20000 --arith-train 30 --arith-val 4 --arith-test 8 --arith-transfer 6 --funcs-train 4 --funcs-val 2 --funcs-test 2 --seed-size 8'"
x() { make -s --no-print-directory -C "$ST_ROOT" exp-rest-em XR="$PWD/x" XR_SET="$mini" XR_N=2 XR_CAP=1 XR_K=2 XR_SEED_MIX=1 "$@"; }

# make -n prints the whole plan before anything is made
x -n > plan.log 2>&1 || { tail -5 plan.log; die "make -n exp-rest-em failed"; }
grep -q "st-train" plan.log || die "make -n exp-rest-em printed no plan"

x > run.log 2>&1 || { tail -40 run.log; die "exp-rest-em failed"; }
for f in results.json results-train.json results-transfer.json results.svg results-train.svg results-transfer.svg \
         results-test.txt results.md restart/round-3/model/config.json continue/round-3/model/config.json \
         restart-sft/round-3/model/config.json x3/round-1/model/config.json rft/round-1/model/config.json \
         restart/round-3/eval-passk-verified.jsonl.zst; do
  [ -s "x/$f" ] || die "missing x/$f"
done
rsvg-convert x/results.svg -o x/results.png || die "invalid SVG"
assert_eq "$(jq -r '[.inputs[].label] | join(" ")' x/results.json)" \
  "sft restart-1 restart-2 restart-3 continue-1 continue-2 continue-3 restart-sft-1 restart-sft-2 restart-sft-3 x3-1 rft-1"
assert_eq "$(jq -r '.k | join(",")' x/results.json)" "1,2"
# restart and restart-sft models are also sampled (2 per problem) for pass@k; the other arms only greedily
assert_eq "$(jq '.inputs[1].all.n_max' x/results.json)" 2
jq -e '[.inputs[] | select(.all["pass@2"] != null) | .label] == ["sft", "restart-1", "restart-2", "restart-3", "restart-sft-1", "restart-sft-2", "restart-sft-3"]' \
  x/results.json > /dev/null || die "pass@2 for exactly sft, restart and restart-sft"
jq -e '.inputs[0].by.difficulty | length > 0' x/results.json > /dev/null || die "no accuracy by difficulty"
assert_eq "$(jq '.inputs | length' x/results-train.json)" 12
assert_eq "$(jq '.inputs[0].all.problems' x/results-train.json)" 8     # the training problems themselves
assert_eq "$(jq -r '.inputs[0].all.problems' x/results-transfer.json)" 5
assert_eq "$(zstdcat x/rft/round-1/eval-transfer-verified.jsonl.zst | jq -r .split | sort -u)" transfer
grep -q '| restart-3 |' x/results.md || die "summary"

# one base and round-0 model for every arm (hard links), and each arm's M-step starts where it should
assert_eq "$(stat -c %i x/continue/round-0/model/model.safetensors)" "$(stat -c %i x/restart/round-0/model/model.safetensors)"
init() { jq -r .init "x/$1/st-train.json"; }
[[ $(init restart/round-3/model) == */restart/base ]] || die "restart iterates do not start from the base: $(init restart/round-3/model)"
[[ $(init continue/round-3/model) == */continue/round-2/model ]] || die "continue does not start from the previous iterate"
[[ $(init continue/round-1/model) == */continue/round-0/model ]] || die "continue's first iterate does not start from the SFT model"
[[ $(init restart-sft/round-3/model) == */restart-sft/round-0/model ]] || die "restart-sft iterates do not start from the SFT model"
assert_eq "$(stat -c %i x/restart-sft/round-1/samples.jsonl.zst)" "$(stat -c %i x/restart/round-1/samples.jsonl.zst)"
# restart-sft's first iterate is continue's (same start, data and seed): the same bytes, trained twice
cmp -s x/restart-sft/round-1/model/model.safetensors x/continue/round-1/model/model.safetensors || die "restart-sft-1 != continue-1"
# iterations train STEPS; RFT trains the base SFT_STEPS, as the seed-set SFT it is compared with
assert_eq "$(jq .steps x/restart/round-1/model/st-train.json) $(jq .steps x/rft/round-1/model/st-train.json)" "4 6"
assert_eq "$(zstdcat x/x3/round-1/samples.jsonl.zst | wc -l)" 48         # 8 problems x 3 x 2 samples
assert_eq "$(zstdcat x/restart/round-1/samples.jsonl.zst | jq -r .method | sort -u)" text
# at most XR_CAP kept per problem; training sets are the kept samples plus (XR_SEED_MIX=1, as the miniature
# keeps next to nothing) the seed set
assert_eq "$(zstdcat x/restart/round-1/kept.jsonl.zst | jq -r .id | sort | uniq -c | awk '$1 > 1' | wc -l)" 0
seed=$(zstdcat x/rft/data/seed-pairs.jsonl.zst | wc -l)
assert_eq "$(zstdcat x/restart/round-1/train.jsonl.zst | wc -l)" $((seed + $(zstdcat x/restart/round-1/kept.jsonl.zst | wc -l)))
# RFT: every kept sample passed with every step right, one per distinct equation list, plus the seed set
assert_eq "$(zstdcat x/rft/round-1/kept.jsonl.zst | jq -c 'select(.reward != 1 or .steps_ok != true)' | wc -l)" 0
assert_eq "$(zstdcat x/rft/round-1/train.jsonl.zst | wc -l)" $((seed + $(zstdcat x/rft/round-1/kept.jsonl.zst | wc -l)))

# a second run trains, samples and evaluates nothing
x > again.log 2>&1 || { tail -20 again.log; die "second run failed"; }
! grep -E '^st-(train|sample|verify|eval) ' again.log || die "a second run rebuilt something"
echo ok
