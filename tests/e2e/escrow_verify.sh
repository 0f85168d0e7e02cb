# escrow verify: every check by name, PASS / FAIL / NOT CHECKED, and the
# exit status: signatures against a pinned policy, source against the
# manifest, log proofs against the log key.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

bash "$SP_SOURCE_DIR/tests/fixtures/escrow_setup.sh" "$T/in" >/dev/null ||
	fail "fixture setup failed"
cd "$T/in"
export SRCPROOF_PASSPHRASE=unused
repack() { python3 "$SP_SOURCE_DIR/tests/fixtures/escrow_hostile.py" --repack "$@"; }
status() { # status CHECK STATUS: the line of CHECK in $T/out says STATUS
	grep -Eq "^  $1 +$2( |\$)" "$T/out" || fail "check '$1' is not $2"
}

sp escrow pack -q --manifest m --sig m.sig --source src --recipe r.json \
	--binaries bins --policy pol.json -o "$T/b.tzst" || fail "pack"

# ---- without a pinned policy: signatures NOT CHECKED, still exit 0 ----------
expect_rc 0 sp escrow verify "$T/b.tzst"
expect_grep '^bundle .*b.tzst \(AV 1.0, release\)$' "$T/out"
status decryption 'NOT CHECKED'
status archive PASS
status index PASS
status manifest PASS
status source PASS
status signature 'NOT CHECKED'
expect_grep 'no --policy given \(the bundle.s own policy is informational only\)' "$T/out"
status log-proof 'NOT CHECKED'
status recipe PASS
status binaries PASS
expect_grep '^result: PASS' "$T/out"
# --strict: NOT CHECKED signature and log fail the bundle.
expect_rc 1 sp escrow verify --strict "$T/b.tzst"
expect_grep '^result: FAIL' "$T/out"
expect_grep 'failed verification: signature: ' "$T/err"

# ---- with the pinned policy ------------------------------------------------------
expect_rc 0 sp escrow verify --policy pol.json "$T/b.tzst"
status signature PASS
expect_grep "1 of 1 required 'release' signatures valid under policy version 1" "$T/out"
expect_rc 0 sp escrow verify --policy pol.json --json "$T/b.tzst"
jq -e '.schema == "srcproof.escrow.verify/v1" and .ok == true and
	(.checks | length) == 9 and
	([.checks[].name] == ["decryption","archive","index","manifest","source",
	  "signature","log-proof","recipe","binaries"]) and
	(.checks[] | select(.name == "signature") | .status == "PASS" and .required) and
	(.checks[] | select(.name == "log-proof") | .status == "NOT CHECKED") and
	.product == "AV" and .release == "1.0" and .kind == "release" and
	(.manifest_sha256 | length) == 64' "$T/out" >/dev/null ||
	fail "verify --json"
[ "$(jq -r .manifest_sha256 "$T/out")" = "$(sha256sum m | cut -d' ' -f1)" ] ||
	fail "manifest_sha256"

# A policy that does not trust the signer: FAIL, exit 1.
sp key generate -o "$T/k2" --no-passphrase -q
sp policy create -o "$T/pol2.json" --expires 2099-01-01 -q
sp policy add-key "$T/pol2.json" "$T/k2.pub" --roles root,release -q
sp policy sign "$T/pol2.json" --key "$T/k2" -q
expect_rc 1 sp escrow verify --policy "$T/pol2.json" "$T/b.tzst"
status signature FAIL
status source PASS
expect_grep '^result: FAIL' "$T/out"
expect_grep "failed verification: signature: " "$T/err"
# The signer may not sign for another role.
expect_rc 1 sp escrow verify --policy pol.json --role review "$T/b.tzst"
status signature FAIL
# The policy has expired at the time asked for.
expect_rc 1 sp escrow verify --policy pol.json --at 2100-01-01 "$T/b.tzst"
status signature FAIL
# An unusable pinned policy: could not run.
expect_rc 3 sp escrow verify --policy m "$T/b.tzst"
expect_rc 3 sp escrow verify --policy "$T/none.json" "$T/b.tzst"
expect_grep "does not exist" "$T/err"

# ---- a consistent bundle whose source is not the manifest's --------------------
sp escrow unpack -q "$T/b.tzst" -C "$T/u" || fail "unpack"
printf '/* backdoor */\n' >>"$T/u/source/main.c"
repack "$T/u" "$T/evil.tar" || fail "repack"
expect_rc 1 sp escrow verify --policy pol.json "$T/evil.tar"
status index PASS
status source FAIL
expect_grep "1 changed, 0 missing, 0 not in the manifest, 0 mode; first: 'main.c' differs" "$T/out"
status signature PASS
rm "$T/u/source/lib/a.txt"
printf 'x\n' >"$T/u/source/new.c"
chmod +x "$T/u/source/main.c"
repack "$T/u" "$T/evil2.tar" || fail "repack"
expect_rc 1 sp escrow verify "$T/evil2.tar"
expect_grep "1 changed, 1 missing, 1 not in the manifest" "$T/out"
# Exec bit only.
rm -rf "$T/u" && sp escrow unpack -q "$T/b.tzst" -C "$T/u"
chmod +x "$T/u/source/main.c"
repack "$T/u" "$T/evil3.tar" || fail "repack"
expect_rc 1 sp escrow verify "$T/evil3.tar"
expect_grep "0 changed, 0 missing, 0 not in the manifest, 1 mode; first: 'main.c' has another executable bit" "$T/out"
# A manifest.sig over another manifest.
rm -rf "$T/u" && sp escrow unpack -q "$T/b.tzst" -C "$T/u"
printf 'other\n' >"$T/other"
sp sign "$T/other" --key k -o "$T/u/manifest.sig" -q --force
repack "$T/u" "$T/evil4.tar" || fail "repack"
expect_rc 1 sp escrow verify "$T/evil4.tar"
status signature FAIL
expect_grep "the signed statement is not about this manifest" "$T/out"
# A recipe and SHA256SUMS that do not parse; no manifest at all.
rm -rf "$T/u" && sp escrow unpack -q "$T/b.tzst" -C "$T/u"
printf '{"format": "srcproof-recipe v1", "format": 2}' >"$T/u/recipe"
printf 'not a sum\n' >"$T/u/binaries/SHA256SUMS"
repack "$T/u" "$T/evil5.tar" || fail "repack"
expect_rc 1 sp escrow verify "$T/evil5.tar"
status recipe FAIL
status binaries FAIL
expect_grep 'duplicate object key' "$T/out"
rm "$T/u/manifest"
repack "$T/u" "$T/evil6.tar" || fail "repack"
expect_rc 1 sp escrow verify "$T/evil6.tar"
status manifest FAIL
status source FAIL

# ---- transparency log proofs -----------------------------------------------------
cp m.sig "$T/m2.sig"
sp key generate -o "$T/lk" --no-passphrase -q
sp log init "$T/log" --key "$T/lk" --origin example.com/log -q || fail "log init"
sp log append "$T/log" "$T/m2.sig" -q || fail "log append"
sp log prove "$T/log" "$T/m2.sig" -o "$T/m2.proof" -q || fail "log prove"
expect_rc 0 sp escrow pack -q --manifest m --sig "$T/m2.sig" --source src \
	--policy pol.json --proof "$T/m2.proof" -o "$T/bl.tzst"
expect_rc 0 sp escrow list "$T/bl.tzst"
expect_grep '^proofs/m2.proof$' "$T/out"
expect_rc 0 sp escrow verify --policy pol.json --log-key "$T/log/log.vkey" "$T/bl.tzst"
status log-proof PASS
expect_grep 'm2.proof: entry 0 included in a tree of 1' "$T/out"
expect_rc 0 sp escrow verify --policy pol.json --log-key "example.com/log=$T/lk.pub" "$T/bl.tzst"
status log-proof PASS
# Another log key: FAIL. A log key but no proof: FAIL. No log key: NOT CHECKED.
sp key generate -o "$T/lk2" --no-passphrase -q
expect_rc 1 sp escrow verify --log-key "example.com/log=$T/lk2.pub" "$T/bl.tzst"
status log-proof FAIL
expect_rc 1 sp escrow verify --log-key "$T/log/log.vkey" "$T/b.tzst"
status log-proof FAIL
expect_grep 'the bundle carries no log proof' "$T/out"
expect_rc 0 sp escrow verify "$T/bl.tzst"
status log-proof 'NOT CHECKED'
expect_grep '1 proof\(s\) present, not verified: no --log-key given' "$T/out"
# A proof of another signed manifest.
sp manifest create "$T/in/bins" -o "$T/m3" --product AV --release 1.1 -q
sp sign "$T/m3" --key k -o "$T/m3.sig" -q
sp log append "$T/log" "$T/m3.sig" -q
sp log prove "$T/log" "$T/m3.sig" -o "$T/m3.proof" -q
rm -rf "$T/u" && sp escrow unpack -q "$T/bl.tzst" -C "$T/u"
cp "$T/m3.proof" "$T/u/proofs/m2.proof"
repack "$T/u" "$T/evil7.tar" || fail "repack"
expect_rc 1 sp escrow verify --log-key "$T/log/log.vkey" "$T/evil7.tar"
status log-proof FAIL
expect_grep 'the proven entry is not this signed manifest' "$T/out"

# ---- witness quorum: by default every --witness key must have cosigned ---------
openssl genpkey -algorithm ed25519 -out "$T/w1.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$T/w2.key" 2>/dev/null
for w in w1 w2; do
	sp log vkey --key "$T/$w.key" --name "$w.example" --cosignature >"$T/$w.vkey" ||
		fail "vkey $w"
done
# bl.tzst's proof carries no cosignature: with a witness and no --quorum,
# the log check fails (it passed with 0 cosignatures before).
expect_rc 1 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" "$T/bl.tzst"
status log-proof FAIL
expect_grep 'witness quorum not met: 0 of the 1 required' "$T/out"
expect_rc 1 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" \
	--quorum 1 "$T/bl.tzst"
status log-proof FAIL
expect_rc 2 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" \
	--quorum 0 "$T/bl.tzst"
expect_grep 'quorum needs a number from 1 to 100' "$T/err"
# w1 cosigns the log's checkpoint; the new proof carries it.
sp log checkpoint "$T/log" -o "$T/cp" -q || fail "checkpoint"
sp log cosign "$T/cp" --key "$T/w1.key" --name w1.example --state "$T/w1.state" \
	--log-key "$T/log/log.vkey" -o "$T/cp.w1" -q || fail "cosign"
sp log checkpoint "$T/log" --add "$T/cp.w1" --witness "$T/w1.vkey" -q || fail "add cosignature"
sp log prove "$T/log" "$T/m2.sig" -o "$T/m2w.proof" -q || fail "prove"
expect_rc 0 sp escrow pack -q --manifest m --sig "$T/m2.sig" --source src \
	--policy pol.json --proof "$T/m2w.proof" -o "$T/bw.tzst"
expect_rc 0 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" "$T/bw.tzst"
status log-proof PASS
expect_grep 'm2w.proof: entry 0 included in a tree of 2.*1 witness cosignature' "$T/out"
# Two witnesses, one cosigned: the default quorum (2) fails, --quorum 1 passes.
expect_rc 1 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" \
	--witness "$T/w2.vkey" "$T/bw.tzst"
status log-proof FAIL
expect_grep 'witness quorum not met: 1 of the 2 required' "$T/out"
expect_rc 0 sp escrow verify --log-key "$T/log/log.vkey" --witness "$T/w1.vkey" \
	--witness "$T/w2.vkey" --quorum 1 "$T/bw.tzst"
status log-proof PASS
# 'srcproof verify' takes the same default (verify/verify.c).

# ---- usage --------------------------------------------------------------------
expect_rc 2 sp escrow verify
expect_grep "missing BUNDLE" "$T/err"
expect_rc 2 sp escrow verify "$T/b.tzst" --quorum 2
expect_grep "needs at least that many --witness keys" "$T/err"
expect_rc 2 sp escrow verify "$T/b.tzst" --at tomorrow
expect_rc 0 sp escrow verify --help
expect_grep '^usage: srcproof escrow verify' "$T/out"
echo "escrow_verify: ok"
