# A miniature self-training round through Make and the built tools: every file of the chain appears and is
# valid, re-running is a no-op, an interrupted run continues to the same result, settings changes rebuild
# only what they shape, and SHARDS with a LAUNCH prefix give the samples of the unsharded run.
. "$ST_ROOT/Tests/e2e/lib.sh"
mini=(ROUNDS=1 CONTROL=1 N=2 TRAIN_PROBLEMS=10 EVAL_PROBLEMS=6 HIDDEN=32 LAYERS=1 HEADS=2 PRETRAIN_STEPS=4 SFT_STEPS=4 STEPS=4
      MAX_TOKENS=32 "TASK_FLAGS=--corpus-bytes 20000 --arith-train 30 --arith-val 4 --arith-test 8 --arith-transfer 16 --funcs-train 4 --funcs-val 2 --funcs-test 2 --seed-size 8")
mk() { make -s --no-print-directory -C "$ST_ROOT" "$@" "${mini[@]}"; }

mk rounds RUN="$PWD/a" > a.log 2>&1 || { cat a.log; die "rounds failed"; }
for f in data/MANIFEST.json corpus.jsonl.zst base/config.json base/model.safetensors round-0/model/config.json \
         round-0/eval-samples.jsonl.zst round-0/eval-verified.jsonl.zst round-0/eval.json \
         round-1/samples.jsonl.zst round-1/verified.jsonl.zst round-1/kept.jsonl.zst round-1/train.jsonl.zst \
         round-1/model/config.json round-1/eval-samples.jsonl.zst round-1/eval-verified.jsonl.zst round-1/eval.json \
         control/model/config.json control/eval.json rounds.json rounds.svg; do
  [ -s "a/$f" ] || die "missing a/$f"
done
for f in a/*.jsonl.zst a/round-*/*.jsonl.zst; do zstdcat "$f" | jq -e . > /dev/null || die "$f is not valid JSON Lines"; done
assert_eq "$(zstdcat a/round-1/samples.jsonl.zst | wc -l)" 40   # 10 problems x 2 methods x N=2
# the default rounds train on the held-out family's problems after the EVAL_PROBLEMS evaluation problems
assert_eq "$(zstdcat a/problems-eval.jsonl.zst | jq -r .id | tr '\n' ' ')" "$(zstdcat a/data/arith-transfer.jsonl.zst | sed -n 1,6p | jq -r .id | tr '\n' ' ')"
assert_eq "$(zstdcat a/problems-train.jsonl.zst | jq -r .id | head -1)" "$(zstdcat a/data/arith-transfer.jsonl.zst | sed -n 7p | jq -r .id)"
assert_eq "$(zstdcat a/round-1/verified.jsonl.zst | jq -r 'has("verdict")' | sort -u)" true
jq -e '[.inputs[].label] == ["round-0", "round-1", "control"]' a/rounds.json > /dev/null || die "rounds.json"
rsvg-convert a/rounds.svg -o a/rounds.png || die "invalid SVG"
grep -q 'round-1' a.log || die "no table printed"

# re-running is a no-op
mk -q "$PWD/a/rounds.json" RUN="$PWD/a" || die "a second run would rebuild something"

# a settings change rebuilds only what it shapes: CAP leaves the samples alone
before=$(stat -c %Y a/round-1/samples.jsonl.zst)
plan=$(mk -n "$PWD/a/rounds.json" RUN="$PWD/a" CAP=1)
! grep -q 'st-sample .*problems-train' <<< "$plan" || die "CAP would resample"
grep -q -- '--cap 1 ' <<< "$plan" || die "CAP change not picked up"

# an interrupted run continues to the same result (every tool writes atomically; runs are seeded)
( mk rounds RUN="$PWD/b" > b.log 2>&1 ) & pid=$!
sleep 1.2; kill -INT $pid 2>/dev/null; wait $pid || true
pkill -INT -f "$PWD/b/" 2>/dev/null || true; sleep 0.2
! find b -name '*.tmp*' -o -name '*.partial' | grep -q . || die "temporary files left after the interrupt: $(find b -name '*.tmp*' -o -name '*.partial')"
mk rounds RUN="$PWD/b" > b2.log 2>&1 || { cat b2.log; die "continuing after the interrupt failed"; }
for f in round-1/samples.jsonl.zst round-1/verified.jsonl.zst round-1/eval-samples.jsonl.zst; do
  assert_eq "$(zstdcat b/$f | jq -c 'del(.runtime_ms)' | md5sum)" "$(zstdcat a/$f | jq -c 'del(.runtime_ms)' | md5sum)" "($f after an interrupt)"
done

# SHARDS=2 through a LAUNCH prefix: every shard job goes through it, and the samples are those of one run
printf '#!/bin/sh\necho "$*" >> "%s/launched"\nexec "$@"\n' "$PWD" > launch.sh; chmod +x launch.sh
mk rounds RUN="$PWD/c" SHARDS=2 LAUNCH="$PWD/launch.sh" > c.log 2>&1 || { cat c.log; die "sharded rounds failed"; }
assert_eq "$(grep -c 'st-sample .*--shard' launched)" 2
assert_eq "$(grep -c 'st-verify' launched)" 2
assert_eq "$(zstdcat c/round-1/samples.jsonl.zst | sort | md5sum)" "$(zstdcat a/round-1/samples.jsonl.zst | sort | md5sum)" "(sharded samples)"
# bad settings: a one-line error before anything runs
expect_error 2 'DEDUP=sometimes: expected exact, equations or none' make -s --no-print-directory -C "$ST_ROOT" -n rounds RUN="$PWD/d" DEDUP=sometimes
expect_error 2 'EVAL_SPLIT=tests: expected one of' make -s --no-print-directory -C "$ST_ROOT" -n rounds RUN="$PWD/d" EVAL_SPLIT=tests
expect_error 2 'INIT=last: expected previous, base or sft' make -s --no-print-directory -C "$ST_ROOT" -n rounds RUN="$PWD/d" INIT=last
assert_no_file d
echo ok
