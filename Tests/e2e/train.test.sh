# st-train through the built executable: a complete model directory, learning, determinism for any thread
# count, fine-tuning with validation/best/checkpoints, objectives, and bad input leaving no model directory.
. "$ST_ROOT/Tests/e2e/lib.sh"
TINY="--hidden 32 --layers 2 --heads 2 --context 64 --batch 4"
for i in $(seq 0 19); do echo "{\"prompt\":\"n$i=\",\"completion\":\"$((i * 3))\"}"; done > pairs.jsonl
for i in $(seq 0 29); do echo "{\"text\":\"def f$i(x):\\n    return x * $i\\n\"}"; done | zstd -q -o docs.jsonl.zst

# from scratch: a complete model directory, metrics with the documented fields, a one-line summary
st-train pairs.jsonl $TINY --steps 150 --lr 1e-2 --seed 1 -o m1 2>err
for f in config.json model.safetensors st-tokenizer.json st-train.json metrics.jsonl; do [ -s "m1/$f" ] || die "missing m1/$f"; done
assert_no_file m1.partial
assert_eq "$(wc -l < m1/metrics.jsonl)" 150
jq -e 'has("step") and has("loss") and has("lr") and has("grad_norm") and has("tokens_per_s")' m1/metrics.jsonl >/dev/null
assert_eq "$(wc -l < err)" 1
grep -q '^st-train: 150 steps.*wrote m1$' err || die "summary: $(cat err)"
jq -e '.hidden_size == 32 and .num_hidden_layers == 2 and .architectures == ["LlamaForCausalLM"]' m1/config.json >/dev/null
# it learned the mapping (completion-only loss near zero)
jq -se '.[-1].loss < 0.05' m1/metrics.jsonl >/dev/null || die "did not learn: $(tail -1 m1/metrics.jsonl)"

# bitwise identical for another thread count; another seed gives other weights
st-train pairs.jsonl $TINY --steps 150 --lr 1e-2 --seed 1 --threads 1 -q -o m2
cmp m1/model.safetensors m2/model.safetensors || die "weights differ with --threads 1"
st-train pairs.jsonl $TINY --steps 5 --seed 2 -q -o m3
! cmp -s m1/model.safetensors m3/model.safetensors || die "seed ignored"

# fine-tune: validation, keep best, evenly spaced checkpoints; the output replaces an existing directory
st-train pairs.jsonl --init m1 --context 64 --batch 4 --steps 10 --val pairs.jsonl --val-every 2 --keep best \
  --checkpoints 2 -q -o m3
[ -f m3/checkpoints/step-000005/model.safetensors ] && [ -f m3/checkpoints/step-000010/config.json ] || die "checkpoints missing"
assert_eq "$(jq -s 'map(select(.val_loss)) | length' m3/metrics.jsonl)" 6   # every 2 steps and at checkpoint 5
assert_eq "$(jq -r .weights m3/st-train.json)" best
cmp -s m3/config.json m1/config.json || die "fine-tuned config differs from --init's"

# epochs, padding, objectives mixed per example (prefix-LM and FIM), linear cooldown
st-train docs.jsonl.zst $TINY --epochs 2 --padding -q -o e   # (a one-letter name: NSString.deletingLastPathComponent crashed on it)
assert_eq "$(wc -l < e/metrics.jsonl)" 15       # 30 examples, one per row, 4 rows a step, 2 epochs
st-train docs.jsonl.zst pairs.jsonl $TINY --steps 6 --objective causal:0.4,prefix-lm:0.3,fim:0.3 --fim-spans 2 \
  --schedule linear --min-lr 1e-6 --warmup 2 --val docs.jsonl.zst --val-objective fim --val-every 3 -q -o o1
assert_eq "$(jq -s 'map(select(.val_loss)) | length' o1/metrics.jsonl)" 2
# warmup 1/2, 2/2 of lr, then a straight line down to --min-lr at the last step
assert_eq "$(jq -r '.lr * 1e6 | round' o1/metrics.jsonl | tr '\n' ' ')" "500 1000 1000 667 334 1 "

# over-long examples are truncated or skipped, and reported
python3 -c 'import json; print(json.dumps({"text": "x" * 500})); print(json.dumps({"text": "short"}))' > long.jsonl
st-train long.jsonl $TINY --steps 1 -o t1 2>err
grep -q '^st-train: warning: training: 1 of 2 examples longer than the context (65 tokens): truncated$' err || die "$(cat err)"
st-train long.jsonl $TINY --steps 1 --long skip -o t2 2>err
grep -q 'skipped$' err && assert_eq "$(jq .data_report.skipped_long t2/st-train.json)" 1

# bad input: one line naming the problem, exit 1, no model directory and no working directory
: > empty.jsonl
expect_error 1 '^st-train: empty.jsonl: empty input' st-train empty.jsonl $TINY -o bad
echo '{"prompt":"x"}' > nocomp.jsonl
expect_error 1 "^st-train: nocomp.jsonl:1: example has a 'prompt' but no 'completion'" st-train nocomp.jsonl $TINY -o bad
echo '{"text":"ok"}' > w.jsonl
(cat nocomp.jsonl; echo 'not json'; cat w.jsonl) > mixed.jsonl
st-train mixed.jsonl $TINY --steps 1 --skip-bad -o sb 2>err
assert_eq "$(grep -c 'skipped bad line' err)" 2
assert_eq "$(jq .data_report.skipped_bad sb/st-train.json)" 2
sed 's/"hidden_size": 32/"hidden_size": 64/' m1/config.json > other.json
expect_error 1 'does not match --init m1: hidden_size 64 vs 32' st-train w.jsonl --init m1 --config other.json -o bad
mkdir edited && cp m1/* edited/ && sed -i 's/"hidden_size": 32/"hidden_size": 64/; s/"head_dim": 16/"head_dim": 32/' edited/config.json
expect_error 1 "^st-train: --init: .*model.safetensors: tensor 'model.embed_tokens.weight' has shape \[272, 32\], expected \[272, 64\]" \
  st-train w.jsonl --init edited -o bad
expect_status 64 st-train w.jsonl --init m1 --hidden 64 -o bad
grep -q '^st-train: --hidden cannot be combined with --init' stderr || die "usage error: $(cat stderr)"
assert_no_file bad bad.partial
# a NaN in the weights: the run stops, names the step, keeps the last good state
cp -r m1 nanmodel
python3 - <<'EOF'
import json, struct
p = "nanmodel/model.safetensors"
b = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
s, e = h["model.embed_tokens.weight"]["data_offsets"]
for i in range(256 * 32, 257 * 32):               # the <bos> row
    struct.pack_into("<f", b, 8 + n + s + 4 * i, float("nan"))
open(p, "wb").write(b)
EOF
expect_error 1 'step 1: loss is nan; stopped. The last good state \(step 0\) is kept in bad.partial' \
  st-train w.jsonl --init nanmodel --context 64 --steps 3 -o bad
assert_no_file bad
[ -f bad.partial/state-000000/state.json ] || die "last good state not kept"
rm -rf bad.partial
# a full disk (here a file-size limit): the write error, nothing left behind
expect_error 1 'bad.*(write failed|cannot)' bash -c "ulimit -f 64; st-train pairs.jsonl $TINY --steps 2 -o bad"
assert_no_file bad bad.partial
# SIGTERM: nothing left behind, status 143
st-train docs.jsonl.zst $TINY --steps 100000 -q -o sig 2>/dev/null & pid=$!
for _ in $(seq 100); do [ -d sig.partial ] && break; sleep 0.05; done
sleep 0.3; kill -TERM $pid; st=0; wait $pid || st=$?
assert_eq "$st" 143
assert_no_file sig sig.partial
# a second run writing the same directory is refused while the first is at work
st-train docs.jsonl.zst $TINY --steps 100000 -q -o busy 2>/dev/null & pid=$!
for _ in $(seq 100); do [ -f busy.partial/lock ] && break; sleep 0.05; done
expect_error 1 'busy.partial is in use by another st-train run' st-train docs.jsonl.zst $TINY --steps 1 -o busy
kill -INT $pid; st=0; wait $pid || st=$?
assert_eq "$st" 130
assert_no_file busy busy.partial

# the embedded seed pairs (ReST-EM style fine-tuning data) when st-tasks is built
if command -v st-tasks >/dev/null; then
  st-tasks -o tasks --seed 1 -q --corpus-bytes 20000
  st-train tasks/seed-pairs.jsonl.zst $TINY --context 256 --steps 3 -q -o seedft
  jq -e '.data_report.pairs > 0' seedft/st-train.json >/dev/null
fi
echo ok
