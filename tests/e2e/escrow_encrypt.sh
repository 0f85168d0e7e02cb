# escrow: CMS encryption to reviewers, opened by openssl and by srcproof;
# recipient failures, wrong keys, tampering.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

bash "$SP_SOURCE_DIR/tests/fixtures/escrow_setup.sh" "$T/in" >/dev/null ||
	fail "fixture setup failed"
cd "$T/in"
mkcert() { # mkcert NAME KEYSPEC...
	local n=$1
	shift
	openssl req -x509 -nodes -newkey "$@" -keyout "$T/$n.key" \
		-out "$T/$n.pem" -subj "/CN=$n" -days 30 2>/dev/null ||
		fail "openssl req $n"
}
mkcert rsa rsa:2048
mkcert ec ec -pkeyopt ec_paramgen_curve:P-256
mkcert ed ed25519
mkcert other rsa:2048
pack() {
	sp escrow pack --manifest m --sig m.sig --source src --recipe r.json \
		--policy pol.json "$@"
}

# ---- encrypted to two reviewers ----------------------------------------------
expect_rc 0 pack -o "$T/b.cms" --recipient "$T/rsa.pem" --recipient "$T/ec.pem"
expect_grep 'CMS AES-256-GCM' "$T/out"
expect_rc 0 pack -q -o "$T/b.tzst"
openssl asn1parse -inform DER -in "$T/b.cms" >"$T/asn1" 2>&1 || fail "asn1parse"
grep -q 'id-smime-ct-authEnvelopedData' "$T/asn1" || fail "not AuthEnvelopedData"
grep -q 'aes-256-gcm' "$T/asn1" || fail "not AES-256-GCM"
grep -q 'rsaesOaep' "$T/asn1" || fail "RSA recipient does not use OAEP"

# openssl opens it without srcproof, for either reviewer: the plain bundle.
for who in rsa ec; do
	openssl cms -decrypt -binary -inform DER -in "$T/b.cms" \
		-recip "$T/$who.pem" -inkey "$T/$who.key" -out "$T/dec.$who" ||
		fail "openssl cms -decrypt ($who) failed"
	cmp "$T/dec.$who" "$T/b.tzst" || fail "decrypted ($who) differs from the plain bundle"
done
tar -tf "$T/dec.rsa" | grep -q '^srcproof-bundle/INDEX$' || fail "decrypted tar"

# srcproof verifies, lists and unpacks it with a reviewer's key.
expect_rc 0 sp escrow verify "$T/b.cms" --key "$T/rsa.key" --policy pol.json
expect_grep '^  decryption +PASS +CMS AES-256-GCM, authenticated' "$T/out"
expect_grep '^  signature +PASS' "$T/out"
expect_grep '^result: PASS' "$T/out"
expect_rc 0 sp escrow verify "$T/b.cms" --key "$T/ec.key" --cert "$T/ec.pem" -q
expect_rc 0 sp escrow list "$T/b.cms" --key "$T/ec.key"
expect_grep '^INDEX$' "$T/out"
expect_rc 0 sp escrow unpack "$T/b.cms" --key "$T/rsa.key" -C "$T/u"
(cd "$T/u" && sha256sum --strict -c INDEX >/dev/null) || fail "unpacked INDEX"

# Pack twice: the ciphertext differs (random key), the plaintext does not.
expect_rc 0 pack -q -o "$T/b2.cms" --recipient "$T/rsa.pem"
cmp -s "$T/b.cms" "$T/b2.cms" && fail "two encryptions are identical"
openssl cms -decrypt -binary -inform DER -in "$T/b2.cms" -recip "$T/rsa.pem" \
	-inkey "$T/rsa.key" | cmp - "$T/b.tzst" || fail "plaintext not deterministic"

# A passphrase-protected reviewer key.
openssl pkey -in "$T/rsa.key" -aes256 -passout pass:s3cret -out "$T/rsa-enc.key" ||
	fail "openssl pkey"
SRCPROOF_PASSPHRASE=s3cret expect_rc 0 sp escrow verify "$T/b.cms" --key "$T/rsa-enc.key" -q
expect_rc 0 sp escrow verify "$T/b.cms" --key "$T/rsa-enc.key" -q --passphrase-fd 3 3<<<s3cret
SRCPROOF_PASSPHRASE=wrong expect_rc 1 sp escrow verify "$T/b.cms" --key "$T/rsa-enc.key"
expect_grep "wrong passphrase for key" "$T/err"

# ---- wrong or missing keys -----------------------------------------------------
expect_rc 2 sp escrow verify "$T/b.cms"
expect_grep "is encrypted \(CMS\); a recipient's private key is needed" "$T/err"
expect_grep "hint: add --key" "$T/err"
expect_rc 1 sp escrow verify "$T/b.cms" --key "$T/other.key"
expect_grep '^  decryption +FAIL' "$T/out"
expect_grep '^result: FAIL' "$T/out"
expect_rc 1 sp escrow verify "$T/b.cms" --key "$T/other.key" --cert "$T/other.pem"
expect_grep 'is not encrypted to this key' "$T/out"
expect_rc 1 sp escrow unpack "$T/b.cms" --key "$T/other.key" -C "$T/u2"
[ -e "$T/u2" ] && fail "unpack with a wrong key left a directory"
ls -d "$T"/u2.unpack-* 2>/dev/null && fail "temporary directory left behind"

# ---- tampering ----------------------------------------------------------------
size=$(stat -c %s "$T/b.cms")
cp "$T/b.cms" "$T/t.cms"
printf '\x55' | dd of="$T/t.cms" bs=1 seek=$((size / 2 + 300)) conv=notrunc 2>/dev/null
cmp -s "$T/t.cms" "$T/b.cms" && fail "tampering did not change the file"
expect_rc 1 sp escrow verify "$T/t.cms" --key "$T/rsa.key"
expect_grep '^  decryption +FAIL .*authentication tag does not match' "$T/out"
expect_rc 1 sp escrow unpack "$T/t.cms" --key "$T/rsa.key" -C "$T/u3"
[ -e "$T/u3" ] && fail "unpack of a modified bundle left a directory"
head -c $((size - 40)) "$T/b.cms" >"$T/trunc.cms"
expect_rc 1 sp escrow verify "$T/trunc.cms" --key "$T/rsa.key"
expect_grep '^  decryption +FAIL .*truncated' "$T/out"
printf 'garbage' >>"$T/t2.cms"
cat "$T/b.cms" "$T/t2.cms" >"$T/t3.cms"
expect_rc 1 sp escrow verify "$T/t3.cms" --key "$T/rsa.key"
expect_grep 'data after the end of the CMS structure' "$T/out"

# ---- made by openssl: definite lengths, streamed, and CBC --------------------
openssl cms -encrypt -binary -aes-256-gcm -outform DER -in "$T/b.tzst" \
	-out "$T/o1.cms" "$T/rsa.pem" || fail "openssl cms -encrypt"
expect_rc 0 sp escrow verify "$T/o1.cms" --key "$T/rsa.key" -q
openssl cms -encrypt -binary -aes-256-gcm -stream -outform DER -in "$T/b.tzst" \
	-out "$T/o2.cms" "$T/ec.pem" || fail "openssl cms -encrypt -stream"
expect_rc 0 sp escrow verify "$T/o2.cms" --key "$T/ec.key" -q
openssl cms -encrypt -binary -aes-256-cbc -outform DER -in "$T/b.tzst" \
	-out "$T/o3.cms" "$T/rsa.pem" || fail "openssl cms -encrypt cbc"
expect_rc 0 sp escrow verify "$T/o3.cms" --key "$T/rsa.key"
expect_grep '^  decryption +PASS +CMS AES-256-CBC, EnvelopedData, NOT authenticated' "$T/out"

# ---- a recipient that cannot be used: nothing is written ------------------------
expect_rc 3 pack -o "$T/n1" --recipient "$T/rsa.pem" --recipient "$T/ed.pem"
expect_grep "cannot encrypt to recipient '.*ed.pem'" "$T/err"
expect_grep "hint: recipients need an RSA or EC" "$T/err"
printf 'not a certificate\n' >"$T/junk.pem"
expect_rc 3 pack -o "$T/n1" --recipient "$T/junk.pem"
expect_grep "is not an X.509 certificate" "$T/err"
expect_rc 3 pack -o "$T/n1" --recipient "$T/missing.pem"
expect_grep "does not exist" "$T/err"
# An expired certificate (openssl ca can set past dates).
mkdir "$T/ca" && (
	cd "$T/ca" && touch index.txt && echo 01 >serial &&
		printf '[ca]\ndefault_ca=CA\n[CA]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >ca.cnf &&
		openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -out csr.pem -subj /CN=old 2>/dev/null &&
		openssl ca -batch -config ca.cnf -selfsign -keyfile k.pem -in csr.pem \
			-startdate 20000101000000Z -enddate 20010101000000Z -out old.pem >/dev/null 2>&1
) || fail "cannot make an expired certificate"
expect_rc 2 pack -o "$T/n1" --recipient "$T/ca/old.pem"
expect_grep "recipient certificate '.*old.pem' has expired" "$T/err"
[ -e "$T/n1" ] && fail "a bundle was written although a recipient failed"
ls "$T"/n1* 2>/dev/null && fail "a temporary file was left behind"
echo "escrow_encrypt: ok"
