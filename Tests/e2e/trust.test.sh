# No silent wrong results: the tools' outputs feed each other as documented (st-sample/st-filter records train
# with their prompt, an empty output is a valid input), st-verify infers the task or stops and always reports
# its counts, every built-in method's prompt asks for what its verifier reads, problems without an id are named
# by their content, and method files cannot pose as built-ins.
. "$ST_ROOT/Tests/e2e/lib.sh"
M="$ST_ROOT/Tests/Golden/llama-tiny-gen"
TINY="--hidden 32 --layers 2 --heads 2 --context 64 --batch 4"

# 1. st-train reads st-sample's prompt_text as the prompt (the README's st-train kept.jsonl.zst), and refuses a
# completion without a prompt, naming the field to use
for i in $(seq 0 5); do echo "{\"id\":\"p$i\",\"prompt_text\":\"n$i=\",\"completion\":\"$((i * 3))\",\"verdict\":\"pass\"}"; done > kept.jsonl
for i in $(seq 0 5); do echo "{\"prompt\":\"n$i=\",\"completion\":\"$((i * 3))\"}"; done > pairs.jsonl
st-train kept.jsonl $TINY --steps 3 --seed 1 -q -o from-sample
st-train pairs.jsonl $TINY --steps 3 --seed 1 -q -o from-pairs
cmp from-sample/model.safetensors from-pairs/model.safetensors || die "prompt_text is not trained as the prompt"
jq -e '.data_report.pairs == 6' from-sample/st-train.json >/dev/null || die "$(cat from-sample/st-train.json)"
echo '{"text":"ok"}' > doc.jsonl; echo '{"completion":"42"}' >> doc.jsonl
expect_error 1 "^st-train: doc.jsonl:2: a 'completion' without a prompt: give it as 'prompt' \(or st-sample's 'prompt_text'\)" \
  st-train doc.jsonl $TINY --steps 1 -o bad
expect_error 1 "^st-eval: doc.jsonl:2: a 'completion' without a prompt" st-eval --loss doc.jsonl --model from-pairs -o l.json
assert_no_file bad bad.partial l.json

# 2. st-train -o: a missing parent folder is an error naming it, not created
expect_error 1 "^st-train: no/such/m: cannot create output: no directory no/such$" st-train pairs.jsonl $TINY --steps 1 -o no/such/m
assert_no_file no
touch afile
expect_error 1 "^st-train: afile/m: cannot create output: afile is not a directory$" st-train pairs.jsonl $TINY --steps 1 -o afile/m
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
  expect_error 1 "^st-train: ro/m: cannot create output: ro/m.partial: Permission denied$" st-train pairs.jsonl $TINY --steps 1 -o ro/m
fi

# 3. st-verify without --task: the task inferred from the record's format or method, else an error; always
# a summary of the verdicts on stderr (not with -q)
printf '%s\n' \
  '{"question":"q","answer":"2 + 2 = <<2+2=4>>4\n#### 4","completion":"2 + 2 = 4\n#### 4"}' \
  '{"problem":"p","solution":"so \\boxed{3}","completion":"The answer is $\\boxed{3}$"}' \
  '{"problem":"p","answer":"5","completion":"The answer is 6"}' \
  '{"id":"x","method":"gsm8k","answer":"7","completion":"no marker"}' \
  '{"task_id":"t","prompt":"def f():\n","entry_point":"f","test":"def check(c):\n    assert c() == 1\n","completion":"    return 1\n"}' \
  '{"task_id":1,"test_list":["assert g() == 2"],"test_setup_code":"","completion":"def g():\n    return 2\n"}' > mixed.jsonl
expect_status 0 st-verify mixed.jsonl -o v.jsonl
assert_eq "$(jq -r .verdict v.jsonl | tr '\n' ' ')" "pass pass fail unparsed pass pass "
assert_eq "$(cat stderr)" "st-verify: 6 records: pass 4, fail 1, timeout 0, error 0, unparsed 1; mean reward 0.6667; wrong steps in 0 of 1 checked solutions"
expect_status 0 st-verify -q mixed.jsonl -o v.jsonl
assert_eq "$(cat stderr)" ""
(head -2 mixed.jsonl; echo '{"id":"z","completion":"42"}') > notask.jsonl
expect_error 1 '^st-verify: notask.jsonl:3: no task: .*give --task gsm8k, math, humaneval, mbpp, stdio or program$' st-verify notask.jsonl -o nt.jsonl
expect_error 1 '^st-verify: notask.jsonl:3: no task' st-verify --threads 2 notask.jsonl -o nt.jsonl
assert_no_file nt.jsonl
st-verify --task gsm8k -q notask.jsonl -o nt.jsonl   # --task still decides
if [ -n "${ST_DATA:-}" ]; then
  # the benchmark files as they are: every reference solution passes with no --task
  for f in gsm8k/test.jsonl math500/test.jsonl humaneval/HumanEval.jsonl mbpp/mbpp.jsonl; do
    head -20 "$ST_DATA/$f" > ref.jsonl
    st-verify --reference ref.jsonl -o ref-v.jsonl 2> err
    grep -q '^st-verify: 20 records: pass 20,' err || die "$f without --task: $(cat err)"
  done
fi

# 4. every built-in method's prompt, with a completion in the form it asks for, verifies as pass: prompts from
# st-sample (one token drawn), completions set as a model following the prompt would write them
printf '%s\n' '{"id":"a1","task":"arith","question":"What is 3 + 4?","answer":"7","prompt":"Question: What is 3 + 4?\nSolution:\n"}' > arith.jsonl
printf '%s\n' '{"question":"Tom has 3 apples and buys 4 more. How many apples does he have?","answer":"3 + 4 = <<3+4=7>>7\n#### 7"}' > gsm.jsonl
printf '%s\n' '{"problem":"What is $1 + 1$?","solution":"$1 + 1 = \\boxed{2}$","answer":"2","unique_id":"m/1"}' > math.jsonl
printf '%s\n' '{"task_id":"t/0","prompt":"def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n","entry_point":"add","test":"def check(candidate):\n    assert candidate(2, 3) == 5\n","prefix":"def add(a, b):\n","suffix":"\n\ncheck(add)\n"}' > he.jsonl
printf '%s\n' '{"task_id":2,"text":"Write a function to add two numbers.","test_list":["assert add(2, 3) == 5"],"test_setup_code":"","challenge_test_list":[]}' > mbpp.jsonl
st-train pairs.jsonl --hidden 32 --layers 2 --heads 2 --context 512 --steps 1 -q -o long   # room for few-shot prompts
sample() { st-sample "$1" --model long --method "$2" --temperature 0 --max-tokens 1 -q | jq -c --arg c "$3" '.completion = $c'; }
{
  sample arith.jsonl raw $'3 + 4 = 7\nAnswer: 7'
  sample arith.jsonl text $'3 + 4 = 7\nAnswer: 7'
  sample arith.jsonl code $'x = 3 + 4\nprint(x)'
  echo '{"id":"a1","task":"arith","question":"What is 3 + 4?","answer":"7","method":"text","completion":"3 + 4 = 7\nAnswer: 7"}' > t.jsonl
  sample t.jsonl text-to-code $'x = 3 + 4\nprint(x)'
  echo '{"id":"a1","task":"arith","question":"What is 3 + 4?","answer":"7","method":"code","completion":"x = 3 + 4\nprint(x)"}' > c.jsonl
  sample c.jsonl code-to-text $'3 + 4 = 7\nAnswer: 7'
  sample he.jsonl humaneval $'    return a + b\n'
  sample he.jsonl infill $'    return a + b\n'
  sample gsm.jsonl gsm8k $' Tom has 3 + 4 = 7 apples.\n#### 7'
  sample math.jsonl math $' $1 + 1 = 2$, so the answer is $\\boxed{2}$.'
  sample mbpp.jsonl mbpp $'def add(a, b):\n    return a + b\n'
} > methods.jsonl
assert_eq "$(jq -r .method methods.jsonl | tr '\n' ' ')" "raw text code text-to-code code-to-text humaneval infill gsm8k math mbpp "
# the prompts show the answer forms those completions use
jq -se 'map(select(.method == "gsm8k"))[0].prompt_text | (contains("\n#### 16\n") and endswith("Answer:"))' methods.jsonl >/dev/null || die "gsm8k prompt"
jq -se 'map(select(.method == "math"))[0].prompt_text | (contains("\\boxed{5}") and endswith("Solution:"))' methods.jsonl >/dev/null || die "math prompt"
st-verify -q methods.jsonl -o mv.jsonl
assert_eq "$(jq -r '.method + "=" + .verdict' mv.jsonl | tr '\n' ' ')" \
  "raw=pass text=pass code=pass text-to-code=pass code-to-text=pass humaneval=pass infill=pass gsm8k=pass math=pass mbpp=pass "

# 5. an empty input is a warning and an empty output, in every stream tool; st-train and st-eval still refuse
: > empty.jsonl
for tool in "st-filter" "st-verify" "st-mix" "st-sample --model $M --method raw"; do
  expect_status 0 $tool empty.jsonl -o out.jsonl
  grep -q "^st-[a-z]*: warning: empty.jsonl: empty input (no records)$" stderr || die "$tool: $(cat stderr)"
  [ -f out.jsonl ] && [ ! -s out.jsonl ] || die "$tool: no empty output"
  expect_status 0 $tool -q empty.jsonl -o out.jsonl; assert_eq "$(cat stderr)" "" "($tool -q)"
  rm out.jsonl
done
st-filter --where 'verdict == "nothing"' v.jsonl -q -o none.jsonl.zst
st-filter none.jsonl.zst -q -o none2.jsonl && [ ! -s none2.jsonl ] || die "st-filter refuses its own empty output"
expect_status 0 st-filter --allow-empty empty.jsonl -o out.jsonl; assert_eq "$(cat stderr)" "" "(--allow-empty silences the warning)"
expect_error 1 '^st-train: empty.jsonl: empty input' st-train empty.jsonl $TINY -o bad
expect_error 1 '^st-eval: empty.jsonl: empty input' st-eval empty.jsonl -o bad.json

# 6. problems without an id are named by their content: dropping a line changes no other problem's samples,
# --resume works, and records with ids are named as before
for i in 0 1 2 3; do echo "{\"prompt\":\"Question: $i + $i =\"}"; done > noid.jsonl
s() { st-sample "$@" --model "$M" --method raw -n 2 --temperature 1 --max-tokens 8 --seed 3 -q; }
s noid.jsonl -o all.jsonl
sed 1d noid.jsonl > noid-tail.jsonl
s noid-tail.jsonl -o tail.jsonl
sed 1,2d all.jsonl | cmp - tail.jsonl || die "dropping a problem changed the others' samples"
head -4 all.jsonl > resumed.jsonl
s noid.jsonl --resume -o resumed.jsonl
cmp all.jsonl resumed.jsonl || die "--resume without ids"
for i in 0 1 2 3; do echo "{\"id\":\"p$i\",\"prompt\":\"Question: $i + $i =\"}"; done > ids.jsonl
s ids.jsonl -o ids-out.jsonl
# st-eval groups them by the same names
jq -c '. + {verdict: "pass"}' all.jsonl > ev.jsonl
st-eval ev.jsonl -q -o ev.json
jq -e '.inputs[0].all.problems == 4' ev.json >/dev/null || die "st-eval problems: $(cat ev.json)"

# 7. method files: {@bos} first gives one <bos>; a built-in's name is refused; errors name the method file and line
printf 'name: withbos\n---\n{@bos}{prompt}' > withbos.txt
st-sample ids.jsonl --model "$M" --method withbos.txt --temperature 0 --max-tokens 4 -q -o wb.jsonl
st-sample ids.jsonl --model "$M" --method raw --temperature 0 --max-tokens 4 -q -o raw.jsonl
assert_eq "$(jq -c '[.prompt_tokens, .prompt_text, .completion]' wb.jsonl)" "$(jq -c '[.prompt_tokens, .prompt_text, .completion]' raw.jsonl)"
printf 'name: gsm8k\n---\nQ: {question}\nA:' > mine.txt
expect_error 1 "^st-sample: mine.txt: the method name 'gsm8k' is a built-in's" st-sample gsm.jsonl --model "$M" --method mine.txt -o x.jsonl
printf -- '---\n{question}' > math.txt
expect_error 1 "^st-sample: math.txt: the method name 'math' is a built-in's" st-sample gsm.jsonl --model "$M" --method math.txt -o x.jsonl
printf 'name: broken\nstop: \\n\n---\nQuestion: {question}\nAnswer: {answer\n' > broken.txt
expect_error 1 "^st-sample: broken.txt:5: unclosed '\{' in the template$" st-sample gsm.jsonl --model "$M" --method broken.txt -o x.jsonl
printf 'name: needs\n---\nQuestion: {quest}\n' > needs.txt
expect_error 1 "^st-sample: gsm.jsonl:1: method needs \(needs.txt:3\) needs field 'quest', which the record lacks$" \
  st-sample gsm.jsonl --model "$M" --method needs.txt -o x.jsonl
assert_no_file x.jsonl
echo ok
