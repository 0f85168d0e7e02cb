# The one-page rebuild report in a real browser: headless Chromium renders
# report.html (self-contained, every untrusted string escaped) and the
# verdict is in the rendered DOM; hostile artefact names stay text; a
# screenshot can be taken. Skips (exit 77) only when chromium is not
# installed (scripts/bootstrap.sh test installs it).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/rebuild_setup.sh"
cd "$T"
rb_keys

# An artefact whose name is markup, built differently by the vendor, and a
# second one the rebuild does not produce.
mkdir -p hx.src
cat >hx.src/build.sh <<'EOF'
mkdir -p out
printf 'x%s\n' "${VENDOR_ONLY:-}" >'out/<img src=x onerror=alert(1)>.bin'
if [ -n "${VENDOR_ONLY:-}" ]; then printf 'y\n' >'out/"q"&<b>.bin'; fi
EOF
export VENDOR_ONLY=1
rb_release hx --output 'out/<img src=x onerror=alert(1)>.bin' \
	--output 'out/"q"&<b>.bin' -- sh build.sh
unset VENDOR_ONLY
expect_rc 1 sp rebuild hx.bundle --shipped hx.shipped -o r --key rebuilder.key
expect_grep '^srcproof rebuild verdict: DIFFERENT$' "$T/out"

# The page, as written: self-contained, escaped.
html=r/report.html
expect_grep '<meta http-equiv="Content-Security-Policy" content="default-src .none.; style-src .unsafe-inline.">' "$html"
expect_no_grep '<script|<img|<link|src=x onerror=alert\(1\)>|href=|url\(' "$html"
expect_grep '&lt;img src=x onerror=alert\(1\)&gt;.bin' "$html"
expect_grep '&quot;q&quot;&amp;&lt;b&gt;.bin' "$html"
expect_grep '<p id="verdict" class="bad">DIFFERENT</p>' "$html"
# The text report escapes for a terminal, the verdict file keeps the names.
jq -e '[.predicate.artefacts[].name] | sort == ["\"q\"&<b>.bin", "<img src=x onerror=alert(1)>.bin"]' \
	r/verdict.json >/dev/null || fail "names in verdict.json"

need_tool chromium "apt-get install chromium; the browser check did not run"
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@" 2>"$T/chrome.err"
}
browse --dump-dom "file://$T/$html" >dom.html || fail "chromium --dump-dom: $(tail -5 "$T/chrome.err")"
# The rendered DOM shows the verdict, the reason and the artefacts as text.
expect_grep '<p id="verdict" class="bad">DIFFERENT</p>' dom.html
expect_grep 'id="reason">2 of 2 artefacts do not match' dom.html
expect_grep '&lt;img src=x onerror=alert\(1\)&gt;.bin' dom.html
expect_grep 'NOT CHECKED</h2>' dom.html
# No element came from the hostile names: no img, no script, no b in a name.
expect_no_grep "<img|<script|<b>\.bin" dom.html
browse --screenshot="$T/shot.png" --window-size=1000,1400 "file://$T/$html" >/dev/null ||
	fail "chromium --screenshot: $(tail -5 "$T/chrome.err")"
[ "$(head -c 4 shot.png | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "screenshot is not a PNG"
[ "$(wc -c <shot.png)" -gt 10000 ] || fail "screenshot is empty"
echo "rebuild_html: ok"
