# st-sample --prefix-lm: decoding for a model trained with st-train --objective prefix-lm (the prompt attended
# bidirectionally). It changes what the model computes (the samples drawn with one seed, the prefill FLOPs), and
# stays byte-identical across --batch and --threads. The prefill itself is checked against the trainer's
# prefix-LM forward in ModelTests (testPrefixLMPrefill).
. "$ST_ROOT/Tests/e2e/lib.sh"
for i in 1 2 3 4 5 6; do printf '{"text":"def f%d(x):\\n    return x + %d\\n\\nprint(f%d(%d))\\n"}\n' $i $i $i $((i * 7)); done > docs.jsonl
st-train docs.jsonl --objective prefix-lm --hidden 32 --layers 2 --heads 2 --context 64 --batch 2 --steps 6 --seed 3 -q -o m
for i in 1 2 3; do printf '{"id":"p%d","prompt":"def g%d(x):\\n    return"}\n' $i $i; done > problems.jsonl
st-sample problems.jsonl --model m --method raw --temperature 0 --max-tokens 24 --ignore-eos -o causal.jsonl
st-sample problems.jsonl --model m --method raw --temperature 0 --max-tokens 24 --ignore-eos --prefix-lm -o prefix.jsonl
st-sample problems.jsonl --model m --method raw --temperature 0 --max-tokens 24 --ignore-eos --prefix-lm --batch 1 --threads 1 -o prefix-1.jsonl
st-sample problems.jsonl --model m --method raw -n 3 --temperature 1 --max-tokens 24 --prefix-lm --seed 5 --batch 2 -o s-a.jsonl
st-sample problems.jsonl --model m --method raw -n 3 --temperature 1 --max-tokens 24 --prefix-lm --seed 5 --batch 7 --threads 1 -o s-b.jsonl
assert_eq "$(md5sum < prefix-1.jsonl)" "$(md5sum < prefix.jsonl)" "(--prefix-lm greedy across --batch/--threads)"
assert_eq "$(md5sum < s-b.jsonl)" "$(md5sum < s-a.jsonl)" "(--prefix-lm sampled across --batch/--threads)"
st-sample problems.jsonl --model m --method raw -n 3 --temperature 1 --max-tokens 24 --seed 5 -o s-causal.jsonl
[ "$(jq -c '[.completion, .flops]' s-causal.jsonl)" != "$(jq -c '[.completion, .flops]' s-a.jsonl)" ] || die "--prefix-lm samples exactly as causal decoding"
# same number of tokens (--ignore-eos, 24 each): the bidirectional prefill attends L*L positions instead of L(L+1)/2
paste <(jq .flops causal.jsonl) <(jq .flops prefix.jsonl) | awk '{ if (!($2 > $1)) exit 1 }' || die "prefill FLOPs not larger"
st-sample --help | grep -q -- '--prefix-lm' || die "no --prefix-lm in --help"
echo ok
