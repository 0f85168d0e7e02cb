# srcproof compare on ELF files: build paths, -ffile-prefix-map, a .text
# change, kernel module signature trailers, malformed ELF.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_elf.sh" "${SP_BINARY_DIR:-$T}/fixtures/elf") ||
	fail "cannot build the ELF fixtures"

# Two directories, no prefix map: only build-id and debuglink CRC differ.
expect_rc 1 sp compare --json "$F/a.elf" "$F/b.elf"
jq -e '.verdict == "EXPLAINED_DIFFERENCE" and (.match | not) and .method == "elf"
  and .ranges_total >= 2 and .bytes_differing >= 2 and .bytes_differing <= 24
  and all(.ranges[]; .explained)
  and (.ranges | map(.region) | unique) == ["CRC32 (.gnu_debuglink)", "build-id (.note.gnu.build-id)"]
  and .elf.shipped_build_id != .elf.rebuilt_build_id' "$T/out" >/dev/null ||
	fail "build-path difference not explained"
# With -ffile-prefix-map: identical.
expect_rc 0 sp compare -q "$F/ma.elf" "$F/mb.elf"
[ "$(cat "$T/out")" = IDENTICAL ] || fail "prefix-mapped builds not identical"
# A .text change: DIFFERENT, mapped to .text.
expect_rc 1 sp compare "$F/mb.elf" "$F/mc.elf"
expect_grep '^verdict +DIFFERENT' "$T/out"
expect_grep "section '\.text'" "$T/out"
expect_grep 'build-id .*\[explained\]' "$T/out"
# A byte inside the program header table: DIFFERENT, the range labelled
# with the entry it falls in (p_offset of entry 0, then of entry 3).
. "$SP_SOURCE_DIR/tests/fixtures/pe_lib.sh"
phoff=$(u32at "$F/ma.elf" 32)
phsz=$(u16at "$F/ma.elf" 54)
[ "$phoff" -gt 0 ] && [ "$phsz" = 56 ] || fail "unexpected ELF header in ma.elf"
cp "$F/ma.elf" "$T/ph0.elf"
flip "$T/ph0.elf" $((phoff + 8))
expect_rc 1 sp compare --json "$F/ma.elf" "$T/ph0.elf"
jq -e --argjson o $((phoff + 8)) '.verdict == "DIFFERENT" and .ranges_total == 1
  and .ranges[0].offset == $o and .ranges[0].length == 1
  and (.ranges[0].region | test("^program header\\[0\\]"))
  and (.ranges[0].explained | not)' "$T/out" >/dev/null ||
	fail "program header difference: $(jq -c .ranges "$T/out")"
cp "$F/ma.elf" "$T/ph3.elf"
flip "$T/ph3.elf" $((phoff + 3 * phsz + 8))
expect_rc 1 sp compare "$F/ma.elf" "$T/ph3.elf"
expect_grep '^verdict +DIFFERENT' "$T/out"
expect_grep 'program header\[3\]' "$T/out"
expect_no_grep 'program header\[[0-24-9]' "$T/out"

# Kernel module signature trailer: stripped, verified over the rebuild.
expect_rc 0 sp compare --json "$F/mod.signed.ko" "$F/mod.ko"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .method == "elf-module-signature"
  and .module_signature.valid_over_rebuilt and .module_signature.digest_algorithm == "sha256"
  and .normalized.size == .rebuilt.size' "$T/out" >/dev/null ||
	fail "signed module not matched"
expect_rc 0 sp compare -q "$F/mod.attr.ko" "$F/mod.ko"
expect_rc 1 sp compare "$F/mod.badsig.ko" "$F/mod.ko"
expect_grep 'does not verify over the rebuilt module' "$T/out"
expect_rc 1 sp compare "$F/mod.nocert.ko" "$F/mod.ko"
expect_grep 'signer certificate not in the signature' "$T/out"
# Kernel modules are signed without certificates: give the key's.
expect_rc 0 sp compare -q --signer-cert "$F/mod.pem" "$F/mod.nocert.ko" "$F/mod.ko"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.pem" \
	-days 30 -subj "/CN=another key" 2>/dev/null || fail "openssl req failed"
expect_rc 1 sp compare --signer-cert "$T/other.pem" "$F/mod.nocert.ko" "$F/mod.ko"
expect_grep 'neither in the signature nor the given one' "$T/out"
expect_rc 3 sp compare --signer-cert "$F/mod.c" "$F/mod.nocert.ko" "$F/mod.ko"
expect_grep "is not a certificate" "$T/err"
expect_rc 1 sp compare -q "$F/mod.signed.ko" "$F/mod2.ko"
# Rebuilt file signed too: its trailer is stripped.
expect_rc 0 sp compare -q "$F/mod.signed.ko" "$F/mod.attr.ko"

# sign-file -k: the SignerInfo names its signer by subjectKeyIdentifier.
skid=$(openssl x509 -in "$F/mod.pem" -noout -ext subjectKeyIdentifier |
	sed -n 's/^ *//; 2p' | tr -d ':' | tr 'A-F' 'a-f')
[ ${#skid} = 40 ] || fail "no subjectKeyIdentifier in the fixture certificate"
expect_rc 0 sp compare --json --signer-cert "$F/mod.pem" "$F/mod.skid.ko" "$F/mod.ko"
jq -e --arg k "$skid" '.verdict == "IDENTICAL_MODULO_SIGNATURE"
  and .method == "elf-module-signature" and .module_signature.valid_over_rebuilt
  and .module_signature.signer_id == "subject_key_identifier"
  and .module_signature.key_id == $k and .module_signature.issuer == null
  and .module_signature.signer == "CN=srcproof test module key"
  and (.module_signature.signed_attributes | not)
  and .module_signature.length == (.shipped.size - .rebuilt.size - 40)
  and .normalized.sha256 == .rebuilt.sha256 and .signatures == []
  and (.findings | map(select(.severity == "fail")) == [])' "$T/out" >/dev/null ||
	fail "SKID-signed module not matched"
expect_rc 0 sp compare --signer-cert "$F/mod.pem" "$F/mod.skid.ko" "$F/mod.ko"
expect_grep "signer identified by subjectKeyIdentifier $skid" "$T/out"
# The issuer/serial form says so.
expect_rc 0 sp compare --json "$F/mod.signed.ko" "$F/mod.ko"
jq -e '.module_signature.signer_id == "issuer_and_serial"
  and .module_signature.key_id == null
  and .module_signature.issuer == "CN=srcproof test module key"
  and (.module_signature.serial | test("^[0-9A-F]+$"))' "$T/out" >/dev/null ||
	fail "issuer and serial not reported"
# Without the certificate the SKID signature cannot be checked: no match.
expect_rc 1 sp compare --json "$F/mod.skid.ko" "$F/mod.ko"
jq -e '.verdict == "DIFFERENT" and (.module_signature.valid_over_rebuilt | not)
  and .module_signature.error == "signer certificate not in the signature"
  and any(.findings[]; .code == "module-signature" and .severity == "fail"
    and (.message | contains("subjectKeyIdentifier")))' "$T/out" >/dev/null ||
	fail "SKID signature without certificate accepted"
# Another key's certificate with the same names: not the signer.
expect_rc 1 sp compare --signer-cert "$F/other.pem" "$F/mod.skid.ko" "$F/mod.ko"
expect_grep 'neither in the signature nor the given one' "$T/out"
expect_grep '^verdict +DIFFERENT' "$T/out"
# Certificate inside the signature, found by its subjectKeyIdentifier.
expect_rc 0 sp compare -q "$F/mod.skid.certs.ko" "$F/mod.ko"
[ "$(cat "$T/out")" = IDENTICAL_MODULO_SIGNATURE ] || fail "SKID with certificate"
# Signed attributes with SKID.
expect_rc 0 sp compare --json "$F/mod.skid.attr.ko" "$F/mod.ko"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .module_signature.signed_attributes
  and .module_signature.signer_id == "subject_key_identifier"' "$T/out" >/dev/null ||
	fail "SKID with signed attributes not matched"
# A SKID signature made over different bytes is not a match.
expect_rc 1 sp compare --signer-cert "$F/mod.pem" "$F/mod.skid.badsig.ko" "$F/mod.ko"
expect_grep '^verdict +DIFFERENT' "$T/out"
expect_grep 'signature over the content does not verify' "$T/out"
expect_rc 1 sp compare "$F/mod.skid.attr.badsig.ko" "$F/mod.ko"
expect_grep 'messageDigest attribute does not match' "$T/out"
# The rebuilt module differs: the trailer is still read, the verdict is DIFFERENT.
expect_rc 1 sp compare --json --signer-cert "$F/mod.pem" "$F/mod.skid.ko" "$F/mod2.ko"
jq -e '.verdict == "DIFFERENT" and .ranges_total > 0
  and (.module_signature.valid_over_rebuilt | not)' "$T/out" >/dev/null ||
	fail "SKID module against another module"

# Malformed: ERROR, exit 3.
bad() {
	expect_rc 3 sp compare "$F/$1" "$F/$2"
	expect_grep '^verdict +ERROR' "$T/out"
	expect_grep "^srcproof: error: .*$3" "$T/err"
}
bad bad_trunc.elf ma.elf 'truncated ELF header'
bad bad_shoff.elf ma.elf 'section header table offset 4000000000 lies outside the file'
bad bad_secoff.elf ma.elf "section 1 '.*' \(offset 4000000000, .*\) lies outside the file"
bad bad_siglen.ko mod.ko 'module signature length 4294967295 does not fit'
bad bad_sigtype.ko mod.ko 'module signature of type 1 is not PKCS#7'
bad bad_sigder.ko mod.ko 'malformed PKCS#7 module signature'
echo "compare_elf: ok"
