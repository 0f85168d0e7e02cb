#!/bin/bash
# Benchmark of `srcproof sign` and `srcproof verify-sig` on many small
# manifests, next to `openssl pkeyutl -sign` / `-verify` run the same
# number of times on the same files, one process per operation for both
# (that is how a release pipeline or a reviewer's script runs them).
#
#   bash bench/sign.sh [PATH/TO/srcproof]
#
# Environment:
#   SP_BENCH_COUNT  manifests to sign and verify (default 10000)
#   SP_BENCH_ALG    ed25519 (default), ecdsa-p256 or rsa-3072
#   SP_BENCH_DIR    work directory (default: a fresh temporary one,
#                   removed at the end)
#
# srcproof does more per file than openssl: it hashes the file, parses it
# as a manifest, builds the in-toto statement and the DSSE envelope,
# signs, verifies its own signature before writing, and writes atomically
# (fsync); verify-sig parses the envelope, verifies, parses the statement
# and hashes the file. openssl signs and verifies the raw file bytes only.
# Needs: coreutils, openssl.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")/.." && pwd)
SP=${1:-${SRCPROOF:-$here/build/release/srcproof}}
N=${SP_BENCH_COUNT:-10000}
ALG=${SP_BENCH_ALG:-ed25519}
[ -x "$SP" ] || {
	echo "sign.sh: no srcproof binary at '$SP' (build it or pass its path)" >&2
	exit 2
}
if [ -n "${SP_BENCH_DIR:-}" ]; then
	W=$SP_BENCH_DIR
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench-sign.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
cd "$W"
rm -rf m sig ossl src
mkdir -p m sig ossl src

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%8.1f ops/s  (%.3f ms each, %.2f s total)", n / (b - a), 1000 * (b - a) / n, b - a }'; }

# The manifests: one real manifest of a small tree, then N copies that
# differ in their release line (still canonical manifests).
printf 'int main(void) { return 0; }\n' >src/main.c
printf 'rule 1\n' >src/rules.db
"$SP" manifest create src -o template --product avscan --release 1.0 -q
for ((i = 0; i < N; i++)); do
	sed "s/^# release: 1.0\$/# release: 1.0.$i/" template >m/$i
done
"$SP" key generate -o bench.key -a "$ALG" --no-passphrase --force -q
digest="-digest sha256"
[ "$ALG" = ed25519 ] && digest=""

echo "sign.sh: $N manifests of $(stat -c %s m/0) bytes, $ALG key, $(nproc) CPUs"
echo "  $("$SP" version -q), $(openssl version)"

t0=$(now)
for ((i = 0; i < N; i++)); do
	"$SP" sign m/$i --key bench.key -o sig/$i.sig -q
done
t1=$(now)
for ((i = 0; i < N; i++)); do
	"$SP" verify-sig m/$i --sig sig/$i.sig --pubkey bench.key.pub -q
done
t2=$(now)
# shellcheck disable=SC2086
for ((i = 0; i < N; i++)); do
	openssl pkeyutl -sign -inkey bench.key -rawin $digest -in m/$i -out ossl/$i.sig
done
t3=$(now)
# shellcheck disable=SC2086
for ((i = 0; i < N; i++)); do
	openssl pkeyutl -verify -pubin -inkey bench.key.pub -rawin $digest -in m/$i \
		-sigfile ossl/$i.sig >/dev/null
done
t4=$(now)

printf '  srcproof sign        %s\n' "$(rate "$N" "$t0" "$t1")"
printf '  srcproof verify-sig  %s\n' "$(rate "$N" "$t1" "$t2")"
printf '  openssl pkeyutl -sign    %s\n' "$(rate "$N" "$t2" "$t3")"
printf '  openssl pkeyutl -verify  %s\n' "$(rate "$N" "$t3" "$t4")"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" 'BEGIN {
	printf "  srcproof/openssl time: sign %.2fx, verify %.2fx\n", (b - a) / (d - c), (c - b) / (e - d) }'
