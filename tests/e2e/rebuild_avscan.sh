# valgrind: yes
# The whole journey on the sample product: manifest, key, signature,
# recipe, the vendor's build, escrow pack with the shipped binaries, then an
# auditor's rebuild and compare, each with a signed verdict that verifies.
# Then a vendor who ships a binary that is not the reviewed source's
# (DIFFERENT, exit 1, still a signed verdict).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"
cp -r "$SP_SOURCE_DIR/sample/avscan" avscan
rm -rf avscan/out

# The vendor.
expect_rc 0 sp key generate -o vendor.key --no-passphrase -q
expect_rc 0 sp manifest create avscan -o avscan.manifest --product avscan \
	--release 2026.11.25.1 -q
expect_rc 0 sp sign avscan.manifest --key vendor.key -q
expect_rc 0 sp recipe record -o avscan.recipe --source avscan \
	--output out/avscan --source-date-epoch 1700000000 -- make OUT=out
cp -r avscan build
(cd build && SOURCE_DATE_EPOCH=1700000000 make OUT=out) >/dev/null 2>&1 ||
	fail "vendor build"
mkdir shipped && cp build/out/avscan shipped/avscan
expect_rc 0 sp escrow pack --manifest avscan.manifest --sig avscan.manifest.sig \
	--source avscan --recipe avscan.recipe --binaries shipped -o avscan.bundle -q

# The auditor.
expect_rc 0 sp key generate -o rebuilder.key --no-passphrase -q
expect_rc 0 sp rebuild avscan.bundle --shipped shipped -o rebuild --key rebuilder.key
expect_grep '^srcproof rebuild verdict: IDENTICAL$' "$T/out"
expect_grep '^  IDENTICAL +avscan$' "$T/out"
expect_grep '^  method +bit-identical$' "$T/out"
expect_grep 'verdict signed with key' "$T/err"
for f in build.log report.txt report.html verdict.json verdict.sig \
	rebuilt/out/avscan compare/1/report.html; do
	[ -f "rebuild/$f" ] || fail "rebuild/$f missing"
done
[ ! -e rebuild/work ] || fail "work directory left without --keep"
cmp -s rebuild/rebuilt/out/avscan shipped/avscan || fail "rebuilt file differs"
expect_grep '^cc .*-o out/avscan' rebuild/build.log
# The signed verdict verifies against the rebuilder's key, for the shipped
# binary and for the bundle (both are subjects).
expect_rc 0 sp verify-sig shipped/avscan --sig rebuild/verdict.sig --pubkey rebuilder.key.pub
expect_rc 0 sp verify-sig avscan.bundle --sig rebuild/verdict.sig --pubkey rebuilder.key.pub
expect_rc 1 sp verify-sig avscan.bundle --sig rebuild/verdict.sig --pubkey vendor.key.pub
# The statement says what the spec says.
sha() { sha256sum "$1" | cut -d' ' -f1; }
jq -e --arg b "$(sha avscan.bundle)" --arg m "$(sha avscan.manifest)" \
	--arg s "$(sha shipped/avscan)" '
	._type == "https://in-toto.io/Statement/v1" and
	.predicateType == "https://srcproof.dev/verdict/v1" and
	.predicate.role == "rebuild" and .predicate.kind == "rebuild" and
	.predicate.verdict == "IDENTICAL" and
	.predicate.bundle.sha256 == $b and .predicate.manifest.sha256 == $m and
	.predicate.manifest.product == "avscan" and
	(.predicate.artefacts | length) == 1 and
	.predicate.artefacts[0].name == "avscan" and
	.predicate.artefacts[0].output == "out/avscan" and
	.predicate.artefacts[0].shipped_sha256 == $s and
	.predicate.artefacts[0].rebuilt_sha256 == $s and
	.predicate.artefacts[0].declared_sha256 == $s and
	.predicate.artefacts[0].method == "bit-identical" and
	.predicate.build.status == "ok" and .predicate.build.exit_code == 0 and
	.predicate.build.command == ["make", "OUT=out"] and
	.predicate.build.environment.SOURCE_DATE_EPOCH == "1700000000" and
	.predicate.build.environment.TZ == "UTC" and
	.predicate.build.environment.LC_ALL == "C" and
	.predicate.toolchain.match == true and
	(.predicate.not_checked | map(select(test("signature"))) | length) >= 1 and
	(.subject | map(.digest.sha256) | index($s)) != null and
	(.subject | map(.digest.sha256) | index($b)) != null' \
	rebuild/verdict.json >/dev/null || fail "verdict.json: $(cat rebuild/verdict.json)"
# The envelope carries exactly verdict.json.
jq -r .payload rebuild/verdict.sig | base64 -d | cmp -s - rebuild/verdict.json ||
	fail "verdict.sig does not carry verdict.json"
expect_grep 'id="verdict" class="ok">IDENTICAL<' rebuild/report.html

# A single comparison can be signed too.
expect_rc 0 sp compare shipped/avscan rebuild/rebuilt/out/avscan \
	--key rebuilder.key --attest compare.sig
expect_rc 0 sp verify-sig shipped/avscan --sig compare.sig --pubkey rebuilder.key.pub
jq -r .payload compare.sig | base64 -d | jq -e '.predicate.kind == "compare" and
	.predicate.verdict == "IDENTICAL" and .predicate.role == "rebuild" and
	.predicate.artefacts[0].method == "bit-identical"' >/dev/null ||
	fail "compare statement"
expect_rc 3 sp compare shipped/avscan rebuild/rebuilt/out/avscan \
	--key rebuilder.key --attest compare.sig
expect_grep "'compare.sig' already exists" "$T/err"
expect_rc 2 sp compare shipped/avscan rebuild/rebuilt/out/avscan --key rebuilder.key
expect_grep "'--key' and '--attest' go together" "$T/err"

# Under valgrind the main path ends here (the DIFFERENT verdict's ranges are
# valgrind-checked through compare_elf and compare_pe_bad; ASan runs all).
if [ -n "$SP_WRAPPER" ]; then
	echo "rebuild_avscan: ok (main path)"
	exit 0
fi

# The vendor ships a binary that is not the rebuild of the reviewed source
# (SHA256SUMS declares it): DIFFERENT, exit 1, signed all the same.
cp shipped/avscan evil && printf 'backdoor' | dd of=evil bs=1 seek=4096 conv=notrunc status=none
mkdir shipped2 && cp evil shipped2/avscan
expect_rc 0 sp escrow pack --manifest avscan.manifest --sig avscan.manifest.sig \
	--source avscan --recipe avscan.recipe --binaries shipped2 -o evil.bundle -q
expect_rc 1 sp rebuild evil.bundle --shipped shipped2 -o rebuild2 --key rebuilder.key
expect_grep '^srcproof rebuild verdict: DIFFERENT$' "$T/out"
expect_grep '^  DIFFERENT +avscan$' "$T/out"
expect_grep '^  differs +1 ranges, 8 bytes$' "$T/out"
expect_grep 'offset 0x1000 length 8 ' "$T/out"
expect_rc 0 sp verify-sig shipped2/avscan --sig rebuild2/verdict.sig --pubkey rebuilder.key.pub
jq -e '.predicate.verdict == "DIFFERENT" and .predicate.artefacts[0].verdict == "DIFFERENT" and
	.predicate.artefacts[0].ranges[0].offset == 4096' rebuild2/verdict.json >/dev/null ||
	fail "DIFFERENT verdict.json"
expect_grep 'id="verdict" class="bad">DIFFERENT<' rebuild2/report.html
expect_rc 1 sp compare shipped2/avscan rebuild2/rebuilt/out/avscan --key rebuilder.key \
	--attest compare2.sig -q
expect_rc 0 sp verify-sig shipped2/avscan --sig compare2.sig --pubkey rebuilder.key.pub
echo "rebuild_avscan: ok"
