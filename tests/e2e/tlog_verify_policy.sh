# 'srcproof log verify PROOF --policy POLICY [--at TIME]': the log keys
# (role log) and the witnesses and quorum (role witness) from a trust
# policy that must verify at TIME, as 'srcproof verify' and 'srcproof
# escrow verify' take them (docs/spec/policy.md section 6): a proof
# verified with --policy alone; a proof from another log key; a witness
# quorum of the policy not met; an expired, unsigned or broken policy;
# --at outside a key's validity window; --log-key, --witness and --quorum
# when the policy names keys (the policy wins, and the output says so).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
verify_bundle "$D" r1 release
cd "$D"
spx key generate -o w2 --no-passphrase -q || fail "keygen w2"
spx log vkey --key w2 --name w2.example --cosignature >w2.vkey || fail "w2.vkey"
verify_policy_plus policy-log.json logk.pub --roles log
verify_policy_plus policy-logwin.json logk.pub --roles log \
	--not-before 2026-01-01 --not-after 2027-01-01
verify_policy_plus policy-2w.json w2.pub --roles witness
spx policy add-key policy-2w.json logk.pub --roles log -q &&
	spx policy set-threshold policy-2w.json witness 2 -q &&
	spx policy sign policy-2w.json --key root -q || fail "policy-2w"
# An edit after signing removes the signatures: an unsigned policy.
cp policy-log.json policy-unsigned.json
spx policy set-threshold policy-unsigned.json witness 1 -q || fail "unsigned"
# The same entry in another log of the same origin, under another key.
spx log init log2 --key other --origin example.com/log -q &&
	spx log append log2 r1.manifest.sig -q &&
	spx log prove log2 0 -o other.proof -q || fail "log2"
spx log vkey --key other --name example.com/log >other.vkey || fail "other.vkey"
AT=2026-06-01T00:05:00Z
notsigned="checkpoint of 'example.com/log' is not signed by a log key of policy version 1 \(it names 1; the checkpoint's 1 signature line\(s\) are from other keys\)"

# ---- --policy alone: PASS ----------------------------------------------------------
expect_rc 0 sp log verify r1.proof --policy policy-log.json --at "$AT" \
	--entry r1.manifest.sig
expect_grep "^verified: entry 0 of log 'example.com/log' \(size 1, root [A-Za-z0-9+/=]{44}\)$" "$T/out"
expect_grep "^log key: 'example.com/log' of policy version 1, valid at $AT$" "$T/out"
expect_grep "^witnesses: 1 of 1 trusted cosigned \(quorum 1, keys from the policy\): w1.example at 2026-06-01T00:01:00Z$" "$T/out"
[ -s "$T/err" ] && fail "warnings: $(cat "$T/err")"
expect_rc 0 sp log verify r1.proof --policy policy-log.json --at "$AT" --json
jq -e '.verified and .log_key == "policy" and .witness_keys == "policy" and
	.log_key_name == "example.com/log" and .policy_version == 1 and
	.quorum == 1 and .cosigned == 1 and .witnesses[0].name == "w1.example" and
	.at == "2026-06-01T00:05:00Z" and .notes == []' "$T/out" >/dev/null ||
	fail "verify --policy --json: $(cat "$T/out")"
# Default --at: now (the policy expires in 2036).
expect_rc 0 sp log verify r1.proof --policy policy-log.json -q
# --log-key of another log: the policy wins, and says so.
expect_rc 0 sp log verify r1.proof --policy policy-log.json --at "$AT" \
	--log-key other.vkey
expect_grep "^log key: 'example.com/log' of policy version 1, valid at $AT \(--log-key ignored: the policy names the log key\)$" "$T/out"
expect_rc 0 sp log verify r1.proof --policy policy-log.json --at "$AT" \
	--log-key other.vkey --json
jq -e '.verified and .notes == ["--log-key ignored: the policy names the log key"]' \
	"$T/out" >/dev/null || fail "notes: $(cat "$T/out")"
# More checkpoints of the log, checked against the policy too.
expect_rc 0 sp log verify r1.proof log/checkpoint --policy policy-log.json --at "$AT"
expect_grep '^1 more checkpoint of the log agree \(no equivocation\)$' "$T/out"

# ---- a proof from another log key: FAIL, exit 1, with the reason ----------------
expect_rc 1 sp log verify other.proof --policy policy-log.json --at "$AT"
expect_grep "^srcproof: error: $notsigned\$" "$T/err"
[ -s "$T/out" ] && fail "a failed verification printed: $(cat "$T/out")"
expect_rc 1 sp log verify other.proof --policy policy-log.json --at "$AT" --json
jq -e '(.verified | not) and .log_key == "policy" and (.log_signature | not) and
	(.reason | startswith("checkpoint of '"'"'example.com/log'"'"' is not signed by a log key of policy version 1"))' \
	"$T/out" >/dev/null || fail "other log --json: $(cat "$T/out")"
# ... even with --log-key naming it: the policy wins.
expect_rc 1 sp log verify other.proof --policy policy-log.json --at "$AT" \
	--log-key other.vkey
expect_grep "^srcproof: error: $notsigned; --log-key ignored: the policy names the log key\$" "$T/err"
# ... and as a further checkpoint of a good proof.
expect_rc 1 sp log verify r1.proof other.proof --policy policy-log.json --at "$AT"
expect_grep "^srcproof: error: 'other.proof': $notsigned\$" "$T/err"
# Without the policy, that key verifies it (the proof itself is fine).
expect_rc 0 sp log verify other.proof --log-key other.vkey -q

# ---- the policy's witness quorum: 2 of w1, w2; only w1 cosigned ----------------
expect_rc 1 sp log verify r1.proof --policy policy-2w.json --at "$AT"
expect_grep '^srcproof: error: witness quorum not met: 1 of the 2 required trusted witnesses cosigned the checkpoint$' "$T/err"
# --witness and --quorum do not lower it.
expect_rc 1 sp log verify r1.proof --policy policy-2w.json --at "$AT" \
	--witness w1.vkey --quorum 1
expect_grep '^srcproof: error: witness quorum not met: 1 of the 2 required .*; --witness and --quorum ignored: the policy names the witnesses$' "$T/err"
expect_rc 1 sp log verify r1.proof --policy policy-2w.json --at "$AT" --json
jq -e '(.verified | not) and .quorum == 2 and .cosigned == 1 and .log_signature and
	.inclusion' "$T/out" >/dev/null || fail "quorum --json: $(cat "$T/out")"
# A policy that names witnesses but no log key: --log-key is needed, and
# the witnesses are still the policy's.
expect_rc 2 sp log verify r1.proof --policy policy.json
expect_grep '^srcproof: error: policy version 1 names no log key \(role log\): give --log-key PUB$' "$T/err"
expect_rc 0 sp log verify r1.proof --policy policy.json --log-key log/log.vkey --at "$AT"
expect_grep '^witnesses: 1 of 1 trusted cosigned \(quorum 1, keys from the policy\)' "$T/out"
expect_no_grep '^log key:' "$T/out"

# ---- time: policy expiry, key validity, cosignature times ------------------------
expect_rc 1 sp log verify r1.proof --policy policy-log.json --at 2036-06-01
expect_grep '^srcproof: error: no trusted policy to take the log key from at 2036-06-01T00:00:00Z: policy expired: version 1 expired at 2036-01-01T00:00:00Z' "$T/err"
expect_rc 0 sp log verify r1.proof --policy policy-logwin.json --at "$AT"
expect_rc 1 sp log verify r1.proof --policy policy-logwin.json --at 2027-02-01
expect_grep "^srcproof: error: checkpoint of 'example.com/log' is signed by 0 of the 1 required log key\(s\) of policy version 1 valid at 2027-02-01T00:00:00Z \(1 more outside their validity window\)$" "$T/err"
expect_rc 1 sp log verify r1.proof --policy policy-logwin.json --at 2025-12-31
expect_grep "valid at 2025-12-31T00:00:00Z \(1 more outside their validity window\)" "$T/err"
# The witness cosigned at 00:01; an hour before, its cosignature is in
# the future.
expect_rc 1 sp log verify r1.proof --policy policy-log.json --at 2026-05-31T23:00:00Z
expect_grep "cosignature by witness 'w1.example' is dated in the future" "$T/err"
expect_rc 2 sp log verify r1.proof --policy policy-log.json --at yesterday
expect_grep "^srcproof: error: --at needs" "$T/err"

# ---- policies that do not verify, or cannot be read ------------------------------
expect_rc 1 sp log verify r1.proof --policy policy-unsigned.json --at "$AT"
expect_grep '^srcproof: error: no trusted policy to take the log key from at 2026-06-01T00:05:00Z: policy version 1 \(pinned\)' "$T/err"
expect_rc 1 sp log verify r1.proof --policy policy-log.json --policy policy-log.json --at "$AT"
expect_grep 'policy version 1 does not follow version 1' "$T/err"
expect_rc 3 sp log verify r1.proof --policy missing.json
expect_rc 3 sp log verify r1.proof --policy r1.proof
echo "tlog_verify_policy: ok"
