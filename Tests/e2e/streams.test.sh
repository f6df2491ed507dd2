# The data plane through st-filter: formats, concatenation, errors, atomic outputs, pipes, signals.
. "$ST_ROOT/Tests/e2e/lib.sh"

for i in $(seq 1 500); do printf '{"id":%d,"text":"caf\\u00e9 \\"%d\\" ü","n":1e400,"big":123456789012345678901}\n' $i $i; done > a.jsonl
zstd -q a.jsonl -o a.jsonl.zst

# zstd and plain in, identical records out; exotic numbers and escapes pass through byte for byte
st-filter a.jsonl.zst > out1.jsonl
cmp out1.jsonl a.jsonl || die "pass-through changed bytes"
st-filter a.jsonl -o out2.jsonl.zst
zstdcat out2.jsonl.zst | cmp - a.jsonl || die ".zst output differs"

# concatenated frames are one stream; several inputs are read in order
cat a.jsonl.zst out2.jsonl.zst > cat.zst
assert_eq "$(st-filter cat.zst | wc -l)" 1000
assert_eq "$(st-filter a.jsonl - < a.jsonl | wc -l)" 1000
assert_eq "$(cat a.jsonl.zst | st-filter | head -1)" "$(head -1 a.jsonl)"

# a truncated zstd file is an error, never a short read; no output file appears
head -c $(( $(wc -c < a.jsonl.zst) - 10 )) a.jsonl.zst > trunc.zst
expect_error 1 'trunc.zst: truncated zstd stream' st-filter trunc.zst -o t.jsonl
assert_no_file t.jsonl; assert_no_temp

# invalid JSON and invalid UTF-8 name file, line and column
printf '{"a":1}\n{"a":[1,}\n' > bad.jsonl
expect_error 1 '^st-filter: bad.jsonl:2:9: unexpected' st-filter bad.jsonl -o o.jsonl
assert_no_file o.jsonl
printf '{"a":1}\n{"a":"\xff"}\n' > badutf.jsonl
expect_error 1 'badutf.jsonl:2:7: invalid UTF-8' st-filter badutf.jsonl

# --skip-bad warns, counts, and goes on
expect_status 0 st-filter --skip-bad bad.jsonl
assert_eq "$(cat stdout)" '{"a":1}'
grep -q 'skipped 1 bad line' stderr || die "no skip count"

# a directory, a missing file, an unwritable folder: one-line errors, exit 1, no output
: > empty.jsonl
# (an empty input is not an error: a warning naming it, and an empty output; --allow-empty silences the warning)
expect_status 0 st-filter empty.jsonl -o e.jsonl
grep -qx 'st-filter: warning: empty.jsonl: empty input (no records)' stderr && [ -f e.jsonl ] && [ ! -s e.jsonl ] || die "empty input: $(cat stderr)"
st-filter --allow-empty empty.jsonl -o allowed.jsonl 2> err && [ -f allowed.jsonl ] && [ ! -s allowed.jsonl ] && [ ! -s err ] || die "--allow-empty"
expect_error 1 'is a directory' st-filter . -o o.jsonl
expect_error 1 'nope.jsonl: No such file' st-filter nope.jsonl -o o.jsonl
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then expect_error 1 'ro/o.jsonl: cannot create output' st-filter a.jsonl -o ro/o.jsonl; fi
expect_error 1 'no/such/dir/o.jsonl: cannot create output' st-filter a.jsonl -o no/such/dir/o.jsonl
assert_no_file o.jsonl; assert_no_temp

# a device or FIFO output is written directly, never replaced by a renamed file
st-filter a.jsonl -o /dev/null
[ -c /dev/null ] || die "/dev/null is no longer a character device"
mkfifo outfifo
cat outfifo > from-fifo.jsonl & reader=$!
st-filter a.jsonl -o outfifo
wait $reader
[ -p outfifo ] || die "the FIFO was replaced"
cmp from-fifo.jsonl a.jsonl || die "FIFO output differs"

# usage errors exit 64
expect_status 64 st-filter --no-such-option a.jsonl

# a closed pipe ends quietly with status 0
for i in $(seq 1 200); do cat a.jsonl; done > big.jsonl
set +o pipefail
st-filter big.jsonl 2>err | head -1 > /dev/null
status=${PIPESTATUS[0]}
set -o pipefail
assert_eq "$status" 0 "(exit status after a closed pipe)"
[ ! -s err ] || die "stderr after a closed pipe: $(cat err)"

# SIGTERM and SIGINT while writing leave no file behind
for sig in TERM INT; do
  rm -f fifo; mkfifo fifo
  exec 3<>fifo
  st-filter fifo -o killed.jsonl.zst & pid=$!
  head -100 a.jsonl >&3
  for _ in $(seq 1 50); do ls -a | grep -q '\.tmp\.' && break; sleep 0.1; done
  ls -a | grep -q '\.tmp\.' || die "no temporary output while running"
  kill -$sig $pid; wait $pid || true
  exec 3>&-
  assert_no_file killed.jsonl.zst; assert_no_temp
done
echo ok
