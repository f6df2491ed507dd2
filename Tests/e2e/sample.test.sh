# st-sample through the built tool: greedy equals transformers, byte-identical output for any --batch and
# --threads, shards and --resume reproduce one big run, methods and bad input.
. "$ST_ROOT/Tests/e2e/lib.sh"
M="$ST_ROOT/Tests/Golden/llama-tiny-gen"

# Greedy equals Hugging Face transformers' greedy generation, token for token (golden file).
echo '{"id":"g","prompt":"Question: 2 + 3 ="}' > g.jsonl
st-sample g.jsonl --model "$M" --method raw --temperature 0 --max-tokens 24 --token-ids -o g-out.jsonl
want=$(python3 - "$M/greedy.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
s, e = h["output"]["data_offsets"]
d = b[8 + n + s: 8 + n + e]
print(json.dumps(list(struct.unpack("<%di" % (len(d) // 4), d)), separators=(",", ":")))
PY
)
got=$(jq -c '.completion_ids' g-out.jsonl)
assert_eq "$got" "$want" "(greedy tokens vs transformers)"
jq -e '.prompt_text == .prompt and .finish == "length" and .prompt_tokens == 18 and .completion_tokens == 24 and .method == "raw" and .sample == 0 and (.model | startswith("llama-tiny-gen@")) and .flops > 0' g-out.jsonl > /dev/null || die "fields: $(cat g-out.jsonl)"

# Same seed => same bytes, whatever --batch and --threads
for i in $(seq 0 5); do echo "{\"id\":\"p$i\",\"prompt\":\"Question: $i + $i =\",\"extra\":{\"keep\":[1,2.50]}}"; done > p.jsonl
run() { st-sample p.jsonl --model "$M" --method raw -n 5 --temperature 1 --top-k 40 --top-p 0.95 --max-tokens 20 --seed 7 "$@"; }
run --batch 1 --threads 1 -o b1.jsonl
run --batch 3 --threads 2 -o b3.jsonl
run --batch 64 -v -o b64.jsonl.zst 2> b64.err
cmp b1.jsonl b3.jsonl || die "--batch 1 and --batch 3 differ"
zstdcat b64.jsonl.zst | cmp - b1.jsonl || die "--batch 64 differs"
# -v: where the time went (6 prompts of 18 tokens prefilled once each; every drawn token, <eos> included)
grep -q '^st-sample: prefill: 108 prompt tokens in [0-9.]* s; decode: [0-9]* steps' b64.err || die "-v timing: $(cat b64.err)"
drawn=$(jq -s 'map(.completion_tokens + (if .finish == "stop" then 1 else 0 end)) | add' b1.jsonl)
grep -q "^st-sample: generated $drawn tokens at [0-9]* tokens/s" b64.err || die "-v tokens ($drawn drawn): $(cat b64.err)"
assert_eq "$(wc -l < b1.jsonl)" 30
assert_eq "$(jq -r '[.id, .sample] | @tsv' b1.jsonl | head -3 | tr '\t\n' ':,')" "p0:0,p0:1,p0:2,"
jq -e '.extra == {"keep":[1,2.50]}' b1.jsonl > /dev/null || die "problem fields not kept"
grep -q '"keep":\[1,2.50\]' b1.jsonl || die "number not kept as written"
[ "$(jq -r .completion b1.jsonl | sort -u | wc -l)" -gt 10 ] || die "samples are not diverse"
run --seed 8 --batch 4 -o s8.jsonl
! cmp -s s8.jsonl b1.jsonl || die "--seed ignored"

# Shards partition the problems; together they hold exactly the samples of the one big run
run --shard 0/2 -o sh0.jsonl
run --shard 1/2 -o sh1.jsonl
assert_eq "$(cat sh0.jsonl sh1.jsonl | sort | md5sum)" "$(sort b1.jsonl | md5sum)"
assert_eq "$(jq -r .id sh0.jsonl | sort -u | tr '\n' ' ')" "p0 p2 p4 "

# --resume draws only the missing samples and gives the same file as one run with the larger -n
st-sample p.jsonl --model "$M" --method raw -n 2 --temperature 1 --top-k 40 --top-p 0.95 --max-tokens 20 --seed 7 -o r.jsonl
cp r.jsonl r0.jsonl
run --resume -o r.jsonl
# identical but for flops: the resumed run prefilled again for the missing samples only
assert_eq "$(jq -c 'del(.flops)' r.jsonl | md5sum)" "$(jq -c 'del(.flops)' b1.jsonl | md5sum)" "(--resume vs one run)"
assert_eq "$(jq -c 'select(.sample < 2)' r.jsonl | md5sum)" "$(jq -c 'select(.sample < 2)' r0.jsonl | md5sum)" "(kept samples unchanged)"
expect_error 1 'made with --seed 7' run --resume --seed 9 -o r.jsonl
# (a problem without an id is named by its text: trust.test.sh; with neither, --resume cannot match samples)
jq -c 'del(.id, .prompt)' r.jsonl > noid.jsonl
expect_error 1 'noid.jsonl:1: --resume needs problem ids' run --resume -o noid.jsonl

# Stop strings end a sample (and are cut off); --max-tokens bounds it
st-sample p.jsonl --model "$M" --method raw -n 3 --temperature 1 --max-tokens 30 --stop ' ' --seed 7 -o st.jsonl
jq -s -e '[.[] | select(.finish == "stop") | .completion | contains(" ")] | any | not' st.jsonl > /dev/null || die "stop string kept"
[ "$(jq -r 'select(.finish == "stop") | .id' st.jsonl | wc -l)" -gt 0 ] || die "no sample stopped at ' '"

# A method file with few-shot text, a field, a special token and literal braces
cat > m.method <<'T'
# a user method
name: fewshot
stop: \n
max-tokens: 5
---
Q: 1 + 1 = {{2}}
Q: {prompt}
T
st-sample p.jsonl --model "$M" --method m.method --method raw -n 2 --seed 1 -o mf.jsonl
assert_eq "$(jq -r .method mf.jsonl | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "12fewshot 12raw "
jq -s -e '[.[] | select(.method == "fewshot") | .completion_tokens] | max <= 5' mf.jsonl > /dev/null || die "max-tokens of the method file ignored"

# Bad input: one-line errors, exit 1 (64 for usage), nothing written
echo '{"id":"x"}' > noprompt.jsonl
expect_error 1 'noprompt.jsonl:1: method raw needs field .prompt.' st-sample noprompt.jsonl --model "$M" --method raw -o o.jsonl
expect_error 1 "unknown method 'nope'" st-sample p.jsonl --model "$M" --method nope -o o.jsonl
expect_error 1 'no-such-dir: no such model directory' st-sample p.jsonl --model no-such-dir --method raw -o o.jsonl
mkdir notmodel
expect_error 1 'notmodel: cannot load model' st-sample p.jsonl --model notmodel --method raw -o o.jsonl
python3 -c 'print("{\"id\":\"long\",\"prompt\":\"" + "x" * 80 + "\"}")' > long.jsonl
expect_error 1 "long.jsonl:1: prompt of method raw is 81 tokens, the model's context is 64" st-sample long.jsonl --model "$M" --method raw -o o.jsonl
expect_status 64 st-sample p.jsonl --model "$M" --method raw -n 0
assert_no_file o.jsonl; assert_no_temp
echo ok
