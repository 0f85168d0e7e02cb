# srcproof attach-signature reproduces osslsigncode attach-signature byte for
# byte; srcproof compare --signature checks shipped == rebuilt + signature.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_pe.sh" "${SP_BINARY_DIR:-$T}/fixtures/pe") ||
	fail "cannot build the PE fixtures"

# Byte for byte: even and odd lengths, a nested+timestamped signature, PEM.
expect_rc 0 sp attach-signature "$F/u64.exe" "$F/s64.p7" -o "$T/a.exe"
expect_grep '^signature attached: ' "$T/out"
cmp "$T/a.exe" "$F/att64.osslsigncode.exe" || fail "attach differs from osslsigncode (even length)"
cmp "$T/a.exe" "$F/s64.exe" || fail "attach does not rebuild the signed file"
expect_rc 0 sp attach-signature -q "$F/o64.exe" "$F/so64.p7" -o "$T/o.exe"
cmp "$T/o.exe" "$F/atto64.osslsigncode.exe" || fail "attach differs from osslsigncode (odd length)"
expect_rc 0 sp attach-signature --json "$F/u64.exe" "$F/sn64.p7" -o "$T/n.exe"
jq -e '.schema == "srcproof.attach-signature/v1"' "$T/out" >/dev/null || fail "bad JSON"
cmp "$T/n.exe" "$F/attn64.osslsigncode.exe" || fail "attach differs from osslsigncode (nested)"
expect_rc 0 sp attach-signature "$F/u64.exe" "$F/s64.pem" -o "$T/p.exe"
cmp "$T/p.exe" "$F/s64.exe" || fail "PEM signature attached differently"
osslsigncode verify -CAfile "$F/ca.pem" -in "$T/o.exe" >/dev/null 2>&1 ||
	fail "osslsigncode does not verify our output"

# Refusals: existing output, another build's signature, a signed input.
expect_rc 3 sp attach-signature "$F/u64.exe" "$F/s64.p7" -o "$T/a.exe"
expect_grep "already exists" "$T/err"
expect_rc 0 sp attach-signature -q --force "$F/u64.exe" "$F/s64.p7" -o "$T/a.exe"
expect_rc 1 sp attach-signature "$F/u64b.exe" "$F/s64.p7" -o "$T/x.exe"
expect_grep "digest does not match the image" "$T/err"
[ ! -e "$T/x.exe" ] || fail "output written despite a mismatch"
expect_rc 3 sp attach-signature "$F/s64.exe" "$F/s64.p7" -o "$T/x.exe"
expect_grep "already signed" "$T/err"
printf 'not a signature' >"$T/junk.p7"
expect_rc 3 sp attach-signature "$F/u64.exe" "$T/junk.p7" -o "$T/x.exe"
expect_grep "malformed PKCS#7" "$T/err"
expect_rc 2 sp attach-signature "$F/u64.exe" "$F/s64.p7"
expect_grep "'-o OUT' is required" "$T/err"
expect_rc 0 sp attach-signature --help
expect_grep '^usage: srcproof attach-signature' "$T/out"

# compare --signature: whole-file equality with the escrowed signature.
expect_rc 0 sp compare --json --signature "$F/s64.p7" "$F/s64.exe" "$F/u64.exe"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .method == "pe-detached-signature"
  and .signatures[0].origin == "detached" and .signatures[0].digest_match' \
	"$T/out" >/dev/null || fail "--signature match not reported"
expect_rc 0 sp compare -q --signature "$F/so64.p7" "$F/so64.exe" "$F/o64.exe"
# Shipped carries a later timestamp: not the escrowed signature any more.
expect_rc 1 sp compare --signature "$F/s64.p7" "$F/sa64.exe" "$F/u64.exe"
expect_grep '^verdict +DIFFERENT' "$T/out"
expect_grep 'certificate table' "$T/out"
# A signature from another build.
expect_rc 1 sp compare --json --signature "$F/s64b.p7" "$F/s64.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and (.signatures[0].digest_match | not)
  and any(.findings[]; .code == "digest-mismatch")' "$T/out" >/dev/null ||
	fail "foreign detached signature not caught"
expect_rc 3 sp compare --signature "$T/junk.p7" "$F/s64.exe" "$F/u64.exe"
expect_grep "malformed PKCS#7" "$T/err"
echo "compare_attach: ok"
