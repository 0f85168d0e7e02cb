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
# PIN in the URI (RFC 7512 pin-value), RSA key.
expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=rsa-release;pin-value=4321" -o rsa.sig
expect_rc 0 sp verify-sig rel.tar --sig rsa.sig --pubkey rsa-release.pub
# PIN from a descriptor; the module named in the URI.
expect_rc 0 env -u SRCPROOF_PKCS11_MODULE "$SRCPROOF" sign rel.tar \
	--key "pkcs11:token=sp-test;object=ec-release?module-path=$module" \
	-o both.sig --passphrase-fd 3 3<<<4321
expect_rc 0 sp sign rel.tar --key "pkcs11:token=sp-test;object=rsa-release;pin-value=4321" -o both.sig --append
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

# Failures: wrong PIN, unknown object, no module.
SRCPROOF_PASSPHRASE=0000 expect_rc 3 sp sign rel.tar --key "pkcs11:token=sp-test;object=ec-release" -o x.sig
expect_grep 'cannot load the PKCS#11 key' "$T/err"
[ ! -e x.sig ] || fail "a signature was written after a failed login"
expect_rc 3 sp sign rel.tar --key "pkcs11:token=sp-test;object=nope;pin-value=4321" -o x.sig
expect_grep 'cannot load the PKCS#11 key' "$T/err"
SRCPROOF_PKCS11_MODULE=$T/no-such-module.so expect_rc 3 sp sign rel.tar --key "pkcs11:token=sp-test;object=ec-release;pin-value=4321" -o x.sig
expect_grep "PKCS#11 module '$T/no-such-module.so' cannot be read" "$T/err"
expect_grep 'hint: set SRCPROOF_PKCS11_MODULE' "$T/err"
echo "signing_pkcs11: ok"
