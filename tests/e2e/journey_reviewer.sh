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

# The review attestation is a DSSE envelope signed by the reviewer's key:
# checked with openssl alone; its statement names the manifest by the
# digest sha256sum gives and the files the delta pack listed.
dsse_openssl "$D/review-1.0.2.att" "$D/keys/reviewer.key.pub"
jq -r .payload "$D/review-1.0.2.att" | base64 -d >att.json
jq -e --arg m "$(sha256sum "$D/avscan-1.0.2/manifest" | cut -d' ' -f1)" \
	--arg db "$(sha256sum "$D/src-1.0.2/rules/main.db" | cut -d' ' -f1)" \
	--arg c "$(sha256sum "$D/src-1.0.2/src/main.c" | cut -d' ' -f1)" '
	.subject == [{"name": "manifest", "digest": {"sha256": $m}}] and
	.predicate.role == "review" and
	([.predicate.files[] | {(.path): .sha256}] | add) == {"rules/main.db": $db, "src/main.c": $c} and
	([.predicate.files[].depth] | unique) == ["read"]' att.json >/dev/null ||
	fail "review-1.0.2.att statement: $(cat att.json)"

# The sealed-room check: offline, at the release time, coverage included.
jq -e '.result == "PASS" and
	([.checks[] | select(.name == "coverage" or .name == "witnesses") | .status] == ["PASS", "PASS"])' \
	"$D/final-1.0.2/report.json" >/dev/null || fail "final-1.0.2/report.json: $(head -c 1500 "$D/final-1.0.2/report.json")"
expect_grep '^ *coverage +PASS +7 of 7 files covered' "$D/final-1.0.2/report.txt"

# The one-page report: the demo ends by saying where it is.
r=$D/report-1.0.2
expect_grep "^The one-page report: +$r/report.html \(and report.txt\)\$" "$J/demo.log"
expect_grep "^The offline checks: +$D/final-1.0.2/report.html " "$J/demo.log"
expect_grep "^The delta review pack: $D/delta-1.0.2/report.html\$" "$J/demo.log"
for f in report.txt report.html report.json; do
	[ -s "$r/$f" ] || fail "$f missing"
done
expect_grep '^product +avscan' "$r/report.txt"
expect_grep 'IDENTICAL +avscan' "$r/report.txt"
expect_grep 'What was NOT checked' "$r/report.txt"
expect_no_grep '(src=|href="http|<script|<link)' "$r/report.html"
# In a browser (without chromium the test skips here, exit 77, the checks
# above done).
need_tool chromium "apt-get install chromium; the browser checks did not run"
browse --dump-dom "file://$r/report.html" >dom.html || fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep '<li><span class="good">OK</span> +avscan-1.0.2/manifest.sig: role update, 2 of 2 required keys</li>' dom.html
expect_grep '<li>files: 7 of 7 covered \(100.0%\), 5 carried from earlier releases</li>' dom.html
expect_grep '<li>signature OK: rebuild-1.0.2/verdict.sig</li>' dom.html
expect_grep '<li> +IDENTICAL +avscan</li>' dom.html
expect_grep '<h2>4. Files not covered: 0</h2>' dom.html
# The offline verification of the sealed room: each check's row.
browse --dump-dom "file://$D/final-1.0.2/report.html" >final.html || fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep '<p id="result" class="good">PASS</p>' final.html
for c in decryption archive index manifest source signature update-chain log-proof witnesses \
	recipe binaries coverage; do
	expect_grep "<tr id=\"check-$c\"><td>$c</td><td class=\"good\">PASS</td><td>yes</td>" final.html
done
expect_grep '<tr id="check-coverage"><td>coverage</td><td class="good">PASS</td><td>yes</td><td>7 of 7 files covered' final.html
expect_grep '<tr id="check-rebuild"><td>rebuild</td><td class="nc">NOT CHECKED</td><td>no</td>' final.html
expect_grep '<span id="coverage">100.0%</span>' final.html
# The delta pack's page: the two changed files, each in its row.
browse --dump-dom "file://$D/delta-1.0.2/report.html" >delta.html || fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep '<tr><td><a href="#f1">0001</a></td><td>changed</td><td><code>rules/main.db</code></td><td>\+1 −0</td>' delta.html
expect_grep '<tr><td><a href="#f2">0002</a></td><td>changed</td><td><code>src/main.c</code></td><td>\+1 −1</td>' delta.html
[ "$(grep -c '<tr><td><a href="#f' delta.html)" = 2 ] || fail "the delta page lists other than 2 files"
browse --screenshot="$T/report.png" --window-size=1000,1400 "file://$r/report.html" >/dev/null ||
	fail "chromium --screenshot"
[ "$(wc -c <"$T/report.png")" -gt 10000 ] || fail "screenshot is empty"
echo "journey_reviewer: ok"
