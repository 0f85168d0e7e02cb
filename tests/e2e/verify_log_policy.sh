# The log key and the witnesses from the trust policy (role "log",
# docs/spec/policy.md section 6), in srcproof verify and srcproof escrow
# verify: a bundle verified with --policy alone; a proof signed by another
# log key; a policy naming a log key and a bundle without a proof; key
# validity windows with --at; --log-key and --witness when the policy names
# keys (the policy wins, and the result says so).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
verify_bundle "$D" r1 release
cd "$D"
spx key generate -o w2 --no-passphrase -q || fail "keygen w2"
verify_policy_plus policy-log.json logk.pub --roles log
verify_policy_plus policy-otherlog.json other.pub --roles log
verify_policy_plus policy-logwin.json logk.pub --roles log \
	--not-before 2026-01-01 --not-after 2027-01-01
verify_policy_plus policy-2wonly.json w2.pub --roles witness
spx policy set-threshold policy-2wonly.json witness 2 -q &&
	spx policy sign policy-2wonly.json --key root -q || fail "policy-2wonly"
verify_policy_plus policy-2w.json w2.pub --roles witness
spx policy add-key policy-2w.json logk.pub --roles log -q &&
	spx policy set-threshold policy-2w.json witness 2 -q &&
	spx policy sign policy-2w.json --key root -q || fail "policy-2w"
spx escrow pack --manifest r1.manifest --sig r1.manifest.sig --source src \
	--recipe r.json --binaries bins --policy policy.json \
	-o noproof.bundle -q || fail "pack without proof"
logline="r1.proof: entry 0 included in a tree of 1 signed by the policy's log key 'example.com/log'"

# ---- srcproof verify -----------------------------------------------------------
# --policy alone: the log key and the witness from the policy.
expect_rc 0 sp verify r1.bundle --policy policy-log.json --json
jq -e '.ok and .policy.log_threshold == 1 and .policy.witness_threshold == 1 and
	.log.log_key == "policy" and .log.witness_keys == "policy" and
	.log.origin == "example.com/log" and .log.cosigned_by[0].name == "w1.example" and
	(.checks[] | select(.name == "log-proof") | .status == "PASS" and .required) and
	(.checks[] | select(.name == "witnesses") | .status == "PASS" and .required)' \
	"$T/out" >/dev/null || fail "verify --policy alone: $(cat "$T/out")"
expect_rc 0 sp verify r1.bundle --policy policy-log.json
expect_grep "^  log-proof +PASS +$logline\$" "$T/out"
expect_grep '^  witnesses +PASS +r1.proof: 1 of the 1 required witnesses \(keys from the policy\)' "$T/out"
expect_grep '^result: PASS' "$T/out"
# A --log-key of another log: the policy wins, and says so.
expect_rc 0 sp verify r1.bundle --policy policy-log.json \
	--log-key "example.com/log=other.pub"
expect_grep "^  log-proof +PASS +$logline; --log-key ignored: the policy names the log key\$" "$T/out"

# A proof signed by another log key than the policy's: FAIL, with why.
expect_rc 1 sp verify r1.bundle --policy policy-otherlog.json
expect_grep "^  log-proof +FAIL +no proof verifies; first: r1.proof: checkpoint of 'example.com/log' is not signed by a log key of policy version 1 \(it names 1; the checkpoint's 2 signature line\(s\) are from other keys\) \(required\)\$" "$T/out"
expect_grep '^  witnesses +NOT CHECKED needs a verified log proof \(log-proof is FAIL\)' "$T/out"
expect_grep '^srcproof: error: bundle .r1.bundle. failed verification: log-proof FAIL: no proof verifies' "$T/err"
# ... even when --log-key names the right one: the policy wins.
expect_rc 1 sp verify r1.bundle --policy policy-otherlog.json --log-key log/log.vkey
expect_grep "^  log-proof +FAIL +no proof verifies; first: r1.proof: checkpoint of 'example.com/log' is not signed by a log key of policy version 1 .*; --log-key ignored: the policy names the log key \(required\)$" "$T/out"

# The policy names a log key, the bundle carries no proof: FAIL, exit 1.
expect_rc 1 sp verify noproof.bundle --policy policy-log.json
expect_grep '^  log-proof +FAIL +the bundle carries no log proof \(the policy names a log key: a proof is required\)' "$T/out"
expect_grep '^result: FAIL \(failed: log-proof; required but NOT CHECKED: witnesses\)$' "$T/out"
# Before, with a policy naming no log key and no --log-key: required and
# NOT CHECKED.
expect_rc 1 sp verify r1.bundle --policy policy.json
expect_grep '^  log-proof +NOT CHECKED the policy requires a log \(it names 1 witness key\(s\), threshold 1\) but no --log-key was given and it names no log key \(required\)$' "$T/out"

# Validity windows: the log key counts from 2026-01-01 until 2027-01-01.
expect_rc 0 sp verify r1.bundle --policy policy-logwin.json --at 2026-06-01T00:05:00Z
expect_grep "^  log-proof +PASS +$logline\$" "$T/out"
expect_rc 1 sp verify r1.bundle --policy policy-logwin.json --at 2027-02-01
expect_grep "^  log-proof +FAIL +no proof verifies; first: r1.proof: checkpoint of 'example.com/log' is signed by 0 of the 1 required log key\(s\) of policy version 1 valid at 2027-02-01T00:00:00Z \(1 more outside their validity window\)" "$T/out"
expect_grep '^  signature +PASS' "$T/out"
# An expired policy gives no log key.
expect_rc 1 sp verify r1.bundle --policy policy-log.json --at 2036-06-01
expect_grep '^  log-proof +FAIL +no trusted policy to take the log key from: policy expired' "$T/out"

# ---- srcproof escrow verify -----------------------------------------------------
# --policy alone: log key, witnesses and quorum from the policy.
expect_rc 0 sp escrow verify r1.bundle --policy policy-log.json
expect_grep "^  log-proof +PASS +$logline, 1 witness cosignature\(s\) \(quorum 1 of the policy's witnesses\)\$" "$T/out"
expect_grep '^result: PASS' "$T/out"
expect_rc 0 sp escrow verify r1.bundle --policy policy-log.json --json
jq -e '.ok and .log_key == "policy" and .witness_keys == "policy" and
	(.checks[] | select(.name == "log-proof") | .status == "PASS" and .required)' \
	"$T/out" >/dev/null || fail "escrow verify --json: $(cat "$T/out")"
# Another log key: FAIL; --log-key does not override the policy.
expect_rc 1 sp escrow verify r1.bundle --policy policy-otherlog.json
expect_grep "^  log-proof +FAIL +no proof verifies; first: r1.proof: checkpoint of 'example.com/log' is not signed by a log key of policy version 1" "$T/out"
expect_grep "failed verification: log-proof: no proof verifies" "$T/err"
expect_rc 1 sp escrow verify r1.bundle --policy policy-otherlog.json --log-key log/log.vkey
expect_grep "^  log-proof +FAIL .*; --log-key ignored: the policy names the log key" "$T/out"
# No proof: FAIL, exit 1 (without --strict).
expect_rc 1 sp escrow verify noproof.bundle --policy policy-log.json
expect_grep '^  log-proof +FAIL +the bundle carries no log proof \(the policy names a log key: a proof is required\)$' "$T/out"
expect_grep '^result: FAIL' "$T/out"
# Validity windows.
expect_rc 0 sp escrow verify r1.bundle --policy policy-logwin.json --at 2026-06-01T00:05:00Z
expect_grep "^  log-proof +PASS +$logline," "$T/out"
expect_rc 1 sp escrow verify r1.bundle --policy policy-logwin.json --at 2027-02-01
expect_grep "^  log-proof +FAIL .*signed by 0 of the 1 required log key\(s\) of policy version 1 valid at 2027-02-01T00:00:00Z \(1 more outside their validity window\)" "$T/out"
# The witness quorum is the policy's: 2 of w1, w2 (only w1 cosigned);
# --witness and --quorum do not lower it.
expect_rc 1 sp escrow verify r1.bundle --policy policy-2w.json
expect_grep '^  log-proof +FAIL +no proof verifies; first: r1.proof: witness quorum not met: 1 of the 2 required trusted witnesses cosigned the checkpoint$' "$T/out"
expect_rc 1 sp escrow verify r1.bundle --policy policy-2w.json --witness w1.vkey --quorum 1
expect_grep '^  log-proof +FAIL .*witness quorum not met: 1 of the 2 .*; --witness ignored: the policy names the witnesses$' "$T/out"
# Cosignatures are judged at --at: the witness cosigned at 00:01.
expect_rc 1 sp escrow verify r1.bundle --policy policy-log.json --at 2026-05-31T23:00:00Z
expect_grep "^  log-proof +FAIL .*cosignature by witness 'w1.example' is dated in the future" "$T/out"
# A policy with witnesses and no log key, and no --log-key: the proof is
# NOT CHECKED (not required in escrow verify), and the detail says why.
expect_rc 0 sp escrow verify r1.bundle --policy policy.json
expect_grep '^  log-proof +NOT CHECKED 1 proof\(s\) present, not verified: no --log-key given and the policy names witnesses but no log key \(not required\)$' "$T/out"
# ... with --log-key, the policy's witness is still required.
expect_rc 0 sp escrow verify r1.bundle --policy policy.json --log-key log/log.vkey
expect_grep "^  log-proof +PASS +r1.proof: entry 0 included in a tree of 1, 1 witness cosignature\(s\) \(quorum 1 of the policy's witnesses\)\$" "$T/out"
expect_rc 1 sp escrow verify r1.bundle --policy policy-2wonly.json --log-key log/log.vkey
expect_grep '^  log-proof +FAIL +no proof verifies; first: r1.proof: witness quorum not met: 1 of the 2 required' "$T/out"
echo "verify_log_policy: ok"
