# escrow and recipe, main paths (short: also run under valgrind): record a
# recipe, pack a bundle (plain and encrypted), list, verify, unpack.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

bash "$SP_SOURCE_DIR/tests/fixtures/escrow_setup.sh" "$T/in" >/dev/null ||
	fail "fixture setup failed"
cd "$T/in"
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout "$T/rk" -out "$T/rc" -subj /CN=reviewer -days 30 2>/dev/null ||
	fail "openssl req"

expect_rc 0 sp recipe record -o "$T/r.json" --no-versions --source src \
	--source-date-epoch 1700000000 -- make -j1
expect_rc 0 sp recipe show "$T/r.json"
expect_grep '^SOURCE_DATE_EPOCH: 1700000000' "$T/out"

expect_rc 0 sp escrow pack --manifest m --sig m.sig --source src \
	--recipe "$T/r.json" --binaries bins --binary-sigs sigs --policy pol.json \
	-o "$T/b.tzst"
expect_rc 0 sp escrow list -l "$T/b.tzst"
expect_grep '  INDEX$' "$T/out"
expect_rc 0 sp escrow verify --policy pol.json "$T/b.tzst"
expect_grep '^  signature +PASS' "$T/out"
expect_grep '^result: PASS' "$T/out"
expect_rc 0 sp escrow unpack "$T/b.tzst" -C "$T/u"
(cd "$T/u" && sha256sum --strict -c INDEX >/dev/null) || fail "unpacked INDEX"

expect_rc 0 sp escrow pack --manifest m --sig m.sig --source src \
	--recipient "$T/rc" -o "$T/b.cms"
openssl cms -decrypt -binary -inform DER -in "$T/b.cms" -recip "$T/rc" \
	-inkey "$T/rk" | tar --zstd -tf - | grep -q '^srcproof-bundle/INDEX$' ||
	fail "openssl cannot open the encrypted bundle"
expect_rc 0 sp escrow verify --key "$T/rk" "$T/b.cms"
expect_grep '^  decryption +PASS' "$T/out"
expect_rc 1 sp escrow verify --policy pol.json --at 2100-01-01 "$T/b.tzst"
expect_grep '^  signature +FAIL' "$T/out"
echo "escrow_main: ok"
