#!/usr/bin/env bash
# Summary of experiment 2 (make exp-mmst) from st-eval's JSON and the training files: markdown tables.
# Usage: scripts/exp-mmst-summary.sh DIR   (DIR holds results.json, results-samples.json and the arms)
set -euo pipefail
d=$1
# cell FILE LABEL GROUP KEY: a metric of a group ("all" or a method) in percent, with its 95% interval
cell() {
  jq -r --arg l "$2" --arg g "$3" --arg k "$4" '
    def p: if . == null then "-" else (. * 1000 | round / 10 | tostring) end;
    (.inputs[] | select(.label == $l)) as $i
    | (if $g == "all" then $i.all else $i.methods[$g] end) as $a
    | if $a == null then "-" else ($a[$k] | p) + (if $a.ci[$k] then " (" + ($a.ci[$k][0] | p) + "–" + ($a.ci[$k][1] | p) + ")" else "" end) end' "$1"
}
corr() {
  jq -r --arg l "$2" '(.inputs[] | select(.label == $l) | .pairs[0]) // null
    | if . == null then "-" else "\(if .correlation == null then "-" else (.correlation * 100 | round / 100 | tostring) end) (\(.only_a)/\(.only_b)/\(.both)/\(.neither))" end' "$1"
}
lines() { if [ -f "$1" ]; then zstdcat "$1" | wc -l | tr -d ' '; else echo -; fi; }
# per-method counts of a file of records with a method field (own samples: text/code; pairs: the target method)
bymethod() { if [ -f "$1" ]; then zstdcat "$1" | jq -r ".$2" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep=", " }'; else echo -; fi; }

echo "# Experiment 2: MMST ($d)"
echo
echo "Greedy accuracy on the held-out test problems, percent with 95% bootstrap intervals over problems."
echo "Correlation: Pearson's r (phi) of per-problem success, text vs code, with the counts of problems solved"
echo "by text only / code only / both / neither."
echo
echo "| arm | text | code | both methods | r(text, code) | self-generated training examples |"
echo "|---|---:|---:|---:|---:|---:|"
for a in base st-text st-code mmst mmst-capped; do
  case $a in
    base) train="seed set" ;;
    mmst-capped) train=$(( $(lines "$d/mmst-capped/train-text.jsonl.zst") + $(lines "$d/mmst-capped/train-code.jsonl.zst") )) ;;
    mmst) train=$(( $(lines "$d/mmst/round-1/kept.jsonl.zst") + $(lines "$d/mmst/round-1/translated.jsonl.zst") )) ;;
    *) train=$(lines "$d/$a/round-1/kept.jsonl.zst") ;;
  esac
  echo "| $a | $(cell "$d/results.json" "$a" text greedy) | $(cell "$d/results.json" "$a" code greedy) |" \
       "$(cell "$d/results.json" "$a" all greedy) | $(corr "$d/results.json" "$a") | $train |"
done
echo
echo "Training examples of mmst by source (own verified samples, and verified translations of the other method's):"
echo
t2c=$(lines "$d/mmst/round-1/translate-text-to-code-verified.jsonl.zst")
c2t=$(lines "$d/mmst/round-1/translate-code-to-text-verified.jsonl.zst")
echo "| source | method trained | examples |"
echo "|---|---|---:|"
zstdcat "$d/mmst/round-1/kept.jsonl.zst" | jq -r .method | sort | uniq -c | while read -r n m; do echo "| own $m samples | $m | $n |"; done
zstdcat "$d/mmst/round-1/translated.jsonl.zst" | jq -r '"\(.source) \(.method)"' | sort | uniq -c \
  | while read -r n s m; do
      if [ "$s" = text-to-code ]; then of=$t2c; else of=$c2t; fi
      echo "| $s translations (correct of $of) | $m | $n |"
    done
echo
echo "mmst-capped drew, per method, as many examples as single-method ST kept (st-text $(lines "$d/st-text/round-1/kept.jsonl.zst")," \
     "st-code $(lines "$d/st-code/round-1/kept.jsonl.zst")): by source $(zstdcat "$d/mmst-capped/train-text.jsonl.zst" "$d/mmst-capped/train-code.jsonl.zst" \
     | jq -r '.source // "own"' | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep=", " }')."
echo
echo "The SFT model's samples of the training problems (the data the arms were trained on):"
echo
jq -r '.inputs[0] as $i | "- accuracy: text \($i.methods.text.accuracy * 1000 | round / 10)%, code \($i.methods.code.accuracy * 1000 | round / 10)%;" +
  " r(text, code) of per-problem success rates = \(if $i.pairs[0].correlation == null then "-" else ($i.pairs[0].correlation * 100 | round / 100 | tostring) end)" +
  " (problems solved by text only \($i.pairs[0].only_a), code only \($i.pairs[0].only_b), both \($i.pairs[0].both), neither \($i.pairs[0].neither))"' "$d/results-samples.json"
echo
echo "Differences against base (percentage points, paired 95% interval):"
echo
jq -r '.differences[] | "- \(.label), \(.group): \(.greedy * 1000 | round / 10) (\(.ci.greedy[0] * 1000 | round / 10) to \(.ci.greedy[1] * 1000 | round / 10))"' "$d/results.json"
