#!/bin/bash
# The srcproof demo: the three journeys on the bundled sample product
# (sample/avscan, a toy scanner with a detection-rule database).
#
#   1. the vendor's release pipeline: a release and two updates (one a
#      rule-database update), each manifested, signed 2-of-3, logged and
#      witnessed, recorded with its build recipe, packed and encrypted to
#      the reviewer;
#   2. the auditor: decrypts and verifies a bundle, rebuilds it and gets a
#      signed IDENTICAL verdict;
#   3. the government reviewer: reviews the release, delta-reviews the
#      updates, verifies offline and takes out a one-page report.
#
#   bash scripts/demo.sh [PATH/TO/srcproof]
# Everything is written under demo-out/ (or $SP_DEMO_OUT).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SP=${1:-$here/build/release/srcproof}
case "$SP" in /*) ;; *) SP=$PWD/$SP ;; esac
OUT=${SP_DEMO_OUT:-$here/demo-out}
export LC_ALL=C TZ=UTC
umask 022
# The keys of this demo are encrypted; CI systems pass the passphrase in
# this variable (or with --passphrase-fd).
export SRCPROOF_PASSPHRASE=demo-only-passphrase
# Fixed times make the demo's outputs repeatable.
SDE=1764028800 # 2025-11-25T00:00:00Z, the sources' SOURCE_DATE_EPOCH
T0=2026-11-25T09:00:00Z

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() {
	printf '$ srcproof'
	printf ' %q' "$@" | sed "s#$OUT/##g"
	printf '\n'
	"$SP" "$@"
}
# quiet CMD...: run a step without its chatter (-q goes last: not for
# commands that end with "-- COMMAND").
quiet() { "$SP" "$@" -q >/dev/null; }

say "srcproof $("$SP" version -q | cut -d' ' -f2), demo output in $OUT"

# ---------------------------------------------------------------------------
say "Set-up: keys, the trust policy, the transparency log"
mkdir keys
for k in vendor-1 vendor-2 vendor-3 auditor reviewer log; do
	quiet key generate -o keys/$k.key -q
done
# The witness is another party: its key has its own passphrase, in a file
# only the witness reads (srcproof never passes the release's passphrase
# variables on to the witness command).
(umask 077 && printf 'witness-demo-passphrase\n' >keys/witness.pass)
quiet key generate -o keys/witness.key --passphrase-fd 3 3<keys/witness.pass
# The reviewer's X.509 certificate: escrow bundles are encrypted to it.
openssl req -x509 -newkey rsa:3072 -nodes -keyout keys/reviewer-cms.key \
	-out keys/reviewer-cms.crt -days 3650 -subj "/CN=Sealed-room reviewer" \
	2>/dev/null
run policy create -o policy.json --product avscan --expires 2031-01-01
for k in vendor-1 vendor-2 vendor-3; do
	quiet policy add-key policy.json keys/$k.key.pub --roles root,release,update
done
quiet policy add-key policy.json keys/auditor.key.pub --roles rebuild
quiet policy add-key policy.json keys/reviewer.key.pub --roles review
# The transparency log's key and its witness's: reviewers then check log
# proofs and the witness quorum from the policy alone.
quiet policy add-key policy.json keys/log.key.pub --roles log
quiet policy add-key policy.json keys/witness.key.pub --roles witness
for role in root release update; do
	quiet policy set-threshold policy.json $role 2
done
quiet policy sign policy.json --key keys/vendor-1.key
quiet policy sign policy.json --key keys/vendor-2.key
run policy show policy.json
run log init log --key keys/log.key --origin avscan.example/releases

# ---------------------------------------------------------------------------
say "Journey 1: the vendor's release pipeline"
# The vendor's repository: release 1.0.0, then a rule-database update,
# then a code update.
# Its own committer identity: a fresh machine has none configured.
git init -q vendor-repo
git -C vendor-repo config user.name Vendor
git -C vendor-repo config user.email release@avscan.example
cp -r "$here/sample/avscan/." vendor-repo/
rm -rf vendor-repo/out
(cd vendor-repo && git add -A && git commit -qm "avscan 1.0.0" &&
	git tag v1.0.0)
"$SP" log vkey --key keys/witness.key --name witness.example/w1 \
	--cosignature --passphrase-fd 3 >witness.vkey 3<keys/witness.pass

# build VERSION: the vendor's own build of what it ships (src-VERSION is
# the tagged source, shipped-VERSION what customers get).
build() {
	local v=$1 src=src-$1
	rm -rf "$src" && mkdir "$src"
	(cd vendor-repo && git archive "v$v") | tar -x -C "$src"
	(cd "$src" && SOURCE_DATE_EPOCH=$SDE make -s OUT=out >/dev/null)
	mkdir -p "shipped-$v" && cp "$src/out/avscan" "shipped-$v/avscan"
	rm -rf "$src/out"
}
# The log's witness (a local one here; in production an independent party
# reached over the network): it checks that the log only grew since the
# last checkpoint it cosigned (a consistency proof), then cosigns. The
# release step runs this script after the log append (docs/spec/
# release-config.md: witness_command), with the new checkpoint in
# $SRCPROOF_CHECKPOINT; the cosigned checkpoint goes to $SRCPROOF_COSIGNED.
cat >witness.sh <<SCRIPT
#!/bin/sh
set -eu
if [ -f witness.last ]; then
	'$SP' log consistency "\$SRCPROOF_LOG_DIR" witness.last -o cosign-request -q
else
	cp "\$SRCPROOF_CHECKPOINT" cosign-request
fi
'$SP' log cosign cosign-request --key keys/witness.key \\
	--passphrase-fd 3 --name witness.example/w1 --state witness.state \\
	--log-key log/log.vkey -o "\$SRCPROOF_COSIGNED" -q 3<keys/witness.pass
cp "\$SRCPROOF_CHECKPOINT" witness.last
rm -f cosign-request
SCRIPT
# witness: the same by hand, then the log adds the cosignature.
witness() {
	quiet log checkpoint log -o checkpoint
	SRCPROOF_LOG_DIR=$OUT/log SRCPROOF_CHECKPOINT=checkpoint \
		SRCPROOF_COSIGNED=cosigned sh witness.sh
	quiet log checkpoint log --add cosigned --witness witness.vkey
	rm -f checkpoint cosigned
}

# Release 1.0.0, one step at a time: what the pipeline step below does.
build 1.0.0
mkdir avscan-1.0.0
run manifest create vendor-repo --ref v1.0.0 -o avscan-1.0.0/manifest \
	--product avscan --release 1.0.0
# Two of the three release keys sign (the policy's 2-of-3).
quiet sign avscan-1.0.0/manifest --key keys/vendor-1.key \
	-o avscan-1.0.0/manifest.sig --time "$T0"
run sign avscan-1.0.0/manifest --key keys/vendor-2.key \
	-o avscan-1.0.0/manifest.sig --append
run recipe record -o avscan-1.0.0/recipe.json --source src-1.0.0 \
	--output out/avscan --source-date-epoch "$SDE" -- make OUT=out
run log append log avscan-1.0.0/manifest.sig
witness
run log prove log avscan-1.0.0/manifest.sig -o avscan-1.0.0/manifest.tlog-proof
# The escrow bundle, encrypted to the reviewer.
run escrow pack --manifest avscan-1.0.0/manifest --sig avscan-1.0.0/manifest.sig \
	--source src-1.0.0 --recipe avscan-1.0.0/recipe.json --binaries shipped-1.0.0 \
	--policy policy.json --proof avscan-1.0.0/manifest.tlog-proof \
	--recipient keys/reviewer-cms.crt -o avscan-1.0.0/bundle.cms

# The updates, each in one non-interactive step as a CI system runs it:
# srcproof release --config (docs/spec/release-config.md): manifest from
# the git tag, 2-of-3 signatures, recipe, bundle, log append, witness
# cosignature, proof, final bundle. The passphrases come from
# SRCPROOF_PASSPHRASE; nothing is published unless every step passes.
update() {
	local v=$1 prev=$2 signer=$3
	build "$v"
	cat >"release-$v.json" <<CONFIG
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "$v",
  "kind": "update",
  "previous": "avscan-$prev/manifest",
  "source": {"git": "vendor-repo", "ref": "v$v"},
  "keys": [{"key": "keys/vendor-1.key"}, {"key": "keys/$signer.key"}],
  "policy": "policy.json",
  "recipe": {"command": ["make", "OUT=out"], "outputs": ["out/avscan"],
             "source_date_epoch": $SDE},
  "binaries": "shipped-$v",
  "log": {"dir": "log", "witness_command": ["sh", "witness.sh"],
          "witnesses": ["witness.vkey"], "quorum": 1},
  "recipients": ["keys/reviewer-cms.crt"],
  "output": "avscan-$v"
}
CONFIG
	run release --config "release-$v.json" --time "$T0"
}
(cd vendor-repo &&
	printf 'Demo.Worm.C:self-replicate-via-usb\n' >>rules/main.db &&
	git commit -qam "rules: add Demo.Worm.C" && git tag v1.0.1)
update 1.0.1 1.0.0 vendor-2
(cd vendor-repo &&
	sed -i 's/usage: avscan RULES FILE.../usage: avscan RULES FILE... (1.0.2)/' \
		src/main.c &&
	git commit -qam "avscan 1.0.2: say the version in the usage line" &&
	git tag v1.0.2)
update 1.0.2 1.0.1 vendor-3
run manifest chain avscan-1.0.0/manifest avscan-1.0.1/manifest \
	avscan-1.0.2/manifest
RELEASED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# offline CMD...: without a network, in a namespace with no interfaces
# when this system allows it (root, or unprivileged user namespaces).
if unshare -n true 2>/dev/null; then
	offline() { unshare -n "$SP" "$@"; }
	OFFLINE="in a network namespace without interfaces (unshare -n)"
elif unshare -rn true 2>/dev/null; then
	offline() { unshare -rn "$SP" "$@"; }
	OFFLINE="in a network namespace without interfaces (unshare -rn)"
else
	offline() { "$SP" "$@"; }
	OFFLINE="unshare is not allowed here: run with the network up"
fi
runoff() {
	printf '$ srcproof'
	printf ' %q' "$@" | sed "s#$OUT/##g"
	printf '\n'
	offline "$@"
}

# ---------------------------------------------------------------------------
say "Journey 2: the auditor"
# The log proof shows release 1.0.2 was logged and witnessed (offline).
run log verify avscan-1.0.2/manifest.tlog-proof --policy policy.json \
	--entry avscan-1.0.2/manifest.sig
# Every check the bundle allows, the rebuild included, in one command.
echo "# offline: $OFFLINE"
runoff verify avscan-1.0.2/bundle.cms --policy policy.json \
	--key keys/reviewer-cms.key --previous avscan-1.0.1/manifest --rebuild --shipped shipped-1.0.2 \
	--report verify-1.0.2
# The auditor signs its verdict: IDENTICAL, under its "rebuild" role.
run rebuild avscan-1.0.2/bundle.cms --recipient-key keys/reviewer-cms.key \
	--policy policy.json --shipped shipped-1.0.2 --key keys/auditor.key \
	-o rebuild-1.0.2
run verify-sig shipped-1.0.2/avscan --sig rebuild-1.0.2/verdict.sig \
	--policy policy.json

# ---------------------------------------------------------------------------
say "Journey 3: the government reviewer"
# Release 1.0.0 is read in full.
run review attest avscan-1.0.0/manifest --all --depth in-depth --verdict ok \
	--note "full read of release 1.0.0" --key keys/reviewer.key \
	-o review-1.0.0.att --time "$T0"
# The updates: only what changed needs fresh eyes.
run review coverage avscan-1.0.2/manifest review-1.0.0.att --policy policy.json \
	--min-depth read || true
run review delta avscan-1.0.0/manifest avscan-1.0.2/manifest --source src-1.0.2 \
	--old-source src-1.0.0 --attestations review-1.0.0.att --policy policy.json \
	-o delta-1.0.2
run review attest avscan-1.0.2/manifest --from delta-1.0.2/review-list.txt \
	--depth read --verdict ok --note "delta review of 1.0.1 and 1.0.2" \
	--key keys/reviewer.key -o review-1.0.2.att --time "$T0"
run review coverage avscan-1.0.2/manifest review-1.0.0.att review-1.0.2.att \
	--policy policy.json --require 100
# In the sealed room, offline, possibly years later: everything judged as
# of the release time, under the policy pinned then.
echo "# offline: $OFFLINE"
runoff verify avscan-1.0.2/bundle.cms --policy policy.json \
	--key keys/reviewer-cms.key --at "$RELEASED" --previous avscan-1.0.1/manifest \
	--attestations review-1.0.0.att review-1.0.2.att --report final-1.0.2
run review report avscan-1.0.2/manifest --sig avscan-1.0.2/manifest.sig \
	--policy policy.json --attestations review-1.0.0.att review-1.0.2.att \
	--verdicts rebuild-1.0.2/verdict.sig --source src-1.0.2 \
	--previous avscan-1.0.0/manifest avscan-1.0.1/manifest -o report-1.0.2

say "Done"
cat <<EOF
The one-page report:   $OUT/report-1.0.2/report.html (and report.txt)
The offline checks:    $OUT/final-1.0.2/report.html (and report.txt, .json)
The rebuild verdict:   $OUT/rebuild-1.0.2/report.html (signed: verdict.sig)
The delta review pack: $OUT/delta-1.0.2/report.html
The escrow bundles:    $OUT/avscan-*/bundle.cms (CMS, for the reviewer's key)
EOF
