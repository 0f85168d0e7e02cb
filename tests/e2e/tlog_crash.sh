# Crash safety of 'log append': the process is killed (SIGKILL) before each
# of its writes in turn (SRCPROOF_TEST_CRASH_AT=N, a test hook that kills
# it at its Nth step), and at random times from outside; two appenders run
# at once. After every kill the log must be readable and complete: 'log
# check' finds every tile and bundle the checkpoint needs and recomputes
# its root, every entry reported as appended is there, and the size is
# either the old one or the new one.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
expect_rc 0 sp log init L --key log.key --origin example.com/crash
size=0
batch=0
killed=0
killed_random=0

size_of() { sed -n 2p L/checkpoint; }

check_log() { # what happened
	expect_rc 0 sp log check L
	expect_grep "^log ok: $(size_of) entries" "$T/out"
}

new_batch() { # COUNT
	bash "$F/tlog_entries.sh" $((batch * 1000)) "$1" >"b$batch"
	batch=$((batch + 1))
}

# Kill before step N of an append of 300 entries (entry bundles, tiles,
# the checkpoint, the clean-up, the entry index): 8 steps from size 0; more
# do not happen.
if [ -n "$SP_WRAPPER" ]; then steps="2 7"; else steps="1 2 3 4 5 6 7 8 9"; fi
for n in $steps; do
	new_batch 300
	rc=0
	SRCPROOF_TEST_CRASH_AT=$n sp log append L --entries "b$((batch - 1))" \
		>"$T/out" 2>"$T/err" || rc=$?
	now=$(size_of)
	case $rc in
	0) # fewer steps than n: it completed and said so
		expect_grep "^log size: $((size + 300))$" "$T/out"
		[ "$now" = $((size + 300)) ] || fail "step $n: reported but not in the log"
		;;
	137) # killed: nothing reported; the log is the old one or the new one
		killed=$((killed + 1))
		[ -s "$T/out" ] && fail "step $n: killed, yet it reported: $(cat "$T/out")"
		[ "$now" = "$size" ] || [ "$now" = $((size + 300)) ] ||
			fail "step $n: size $now after a kill at size $size"
		;;
	*) fail "step $n: append exited $rc: $(cat "$T/err")" ;;
	esac
	check_log
	if [ "$now" = "$size" ]; then
		# The append was lost before its checkpoint: retry it.
		expect_rc 0 sp log append L --entries "b$((batch - 1))"
		now=$(size_of)
		check_log
	fi
	size=$now
done
[ "$size" -ge 2000 ] || [ -n "$SP_WRAPPER" ] || fail "the log did not grow: $size"
# Steps 1 to 7 exist from size 0, and later appends have more steps.
[ "$killed" -ge 4 ] || [ -n "$SP_WRAPPER" ] ||
	fail "only $killed appends were killed by the hook"

# Every reported entry is provable: the first and last of the last batch.
expect_rc 0 sp log prove L $((size - 300)) -o first.proof
expect_rc 0 sp log prove L $((size - 1)) -o last.proof
expect_rc 0 sp log verify last.proof --log-key L/log.vkey -q

# Random kills from outside, during appends that cross tile boundaries.
if [ -n "$SP_WRAPPER" ]; then rounds=1; else rounds=8; fi
for r in $(seq "$rounds"); do
	new_batch 700
	# exec: $! is srcproof itself (or valgrind running it), not a shell.
	(exec $SP_WRAPPER "$SRCPROOF" log append L --entries "b$((batch - 1))" \
		>"$T/out" 2>"$T/err") &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null || true
	rc=0
	wait $pid 2>/dev/null || rc=$?
	[ "$rc" = 0 ] || killed_random=$((killed_random + 1))
	now=$(size_of)
	if [ "$rc" = 0 ]; then
		expect_grep "^log size: $((size + 700))$" "$T/out"
		[ "$now" = $((size + 700)) ] || fail "round $r: reported but absent"
	else
		[ "$now" = "$size" ] || [ "$now" = $((size + 700)) ] ||
			fail "round $r: size $now after a kill at size $size"
	fi
	check_log
	size=$now
done

# Two appenders at once: the lock keeps them apart, both land.
new_batch 400
new_batch 500
sp log append L --entries "b$((batch - 2))" >o1 2>e1 &
p1=$!
sp log append L --entries "b$((batch - 1))" >o2 2>e2 &
p2=$!
wait $p1 || fail "first concurrent append failed: $(cat e1)"
wait $p2 || fail "second concurrent append failed: $(cat e2)"
[ "$(size_of)" = $((size + 900)) ] || fail "concurrent appends lost entries"
check_log
# After all those kills the entry index still knows every entry: appending
# a batch again is refused, and the log is unchanged.
before=$(size_of)
expect_rc 1 sp log append L --entries b0
expect_grep "^srcproof: error: entry 0 of 'b0' is already in the log at index 0$" "$T/err"
expect_rc 1 sp log append L --entries "b$((batch - 1))"
expect_grep "is already in the log at index [0-9]+$" "$T/err"
[ "$(size_of)" = "$before" ] || fail "a refused append changed the log"
echo "tlog_crash: ok ($(size_of) entries; $killed appends killed at a step," \
	"$killed_random of $rounds at random times)"
