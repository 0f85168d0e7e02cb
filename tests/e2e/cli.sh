# The CLI frame: help, version, usage errors and their exit statuses.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

expect_rc 0 sp --help
expect_grep '^usage: srcproof <command>' "$T/out"
expect_grep 'exit status' "$T/out"

expect_rc 2 sp
expect_grep '^usage: srcproof' "$T/err"

expect_rc 2 sp no-such-command
expect_grep '^srcproof: error: unknown command' "$T/err"
expect_grep '^srcproof: hint: ' "$T/err"

# Untrusted text in an error is escaped before it reaches the terminal.
expect_rc 2 sp "$(printf 'evil\033[31mred')"
expect_no_grep "$(printf '\033')" "$T/err"
expect_grep 'evil\\x1b\[31mred' "$T/err"

expect_rc 0 sp version
expect_grep '^srcproof [0-9]+\.[0-9]+\.[0-9]+' "$T/out"
expect_grep 'OpenSSL 3' "$T/out"

expect_rc 0 sp version --json
jq -e '.schema == "srcproof.version/v1" and (.version | type) == "string"' "$T/out" >/dev/null ||
	fail "version --json is not the documented JSON"

expect_rc 0 sp version --help
expect_grep '^usage: srcproof version' "$T/out"

expect_rc 2 sp version --bogus
expect_grep "^srcproof: error: bad or incomplete option '--bogus'" "$T/err"
expect_grep "^srcproof: hint: try 'srcproof version --help'" "$T/err"

expect_rc 2 sp version extra
expect_grep "unexpected argument 'extra'" "$T/err"
echo "cli: ok"
