# Rounds from a pretrained model (MODEL=, mk/rounds.mk) with the real SmolLM2-135M-Instruct GGUF: the plan of
# `make -n rounds MODEL=...` (round 0 is the model itself, chat form, fine-tuned from it, the unverified
# control, PROBLEMS= in GSM8K form, LORA= plumbing), the built-in chat methods' answers in the form st-verify
# reads, st-sample's and st-train's progress lines on a terminal (through script) and not elsewhere, and a
# tiny `make rounds MODEL=...` end to end. Skipped, saying so, when the model file is absent.
. "$ST_ROOT/Tests/e2e/lib.sh"
G=${ST_SMOLLM2_GGUF:-}
if [ -z "$G" ] || [ ! -f "$G" ]; then echo "skipped: no SmolLM2 GGUF (run make models)"; exit 0; fi
mk() { make -s --no-print-directory -C "$ST_ROOT" "$@"; }

# The plan: no pre-training and no seed fine-tune; round 0 sampled and evaluated from MODEL with --chat; the
# round trained from MODEL with --chat on prompt_messages; CONTROL=unverified trains on round 1's samples.
plan=$(mk -n "$PWD/p/rounds.json" RUN="$PWD/p" MODEL="$G" CONTROL=unverified)
! grep -qE 'st-train [^|]*(corpus|seed-pairs)' <<< "$plan" || die "a pretrained start pre-trains or fine-tunes on the seed set"
grep -q "st-sample $PWD/p/problems-train.jsonl.zst --model $G --method chat-text --method chat-code .* --chat " <<< "$plan" || die "round 1 does not sample MODEL in chat form"
grep -q "st-sample $PWD/p/problems-eval.jsonl.zst --model $G .* --temperature 0 .* --chat " <<< "$plan" || die "round 0 is not MODEL itself"
grep -q "st-train $PWD/p/round-1/train.jsonl.zst --init $G .* --chat " <<< "$plan" || die "round 1 is not fine-tuned from MODEL with --chat"
grep -q -- '--keep-fields prompt_messages,completion' <<< "$plan" || die "the kept samples are not trained as conversations"
grep -q "st-train $PWD/p/control-unverified/train.jsonl.zst --init $G " <<< "$plan" || die "no unverified-samples control"
grep -q "control-unverified=$PWD/p/control-unverified/eval-verified.jsonl.zst" <<< "$plan" || die "the control is not in the table"
! grep -q -- '--lora' <<< "$plan" || die "--lora without LORA="
grep -q -- "--init $G .* --lora 8 " <<< "$(mk -n "$PWD/p/rounds.json" RUN="$PWD/p" MODEL="$G" LORA=8)" || die "LORA=8 does not reach st-train"
# GSM8K-format files: the held-out problems from EVAL_PROBLEMS_FILE, problems named by their question
printf '{"question": "Q%d?", "answer": "x\\n#### %d"}\n' 1 1 2 2 3 3 > train.jsonl
printf '{"question": "T%d?", "answer": "#### %d"}\n' 1 1 2 2 > test.jsonl
plan=$(mk -n "$PWD/g/rounds.json" RUN="$PWD/g" MODEL="$G" PROBLEMS="$PWD/train.jsonl" EVAL_PROBLEMS_FILE="$PWD/test.jsonl")
grep -q "st-filter --cap 300 $PWD/test.jsonl" <<< "$plan" || die "EVAL_PROBLEMS_FILE is not the held-out set"
grep -q -- '--by question' <<< "$plan" || die "GSM8K problems not grouped by question"
! grep -q 'st-tasks' <<< "$plan" || die "PROBLEMS= still generates st-tasks' data"
expect_error 2 'CONTROL=maybe' make -s --no-print-directory -C "$ST_ROOT" -n rounds RUN="$PWD/p" CONTROL=maybe

# The chat methods on two arithmetic problems, greedy: answers in the form st-verify reads (a number after
# "Answer:", a program that runs and prints), prompt_messages the conversation sent. Run under script, so
# stderr is a terminal and the progress line shows.
cat > p.jsonl <<'EOF'
{"id": "a1", "task": "arith", "question": "Ana buys 2 boxes with 4 apples in each box. How many apples does Ana have now?", "answer": "8"}
{"id": "a2", "task": "arith", "question": "Tom has 9 pens and gives away 3. How many pens does Tom have now?", "answer": "6"}
EOF
script -qec "st-sample p.jsonl --model '$G' --chat --method chat-text --method chat-code --temperature 0 --max-tokens 48 -o s.jsonl" /dev/null > tty.log
grep -q 'st-sample: [0-9]*/4 samples, [0-9]* tokens/s' tty.log || { cat tty.log; die "no progress line on a terminal"; }
st-sample p.jsonl --model "$G" --chat --method chat-text --temperature 0 --max-tokens 48 -o s2.jsonl 2> notty.log
! grep -q 'samples,' notty.log || die "progress printed when stderr is not a terminal"
assert_eq "$(jq -r '.method' s.jsonl | tr '\n' ' ')" "chat-text chat-code chat-text chat-code "
jq -s -e 'map(select(.method == "chat-text") | .completion | test("Answer: *[0-9]")) | any' s.jsonl > /dev/null || die "chat-text: no 'Answer: N'"
jq -s -e 'map(select(.method == "chat-code") | .completion | test("```python\n(.|\n)*print\\(")) | any' s.jsonl > /dev/null || die "chat-code: no python block that prints"
jq -e '. as $r | .prompt_messages[-1].role == "user" and (.prompt_messages[-1].content | contains($r.question))' s.jsonl > /dev/null || die "no prompt_messages"
st-verify s.jsonl -o v.jsonl 2> /dev/null
# greedy, SmolLM2 solves the first (2 * 4) in the asked form; a program runs and prints (right or wrong)
assert_eq "$(jq -r 'select(.id == "a1" and .method == "chat-text") | .verdict' v.jsonl)" pass
jq -s -e 'map(select(.method == "chat-code") | .verdict | IN("pass", "fail")) | any' v.jsonl > /dev/null || die "no chat-code program ran: $(jq -c '[.verdict, .reason]' v.jsonl)"

# st-train --chat on those samples: the conversation sent plus the completion; a progress line on a terminal
jq -c '{prompt_messages, completion}' s.jsonl > t.jsonl
script -qec "st-train t.jsonl --init '$G' --chat --steps 1 --context 256 --batch 2 --lr 1e-5 -o m" /dev/null > train-tty.log
grep -q 'st-train: step 1/1 ' train-tty.log || { cat train-tty.log; die "st-train: no progress line on a terminal"; }
jq -e '.steps == 1' m/st-train.json > /dev/null || die "st-train.json: $(cat m/st-train.json)"

# A tiny round end to end (every sample kept: 8 tokens solve nothing)
tiny=(MODEL="$G" METHODS=chat-text N=2 TRAIN_PROBLEMS=2 EVAL_PROBLEMS=2 MAX_TOKENS=8 STEPS=1 WARMUP=0 CONTEXT=256 BATCH=2
      KEEP_WHERE=true CONTROL=unverified TRAIN_SPLIT=train EVAL_SPLIT=test
      "TASK_FLAGS=--corpus-bytes 20000 --arith-train 4 --arith-val 2 --arith-test 4 --arith-transfer 2 --funcs-train 2 --funcs-val 2 --funcs-test 2 --seed-size 4")
mk "$PWD/r/rounds.json" RUN="$PWD/r" "${tiny[@]}" > r.log 2>&1 || { cat r.log; die "make rounds MODEL= failed"; }
[ ! -e r/base ] && [ ! -e r/round-0/model ] || die "a pretrained start made a base or a round-0 model"
for f in round-0/eval-verified.jsonl.zst round-1/samples.jsonl.zst round-1/train.jsonl.zst round-1/model/config.json \
         round-1/eval-verified.jsonl.zst control-unverified/train.jsonl.zst control-unverified/eval-verified.jsonl.zst rounds.json; do
  [ -s "r/$f" ] || die "missing r/$f"
done
assert_eq "$(zstdcat r/round-1/samples.jsonl.zst | wc -l)" 4
assert_eq "$(zstdcat r/control-unverified/train.jsonl.zst | wc -l)" "$(zstdcat r/round-1/train.jsonl.zst | wc -l)"
jq -e '[.inputs[].label] == ["round-0", "round-1", "control-unverified"]' r/rounds.json > /dev/null || die "rounds.json"
mk -q "$PWD/r/rounds.json" RUN="$PWD/r" "${tiny[@]}" || die "a second run would rebuild something"
echo ok
