#!/bin/bash
# Benchmark of `srcproof manifest create` against its peers, on a
# reproducible source tree, warm cache, in one run:
#   - srcproof manifest create DIR -o OUT
#   - find DIR -type f -print0 | xargs -0 -P2 sha256sum
#   - hashdeep -r -c sha256 DIR
# It prints each tool's wall time, throughput (MiB/s and files/s), peak RSS
# (from /usr/bin/time -v) and srcproof's speed-up over each peer.
#
#   bash bench/manifest.sh [PATH/TO/srcproof]
#
# Environment:
#   SP_BENCH_FILES   files in the tree (default 80000)
#   SP_BENCH_BYTES   total bytes, about (default 1073741824 = 1 GiB)
#   SP_BENCH_SEED    seed of the generator (default 1)
#   SP_BENCH_DIR     where the tree is made and kept for the next run
#                    (default ${TMPDIR:-/tmp}/sp-bench-FILES-BYTES-SEED)
#   SP_BENCH_RUNS    timed runs per tool, taken in turns; the best wall
#                    time is kept (default 3)
#
# Needs: perl (the generator), GNU time (/usr/bin/time, Debian package
# "time"), hashdeep (package "hashdeep"), coreutils, findutils.
#
# The tree: FILES files in directories of 8 to 40 entries, 1 to 6 levels
# deep, sizes drawn from a fixed mix (75 % 64 B-16 KiB, 23 % 16-48 KiB,
# 1.9 % 48-512 KiB, 0.1 % 1-8 MiB, plus two 48 MiB files to show that
# memory does not grow with file size), scaled so the total is about
# BYTES; contents are pseudo-random (no compression or dedup shortcut),
# every file distinct. The same FILES, BYTES and SEED always give the
# same tree, byte for byte (the script prints its git tree id to show it).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")/.." && pwd)
SP=${1:-${SRCPROOF:-$here/build/release/srcproof}}
FILES=${SP_BENCH_FILES:-80000}
BYTES=${SP_BENCH_BYTES:-1073741824}
SEED=${SP_BENCH_SEED:-1}
RUNS=${SP_BENCH_RUNS:-3}
DIR=${SP_BENCH_DIR:-${TMPDIR:-/tmp}/sp-bench-$FILES-$BYTES-$SEED}

die() {
	echo "bench: error: $*" >&2
	exit 3
}
[ -x "$SP" ] || die "no srcproof binary at '$SP' (build it, or pass its path)"
[ -x /usr/bin/time ] || die "GNU time is missing: apt-get install time"
command -v hashdeep >/dev/null || die "hashdeep is missing: apt-get install hashdeep"
command -v perl >/dev/null || die "perl is missing"

generate() {
	local tree=$1
	rm -rf "$tree"
	mkdir -p "$tree"
	perl - "$tree" "$FILES" "$BYTES" "$SEED" <<'PERL'
use strict;
use warnings;
my ($root, $nfiles, $target, $seed) = @ARGV;
srand($seed);
# 1 MiB of pseudo-random bytes, sliced for every file.
my $pool = pack("C*", map { int(rand(256)) } 1 .. 1048576);
my $plen = length($pool);
sub logu { my ($lo, $hi) = @_; return int(exp(log($lo) + rand() * (log($hi) - log($lo)))); }
my @sizes;
my $big = $nfiles >= 1000 ? 2 : 0;
for my $i (1 .. $nfiles - $big) {
	my $r = rand();
	push @sizes, $r < 0.75 ? logu(64, 16384)
	    : $r < 0.98 ? logu(16384, 49152)
	    : $r < 0.999 ? logu(49152, 524288)
	    : logu(1048576, 8388608);
}
my $fixed = $big * 48 * 1048576;
my $sum = 0;
$sum += $_ for @sizes;
my $scale = ($target - $fixed) / ($sum || 1);
$scale = 0.01 if $scale < 0.01;
@sizes = map { int($_ * $scale) } @sizes;
push @sizes, (48 * 1048576) x $big;
# Directories: a random tree, 8 to 40 entries per directory.
my @dirs = ("");
my $made = 0;
my $fi = 0;
my %mk;
while ($fi < @sizes) {
	my $parent = $dirs[int(rand(@dirs))];
	my $depth = ($parent =~ tr{/}{});
	my $d = $depth >= 5 ? $parent : sprintf("%sd%05d/", $parent, $made++);
	if (!$mk{$d}) { mkdir "$root/$d" or die "mkdir $d: $!" if $d ne ""; $mk{$d} = 1; push @dirs, $d; }
	my $n = 8 + int(rand(33));
	for (1 .. $n) {
		last if $fi >= @sizes;
		my $path = sprintf("%sf%06d.%s", $d, $fi, (qw(c h txt py rs go md json))[int(rand(8))]);
		my $size = $sizes[$fi++];
		open(my $fh, '>:raw', "$root/$path") or die "$path: $!";
		my $head = "$path\n";
		$head = substr($head, 0, $size) if $size < length($head);
		print $fh $head;
		my $left = $size - length($head);
		while ($left > 0) {
			my $off = int(rand($plen));
			my $n2 = $plen - $off;
			$n2 = $left if $n2 > $left;
			print $fh substr($pool, $off, $n2);
			$left -= $n2;
		}
		close($fh) or die "$path: $!";
		chmod(0755, "$root/$path") if rand() < 0.02;
	}
}
PERL
}

stamp="$FILES $BYTES $SEED v1"
if [ ! -f "$DIR.stamp" ] || [ "$(cat "$DIR.stamp")" != "$stamp" ] || [ ! -d "$DIR" ]; then
	echo "bench: generating $FILES files, about $BYTES bytes, seed $SEED in $DIR" >&2
	rm -f "$DIR.stamp"
	generate "$DIR"
	echo "$stamp" >"$DIR.stamp"
fi

nfiles=$(find "$DIR" -type f | wc -l)
nbytes=$(find "$DIR" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')
out=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench-out.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Warm the page cache (and check the tree is what the seed says).
"$SP" manifest create "$DIR" -o "$out/warm" -q
tree=$(sed -n 's/^# git-tree: //p' "$out/warm")

# once NAME CMD...: one timed run; keeps NAME's best wall time, the peak
# RSS and CPU time (user + system) of that run.
declare -A secs rss cpu
once() {
	local name=$1
	shift
	/usr/bin/time -v -o "$out/time" "$@" >/dev/null 2>"$out/stderr" ||
		die "$name failed: $(tail -3 "$out/stderr")"
	local wall maxrss c
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0
		for (k = 1; k <= n; k++) s = s * 60 + p[k]
		print s }' "$out/time")
	maxrss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")
	c=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out/time")
	if [ -z "${secs[$name]:-}" ] || awk "BEGIN {exit !($wall < ${secs[$name]})}"; then
		secs[$name]=$wall
		rss[$name]=$maxrss
		cpu[$name]=$c
	fi
}

# The tools take turns, so that a change of load on a shared machine hits
# all of them alike.
for ((i = 0; i < RUNS; i++)); do
	once srcproof "$SP" manifest create "$DIR" -o "$out/MANIFEST" -q
	once xargs bash -c 'cd "$1" && find . -type f -print0 | xargs -0 -P2 sha256sum' _ "$DIR"
	once hashdeep bash -c 'cd "$1" && hashdeep -r -c sha256 .' _ "$DIR"
done
cmp -s "$out/warm" "$out/MANIFEST" || die "two runs of srcproof gave different manifests"

printf '\nsrcproof manifest benchmark: %d files, %.1f MiB, seed %s, %s CPUs, best of %d warm runs\n' \
	"$nfiles" "$(awk "BEGIN {print $nbytes / 1048576}")" "$SEED" "$(nproc)" "$RUNS"
printf 'tree: %s (git tree %s)\n\n' "$DIR" "$tree"
printf '%-32s %8s %9s %9s %11s %10s %8s %10s\n' tool seconds MiB/s files/s 'peak RSS' 'srcproof x' 'CPU s' 'by CPU x'
for t in srcproof xargs hashdeep; do
	case $t in
	srcproof) label="srcproof manifest create" ;;
	xargs) label="find | xargs -0 -P2 sha256sum" ;;
	hashdeep) label="hashdeep -r -c sha256" ;;
	esac
	awk -v l="$label" -v s="${secs[$t]}" -v b="$nbytes" -v f="$nfiles" \
		-v r="${rss[$t]}" -v sp="${secs[srcproof]}" -v c="${cpu[$t]}" \
		-v cp="${cpu[srcproof]}" 'BEGIN {
		if (s <= 0) s = 0.001
		if (sp <= 0) sp = 0.001
		if (cp <= 0) cp = 0.001
		printf "%-32s %8.2f %9.1f %9.0f %7.1f MiB %9.2fx %8.2f %9.2fx\n", l, s,
		    b / 1048576 / s, f / s, r / 1024, s / sp, c, c / cp }'
done
echo "(srcproof x: the tool's wall time over srcproof's; by CPU x: the same"
echo " for CPU time, user + system, which a busy machine disturbs less)"
echo
awk -v x="${secs[xargs]}" -v h="${secs[hashdeep]}" -v s="${secs[srcproof]}" \
	-v r="${rss[srcproof]}" 'BEGIN {
	if (s <= 0) s = 0.001
	printf "targets: >= 1.00x xargs: %s (%.2fx); >= 3.00x hashdeep: %s (%.2fx); peak RSS < 64 MiB: %s (%.1f MiB)\n",
	    (x / s >= 1 ? "met" : "NOT met"), x / s, (h / s >= 3 ? "met" : "NOT met"), h / s,
	    (r / 1024 < 64 ? "met" : "NOT met"), r / 1024 }'
