# srcproof verify against bad input and bad trust, each with its exit
# status and reason: usage errors, unreadable inputs, a tampered bundle, a
# policy that does not trust the signers, witnesses from the options,
# partial coverage and concerns, a wrong previous manifest, encrypted
# bundles (passphrase asked once, wrong key, wrong passphrase), hostile
# text in the report.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
verify_bundle "$D" r1 release
cd "$D"
LK="--log-key log/log.vkey"

# ---- usage (2) and could not run (3) ----
expect_rc 2 sp verify r1.bundle
expect_grep 'missing --policy POLICY' "$T/err"
expect_rc 2 sp verify --policy policy.json
expect_grep 'missing BUNDLE' "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --at yesterday
expect_grep "--at needs" "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --witness w1.vkey --quorum 2
expect_grep '--quorum 2 needs at least that many --witness keys' "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --shipped bins
expect_grep 'need --rebuild' "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --no-build-path
expect_grep 'need --rebuild' "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --rebuild --at-build-path --no-build-path
expect_grep "'--at-build-path' and '--no-build-path' exclude each other" "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --require 50
expect_grep 'need --attestations' "$T/err"
expect_rc 2 sp verify r1.bundle --policy policy.json --attestations x --require 101
expect_rc 2 sp verify r1.bundle r1.bundle --policy policy.json
expect_rc 3 sp verify missing.bundle --policy policy.json
expect_grep "missing.bundle" "$T/err"
expect_rc 3 sp verify r1.bundle --policy missing.json
expect_rc 3 sp verify r1.bundle --policy policy.json --attestations missing.att
expect_rc 3 sp verify r1.bundle --policy policy.json --previous missing.manifest
mkdir exists
expect_rc 3 sp verify r1.bundle --policy policy.json $LK --report exists
expect_grep "report directory 'exists' exists" "$T/err"
[ -z "$(ls exists)" ] || fail "an existing report directory was written to"

# ---- a tampered bundle: integrity FAIL, never rebuilt ----
spx escrow pack --manifest r1.manifest --sig r1.manifest.sig --source src \
	--recipe r.json --binaries bins --policy policy.json --proof r1.proof \
	--compression none -o r1.tar -q || fail "pack tar"
sed 's/Demo.Rule.A/Evil.Rule.A/' r1.tar >evil.tar
cmp -s r1.tar evil.tar && fail "the tamper did not change the bundle"
expect_rc 1 sp verify evil.tar --policy policy.json $LK --rebuild --report rep-evil
expect_grep "^  index +FAIL +member 'source/data/rules.db' does not match its SHA-256 in INDEX \(required\)$" "$T/out"
expect_grep "^  source +FAIL .*'data/rules.db' differs from the manifest" "$T/out"
expect_grep '^  rebuild +NOT CHECKED not rebuilt: the bundle failed its integrity checks \(required\)$' "$T/out"
expect_grep '^result: FAIL \(failed: index, source; required but NOT CHECKED: witnesses, rebuild\)$' "$T/out"
expect_grep '<p id="result" class="bad">FAIL</p>' rep-evil/report.html
[ ! -e rep-evil/rebuild ] || fail "a tampered bundle was rebuilt"
jq -e '.ok == false and .failed == ["index", "source", "witnesses", "rebuild"]' \
	rep-evil/report.json >/dev/null || fail "report.json of the tampered bundle"

# ---- a policy that trusts other keys: signature FAIL, not rebuilt ----
expect_rc 1 sp verify r1.bundle --policy policy-other.json --rebuild
expect_grep '^  signature +FAIL ' "$T/out"
expect_grep '^  rebuild +NOT CHECKED not rebuilt: the manifest signature did not verify' "$T/out"

# ---- a policy without witnesses: the log is optional ----
expect_rc 0 sp verify r1.bundle --policy policy-nowit.json
expect_grep '^  log-proof +NOT CHECKED 1 proof\(s\) present, not verified: no --log-key given \(not required\)$' "$T/out"
expect_grep '^  witnesses +NOT CHECKED no witness keys: .* \(not required\)$' "$T/out"
# ... witnesses then come from the options, and a quorum is required.
spx log vkey --key other --name w2.example --cosignature >w2.vkey
expect_rc 0 sp verify r1.bundle --policy policy-nowit.json $LK --witness w1.vkey
expect_grep '^  witnesses +PASS +r1.proof: 1 of the 1 required witnesses \(keys from the --witness options\)' "$T/out"
expect_rc 1 sp verify r1.bundle --policy policy-nowit.json $LK --witness w1.vkey w2.vkey
expect_grep '^  witnesses +FAIL .*witness quorum not met: 1 of the 2 required' "$T/out"
expect_rc 0 sp verify r1.bundle --policy policy-nowit.json $LK --witness w1.vkey w2.vkey --quorum 1
# The policy's witnesses win over the options.
expect_rc 0 sp verify r1.bundle --policy policy.json $LK --witness w2.vkey
expect_grep 'keys from the policy.*--witness keys ignored' "$T/out"

# ---- coverage: partial, then a concern ----
spx review attest r1.manifest --files main.c --depth read --verdict ok \
	--key alice -o part.att -q &&
	spx review attest r1.manifest --files build.sh data/rules.db --depth read \
		--verdict concern --note 'rule <b>B</b> looks odd' --key alice \
		-o concern.att -q || fail "attestations"
expect_rc 1 sp verify r1.bundle --policy policy.json $LK --attestations part.att
expect_grep '^  coverage +FAIL +1 of 3 files covered at depth read or deeper \(33.3%, 100.000% required\); 0 open concern' "$T/out"
expect_rc 0 sp verify r1.bundle --policy policy.json $LK --attestations part.att --require 30
expect_rc 1 sp verify r1.bundle --policy policy.json $LK --attestations part.att concern.att
expect_grep '^  coverage +FAIL +3 of 3 files covered .*; 2 open concern' "$T/out"
expect_rc 1 sp verify r1.bundle --policy policy.json $LK --attestations part.att --min-depth in-depth
expect_grep '^  coverage +FAIL +0 of 3 files covered at depth in-depth' "$T/out"

# ---- update chain ----
printf 'Demo.Rule.B:cafe\n' >>src/data/rules.db
cat src/main.c src/data/rules.db >bins/prog
verify_bundle "$D" r2 update r1.manifest
expect_rc 0 sp verify r2.bundle --policy policy.json $LK
expect_grep '^  update-chain +NOT CHECKED an update of the manifest with sha256 [0-9a-f]{64}, which is not available: give --previous to check the link \(not required\)$' "$T/out"
expect_rc 1 sp verify r2.bundle --policy policy.json $LK --previous r2.manifest
expect_grep '^  update-chain +FAIL +manifest 1 is --previous, manifest 2 the bundle.s: ' "$T/out"
expect_rc 1 sp verify r1.bundle --policy policy.json $LK --previous r1.manifest
expect_grep '^  update-chain +FAIL +the manifest is a release' "$T/out"
cp r1.manifest bare.manifest
expect_rc 0 sp verify r2.bundle --policy policy.json $LK --previous bare.manifest
expect_grep "^  update-chain +PASS +links to the previous manifest .*signatures were NOT CHECKED \(no 'bare.manifest.sig' beside it" "$T/out"

# ---- the recorded build path ----
# The recipe records $D/src, which exists: by default the rebuild runs
# elsewhere with a warning; --at-build-path requires the path, so the
# rebuild is an ERROR with that reason (never "see build.log" without a
# report); --no-build-path never uses it.
expect_rc 0 sp verify r1.bundle --policy policy.json $LK --rebuild --report bp-default
expect_grep "build path: recorded '$D/src', used '.*' \\(the recorded build path '$D/src' exists\\)" bp-default/rebuild/report.txt
expect_rc 1 sp verify r1.bundle --policy policy.json $LK --rebuild --at-build-path
expect_grep "^  rebuild +FAIL +ERROR: 0 of 1 artefacts match; first not reproduced: 'prog': not rebuilt: the recorded build path '$D/src' exists \\(required\\)$" "$T/out"
[ -f src/main.c ] || fail "the existing build path was touched"
expect_rc 0 sp verify r1.bundle --policy policy.json $LK --rebuild --no-build-path --report bp-no
expect_grep "build path: recorded '$D/src', used '.*' \\(--no-build-path\\)" bp-no/rebuild/report.txt

# ---- encrypted bundles ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout rk.enc \
	-passout pass:sekret -out rc -subj /CN=reviewer -days 30 2>/dev/null &&
	openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout rk2 -out rc2 -subj /CN=other -days 30 2>/dev/null ||
	fail "openssl req"
# r1 was made from the first version of the source: rebuild it.
sed -i '$d' src/data/rules.db
cat src/main.c src/data/rules.db >bins/prog
spx escrow pack --manifest r1.manifest --sig r1.manifest.sig --source src \
	--recipe r.json --binaries bins --policy policy.json --proof r1.proof \
	--recipient rc -o r1.cms -q || fail "pack encrypted"
# The passphrase is read once from the descriptor, used for every read
# (verify, unpack, rebuild).
expect_rc 0 sp verify r1.cms --policy policy.json $LK --key rk.enc \
	--passphrase-fd 3 --rebuild --shipped bins 3<<<sekret
expect_grep '^  decryption +PASS +CMS .*authenticated' "$T/out"
expect_grep '^  rebuild +PASS ' "$T/out"
expect_rc 2 sp verify r1.cms --policy policy.json $LK
expect_grep 'a recipient.s private key is needed' "$T/err"
expect_rc 1 sp verify r1.cms --policy policy.json $LK --key rk2
expect_grep '^  decryption +FAIL .*not encrypted to this key' "$T/out"
expect_rc 1 sp verify r1.cms --policy policy.json $LK --key rk.enc --passphrase-fd 3 3<<<wrong
expect_grep '^  decryption +FAIL +wrong passphrase' "$T/out"

# ---- hostile text is escaped in every report ----
mkdir -p hostile/src && printf 'x\n' >hostile/src/f
(
	cd hostile &&
		spx manifest create src -o m --product '<script>alert(1)</script>' \
			--release $'1\x1b[31m' -q 2>/dev/null ||
		spx manifest create src -o m --product '<script>alert(1)</script>' \
			--release '1<img src=x>' -q
) || fail "hostile manifest"
spx sign hostile/m --key k1 -q && spx sign hostile/m --key k2 --append -q &&
	spx escrow pack --manifest hostile/m --sig hostile/m.sig \
		--source hostile/src -o hostile.bundle -q || fail "hostile bundle"
# The policy is for avscan: another product's manifest is refused even
# when the policy's keys signed it (mix-and-match).
expect_rc 1 sp verify hostile.bundle --policy policy-nowit.json --report rep-h
expect_grep "^  signature +FAIL +mix-and-match: the manifest is for product '<script>alert\\(1\\)</script>' but the policy is for 'avscan'" "$T/out"
expect_no_grep '<script>alert' rep-h/report.html
expect_no_grep '<img' rep-h/report.html
expect_grep '&lt;script&gt;alert\(1\)&lt;/script&gt;' rep-h/report.html
expect_no_grep $'\x1b' rep-h/report.txt
jq -e '.product == "<script>alert(1)</script>"' rep-h/report.json >/dev/null ||
	fail "report.json product"
echo "verify_bad: ok"
