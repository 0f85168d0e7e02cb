# Signed update chains: `srcproof manifest chain --policy` verifies every
# link's signature and refuses rollback, freeze and mix-and-match with
# distinct reasons. Also the manifest fields of signed statements.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

for k in root rel upd; do
	sp key generate -o $k.key --no-passphrase -q || fail "keygen $k"
done
sp policy create -o pol.json --expires 2030-01-01 --product avscan -q
sp policy add-key pol.json root.key.pub --roles root -q
sp policy add-key pol.json rel.key.pub --roles release -q
sp policy add-key pol.json upd.key.pub --roles update -q
sp policy sign pol.json --key root.key -q || fail "policy sign"

mkdir src
printf 'int main(void) { return 0; }\n' >src/main.c
printf 'rule 1\n' >src/rules.db
mk() { sp manifest create src -o "$@" -q || fail "manifest create $*"; }
mk m1 --product avscan --release 1.0
printf 'rule 2\n' >>src/rules.db
mk m2 --product avscan --release 1.0-u1 --kind update --previous m1
printf 'rule 3\n' >>src/rules.db
mk m3 --product avscan --release 1.0-u2 --kind update --previous m2

expect_rc 0 sp sign m1 --key rel.key --time 2026-02-01T00:00:00Z
jq -j .payload m1.sig | base64 -d >st1.json
jq -e '.predicate.role == "release" and .predicate.manifest ==
	{"product": "avscan", "release": "1.0", "kind": "release", "previous": null}' st1.json >/dev/null ||
	fail "manifest fields of m1: $(cat st1.json)"
# An update manifest is signed for role update by default, with its link.
expect_rc 0 sp sign m2 --key upd.key --time 2026-02-02T00:00:00Z
jq -j .payload m2.sig | base64 -d | jq -e --arg p "$(sha256sum m1 | cut -c1-64)" '
	.predicate.role == "update" and .predicate.manifest.kind == "update" and
	.predicate.manifest.previous == $p and .predicate.manifest.release == "1.0-u1"' >/dev/null ||
	fail "manifest fields of m2"
expect_rc 0 sp sign m3 --key upd.key --time 2026-02-03T00:00:00Z

expect_rc 0 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep '^chain unbroken: 3 manifests' "$T/out"
expect_grep '^every link signed under policy version 1' "$T/out"
expect_rc 0 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01 --json
jq -e '.unbroken and .signatures.verified and .signatures.policy_version == 1' "$T/out" >/dev/null ||
	fail "chain --json"
expect_rc 0 sp verify-sig m2 --policy pol.json --at 2026-03-01
expect_grep 'signed for role update' "$T/out"
# Without --policy nothing about signatures is claimed.
expect_rc 0 sp manifest chain m1 m2 m3
expect_no_grep 'signed' "$T/out"

# Rotation: policy version 2 (signed by version 1's root and its own)
# adds the update key upd2; m3 signed by upd2 alone verifies under the
# chain pol.json pol2.json, not under pol.json alone.
sp key generate -o upd2.key --no-passphrase -q || fail "keygen upd2"
sp policy create -o pol2.json --from pol.json --expires 2031-01-01 -q
sp policy add-key pol2.json upd2.key.pub --roles update -q
sp policy sign pol2.json --key root.key -q || fail "policy sign pol2"
cp m3.sig m3.sig.upd
rm m3.sig
sp sign m3 --key upd2.key --time 2026-02-03T00:00:00Z -q || fail "sign m3 by upd2"
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "error: 'm3': role 'update': threshold not met: 0 of 1 required valid signatures \(1 signature by a wrong key \(not trusted\)\)" "$T/err"
expect_rc 0 sp manifest chain m1 m2 m3 --policy pol.json --policy pol2.json --at 2026-03-01
expect_grep '^every link signed under policy version 2' "$T/out"
expect_rc 0 sp manifest chain m1 m2 m3 --policy pol.json --policy pol2.json --at 2026-03-01 --json
jq -e '.unbroken and .signatures.verified and .signatures.policy_version == 2' "$T/out" >/dev/null ||
	fail "rotation chain --json: $(cat "$T/out")"
# After version 1's expiry the rotated chain still verifies; alone, v1 is frozen.
expect_rc 0 sp manifest chain m1 m2 m3 --policy pol.json --policy pol2.json --at 2030-06-01
expect_rc 1 sp manifest chain m1 m2 --policy pol.json --at 2030-06-01
expect_grep 'error: freeze: policy expired' "$T/err"
# Out of order: refused.
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol2.json --policy pol.json --at 2026-03-01
expect_grep 'policy version 1 does not follow version 2' "$T/err"
cp m3.sig.upd m3.sig

# Freeze: the policy has expired at the time of the check.
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2030-02-01
expect_grep 'error: freeze: policy expired: version 1 expired at 2030-01-01T00:00:00Z' "$T/err"
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2030-02-01 --json
jq -e '.failure == "freeze" and .signed == false' "$T/out" >/dev/null || fail "freeze --json"

# Rollback: m3 re-signed with a time before m2's.
cp m3.sig m3.sig.good
rm m3.sig
sp sign m3 --key upd.key --time 2026-01-15T00:00:00Z -q || fail "sign m3 early"
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "error: rollback: 'm3' was signed at 2026-01-15T00:00:00Z, before 'm2' that it follows \(signed at 2026-02-02T00:00:00Z\)" "$T/err"
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01 --json
jq -e '.failure == "rollback"' "$T/out" >/dev/null || fail "rollback --json"
cp m3.sig.good m3.sig

# Mix-and-match: a manifest of another product, well signed.
mkdir other
printf 'x\n' >other/x
sp manifest create other -o o1 --product avdb-tools --release 9 -q
sp sign o1 --key rel.key --time 2026-02-01T00:00:00Z -q
expect_rc 1 sp manifest chain o1 m2 --policy pol.json --at 2026-03-01
expect_grep "broken link" "$T/err"
sp policy create -o any.json --expires 2030-01-01 -q
sp policy add-key any.json root.key.pub --roles root -q
sp policy add-key any.json rel.key.pub --roles release -q
sp policy add-key any.json upd.key.pub --roles update -q
sp policy sign any.json --key root.key -q
expect_rc 1 sp manifest chain o1 m1 --policy pol.json --at 2026-03-01
expect_grep "broken link" "$T/err"
# A single-product policy refuses the other product's signed manifest,
# even where the link check has nothing to say (a chain that starts there).
mk o2 --product avdb-tools --release 9-u1 --kind update --previous o1
sp sign o2 --key upd.key --time 2026-02-02T00:00:00Z -q
expect_rc 0 sp manifest chain o1 o2 --policy any.json --at 2026-03-01
expect_rc 1 sp manifest chain o1 o2 --policy pol.json --at 2026-03-01
expect_grep "error: mix-and-match: 'o1' is for product 'avdb-tools' but the policy is for 'avscan'" "$T/err"
expect_rc 1 sp manifest chain o1 o2 --policy pol.json --at 2026-03-01 --json
jq -e '.failure == "mix-and-match"' "$T/out" >/dev/null || fail "mix --json"
# verify-sig refuses it too.
expect_rc 1 sp verify-sig o1 --policy pol.json --at 2026-03-01
expect_grep "product mismatch: the signed manifest is for product 'avdb-tools' but the policy is for 'avscan'" "$T/err"

# A link signed by a key without the role, or not signed at all.
rm m2.sig
sp sign m2 --key rel.key --role update --time 2026-02-02T00:00:00Z -q
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "error: 'm2': role 'update': threshold not met: 0 of 1 required valid signatures \(1 signature by a key whose role is not allowed\)" "$T/err"
rm m2.sig
sp sign m2 --key upd.key --role release --time 2026-02-02T00:00:00Z -q
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "'m2': role not allowed: an update manifest needs a signature for role 'update', not 'release'" "$T/err"
rm m2.sig
expect_rc 3 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "'m2.sig' does not exist" "$T/err"
# A signature over another manifest.
cp m1.sig m2.sig
expect_rc 1 sp manifest chain m1 m2 m3 --policy pol.json --at 2026-03-01
expect_grep "'m2': digest mismatch" "$T/err"
# An unsigned policy is not a trust anchor.
sp policy create -o bare.json --expires 2030-01-01 -q
expect_rc 1 sp manifest chain m1 m2 --policy bare.json --at 2026-03-01
expect_grep 'policy version 1 \(pinned\): no signatures' "$T/err"
expect_rc 2 sp manifest chain m1 m2 --policy pol.json --at soon
expect_grep "bad --at 'soon'" "$T/err"

# A file that starts like a manifest but is not one cannot be signed.
printf '# srcproof-manifest v1\ngarbage\n' >fake
expect_rc 3 sp sign fake --key rel.key
expect_grep "'fake' starts like a srcproof manifest but does not parse" "$T/err"
# Every refusal reason of --json's "failure" is documented in
# srcproof-manifest(1), with the chain options.
man=$SP_SOURCE_DIR/docs/man/srcproof-manifest.1
for k in freeze rollback 'mix\-and\-match' signature policy input; do
	grep -qxF ".B $k" "$man" || fail "srcproof-manifest.1 does not document the chain failure '$k'"
done
grep -qF '.BI \-\-at " TIME"' "$man" || fail "srcproof-manifest.1 does not document --at"
grep -qF '.SH SIGNED CHAINS' "$man" || fail "srcproof-manifest.1 has no SIGNED CHAINS section"
echo "signing_chain: ok"
