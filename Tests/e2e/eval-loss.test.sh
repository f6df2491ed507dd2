# st-eval --loss through the built executables: the number equals st-train's own val_loss for the same data
# and model, prompt tokens are not scored, weights and field flags work, any --threads gives the same bytes,
# and bad input is a one-line error with exit 1 and no output file.
. "$ST_ROOT/Tests/e2e/lib.sh"
set -euo pipefail
close() { awk -v a="$1" -v b="$2" -v t="${3:-1e-6}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * (1 + (a < 0 ? -a : a))) }'; }

for i in $(seq 0 19); do echo "{\"prompt\":\"n$i=\",\"completion\":\"$((i * 3))\"}"; done > train.jsonl
{ for i in 20 21 22 23 24; do echo "{\"prompt\":\"n$i=\",\"completion\":\"$((i * 3))\"}"; done
  echo '{"text":"def f(x):\n    return x * 3\n","weight":0.5}'
  echo '{"text":"n25=75 n26=78"}'; } > val.jsonl

# the last val_loss of st-train is the loss of the model it wrote, measured by st-eval with the same layout
st-train train.jsonl --hidden 32 --layers 2 --heads 2 --context 64 --batch 4 --steps 12 --lr 1e-2 \
  --val val.jsonl --val-every 6 -q -o m
val=$(tail -1 m/metrics.jsonl | jq .val_loss)
st-eval --loss val.jsonl --model m --context 64 --batch 4 -o loss.json 2>err
close "$(jq .loss loss.json)" "$val" || die "st-eval loss $(jq .loss loss.json) vs st-train val_loss $val"
jq -e '(.perplexity - (.loss | exp) | fabs) < 1e-9 and .examples == 7 and .pairs == 5 and .documents == 2
       and .truncated == 0 and .skipped_long == 0 and .model == "m" and .data == ["val.jsonl"]' loss.json >/dev/null \
  || die "report: $(cat loss.json)"
# a header and one row on stderr
assert_eq "$(wc -l < err)" 2
head -1 err | grep -q 'loss  *perplexity' || die "table: $(cat err)"
# other batch sizes give the same number up to float rounding
st-eval --loss val.jsonl --model m --context 64 --batch 1 -q > b1.json
close "$(jq .loss b1.json)" "$val" 1e-5 || die "--batch 1: $(jq .loss b1.json) vs $val"

# the same bytes for any thread count; --table puts the table (not the JSON) on stdout
st-eval --loss val.jsonl --model m --threads 1 -q > t1.json
st-eval --loss val.jsonl --model m --threads 2 -q > t2.json
cmp t1.json t2.json || die "--threads changes the result"
st-eval --loss val.jsonl --model m --table > table.txt 2>/dev/null
assert_eq "$(wc -l < table.txt)" 2
grep -q '^m  *val.jsonl ' table.txt || die "table: $(cat table.txt)"

# scored tokens: a pair's completion and <eos> only; a document's text and <eos>
echo '{"prompt":"abc","completion":"de"}' > pair.jsonl
echo '{"text":"abcde"}' > doc.jsonl
assert_eq "$(st-eval --loss pair.jsonl --model m -q | jq .tokens)" 3
assert_eq "$(st-eval --loss doc.jsonl --model m -q | jq .tokens)" 6
# the field flags read other names; the prompt is context, the score is the completion's
echo '{"q":"abc","a":"de"}' > renamed.jsonl
st-eval --loss renamed.jsonl --model m --prompt-field q --completion-field a -q > renamed.json
st-eval --loss pair.jsonl --model m -q > pair.json
assert_eq "$(jq .loss renamed.json)" "$(jq .loss pair.json)"
echo '{"body":"abcde"}' > body.jsonl
assert_eq "$(st-eval --loss body.jsonl --model m --text-field body -q | jq .loss)" \
          "$(st-eval --loss doc.jsonl --model m -q | jq .loss)"

# weights: (1 · Σ nll(A) + 3 · Σ nll(B)) / (nA + 3 nB), from A and B measured alone
echo '{"prompt":"n30=","completion":"90","w":3}' > b.jsonl
cat pair.jsonl b.jsonl > ab.jsonl
la=$(st-eval --loss pair.jsonl --model m -q | jq .loss); lb=$(st-eval --loss b.jsonl --model m -q | jq .loss)
lab=$(st-eval --loss ab.jsonl --model m --weight-field w -q | jq .loss)
close "$lab" "$(awk -v a="$la" -v b="$lb" 'BEGIN { printf "%.17g", (3 * a + 3 * 3 * b) / (3 + 3 * 3) }')" 1e-5 \
  || die "weighted loss $lab from $la and $lb"
# two --loss files are one dataset
st-eval --loss pair.jsonl --loss b.jsonl --model m --weight-field w -q > two.json
close "$(jq .loss two.json)" "$lab" 1e-9 || die "two files: $(jq .loss two.json) vs $lab"

# the context: truncate (default) or skip, reported
python3 -c 'import json; print(json.dumps({"text": "x" * 100})); print(json.dumps({"text": "short"}))' > long.jsonl
st-eval --loss long.jsonl --model m --context 32 -o long.json 2>err
grep -q '^st-eval: warning: 1 of 2 examples longer than the context (33 tokens): truncated$' err || die "$(cat err)"
jq -e '.truncated == 1 and .tokens == 32 + 6 and .context == 32' long.json >/dev/null || die "$(cat long.json)"
st-eval --loss long.jsonl --model m --context 32 --long skip -q > skip.json
jq -e '.skipped_long == 1 and .examples == 1 and .tokens == 6' skip.json >/dev/null || die "$(cat skip.json)"

# bad input: one line naming the file (and line), exit 1, no output file
: > empty.jsonl
expect_error 1 '^st-eval: empty.jsonl: empty input' st-eval --loss empty.jsonl --model m -o out.json
(echo '{"text":"ok"}'; echo '{"prompt":"x"}') > nocomp.jsonl
expect_error 1 "^st-eval: nocomp.jsonl:2: example has a 'prompt' but no 'completion'" st-eval --loss nocomp.jsonl --model m -o out.json
echo '{"text":"ok","weight":0}' > zero.jsonl
expect_error 1 '^st-eval: zero.jsonl: no example to score' st-eval --loss zero.jsonl --model m -o out.json
expect_error 1 '^st-eval: --model: nowhere: not a model directory' st-eval --loss val.jsonl --model nowhere -o out.json
mkdir other && cp m/st-tokenizer.json m/model.safetensors other/
sed 's/"hidden_size": 32/"hidden_size": 64/' m/config.json > other/config.json
expect_error 1 '^st-eval: --model: .*other' st-eval --loss val.jsonl --model other -o out.json
expect_error 1 "^st-eval: --context 4096 exceeds m's max_position_embeddings" st-eval --loss val.jsonl --model m --context 4096 -o out.json
assert_no_file out.json
assert_no_temp
# usage errors: exit 64
expect_status 64 st-eval --loss val.jsonl
expect_status 64 st-eval --model m val.jsonl
expect_status 64 st-eval --loss val.jsonl --model m val.jsonl
expect_status 64 st-eval --loss val.jsonl --model m --k 1
expect_status 64 st-eval --loss val.jsonl --model m --context 0
assert_no_file out.json
