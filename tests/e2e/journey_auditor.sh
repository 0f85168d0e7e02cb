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

# The rebuild report renders in a browser and shows the verdict.
if ! command -v chromium >/dev/null 2>&1; then
	echo "journey_auditor: SKIP browser check: chromium is not installed"
	exit 0
fi
browse --dump-dom "file://$D/rebuild-1.0.2/report.html" >dom.html ||
	fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep 'IDENTICAL' dom.html
expect_grep 'avscan' dom.html
browse --dump-dom "file://$D/verify-1.0.2/report.html" >dom2.html ||
	fail "chromium: $(tail -5 "$T/chrome.err")"
expect_grep 'PASS' dom2.html
expect_grep 'rebuild' dom2.html
echo "journey_auditor: ok"
