# Tensor library through the release build (tensor-bench): a training step of config S runs, its loss is
# finite and bitwise the same on 1 and 2 threads; the BLAS setup reports its kernels; bad usage exits 64.
. "$ST_ROOT/Tests/e2e/lib.sh"
bench="$ST_BIN/tensor-bench"
[ -x "$bench" ] || die "tensor-bench not built in $ST_BIN"

"$bench" --threads 1 --steps 1 S > one.jsonl || die "tensor-bench failed"
"$bench" --threads 2 --steps 1 S > two.jsonl || die "tensor-bench failed on 2 threads"
l1=$(jq -r .loss one.jsonl); l2=$(jq -r .loss two.jsonl)
assert_eq "$l2" "$l1" "(loss after 3 AdamW steps must not depend on the thread count)"
awk -v l="$l1" 'BEGIN { exit !(l > 4 && l < 7) }' || die "implausible loss $l1 for a byte model at init"
[ "$(jq -r .tokens one.jsonl)" = 2048 ] || die "config S has 16 x 128 tokens"

"$bench" --threads 1 sgemm > sg.jsonl || die "sgemm bench failed"
jq -e '.gflops > 1 and (.core | length > 0)' sg.jsonl > /dev/null || die "bad sgemm report: $(cat sg.jsonl)"

expect_error 64 'tensor-bench: unknown config X' "$bench" X
