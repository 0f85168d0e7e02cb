# srcproof release with one key in a file and one in a SoftHSM2 token (a
# PKCS#11 URI in the configuration, its PIN in a variable the config
# names): released with the right PIN, the envelope verifies; refused
# (exit 1, like a wrong passphrase) with a wrong PIN, with nothing written
# or logged and without libp11's own messages.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"

module=/usr/lib/softhsm/libsofthsm2.so
export LSAN_OPTIONS="suppressions=$SP_SOURCE_DIR/tests/signing/libp11.lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
for need in softhsm2-util pkcs11-tool; do
	command -v $need >/dev/null || fail "$need is missing (apt-get install softhsm2 opensc)"
done
[ -f "$module" ] || fail "$module is missing (apt-get install softhsm2)"

D=$T/d
mkdir -p "$D" "$T/tokens"
verify_keys "$D"
verify_product "$D"
cd "$D"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf SRCPROOF_PKCS11_MODULE=$module
softhsm2-util --init-token --free --label rel-hsm --pin 2468 --so-pin 8765 >/dev/null ||
	fail "cannot create a SoftHSM2 token"
pkcs11-tool --module "$module" --token-label rel-hsm --login --pin 2468 \
	--keypairgen --key-type EC:prime256v1 --label rel-key --id 01 >/dev/null 2>&1 ||
	fail "cannot make a key in the token"
pkcs11-tool --module "$module" --token-label rel-hsm --login --pin 2468 \
	--read-object --type pubkey --label rel-key -o tok.der >/dev/null 2>&1 || fail "export"
openssl pkey -pubin -inform DER -in tok.der -out tok.pub || fail "tok.pub"
tokid=$(spx key show -q tok.pub) || fail "tok id"
# The policy: policy.json's 2-of-3 release keys plus the token's key.
verify_policy_plus pol.json tok.pub --roles release,update
spx log init log --key logk --origin example.com/log -q || fail "log init"
mkdir out
cat >rel.json <<'EOF'
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "1.0",
  "source": {"dir": "src"},
  "keys": [{"key": "k1"}, {"key": "pkcs11:token=rel-hsm;object=rel-key", "passphrase_env": "TOK_PIN"}],
  "policy": "pol.json",
  "recipe": {"file": "r.json"},
  "log": {"dir": "log"},
  "output": "out/1.0"
}
EOF
logsum() { find log -type f | LC_ALL=C sort | xargs sha256sum; }
logsum >log.before

# A wrong PIN: refused like a wrong passphrase; no output, the log unchanged.
TOK_PIN=1111 expect_rc 1 sp release --config rel.json --time "$T0"
expect_grep "^srcproof: error: wrong PIN for PKCS#11 token 'rel-hsm' \(login refused\)" "$T/err"
expect_no_grep 'Login failed|PKCS11_get_private_key|not found at' "$T/err"
[ ! -e out/1.0 ] || fail "an output directory was made after a wrong PIN"
logsum | cmp -s - log.before || fail "the log changed after a wrong PIN"
# The same with a wrong passphrase for a file key: the same status.
sed 's/"key": "k1"}/"key": "k3", "passphrase_env": "K3_PASS"}/' rel.json >rel3.json
K3_PASS=wrong TOK_PIN=2468 expect_rc 1 sp release --config rel3.json --time "$T0"
expect_grep 'wrong passphrase' "$T/err"
[ ! -e out/1.0 ] || fail "an output directory was made after a wrong passphrase"

# The right PIN: released, both keys sign, the envelope verifies.
TOK_PIN=2468 expect_rc 0 sp release --config rel.json --time "$T0"
expect_grep '^released avscan 1.0 \(release\) into out/1.0$' "$T/out"
expect_grep '^  signatures  manifest.sig  2 for role release, 2 required by policy version 1$' "$T/out"
jq -e --arg t "$tokid" '.signatures == 2 and (.keyids | index($t)) != null' out/1.0/release.json >/dev/null ||
	fail "release.json does not name the token's key"
expect_rc 0 sp verify-sig out/1.0/manifest --sig out/1.0/manifest.sig --policy pol.json --at "$T0"
expect_grep 'signed for role release by 2 of 2 required keys' "$T/out"
expect_rc 0 sp verify-sig out/1.0/manifest --sig out/1.0/manifest.sig --pubkey tok.pub
logsum | cmp -s - log.before && fail "the release was not logged"
echo "release_pkcs11: ok"
