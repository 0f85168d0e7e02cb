#!/bin/bash
# The srcproof demo: the vendor's pipeline, the auditor's check and the
# sealed-room review, run on the bundled sample product (sample/avscan).
#   bash scripts/demo.sh [PATH/TO/srcproof]
# Writes everything under demo-out/ and prints where the results are.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SP=${1:-$here/build/release/srcproof}
OUT=${SP_DEMO_OUT:-$here/demo-out}
export LC_ALL=C TZ=UTC
rm -rf "$OUT"
mkdir -p "$OUT"
say() { printf '\n== %s\n' "$*"; }
run() {
	printf '$ srcproof'
	printf ' %q' "$@"
	printf '\n'
	"$SP" "$@"
}

say "srcproof $("$SP" version -q)"
