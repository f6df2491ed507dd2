# Helpers for end-to-end tests. Source it: . "$ST_ROOT/Tests/e2e/lib.sh"
die() { echo "FAILED: $*" >&2; exit 1; }
# expect_status CODE CMD...: run CMD, require exit status CODE, keep stderr in ./stderr
expect_status() {
  local want=$1; shift
  local got=0
  "$@" 2>stderr >stdout || got=$?
  [ "$got" = "$want" ] || { cat stderr >&2; die "expected exit $want, got $got: $*"; }
}
# expect_error CODE PATTERN CMD...: exit CODE and a one-line stderr matching PATTERN
expect_error() {
  local want=$1 pattern=$2; shift 2
  expect_status "$want" "$@"
  [ "$(wc -l < stderr)" -eq 1 ] || { cat stderr >&2; die "expected a one-line error from: $*"; }
  grep -qE -- "$pattern" stderr || { cat stderr >&2; die "error does not match /$pattern/: $*"; }
}
assert_eq() { [ "$1" = "$2" ] || die "expected [$2], got [$1] ${3:-}"; }
assert_no_file() { for f in "$@"; do [ ! -e "$f" ] || die "file $f should not exist"; done; }
assert_no_temp() { ! ls -a | grep -q '\.tmp\.' || die "temporary files left: $(ls -a | grep '\.tmp\.')"; }
