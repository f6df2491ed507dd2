# st-train --lora through the built executables, against PEFT's numbers (Tests/Golden/lora, written by
# scripts/reference/lora_golden.py): st reads PEFT's adapter and gives PEFT's loss; PEFT read st's adapter and
# gave the loss st gives; st-train writes that adapter again; --merge, st-sample --adapter, continuing an
# adapter, kill -9 and --resume (bitwise, with dropout), and the errors.
. "$ST_ROOT/Tests/e2e/lib.sh"
set -euo pipefail
close() { awk -v a="$1" -v b="$2" -v t="${3:-1e-5}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * (1 + (a < 0 ? -a : a))) }'; }
G=$ST_ROOT/Tests/Golden/lora
cp -r "$G/base" base; cp "$G/data.jsonl" data.jsonl
E=$G/expected.json

# the setup itself: st's loss of the base is transformers'
st-eval --loss data.jsonl --context 64 --model base -q > b.json
close "$(jq .loss b.json)" "$(jq .base_loss "$E")" || die "base loss $(jq .loss b.json) vs $(jq .base_loss "$E")"
# st reads the adapter PEFT wrote (nonzero A and B on all seven projections) and gives PEFT's loss
st-eval --loss data.jsonl --context 64 --model base --adapter "$G/peft-adapter" -q > p.json
close "$(jq .loss p.json)" "$(jq .peft_adapter_loss "$E")" || die "peft adapter: $(jq .loss p.json) vs PEFT $(jq .peft_adapter_loss "$E")"
# PEFT read the adapter st-train wrote, and gave the loss st gives
st-eval --loss data.jsonl --context 64 --model base --adapter "$G/st-adapter" -q > s.json
close "$(jq .loss s.json)" "$(jq .st_adapter_loss "$E")" || die "st adapter: $(jq .loss s.json) vs PEFT $(jq .st_adapter_loss "$E")"

# st-train writes that adapter again (the golden's command): PEFT's files, PEFT's names, the same numbers
cmd=$(jq -r .st_train "$E")
$cmd 2>err || die "$(cat err)"
for f in adapter_config.json adapter_model.safetensors st-train.json metrics.jsonl; do [ -f st-adapter/$f ] || die "no $f"; done
assert_no_file st-adapter/model.safetensors st-adapter/config.json
jq -e '.peft_type == "LORA" and .task_type == "CAUSAL_LM" and .r == 4 and .lora_alpha == 8 and .lora_dropout == 0
       and .target_modules == ["q_proj","v_proj","o_proj","down_proj"] and .base_model_name_or_path == "base"
       and .bias == "none" and .fan_in_fan_out == false and .use_rslora == false' st-adapter/adapter_config.json >/dev/null \
  || die "adapter_config.json: $(cat st-adapter/adapter_config.json)"
cmp <(jq -S . st-adapter/adapter_config.json) <(jq -S . "$G/st-adapter/adapter_config.json") || die "adapter_config.json differs from the golden"
st-eval --loss data.jsonl --context 64 --model base --adapter st-adapter -q > s2.json
close "$(jq .loss s2.json)" "$(jq .st_adapter_loss "$E")" 1e-4 || die "retrained adapter: $(jq .loss s2.json) vs $(jq .st_adapter_loss "$E")"
jq -e '.lora.r == 4 and .lora.trainable_parameters == 2 * 4 * (32 + 32 + 32 + 16 + 32 + 32 + 48 + 32)' st-adapter/st-train.json >/dev/null \
  || die "st-train.json: $(jq -c .lora st-adapter/st-train.json)"
st-train data.jsonl --init base --lora 4 --lora-alpha 8 --lora-targets q,v,o,down --steps 6 --lr 2e-2 --batch 2 \
  --context 64 --seed 7 --threads 1 -q -o st-adapter-t1
cmp st-adapter/adapter_model.safetensors st-adapter-t1/adapter_model.safetensors || die "--threads changes the adapter"

# --merge writes a full model with the same loss; st-sample with --adapter samples what the merged model does
st-train --init base --adapter st-adapter --merge -o merged 2>err
grep -q 'wrote merged' err || die "$(cat err)"
[ -f merged/model.safetensors ] && [ -f merged/config.json ] || die "merged model incomplete: $(ls merged)"
st-eval --loss data.jsonl --context 64 --model merged -q > m.json
close "$(jq .loss m.json)" "$(jq .loss s2.json)" || die "merged $(jq .loss m.json) vs adapter $(jq .loss s2.json)"
close "$(jq .loss m.json)" "$(jq .st_adapter_merged_loss "$E")" 1e-4 || die "merged vs PEFT's merge_and_unload"
echo '{"question":"The quick"}' > p.jsonl
st-sample p.jsonl --model base --adapter st-adapter --method text -n 3 --temperature 0.8 --max-tokens 16 -q -o a.jsonl
st-sample p.jsonl --model merged --method text -n 3 --temperature 0.8 --max-tokens 16 -q -o b.jsonl
cmp <(jq -c .completion a.jsonl) <(jq -c .completion b.jsonl) || die "st-sample --adapter differs from the merged model"
jq -r .model a.jsonl | head -1 | grep -q '^base@[0-9a-f]*+st-adapter@[0-9a-f]*$' || die "model field: $(jq -r .model a.jsonl | head -1)"

# an adapter continues training: its settings are kept, it starts where it was
st-train data.jsonl --init base --adapter st-adapter --lora 4 --steps 3 --lr 1e-2 --batch 2 --context 64 \
  --val data.jsonl --keep best --checkpoints 1 -q -o cont
[ -f cont/checkpoints/step-000003/adapter_model.safetensors ] || die "checkpoint: $(ls -R cont/checkpoints)"
jq -e '.r == 4 and .lora_alpha == 8 and .target_modules == ["q_proj","v_proj","o_proj","down_proj"]' cont/adapter_config.json >/dev/null \
  || die "continued: $(cat cont/adapter_config.json)"
first=$(head -1 cont/metrics.jsonl | jq .loss); fresh=$(head -1 st-adapter/metrics.jsonl | jq .loss)
awk -v a="$first" -v b="$fresh" 'BEGIN { exit !(a < b) }' || die "continued run starts at $first, not below the fresh run's $fresh"
expect_error 1 'adapter: st-adapter has r 4, not --lora 8' st-train data.jsonl --init base --adapter st-adapter --lora 8 --steps 1 --context 64 -o bad
assert_no_file bad bad.partial

# kill -9 and --resume: bitwise the same adapter as an uninterrupted run (with dropout: masks are redrawn the same)
for i in $(seq 0 59); do echo "{\"text\":\"example $i: $((i * i)) = $i * $i\"}"; done > docs.jsonl
ARGS="docs.jsonl --init base --lora 2 --lora-dropout 0.1 --steps 60 --save-every 3 --batch 2 --grad-accum 2 --context 48 --lr 1e-2 --seed 3"
st-train $ARGS -q -o ref
# the state holds the adapter and its moments, not the frozen base's
st-train $ARGS -q -o run 2>/dev/null & pid=$!
for _ in $(seq 1000); do ls run.partial 2>/dev/null | grep -qE '^state-0000(0[6-9]|[1-9][0-9])$' && break; sleep 0.01; done
kill -9 $pid; wait $pid 2>/dev/null || true
[ ! -e run ] || die "the run finished before it was killed: make it longer"
state=$(ls -d run.partial/state-* | grep -v tmp | tail -1)
[ -f "$state/adapter_model.safetensors" ] && [ ! -e "$state/model.safetensors" ] || die "state: $(ls "$state")"
[ "$(stat -c %s "$state/optimizer.safetensors")" -lt "$(stat -c %s base/model.safetensors)" ] || die "optimizer state as large as the model"
st-train $ARGS --resume -o run 2>err
grep -q 'resuming run.partial at step' err || die "did not resume: $(cat err)"
cmp ref/adapter_model.safetensors run/adapter_model.safetensors || die "resumed adapter differs from the uninterrupted run"
assert_eq "$(jq -c '[.step, .loss]' run/metrics.jsonl | md5sum)" "$(jq -c '[.step, .loss]' ref/metrics.jsonl | md5sum)"

# errors: one line, exit 1, nothing written
expect_error 1 'lora 0: the rank must be at least 1' st-train data.jsonl --init base --lora 0 --context 64 -o e1
expect_error 1 "lora-targets: unknown LoRA target 'x'" st-train data.jsonl --init base --lora 2 --lora-targets q,x --context 64 -o e2
st-train data.jsonl --hidden 16 --layers 2 --heads 4 --vocab 272 --steps 1 -q -o small
expect_error 1 'adapter: .*has shape \[4, 32\], expected \[4, 16\]' st-eval --loss data.jsonl --context 64 --model small --adapter "$G/peft-adapter"
expect_error 1 'adapter: .*has shape' st-train --init small --adapter "$G/peft-adapter" --merge -o e3
expect_error 1 'has shape' st-sample p.jsonl --model small --adapter "$G/peft-adapter" --method text -o e4.jsonl
expect_error 1 'adapter: base: not a LoRA adapter directory' st-train data.jsonl --init base --adapter base --lora 2 --context 64 -o e5
expect_error 64 'lora-alpha goes with --lora' st-train data.jsonl --init base --lora-alpha 4 -o e6
expect_error 64 '--lora needs the base model' st-train data.jsonl --lora 2 -o e7
assert_no_file e1 e1.partial e2 e2.partial e3 e3.partial e4.jsonl e5 e5.partial e6 e7
echo ok
