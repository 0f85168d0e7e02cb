#!/bin/bash
# Transparency log benchmark: append N entries in batches, then report
# appends per second, single-append latency, proof size and proof
# verification time at sizes 10^3 .. N, and assert that proofs grow as
# log n: the script FAILS (exit 1, "bound: FAIL" lines) when an inclusion
# proof has more than ceil(log2 n) hashes or a consistency proof (from the
# previous size measured) more than 2 ceil(log2 n).
#
#   bench/log.sh [N] [BATCH]          defaults: 1000000 entries, 100000 a batch
#
# Environment: SRCPROOF (the binary; default build/release/srcproof, then
# build/debug/srcproof), BENCH_DIR (work directory; default a temporary one
# under $TMPDIR, removed afterwards), VERIFY_RUNS (default 20), SINGLE_RUNS
# (one-entry appends timed, default 20).
# Needs: openssl, awk. Every append is durable (fsync'd) as in production,
# so the figures depend on the file system.
# Exit status: 0 done and every bound held, 1 a bound failed, 3 could not run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000000}
BATCH=${2:-100000}
RUNS=${VERIFY_RUNS:-20}
SINGLE=${SINGLE_RUNS:-20}
SP=${SRCPROOF:-}
if [ -z "$SP" ]; then
	for c in "$here/build/release/srcproof" "$here/build/debug/srcproof"; do
		[ -x "$c" ] && SP=$c && break
	done
fi
[ -x "${SP:-}" ] || {
	echo "bench/log.sh: build srcproof first or set SRCPROOF" >&2
	exit 3
}
case $SP in
*/*) SP=$(cd "$(dirname "$SP")" && pwd)/$(basename "$SP") ;;
esac
if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench-log.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
cd "$W"
rm -rf L
openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
"$SP" log init L --key log.key --origin bench.example/log -q

now_ns() { date +%s%N; }
ms() { awk -v n="$1" 'BEGIN {printf "%.2f", n / 1000000}'; }

echo "srcproof log benchmark: $N entries in batches of $BATCH ($("$SP" version -q))"
echo "work directory: $W ($(df -PT "$W" | awk 'NR==2 {print $2}'))"
echo

# Sizes at which proofs are measured: 10^3, 10^4, ... up to N, and N.
marks=""
m=1000
while [ "$m" -lt "$N" ]; do
	marks="$marks $m"
	m=$((m * 10))
done
marks="$marks $N"

ceil_log2() { # N: the smallest b with 2^b >= N
	local b=0
	while [ $((1 << b)) -lt "$1" ]; do b=$((b + 1)); done
	echo "$b"
}

# The O(log n) claim, asserted: one "bound:" line per proof measured.
failed=0
bounds=""
bound() { # WHAT SIZE HASHES LIMIT
	local verdict=ok
	if [ "$3" -gt "$4" ]; then
		verdict=FAIL
		failed=1
		echo "bench/log.sh: $1 proof at size $2 has $3 hashes, more than" \
			"the bound $4" >&2
	fi
	bounds="${bounds}bound: $1 proof at size $2: $3 hashes <= $4: $verdict"$'\n'
}

proof_row() { # SIZE
	local size=$1 idx t0 t1 i hashes bytes
	idx=$((size / 2))
	"$SP" log prove L "$idx" -o "proof.$size" -q
	hashes=$(awk 'NR > 3 && /^$/ {exit} NR > 3 {n++} END {print n + 0}' "proof.$size")
	bytes=$(wc -c <"proof.$size")
	# Checked before the proof is verified, so that a long proof fails
	# here, with its reason, whatever 'log verify' makes of it.
	bound inclusion "$size" "$hashes" "$(ceil_log2 "$size")"
	if [ "$hashes" -gt "$(ceil_log2 "$size")" ]; then
		printf '%12d %10d %8d %12d %14s %14s\n' "$size" "$idx" "$hashes" \
			"$bytes" - - >>rows
		return 0
	fi
	t0=$(now_ns)
	for i in $(seq "$RUNS"); do
		"$SP" log verify "proof.$size" --log-key L/log.vkey -q 2>/dev/null
	done
	t1=$(now_ns)
	# In-process cost: one run verifying the proof 1 + 500 times (extra
	# proofs given to 'log verify' are verified too), minus one run.
	local many=() one_ns t2 t3 t4 t5
	for i in $(seq 500); do many+=("proof.$size"); done
	t2=$(now_ns)
	"$SP" log verify "proof.$size" --log-key L/log.vkey -q 2>/dev/null
	t3=$(now_ns)
	"$SP" log verify "proof.$size" "${many[@]}" --log-key L/log.vkey -q 2>/dev/null
	t4=$(now_ns)
	one_ns=$((((t4 - t3) - (t3 - t2)) / 500))
	[ "$one_ns" -gt 0 ] || one_ns=0
	printf '%12d %10d %8d %12d %14s %14s\n' "$size" "$idx" "$hashes" "$bytes" \
		"$(ms $(((t1 - t0) / RUNS)))" "$(awk -v n="$one_ns" 'BEGIN {printf "%.1f", n / 1000}')" \
		>>rows
}

# Consistency proof from the checkpoint kept at size OLD to the log now
# (size NEW): the hashes of a tlog-witness request (section 8 of
# docs/spec/log.md), between its "old" line and the empty line.
consistency_row() { # OLD NEW
	local hashes bytes
	"$SP" log consistency L "cp.$1" -o "cons.$2" -q
	hashes=$(awk 'NR > 1 && /^$/ {exit} NR > 1 {n++} END {print n + 0}' "cons.$2")
	bytes=$(wc -c <"cons.$2")
	bound consistency "$2" "$hashes" $((2 * $(ceil_log2 "$2")))
	printf '%12d %12d %8d %12d\n' "$1" "$2" "$hashes" "$bytes" >>crows
}

# Process start-up alone, to read the verification figures against.
t0=$(now_ns)
for i in $(seq "$RUNS"); do
	"$SP" version -q >/dev/null
done
t1=$(now_ns)
startup_ns=$(((t1 - t0) / RUNS))

total_ns=0
done_n=0
prev=""
: >rows
: >crows
for mark in $marks; do
	while [ "$done_n" -lt "$mark" ]; do
		n=$((mark - done_n))
		[ "$n" -gt "$BATCH" ] && n=$BATCH
		sh "$here/tests/fixtures/tlog_entries.sh" "$done_n" "$n" bench >batch
		t0=$(now_ns)
		"$SP" log append L --entries batch -q
		t1=$(now_ns)
		total_ns=$((total_ns + t1 - t0))
		done_n=$((done_n + n))
	done
	proof_row "$mark"
	[ -n "$prev" ] && consistency_row "$prev" "$mark"
	"$SP" log checkpoint L -o "cp.$mark" -q
	prev=$mark
done
rate=$(awk -v n="$N" -v t="$total_ns" 'BEGIN {printf "%d", n * 1e9 / t}')
echo "appends: $N entries in $(ms $total_ns) ms of 'log append' = $rate entries/s" \
	"(batches of $BATCH; each batch one durable append)"

# One release at a time: a single entry per append (lock, duplicate check,
# edge tiles, checkpoint signature, fsync of every file). Each one is new:
# the log refuses an entry it already holds.
for i in $(seq "$SINGLE"); do
	sh "$here/tests/fixtures/tlog_entries.sh" $((N + i)) 1 bench >"one.$i"
done
t0=$(now_ns)
for i in $(seq "$SINGLE"); do
	"$SP" log append L --entries "one.$i" -q
done
t1=$(now_ns)
echo "single appends: $(ms $(((t1 - t0) / SINGLE))) ms each ($SINGLE appends of one entry)"
t0=$(now_ns)
"$SP" log check L -q
t1=$(now_ns)
echo "full audit (log check) of $((N + SINGLE)) entries: $(ms $((t1 - t0))) ms"
echo
echo "inclusion proofs of the entry in the middle. 'verify ms': wall time of"
echo "one 'srcproof log verify' process, mean of $RUNS runs, of which process"
echo "start-up ('srcproof version') is $(ms $startup_ns) ms; 'in-process us': one"
echo "more proof checked by the same process (signature, inclusion, parsing):"
printf '%12s %10s %8s %12s %14s %14s\n' "tree size" "index" "hashes" "proof bytes" \
	"verify ms" "in-process us"
cat rows
echo
echo "consistency proofs from the previous size measured:"
printf '%12s %12s %8s %12s\n' "from size" "to size" "hashes" "request bytes"
cat crows
echo
du -sh L | awk '{print "log directory: " $1}'
echo
echo "O(log n) bounds: inclusion <= ceil(log2 n) hashes, consistency <= 2 ceil(log2 n):"
printf '%s' "$bounds"
if [ "$failed" != 0 ]; then
	echo "result: FAIL (a proof is longer than O(log n) allows)"
	exit 1
fi
echo "result: PASS"
