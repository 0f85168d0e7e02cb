# srcproof compare on compressed kernel modules (.ko.xz, .ko.zst, .ko.gz,
# signed then compressed as distributions ship them): detection by magic,
# comparison on the decompressed contents and of the files as given,
# framing (exactly one stream), decompression bombs, corrupt data.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_elf.sh" "${SP_BINARY_DIR:-$T}/fixtures/elf") ||
	fail "cannot build the ELF fixtures"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

# Shipped signed+compressed against the rebuilt module, compressed the same
# way: the module signature is checked over the decompressed rebuild.
for z in xz zst gz; do
	name=$z
	[ $z = zst ] && name=zstd
	[ $z = gz ] && name=gzip
	expect_rc 0 sp compare --json "$F/mod.signed.ko.$z" "$F/mod.ko.$z"
	jq -e --arg z "$name" --arg ss "$(sha "$F/mod.signed.ko.$z")" \
		--arg su "$(sha "$F/mod.ko.$z")" --arg ds "$(sha "$F/mod.signed.ko")" \
		--arg du "$(sha "$F/mod.ko")" --argjson ns "$(size "$F/mod.signed.ko.$z")" \
		--argjson nds "$(size "$F/mod.signed.ko")" '
	  .verdict == "IDENTICAL_MODULO_SIGNATURE" and .match
	  and .method == "elf-module-signature"
	  and (.reason | startswith("compared decompressed (shipped \($z), rebuilt \($z); the compressed files differ)"))
	  and .shipped.sha256 == $ss and .rebuilt.sha256 == $su and .shipped.size == $ns
	  and .compression.shipped == $z and .compression.rebuilt == $z
	  and (.compression.compressed_identical | not)
	  and .compression.shipped_decompressed.sha256 == $ds
	  and .compression.shipped_decompressed.size == $nds
	  and .compression.rebuilt_decompressed.sha256 == $du
	  and .compression.max_decompressed == 536870912
	  and .module_signature.valid_over_rebuilt
	  and .normalized.sha256 == $du
	  and ([.findings[] | select(.code == "compressed")] | length) == 2
	  and ([.findings[] | select(.severity == "fail")] | length) == 0' \
		"$T/out" >/dev/null || fail "signed $z module not matched"
done
expect_rc 0 sp compare "$F/mod.signed.ko.xz" "$F/mod.ko.xz"
expect_grep '^compressed shipped xz, 2[0-9]* bytes decompressed' "$T/out"
expect_grep 'the files as given differ; compared on the decompressed contents' "$T/out"

# A signed verdict names the files as given.
expect_rc 0 sp key generate -o "$T/rb.key" --no-passphrase -q
expect_rc 0 sp compare -q --key "$T/rb.key" --attest "$T/v.sig" \
	"$F/mod.signed.ko.xz" "$F/mod.ko.xz"
expect_rc 0 sp verify-sig "$F/mod.signed.ko.xz" --sig "$T/v.sig" --pubkey "$T/rb.key.pub"
jq -r .payload "$T/v.sig" | base64 -d | jq -e --arg s "$(sha "$F/mod.signed.ko.xz")" \
	--arg r "$(sha "$F/mod.ko.xz")" '.predicate.verdict == "IDENTICAL_MODULO_SIGNATURE"
	and .predicate.artefacts[0].method == "module-signature"
	and .predicate.artefacts[0].shipped_sha256 == $s
	and .predicate.artefacts[0].rebuilt_sha256 == $r
	and .subject[0].digest.sha256 == $s' >/dev/null || fail "compressed verdict statement"

# Rebuilt uncompressed: the shipped side is decompressed alone.
expect_rc 0 sp compare --json "$F/mod.signed.ko.zst" "$F/mod.ko"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .compression.rebuilt == null
  and .compression.rebuilt_decompressed == null
  and (.reason | contains("shipped zstd, rebuilt uncompressed; the files as given differ"))' \
	"$T/out" >/dev/null || fail "compressed against uncompressed"

# Different kinds on the two sides.
expect_rc 0 sp compare --json "$F/mod.signed.ko.xz" "$F/mod.ko.zst"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .compression.rebuilt == "zstd"
  and (.reason | contains("shipped xz, rebuilt zstd; the files as given differ"))' \
	"$T/out" >/dev/null || fail "xz against zstd"

# Equal compressed bytes: IDENTICAL.
cp "$F/mod.signed.ko.xz" "$T/copy.ko.xz"
expect_rc 0 sp compare --json "$F/mod.signed.ko.xz" "$T/copy.ko.xz"
jq -e '.verdict == "IDENTICAL" and .compression.compressed_identical
  and .reason == "the compressed files are byte-identical (xz)"
  and .shipped.sha256 == .rebuilt.sha256' "$T/out" >/dev/null ||
	fail "identical compressed files"

# Same signed module, other compression settings: the decompressed modules
# are identical and the signature verifies: IDENTICAL_MODULO_SIGNATURE, and
# the reason says the compressed files differ.
for z in xz zst gz; do
	expect_rc 0 sp compare --json "$F/mod.signed.ko.$z" "$F/mod.signed.other.ko.$z"
	jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .ranges_total == 0
	  and (.compression.compressed_identical | not)
	  and .shipped.sha256 != .rebuilt.sha256
	  and .compression.shipped_decompressed.sha256 == .compression.rebuilt_decompressed.sha256
	  and (.reason | test("^the decompressed modules are byte-identical \\(shipped [a-z]+, rebuilt [a-z]+; the compressed files differ\\) and the module signature verifies"))' \
		"$T/out" >/dev/null || fail "other $z settings"
done
# Unsigned module, other settings: no signature accounts for the
# compression: EXPLAINED_DIFFERENCE, not a match.
expect_rc 1 sp compare --json "$F/mod.ko.xz" "$F/mod.other.ko.xz"
jq -e '.verdict == "EXPLAINED_DIFFERENCE" and (.match | not)
  and (.reason | contains("decompressed contents are byte-identical"))
  and (.reason | contains("not reproduced"))' "$T/out" >/dev/null ||
	fail "unsigned module, other compression settings"
expect_rc 1 sp compare -q --key "$T/rb.key" --attest "$T/e.sig" "$F/mod.ko.xz" "$F/mod.other.ko.xz"
jq -r .payload "$T/e.sig" | base64 -d | jq -e '.predicate.verdict == "EXPLAINED_DIFFERENCE"
	and .predicate.artefacts[0].method == "decompressed-identical"' >/dev/null ||
	fail "verdict method of modules equal once decompressed"

# A signature made for another module, a different module: DIFFERENT.
expect_rc 1 sp compare --json "$F/mod.badsig.ko.zst" "$F/mod.ko.zst"
jq -e '.verdict == "DIFFERENT" and (.module_signature.valid_over_rebuilt | not)
  and (.reason | startswith("compared decompressed"))' "$T/out" >/dev/null ||
	fail "compressed module with another module's signature"
expect_rc 1 sp compare --json "$F/mod.signed.ko.gz" "$F/mod2.ko.gz"
jq -e '.verdict == "DIFFERENT" and .ranges_total > 0
  and (.compression.shipped_decompressed.size as $n | all(.ranges[]; .offset < $n))
  and .ranges_total == ([.ranges[]] | length) + .ranges_omitted' "$T/out" >/dev/null ||
	fail "compressed modules that differ"
expect_grep '"region": "section' "$T/out"
# SKID-signed (sign-file -k), then compressed.
expect_rc 0 sp compare -q --signer-cert "$F/mod.pem" "$F/mod.skid.ko.xz" "$F/mod.ko.xz"
[ "$(cat "$T/out")" = IDENTICAL_MODULO_SIGNATURE ] || fail "compressed SKID module"
expect_rc 1 sp compare -q "$F/mod.skid.ko.xz" "$F/mod.ko.xz"

# By magic, not by name.
expect_rc 0 sp compare --json "$F/mod.signed.noext" "$F/mod.ko"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and .compression.shipped == "zstd"' \
	"$T/out" >/dev/null || fail "compression not detected by magic"
expect_rc 0 sp compare --json "$F/mod.signed.ko" "$F/mod.plain.ko.xz"
jq -e '.verdict == "IDENTICAL_MODULO_SIGNATURE" and (has("compression") | not)' \
	"$T/out" >/dev/null || fail "uncompressed file named .xz"
# Compressed data that is not ELF: the files are compared as given.
expect_rc 1 sp compare --json "$F/text1.xz" "$F/text2.xz"
jq -e '.verdict == "DIFFERENT" and .method == "bytes" and (has("compression") | not)' \
	"$T/out" >/dev/null || fail "compressed non-ELF data"

# Framing: anything but exactly one stream is a fail finding, never a match.
frame() {
	expect_rc 1 sp compare --json "$F/$1" "$F/mod.ko"
	jq -e --arg m "$2" '.verdict == "DIFFERENT"
	  and (.reason | contains("not exactly one compressed stream"))
	  and any(.findings[]; .code == "compressed-framing" and .severity == "fail"
	    and (.message | contains($m)))' "$T/out" >/dev/null ||
		fail "$1: framing not refused"
}
frame mod.twostreams.ko.xz 'more than one xz stream'
frame mod.padded.ko.xz 'does not end with an xz stream footer'
frame mod.skippable.ko.zst '12 byte(s) after the zstd frame'
frame mod.twoframes.ko.zst 'after the zstd frame'
frame mod.junk.ko.gz '4 byte(s) after the gzip member'
frame mod.twomembers.ko.gz 'after the gzip member'
# Two identical files with a fault are still identical files.
expect_rc 0 sp compare -q "$F/mod.twostreams.ko.xz" "$F/mod.twostreams.ko.xz"

# Corrupt and truncated data: ERROR.
expect_rc 3 sp compare "$F/mod.junk.ko.xz" "$F/mod.ko"
expect_grep '^verdict +ERROR' "$T/out"
expect_grep "^srcproof: error: '.*mod.junk.ko.xz': corrupt xz data" "$T/err"
expect_rc 3 sp compare "$F/mod.trunc.ko.xz" "$F/mod.ko"
expect_grep "^srcproof: error: '.*mod.trunc.ko.xz': corrupt xz data" "$T/err"

# Decompression bombs: a clear ERROR past the limit, a result below it.
for z in xz zst gz; do
	expect_rc 3 sp compare --json --max-decompressed 1048576 "$F/bomb.ko.$z" "$F/mod.ko"
	jq -e '.verdict == "ERROR" and .error.code == "limit"
	  and (.error.message | test("decompresses to more than 1048576 bytes"))
	  and (.error.hint | contains("--max-decompressed"))' "$T/out" >/dev/null ||
		fail "$z bomb not refused"
	expect_grep 'decompression bomb' "$T/err"
	expect_rc 1 sp compare -q --max-decompressed 4194304 "$F/bomb.ko.$z" "$F/mod.ko"
	[ "$(cat "$T/out")" = DIFFERENT ] || fail "$z below the limit"
done
expect_rc 3 sp compare --max-decompressed 1000 "$F/mod.ko.xz" "$F/bomb.ko.xz"
expect_grep "mod.ko.xz': the xz data decompresses to more than 1000 bytes" "$T/err"
expect_rc 2 sp compare --max-decompressed 0 "$F/mod.ko.xz" "$F/mod.ko"
expect_rc 2 sp compare --max-decompressed lots "$F/mod.ko.xz" "$F/mod.ko"

# Reports say it too.
expect_rc 0 sp compare --report "$T/rep" "$F/mod.signed.ko.xz" "$F/mod.ko.xz"
expect_grep 'shipped compression' "$T/rep/report.html"
expect_grep 'xz-compressed; [0-9]+ bytes decompressed' "$T/rep/report.html"
expect_grep 'compared on the decompressed contents' "$T/rep/report.txt"
jq -e '.compression.shipped == "xz"' "$T/rep/result.json" >/dev/null ||
	fail "result.json without compression"
echo "compare_kmod_compressed: ok"
