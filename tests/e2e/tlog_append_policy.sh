# 'srcproof log append DIR FILE... --policy POLICY': each signed manifest
# must meet the trust policy (the threshold of its statement's role, keys
# valid now, the policy's product) before anything is appended; exit 1 and
# the log unchanged otherwise. Without --policy, nothing changes: the log
# records what it is given.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
cd "$D"
# mk NAME PRODUCT KEY...: a manifest of src signed by the keys (role
# release, the default for a release manifest).
mk() {
	local name=$1 product=$2 k
	shift 2
	spx manifest create src -o "$name.manifest" --product "$product" \
		--release "$name" -q || fail "manifest $name"
	for k in "$@"; do
		if [ -f "$name.manifest.sig" ]; then
			spx sign "$name.manifest" --key "$k" --append -q
		else
			spx sign "$name.manifest" --key "$k" -q
		fi || fail "sign $name with $k"
	done
}
mk good avscan k1 k2
mk good2 avscan k2 k1
mk one avscan k1
mk stranger avscan k1 other
mk otherprod scanner k1 k2
spx manifest create src -o rev.manifest --product avscan --release rev -q &&
	spx sign rev.manifest --key alice --role review -q || fail "rev"
cp policy.json policy-unsigned.json
spx policy set-threshold policy-unsigned.json release 1 -q || fail "unsigned"
spx log init L --key logk --origin example.com/log -q || fail "log init"
state() { sha256sum L/checkpoint | cut -d' ' -f1; }
S0=$(state)

# ---- refused: exit 1, nothing appended -------------------------------------------
expect_rc 1 sp log append L one.manifest.sig --policy policy.json
expect_grep "^srcproof: error: 'one.manifest.sig' does not meet policy version 1: .*1 of 2 required" "$T/err"
expect_grep '^srcproof: hint: nothing was appended$' "$T/err"
[ -s "$T/out" ] && fail "a refused append printed: $(cat "$T/out")"
# One bad envelope among good ones refuses them all.
expect_rc 1 sp log append L good.manifest.sig one.manifest.sig --policy policy.json
expect_grep "'one.manifest.sig' does not meet policy version 1" "$T/err"
# A key the policy does not name does not count.
expect_rc 1 sp log append L stranger.manifest.sig --policy policy.json
expect_grep "'stranger.manifest.sig' does not meet policy version 1: .*1 of 2 required" "$T/err"
# Another product (mix-and-match).
expect_rc 1 sp log append L otherprod.manifest.sig --policy policy.json
expect_grep "^srcproof: error: 'otherprod.manifest.sig' does not meet policy version 1: product mismatch: the signed manifest is for product 'scanner' but policy version 1 is for 'avscan'$" "$T/err"
# The statement's role must be the manifest's kind: a review signature
# (which alice's key alone meets) does not release a manifest.
expect_rc 1 sp log append L rev.manifest.sig --policy policy.json
expect_grep "^srcproof: error: 'rev.manifest.sig' does not meet policy version 1: role not allowed: the signature is for role 'review', but a manifest of kind 'release' needs role 'release'$" "$T/err"
# A policy that does not verify (an edit removed its signatures).
expect_rc 1 sp log append L good.manifest.sig --policy policy-unsigned.json
expect_grep '^srcproof: error: the trust policy does not verify: policy version 1 \(pinned\)' "$T/err"
[ "$(state)" = "$S0" ] || fail "a refused append changed the log"
expect_rc 0 sp log check L -q

# ---- usage and input errors ---------------------------------------------------------
bash "$SP_SOURCE_DIR/tests/fixtures/tlog_entries.sh" 0 2 >e2
expect_rc 2 sp log append L --entries e2 --policy policy.json
expect_grep "^srcproof: error: --policy checks the signatures of signed manifests; the entries of --entries carry none$" "$T/err"
expect_rc 3 sp log append L good.manifest.sig --policy missing.json
expect_rc 3 sp log append L good.manifest.sig --policy good.manifest
[ "$(state)" = "$S0" ] || fail "a failed append changed the log"

# ---- accepted ------------------------------------------------------------------------
expect_rc 0 sp log append L good.manifest.sig --policy policy.json
expect_grep "^appended 0: avscan good \(release\) manifest sha256:[0-9a-f]{64}$" "$T/out"
expect_grep "^  signed: 2 of 2 required 'release' signatures valid under policy version 1$" "$T/out"
expect_rc 0 sp log append L good2.manifest.sig --policy policy.json --json
jq -e '.appended[0].index == 1 and .appended[0].signatures ==
	{"role": "release", "valid": 2, "required": 2, "policy_version": 1}' \
	"$T/out" >/dev/null || fail "append --policy --json: $(cat "$T/out")"
# An update manifest: its signatures are judged by the role update.
spx manifest create src -o upd.manifest --product avscan --release upd \
	--kind update --previous good.manifest -q &&
	spx sign upd.manifest --key k1 -q &&
	SRCPROOF_PASSPHRASE=p3 spx sign upd.manifest --key k3 --append -q || fail "upd"
expect_rc 0 sp log append L upd.manifest.sig --policy policy.json
expect_grep "^appended 2: avscan upd \(update\) manifest" "$T/out"
expect_grep "^  signed: 2 of 2 required 'update' signatures valid under policy version 1$" "$T/out"
# Without --policy the log records what it is given, as before.
expect_rc 0 sp log append L one.manifest.sig stranger.manifest.sig
expect_grep "^appended 4: avscan stranger " "$T/out"
expect_no_grep "signed:" "$T/out"
# ... and only the duplicate check stops the same one twice.
expect_rc 1 sp log append L good.manifest.sig --policy policy.json
expect_grep "'good.manifest.sig' is already in the log at index 0" "$T/err"
expect_rc 0 sp log check L -q
echo "tlog_append_policy: ok"
