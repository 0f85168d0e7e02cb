# srcproof compare on PE32/PE32+ Authenticode images: normalization,
# signatures (nested, timestamped, every digest algorithm), tampering.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_pe.sh" "${SP_BINARY_DIR:-$T}/fixtures/pe") ||
	fail "cannot build the PE fixtures"

verdict() { # verdict WANT_RC WANT_VERDICT SHIPPED REBUILT [options]
	local rc=$1 want=$2
	shift 2
	expect_rc "$rc" sp compare -q "$@"
	[ "$(cat "$T/out")" = "$want" ] || fail "compare $*: got '$(cat "$T/out")', want $want"
}

# Matches: signed vs unsigned, PE32 (sha384) and PE32+ (sha256).
verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/s64.exe" "$F/u64.exe"
verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/s32.exe" "$F/u32.exe"
verdict 0 IDENTICAL "$F/u64.exe" "$F/u64.exe"
verdict 0 IDENTICAL "$F/s64.exe" "$F/s64.exe"
# Odd length with an overlay: the rebuilt file is padded to 8.
verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/so64.exe" "$F/o64.exe"
# osslsigncode remove-signature output (padding kept, CheckSum recomputed).
verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/so64.exe" "$F/ro64.exe"
if [ -f "$F/sl64.exe" ]; then
	verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/sl64.exe" "$F/l64.exe"
	verdict 0 IDENTICAL_MODULO_SIGNATURE "$F/sl32.exe" "$F/l32.exe"
fi

# A signed rebuild: its own certificate table is stripped first.
expect_rc 0 sp compare --json "$F/sa64.exe" "$F/s64.exe"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE"
  and any(.findings[]; .code == "rebuilt-signed")' "$T/out" >/dev/null ||
	fail "signed rebuild not stripped"

# Nested signatures with a timestamp: every digest checked.
expect_rc 0 sp compare --json "$F/snn64.exe" "$F/u64.exe"
jq -e '.schema == "srcproof.compare/v1" and .verdict == "IDENTICAL_MODULO_SIGNATURE"
  and .match and .method == "pe-authenticode"
  and (.signatures | length) == 3
  and ([.signatures[].digest_algorithm] | sort) == ["sha1", "sha256", "sha512"]
  and ([.signatures[] | select(.nested)] | length) == 2
  and all(.signatures[]; .digest_match and .signature_valid and .digest == .rebuilt_digest)
  and .signatures[0].timestamp.kind == "rfc3161"
  and (.signatures[0].timestamp.time | test("^20[0-9]{2}-"))
  and .signatures[0].signing_time == "2023-11-14T22:13:20Z"
  and (.signatures[0].signer | test("srcproof test signer"))
  and .pe_shipped.checksum_valid and .pe_shipped.certificate_table.entries == 1
  and .normalized.size == .rebuilt.size and (.normalized.sha256 | length) == 64' \
	"$T/out" >/dev/null || fail "nested/timestamped JSON result is wrong"
# A bad nested signature: one byte of the nested SHA-1 signature's
# SpcIndirectDataContent digest flipped (inside the primary signature's
# unauthenticated attributes, so the image and the primary signature are
# untouched): DIFFERENT, and that signature, only it, has digest_match false.
nd=$(jq -r '.signatures[] | select(.nested and .digest_algorithm == "sha1") | .digest' "$T/out")
[ ${#nd} = 40 ] || fail "no nested SHA-1 digest in snn64.exe"
at=$(LC_ALL=C grep -obUaP "$(echo "$nd" | sed 's/../\\x&/g')" "$F/snn64.exe" | cut -d: -f1)
[ -n "$at" ] && [ "$(echo "$at" | wc -l)" = 1 ] || fail "the nested digest is not in snn64.exe once: '$at'"
cp "$F/snn64.exe" "$T/nestbad.exe"
. "$SP_SOURCE_DIR/tests/fixtures/pe_lib.sh"
flip "$T/nestbad.exe" $((at + 10))
expect_rc 1 sp compare --json "$T/nestbad.exe" "$F/u64.exe"
jq -e --arg d "$nd" '.verdict == "DIFFERENT" and (.match | not) and .ranges_total == 0
  and (.signatures | length) == 3
  and ([.signatures[] | select(.digest_match | not)] | length) == 1
  and ([.signatures[] | select(.digest_match | not)][0] | .nested
       and .digest_algorithm == "sha1" and .digest != $d and .rebuilt_digest == $d
       and (.ok | not))
  and all(.signatures[] | select(.nested | not); .digest_match and .signature_valid)' \
	"$T/out" >/dev/null || fail "bad nested signature not caught: $(jq -c '[.verdict, .signatures]' "$T/out")"
expect_rc 1 sp compare "$T/nestbad.exe" "$F/u64.exe"
expect_grep '^verdict +DIFFERENT' "$T/out"
# Two WIN_CERTIFICATE entries: both walked, both checked.
expect_rc 0 sp compare --json "$F/smulti64.exe" "$F/u64.exe"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .pe_shipped.certificate_table.entries == 2
  and ([.signatures[].entry] == [0, 1]) and all(.signatures[]; .ok)
  and .signatures[1].timestamp.kind == "rfc3161"' "$T/out" >/dev/null ||
	fail "second certificate table entry not checked"
expect_rc 1 sp compare --json "$F/smultibad64.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and .ranges_total == 0 and .signatures[0].ok
  and (.signatures[1].digest_match | not)' "$T/out" >/dev/null ||
	fail "foreign second entry not caught"
# A timestamp added later with 'osslsigncode add'.
expect_rc 0 sp compare --json "$F/sa64.exe" "$F/u64.exe"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .signatures[0].timestamp.kind == "rfc3161"' \
	"$T/out" >/dev/null || fail "added timestamp not reported"

# Tampered: a byte in .text, mapped to the section.
verdict 1 DIFFERENT "$F/t_text.exe" "$F/u64.exe"
expect_rc 1 sp compare "$F/t_text.exe" "$F/u64.exe"
expect_grep "^  0x[0-9a-f]+ +1  section '\.text'" "$T/out"
# A byte in the overlay.
expect_rc 1 sp compare --json "$F/t_overlay.exe" "$F/o64.exe"
jq -e '.verdict == "DIFFERENT" and .ranges_total == 1 and .ranges[0].offset == 14855
  and (.ranges[0].region | test("overlay"))' "$T/out" >/dev/null ||
	fail "overlay change not mapped"
# Extra bytes inside the certificate table: unaccounted data.
expect_rc 1 sp compare --json "$F/t_certextra.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and .ranges_total == 0
  and any(.findings[]; .code == "cert-table-unaccounted" and .severity == "fail")' \
	"$T/out" >/dev/null || fail "extra certificate-table bytes not found"
# Build A's bytes carrying build B's signature.
expect_rc 1 sp compare "$F/t_foreign.exe" "$F/u64.exe"
expect_grep '^verdict +DIFFERENT' "$T/out"
expect_grep 'signed for another build' "$T/out"
expect_grep 'digest-mismatch' "$T/out"
# Shipped signed build B against rebuilt build A.
expect_rc 1 sp compare --json "$F/s64b.exe" "$F/u64.exe"
jq -e '.verdict == "DIFFERENT" and .ranges_total > 0 and (.signatures[0].digest_match | not)
  and any(.ranges[]; .region | test("section"))' "$T/out" >/dev/null ||
	fail "another build not reported"
# The range list is capped and says how much was cut.
expect_rc 1 sp compare --json --max-ranges 1 "$F/s64b.exe" "$F/u64.exe"
jq -e '(.ranges | length) == 1 and .ranges_omitted == .ranges_total - 1' "$T/out" >/dev/null ||
	fail "range cap not applied"
# Unsigned shipped file differing only in CheckSum is not normalized.
cp "$F/u64.exe" "$T/u.exe"
printf '\001' | dd of="$T/u.exe" bs=1 seek=$(($(od -An -t u4 -j 60 -N 4 "$F/u64.exe") + 88)) conv=notrunc status=none
verdict 1 DIFFERENT "$T/u.exe" "$F/u64.exe"
echo "compare_pe: ok"
