# st-sample's arguments as users type them, and the same bytes however the tool is started (shell or make).
. "$ST_ROOT/Tests/e2e/lib.sh"
M="$ST_ROOT/Tests/Golden/llama-tiny-gen"
for i in 0 1 2; do echo "{\"id\":\"p$i\",\"prompt\":\"Question: $i + $i =\"}"; done > p.jsonl

# bad sampler values: a usage error naming the value, never a silent fallback
expect_error 64 '--temperature must be a finite number ≥ 0, got -1' st-sample p.jsonl --model "$M" --method raw --temperature -1
expect_error 64 '--temperature must be a finite number ≥ 0, got nan' st-sample p.jsonl --model "$M" --method raw --temperature nan
expect_error 64 '--temperature must be a finite number ≥ 0, got inf' st-sample p.jsonl --model "$M" --method raw --temperature inf
expect_error 64 '--top-p must be in \(0, 1\], got nan' st-sample p.jsonl --model "$M" --method raw --top-p nan
expect_error 64 '-n must be at least 1, got 0' st-sample p.jsonl --model "$M" --method raw -n0
# -n3 is -n 3, and -oFILE is -o FILE
st-sample p.jsonl --model "$M" --method raw -n3 --temperature 1 --max-tokens 8 --seed 2 -oa.jsonl
st-sample p.jsonl --model "$M" --method raw -n 3 --temperature 1 --max-tokens 8 --seed 2 -o b.jsonl
cmp a.jsonl b.jsonl || die "-n3 -oFILE differ from -n 3 -o FILE"
assert_eq "$(wc -l < a.jsonl)" 9

# errors in a method file name the method file and the line of the mistake: a special token the model's
# tokenizer lacks before any problem is read; a field a record lacks at the data line and the template's line
printf 'name: sp\n---\nQ: {prompt}\n{@nosuch}\n' > sp.txt
expect_error 1 "^st-sample: sp.txt:4: unknown special token \{@nosuch\}: the model's tokenizer has no such token$" \
  st-sample p.jsonl --model "$M" --method sp.txt -o x.jsonl
printf 'name: fl\n# answer below\n---\nQ: {prompt}\n\nA: {answer}\n' > fl.txt
expect_error 1 "^st-sample: p.jsonl:1: method fl \(fl.txt:6\) needs field 'answer', which the record lacks$" \
  st-sample p.jsonl --model "$M" --method fl.txt -o x.jsonl
assert_no_file x.jsonl

# The tools choose OpenBLAS's kernels themselves, so an environment's OPENBLAS_CORETYPE (some machines set
# Haswell; make used to export SkylakeX) changes neither bytes nor speed; ST_OPENBLAS_CORETYPE still can.
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
  echo '{"text":"hello world, hello"}' > doc.jsonl
  train() { st-train doc.jsonl --hidden 32 --layers 1 --heads 2 --steps 3 --seed 1 -q -o "$@"; }
  OPENBLAS_CORETYPE=Haswell train m1
  (unset OPENBLAS_CORETYPE; train m2)
  OPENBLAS_CORETYPE=SkylakeX train m3
  ST_OPENBLAS_CORETYPE=Haswell train m4
  cmp m1/model.safetensors m2/model.safetensors || die "OPENBLAS_CORETYPE=Haswell changed st-train's bytes"
  cmp m2/model.safetensors m3/model.safetensors || die "OPENBLAS_CORETYPE=SkylakeX changed st-train's bytes"
  ! cmp -s m2/model.safetensors m4/model.safetensors || die "ST_OPENBLAS_CORETYPE=Haswell was ignored"
fi
# --dtype bf16 and f32: the same bytes for any --batch, --threads and kernel family (ST_KERNELS)
expect_error 64 "--dtype takes f32 or bf16, got 'f16'" st-sample p.jsonl --model "$M" --method raw --dtype f16
sb() { st-sample p.jsonl --model "$M" --method raw -n 2 --temperature 1 --max-tokens 12 --seed 3 --dtype "$@"; }
sb bf16 --batch 5 --threads 2 -o h1.jsonl
sb bf16 --batch 1 --threads 1 -o h2.jsonl
ST_KERNELS=avx2 sb bf16 --batch 3 -o h3.jsonl
ST_KERNELS=portable sb bf16 --batch 2 -o h4.jsonl
ST_KERNELS=portable sb f32 --batch 2 -o f1.jsonl
sb f32 --batch 5 -o f2.jsonl
for f in h2 h3 h4; do cmp h1.jsonl $f.jsonl || die "--dtype bf16: $f.jsonl differs from h1.jsonl"; done
cmp f1.jsonl f2.jsonl || die "--dtype f32: the portable kernels changed the bytes"
echo ok
