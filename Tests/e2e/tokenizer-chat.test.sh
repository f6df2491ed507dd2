# A model with a Hugging Face tokenizer through every tool: st-train builds a tiny random Llama from scratch
# with --tokenizer (vocabulary from the tokenizer, the tokenizer files carried into the model directory),
# trains on {"messages"} records through the chat template, st-sample --chat renders the prompt with it and
# stops on text, st-eval --loss scores the assistant turns; bad input is a one-line error, nothing written.
. "$ST_ROOT/Tests/e2e/lib.sh"
set -euo pipefail

mkdir tok
cp "$ST_ROOT/Tests/TokenizersTests/Golden/starcoder.tokenizer.json" tok/tokenizer.json
jq -n --rawfile t "$ST_ROOT/Tests/ChatTemplateTests/Fixtures/smollm2.jinja" \
  '{bos_token: "<|im_start|>", eos_token: "<|im_end|>", chat_template: $t}' > tok/tokenizer_config.json
echo '{"eos_token_id": [2, 0]}' > tok/generation_config.json

printf '%s\n' '{"text":"def add(a, b):\n    return a + b\n"}' '{"text":"hello world, this is a test"}' > docs.jsonl
st-train docs.jsonl --hidden 32 --layers 1 --heads 2 --steps 2 --tokenizer tok -q -o m
assert_eq "$(jq .vocab_size m/config.json)" 700
assert_eq "$(jq .eos_token_id m/config.json)" 2
for f in tokenizer.json tokenizer_config.json generation_config.json; do cmp tok/$f m/$f || die "m/$f differs"; done
assert_no_file m/st-tokenizer.json

# conversations: loss on the assistant turns only ("hello there<|im_end|>\n" and "4<|im_end|>\n": 9 tokens)
echo '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello there"},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}' > msgs.jsonl
st-train msgs.jsonl --init m --steps 2 -q -o m2
st-eval --loss msgs.jsonl --model m2 -q -o loss.json
jq -e '.tokens == 9 and .examples == 1' loss.json >/dev/null || die "loss report: $(cat loss.json)"
# a pair with --chat is the same conversation shape (user, assistant): "4<|im_end|>\n" is 3 tokens
echo '{"prompt":"2+2?","completion":"4"}' > pair.jsonl
st-eval --loss pair.jsonl --model m2 --chat -q -o pl.json
assert_eq "$(jq .tokens pl.json)" 3

# st-sample --chat: the prompt is the rendered conversation with the generation prompt
printf '%s\n' '{"id":"a","question":"What is 2+2?"}' > q.jsonl
printf 'name: sys\nsystem: Be brief.\n---\nQ: {question}\n' > sys.method
st-sample q.jsonl --model m2 --method sys.method --chat -n 2 --max-tokens 8 --seed 1 -o s.jsonl
assert_eq "$(jq -r .prompt_text s.jsonl | head -7 | tr '\n' '|')" "<|im_start|>system|Be brief.<|im_end|>|<|im_start|>user|Q: What is 2+2?|<|im_end|>|<|im_start|>assistant||"
st-sample q.jsonl --model m2 --method sys.method --chat -n 2 --max-tokens 8 --seed 1 -o s2.jsonl
cmp s.jsonl s2.jsonl || die "st-sample --chat is not deterministic"
# stop strings match decoded text across token boundaries: the completion never contains the stop
st-sample q.jsonl --model m2 --method gsm8k -n 8 --max-tokens 40 --stop e --seed 2 --token-ids -o st.jsonl
jq -e 'select(.finish == "stop") | .completion | contains("e") | not' st.jsonl >/dev/null || die "a stop string left in: $(cat st.jsonl)"
[ "$(jq -s 'map(select(.finish == "stop")) | length' st.jsonl)" -gt 0 ] || die "no sample stopped at 'e'"

# bad input: one line, exit 1, nothing written
mkdir nochat && cp m/config.json m/model.safetensors m/tokenizer.json nochat/
expect_error 1 'no chat template' st-sample q.jsonl --model nochat --method gsm8k --chat -o bad.jsonl
assert_no_file bad.jsonl
echo '{"messages":[{"role":"user"}]}' > msgs-bad.jsonl
expect_error 1 "msgs-bad.jsonl:1: .*message 1: no 'content'" st-train msgs-bad.jsonl --init m --steps 1 -q -o bad
assert_no_file bad bad.partial
expect_error 1 "needs a chat template" st-train msgs.jsonl --hidden 32 --layers 1 --heads 2 --steps 1 -q -o bad
jq '.chat_template = "{% for %}"' tok/tokenizer_config.json > c.json && cp -r tok badtok && mv c.json badtok/tokenizer_config.json
expect_error 1 "badtok/tokenizer_config.json: chat template" st-train docs.jsonl --hidden 32 --layers 1 --heads 2 --steps 1 --tokenizer badtok -q -o bad
assert_no_file bad
