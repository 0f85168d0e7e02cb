# Shared helpers for end-to-end tests. Source it first:
#   . "$SP_SOURCE_DIR/tests/lib/e2e.sh"
# It makes a fresh $T (temporary directory, removed on exit), and defines:
#   sp ARGS...             run the CLI (under $SP_WRAPPER, e.g. valgrind)
#   expect_rc N CMD...     run CMD, fail unless it exits N; output kept in
#                          $T/out (stdout) and $T/err (stderr)
#   expect_grep PAT FILE   fail unless FILE matches the extended regex PAT
#   fail MSG               report and exit 1
#   skip MSG               the test could not run (a tool is missing): say
#                          SKIP and exit 77, which ctest counts as skipped,
#                          not passed; under CI=true (where scripts/
#                          bootstrap.sh installs every tool) a skip fails,
#                          unless SP_ALLOW_SKIP=1
#   need_tool TOOL WHY     skip unless TOOL is on PATH
set -u
: "${SRCPROOF:?SRCPROOF must name the srcproof binary}"
: "${SP_SOURCE_DIR:?SP_SOURCE_DIR must name the source tree}"
SP_WRAPPER=${SP_WRAPPER:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/sp-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C TZ=UTC
unset SRCPROOF_PASSPHRASE

sp() {
	# shellcheck disable=SC2086
	$SP_WRAPPER "$SRCPROOF" "$@"
}

fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/out" ] && { echo "--- stdout" >&2; head -c 4000 "$T/out" >&2; }
	[ -f "$T/err" ] && { echo "--- stderr" >&2; head -c 4000 "$T/err" >&2; }
	exit 1
}

skip() {
	if [ "${CI:-}" = true ] && [ -z "${SP_ALLOW_SKIP:-}" ]; then
		echo "FAIL: would skip under CI=true (set SP_ALLOW_SKIP=1 to allow): $*" >&2
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed ($2)"
}

expect_rc() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	[ "$rc" -eq "$want" ] || fail "expected exit $want, got $rc: $*"
}

expect_grep() {
	grep -Eq -- "$1" "$2" || fail "'$2' does not match /$1/"
}

expect_no_grep() {
	! grep -Eq -- "$1" "$2" || fail "'$2' unexpectedly matches /$1/"
}
