#!/usr/bin/env bash
# st-eval --plot: the SVG renders with a real renderer (rsvg-convert), has axes labels and a legend, and a
# broken SVG is caught by the same check.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v rsvg-convert > /dev/null || fail "rsvg-convert is missing (Debian package librsvg2-bin)"

for r in 1 2 3; do
  for p in 0 1 2 3 4 5 6 7 8 9; do
    for m in text code; do
      for s in 0 1 2 3 4 5 6 7; do
        v=fail; [ $(( (p * 7 + s * 3 + r * 5) % 10 )) -lt $(( 3 + r )) ] && v=pass
        echo "{\"id\":\"p$p\",\"method\":\"$m\",\"sample\":$s,\"verdict\":\"$v\",\"extracted\":\"$((s % 3))\",\"completion\":\"s$s\"}"
      done
    done
  done > "round<$r>&.jsonl"   # odd characters must be escaped in the SVG
done
st-eval 'round<1>&.jsonl' 'round<2>&.jsonl' 'round<3>&.jsonl' --plot plot.svg -q > /dev/null
[ -s plot.svg ] || fail "no plot written"
rsvg-convert -o plot.png plot.svg || fail "rsvg-convert rejects plot.svg"
[ "$(head -c 8 plot.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "rendering is not a PNG"
for text in "Metrics across inputs" "pass@k" "percent" "k (samples per problem" "round&lt;1&gt;&amp;" "coverage@8"; do
  grep -q -- "$text" plot.svg || fail "plot lacks '$text'"
done

# One input with two methods: pass@k lines per method; chosen metrics only.
st-eval 'round<1>&.jsonl' --plot one.svg --plot-metrics pass@1,maj@4 -q > /dev/null
rsvg-convert -o one.png one.svg || fail "rsvg-convert rejects one.svg"
grep -q "method=code" one.svg || fail "no per-method pass@k line for a single input"
grep -q ">maj@4<" one.svg || fail "--plot-metrics ignored"
! grep -q ">coverage@8<" one.svg || fail "--plot-metrics ignored"

# The check itself catches a broken file.
head -c 300 plot.svg > broken.svg
if rsvg-convert -o broken.png broken.svg 2> /dev/null; then fail "rsvg-convert accepted a truncated SVG"; fi
echo "st-eval plot: ok"
