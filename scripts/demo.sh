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
for k in vendor-1 vendor-2 vendor-3 auditor reviewer log witness; do
	quiet key generate -o keys/$k.key -q
done
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
git init -q vendor-repo
cp -r "$here/sample/avscan/." vendor-repo/
rm -rf vendor-repo/out
(cd vendor-repo && git add -A &&
	git -c user.name=Vendor -c user.email=release@avscan.example \
		commit -qm "avscan 1.0.0" && git tag v1.0.0)

# release VERSION KIND [PREVIOUS]: what the CI step does for one release.
release() {
	local v=$1 kind=$2 prev=${3:-} src=src-$1
	local m=avscan-$v.manifest
	rm -rf "$src" && mkdir "$src"
	(cd vendor-repo && git archive "v$v") | tar -x -C "$src"
	if [ "$kind" = update ]; then
		run manifest create vendor-repo --ref "v$v" -o "$m" --product avscan \
			--release "$v" --kind update --previous "$prev"
	else
		run manifest create vendor-repo --ref "v$v" -o "$m" --product avscan \
			--release "$v"
	fi
	# Two of the three release keys sign (the policy's 2-of-3).
	quiet sign "$m" --key keys/vendor-1.key -o "$m.sig" --time "$T0"
	run sign "$m" --key keys/vendor-2.key -o "$m.sig" --append
	# The recipe and the vendor's build of what it ships.
	"$SP" recipe record -q -o "avscan-$v.recipe" --source "$src" \
		--output out/avscan --source-date-epoch "$SDE" -- make OUT=out
	(cd "$src" && SOURCE_DATE_EPOCH=$SDE make -s OUT=out >/dev/null)
	mkdir -p "shipped-$v" && cp "$src/out/avscan" "shipped-$v/avscan"
	rm -rf "$src/out"
	# The log: append, have the witness cosign, prove.
	run log append log "$m.sig"
	quiet log checkpoint log -o checkpoint
	# The witness checks that the log only grew since the last checkpoint
	# it cosigned (a consistency proof), then cosigns.
	if [ -f witness.last ]; then
		quiet log consistency log witness.last -o cosign-request
	else
		cp checkpoint cosign-request
	fi
	quiet log cosign cosign-request --key keys/witness.key \
		--name witness.example/w1 --state witness.state \
		--log-key log/log.vkey -o cosigned
	cp checkpoint witness.last
	quiet log checkpoint log --add cosigned --witness witness.vkey
	quiet log prove log "$m.sig" -o "avscan-$v.proof"
	# The escrow bundle, encrypted to the reviewer.
	run escrow pack --manifest "$m" --sig "$m.sig" --source "$src" \
		--recipe "avscan-$v.recipe" --binaries "shipped-$v" --policy policy.json \
		--proof "avscan-$v.proof" --recipient keys/reviewer-cms.crt \
		-o "avscan-$v.bundle"
}
"$SP" log vkey --key keys/witness.key --name witness.example/w1 \
	--cosignature >witness.vkey

release 1.0.0 release
(cd vendor-repo &&
	printf 'Demo.Worm.C:self-replicate-via-usb\n' >>rules/main.db &&
	git commit -qam "rules: add Demo.Worm.C" && git tag v1.0.1)
release 1.0.1 update avscan-1.0.0.manifest
(cd vendor-repo &&
	sed -i 's/usage: avscan RULES FILE.../usage: avscan RULES FILE... (1.0.2)/' \
		src/main.c &&
	git commit -qam "avscan 1.0.2: say the version in the usage line" &&
	git tag v1.0.2)
release 1.0.2 update avscan-1.0.1.manifest
run manifest chain avscan-1.0.0.manifest avscan-1.0.1.manifest \
	avscan-1.0.2.manifest

# ---------------------------------------------------------------------------
say "Journey 2: the auditor"
# The log proof shows release 1.0.2 was logged and witnessed (offline).
run log verify avscan-1.0.2.proof --log-key log/log.vkey --witness witness.vkey \
	--quorum 1 --entry avscan-1.0.2.manifest.sig
run escrow verify avscan-1.0.2.bundle --key keys/reviewer-cms.key \
	--policy policy.json --log-key log/log.vkey --witness witness.vkey \
	--quorum 1
run rebuild avscan-1.0.2.bundle --recipient-key keys/reviewer-cms.key \
	--policy policy.json --shipped shipped-1.0.2 --key keys/auditor.key \
	-o rebuild-1.0.2
run verify-sig shipped-1.0.2/avscan --sig rebuild-1.0.2/verdict.sig \
	--policy policy.json

# ---------------------------------------------------------------------------
say "Journey 3: the government reviewer"
# Release 1.0.0 is read in full.
run review attest avscan-1.0.0.manifest --all --depth in-depth --verdict ok \
	--note "full read of release 1.0.0" --key keys/reviewer.key \
	-o review-1.0.0.att --time "$T0"
# The updates: only what changed needs fresh eyes.
run review coverage avscan-1.0.2.manifest review-1.0.0.att --policy policy.json \
	--min-depth read || true
run review delta avscan-1.0.0.manifest avscan-1.0.2.manifest --source src-1.0.2 \
	--old-source src-1.0.0 --attestations review-1.0.0.att --policy policy.json \
	-o delta-1.0.2
run review attest avscan-1.0.2.manifest --from delta-1.0.2/review-list.txt \
	--depth read --verdict ok --note "delta review of 1.0.1 and 1.0.2" \
	--key keys/reviewer.key -o review-1.0.2.att --time "$T0"
run review coverage avscan-1.0.2.manifest review-1.0.0.att review-1.0.2.att \
	--policy policy.json --require 100
run review report avscan-1.0.2.manifest --sig avscan-1.0.2.manifest.sig \
	--policy policy.json --attestations review-1.0.0.att review-1.0.2.att \
	--verdicts rebuild-1.0.2/verdict.sig --source src-1.0.2 \
	--previous avscan-1.0.0.manifest avscan-1.0.1.manifest -o report-1.0.2

say "Done"
cat <<EOF
The one-page report:   $OUT/report-1.0.2/report.html (and report.txt)
The rebuild verdict:   $OUT/rebuild-1.0.2/report.html (signed: verdict.sig)
The delta review pack: $OUT/delta-1.0.2/report.html
The escrow bundles:    $OUT/avscan-*.bundle (CMS, for the reviewer's key)
EOF
