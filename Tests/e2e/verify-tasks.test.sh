# st-verify on the project's embedded tasks (st-tasks): the gold text solutions pass with every step right,
# the gold programs print the answer, the function problems' canonical solutions pass their tests, and the
# seed set's text/code training pairs verify as st-sample's methods would produce them.
. "$ST_ROOT/Tests/e2e/lib.sh"
command -v st-tasks >/dev/null || { echo "no st-tasks: skipped"; exit 0; }
st-tasks --arith-train 0 --arith-val 0 --arith-test 60 --arith-transfer 0 --funcs-train 0 --funcs-val 0 \
  --funcs-test 20 --corpus-bytes 1000 -o gen >/dev/null 2>&1 || st-tasks -o gen >/dev/null
st-verify --reference gen/arith-test.jsonl.zst -o text.jsonl
jq -e -s 'length > 0 and all(.[]; .verdict == "pass" and .steps_ok == true)' text.jsonl >/dev/null || die "arith text solutions"
st-verify --task program --completion-field solution_code gen/arith-test.jsonl.zst -o code.jsonl
jq -e -s 'length > 0 and all(.[]; .verdict == "pass" and .extracted == .answer)' code.jsonl >/dev/null || die "arith programs"
st-verify --reference --threads 2 gen/funcs-test.jsonl.zst -o funcs.jsonl
jq -e -s 'length > 0 and all(.[]; .verdict == "pass")' funcs.jsonl >/dev/null || die "function canonical solutions"
# a wrong program and a wrong step are caught (sed -n, not head: a SIGPIPE to zstd fails the script under pipefail)
zstd -dc gen/arith-test.jsonl.zst | sed -n 1p | jq -c '.completion = "print(-1)" | .method = "code"' > wrong.jsonl
assert_eq "$(st-verify wrong.jsonl | jq -r .verdict)" "fail"
