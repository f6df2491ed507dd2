# LoRA on the real model: the adapter st-train --lora wrote on SmolLM2-135M-Instruct's GGUF
# (Tests/Golden/smollm2-lora, scripts/reference/lora_golden.py --smollm2) gives, through st-eval --loss --chat
# --adapter, the loss PEFT gives with transformers loading the same GGUF, on 10 GSM8K test solutions (1e-4
# relative). Skipped, saying so, without the model file or the GSM8K data.
. "$ST_ROOT/Tests/e2e/lib.sh"
G=${ST_SMOLLM2_GGUF:-}
if [ -z "$G" ] || [ ! -f "$G" ]; then echo "skipped: no SmolLM2 GGUF (run make models)"; exit 0; fi
data="${ST_DATA:-}/gsm8k/test.jsonl"
if [ ! -f "$data" ]; then echo "skipped: no GSM8K data (ST_DATA)"; exit 0; fi
golden=$ST_ROOT/Tests/Golden/smollm2-lora
head -10 "$data" | jq -c '{prompt: .question, completion: .answer}' > pairs.jsonl
st-eval --loss pairs.jsonl --model "$G" --adapter "$golden/adapter" --chat --context 512 --batch 4 -q -o loss.json
jq -e --slurpfile e "$golden/expected.json" '.tokens == $e[0].tokens and ((.loss - $e[0].loss) | fabs) <= 1e-4 * $e[0].loss' \
  loss.json > /dev/null || die "loss $(jq .loss loss.json) over $(jq .tokens loss.json) tokens; PEFT $(jq .loss "$golden/expected.json") over $(jq .tokens "$golden/expected.json")"
# the adapter changes the loss (it is not a no-op), and st-sample takes it
st-eval --loss pairs.jsonl --model "$G" --chat --context 512 --batch 4 -q -o base.json
# (by far more than the tolerance, so the parity above says something)
awk -v a="$(jq .loss base.json)" -v b="$(jq .loss loss.json)" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d > 1e-2 * b) }' \
  || die "the adapter hardly changes the loss: $(jq .loss base.json) without, $(jq .loss loss.json) with"
jq -r .loss base.json
echo '{"question":"What is 2 + 3?"}' > q.jsonl
st-sample q.jsonl --model "$G" --adapter "$golden/adapter" --method text --chat --temperature 0 --max-tokens 8 -q -o s.jsonl
assert_eq "$(wc -l < s.jsonl)" 1
echo ok
