# srcproof review attest: the statement it signs, file selection (--files,
# --all, --from, --lines), every usage error, co-signing with sign --append,
# and a check of the envelope with openssl alone.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/review_setup.sh"
cd "$T"
review_keys_and_policy

mkdir -p src/lib
printf 'int main(void) { return 0; }\n' >src/main.c
printf 'one\ntwo\nthree\nfour\n' >src/lib/util.c
printf 'x\n' >"src/lib/tab	name.c"
spx manifest create src -o m1 --product avscan --release 1.0 -q || fail "manifest"
digest=$(sha256sum m1 | cut -d' ' -f1)

expect_rc 0 sp review attest --help
expect_grep '^usage: srcproof review attest MANIFEST' "$T/out"
expect_rc 0 sp review --help
expect_grep 'attest ' "$T/out"
for c in coverage delta report; do
	expect_rc 0 sp review $c --help
	expect_grep "^usage: srcproof review $c " "$T/out"
done

# The happy path: two files, a line range, a note.
expect_rc 0 sp review attest m1 --files main.c lib/util.c --depth read \
	--verdict ok --lines lib/util.c:2-3 --note 'looked fine' --key alice.key \
	-o a1.att --time "$AT"
expect_grep "attested 2 files of m1 \(sha256 $digest\): depth read, verdict ok, reviewer $(keyid alice.key)" "$T/err"
payload a1.att >a1.json
jq -e --arg d "$digest" --arg k "$(keyid alice.key)" '
	._type == "https://in-toto.io/Statement/v1" and
	.predicateType == "https://srcproof.dev/review/v1" and
	.subject == [{name: "m1", digest: {sha256: $d}}] and
	.predicate.role == "review" and .predicate.reviewer == $k and
	.predicate.signed_at == "2026-11-25T12:00:00Z" and
	.predicate.manifest == {product: "avscan", release: "1.0", kind: "release"} and
	(.predicate.files | map(.path)) == ["lib/util.c", "main.c"] and
	.predicate.files[0].lines == [[2, 3]] and .predicate.files[0].note == "looked fine" and
	.predicate.files[1].depth == "read" and .predicate.files[1].verdict == "ok"' \
	a1.json >/dev/null || fail "statement content: $(cat a1.json)"
# The sha256 of each file is the manifest's.
[ "$(jq -r '.predicate.files[1].sha256' a1.json)" = "$(sha256sum src/main.c | cut -d' ' -f1)" ] ||
	fail "sha256 of main.c"

# Anyone can check the signature with openssl: PAE bytes, Ed25519.
jq -j .payload a1.att | base64 -d >pl
printf 'DSSEv1 %d %s %d ' "${#DSSE_TYPE}" "$DSSE_TYPE" "$(wc -c <pl)" >pae
cat pl >>pae
jq -j '.signatures[0].sig' a1.att | base64 -d >sig
openssl pkeyutl -verify -pubin -inkey alice.key.pub -rawin -in pae -sigfile sig >/dev/null ||
	fail "openssl does not verify the attestation"
# And verify-sig accepts it as a signature over the manifest, role review.
expect_rc 0 sp verify-sig m1 --sig a1.att --policy policy.json --at "$AT"
expect_grep 'signed for role review by 1 of 1 required key' "$T/out"

# --all, --json.
expect_rc 0 sp review attest m1 --all --depth overview --verdict ok --key bob.key -o all.att --json
jq -e '.schema == "srcproof.review-attest/v1" and .files == 3 and .depth == "overview"' "$T/out" >/dev/null ||
	fail "attest --json"

# --from: escapes, comments, ranges after a TAB.
printf '# reviewed on paper\nlib/tab\\tname.c\nlib/util.c\t1-2,4\n\nmain.c\n' >list
expect_rc 0 sp review attest m1 --from list --depth in-depth --verdict concern \
	--note 'see ticket 7' --key alice.key -o from.att -q
[ ! -s "$T/err" ] || fail "-q printed something"
payload from.att | jq -e '(.predicate.files | length) == 3 and
	.predicate.files[0].path == "lib/tab\tname.c" and
	.predicate.files[1].lines == [[1, 2], [4, 4]]' >/dev/null || fail "--from"
printf 'bad\\escape\n' >badlist
expect_rc 3 sp review attest m1 --from badlist --depth read --verdict ok --key alice.key -o x.att
expect_grep "'badlist' line 1: bad escape" "$T/err"
printf 'main.c\t5-1\n' >badlist
expect_rc 3 sp review attest m1 --from badlist --depth read --verdict ok --key alice.key -o x.att
expect_grep "line 1: bad line range '5-1'" "$T/err"

# Co-signing by a second reviewer with the ordinary sign --append.
cp a1.att both.att
expect_rc 0 sp sign m1 --append -o both.att --key bob.key
[ "$(jq '.signatures | length' both.att)" = 2 ] || fail "co-signature"

# Usage errors (exit 2) and refusals.
expect_rc 2 sp review attest m1 --depth read --verdict ok --key alice.key -o x.att
expect_grep 'give exactly one of --files, --all and --from' "$T/err"
expect_rc 2 sp review attest m1 --all --from list --depth read --verdict ok --key alice.key -o x.att
expect_grep 'give exactly one of' "$T/err"
expect_rc 2 sp review attest m1 --all --verdict ok --key alice.key -o x.att
expect_grep '--depth and --verdict are needed' "$T/err"
expect_rc 2 sp review attest m1 --all --depth skim --verdict ok --key alice.key -o x.att
expect_grep "unknown depth 'skim' \(overview, read, in-depth\)" "$T/err"
expect_rc 2 sp review attest m1 --all --depth read --verdict maybe --key alice.key -o x.att
expect_grep "unknown verdict 'maybe'" "$T/err"
expect_rc 2 sp review attest m1 --all --depth read --verdict ok -o x.att
expect_grep '--key KEY and -o ATTESTATION are needed' "$T/err"
expect_rc 2 sp review attest m1 --files main.c --lines lib/util.c:1-2 --depth read --verdict ok --key alice.key -o x.att
expect_grep "not among the files attested" "$T/err"
expect_rc 2 sp review attest m1 --files main.c --lines main.c --depth read --verdict ok --key alice.key -o x.att
expect_grep "--lines needs PATH:START-END" "$T/err"
expect_rc 2 sp review attest m1 --files main.c --lines main.c:0-3 --depth read --verdict ok --key alice.key -o x.att
expect_grep "bad line range '0-3'" "$T/err"
expect_rc 2 sp review attest m1 --files main.c --depth read --verdict ok --note "$(head -c 4097 /dev/zero | tr '\0' n)" --key alice.key -o x.att
expect_grep 'the note has 4097 bytes; the limit is 4096' "$T/err"
expect_rc 2 sp review attest m1 --files nothere.c --depth read --verdict ok --key alice.key -o x.att
expect_grep "'nothere.c' is not in the manifest" "$T/err"
expect_rc 2 sp review attest m1 --files ../m1 --depth read --verdict ok --key alice.key -o x.att
expect_grep "'../m1' is not in the manifest" "$T/err"
[ ! -e x.att ] || fail "an attestation was written after a refusal"
expect_rc 2 sp review attest --all --depth read --verdict ok --key alice.key -o x.att
expect_grep 'expected the MANIFEST' "$T/err"
expect_rc 2 sp review attest m1 --bogus
expect_grep "bad or incomplete option '--bogus'" "$T/err"
expect_rc 2 sp review nosuch
expect_grep "unknown command 'review nosuch'" "$T/err"
# Existing output: refused, kept; --force replaces it.
expect_rc 3 sp review attest m1 --all --depth read --verdict ok --key alice.key -o a1.att
expect_grep "'a1.att' already exists" "$T/err"
expect_grep 'hint: add --force' "$T/err"
payload a1.att | cmp -s - a1.json || fail "a1.att changed"
expect_rc 0 sp review attest m1 --all --depth read --verdict ok --key alice.key -o a1.att --force -q
# Not a manifest.
expect_rc 3 sp review attest a1.att --all --depth read --verdict ok --key alice.key -o y.att
echo "review_attest: ok"
