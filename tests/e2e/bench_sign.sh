# Smoke test of bench/sign.sh (the signing benchmark), so it cannot rot: a
# handful of manifests instead of 10,000, for ed25519 and ecdsa-p256; its
# report lines are checked and its signatures are real.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

for alg in ed25519 ecdsa-p256; do
	SP_BENCH_COUNT=4 SP_BENCH_ALG=$alg SP_BENCH_DIR=$T/$alg \
		bash "$SP_SOURCE_DIR/bench/sign.sh" "$SRCPROOF" >"$T/out" 2>"$T/err" ||
		fail "bench/sign.sh ($alg) failed"
	expect_grep "^sign.sh: 4 manifests of [0-9]+ bytes, $alg key, [0-9]+ CPUs$" "$T/out"
	expect_grep '^  srcproof [0-9]' "$T/out"
	for what in 'srcproof sign' 'srcproof verify-sig' 'openssl pkeyutl -sign' 'openssl pkeyutl -verify'; do
		expect_grep "^  $what +[0-9]+\.[0-9] ops/s  \([0-9]+\.[0-9]{3} ms each, [0-9]+\.[0-9]{2} s total\)$" "$T/out"
	done
	expect_grep '^  srcproof/openssl time: sign [0-9]+\.[0-9]{2}x, verify [0-9]+\.[0-9]{2}x$' "$T/out"
	expect_no_grep . "$T/err"
	[ "$(ls "$T/$alg/sig" | wc -l)" = 4 ] || fail "$alg: not 4 signatures"
	"$SRCPROOF" verify-sig "$T/$alg/m/3" --sig "$T/$alg/sig/3.sig" --pubkey "$T/$alg/bench.key.pub" -q ||
		fail "$alg: a benchmark signature does not verify"
done
echo "bench_sign: ok"
