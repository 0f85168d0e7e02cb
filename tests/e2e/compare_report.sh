# srcproof compare --report: text, self-contained HTML with escaped strings,
# JSON; the optional diffoscope run (a stand-in script here) with its
# timeout and output cap; usage errors.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_pe.sh" "${SP_BINARY_DIR:-$T}/fixtures/pe") ||
	fail "cannot build the PE fixtures"

expect_rc 0 sp compare --report "$T/r1" "$F/snn64.exe" "$F/u64.exe"
for f in report.txt report.html result.json; do
	[ -s "$T/r1/$f" ] || fail "--report did not write $f"
done
expect_grep '^verdict +IDENTICAL_MODULO_SIGNATURE' "$T/r1/report.txt"
expect_grep 'id="verdict">IDENTICAL_MODULO_SIGNATURE<' "$T/r1/report.html"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE"' "$T/r1/result.json" >/dev/null ||
	fail "result.json is wrong"
# The signer's subject holds '<Vendor> & Co': escaped in HTML.
expect_grep 'Test &lt;Vendor&gt; &amp; Co' "$T/r1/report.html"
expect_no_grep '<Vendor>' "$T/r1/report.html"
# Self-contained: no scripts, no external resources.
expect_no_grep '<script|src=|<link|https?://|url\(' "$T/r1/report.html"
expect_grep "default-src 'none'" "$T/r1/report.html"

# Hostile file name: escaped everywhere.
evil="$T/<b>evil"$'\033'"[31m.exe"
cp "$F/t_text.exe" "$evil"
expect_rc 1 sp compare --report "$T/r2" "$evil" "$F/u64.exe"
expect_no_grep $'\033' "$T/out"
expect_no_grep '<b>evil' "$T/r2/report.html"
expect_grep '&lt;b&gt;evil(\\)+x1b\[31m' "$T/r2/report.html"
expect_grep 'id="verdict">DIFFERENT<' "$T/r2/report.html"
expect_grep "section &#39;\.text&#39;|section '\.text'" "$T/r2/report.html"

# diffoscope: not installed -> reported, verdict unchanged.
mkdir -p "$T/bin"
PATH_SAVE=$PATH
export PATH="$T/bin:/usr/bin:/bin"
if ! command -v diffoscope >/dev/null; then
	expect_rc 1 sp compare --json --diffoscope --report "$T/r3" "$F/t_text.exe" "$F/u64.exe"
	jq -e '.verdict == "DIFFERENT" and .diffoscope.status == "not-installed"' "$T/out" >/dev/null ||
		fail "missing diffoscope not reported"
fi
# A stand-in diffoscope that writes a report.
cat >"$T/bin/diffoscope" <<'SH'
#!/bin/sh
while [ $# -gt 0 ]; do
	case $1 in --text) txt=$2; shift ;; --json) js=$2; shift ;; --) shift; break ;; esac
	shift
done
case ${FAKE_DIFFOSCOPE:-report} in
report) echo "--- $1" >"$txt"; echo "+++ $2" >>"$txt"; echo '{}' >"$js"; exit 1 ;;
sleep) sleep 60 & wait; exit 0 ;;
flood) yes flood >"$txt"; exit 1 ;;
tmpdir) echo "$TMPDIR" >"$txt"; [ -d "$TMPDIR" ] || exit 2; exit 0 ;;
esac
SH
chmod +x "$T/bin/diffoscope"
expect_rc 1 sp compare --json --diffoscope --report "$T/r4" "$F/t_text.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and .diffoscope.status == "differences"
  and .diffoscope.text_report == "diffoscope.txt"' "$T/out" >/dev/null ||
	fail "diffoscope report not linked"
[ -s "$T/r4/diffoscope.txt" ] || fail "diffoscope output missing"
expect_grep 'href="diffoscope.txt"' "$T/r4/report.html"
# Not run for a match.
expect_rc 0 sp compare --json --diffoscope --report "$T/r5" "$F/s64.exe" "$F/u64.exe"
jq -e '.diffoscope == null' "$T/out" >/dev/null || fail "diffoscope run for a match"
# Timeout: the whole process group is killed.
FAKE_DIFFOSCOPE=sleep expect_rc 1 sp compare --json --diffoscope --diffoscope-timeout 1 \
	--report "$T/r6" "$F/t_text.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and .diffoscope.status == "timeout" and .diffoscope.seconds < 20' \
	"$T/out" >/dev/null || fail "diffoscope timeout not enforced"
# Output cap (RLIMIT_FSIZE).
FAKE_DIFFOSCOPE=flood expect_rc 1 sp compare --json --diffoscope --report "$T/r7" \
	--diffoscope-max-output 65536 \
	"$F/t_text.exe" "$F/u64.exe"
jq -e '.diffoscope.status == "output-cap"' "$T/out" >/dev/null || fail "output cap not enforced"
[ "$(wc -c <"$T/r7/diffoscope.txt")" -le 65536 ] || fail "output over the cap"
# A private TMPDIR, removed afterwards; our environment otherwise.
FAKE_DIFFOSCOPE=tmpdir expect_rc 1 sp compare --json --diffoscope --report "$T/r8" \
	"$F/t_text.exe" "$F/u64.exe"
jq -e '.diffoscope.status == "no-differences" and .diffoscope.exit_code == 0' "$T/out" \
	>/dev/null || fail "diffoscope stand-in did not see its TMPDIR"
[ "$(cat "$T/r8/diffoscope.txt")" = "$T/r8/.diffoscope-tmp" ] || fail "TMPDIR not private"
[ ! -e "$T/r8/.diffoscope-tmp" ] || fail "private TMPDIR left behind"
# On PATH but cannot be executed (no such interpreter): as not installed.
printf '#!/nonexistent/interpreter\n' >"$T/bin/diffoscope"
expect_rc 1 sp compare --json --diffoscope --report "$T/r9" "$F/t_text.exe" "$F/u64.exe"
jq -e '.diffoscope.status == "not-installed" and .diffoscope.exit_code == 127' "$T/out" \
	>/dev/null || fail "diffoscope that cannot start"
export PATH=$PATH_SAVE

# Usage errors.
expect_rc 2 sp compare "$F/s64.exe"
expect_grep 'SHIPPED and REBUILT are required' "$T/err"
expect_rc 2 sp compare a b c
expect_grep "unexpected argument 'c'" "$T/err"
expect_rc 2 sp compare --diffoscope "$F/s64.exe" "$F/u64.exe"
expect_grep "needs '--report DIR'" "$T/err"
expect_rc 2 sp compare --max-ranges 0 "$F/s64.exe" "$F/u64.exe"
expect_rc 2 sp compare --bogus "$F/s64.exe" "$F/u64.exe"
expect_rc 0 sp compare --help
expect_grep '^usage: srcproof compare' "$T/out"
expect_grep 'IDENTICAL_MODULO_SIGNATURE' "$T/out"
echo "compare_report: ok"
