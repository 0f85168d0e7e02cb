# The sealed room: srcproof verify in a network namespace with no usable
# interface (unshare -n), years after the release. The bundle was signed
# at $T0 and cosigned by the policy's witness a minute later, under
# policy-short.json, valid at release time and expired since ($SHORT).
#  - --at years ahead: that policy has expired (freeze): FAIL.
#  - --at the release time: the keys and the policy valid then are
#    accepted, and the witness cosignature shows the release was logged
#    then: PASS, rebuild included.
#  - --at before the witness cosigned: the log does not show the release
#    existed then: FAIL.
#  - a policy still valid (policy.json, until $LONG) and --at years ahead:
#    PASS.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
unshare -n true 2>/dev/null ||
	skip "unshare -n is not permitted here (it needs root or" \
		"unprivileged user namespaces); the offline test did not run"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
verify_bundle "$D" r1 release
cd "$D"

# Every srcproof run below is inside a new network namespace.
spn() {
	# shellcheck disable=SC2086
	unshare -n $SP_WRAPPER "$SRCPROOF" "$@"
}
# The namespace has no interface up: not even loopback.
up=$(unshare -n ip -o link show up) || fail "ip link in the namespace"
[ -z "$up" ] || fail "interfaces up in the namespace: $up"

common="--log-key log/log.vkey --rebuild --shipped bins"
# shellcheck disable=SC2086
expect_rc 1 spn verify r1.bundle --policy policy-short.json --at 2035-06-01 $common
expect_grep '^  signature +FAIL +the trust policy does not verify at 2035-06-01T00:00:00Z: .*expired' "$T/out"
expect_grep '^  rebuild +NOT CHECKED not rebuilt: the manifest signature did not verify' "$T/out"
expect_grep '^result: FAIL \(failed: signature' "$T/out"

# shellcheck disable=SC2086
expect_rc 0 spn verify r1.bundle --policy policy-short.json --at 2026-06-01T01:00:00Z \
	$common --report rep
for c in archive index manifest source signature log-proof witnesses \
	recipe binaries rebuild; do
	expect_grep "^  $c +PASS " "$T/out"
done
expect_grep '^  witnesses +PASS .*first at 2026-06-01T00:01:00Z' "$T/out"
expect_grep '^result: PASS' "$T/out"
expect_grep 'judged at 2026-06-01T01:00:00Z \(--at\)$' rep/report.txt
expect_grep '<span id="at">2026-06-01T01:00:00Z</span>' rep/report.html

# shellcheck disable=SC2086
expect_rc 1 spn verify r1.bundle --policy policy-short.json --at 2026-05-31 \
	--log-key log/log.vkey
expect_grep '^  witnesses +FAIL .*dated in the future' "$T/out"

# shellcheck disable=SC2086
expect_rc 0 spn verify r1.bundle --policy policy.json --at 2035-06-01 $common
expect_grep '^result: PASS' "$T/out"
echo "verify_offline: ok"
