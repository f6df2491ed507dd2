# The real model: SmolLM2-135M-Instruct from its GGUF (`make models`), through st-sample --chat and st-eval
# --loss --chat, against transformers loading the same GGUF (scripts/reference/smollm2_golden.py wrote the
# golden): greedy continuations of 20 GSM8K test questions are identical token for token, and the loss of 50
# GSM8K solutions agrees to 1e-4 relative. Skipped, saying so, when the model file is absent.
. "$ST_ROOT/Tests/e2e/lib.sh"
G=${ST_SMOLLM2_GGUF:-}
if [ -z "$G" ] || [ ! -f "$G" ]; then echo "skipped: no SmolLM2 GGUF (run make models)"; exit 0; fi
golden="$ST_ROOT/Tests/Golden/smollm2/gsm8k-greedy.json"
data="${ST_DATA:-}/gsm8k/test.jsonl"

# the question alone as the user message, as the reference's apply_chat_template
printf 'name: question-only\n---\n{question}' > q.method
jq -c '.greedy[] | {id: .question, question}' "$golden" > q.jsonl
n=$(jq '.n_tokens' "$golden")
st-sample q.jsonl --model "$G" --method q.method --chat --temperature 0 --max-tokens "$n" --token-ids --batch 8 -o out.jsonl
assert_eq "$(wc -l < out.jsonl)" 20
# the prompt st renders and tokenizes is transformers' apply_chat_template, id for id
jq -c '.greedy[] | .prompt_ids | length' "$golden" > want-len
jq -c '.prompt_tokens' out.jsonl > got-len
cmp want-len got-len || die "prompt lengths differ from transformers' apply_chat_template"
# greedy continuations: transformers' generate() stops after eos, st-sample before it (eos is not text)
jq -c '.greedy[] | .completion_ids | map(select(. != 2))' "$golden" > want
jq -c '.completion_ids | map(select(. != 2))' out.jsonl > got
if ! cmp -s want got; then
  paste -d'\n' want got | head -6 >&2
  die "greedy continuations differ from transformers' on $(paste want got | awk '$1 != $2' | wc -l) of 20 questions"
fi

# loss on 50 GSM8K solutions, the assistant turn of each (question, answer) conversation
if [ -f "$data" ]; then
  head -50 "$data" | jq -c '{prompt: .question, completion: .answer}' > pairs.jsonl
  st-eval --loss pairs.jsonl --model "$G" --chat --context 512 --batch 4 -q -o loss.json
  want=$(jq '[.losses[].nll] | add' "$golden"); tokens=$(jq '[.losses[].tokens] | add' "$golden")
  jq -e --argjson nll "$want" --argjson n "$tokens" \
    '.tokens == $n and ((.loss - $nll / $n) | fabs) <= 1e-4 * ($nll / $n)' loss.json > /dev/null ||
    die "loss $(jq .loss loss.json) over $(jq .tokens loss.json) tokens; transformers $want / $tokens"
fi
echo ok
