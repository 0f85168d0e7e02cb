#!/bin/bash
# Benchmark: srcproof compare against diffoscope on two large binaries, in
# the same run, with wall time and peak RSS (/usr/bin/time -v).
#
#   bash bench/compare.sh [SRCPROOF]
#
# Workloads (SIZE_MIB each, default 200):
#   pe   a signed PE32+ (mingw, osslsigncode) with a SIZE_MIB/2 .data
#        section and a SIZE_MIB/2 overlay, versus its unsigned rebuild
#        (verdict IDENTICAL_MODULO_SIGNATURE);
#   elf  an ELF with a SIZE_MIB section built in two directories (build-id
#        and .gnu_debuglink CRC differ: EXPLAINED_DIFFERENCE).
#
# Environment: SIZE_MIB, DIFFOSCOPE_TIMEOUT (seconds, default 1800: past
# it diffoscope is killed and its time is a lower bound), WORK (scratch
# directory, default a fresh one under /tmp), NO_INSTALL=1 (do not try to
# install diffoscope with apt-get).
#
# Needs: GNU time (/usr/bin/time, Debian package "time"), gcc, binutils
# (objcopy, strip), gcc-mingw-w64-x86-64, osslsigncode, openssl; diffoscope
# (package "diffoscope-minimal" or "diffoscope"; installed here when run
# as root unless NO_INSTALL=1, else srcproof is timed alone). time and
# diffoscope are not installed by scripts/bootstrap.sh.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
sp=${1:-$here/build/release/srcproof}
size=${SIZE_MIB:-200}
dto=${DIFFOSCOPE_TIMEOUT:-1800}
[ -x "$sp" ] || {
	echo "bench: no srcproof at $sp (build it or pass its path)" >&2
	exit 2
}
for t in x86_64-w64-mingw32-gcc osslsigncode gcc objcopy openssl /usr/bin/time; do
	command -v "$t" >/dev/null || {
		echo "bench: missing $t" >&2
		exit 3
	}
done
if ! command -v diffoscope >/dev/null && [ "${NO_INSTALL:-0}" != 1 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "bench: installing diffoscope-minimal with apt-get" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends diffoscope-minimal >/dev/null 2>&1 ||
			echo "bench: diffoscope-minimal could not be installed" >&2
	fi
fi
have_diffoscope=0
command -v diffoscope >/dev/null && have_diffoscope=1
[ "$have_diffoscope" = 1 ] || echo "bench: diffoscope is not installed: srcproof only" >&2

work=${WORK:-$(mktemp -d /tmp/sp-bench-compare.XXXXXX)}
mkdir -p "$work"
cd "$work"
export LC_ALL=C TZ=UTC

# Deterministic incompressible bytes.
noise() {
	openssl enc -aes-128-ctr -K "$2" -iv 00000000000000000000000000000000 \
		-nosalt </dev/zero 2>/dev/null | head -c "$1"
}

half=$((size * 1024 * 1024 / 2))
echo "bench: building ${size} MiB inputs in $work" >&2
if [ ! -f pe.signed.exe ]; then
	cat >big.c <<EOF
#include <stdio.h>
char big[$half] = {1};
int main(void) { puts("bench"); return big[$half - 1]; }
EOF
	x86_64-w64-mingw32-gcc -O1 -s -Wl,--no-insert-timestamp -o pe.unsigned.exe big.c
	# fill .data with noise: rewrite its raw bytes in place
	e=$(od -An -t u4 -j 60 -N 4 pe.unsigned.exe | tr -d ' ')
	n=$(od -An -t u2 -j $((e + 6)) -N 2 pe.unsigned.exe | tr -d ' ')
	st=$((e + 24 + $(od -An -t u2 -j $((e + 20)) -N 2 pe.unsigned.exe | tr -d ' ')))
	i=0
	while [ $i -lt "$n" ]; do
		name=$(dd if=pe.unsigned.exe bs=1 skip=$((st + i * 40)) count=8 status=none | tr -d '\000')
		if [ "$name" = .data ]; then
			rs=$(od -An -t u4 -j $((st + i * 40 + 16)) -N 4 pe.unsigned.exe | tr -d ' ')
			rp=$(od -An -t u4 -j $((st + i * 40 + 20)) -N 4 pe.unsigned.exe | tr -d ' ')
			noise "$rs" 01010101010101010101010101010101 |
				dd of=pe.unsigned.exe bs=1M seek="$rp" oflag=seek_bytes conv=notrunc status=none
		fi
		i=$((i + 1))
	done
	noise $((half + 5)) 02020202020202020202020202020202 >>pe.unsigned.exe
	openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 30 \
		-subj "/CN=bench signer" 2>/dev/null
	osslsigncode sign -certs c.pem -key k.pem -h sha256 -time 1700000000 \
		-in pe.unsigned.exe -out pe.signed.exe >/dev/null
fi
if [ ! -f elf.b ]; then
	noise $((size * 1024 * 1024)) 03030303030303030303030303030303 >payload.bin
	cat >prog.c <<'EOF'
#include <stdio.h>
int main(void) { puts("bench"); return 0; }
EOF
	for d in one two/deeper; do
		mkdir -p "$d"
		cp prog.c "$d/"
		(cd "$d" && gcc -g -O1 -o prog "$PWD/prog.c" &&
			objcopy --only-keep-debug prog prog.debug &&
			strip --strip-debug prog &&
			objcopy --add-gnu-debuglink=prog.debug prog &&
			objcopy --add-section .payload="$work/payload.bin" prog)
	done
	cp one/prog elf.a
	cp two/deeper/prog elf.b
	rm -f payload.bin
fi
ls -l pe.signed.exe pe.unsigned.exe elf.a elf.b >&2

# run NAME CMD...: wall seconds and peak RSS (KiB) into NAME.time
run() {
	local name=$1
	shift
	/usr/bin/time -v -o "$name.time" "$@" >"$name.out" 2>"$name.err" || true
}
secs() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0;
	for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1.time"; }

printf '\n%-5s %-10s %-28s %10s %12s\n' case tool verdict seconds "peak RSS" 
for c in pe elf; do
	if [ $c = pe ]; then a=pe.signed.exe b=pe.unsigned.exe; else a=elf.a b=elf.b; fi
	# warm the page cache so both tools read from memory
	cat "$a" "$b" >/dev/null
	run "$c.srcproof" "$sp" compare -q "$a" "$b"
	v=$(head -1 "$c.srcproof.out")
	printf '%-5s %-10s %-28s %10s %9s KiB\n' $c srcproof "$v" "$(secs $c.srcproof)" "$(rss $c.srcproof)"
	if [ "$have_diffoscope" = 1 ]; then
		run "$c.diffoscope" timeout -s KILL "$dto" diffoscope --no-progress \
			--text "$c.diffoscope.txt" "$a" "$b"
		ds=$(secs $c.diffoscope)
		st=$(awk -F': ' '/Exit status/ {print $2}' "$c.diffoscope.time")
		note="exit $st"
		# timeout -s KILL kills its whole process group, itself
		# included (time then says "terminated by signal 9"), or
		# exits 137; the RSS of a killed run is not measured.
		if [ "${st:-0}" = 137 ] ||
			grep -q 'terminated by signal' "$c.diffoscope.time"; then
			note="killed at ${dto}s (lower bound)"
		fi
		r="$(rss $c.diffoscope) KiB"
		case $note in killed*) r="n/a" ;; esac
		printf '%-5s %-10s %-28s %10s %13s\n' $c diffoscope "($note)" "$ds" "$r"
		awk -v d="$ds" -v s="$(secs $c.srcproof)" 'BEGIN { if (s > 0) printf "%-5s ratio      diffoscope / srcproof = %.0fx\n", "'$c'", d / s }'
	fi
done
echo
echo "inputs: $((size)) MiB per file; work directory $work (remove it when done)"
