# srcproof review report: the one-page summary with manifest signatures
# (OK, FAILED, NOT CHECKED), coverage, concerns, rebuild verdicts (read,
# mismatching, unreadable, forged) and the NOT checked section; exit
# statuses; text, HTML and JSON; hostile text escaped.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/review_setup.sh"
cd "$T"
review_keys_and_policy

mkdir r
printf 'int main(void) { return 0; }\n' >r/main.c
printf 'sig\n' >r/main.db
spx manifest create r -o m --product avscan --release 7.0 -q || fail "manifest"
digest=$(sha256sum m | cut -d' ' -f1)
spx sign m --key rel.key -r release -o m.sig -q &&
	spx sign m --key rel.key -r update -o wrongrole.sig -q &&
	spx sign r/main.c --key rel.key -o other.sig -q &&
	spx review attest m --files main.c --depth in-depth --verdict ok --key alice.key \
		-o ok.att --time "$AT" -q &&
	spx review attest m --files main.db --depth read --verdict concern \
		--note "$(printf 'db \033[31m<script>x</script>')" --key bob.key -o c.att \
		--time "$AT" -q || fail "setup"

# Rebuild verdicts (role rebuild), made with openssl.
verdict() { # NAME PREDICATE KEY
	jq -cn --arg d "$digest" --argjson p "$2" '{_type: "https://in-toto.io/Statement/v1",
		subject: [{name: "out/avscan", digest: {sha256: ("ab" * 32)}}],
		predicateType: "https://srcproof.dev/verdict/v1", predicate: $p}' >"$1.json"
	envelope "$1.json" "$3" >"$1"
}
verdict v_ok.att "{\"role\": \"rebuild\", \"manifest\": {\"sha256\": \"$digest\"}, \"verdict\": \"IDENTICAL\",
	\"not_checked\": [\"the toolchain <b>\\u001b</b>\"]}" builder.key
verdict v_arts.att '{"role": "rebuild", "artefacts": [{"name": "avscan.exe", "verdict": "DIFFERENT"},
	{"path": "lib.so", "result": {"verdict": "IDENTICAL_MODULO_SIGNATURE"}}]}' builder.key
verdict v_weird.att '{"role": "rebuild", "outcome": "fine"}' builder.key
verdict v_forged.att '{"role": "rebuild", "verdict": "IDENTICAL"}' mallory.key

# Everything verifies: exit 0.
expect_rc 0 sp review report m --sig m.sig --policy policy.json --at "$AT" \
	--attestations ok.att c.att --verdicts v_ok.att --source r -o rep1 --time "$AT"
expect_grep '^SOURCE REVIEW REPORT$' "$T/out"
expect_grep '^product    avscan$' "$T/out"
expect_grep '^release    7.0 \(release\)$' "$T/out"
expect_grep "^manifest   sha256 $digest \(2 files, 0 symlinks, 33 bytes; git tree [0-9a-f]{40}\)$" "$T/out"
expect_grep '^trust      policy version 1 \(expires 2030-01-01T00:00:00Z\), checked at 2026-11-25T12:00:00Z$' "$T/out"
expect_grep '^  OK  m.sig: role release, 1 of 1 required key$' "$T/out"
expect_grep '^  files: 2 of 2 covered \(100.0%\), 0 carried' "$T/out"
expect_grep '^  bytes: 33 of 33 \(100.0%\)$' "$T/out"
expect_grep '^  by depth \(files\): in-depth 1, read 1, overview 0, none 0$' "$T/out"
expect_grep '^3. Open concerns: 1 file$' "$T/out"
expect_grep '^  main.db \(read, reviewer [0-9a-f]{16}\): db \\x1b\[31m<script>x</script>$' "$T/out"
expect_grep '^  signature OK: v_ok.att$' "$T/out"
expect_grep '^      IDENTICAL  out/avscan$' "$T/out"
expect_grep '^6. What was NOT checked$' "$T/out"
expect_grep 'transparency log and the escrow bundle are not part of this report' "$T/out"
expect_no_grep 'no rebuild verdicts were given' "$T/out"
expect_grep '^  verdict file 1 says it did not check: the toolchain <b>\\x1b</b>$' "$T/out"
expect_no_grep "$(printf '\033')" "$T/out"
cmp -s "$T/out" rep1/report.txt || fail "printed text differs from report.txt"
expect_no_grep '<script|<[a-z]+ [^>]*src=|<link' rep1/report.html
expect_grep 'db \\x1b\[31m&lt;script&gt;x&lt;/script&gt;' rep1/report.html
expect_grep 'did not check: the toolchain &lt;b&gt;\\x1b&lt;/b&gt;' rep1/report.html
jq -e --arg d "$digest" '.schema == "srcproof.review-report/v1" and .manifest.sha256 == $d and
	.signatures[0].status == "ok" and .coverage.files_covered == 2 and
	.verdicts[0].artefacts == [{name: "out/avscan", verdict: "IDENTICAL", match: true}] and
	.verdicts[0].names_manifest == true and (.concerns | length) == 1 and
	(.not_checked | length) >= 2' rep1/report.json >/dev/null || fail "report.json"

# Failed and unreadable evidence: the report is written, exit 1.
expect_rc 1 sp review report m --sig m.sig wrongrole.sig other.sig --policy policy.json \
	--at "$AT" --attestations ok.att --verdicts v_arts.att v_weird.att v_forged.att -o rep2 --json
jq -e '.schema == "srcproof.review-report/v1" and
	(.signatures | map(.status)) == ["ok", "failed", "failed"] and
	(.signatures[1].reason | test("signed for role .update.; a release manifest needs role .release.")) and
	(.signatures[2].reason | test("digest mismatch")) and
	.verdicts[0].artefacts == [{name: "avscan.exe", verdict: "DIFFERENT", match: false},
	                           {name: "lib.so", verdict: "IDENTICAL_MODULO_SIGNATURE", match: true}] and
	.verdicts[1].interpreted == false and .verdicts[1].signature == "ok" and
	.verdicts[2].signature == "failed" and
	.verdicts[2].artefacts[0].verdict == "NOT CHECKED" and
	any(.not_checked[]; test("does not name this manifest")) and
	any(.not_checked[]; test("predicate could not be read")) and
	any(.not_checked[]; test("1 of 2 files: no trusted review"))' "$T/out" >/dev/null ||
	fail "report --json: $(head -c 3000 "$T/out")"
expect_grep 'warning: 2 signatures and 3 verdicts failed, did not match or were NOT CHECKED' "$T/err"
expect_grep '^  FAILED  wrongrole.sig: signed for role' rep2/report.txt
expect_grep "^  signature FAILED: v_forged.att \(role 'rebuild': threshold not met" rep2/report.txt
expect_grep '^      NOT CHECKED \(signature\)  out/avscan$' rep2/report.txt
expect_grep 'bytes and lines: NOT COUNTED \(no --source\)' rep2/report.txt

# No trust given: every signature and verdict NOT CHECKED, nothing counts.
expect_rc 1 sp review report m --sig m.sig --attestations ok.att --verdicts v_ok.att -o rep3 -q
[ ! -s "$T/out" ] || fail "-q printed the report"
expect_grep '^trust      NOT CHECKED: no policy or key$' rep3/report.txt
expect_grep '^  NOT CHECKED  m.sig: no trust policy or public key given$' rep3/report.txt
expect_grep '^  files: 0 of 2 covered' rep3/report.txt
expect_grep 'no signature was checked and no review counts' rep3/report.txt
expect_grep '<span class="nc">NOT CHECKED</span>' rep3/report.html

# Refusals.
expect_rc 3 sp review report m -o rep1
expect_grep "'rep1' already exists" "$T/err"
expect_rc 3 sp review report m --sig missing.sig -o rep4
expect_grep "'missing.sig' does not exist" "$T/err"
[ ! -e rep4 ] || fail "report left after a failure"
expect_rc 2 sp review report m
expect_grep '-o DIR is needed' "$T/err"
# A second tree: a hostile file name (escaped in text and HTML, no raw
# ESC), an attestation by a key without the review role (builder has
# rebuild) listed as not counted with the reason, and a 4096-byte note cut
# on the page but whole in report.json.
hostile=$(printf 'e\033[31m<b>.c')
mkdir r2
printf 'int main(void) { return 1; }\n' >r2/main.c
printf 'x\n' >"r2/$hostile"
spx manifest create r2 -o m2 --product avscan --release 7.1 -q || fail "manifest 2"
long=$(head -c 4096 /dev/zero | tr '\0' n)
spx review attest m2 --all --depth in-depth --verdict ok --key builder.key -o role.att \
	--time "$AT" -q &&
	spx review attest m2 --files main.c --depth read --verdict concern --note "$long" \
		--key alice.key -o long.att --time "$AT" -q || fail "setup 2"
expect_rc 0 sp review report m2 --policy policy.json --at "$AT" --attestations role.att long.att \
	-o rep5 --time "$AT"
cmp -s "$T/out" rep5/report.txt || fail "printed text differs from report.txt (2)"
expect_grep "^  not counted: role.att \(untrusted: role 'review': threshold not met: 0 of 1 required valid signatures \(1 signature by a key whose role is not allowed\)\)$" rep5/report.txt
expect_grep "not counted: role.att \(untrusted: role &#39;review&#39;: threshold not met: .*1 signature by a key whose role is not allowed" rep5/report.html
jq -e --arg n "$long" '(.attestations | map([.file, .status])) == [["role.att", "untrusted"], ["long.att", "counted"]] and
	(.attestations[0].reason | test("1 signature by a key whose role is not allowed")) and
	.concerns[0].concerns[0].note == $n' rep5/report.json >/dev/null ||
	fail "report.json (2): $(jq -c '{attestations, concerns}' rep5/report.json | head -c 2000)"
expect_grep '^  uncovered e\\x1b\[31m<b>.c$' rep5/report.txt
expect_grep '^  1 review attestation did not count \(bad signature, signer without the review role,' rep5/report.txt
expect_grep 'e\\x1b\[31m&lt;b&gt;.c' rep5/report.html
expect_no_grep "$(printf '\033')" rep5/report.txt
expect_no_grep "$(printf '\033')" rep5/report.html
expect_no_grep '<b>' rep5/report.html
expect_grep "^  main.c \(read, reviewer [0-9a-f]{16}\): n{200}\.\.\.$" rep5/report.txt
expect_no_grep 'n{201}' rep5/report.txt
expect_no_grep 'n{201}' rep5/report.html
longest=$(awk '{ if (length > m) m = length } END { print m }' rep5/report.txt)
[ "$longest" -le 300 ] || fail "a report line of $longest bytes: the note was not cut"
echo "review_report: ok"
