#!/usr/bin/env bash
# Runs every Tests/e2e/*.test.sh through the built tools, each in a fresh temporary directory.
# Environment for the scripts: ST_ROOT (repository), ST_BIN (built tools, also first on PATH),
# ST_DATA (../shared/data when present). A script passes by exiting 0. Usage: run.sh [NAME-FILTER]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export ST_ROOT=$root
export ST_BIN=${ST_BIN:-$root/.build/release}
export PATH=$ST_BIN:$PATH
[ -d "$root/../shared/data" ] && export ST_DATA=$(cd "$root/../shared/data" && pwd)
passed=0; failed=0; failures=()
for t in "$root"/Tests/e2e/*.test.sh; do
  name=$(basename "$t" .test.sh)
  [ -n "${1:-}" ] && [[ $name != *$1* ]] && continue
  dir=$(mktemp -d)
  start=$(date +%s)
  if (cd "$dir" && bash -euo pipefail "$t") >"$dir.log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"; sed 's/^/    /' "$dir.log" | tail -30
  fi
  rm -rf "$dir" "$dir.log"
done
echo "e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
