# Journey 3, the government reviewer: review the release, delta-review the
# updates, the one-page report (rendered in a browser), with the installed
# CLI.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/journey_setup.sh"
cd "$T"

expect_grep '^== Journey 3' "$J/demo.log"
# Coverage: the release review carries to the update for unchanged files;
# the delta pack holds exactly the changed files.
expect_rc 1 spi review coverage "$D/avscan-1.0.2/manifest" "$D/review-1.0.0.att" \
	--policy "$D/policy.json" --require 100
expect_grep 'UNCOVERED  rules/main.db' "$T/out"
expect_grep 'UNCOVERED  src/main.c' "$T/out"
[ "$(cat "$D/delta-1.0.2/review-list.txt" | grep -v '^#' | sort | tr '\n' ' ')" = "rules/main.db src/main.c " ] ||
	fail "delta pack list: $(cat "$D/delta-1.0.2/review-list.txt")"
(cd "$D/src-1.0.0" && cp -r . "$T/applied")
for d in "$D"/delta-1.0.2/diffs/*.diff; do
	(cd "$T/applied" && git apply "$d") || fail "git apply $d"
done
diff -r "$T/applied" "$D/src-1.0.2" >/dev/null || fail "the delta diffs do not give release 1.0.2"
expect_rc 0 spi review coverage "$D/avscan-1.0.2/manifest" "$D/review-1.0.0.att" \
	"$D/review-1.0.2.att" --policy "$D/policy.json" --require 100 --json
jq -e '.summary.files_covered == .summary.files and .summary.files == 7' "$T/out" >/dev/null ||
	fail "coverage --json: $(head -c 600 "$T/out")"

# The sealed-room check: offline, at the release time, coverage included.
jq -e '.result == "PASS" and
	([.checks[] | select(.name == "coverage" or .name == "witnesses") | .status] == ["PASS", "PASS"])' \
	"$D/final-1.0.2/report.json" >/dev/null || fail "final-1.0.2/report.json: $(head -c 1500 "$D/final-1.0.2/report.json")"
expect_grep '^ *coverage +PASS +7 of 7 files covered' "$D/final-1.0.2/report.txt"

# The one-page report.
r=$D/report-1.0.2
for f in report.txt report.html report.json; do
	[ -s "$r/$f" ] || fail "$f missing"
done
expect_grep '^product +avscan' "$r/report.txt"
expect_grep 'IDENTICAL +avscan' "$r/report.txt"
expect_grep 'What was NOT checked' "$r/report.txt"
expect_no_grep '(src=|href="http|<script|<link)' "$r/report.html"
if ! command -v chromium >/dev/null 2>&1; then
	echo "journey_reviewer: SKIP browser check: chromium is not installed"
	exit 0
fi
browse --dump-dom "file://$r/report.html" >dom.html || fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep 'avscan' dom.html
expect_grep 'IDENTICAL' dom.html
browse --screenshot="$T/report.png" --window-size=1000,1400 "file://$r/report.html" >/dev/null ||
	fail "chromium --screenshot"
[ "$(wc -c <"$T/report.png")" -gt 10000 ] || fail "screenshot is empty"
echo "journey_reviewer: ok"
