# st-tasks: files, manifest, determinism; every gold program prints its answer and every reference
# function passes its tests under Python (the Swift model of the functions agrees with Python).
. "$ST_ROOT/Tests/e2e/lib.sh"
st-tasks -o t1 --corpus-bytes 200000 --seed 5
st-tasks -o t2 --corpus-bytes 200000 --seed 5
for f in t1/*; do cmp "$f" "t2/$(basename "$f")" || die "$f differs between runs"; done
jq -e '.files["arith-train.jsonl.zst"] == 2000 and .files["funcs-test.jsonl.zst"] == 50' t1/MANIFEST.json > /dev/null || die "manifest"
for f in arith-train arith-val arith-test arith-transfer funcs-train funcs-val funcs-test seed seed-pairs corpus-text corpus-code; do
  [ "$(zstdcat t1/$f.jsonl.zst | wc -l)" -gt 0 ] || die "empty $f"
done
zstdcat t1/arith-*.jsonl.zst t1/funcs-*.jsonl.zst t1/seed.jsonl.zst | python3 -c '
import json, sys, io, contextlib
n = 0
for line in sys.stdin:
    r = json.loads(line)
    if r["task"] == "arith":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(r["solution_code"], {})
        assert out.getvalue().strip() == r["answer"], (r["id"], out.getvalue(), r["answer"])
    else:
        env = {}
        exec(r["prompt"] + r["canonical_solution"] + "\n" + r["test"], env)
        env["check"](env[r["entry_point"]])
    n += 1
print(n, "checked")
'
# the code corpus holds train functions only
zstdcat t1/funcs-val.jsonl.zst t1/funcs-test.jsonl.zst | jq -r .entry_point | while read -r e; do
  ! zstdcat t1/corpus-code.jsonl.zst | grep -q "def $e(" || die "test function $e leaked into the code corpus"
done
expect_status 64 st-tasks --max-difficulty 0
echo ok
