# Keys in an HSM: a real SoftHSM2 token, keys generated inside it with
# pkcs11-tool, signatures made through the PKCS#11 engine and checked with
# the exported public keys (srcproof and openssl).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

module=/usr/lib/softhsm/libsofthsm2.so
# libp11 never frees its method tables: known leaks, suppressed by name.
case "$SP_WRAPPER" in
*valgrind*) SP_WRAPPER="$SP_WRAPPER --suppressions=$SP_SOURCE_DIR/tests/signing/libp11.supp" ;;
esac
export LSAN_OPTIONS="suppressions=$SP_SOURCE_DIR/tests/signing/libp11.lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
for need in softhsm2-util pkcs11-tool; do
	command -v $need >/dev/null || fail "$need is missing (apt-get install softhsm2 opensc)"
done
[ -f "$module" ] || fail "$module is missing (apt-get install softhsm2)"
[ -f "$(openssl version -e | sed 's/.*"\(.*\)"/\1/')/pkcs11.so" ] ||
	fail "the OpenSSL pkcs11 engine is missing (apt-get install libengine-pkcs11-openssl)"

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >softhsm2.conf
export SOFTHSM2_CONF=$T/softhsm2.conf SRCPROOF_PKCS11_MODULE=$module
softhsm2-util --init-token --free --label sp-test --pin 4321 --so-pin 8765 >/dev/null ||
	fail "cannot create a SoftHSM2 token"
p11() { pkcs11-tool --module "$module" --token-label sp-test --login --pin 4321 "$@"; }
p11 --keypairgen --key-type EC:prime256v1 --label ec-release --id 01 >/dev/null 2>&1 ||
	fail "cannot make an EC key in the token"
p11 --keypairgen --key-type rsa:2048 --label rsa-release --id 02 >/dev/null 2>&1 ||
	fail "cannot make an RSA key in the token"
for label in ec-release rsa-release; do
	p11 --read-object --type pubkey --label $label -o $label.der >/dev/null 2>&1 ||
		fail "cannot export $label"
	openssl pkey -pubin -inform DER -in $label.der -out $label.pub
done

printf 'signed inside the token\n' >rel.tar
# PIN from the environment (the CI path).
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=ec-release" -o ec.sig
expect_rc 0 sp verify-sig rel.tar --sig ec.sig --pubkey ec-release.pub
expect_grep 'by 1 of 1 required key' "$T/out"
# PIN in the URI (RFC 7512 pin-value), RSA key: it works, with a warning
# that the PIN is on the command line (and without the PIN itself).
expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=rsa-release;pin-value=4321" -o rsa.sig
expect_grep '^srcproof: warning: a PKCS#11 URI with pin-value= puts the PIN on the command line' "$T/err"
expect_grep 'hint: use pin-source=FILE in the URI, --passphrase-fd N or SRCPROOF_PASSPHRASE' "$T/err"
expect_no_grep 4321 "$T/err"
expect_rc 0 sp verify-sig rel.tar --sig rsa.sig --pubkey rsa-release.pub
# pin-source= (a file holding the PIN) keeps it off the command line.
printf '4321' >pin.txt
expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=rsa-release;pin-source=file:$T/pin.txt" -o rsa2.sig
expect_no_grep 'warning' "$T/err"
expect_rc 0 sp verify-sig rel.tar --sig rsa2.sig --pubkey rsa-release.pub
# PIN from a descriptor; the module named in the URI.
expect_rc 0 env -u SRCPROOF_PKCS11_MODULE "$SRCPROOF" sign rel.tar \
	--key "pkcs11:token=sp-test;object=ec-release?module-path=$module" \
	-o both.sig --passphrase-fd 3 3<<<4321
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=rsa-release" -o both.sig --append
expect_no_grep 'warning' "$T/err"
expect_rc 0 sp verify-sig rel.tar --sig both.sig --pubkey ec-release.pub --pubkey rsa-release.pub --threshold 2
# The key id is the same as for the exported public key.
jq -e --arg k "$(sp key show -q ec-release.pub)" '.signatures[0].keyid == $k' ec.sig >/dev/null ||
	fail "PKCS#11 key id differs from the exported public key's"
# openssl alone agrees.
jq -j .payload ec.sig | base64 -d >payload.bin
type=$(jq -j .payloadType ec.sig)
{ printf 'DSSEv1 %d %s %d ' ${#type} "$type" "$(stat -c %s payload.bin)"; cat payload.bin; } >pae.bin
jq -j '.signatures[0].sig' ec.sig | base64 -d >sig.bin
openssl pkeyutl -verify -pubin -inkey ec-release.pub -rawin -digest sha256 -in pae.bin -sigfile sig.bin >/dev/null ||
	fail "openssl rejects the token's signature"
# A policy signed by a token key.
sp policy create -o pol.json --expires 2099-01-01 -q
sp policy add-key pol.json ec-release.pub --roles root,release -q
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp policy sign pol.json --key "pkcs11:token=sp-test;object=ec-release"
expect_rc 0 sp verify-sig rel.tar --sig ec.sig --policy pol.json

# Other commands that take --key: a review attestation signed in the token.
mkdir msrc && printf 'int main(void) { return 0; }\n' >msrc/main.c
"$SRCPROOF" manifest create msrc -o m -q --product p --release 1 || fail "manifest"
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp review attest m --all --depth read --verdict ok \
	--key "pkcs11:token=sp-test;object=ec-release" -o m.att
expect_rc 0 sp verify-sig m --sig m.att --pubkey ec-release.pub
expect_grep 'by 1 of 1 required key' "$T/out"

# A decryption key in the token: an escrow bundle encrypted to a reviewer
# whose RSA and EC keys were made with openssl and imported into the token
# (the certificates come from the file copies, which are then removed).
for kt in rsa ec; do
	case $kt in
	rsa) newkey="rsa:2048" opt= id=11 usage=--usage-decrypt ;;
	ec) newkey=ec opt="-pkeyopt ec_paramgen_curve:P-256" id=12 usage=--usage-derive ;;
	esac
	# shellcheck disable=SC2086
	openssl req -x509 -nodes -newkey $newkey $opt -keyout $kt-rcpt.key \
		-out $kt-rcpt.pem -subj "/CN=$kt-rcpt" -days 30 2>/dev/null || fail "openssl req $kt"
	openssl pkey -in $kt-rcpt.key -outform DER -out $kt-rcpt.der || fail "DER $kt"
	p11 --write-object $kt-rcpt.der --type privkey --label $kt-rcpt --id $id $usage >/dev/null 2>&1 ||
		fail "cannot import the $kt key into the token"
	rm -f $kt-rcpt.key $kt-rcpt.der
done
bash "$SP_SOURCE_DIR/tests/fixtures/escrow_setup.sh" "$T/in" >/dev/null || fail "fixture setup failed"
(cd "$T/in" && "$SRCPROOF" escrow pack --manifest m --sig m.sig --source src --recipe r.json \
	--policy pol.json -o "$T/b.cms" --recipient "$T/rsa-rcpt.pem" --recipient "$T/ec-rcpt.pem" -q) ||
	fail "escrow pack"
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp escrow unpack b.cms --key "pkcs11:token=sp-test;object=rsa-rcpt" -C u-rsa
expect_grep 'every member matches INDEX' "$T/out"
cmp u-rsa/manifest in/m || fail "unpacked manifest differs"
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp escrow unpack b.cms --key "pkcs11:token=sp-test;object=ec-rcpt" \
	--cert ec-rcpt.pem -C u-ec
cmp u-ec/manifest in/m || fail "unpacked manifest differs (EC)"
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp escrow verify b.cms --key "pkcs11:token=sp-test;object=rsa-rcpt"
expect_grep '^  decryption +PASS +CMS AES-256-GCM, authenticated' "$T/out"
SRCPROOF_PASSPHRASE=4321 expect_rc 0 sp verify b.cms --key "pkcs11:token=sp-test;object=ec-rcpt" --policy in/pol.json
expect_grep '^  decryption +PASS +CMS AES-256-GCM, authenticated' "$T/out"
expect_grep '^result: PASS' "$T/out"
# A token key that is not a recipient cannot open it.
SRCPROOF_PASSPHRASE=4321 expect_rc 1 sp escrow unpack b.cms --key "pkcs11:token=sp-test;object=rsa-release" -C u-x
[ ! -e u-x ] || fail "unpacked with a key that is no recipient"
SRCPROOF_PASSPHRASE=0000 expect_rc 1 sp escrow unpack b.cms --key "pkcs11:token=sp-test;object=rsa-rcpt" -C u-x
expect_grep "wrong PIN for PKCS#11 token 'sp-test'" "$T/err"

# Log and witness keys are Ed25519, which libp11 0.4.12 cannot load from a
# token: refused with that reason, nothing made.
SRCPROOF_PASSPHRASE=4321 expect_rc 3 sp log init lg --key "pkcs11:token=sp-test;object=ec-release" --origin example.com/log
expect_grep 'error: a PKCS#11 key cannot sign for the log: log and witness keys are Ed25519, and libp11 0.4.12 .* cannot load Ed25519 keys from a token' "$T/err"
[ ! -e lg ] || fail "a log was made with a PKCS#11 key"

# Failures: wrong PIN (a refusal, exit 1, like a wrong passphrase), unknown
# object, no module. libp11's own chatter ("Login failed") is not shown.
SRCPROOF_PASSPHRASE=0000 expect_rc 1 sp sign rel.tar --key "pkcs11:token=sp-test;object=ec-release" -o x.sig
expect_grep "^srcproof: error: wrong PIN for PKCS#11 token 'sp-test' \(login refused\)" "$T/err"
expect_no_grep 'Login failed|PKCS11_get_private_key|not found at' "$T/err"
[ ! -e x.sig ] || fail "a signature was written after a failed login"
SRCPROOF_PASSPHRASE=4321 expect_rc 3 sp sign rel.tar --key "pkcs11:token=sp-test;object=nope" -o x.sig
expect_grep 'cannot load the PKCS#11 key \(wrong URI or PIN\?\): pkcs11 engine: object not found' "$T/err"
expect_no_grep 'PKCS11_get_private_key|not found at' "$T/err"
SRCPROOF_PASSPHRASE=4321 SRCPROOF_PKCS11_MODULE=$T/no-such-module.so expect_rc 3 sp sign rel.tar --key "pkcs11:token=sp-test;object=ec-release" -o x.sig
expect_grep "PKCS#11 module '$T/no-such-module.so' cannot be read" "$T/err"
expect_grep 'hint: set SRCPROOF_PKCS11_MODULE' "$T/err"
echo "signing_pkcs11: ok"
