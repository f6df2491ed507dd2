#!/usr/bin/env bash
# st-eval --plot: the SVG renders with a real renderer (rsvg-convert) into a non-trivial image; it has titles
# naming the metrics, error bars for the bootstrap intervals, a fitted y axis (or 0-100 % with --plot-y full),
# escaped labels and a legend; it is deterministic; and a broken SVG is caught by the same check.
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
for text in "by input</text>" "pass@k (%) by input" "rate (%)" "k (samples per problem" "round&lt;1&gt;&amp;" \
            ">coverage@8<" "error bars: 95% bootstrap intervals over problems"; do
  grep -q -- "$text" plot.svg || fail "plot lacks '$text'"
done
# An error bar on every point with an interval: 3 inputs x (greedy-less default: pass@1, pass@8, maj@8,
# coverage@8) on the left, 3 inputs x k = 1, 2, 4, 8 on the right.
bars=$(grep -c 'class="errorbar"' plot.svg)
[ "$bars" -eq 24 ] || fail "expected 24 error bars, found $bars"
# Rendered, the figure is a sizeable image with real content: many colours, not a blank page.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'; }
read -r w h <<< "$(png_size plot.png)"
[ "$w" -ge 800 ] && [ "$h" -ge 300 ] || fail "plot.png is only ${w}x${h}"
[ "$(stat -c %s plot.png)" -gt 20000 ] || fail "plot.png is suspiciously small ($(stat -c %s plot.png) bytes)"
# Same inputs, same bytes.
st-eval 'round<1>&.jsonl' 'round<2>&.jsonl' 'round<3>&.jsonl' --plot again.svg -q > /dev/null
cmp -s plot.svg again.svg || fail "the plot is not deterministic"

# The y axis is fitted to the data by default; --plot-y full draws 0-100 %.
st-eval 'round<1>&.jsonl' 'round<2>&.jsonl' --plot fit.svg --plot-metrics pass@1 -q > /dev/null
st-eval 'round<1>&.jsonl' 'round<2>&.jsonl' --plot full.svg --plot-metrics pass@1 --plot-y full -q > /dev/null
grep -q ">pass@1 (%) by input</text>" fit.svg || fail "title does not name the metric"
# The left panel's y tick labels (the right-aligned labels at the smallest x), bottom to top.
left_ticks() {
  grep -oE '<text x="[0-9.]+" y="[0-9.]+" text-anchor="end" font-size="12">[0-9.]+</text>' "$1" \
    | sed -E 's/<text x="([0-9.]+)".*>([0-9.]+)<\/text>/\1 \2/' | awk 'NR == 1 { x = $1 } $1 == x { printf "%s ", $2 }'
}
[ "$(left_ticks full.svg)" = "0 20 40 60 80 100 " ] || fail "full axis ticks: $(left_ticks full.svg)"
# pass@1 is 40 % and 50 % with intervals 35-45 and 45-55: ticks of 5 from 30 to 60.
[ "$(left_ticks fit.svg)" = "30 35 40 45 50 55 60 " ] || fail "fitted axis ticks: $(left_ticks fit.svg)"
rsvg-convert -o full.png full.svg || fail "rsvg-convert rejects full.svg"
if st-eval 'round<1>&.jsonl' --plot-y full -q > /dev/null 2> err; then fail "--plot-y without --plot accepted"; fi
grep -q "goes with --plot" err || fail "unclear error for --plot-y without --plot: $(cat err)"
if st-eval 'round<1>&.jsonl' --plot x.svg --plot-metrics pass@1,diversity@4 -q > /dev/null 2> err; then
  fail "rates and counts on one axis accepted"
fi
[ ! -e x.svg ] || fail "plot written despite a usage error"

# Many inputs with long labels: labels rotate, the panel widens, the figure still renders.
args=()
for i in $(seq 1 14); do args+=("a-rather-long-run-label-number-$i=round<$(( i % 3 + 1 ))>&.jsonl"); done
st-eval "${args[@]}" --plot many.svg --plot-metrics greedy,pass@1,coverage@8 --bootstrap 100 -q > /dev/null
grep -q 'transform="rotate(-' many.svg || fail "crowded labels are not rotated"
rsvg-convert -o many.png many.svg || fail "rsvg-convert rejects many.svg"

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
