# bench/log.sh as a smoke test: a few thousand entries, every result line
# present, and the O(log n) bounds asserted (the script fails when a proof
# is longer than ceil(log2 n) hashes: checked with a srcproof wrapper that
# pads the proofs it writes).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
B=$SP_SOURCE_DIR/bench/log.sh

export VERIFY_RUNS=2 SINGLE_RUNS=2
SRCPROOF=$SRCPROOF bash "$B" 3000 1000 >"$T/out" 2>"$T/err" ||
	fail "bench/log.sh 3000 1000 exited $?"
expect_grep '^appends: 3000 entries in [0-9.]+ ms of .log append. = [0-9]+ entries/s' "$T/out"
expect_grep '^single appends: [0-9.]+ ms each \(2 appends of one entry\)$' "$T/out"
expect_grep '^full audit \(log check\) of 3002 entries: [0-9.]+ ms$' "$T/out"
# The rows: size, index, hashes (exactly what RFC 6962 gives for the
# middle entry), bytes, then two timings.
expect_grep '^ +1000 +500 +10 +[0-9]+ +[0-9.]+ +[0-9.]+$' "$T/out"
expect_grep '^ +3000 +1500 +12 +[0-9]+ +[0-9.]+ +[0-9.]+$' "$T/out"
expect_grep '^ +1000 +3000 +[0-9]+ +[0-9]+$' "$T/out"
expect_grep '^bound: inclusion proof at size 1000: 10 hashes <= 10: ok$' "$T/out"
expect_grep '^bound: inclusion proof at size 3000: 12 hashes <= 12: ok$' "$T/out"
expect_grep '^bound: consistency proof at size 3000: [0-9]+ hashes <= 24: ok$' "$T/out"
expect_grep '^result: PASS$' "$T/out"
expect_no_grep 'FAIL' "$T/out"

# A srcproof whose proofs carry 5 hashes too many: the bench must fail.
cat >"$T/padded-srcproof" <<'EOS'
#!/bin/bash
rc=0
"$REAL_SRCPROOF" "$@" || rc=$?
if [ "$rc" = 0 ] && [ "$1 $2" = "log prove" ]; then
	out=
	prev=
	for a in "$@"; do
		[ "$prev" = -o ] && out=$a
		prev=$a
	done
	awk 'NR == 4 {for (i = 0; i < 5; i++) print} {print}' "$out" >"$out.pad" &&
		mv "$out.pad" "$out"
fi
exit "$rc"
EOS
chmod +x "$T/padded-srcproof"
rc=0
REAL_SRCPROOF=$SRCPROOF SRCPROOF=$T/padded-srcproof bash "$B" 1000 1000 \
	>"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "bench/log.sh with padded proofs exited $rc, not 1"
expect_grep '^bound: inclusion proof at size 1000: 15 hashes <= 10: FAIL$' "$T/out"
expect_grep '^result: FAIL' "$T/out"
expect_grep 'inclusion proof at size 1000 has 15 hashes, more than the bound 10' "$T/err"
echo "bench_log: ok"
