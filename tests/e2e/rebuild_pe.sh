# Rebuilding a signed Windows binary: the vendor builds hello.exe with
# mingw-w64, signs it with osslsigncode (throw-away CA) and escrows the
# detached signature. The rebuild matches modulo the signature, with or
# without the shipped file at hand, with or without the detached
# signature; a signature made for another build is caught.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/rebuild_setup.sh"
for tool in x86_64-w64-mingw32-gcc osslsigncode openssl; do
	need_tool "$tool" "scripts/bootstrap.sh test installs it"
done
cd "$T"
rb_keys

# A throw-away code-signing certificate.
cat >ca.cnf <<'EOF'
[req]
distinguished_name=dn
[dn]
[cs]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout cs.key -out cs.pem -days 3650 \
	-subj "/CN=srcproof rebuild test signer" -config ca.cnf -extensions cs \
	2>/dev/null || fail "certificate"
sign() { # IN OUT
	osslsigncode sign -certs cs.pem -key cs.key -time 1700000000 -in "$1" \
		-out "$2" >/dev/null 2>&1 || fail "osslsigncode sign $1"
}

mkdir -p pe.src
cat >pe.src/hello.c <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from a reproducible build"); return 0; }
EOF
cat >pe.src/build.sh <<'EOF'
mkdir -p out
x86_64-w64-mingw32-gcc -O2 -s -Wl,--no-insert-timestamp -o out/hello.exe hello.c
EOF
rb_release pe --output out/hello.exe -- sh build.sh
# The vendor signs what it ships and escrows the detached signature.
mv pe.shipped/hello.exe unsigned.exe
sign unsigned.exe pe.shipped/hello.exe
mkdir sigs
osslsigncode extract-signature -in pe.shipped/hello.exe -out sigs/hello.exe.p7s \
	>/dev/null 2>&1 || fail "extract-signature"
rb_pack pe --binary-sigs sigs
cmp -s unsigned.exe pe.shipped/hello.exe && fail "the shipped file is not signed"

# 1. The shipped file at hand: it is the rebuild with the signature attached.
expect_rc 0 sp rebuild pe.bundle --shipped pe.shipped -o r1 --key rebuilder.key
expect_grep '^  IDENTICAL_MODULO_SIGNATURE +hello.exe$' "$T/out"
expect_grep '^  method +detached-authenticode$' "$T/out"
expect_grep '^  signature +binary-sigs/hello.exe.p7s \(detached\)$' "$T/out"
jq -e '.predicate.verdict == "IDENTICAL_MODULO_SIGNATURE" and
	.predicate.artefacts[0].compare_method == "pe-detached-signature" and
	.predicate.artefacts[0].rebuilt_sha256 != .predicate.artefacts[0].shipped_sha256 and
	(.predicate.artefacts[0].signatures | length) >= 1 and
	(.predicate.artefacts[0].signatures | all(.digest_match and .signature_valid))' \
	r1/verdict.json >/dev/null || fail "r1 verdict.json"
expect_rc 0 sp verify-sig pe.shipped/hello.exe --sig r1/verdict.sig --pubkey rebuilder.key.pub

# 2. Only the declared digest: the detached signature is attached to the
# rebuild and gives exactly the shipped file.
expect_rc 0 sp rebuild pe.bundle -o r2
expect_grep '^  IDENTICAL_MODULO_SIGNATURE +hello.exe$' "$T/out"
expect_grep 'the rebuilt file with the detached signature attached has the SHA-256 declared' "$T/out"
cmp -s r2/attached/out/hello.exe pe.shipped/hello.exe || fail "attached file differs"

# 3. No detached signature: the embedded one is normalized away and its
# digest checked against the rebuild.
rb_pack pe
expect_rc 0 sp rebuild pe.bundle --shipped pe.shipped -o r3
expect_grep '^  IDENTICAL_MODULO_SIGNATURE +hello.exe$' "$T/out"
expect_grep '^  method +normalized-authenticode$' "$T/out"
# ... and without the shipped file nothing can show it: DIFFERENT.
expect_rc 1 sp rebuild pe.bundle -o r4
expect_grep '^  method +sha256$' "$T/out"
expect_grep 'give --shipped DIR for a signature-aware comparison' "$T/out"

# 4. A detached signature made for another build.
sed 's/reproducible build/different build/' pe.src/hello.c >other.c
x86_64-w64-mingw32-gcc -O2 -s -Wl,--no-insert-timestamp -o other.exe other.c ||
	fail "other build"
sign other.exe other-signed.exe
rm sigs/hello.exe.p7s
osslsigncode extract-signature -in other-signed.exe -out sigs/hello.exe.p7s \
	>/dev/null 2>&1 || fail "extract other"
rb_pack pe --binary-sigs sigs
expect_rc 1 sp rebuild pe.bundle --shipped pe.shipped -o r5 --key rebuilder.key
expect_grep '^  DIFFERENT +hello.exe$' "$T/out"
expect_rc 0 sp verify-sig pe.bundle --sig r5/verdict.sig --pubkey rebuilder.key.pub
expect_rc 1 sp rebuild pe.bundle -o r6
expect_grep 'the detached signature binary-sigs/hello.exe.p7s does not cover the rebuilt file' "$T/out"
echo "rebuild_pe: ok"
