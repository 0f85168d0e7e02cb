# srcproof sign / verify-sig with each algorithm, k-of-n envelopes, and the
# independence check: every signature re-verified with openssl alone on the
# DSSE PAE bytes rebuilt with shell tools.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

sp key generate -o ed.key --no-passphrase -q || fail "keygen ed25519"
sp key generate -o ec.key -a ecdsa-p256 --no-passphrase -q || fail "keygen ecdsa"
# RSA key generation is slow under valgrind: make that key with openssl
# (srcproof reads any PKCS#8 key) unless running natively.
if [ -z "$SP_WRAPPER" ]; then
	sp key generate -o rsa.key -a rsa-3072 --no-passphrase -q || fail "keygen rsa"
else
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa.key 2>/dev/null
	openssl pkey -in rsa.key -pubout -out rsa.key.pub
fi
expect_rc 0 sp key show rsa.key.pub
expect_grep 'algorithm: rsa-3072' "$T/out"
printf 'release 1.0 bytes\n' >app.bin

# PAE of an envelope, rebuilt with printf and base64 only.
pae() {
	local env=$1 type
	jq -j .payload "$env" | base64 -d >payload.bin
	type=$(jq -j .payloadType "$env")
	printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(stat -c %s payload.bin)" >pae.bin
	cat payload.bin >>pae.bin
}

for alg in ed ec rsa; do
	expect_rc 0 sp sign app.bin --key $alg.key -o app.$alg.sig --time 2026-03-01T12:00:00Z
	expect_grep "signed app.bin" "$T/err"
	expect_rc 0 sp verify-sig app.bin --sig app.$alg.sig --pubkey $alg.key.pub
	expect_grep "^OK: app.bin \(sha256 [0-9a-f]{64}\) signed for role release by 1 of 1 required key" "$T/out"
	# The independent check: openssl, no srcproof.
	pae app.$alg.sig
	jq -j '.signatures[0].sig' app.$alg.sig | base64 -d >sig.bin
	digest="-digest sha256"
	[ $alg = ed ] && digest=""
	# shellcheck disable=SC2086
	openssl pkeyutl -verify -pubin -inkey $alg.key.pub -rawin $digest \
		-in pae.bin -sigfile sig.bin >ossl.out 2>&1 ||
		fail "openssl pkeyutl rejects the $alg signature: $(cat ossl.out)"
	# And openssl rejects a flipped PAE byte (the check can fail).
	printf 'X' | dd of=pae.bin bs=1 seek=7 conv=notrunc 2>/dev/null
	# shellcheck disable=SC2086
	! openssl pkeyutl -verify -pubin -inkey $alg.key.pub -rawin $digest \
		-in pae.bin -sigfile sig.bin >/dev/null 2>&1 ||
		fail "openssl accepted a modified PAE"
	# The statement says what the spec says.
	jq -e --arg d "$(sha256sum app.bin | cut -c1-64)" '
		._type == "https://in-toto.io/Statement/v1" and
		.subject == [{"name": "app.bin", "digest": {"sha256": $d}}] and
		.predicateType == "https://srcproof.dev/signature/v1" and
		.predicate.role == "release" and
		.predicate.signed_at == "2026-03-01T12:00:00Z"' payload.bin >/dev/null ||
		fail "statement of $alg: $(cat payload.bin)"
	jq -e --arg k "$(sp key show -q $alg.key.pub)" '.signatures[0].keyid == $k' app.$alg.sig >/dev/null ||
		fail "keyid of $alg"
done

# Same input, same key, same time: Ed25519 envelopes are byte-identical.
sp sign app.bin --key ed.key -o again.sig --time 2026-03-01T12:00:00Z -q
cmp -s again.sig app.ed.sig || fail "ed25519 signing is not deterministic"

# k-of-n in one envelope with --append.
expect_rc 0 sp sign app.bin --key ed.key -o multi.sig --role update
expect_rc 0 sp sign app.bin --key ec.key -o multi.sig --append
expect_rc 0 sp sign app.bin --key rsa.key -o multi.sig --append --json
jq -e '.schema == "srcproof.sign/v1" and .signatures == 3 and .role == "update"' "$T/out" >/dev/null ||
	fail "sign --json"
expect_rc 0 sp verify-sig app.bin --sig multi.sig --pubkey ed.key.pub --pubkey ec.key.pub --pubkey rsa.key.pub --threshold 3
expect_grep 'signed for role update by 3 of 3 required keys' "$T/out"
expect_rc 0 sp verify-sig app.bin --sig multi.sig --pubkey ec.key.pub --json
jq -e '.verified == true and .valid == 1 and .required == 1 and .signatures == 3 and .role == "update"' "$T/out" >/dev/null ||
	fail "verify-sig --json"
# Appending the same key twice is refused.
expect_rc 3 sp sign app.bin --key ec.key -o multi.sig --append
expect_grep "already signed by key" "$T/err"
# Appending for another file or another role is refused.
printf 'other\n' >other.bin
expect_rc 1 sp sign other.bin --key ec.key -o multi.sig --append
expect_grep 'digest mismatch' "$T/err"
expect_rc 1 sp sign app.bin --key ec.key -o app.ed.sig --append --role review
expect_grep "the envelope is for role 'release', not 'review'" "$T/err"
# Without --append an existing envelope is kept.
expect_rc 3 sp sign app.bin --key ed.key -o multi.sig
expect_grep "'multi.sig' already exists" "$T/err"
expect_grep 'hint: add --append' "$T/err"

# Default output name, --name.
expect_rc 0 sp sign app.bin --key ed.key --name dist/app-1.0.bin
[ -f app.bin.sig ] || fail "default output app.bin.sig"
expect_rc 0 sp verify-sig app.bin --pubkey ed.key.pub
expect_grep '^OK: app.bin' "$T/out"
jq -j .payload app.bin.sig | base64 -d | jq -e '.subject[0].name == "dist/app-1.0.bin"' >/dev/null ||
	fail "--name"

# Usage errors.
expect_rc 2 sp sign app.bin
expect_grep 'missing --key' "$T/err"
expect_rc 2 sp sign app.bin --key ed.key --role root
expect_grep "unknown role 'root'" "$T/err"
expect_rc 2 sp sign app.bin --key ed.key --time yesterday
expect_rc 2 sp verify-sig app.bin
expect_grep 'give either --pubkey keys or a --policy chain' "$T/err"
expect_rc 2 sp verify-sig app.bin --pubkey ed.key.pub --threshold 2
expect_grep 'more than the 1 keys given' "$T/err"
expect_rc 0 sp verify-sig --help
expect_grep '^usage: srcproof verify-sig' "$T/out"
expect_rc 0 sp sign --help
echo "signing_sign: ok"
