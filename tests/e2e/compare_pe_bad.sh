# srcproof compare on malformed PE images: verdict ERROR, exit 3, a clear
# message, never a crash (this test also runs under valgrind).
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$(bash "$SP_SOURCE_DIR/tests/fixtures/make_pe.sh" "${SP_BINARY_DIR:-$T}/fixtures/pe") ||
	fail "cannot build the PE fixtures"

bad() { # bad FILE REGEX
	expect_rc 3 sp compare "$F/$1" "$F/u64.exe"
	expect_grep '^verdict +ERROR' "$T/out"
	expect_grep "^srcproof: error: .*$2" "$T/err"
}
bad bad_trunc.exe 'truncated optional header'
bad bad_lfanew.exe 'e_lfanew \(2147483647\) points past the end of the file'
bad bad_sectab.exe 'section table \(65535 sections .*\) runs past the end of the file'
bad bad_numrva.exe 'NumberOfRvaAndSizes \(4294967295\) does not fit'
bad bad_overlap.exe "sections '\.text' and '\.data' overlap"
bad bad_notateof.exe 'certificate table .* is not at the end of the file'
expect_grep '^srcproof: hint: bytes after the certificate table' "$T/err"
bad bad_dwlen0.exe 'dwLength 0 \(less than its 8-byte header\)'
bad bad_dwlenbig.exe 'dwLength 1544, past the end of the table'
bad bad_pkcs7.exe 'malformed PKCS#7 signature'
bad bad_certalign.exe 'not a multiple of 8'
# PE32 (not only PE32+): its own offsets, the same checks.
bad32() { # bad32 FILE REGEX
	expect_rc 3 sp compare "$F/$1" "$F/u32.exe"
	expect_grep '^verdict +ERROR' "$T/out"
	expect_grep "^srcproof: error: .*$2" "$T/err"
}
[ "$(od -An -t u2 -j $(($(od -An -t u4 -j 60 -N 4 "$F/u32.exe") + 24)) -N 2 "$F/u32.exe" | tr -d ' ')" = 267 ] ||
	fail "u32.exe is not PE32"
bad32 bad_numrva32.exe 'NumberOfRvaAndSizes \(4294967295\) does not fit'
bad32 bad_sectab32.exe 'section table \(65535 sections .*\) runs past the end of the file'
bad32 bad_dwlen0_32.exe 'dwLength 0 \(less than its 8-byte header\)'
bad32 bad_notateof32.exe 'certificate table .* is not at the end of the file'
# ... and the unmodified PE32 pair still matches (the checks are not
# simply failing on PE32).
expect_rc 0 sp compare -q "$F/s32.exe" "$F/u32.exe"
# The rebuilt side is checked too, and the JSON says ERROR.
expect_rc 3 sp compare --json "$F/u64.exe" "$F/bad_sectab.exe"
jq -e '.verdict == "ERROR" and (.match | not) and .error.code == "parse"
  and (.error.message | test("section table")) and .ranges == []' "$T/out" >/dev/null ||
	fail "ERROR JSON is wrong"
# ERROR is a verdict like the others: printed, reported and signed
# (docs/spec/verdict.md), with the raw SHA-256 of both files and the parse
# error as the reason; exit 3.
expect_rc 0 sp key generate -o "$T/rb.key" --no-passphrase -q
expect_rc 3 sp compare "$F/bad_sectab.exe" "$F/u64.exe" --key "$T/rb.key" \
	--attest "$T/err.sig" --report "$T/err.rep" --time 2026-01-01T00:00:00Z
expect_grep '^verdict +ERROR' "$T/out"
expect_grep '^srcproof: error: .*section table \(65535 sections' "$T/err"
expect_no_grep 'cannot attest|no verdict attestation' "$T/err"
for f in report.txt report.html result.json; do
	[ -s "$T/err.rep/$f" ] || fail "ERROR: --report did not write $f"
done
expect_grep 'ERROR' "$T/err.rep/report.txt"
expect_rc 0 sp verify-sig "$F/bad_sectab.exe" --sig "$T/err.sig" --pubkey "$T/rb.key.pub"
jq -r .payload "$T/err.sig" | base64 -d >"$T/err.stmt"
ss=$(sha256sum "$F/bad_sectab.exe" | cut -d' ' -f1)
us=$(sha256sum "$F/u64.exe" | cut -d' ' -f1)
jq -e --arg s "$ss" --arg u "$us" '.predicate.verdict == "ERROR"
  and .predicate.kind == "compare"
  and (.predicate.reason | test("section table \\(65535 sections"))
  and .subject == [{"name": "bad_sectab.exe", "digest": {"sha256": $s}}]
  and (.predicate.artefacts | length) == 1
  and .predicate.artefacts[0].verdict == "ERROR"
  and .predicate.artefacts[0].method == "none"
  and .predicate.artefacts[0].shipped_sha256 == $s
  and .predicate.artefacts[0].rebuilt_sha256 == $u' "$T/err.stmt" >/dev/null ||
	fail "ERROR verdict statement is wrong: $(cat "$T/err.stmt")"
jq -e --arg s "$ss" '.verdict == "ERROR" and .shipped.sha256 == $s' \
	"$T/err.rep/result.json" >/dev/null || fail "ERROR result.json"
# A file that cannot be read leaves nothing to attest: the verdict is
# still printed, the reason said, exit 3, no attestation.
expect_rc 3 sp compare "$T/nope.exe" "$F/u64.exe" --key "$T/rb.key" \
	--attest "$T/nope.sig" --report "$T/nope.rep"
expect_grep '^verdict +ERROR' "$T/out"
expect_grep "^srcproof: error: .*does not exist" "$T/err"
expect_grep '^srcproof: error: no verdict attestation written: a file could not be read' "$T/err"
[ ! -e "$T/nope.sig" ] || fail "attested a comparison of a missing file"
[ -s "$T/nope.rep/report.txt" ] || fail "no report for a missing file"
# Missing files, directories.
expect_rc 3 sp compare "$T/nope.exe" "$F/u64.exe"
expect_grep "does not exist" "$T/err"
expect_rc 3 sp compare "$T" "$F/u64.exe"
expect_grep "not a regular file" "$T/err"
# An empty file and an MZ-only stub.
: >"$T/empty"
expect_rc 1 sp compare -q "$T/empty" "$F/u64.exe"
grep -q DIFFERENT "$T/out" || fail "empty file vs PE should be DIFFERENT"
head -c 200 "$F/u64.exe" >"$T/stub.exe"
expect_rc 3 sp compare "$T/stub.exe" "$F/u64.exe"
echo "compare_pe_bad: ok"
