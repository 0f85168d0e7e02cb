# srcproof verify, main paths (short: also run under valgrind): a release
# and an update of a small product; every check PASS (2-of-3 signatures,
# update chain, log proof, witness quorum from the policy, rebuild
# IDENTICAL, review coverage carried across the update); the reports and
# the JSON result; a required check that could not run fails the bundle.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
verify_bundle "$D" r1 release
# The update changes the database only; the shipped binary follows.
printf 'Demo.Rule.B:cafe\n' >>"$D/src/data/rules.db"
cat "$D/src/main.c" "$D/src/data/rules.db" >"$D/bins/prog"
verify_bundle "$D" r2 update r1.manifest
cd "$D"
spx review attest r1.manifest --all --depth read --verdict ok --key alice \
	-o r1.att --time "$T0" -q &&
	spx review attest r2.manifest --files data/rules.db --depth read \
		--verdict ok --key alice -o r2.att --time "$T0" -q ||
	fail "attestations"

# Everything, for the update.
expect_rc 0 sp verify r2.bundle --policy policy.json --log-key log/log.vkey \
	--previous r1.bundle --rebuild --shipped bins \
	--attestations r1.att r2.att --report rep
for c in archive index manifest source signature update-chain log-proof \
	witnesses recipe binaries rebuild coverage; do
	expect_grep "^  $c +PASS " "$T/out"
done
expect_grep '^  decryption +NOT CHECKED the bundle is not encrypted \(not required\)$' "$T/out"
expect_grep "^  signature +PASS +2 of 2 required 'update' signatures" "$T/out"
expect_grep '^  update-chain +PASS +links to the previous manifest .*signing times in order' "$T/out"
expect_grep '^  witnesses +PASS +r2.proof: 1 of the 1 required witnesses \(keys from the policy\).*first at 2026-06-01T00:01:00Z' "$T/out"
expect_grep '^  rebuild +PASS +IDENTICAL: 1 of 1 artefacts' "$T/out"
expect_grep '^  coverage +PASS +3 of 3 files covered at depth read or deeper \(100.0%, 2 carried' "$T/out"
expect_grep '^result: PASS \(every required check passed\)$' "$T/out"
expect_grep '^srcproof: report in rep/ ' "$T/err"

# The report: text, self-contained HTML, JSON, and the rebuild's own.
for f in report.txt report.html report.json rebuild/report.html rebuild/build.log; do
	[ -f "rep/$f" ] || fail "rep/$f missing"
done
ls -d rep.verify-* 2>/dev/null && fail "temporary report directory left"
expect_grep '^srcproof verify: PASS$' rep/report.txt
expect_grep '^  log        entry 1 of example.com/log \(tree size 2\); cosigned by w1.example at 2026-06-01T00:01:00Z$' rep/report.txt
expect_grep '<p id="result" class="good">PASS</p>' rep/report.html
expect_grep '<tr id="check-rebuild"><td>rebuild</td><td class="good">PASS' rep/report.html
expect_grep 'Content-Security-Policy' rep/report.html
expect_no_grep '(src=|href=|<script|url\()' rep/report.html
sha=$(sha256sum r2.bundle | cut -d' ' -f1)
jq -e --arg sha "$sha" '.schema == "srcproof.verify/v1" and .ok and
	.result == "PASS" and .bundle_sha256 == $sha and .kind == "update" and
	.failed == [] and (.checks | length) == 13 and
	([.checks[].name] == ["decryption", "archive", "index", "manifest",
	  "source", "signature", "update-chain", "log-proof", "witnesses",
	  "recipe", "binaries", "rebuild", "coverage"]) and
	.log.index == 1 and .log.cosigned_by[0].name == "w1.example" and
	.rebuild.verdict == "IDENTICAL" and .coverage.files_covered == 3 and
	.coverage.files_carried == 2 and .policy.witness_threshold == 1' \
	rep/report.json >/dev/null || fail "report.json: $(cat rep/report.json)"

# The example of docs/spec/verify.md (section 10, between its markers) has
# exactly the members of this real result, at every level.
members() {
	jq -c '[paths | map(if type == "number" then 0 else . end)] | unique' "$1"
}
awk '$0 == "<!-- verify-json-example-begin -->" { on = 1; next }
	$0 == "<!-- verify-json-example-end -->" { on = 0 }
	on && !/^```/' "$SP_SOURCE_DIR/docs/spec/verify.md" >spec.json
jq -e '.schema == "srcproof.verify/v1"' spec.json >/dev/null ||
	fail "no example JSON in docs/spec/verify.md"
[ "$(members spec.json)" = "$(members rep/report.json)" ] ||
	fail "docs/spec/verify.md's example and report.json differ in members: $(members rep/report.json)"

# --json: one document, the same result.
expect_rc 0 sp verify r1.bundle --policy policy.json --log-key log/log.vkey --json
jq -e '.schema == "srcproof.verify/v1" and .ok and .kind == "release" and
	(.checks[] | select(.name == "update-chain") |
	 .status == "NOT CHECKED" and .required == false) and
	(.checks[] | select(.name == "rebuild") | .required == false)' \
	"$T/out" >/dev/null || fail "verify --json"

# Silence is never a pass: the policy names a witness, so the log proof is
# required, and without a log key (--log-key, or the policy's role log:
# tests/e2e/verify_log_policy.sh) it is NOT CHECKED: exit 1.
expect_rc 1 sp verify r1.bundle --policy policy.json
expect_grep '^  log-proof +NOT CHECKED the policy requires a log \(it names 1 witness key\(s\), threshold 1\) but no --log-key was given and it names no log key \(required\)$' "$T/out"
expect_grep '^result: FAIL \(required but NOT CHECKED: log-proof, witnesses\)$' "$T/out"
expect_grep '^srcproof: error: bundle .r1.bundle. failed verification: log-proof NOT CHECKED' "$T/err"
echo "verify_main: ok"
