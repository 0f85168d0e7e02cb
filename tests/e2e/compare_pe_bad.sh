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
# The rebuilt side is checked too, and the JSON says ERROR.
expect_rc 3 sp compare --json "$F/u64.exe" "$F/bad_sectab.exe"
jq -e '.verdict == "ERROR" and (.match | not) and .error.code == "parse"
  and (.error.message | test("section table")) and .ranges == []' "$T/out" >/dev/null ||
	fail "ERROR JSON is wrong"
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
