# st-filter: --where, caps, dedup, shaping, determinism.
. "$ST_ROOT/Tests/e2e/lib.sh"
cat > s.jsonl <<'J'
{"id":"p1","sample":0,"verdict":"pass","reward":1,"completion":"3 * 12 = 36\n36 + 4 = 40\nAnswer: 40","meta":{"difficulty":2},"tests":["a","b"]}
{"id":"p1","sample":1,"verdict":"pass","reward":1,"completion":"3*12=36\n36+4 = 40\nAnswer: 40","meta":{"difficulty":2},"tests":["a"]}
{"id":"p1","sample":2,"verdict":"fail","reward":0,"completion":"3 * 12 = 35\nAnswer: 39","meta":{"difficulty":2}}
{"id":"p1","sample":3,"verdict":"pass","reward":1,"completion":"12 * 3 = 36\n4 + 36 = 40\nAnswer: 40","meta":{"difficulty":2}}
{"id":"p2","sample":0,"verdict":"pass","reward":1,"completion":"Answer:   SEVEN","meta":{"difficulty":5}}
{"id":"p2","sample":1,"verdict":"pass","reward":1,"completion":"answer: seven","meta":{"difficulty":5}}
{"id":"p2","sample":2,"verdict":"timeout","reward":0,"completion":"while True: pass"}
J
zstd -q s.jsonl
count() { st-filter "$@" s.jsonl.zst | wc -l; }

assert_eq "$(count --where 'verdict == "pass"')" 5
assert_eq "$(count --where 'verdict != "pass"')" 2
assert_eq "$(count --where 'meta.difficulty >= 5')" 2
assert_eq "$(count --where 'meta.difficulty != 2')" 2          # missing field: false whatever the operator
assert_eq "$(count --where 'not exists(meta)')" 1
assert_eq "$(count --where 'tests[1] == "b"')" 1
assert_eq "$(count --where 'len(tests) == 1')" 1
assert_eq "$(count --where 'contains(completion, "Answer: 40") and reward == 1')" 3
assert_eq "$(count --where 'contains(tests, "b")')" 1
assert_eq "$(count --where 'matches(completion, "[Aa]nswer: +[a-zA-Z]+")')" 2
assert_eq "$(count --where '(verdict == "pass" or verdict == "timeout") and len(completion) < 20')" 3
assert_eq "$(count --where 'nosuchfield > 3')" 0
expect_error 1 'invalid --where expression at column 9' st-filter --where 'verdict = "x"' s.jsonl -o o.jsonl
expect_error 1 'invalid --where expression' st-filter --where 'len(' s.jsonl -o o.jsonl
expect_error 1 'invalid regular expression' st-filter --where 'matches(completion, "(")' s.jsonl
assert_no_file o.jsonl

# caps: the first N per group, or N at random (seeded, input order kept)
assert_eq "$(st-filter --by id --cap 2 s.jsonl | jq -c '[.id,.sample]' | tr -d '\n')" '["p1",0]["p1",1]["p2",0]["p2",1]'
st-filter --where 'reward == 1' --by id --cap 2 --cap-pick random --seed 7 s.jsonl -o r1.jsonl
st-filter --where 'reward == 1' --by id --cap 2 --cap-pick random --seed 7 s.jsonl.zst -o r2.jsonl
cmp r1.jsonl r2.jsonl || die "random cap is not deterministic"
assert_eq "$(jq -r .id r1.jsonl | sort | uniq -c | awk '{print $1}' | tr -d '\n')" 22
seen=""; for seed in 1 2 3 4 5 6; do seen="$seen $(st-filter --where 'reward == 1' --by id --cap 1 --cap-pick random --seed $seed s.jsonl | jq -c -s 'map(.sample)')"; done
[ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" -gt 1 ] || die "random cap ignores the seed: $seen"
expect_error 1 's.jsonl:1: no field .nope. \(needed by --by\)' st-filter --by nope --cap 1 s.jsonl

# dedup: exact, normalized, by equations (RFT), and scoped per group
assert_eq "$(count --dedup id)" 2
assert_eq "$(count --dedup-normalized completion)" 6
# p1/0 and p1/1 share equations; p2's two have none (equal empty lists)
assert_eq "$(count --where 'verdict == "pass"' --dedup-equations completion)" 3
assert_eq "$(count --dedup reward)" 2
assert_eq "$(count --by id --dedup reward)" 4

# shaping keeps values byte for byte
assert_eq "$(st-filter --keep-fields id,reward --rename reward=r s.jsonl | head -1)" '{"id":"p1","r":1}'
assert_eq "$(st-filter --drop-fields completion,meta,tests,sample s.jsonl | head -1)" '{"id":"p1","verdict":"pass","reward":1}'
expect_status 64 st-filter --keep-fields a --drop-fields b s.jsonl
expect_status 64 st-filter --dedup a --dedup-normalized b s.jsonl

# help and man page exist and agree on the options
st-filter --help | grep -q -- '--dedup-equations'
grep -q 'dedup\\-equations\|dedup-equations' "$ST_ROOT/man/man1/st-filter.1"
# a --where that cannot mean what was written: a field no record has, a string compared with a number
printf '%s\n' '{"id":"a","verdict":"pass","reward":1}' '{"id":"b","verdict":"fail","reward":0}' > w.jsonl
st-filter --where 'verdct == "pass"' w.jsonl > out.jsonl 2> err
grep -q "warning: --where names 'verdct', which none of the 2 records has" err || die "no warning for a missing field: $(cat err)"
st-filter --where 'reward == "1"' w.jsonl > out.jsonl 2> err
grep -q 'warning: --where compared a string with a number 2 times, first reward (1) == "1"' err || die "no warning for a mixed comparison: $(cat err)"
st-filter --where 'verdict == "pass" and reward == 1' w.jsonl > out.jsonl 2> err
assert_eq "$(cat err)" ""
assert_eq "$(jq -r .id out.jsonl)" a
st-filter -q --where 'verdct == "pass"' w.jsonl --allow-empty > out.jsonl 2> err
assert_eq "$(cat err)" ""
echo ok
