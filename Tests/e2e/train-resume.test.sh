# st-train --save-every / --resume: kill -9 in the middle of a run, resume, and end with weights bitwise
# identical to an uninterrupted run (objectives mixed, so the random state matters too).
. "$ST_ROOT/Tests/e2e/lib.sh"
for i in $(seq 0 199); do echo "{\"text\":\"example $i: $((i * i)) = $i * $i, and some more words to read\"}"; done > docs.jsonl
SHAPE="--hidden 32 --layers 2 --heads 2 --context 96 --batch 4 --grad-accum 2 --steps 100 --save-every 4
       --objective causal:0.6,fim:0.2,prefix-lm:0.2 --val-every 10 --keep best --seed 5"
ARGS="docs.jsonl --val docs.jsonl $SHAPE"

st-train $ARGS -q -o ref
# interrupted run: wait for a saved state, then kill -9
st-train $ARGS -q -o run 2>/dev/null & pid=$!
for _ in $(seq 500); do ls run.partial 2>/dev/null | grep -qE '^state-0000(0[89]|[1-9][0-9])$' && break; sleep 0.01; done
kill -9 $pid; wait $pid 2>/dev/null || true
[ ! -e run ] || die "the run finished before it was killed: make it longer"
ls run.partial | grep -q '^state-' || die "no saved state to resume"
st-train $ARGS --resume -o run 2>err
grep -q 'resuming run.partial at step' err || die "did not resume: $(cat err)"
cmp ref/model.safetensors run/model.safetensors || die "resumed weights differ from the uninterrupted run"
assert_eq "$(jq -c '[.step, .loss, .val_loss]' run/metrics.jsonl | md5sum)" "$(jq -c '[.step, .loss, .val_loss]' ref/metrics.jsonl | md5sum)"
assert_no_file run.partial

# SIGINT with a saved state: the state is kept and named; a resume with other data is refused; without
# --resume the stale working directory is replaced
st-train $ARGS -q -o run2 2>err & pid=$!
for _ in $(seq 500); do ls run2.partial 2>/dev/null | grep -q '^state-' && break; sleep 0.01; done
kill -INT $pid; st=0; wait $pid || st=$?
assert_eq "$st" 130
grep -qE '^st-train: interrupted; the state of step [0-9]+ is kept in run2.partial: continue with --resume$' err || die "$(cat err)"
head -100 docs.jsonl > half.jsonl
expect_error 1 'resume: run2.partial was made with other data' st-train half.jsonl --val docs.jsonl $SHAPE --resume -o run2
st-train $ARGS -o run2 2>err
grep -q 'replacing run2.partial' err || die "stale working directory not reported: $(cat err)"
assert_no_file run2.partial run2/lock
cmp ref/model.safetensors run2/model.safetensors
echo ok
