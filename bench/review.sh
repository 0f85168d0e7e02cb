#!/bin/bash
# Benchmark of the review ledger:
#   1. coverage of a release of FILES files with ENTRIES attestation entries
#      (in attestations of PER_ATT files each), without and with --source;
#   2. a delta review pack between two releases differing in CHANGE_PCT% of
#      the files,
#   3. a delta review pack of a consecutive small update (UPDATE_FILES files
#      rewritten after release 2, as an AV database changes many times a
#      day), with release 1's tree as --reviewed-source,
# each timed next to `git diff --stat` between the same two trees (both
# committed to one repository beforehand, as an auditor's checkout would be).
#
#   bash bench/review.sh [PATH/TO/srcproof]
#   FILES=8000 ENTRIES=5000 bash bench/review.sh      (a small run)
#
# Defaults: FILES=80000 ENTRIES=50000 PER_ATT=10000 CHANGE_PCT=1
# UPDATE_FILES=10, files of
# about 1 KiB in directories of 100. Work files go to a temporary directory
# (BENCH_DIR to choose), removed at the end unless KEEP=1. Prints one
# table; nothing here asserts a time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SP=$(realpath "${1:-$here/build/release/srcproof}")
FILES=${FILES:-80000}
ENTRIES=${ENTRIES:-50000}
PER_ATT=${PER_ATT:-10000}
CHANGE_PCT=${CHANGE_PCT:-1}
UPDATE_FILES=${UPDATE_FILES:-10}
export LC_ALL=C TZ=UTC
[ -x "$SP" ] || {
	echo "bench/review.sh: no srcproof at '$SP' (build it, or pass its path)" >&2
	exit 2
}
[ "$ENTRIES" -le "$FILES" ] && [ "$UPDATE_FILES" -le "$FILES" ] || {
	echo "bench/review.sh: ENTRIES and UPDATE_FILES must not exceed FILES" >&2
	exit 2
}
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/sp-bench-review.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
cd "$W"

# timed NAME CMD...: run CMD (output to NAME.log); record its wall-clock
# seconds and its CPU seconds (user + system, children included).
declare -A SECS CPU
timed() {
	local name=$1 r u s
	shift
	TIMEFORMAT='%R %U %S'
	if ! { time "$@" >"$name.log" 2>&1; } 2>"$name.time"; then
		echo "bench/review.sh: '$name' failed:" >&2
		tail -20 "$name.log" >&2
		exit 1
	fi
	read -r r u s <"$name.time"
	SECS[$name]=$r
	CPU[$name]=$(awk "BEGIN { print $u + $s }")
}

echo "generating $FILES files ($CHANGE_PCT% changed in the update)..." >&2
python3 - "$FILES" "$CHANGE_PCT" <<'EOF'
import os, sys
n, pct = int(sys.argv[1]), float(sys.argv[2])
step = max(1, round(100 / pct)) if pct > 0 else 0
changed = 0
for i in range(n):
    d = "d%04d" % (i // 100)
    for top in ("r1", "r2"):
        os.makedirs(os.path.join(top, d), exist_ok=True)
    body = "".join("/* file %d line %d: rule = %08x; */\n" % (i, k, (i * 2654435761 + k) & 0xffffffff)
                   for k in range(20))
    name = os.path.join(d, "f%06d.c" % i)
    with open(os.path.join("r1", name), "w") as f:
        f.write(body)
    if step and i % step == step // 2:
        body += "/* updated rule %d */\n" % i
        changed += 1
    with open(os.path.join("r2", name), "w") as f:
        f.write(body)
print(changed, file=open("changed.count", "w"))
EOF
changed=$(cat changed.count)

"$SP" key generate -o root.key --no-passphrase -q
"$SP" key generate -o alice.key --no-passphrase -q
"$SP" policy create -o policy.json --expires 2099-01-01 --product bench -q
"$SP" policy add-key policy.json root.key.pub --roles root -q
"$SP" policy add-key policy.json alice.key.pub --roles review -q
"$SP" policy sign policy.json --key root.key -q

timed manifest1 "$SP" manifest create r1 -o m1 --product bench --release 1 -q
timed manifest2 "$SP" manifest create r2 -o m2 --product bench --release 2 --kind update --previous m1 -q

# ENTRIES files of release 1, in attestations of PER_ATT files.
grep -E '^[0-9a-f]{64}  ' m1 | cut -c67- | awk -v n="$ENTRIES" 'NR <= n' |
	split -l "$PER_ATT" -d -a 3 - list.
atts=()
for l in list.*; do
	atts+=("$l.att")
done
attest_all() {
	local l
	for l in list.*; do
		[ "${l%.att}" = "$l" ] || continue
		"$SP" review attest m1 --from "$l" --depth read --verdict ok \
			--key alice.key -o "$l.att" -q || return 1
	done
}
timed attest attest_all

timed coverage "$SP" review coverage m2 "${atts[@]}" --policy policy.json --json
timed coverage_source "$SP" review coverage m2 "${atts[@]}" --policy policy.json --source r2 -q
timed delta "$SP" review delta m1 m2 --source r2 --old-source r1 \
	--attestations "${atts[@]}" --policy policy.json -o pack -q

# A consecutive small update: release 3 is release 2 with UPDATE_FILES
# files rewritten, those release 2 changed first (the same database files
# change again; reviewed in release 1, not since), then others. Hard links
# for the rest: only the rewritten files are new inodes.
cp -al r2 r3
files_of() {
	grep -E '^[0-9a-f]{64}  ' "$1" | sort
}
{
	comm -13 <(files_of m1) <(files_of m2) | cut -c67- | sort
	comm -12 <(files_of m1) <(files_of m2) | cut -c67- | sort
} | awk -v n="$UPDATE_FILES" 'NR <= n' |
	while IFS= read -r f; do
		rm "r3/$f"
		{ cat "r2/$f"; echo "/* consecutive update */"; } >"r3/$f"
	done
"$SP" manifest create r3 -o m3 --product bench --release 3 --kind update --previous m2 -q
timed delta_update "$SP" review delta m2 m3 --source r3 --old-source r2 --reviewed-source r1 \
	--attestations "${atts[@]}" --policy policy.json -o pack3 -q

echo "committing both trees to git for the comparison..." >&2
git init -q repo
(
	cd repo
	git config user.email bench@example.org
	git config user.name bench
	cp -r ../r1/. .
	git add -A . && git commit -q -m r1
	rm -rf d*
	cp -r ../r2/. .
	git add -A . && git commit -q -m r2
)
timed git_diff_stat git -C repo diff --stat HEAD~1 HEAD
timed git_diff_patch git -C repo diff HEAD~1 HEAD

covered=$(jq -r '.summary.files_covered' coverage.log)
fresh=$(jq -r '.summary.fresh' pack/delta.json)
fresh3=$(jq -r '.summary.fresh' pack3/delta.json)
gitfiles=$(tail -1 git_diff_stat.log | awk '{ print $1 " files" }')
printf '\nreview ledger benchmark: %s files, %s attestation entries in %s attestations, %s files changed (%s%%)\n' \
	"$FILES" "$ENTRIES" "${#atts[@]}" "$changed" "$CHANGE_PCT"
printf 'machine: %s, %s CPUs; %s\n\n' "$(uname -m)" "$(nproc)" "$("$SP" version -q)"
row() {
	printf '%-58s %8.2f %8.2f\n' "$1" "${SECS[$2]}" "${CPU[$2]}"
}
printf '%-58s %8s %8s\n' "step" "wall s" "CPU s"
row "manifest create, release 1 (hash every file)" manifest1
row "manifest create, release 2" manifest2
row "review attest, ${#atts[@]} attestations (signing)" attest
row "review coverage of release 2 ($covered of $FILES covered)" coverage
row "review coverage --source (reads and hashes every file)" coverage_source
row "review delta ($fresh files need fresh eyes)" delta
row "review delta, update of $UPDATE_FILES files ($fresh3 need fresh eyes)" delta_update
row "git diff --stat HEAD~1 HEAD ($gitfiles)" git_diff_stat
row "git diff HEAD~1 HEAD (full patch)" git_diff_patch
