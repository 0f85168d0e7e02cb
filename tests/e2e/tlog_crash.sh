# Crash safety of 'log append': the process is killed (SIGKILL) at each of
# its steps in turn (SRCPROOF_TEST_CRASH_AT=N, a test hook that kills it at
# its Nth step: before each tile, bundle and checkpoint write, between each
# temporary file and its rename, before the clean-up and the index), and at
# random times from outside; two appenders run at once. After every kill
# the log must be readable and complete: 'log check' finds every tile and
# bundle the checkpoint needs and recomputes its root, the size is either
# the old one or the new one, and every entry of a batch that landed is at
# the index the append reported, byte for byte (read from the entry
# bundles by an independent reader, and proven with 'log prove').
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
expect_rc 0 sp log init L --key log.key --origin example.com/crash
size=0
batch=0
killed=0
killed_random=0
verified=0

size_of() { sed -n 2p L/checkpoint; }

check_log() {
	expect_rc 0 sp log check L
	expect_grep "^log ok: $(size_of) entries" "$T/out"
}

new_batch() { # COUNT
	bash "$F/tlog_entries.sh" $((batch * 1000)) "$1" >"b$batch"
	batch=$((batch + 1))
}

# The entries FIRST .. FIRST+COUNT-1 of the log at its current size, as a
# bundle file (uint16 length + bytes each), read straight from the C2SP
# entry bundles (docs/spec/log.md 3.1-3.2), not through srcproof.
cat >entries_at.py <<'EOF'
import struct, sys
d, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = int(open(d + "/checkpoint").read().split("\n")[1])
def path(n, w):
    parts = []
    while True:
        parts.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    parts.reverse()
    p = d + "/tile/entries/" + "/".join(["x" + q for q in parts[:-1]] + [parts[-1]])
    return p if w == 256 else p + ".p/%d" % w
out = sys.stdout.buffer
for t in range(first // 256, (first + count - 1) // 256 + 1):
    w = min(256, size - 256 * t)
    data = open(path(t, w), "rb").read()
    pos = 0
    for i in range(w):
        (n,) = struct.unpack(">H", data[pos:pos + 2])
        e = data[pos:pos + 2 + n]
        pos += 2 + n
        if first <= 256 * t + i < first + count:
            out.write(e)
EOF

# Entry K of bundle file FILE, without its length prefix.
entry_of() { # FILE K
	python3 - "$1" "$2" <<'EOF'
import struct, sys
data, k, pos = open(sys.argv[1], "rb").read(), int(sys.argv[2]), 0
for i in range(k + 1):
    (n,) = struct.unpack(">H", data[pos:pos + 2])
    if i == k:
        sys.stdout.buffer.write(data[pos + 2:pos + 2 + n])
    pos += 2 + n
EOF
}

# Every entry of batch FILE is at FIRST.. in the log: the bundles hold
# exactly its bytes there, and the last and one random entry have a proof
# whose entry is that batch entry and which verifies.
check_batch() { # FILE FIRST COUNT
	local k
	python3 entries_at.py L "$2" "$3" >landed || fail "cannot read entries $2.. of the log"
	cmp -s landed "$1" || fail "entries $2..$(($2 + $3 - 1)) of the log are not those of $1"
	for k in $(($3 - 1)) $((RANDOM % $3)); do
		expect_rc 0 sp log prove L $(($2 + k)) -o p.k
		sed -n 2p p.k | cut -d' ' -f2 | base64 -d >proven.k
		entry_of "$1" "$k" >want.k
		cmp -s proven.k want.k || fail "the proof of entry $(($2 + k)) is not entry $k of $1"
		expect_rc 0 sp log verify p.k --log-key L/log.vkey -q
	done
	verified=$((verified + 1))
}

# After an append of COUNT entries from batch FILE, at old size SIZE, that
# exited RC with output OUT: it reported exactly what landed, or it was
# killed and the log is the old one or the new one.
check_append() { # RC FILE COUNT WHAT
	local now
	now=$(size_of)
	case $1 in
	0)
		expect_grep "^appended $3 entries from $2$" "$T/out"
		expect_grep "^log size: $((size + $3))$" "$T/out"
		[ "$now" = $((size + $3)) ] || fail "$4: reported size $((size + $3)), log size $now"
		;;
	137)
		if [ -s "$T/out" ]; then
			# Killed after it reported (on its way out): what it
			# reported must be true.
			expect_grep "^log size: $((size + $3))$" "$T/out"
			[ "$now" = $((size + $3)) ] ||
				fail "$4: killed after reporting size $((size + $3)), log size $now"
		fi
		[ "$now" = "$size" ] || [ "$now" = $((size + $3)) ] ||
			fail "$4: size $now after a kill at size $size"
		;;
	*) fail "$4: append exited $1: $(cat "$T/err")" ;;
	esac
	check_log
	# Landed (reported or not): each entry at its index.
	[ "$now" = "$size" ] || check_batch "$2" "$size" "$3"
}

# ---- kills at each step ---------------------------------------------------------
# An append of 300 entries from size 0 writes 5 files (2 steps each: before
# the write, before the rename), the checkpoint (2), then the clean-up and
# the index: 14 steps; later appends have the same or more.
if [ "${SP_TEST_HOOKS:-1}" = 0 ]; then
	echo "note: built without SP_TEST_HOOKS: no kills at each step"
	steps=""
elif [ -n "$SP_WRAPPER" ]; then
	steps="2 7"
else
	steps=$(seq 1 15)
fi
for n in $steps; do
	new_batch 300
	b=b$((batch - 1))
	rc=0
	SRCPROOF_TEST_CRASH_AT=$n sp log append L --entries "$b" \
		>"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 137 ] && killed=$((killed + 1))
	check_append "$rc" "$b" 300 "step $n"
	if [ "$(size_of)" = "$size" ]; then
		# The append was lost before its checkpoint: retry it.
		expect_rc 0 sp log append L --entries "$b"
		check_append 0 "$b" 300 "retry after step $n"
	fi
	size=$(size_of)
done
if [ -n "$steps" ] && [ -z "$SP_WRAPPER" ]; then
	[ "$size" = 4500 ] || fail "the log did not grow to 15 x 300: $size"
	[ "$killed" -ge 14 ] || fail "only $killed of 15 appends were killed by the hook"
	# A kill between a temporary file and its rename leaves the
	# temporary file (never part of the log), not a half-written tile.
	find L -name '*.tmp-*' | grep -q . ||
		fail "no temporary file left by a kill before a rename"
fi

# ---- random kills from outside, during appends that cross tile boundaries ------
if [ -n "$SP_WRAPPER" ]; then rounds=1; else rounds=8; fi
random_round() { # SLEEP
	local b rc pid
	new_batch 700
	b=b$((batch - 1))
	# exec: $! is srcproof itself (or valgrind running it), not a shell.
	(exec $SP_WRAPPER "$SRCPROOF" log append L --entries "$b" \
		>"$T/out" 2>"$T/err") &
	pid=$!
	sleep "$1"
	kill -9 $pid 2>/dev/null || true
	rc=0
	wait $pid 2>/dev/null || rc=$?
	[ "$rc" = 0 ] || killed_random=$((killed_random + 1))
	check_append "$rc" "$b" 700 "random kill after ${1}s"
	size=$(size_of)
}
for r in $(seq "$rounds"); do
	random_round "0.0$((RANDOM % 10))"
done
# At least one kill must land: retry with shorter sleeps if none did.
extra=0
while [ "$killed_random" = 0 ] && [ "$extra" -lt 20 ]; do
	random_round "0.00$((RANDOM % 10))"
	extra=$((extra + 1))
done
[ "$killed_random" -ge 1 ] || fail "no random kill landed in $((rounds + extra)) rounds"
rounds=$((rounds + extra))

# ---- two appenders at once: the lock keeps them apart, both land ---------------
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
# Each batch is contiguous, in one order or the other.
s1=$(sed -n 's/^log size: //p' o1)
s2=$(sed -n 's/^log size: //p' o2)
check_batch "b$((batch - 2))" $((s1 - 400)) 400
check_batch "b$((batch - 1))" $((s2 - 500)) 500
size=$(size_of)

# After all those kills the entry index still knows every entry: appending
# a batch again is refused, and the log is unchanged.
before=$(size_of)
expect_rc 1 sp log append L --entries b0
expect_grep "^srcproof: error: entry 0 of 'b0' is already in the log at index 0$" "$T/err"
expect_rc 1 sp log append L --entries "b$((batch - 1))"
expect_grep "is already in the log at index [0-9]+$" "$T/err"
[ "$(size_of)" = "$before" ] || fail "a refused append changed the log"
echo "tlog_crash: ok ($(size_of) entries; $killed appends killed at a step," \
	"$killed_random of $rounds at random times; $verified landed batches" \
	"checked entry by entry)"
