# Assertions, bounded waits and the scratch directory every shell test
# uses; no database, no daemon (tests/integration/lib.sh adds those).
# Sourced, not run. A test gets T_DIR (kept when it fails, removed when it
# passes), numbered "ok N - …" lines, and cleanup however it ends: the
# hooks registered with at_exit, the processes in T_EXTRA_PIDS, and a scan
# of T_DIR for sanitizer reports, which fail the test.

set -u
: "${top_srcdir:?}" "${top_builddir:?}"

T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_DIR="$top_builddir/tests/tmp/$T_NAME.$$"
T_CHECKS=0
T_EXTRA_PIDS=
T_AT_EXIT=

mkdir -p "$T_DIR"

# at_exit FUNCTION — runs FUNCTION when the test ends, before the scratch
# directory is judged; the last registered runs first.
at_exit() {
    T_AT_EXIT="$1 $T_AT_EXIT"
}

# on_failure: what a failed test prints after its first complaint (a test
# may redefine it, for example to show a log).
on_failure() { :; }

t_cleanup() {
    local rc=$? h p
    for h in $T_AT_EXIT; do "$h"; done
    for p in $T_EXTRA_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    # A sanitizer's report (a leak at exit, a bad access, undefined
    # behaviour) in any file of the test fails it, however its programs
    # ended; so does libpq's notice of a result read at a row or column that
    # is not there (a bad index the sanitizers cannot see).
    local san='ERROR: (AddressSanitizer|LeakSanitizer)|\.c:[0-9]+:[0-9]+: runtime error:|(row|column) number -?[0-9]+ is out of range'
    if grep -rqE "$san" "$T_DIR" 2>/dev/null; then
        echo "FAIL: a sanitizer or libpq reported a programming error:" >&2
        grep -rhE -A 25 "$san" "$T_DIR" 2>/dev/null | head -n 80 >&2
        rc=1
    fi
    if { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; } && [ -z "${KEYPROJ_KEEP_TEST_DIR:-}" ]; then
        rm -rf "$T_DIR"
    else
        on_failure
    fi
    exit "$rc"
}
trap t_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    T_CHECKS=$((T_CHECKS + 1))
    echo "ok $T_CHECKS - $*"
}

skip() {
    T_CHECKS=$((T_CHECKS + 1))
    echo "ok $T_CHECKS - # SKIP $*"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    ok "$1"
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
    case "$3" in
        *"$2"*) ok "$1" ;;
        *) fail "$1: expected to find '$2' in: $3" ;;
    esac
}

expect_not_contains() {
    case "$3" in
        *"$2"*) fail "$1: did not expect '$2' in: $3" ;;
        *) ok "$1" ;;
    esac
}

# wait_until SECONDS COMMAND [ARGS…] — runs COMMAND every 50 ms until it
# succeeds (0) or SECONDS of wall time have passed (1). The one way a test
# waits: bounded by time, not by a count of tries that a loaded machine
# outlasts. The bounds are generous; a passing test never waits them out.
wait_until() {
    local limit=$1 deadline
    shift
    deadline=$(( $(date +%s) + limit ))
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        settle 0.05
    done
}

# settle SECONDS — the one place a test lets time pass without waiting for
# an event: before checking that something did NOT happen (a message held
# back, a limit not passed), or to let a process get into the middle of its
# work before it is killed. A slow machine can only make such a check
# weaker, never make a good run fail; what a test waits FOR goes through
# wait_until.
settle() {
    sleep "$1"
}

# is_eq EXPECTED COMMAND [ARGS…] — COMMAND's output is EXPECTED (for wait_until).
is_eq() {
    local want=$1
    shift
    [ "$("$@" 2>/dev/null)" = "$want" ]
}

# in_file PATTERN FILE — FILE has a line matching PATTERN (for wait_until).
in_file() {
    grep -q -- "$1" "$2" 2>/dev/null
}

# field KEY — reads a JSON object on stdin and prints its member KEY.
field() {
    python3 -I -S -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}

# py EXPR — a Python expression over the JSON on stdin (bound to d);
# lists and objects are printed as JSON.
py() {
    python3 -I -S -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r, ensure_ascii=False) if isinstance(r, (dict, list)) else r)' "$1"
}
