# The compare HTML report renders in a real browser (headless Chromium,
# Debian's chromium package) with the verdict shown and no script run.
# Skipped (exit 77), saying so, when chromium is not installed.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
browser=""
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null && browser=$b && break
done
[ -n "$browser" ] || skip "chromium is not installed (apt-get install chromium)"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_pe.sh" "${SP_BINARY_DIR:-$T}/fixtures/pe") ||
	fail "cannot build the PE fixtures"
evil="$T/<img src=x onerror=alert(1)>.exe"
cp "$F/t_text.exe" "$evil"
expect_rc 1 sp compare --report "$T/r" "$evil" "$F/u64.exe"
# --dump-dom prints the DOM after load: the verdict must be text in the
# #verdict element, and the hostile name must not have become an element.
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T/profile" --dump-dom "file://$T/r/report.html" \
	>"$T/dom.html" 2>"$T/browser.err" || fail "chromium failed: $(tail -5 "$T/browser.err")"
expect_grep '<p class="v bad" id="verdict">DIFFERENT</p>' "$T/dom.html"
expect_no_grep '<img' "$T/dom.html"
expect_grep '&lt;img src=x onerror=alert\(1\)&gt;' "$T/dom.html"
echo "compare_html: ok"
