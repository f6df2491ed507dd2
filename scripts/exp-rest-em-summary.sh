#!/usr/bin/env bash
# Summary of experiment 1 (make exp-rest-em) from st-eval's JSON: one markdown table per question.
# Usage: scripts/exp-rest-em-summary.sh DIR   (DIR holds results.json, results-train.json, results-transfer.json)
set -euo pipefail
d=$1
count() { if [ -f "$1" ]; then zstdcat "$1" | wc -l | tr -d ' '; else echo -; fi; }
# pct FILE LABEL KEY: KEY of input LABEL's "all" group in percent, with its 95% interval when there is one
pct() {
  jq -r --arg l "$2" --arg k "$3" '
    def p: if . == null then "-" else (. * 1000 | round / 10 | tostring) end;
    ([.inputs[] | select(.label == $l) | .all][0]) as $a
    | if $a == null then "-" else ($a[$k] | p) + (if $a.ci[$k] then " (" + ($a.ci[$k][0] | p) + "–" + ($a.ci[$k][1] | p) + ")" else "" end) end' "$1"
}
num() { jq -r --arg l "$2" --arg k "$3" '(.inputs[] | select(.label == $l) | .all[$k]) // null | if . == null then "-" else (. * 1000 | round / 10 | tostring) end' "$1"; }
k=$(jq -r '.k | max' "$d/results.json")
# the models in the order the Make file lists them (results.json is built only when every one was evaluated)
models=$(jq -r '[.inputs[].label] | join(" ")' "$d/results.json")

echo "# Experiment 1: ReST-EM ($d)"
echo
echo "Greedy accuracy in percent with 95% bootstrap intervals over problems; train = the training problems the"
echo "model was fine-tuned on, test = held-out test problems, transfer = the held-out story family."
echo "pass@k and maj@k: $k samples per test problem at temperature 1.0, top-p 0.95 (restart and restart-sft arms)."
echo
echo "| model | kept | train | test | transfer | train − test | pass@1 | pass@$k | maj@$k |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $models; do
  arm=${m%-*}; n=${m##*-}
  if [ "$m" = sft ]; then kept="seed set"; else kept=$(count "$d/$arm/round-$n/kept.jsonl.zst"); fi
  tr=$(num "$d/results-train.json" "$m" greedy); te=$(num "$d/results.json" "$m" greedy)
  gap=$(awk -v a="$tr" -v b="$te" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%+.1f", a - b }')
  echo "| $m | $kept | $tr | $(pct "$d/results.json" "$m" greedy) | $(pct "$d/results-transfer.json" "$m" greedy) | $gap |" \
       "$(num "$d/results.json" "$m" pass@1) | $(num "$d/results.json" "$m" "pass@$k") | $(num "$d/results.json" "$m" "maj@$k") |"
done
echo
echo "Test greedy accuracy by difficulty (number of equations), percent (problems):"
echo
levels=$(jq -r '[.inputs[0].by.difficulty | keys[]] | join(" ")' "$d/results.json")
printf '| model |'; for l in $levels; do printf ' d=%s |' "$l"; done; echo
printf '|---|'; for l in $levels; do printf -- '---:|'; done; echo
for m in $models; do
  printf '| %s |' "$m"
  for l in $levels; do
    jq -r --arg m "$m" --arg l "$l" '.inputs[] | select(.label == $m) | .by.difficulty[$l]
      | " \((.greedy // 0) * 1000 | round / 10) (\(.problems)) |"' "$d/results.json" | tr -d '\n'
  done
  echo
done
echo
echo "Differences in test greedy accuracy against sft (percentage points, paired 95% interval):"
echo
jq -r '.differences[] | select(.group == "all") | "- \(.label): \(.greedy * 1000 | round / 10) (\(.ci.greedy[0] * 1000 | round / 10) to \(.ci.greedy[1] * 1000 | round / 10))"' "$d/results.json"
