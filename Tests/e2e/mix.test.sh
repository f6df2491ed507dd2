# st-mix: proportions, replacement, exhaustion, tagging, buffered shuffle, determinism.
. "$ST_ROOT/Tests/e2e/lib.sh"
for i in $(seq 1 300); do echo "{\"a\":$i}"; done > a.jsonl
for i in $(seq 1 100); do echo "{\"b\":$i}"; done | zstd -q -o b.jsonl.zst

st-mix a.jsonl:0.75 b.jsonl.zst:0.25 --total 200 --seed 1 --tag src -o m.jsonl.zst 2>err
assert_eq "$(zstdcat m.jsonl.zst | jq -r .src | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "150a.jsonl 50b.jsonl.zst "
grep -q 'a.jsonl 150 (75.0%)' err || die "realized proportions not reported: $(cat err)"
# without replacement: no record twice
assert_eq "$(zstdcat m.jsonl.zst | jq -c 'del(.src)' | sort | uniq -d | wc -l)" 0
# same seed, same bytes; another seed, other bytes
st-mix a.jsonl:0.75 b.jsonl.zst:0.25 --total 200 --seed 1 --tag src -o m2.jsonl.zst -q
cmp m.jsonl.zst m2.jsonl.zst || die "not deterministic"
st-mix a.jsonl:0.75 b.jsonl.zst:0.25 --total 200 --seed 2 --tag src -o m3.jsonl.zst -q
! cmp -s m.jsonl.zst m3.jsonl.zst || die "seed ignored"

# a source that runs out is an error naming its size, unless --replacement
expect_error 1 'b.jsonl.zst: has 100 records but 150 were asked for' st-mix a.jsonl b.jsonl.zst --total 300 -o o.jsonl
assert_no_file o.jsonl
st-mix a.jsonl b.jsonl.zst --total 300 --replacement -q -o r.jsonl
assert_eq "$(jq -r 'select(.b) | .b' r.jsonl | sort -u | wc -l)" 100   # every record once, then repeats
assert_eq "$(jq -r 'select(.b) | .b' r.jsonl | wc -l)" 150

# every record once, shuffled: exactly in memory, and through a small buffer
st-mix a.jsonl b.jsonl.zst --seed 3 -q > all.jsonl
assert_eq "$(sort all.jsonl | md5sum)" "$( (cat a.jsonl; zstdcat b.jsonl.zst) | sort | md5sum)"
! cmp -s all.jsonl <(cat a.jsonl; zstdcat b.jsonl.zst) || die "not shuffled"
st-mix a.jsonl b.jsonl.zst --seed 3 --buffer 16 2>err > buf.jsonl
grep -q 'buffered shuffle' err || die "buffered mode not reported"
assert_eq "$(sort buf.jsonl | md5sum)" "$(sort all.jsonl | md5sum)"
expect_status 64 st-mix

# a weight that is not a number is an error, not a path; a path with ':' in it works when the file exists
expect_error 1 "a.jsonl:abc: the weight 'abc' is not a number" st-mix a.jsonl:abc -o w.jsonl
assert_no_file w.jsonl
cp a.jsonl 'x:y.jsonl'
assert_eq "$(st-mix 'x:y.jsonl' -q | wc -l)" 300
# --tag never replaces a field silently
expect_error 1 "a.jsonl:1: the record already has a field 'a' that --tag would replace" st-mix a.jsonl --tag a -o t.jsonl
assert_no_file t.jsonl
assert_eq "$(st-mix a.jsonl --tag a --overwrite-tag -q | jq -r .a | sort -u)" a.jsonl
echo ok
