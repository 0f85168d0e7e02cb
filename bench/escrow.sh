#!/bin/bash
# Benchmark of `srcproof escrow` against plain tools, on the reproducible
# source tree of bench/manifest.sh (same generator, same tree, shared), warm
# cache, in one run:
#   pack     srcproof escrow pack (checks the source against the manifest,
#            hashes every file again while packing, zstd -3)
#       vs   tar --sort=name -cf - DIR | zstd -3 -T2
#   encrypt  srcproof escrow pack --recipient CERT (CMS AES-256-GCM)
#       vs   tar --sort=name -cf - DIR | zstd -3 -T2 | openssl cms -encrypt -stream
#   verify   srcproof escrow verify BUNDLE (decompress, hash every member,
#            INDEX, source against manifest, signature)
#       vs   srcproof manifest check MANIFEST DIR
#   unpack   srcproof escrow unpack BUNDLE -C DIR
#       vs   zstd -dc BUNDLE | tar -xf -
# It prints each one's wall time, throughput, peak RSS and the ratio.
#
#   bash bench/escrow.sh [PATH/TO/srcproof]
#
# Environment (as bench/manifest.sh, whose tree is reused):
#   SP_BENCH_FILES   files in the tree (default 80000)
#   SP_BENCH_BYTES   total bytes, about (default 1073741824 = 1 GiB)
#   SP_BENCH_SEED    seed of the generator (default 1)
#   SP_BENCH_DIR     the tree (default ${TMPDIR:-/tmp}/sp-bench-FILES-BYTES-SEED)
#   SP_BENCH_RUNS    timed runs per command, the best is kept (default 3)
#   SP_BENCH_OUT     where bundles are written (default: a temporary
#                    directory next to the tree; needs about 2x BYTES)
#
# Needs: perl, GNU time (/usr/bin/time), GNU tar, zstd, openssl.
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
for t in perl tar zstd openssl; do
	command -v $t >/dev/null || die "$t is missing"
done

# The tree generator of bench/manifest.sh, reused as it is.
gen=$(sed -n '/^generate() {$/,/^PERL$/p' "$here/bench/manifest.sh")
[ -n "$gen" ] || die "cannot find generate() in bench/manifest.sh"
eval "$gen
}"
stamp="$FILES $BYTES $SEED v1"
if [ ! -f "$DIR.stamp" ] || [ "$(cat "$DIR.stamp")" != "$stamp" ] || [ ! -d "$DIR" ]; then
	echo "bench: generating $FILES files, about $BYTES bytes, seed $SEED in $DIR" >&2
	rm -f "$DIR.stamp"
	generate "$DIR"
	echo "$stamp" >"$DIR.stamp"
fi

nfiles=$(find "$DIR" -type f | wc -l)
nbytes=$(find "$DIR" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')
out=${SP_BENCH_OUT:-$(mktemp -d "$(dirname "$DIR")/sp-bench-escrow.XXXXXX")}
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

# Inputs: manifest, signature, policy, a reviewer certificate.
export SRCPROOF_PASSPHRASE=bench
"$SP" manifest create "$DIR" -o "$out/m" -q
"$SP" key generate -o "$out/k" --no-passphrase -q
"$SP" sign "$out/m" --key "$out/k" -o "$out/m.sig" -q
"$SP" policy create -o "$out/pol.json" --expires 2099-01-01 -q
"$SP" policy add-key "$out/pol.json" "$out/k.pub" --roles root,release -q
"$SP" policy sign "$out/pol.json" --key "$out/k" -q
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout "$out/rk" -out "$out/rc" -subj /CN=reviewer -days 30 2>/dev/null

declare -A secs rss
run() {
	local name=$1 i best="" bestrss=""
	shift
	for ((i = 0; i < RUNS; i++)); do
		rm -rf "$out/x" "$out/u"
		/usr/bin/time -v -o "$out/time" "$@" >/dev/null 2>"$out/stderr" ||
			die "$name failed: $(tail -3 "$out/stderr")"
		local wall maxrss
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (k = 1; k <= n; k++) s = s * 60 + p[k]
			print s }' "$out/time")
		maxrss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")
		if [ -z "$best" ] || awk "BEGIN {exit !($wall < $best)}"; then
			best=$wall
			bestrss=$maxrss
		fi
	done
	secs[$name]=$best
	rss[$name]=$bestrss
}

pack=("$SP" escrow pack -q -f --manifest "$out/m" --sig "$out/m.sig"
	--source "$DIR" --policy "$out/pol.json")
# Warm the page cache.
cat "$out/m" >/dev/null
find "$DIR" -type f -print0 | xargs -0 cat >/dev/null

run pack "${pack[@]}" -o "$out/b.tzst"
run tarzstd bash -c 'tar --sort=name -cf - -C "$1" . | zstd -q -3 -T2 >"$2"' _ "$DIR" "$out/t.tar.zst"
run packenc "${pack[@]}" --recipient "$out/rc" -o "$out/b.cms"
run tarenc bash -c 'tar --sort=name -cf - -C "$1" . | zstd -q -3 -T2 |
	openssl cms -encrypt -binary -aes-256-gcm -stream -outform DER "$3" >"$2"' \
	_ "$DIR" "$out/t.cms" "$out/rc"
run verify "$SP" escrow verify -q --policy "$out/pol.json" "$out/b.tzst"
run check "$SP" manifest check -q "$out/m" "$DIR"
run verifyenc "$SP" escrow verify -q --policy "$out/pol.json" --key "$out/rk" "$out/b.cms"
run unpack "$SP" escrow unpack -q "$out/b.tzst" -C "$out/u"
run untar bash -c 'mkdir "$2" && zstd -dc "$1" | tar -xf - -C "$2"' _ "$out/t.tar.zst" "$out/x"

# The bundle is deterministic: pack again elsewhere and compare.
"${pack[@]}" -o "$out/b2.tzst"
cmp -s "$out/b.tzst" "$out/b2.tzst" || die "two packs gave different bundles"
bsize=$(stat -c %s "$out/b.tzst")
tsize=$(stat -c %s "$out/t.tar.zst")

printf '\nsrcproof escrow benchmark: %d files, %.1f MiB, seed %s, %s CPUs, best of %d warm runs\n' \
	"$nfiles" "$(awk "BEGIN {print $nbytes / 1048576}")" "$SEED" "$(nproc)" "$RUNS"
printf 'bundle %.1f MiB (tar | zstd: %.1f MiB); sha256 %s\n\n' \
	"$(awk "BEGIN {print $bsize / 1048576}")" "$(awk "BEGIN {print $tsize / 1048576}")" \
	"$(sha256sum "$out/b.tzst" | cut -d' ' -f1)"
printf '%-52s %8s %8s %10s\n' command seconds MiB/s 'peak RSS'
row() {
	awk -v l="$1" -v s="${secs[$2]}" -v b="$nbytes" -v r="${rss[$2]}" 'BEGIN {
		if (s <= 0) s = 0.001
		printf "%-52s %8.2f %8.1f %6.1f MiB\n", l, s, b / 1048576 / s, r / 1024 }'
}
row "srcproof escrow pack" pack
row "tar --sort=name | zstd -3 -T2" tarzstd
row "srcproof escrow pack --recipient (CMS AES-256-GCM)" packenc
row "tar --sort=name | zstd -3 -T2 | openssl cms -encrypt" tarenc
row "srcproof escrow verify --policy" verify
row "srcproof manifest check" check
row "srcproof escrow verify --policy --key (encrypted)" verifyenc
row "srcproof escrow unpack" unpack
row "zstd -dc | tar -x" untar
echo
ratio() { awk -v a="${secs[$1]}" -v b="${secs[$2]}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT met") }'; }
r1=$(ratio pack tarzstd)
r2=$(ratio verify check)
r3=$(ratio packenc tarenc)
r4=$(ratio unpack untar)
printf 'pack / (tar | zstd -T2):        %sx  (target <= 1.20x: %s)\n' "$r1" "$(verdict "$r1" 1.2)"
printf 'verify / manifest check:        %sx  (target <= 1.20x: %s)\n' "$r2" "$(verdict "$r2" 1.2)"
printf 'encrypted pack / tar|zstd|cms:  %sx\n' "$r3"
printf 'unpack / (zstd -dc | tar -x):   %sx\n' "$r4"
