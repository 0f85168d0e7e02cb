# Trust policies: editing, root signatures, role thresholds, key validity,
# expiry with --at, rotation chains, and malformed policies.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

for k in r1 r2 r3 rel1 rel2 rel3; do
	sp key generate -o $k.key --no-passphrase -q || fail "keygen $k"
done
id() { sp key show -q "$1.key.pub"; }

expect_rc 0 sp policy create -o p1.json --expires 2030-01-01 --product avscan
expect_grep 'wrote policy version 1' "$T/err"
expect_rc 3 sp policy create -o p1.json --expires 2030-01-01
expect_grep "'p1.json' already exists" "$T/err"
expect_rc 2 sp policy create -o x.json
expect_grep 'expires TIME are needed' "$T/err"
expect_rc 0 sp policy add-key p1.json r1.key.pub --roles root
expect_grep "^$(id r1)\$" "$T/out"
expect_rc 0 sp policy add-key p1.json r2.key.pub --roles root
expect_rc 0 sp policy add-key p1.json rel1.key.pub --roles release
expect_rc 0 sp policy add-key p1.json rel2.key.pub --roles release,update
expect_rc 0 sp policy add-key p1.json rel3.key.pub --roles release --not-before 2026-01-01 --not-after 2026-06-01
expect_rc 3 sp policy add-key p1.json rel3.key.pub --roles release
expect_grep 'is already in the policy' "$T/err"
expect_rc 2 sp policy add-key p1.json r3.key.pub --roles boss
expect_grep "unknown role 'boss'" "$T/err"
expect_rc 2 sp policy add-key p1.json r3.key.pub --roles root --not-before 2027-01-01 --not-after 2026-01-01
expect_grep 'not_after must be later' "$T/err"
expect_rc 0 sp policy set-threshold p1.json root 2
expect_rc 0 sp policy set-threshold p1.json release 2
expect_rc 2 sp policy set-threshold p1.json release 4
expect_grep "role 'release' has 3 keys; a threshold of 4 could never be met" "$T/err"
expect_rc 2 sp policy set-threshold p1.json boss 1
expect_rc 3 sp policy remove-key p1.json "$(printf '%064d' 0)"
expect_grep 'is not in the policy' "$T/err"

# Unsigned, then one root of two: refused with counts.
expect_rc 1 sp policy verify p1.json
expect_grep 'policy version 1 \(pinned\): no signatures' "$T/err"
expect_rc 0 sp policy sign p1.json --key r1.key
expect_rc 1 sp policy verify p1.json
expect_grep 'policy version 1 \(pinned\): threshold not met: 1 of 2 required valid signatures' "$T/err"
expect_rc 0 sp policy sign p1.json --key rel1.key
expect_rc 1 sp policy verify p1.json
expect_grep '1 of 2 required valid signatures \(1 signature by a wrong key \(not trusted\)\)' "$T/err"
expect_rc 0 sp policy sign p1.json --key r2.key
expect_rc 0 sp policy verify p1.json --at 2026-02-01
expect_grep '^OK: policy chain of 1 verified; current version 1' "$T/out"
expect_rc 0 sp policy show p1.json
expect_grep '^role release: threshold 2' "$T/out"
expect_grep "^key $(id rel3) ed25519 roles release not_before 2026-01-01T00:00:00Z not_after 2026-06-01T00:00:00Z" "$T/out"
expect_grep '^signatures: 3 \(not checked\)' "$T/out"
expect_rc 0 sp policy show p1.json --json
jq -e '.schema == "srcproof.policy/v1" and .version == 1 and .product == "avscan" and .thresholds.root == 2 and (.keys | length) == 5' "$T/out" >/dev/null ||
	fail "policy show --json"
# The policy file is a DSSE envelope; its body is readable JSON.
jq -e '.payloadType == "application/vnd.srcproof.policy+json"' p1.json >/dev/null || fail "payloadType"
jq -j .payload p1.json | base64 -d | jq -e --arg r1 "$(id r1)" --arg r2 "$(id r2)" '
	._type == "https://srcproof.dev/policy/v1" and .expires == "2030-01-01T00:00:00Z" and
	.root == {"threshold": 2, "keyids": ([$r1, $r2] | sort)}' >/dev/null || fail "policy body"

# Expiry and --at.
expect_rc 0 sp policy verify p1.json --at 2026-02-01 --json
jq -e '.schema == "srcproof.policy/v1" and .verified == true and .version == 1 and .signatures == 3' \
	"$T/out" >/dev/null || fail "policy verify --json"
expect_rc 1 sp policy verify p1.json --at 2030-01-01 --json
jq -e '.verified == false and .policies == 1 and (.reason | startswith("policy expired: version 1"))' \
	"$T/out" >/dev/null || fail "policy verify --json, not verified: $(cat "$T/out")"
expect_rc 1 sp policy verify p1.json --at 2030-01-01T00:00:00Z
expect_grep 'policy expired: version 1 expired at 2030-01-01T00:00:00Z \(checked at 2030-01-01T00:00:00Z\)' "$T/err"
expect_grep 'hint: an expired policy may be a freeze attack' "$T/err"

# Release signatures: 2 of the release keys.
printf 'manifest bytes\n' >m
expect_rc 0 sp sign m --key rel1.key
expect_rc 1 sp verify-sig m --policy p1.json --at 2026-02-01
expect_grep "role 'release': threshold not met: 1 of 2 required valid signatures" "$T/err"
expect_rc 0 sp sign m --key rel3.key --append
expect_rc 0 sp verify-sig m --policy p1.json --at 2026-02-01
expect_grep 'signed for role release by 2 of 2 required keys \(policy version 1\)' "$T/out"
# rel3 is valid from 2026-01-01 to 2026-06-01 only.
expect_rc 1 sp verify-sig m --policy p1.json --at 2026-07-01
expect_grep '1 of 2 required valid signatures \(1 signature \(key expired\)\)' "$T/err"
# --json when not verified: verified false, the counts and the reason.
expect_rc 1 sp verify-sig m --policy p1.json --at 2026-07-01 --json
jq -e '.schema == "srcproof.verify-sig/v1" and .verified == false and .valid == 1 and
	.required == 2 and .signatures == 2 and .role == "release" and
	(.reason | test("threshold not met: 1 of 2 required valid signatures \\(1 signature \\(key expired\\)\\)"))' \
	"$T/out" >/dev/null || fail "verify-sig --json on failure: $(cat "$T/out")"
expect_rc 1 sp verify-sig m --policy p1.json --at 2025-12-31
expect_grep '1 of 2 required valid signatures \(1 signature \(key not yet valid\)\)' "$T/err"
expect_rc 1 sp verify-sig m --policy p1.json --at 2031-01-01
expect_grep 'policy expired: version 1' "$T/err"
expect_rc 0 sp sign m --key rel2.key --append
expect_rc 0 sp verify-sig m --policy p1.json --at 2026-07-01 --json
jq -e '.verified and .valid == 2 and .required == 2 and .policy_version == 1' "$T/out" >/dev/null || fail "json"
# The signature is for role release; asking for another role fails.
expect_rc 1 sp verify-sig m --policy p1.json --role update --at 2026-02-01
expect_grep "role not allowed: the signature is for role 'release', not 'update'" "$T/err"
# Keys without the role do not count.
expect_rc 0 sp sign m --key rel1.key --role update -o m.update.sig
expect_rc 0 sp sign m --key r1.key --append -o m.update.sig
expect_rc 1 sp verify-sig m --sig m.update.sig --policy p1.json --at 2026-02-01
expect_grep "role 'update': threshold not met: 0 of 1 required valid signatures \(2 signatures by keys whose role is not allowed\)" "$T/err"
expect_rc 0 sp sign m --key rel2.key --append -o m.update.sig
expect_rc 0 sp verify-sig m --sig m.update.sig --policy p1.json --at 2026-02-01
# A role the policy does not define.
expect_rc 0 sp sign m --key rel1.key --role witness -o m.w.sig
expect_rc 1 sp verify-sig m --sig m.w.sig --policy p1.json --at 2026-02-01
expect_grep "role not allowed: policy version 1 defines no threshold for role 'witness'" "$T/err"
# An unsigned policy is no trust anchor.
sp policy create -o unsigned.json --expires 2030-01-01 -q
expect_rc 1 sp verify-sig m --policy unsigned.json
expect_grep 'no signatures' "$T/err"

# Rotation: version 2 replaces r1 by r3.
expect_rc 0 sp policy create -o p2.json --from p1.json --expires 2031-01-01
expect_rc 0 sp policy add-key p2.json r3.key.pub --roles root
expect_rc 0 sp policy remove-key p2.json "$(id r1)"
expect_rc 2 sp policy remove-key p2.json "$(id r2)"
expect_grep "would leave role 'root' with 1 keys for a threshold of 2" "$T/err"
expect_rc 0 sp policy sign p2.json --key r2.key
expect_rc 0 sp policy sign p2.json --key r3.key
# Signed by its own roots, but only one of version 1's two roots: refused.
expect_rc 1 sp policy verify p1.json p2.json --at 2026-02-01
expect_grep 'policy version 2, by the root keys of version 1: threshold not met: 1 of 2' "$T/err"
expect_rc 0 sp policy sign p2.json --key r1.key
expect_rc 0 sp policy verify p1.json p2.json --at 2026-02-01
expect_grep 'current version 2' "$T/out"
# Signed by the old roots alone (r1, r2) is not enough: its own threshold
# (r2, r3) is not met.
jq '.signatures |= [.[] | select(.keyid != "'"$(id r3)"'")]' p2.json >p2-no-own.json
expect_rc 1 sp policy verify p1.json p2-no-own.json --at 2026-02-01
expect_grep 'policy version 2, by its own root keys: threshold not met: 1 of 2' "$T/err"
# After version 1 expires, the chain to version 2 still verifies.
expect_rc 0 sp policy verify p1.json p2.json --at 2030-06-01
expect_rc 0 sp verify-sig m --policy p1.json --policy p2.json --at 2030-06-01
expect_grep '\(policy version 2\)' "$T/out"
# Rollback / out-of-order / gaps.
expect_rc 1 sp policy verify p2.json p1.json
expect_grep 'policy version 1 does not follow version 2' "$T/err"
sp policy create -o p3.json --from p2.json --expires 2032-01-01 -q
sp policy create -o p4.json --from p3.json --expires 2032-01-01 -q
sp policy sign p4.json --key r2.key -q
sp policy sign p4.json --key r3.key -q
expect_rc 1 sp policy verify p1.json p2.json p4.json
expect_grep 'policy version 4 does not follow version 2' "$T/err"
expect_rc 2 sp policy frobnicate
expect_grep "unknown command 'policy frobnicate'" "$T/err"
expect_rc 0 sp policy --help
expect_grep 'set-threshold' "$T/out"
# --at defaults to now: a policy that expired in 2020, checked without
# --at, is refused as expired, checked at the current time.
expect_rc 0 sp policy create -o past.json --expires 2020-01-01 --json
jq -e '.schema == "srcproof.policy/v1" and .policy == "past.json" and .version == 1' "$T/out" >/dev/null ||
	fail "policy create --json: $(cat "$T/out")"
expect_rc 0 sp policy add-key past.json r1.key.pub --roles root,release --json
jq -e --arg k "$(id r1)" '.policy == "past.json" and .keyid == $k' "$T/out" >/dev/null ||
	fail "policy add-key --json: $(cat "$T/out")"
expect_rc 0 sp policy sign past.json --key r1.key --json
jq -e --arg k "$(id r1)" '.policy == "past.json" and .keyid == $k and .signatures == 1' "$T/out" >/dev/null ||
	fail "policy sign --json: $(cat "$T/out")"
expect_rc 0 sp sign m --key r1.key -o m.past.sig
year=$(date -u +%Y)
expect_rc 1 sp verify-sig m --sig m.past.sig --policy past.json
expect_grep "policy expired: version 1 expired at 2020-01-01T00:00:00Z \(checked at $year-" "$T/err"
expect_rc 1 sp policy verify past.json
expect_grep "policy expired: version 1 expired at 2020-01-01T00:00:00Z \(checked at $year-" "$T/err"
# ... and as of 2019 it verifies.
expect_rc 0 sp verify-sig m --sig m.past.sig --policy past.json --at 2019-06-01
echo "signing_policy: ok"
