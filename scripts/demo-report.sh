#!/usr/bin/env bash
# Prints what the data-plane demo made, reading every intermediate file the way a user would.
set -euo pipefail
d=$1
count() { zstdcat "$1" | wc -l | tr -d ' '; }
echo
echo "st data-plane demo (files in $d/; read any of them with: zstdcat FILE | jq)"
printf '  %-22s %6s records  %s\n' samples.jsonl.zst "$(count $d/samples.jsonl.zst)" "synthetic verified samples, 16 per problem"
printf '  %-22s %6s records  %s\n' kept.jsonl.zst "$(count $d/kept.jsonl.zst)" "passing, steps checked, at most 4 per problem (ReST-EM style)"
printf '  %-22s %6s records  %s\n' rft.jsonl.zst "$(count $d/rft.jsonl.zst)" "passing, distinct equation lists per problem (RFT style)"
printf '  %-22s %6s records  %s\n' mix.jsonl.zst "$(count $d/mix.jsonl.zst)" "50/50 seeded mixture of the two, tagged by source"
echo
echo "verdicts in samples:"
zstdcat $d/samples.jsonl.zst | jq -r .verdict | sort | uniq -c | sort -rn | sed 's/^/  /'
echo "mixture by source:"
zstdcat $d/mix.jsonl.zst | jq -r .source | sort | uniq -c | sed 's/^/  /'
echo "one kept record:"
st-filter --cap 1 $d/kept.jsonl.zst | jq -c '{id, sample, verdict, steps_ok, completion: (.completion[:60] + "…")}' | sed 's/^/  /'
