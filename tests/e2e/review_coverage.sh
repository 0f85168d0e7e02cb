# srcproof review coverage: trust (policy, keys, NOT CHECKED), coverage
# carried by content hash, --require, --min-depth, --source, --json, and
# every bad attestation: forged, unsigned, another product, a hash not in
# the manifest, path tricks, huge notes, duplicates, hostile text.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/review_setup.sh"
cd "$T"
review_keys_and_policy

mkdir -p r1/src r2
printf 'a\nb\nc\n' >r1/src/a.c
printf 'int b;\n' >r1/src/b.c
printf "evil\033]0;x\007\n" >"$(printf 'r1/src/e\033[2Jvil.c')"
printf 'sig1\n' >r1/db
cp -r r1/src r2/src
printf 'sig1\nsig2\n' >r2/db
spx manifest create r1 -o m1 --product avscan --release 1.0 -q || fail "m1"
spx manifest create r2 -o m2 --product avscan --release 1.1 --kind update --previous m1 -q || fail "m2"
spx review attest m1 --all --depth read --verdict ok --key alice.key -o all1.att --time "$AT" -q || fail "attest"
spx review attest m1 --files src/a.c --depth in-depth --verdict concern \
	--note "$(printf 'overflow?\033[31m <b>bold</b>')" --key bob.key -o concern.att --time "$AT" -q || fail "attest"

# Policy: carried to the update by content hash; the changed db uncovered.
expect_rc 0 sp review coverage m2 all1.att concern.att --policy policy.json --at "$AT"
expect_grep '^trust: policy version 1, role review \(threshold 1\), checked at 2026-11-25T12:00:00Z' "$T/out"
expect_grep "counted      all1.att: reviewer $(keyid alice.key | cut -c1-16), 2026-11-25T12:00:00Z, 4 files, carried from release 1.0" "$T/out"
expect_grep '^files: 3 of 4 covered at depth read or deeper \(75.0%\); 3 carried from earlier releases' "$T/out"
expect_grep '^  UNCOVERED  db  \(changed since reviewed: last reviewed sha256 ' "$T/out"
expect_grep '^open concerns \(1 file\):' "$T/out"
expect_grep '^  CONCERN    src/a.c  \(in-depth\)' "$T/out"
expect_grep 'overflow\?\\x1b\[31m <b>bold</b>' "$T/out"
expect_no_grep "$(printf '\033')" "$T/out"
# Concerns are listed before the files needing review.
[ "$(grep -n '^open concerns (' "$T/out" | cut -d: -f1)" -lt "$(grep -n 'files needing review' "$T/out" | cut -d: -f1)" ] ||
	fail "concerns are not first"
expect_grep 'bytes: not counted \(give --source' "$T/out"

# --source: bytes and lines; -v lists covered files (escaped).
expect_rc 0 sp review coverage m2 all1.att --policy policy.json --at "$AT" --source r2 -v
expect_grep "^bytes: 24 of 34 \\(70.5%\\)" "$T/out"
expect_grep '^lines: 5 of 7 \(71.4%\)' "$T/out"
expect_grep 'covered    src/e\\x1b\[2Jvil.c  \(read, carried\)' "$T/out"
expect_no_grep "$(printf '\033')" "$T/out"
expect_rc 1 sp review coverage m2 all1.att --policy policy.json --at "$AT" --source r1
expect_grep "r1/db' does not match the manifest" "$T/err"

# --require and --min-depth.
expect_rc 1 sp review coverage m2 all1.att --policy policy.json --at "$AT" --require 75.1 -q
expect_grep 'coverage 75.0% is below the required 75.1%' "$T/err"
expect_rc 0 sp review coverage m2 all1.att --policy policy.json --at "$AT" --require 75 -q
expect_rc 1 sp review coverage m2 all1.att --policy policy.json --at "$AT" --min-depth in-depth --require 1
expect_grep 'SHALLOW' "$T/out"
expect_rc 2 sp review coverage m2 --require 101
expect_grep '--require needs a percentage from 0 to 100' "$T/err"
expect_rc 2 sp review coverage m2 --min-depth deep
expect_rc 2 sp review coverage
expect_grep 'expected the MANIFEST' "$T/err"

# --json.
expect_rc 0 sp review coverage m2 all1.att concern.att --policy policy.json --at "$AT" --json --require 50
jq -e '.schema == "srcproof.review-coverage/v1" and .trust.mode == "policy" and
	.summary.files == 4 and .summary.files_covered == 3 and .summary.percent == "75.0" and
	.summary.concerns == 1 and .require_met == true and
	.files[0].status == "concern" and .files[0].concerns[0].note == "overflow?\u001b[31m <b>bold</b>" and
	.files[1].path == "db" and .files[1].last_reviewed != null and
	(.attestations | map(.status)) == ["counted", "counted"]' "$T/out" >/dev/null ||
	fail "coverage --json: $(head -c 3000 "$T/out")"
# The file objects are printed one at a time: the document is still one
# JSON value, with "files" last and complete, for many files and for none.
mkdir -p many/d empty
for i in $(seq 1 300); do echo "$i" >"many/d/f$i.c"; done
spx manifest create many -o mmany -q || fail "manifest of many"
expect_rc 0 sp review coverage mmany all1.att --json
jq -e '(.files | length) == 300 and .summary.files == 300 and
	(keys_unsorted | last) == "files" and ([.files[].path] | unique | length) == 300' "$T/out" >/dev/null ||
	fail "coverage --json of 300 files: $(head -c 600 "$T/out")"
jq -s -e 'length == 1' "$T/out" >/dev/null || fail "coverage --json is not one document"
spx manifest create empty -o mempty -q || fail "manifest of nothing"
expect_rc 0 sp review coverage mempty --json
jq -e '.files == [] and .summary.files == 0' "$T/out" >/dev/null ||
	fail "coverage --json of no files: $(cat "$T/out")"

# Keys instead of a policy; and no trust at all: NOT CHECKED, nothing counts.
expect_rc 0 sp review coverage m2 all1.att concern.att --pubkey bob.key.pub
expect_grep '^trust: 1 public key given \(no policy\)' "$T/out"
expect_grep 'NOT COUNTED  all1.att: untrusted: signature check: threshold not met' "$T/out"
expect_rc 0 sp review coverage m2 all1.att
expect_grep '^trust: NOT CHECKED: no trust policy or public key given; no attestation counts' "$T/out"
expect_grep 'NOT COUNTED  all1.att: NOT CHECKED: signature NOT CHECKED' "$T/out"
expect_grep '^files: 0 of 4 covered' "$T/out"
expect_grep 'warning: NOT CHECKED: no --policy or --pubkey given' "$T/err"
expect_rc 2 sp review coverage m2 all1.att --policy policy.json --pubkey bob.key.pub
expect_grep 'give either --policy or --pubkey, not both' "$T/err"
# A policy that does not verify (expired at --at): exit 1, nothing judged.
expect_rc 1 sp review coverage m2 all1.att --policy policy.json --at 2031-01-01
expect_grep 'policy expired' "$T/err"

# Bad attestations, each listed as not counted with its reason.
payload all1.att >s.json
# forged: the statement changed after signing (depth raised).
jq -c '.predicate.files[0].depth = "in-depth"' s.json >forged.json
jq -c --arg p "$(base64 -w0 <forged.json)" '.payload = $p' all1.att >forged.att
# unsigned.
unsigned s.json >unsigned.att
# signed by a key outside the policy.
envelope s.json mallory.key >mallory.att
# another product.
jq -c '.predicate.manifest.product = "othertool"' s.json >other.json
envelope other.json alice.key >other.att
# a file hash that is not in the manifest it names (m1 itself).
jq -c '.predicate.files[0].sha256 = ("00" * 32)' s.json >hash.json
envelope hash.json alice.key >hash.att
# path tricks.
jq -c '.predicate.files[0].path = "../../etc/passwd"' s.json >path.json
envelope path.json alice.key >path.att
# a huge note.
jq -c --arg n "$(head -c 5000 /dev/zero | tr '\0' x)" '.predicate.files[0].note = $n' s.json >note.json
envelope note.json alice.key >note.att
# garbage.
printf 'not json' >junk.att
expect_rc 0 sp review coverage m2 all1.att all1.att forged.att unsigned.att mallory.att \
	other.att hash.att path.att note.att junk.att --previous m1 --policy policy.json --at "$AT"
expect_grep '^attestations: 10 given, 1 counted' "$T/out"
expect_grep "NOT COUNTED  all1.att: duplicate: same statement as 'all1.att' \(counted once\)" "$T/out"
expect_grep 'NOT COUNTED  forged.att: untrusted: .*1 bad signature' "$T/out"
expect_grep 'NOT COUNTED  unsigned.att: untrusted: .*no signatures' "$T/out"
expect_grep 'NOT COUNTED  mallory.att: untrusted: .*signature by a wrong key \(not trusted\)' "$T/out"
expect_grep "NOT COUNTED  other.att: other product: it is for product 'othertool', not 'avscan'" "$T/out"
expect_grep "NOT COUNTED  hash.att: inconsistent: the sha256 it gives for 'db' is not the manifest's" "$T/out"
expect_grep 'NOT COUNTED  path.att: malformed: not a review attestation: file 1: the path is missing or not a safe relative path' "$T/out"
expect_grep 'NOT COUNTED  note.att: malformed: .*the note must be a string of 1 to 4096 bytes' "$T/out"
expect_grep 'NOT COUNTED  junk.att: malformed: malformed envelope' "$T/out"
expect_grep '^files: 3 of 4 covered' "$T/out"
# Without --previous the carried attestation's entries are not checked
# against m1, and the text says so.
expect_rc 0 sp review coverage m2 hash.att --policy policy.json --at "$AT"
expect_grep 'entries not checked against it' "$T/out"
expect_rc 3 sp review coverage m2 missing.att --policy policy.json --at "$AT"
expect_grep "'missing.att' does not exist" "$T/err"
# A key the policy allows another role (builder: rebuild) does not count
# for review, with the reason. `--verdict not-reviewed` covers nothing and
# says so. A 4096-byte note is cut in the text (300 bytes) but whole in
# the JSON and the delta pack.
spx review attest m2 --all --depth in-depth --verdict ok --key builder.key -o role.att \
	--time "$AT" -q || fail "attest with the rebuild key"
spx review attest m2 --files db --depth read --verdict not-reviewed --key alice.key \
	-o notrev.att --time "$AT" -q || fail "attest not-reviewed"
long=$(head -c 4096 /dev/zero | tr '\0' n)
spx review attest m2 --files src/b.c --depth read --verdict concern --note "$long" \
	--key bob.key -o long.att --time "$AT" -q || fail "attest with a 4096-byte note"
expect_rc 0 sp review coverage m2 all1.att role.att notrev.att long.att --policy policy.json --at "$AT"
expect_grep "^  NOT COUNTED  role.att: untrusted: role 'review': threshold not met: 0 of 1 required valid signatures \(1 signature by a key whose role is not allowed\)$" "$T/out"
expect_grep '^attestations: 4 given, 3 counted' "$T/out"
expect_grep '^  UNCOVERED  db  \(marked not-reviewed\)  \(changed since reviewed: last reviewed sha256 [0-9a-f]{16}\.\.\.\)$' "$T/out"
expect_grep '^files: 3 of 4 covered' "$T/out"
expect_grep '^  CONCERN    src/b.c  \(read\)' "$T/out"
expect_grep ": n{300}\.\.\.$" "$T/out"
expect_no_grep 'n{301}' "$T/out"
longest=$(awk '{ if (length > m) m = length } END { print m }' "$T/out")
[ "$longest" -le 400 ] || fail "a coverage line of $longest bytes: the note was not cut"
expect_rc 0 sp review coverage m2 all1.att role.att notrev.att long.att --policy policy.json \
	--at "$AT" --json
jq -e --arg n "$long" '(.attestations[1] | .status == "untrusted" and
	(.reason | test("1 signature by a key whose role is not allowed"))) and
	(.files[] | select(.path == "db") | .marked_not_reviewed == true and .covered == false) and
	(.files[] | select(.path == "src/b.c") | .concerns[0].note == $n)' "$T/out" >/dev/null ||
	fail "coverage --json with role, not-reviewed and long note: $(head -c 2000 "$T/out")"
expect_rc 0 sp review delta m1 m2 --source r2 --old-source r1 --attestations all1.att long.att \
	--policy policy.json --at "$AT" -o pack -q
jq -e --arg n "$long" '.files[] | select(.coverage.path == "src/b.c") |
	.reason == "concern" and .coverage.concerns[0].note == $n' pack/delta.json >/dev/null ||
	fail "delta.json does not hold the whole note"
longest=$(awk '{ if (length > m) m = length } END { print m }' pack/report.txt)
[ "$longest" -le 400 ] || fail "a delta report line of $longest bytes: the note was not cut"
echo "review_coverage: ok"
