# Journey 2, the auditor: decrypt and verify a bundle, rebuild it, a signed
# IDENTICAL verdict; a tampered shipped binary gives a signed DIFFERENT.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/journey_setup.sh"
cd "$T"

expect_grep '^== Journey 2' "$J/demo.log"
expect_grep '^result: PASS' "$J/demo.log"
# The demo's srcproof verify ran offline, rebuilt and passed every check.
if unshare -n true 2>/dev/null; then
	expect_grep '^# offline: in a network namespace without interfaces' "$J/demo.log"
fi
jq -e '.schema == "srcproof.verify/v1" and .result == "PASS" and
	([.checks[] | select(.name == "rebuild" or .name == "witnesses" or
	   .name == "log-proof" or .name == "update-chain") | .status] == ["PASS", "PASS", "PASS", "PASS"])' \
	"$D/verify-1.0.2/report.json" >/dev/null || fail "verify-1.0.2/report.json: $(head -c 1500 "$D/verify-1.0.2/report.json")"
expect_grep '^srcproof rebuild verdict: IDENTICAL$' "$J/demo.log"
# The demo's verdict is signed by the auditor under the policy.
expect_rc 0 spi verify-sig "$D/shipped-1.0.2/avscan" --sig "$D/rebuild-1.0.2/verdict.sig" \
	--policy "$D/policy.json"
jq -r .payload "$D/rebuild-1.0.2/verdict.sig" | base64 -d >verdict.json
jq -e '.predicate.verdict == "IDENTICAL" and .predicate.artefacts[0].verdict == "IDENTICAL"' \
	verdict.json >/dev/null || fail "verdict statement"
# The same signature, checked with openssl alone against the auditor's key.
dsse_openssl "$D/rebuild-1.0.2/verdict.sig" "$D/keys/auditor.key.pub"
# The verdict's digests are sha256sum's: of the shipped binary, of the
# rebuilt one and of the bundle it came from.
shipped=$(sha256sum "$D/shipped-1.0.2/avscan" | cut -d' ' -f1)
rebuilt=$(sha256sum "$D/rebuild-1.0.2/rebuilt/out/avscan" | cut -d' ' -f1)
bundle=$(sha256sum "$D/avscan-1.0.2/bundle.cms" | cut -d' ' -f1)
[ "$shipped" = "$rebuilt" ] || fail "sha256sum: the rebuilt binary is not the shipped one"
jq -e --arg s "$shipped" --arg b "$bundle" '
	(.subject | map({(.name): .digest.sha256}) | add) == {"avscan": $s, "bundle.cms": $b} and
	.predicate.artefacts[0].shipped_sha256 == $s and
	.predicate.artefacts[0].rebuilt_sha256 == $s and
	.predicate.artefacts[0].shipped_size == '"$(stat -c %s "$D/shipped-1.0.2/avscan")" \
	verdict.json >/dev/null || fail "verdict digests against sha256sum: $(jq -c '.subject, .predicate.artefacts' verdict.json)"

# The auditor's own run on release 1.0.1, with the installed CLI.
expect_rc 0 spi escrow verify "$D/avscan-1.0.1/bundle.cms" --key "$D/keys/reviewer-cms.key" \
	--policy "$D/policy.json" --log-key "$D/log/log.vkey" \
	--witness "$D/witness.vkey" --quorum 1 --json
jq -e '[.checks[] | .status] | all(. == "PASS")' "$T/out" >/dev/null ||
	fail "escrow verify --json: $(cat "$T/out")"
expect_rc 0 spi rebuild "$D/avscan-1.0.1/bundle.cms" --recipient-key "$D/keys/reviewer-cms.key" \
	--policy "$D/policy.json" --shipped "$D/shipped-1.0.1" --key "$D/keys/auditor.key" \
	-o r1
expect_grep '^srcproof rebuild verdict: IDENTICAL$' "$T/out"
# A shipped binary that is not the reviewed source's: DIFFERENT, exit 1,
# and the negative verdict is signed too.
mkdir evil && cp "$D/shipped-1.0.1/avscan" evil/avscan
printf 'X' | dd of=evil/avscan bs=1 seek=4000 conv=notrunc 2>/dev/null
expect_rc 0 spi compare "$D/shipped-1.0.1/avscan" r1/rebuilt/out/avscan
expect_rc 1 spi compare evil/avscan r1/rebuilt/out/avscan --key "$D/keys/auditor.key" \
	--attest evil.sig --json
jq -e '.verdict == "DIFFERENT"' "$T/out" >/dev/null || fail "compare --json verdict"
expect_rc 0 spi verify-sig evil/avscan --sig evil.sig --policy "$D/policy.json"
jq -r .payload evil.sig | base64 -d | jq -e '.predicate.verdict == "DIFFERENT"' >/dev/null ||
	fail "the signed negative verdict"

# The rebuild report renders in a browser and shows the verdict (without
# chromium the test skips here, exit 77, the checks above done).
need_tool chromium "apt-get install chromium; the browser checks did not run"
browse --dump-dom "file://$D/rebuild-1.0.2/report.html" >dom.html ||
	fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep '<p id="verdict" class="ok">IDENTICAL</p>' dom.html
expect_grep '<p id="reason">every artefact matches: 1 of 1 IDENTICAL,' dom.html
expect_grep '<tr><th>verdict</th><td class="ok"><b>IDENTICAL</b></td></tr>' dom.html
expect_grep '<tr><th>artefact</th><td>avscan</td></tr>' dom.html
# The auditor's verify report: each check in its row with its status.
browse --dump-dom "file://$D/verify-1.0.2/report.html" >dom2.html ||
	fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep '<p id="result" class="good">PASS</p>' dom2.html
for c in decryption archive index manifest source signature update-chain log-proof witnesses \
	recipe binaries rebuild; do
	expect_grep "<tr id=\"check-$c\"><td>$c</td><td class=\"good\">PASS</td><td>yes</td>" dom2.html
done
expect_grep '<tr id="check-rebuild"><td>rebuild</td><td class="good">PASS</td><td>yes</td><td>IDENTICAL: 1 of 1 artefacts' dom2.html
expect_grep '<tr id="check-coverage"><td>coverage</td><td class="nc">NOT CHECKED</td><td>no</td>' dom2.html
echo "journey_auditor: ok"
