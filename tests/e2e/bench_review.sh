# bench/review.sh at a tiny size, so the benchmark cannot rot: it must run
# to the end and print every row of its table with numbers (times are not
# judged), and its packs must hold what the generator changed.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
need_tool python3 "bench/review.sh generates the trees with it"
need_tool git "bench/review.sh compares with git diff --stat"
need_tool jq "bench/review.sh reads the JSON summaries with it"
FILES=300 ENTRIES=200 PER_ATT=100 CHANGE_PCT=2 UPDATE_FILES=3 BENCH_DIR=$T KEEP=1 \
	bash "$SP_SOURCE_DIR/bench/review.sh" "$SRCPROOF" >"$T/out" 2>"$T/err" ||
	fail "bench/review.sh failed"
num='[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}$'
expect_grep '^review ledger benchmark: 300 files, 200 attestation entries in 2 attestations, 6 files changed \(2%\)$' "$T/out"
expect_grep "^manifest create, release 1 \(hash every file\) +$num" "$T/out"
expect_grep "^manifest create, release 2 +$num" "$T/out"
expect_grep "^review attest, 2 attestations \(signing\) +$num" "$T/out"
# 200 of the 300 files reviewed in release 1, 4 of them changed (every
# 50th file from the 25th changes: 25, 75, ..., 275).
expect_grep "^review coverage of release 2 \(196 of 300 covered\) +$num" "$T/out"
expect_grep "^review coverage --source \(reads and hashes every file\) +$num" "$T/out"
expect_grep "^review delta \(6 files need fresh eyes\) +$num" "$T/out"
expect_grep "^review delta, update of 3 files \(3 need fresh eyes\) +$num" "$T/out"
expect_grep "^git diff --stat HEAD~1 HEAD \(6 files\) +$num" "$T/out"
expect_grep "^git diff HEAD~1 HEAD \(full patch\) +$num" "$T/out"
[ "$(grep -cE "$num" "$T/out")" -eq 9 ] || fail "the table does not have 9 rows"
# The consecutive update rewrites 3 of the files release 2 changed
# (reviewed in release 1, not since): --reviewed-source r1 makes release
# 1's bytes their diff base.
W=$(echo "$T"/sp-bench-review.*)
[ -d "$W/pack3" ] || fail "no work directory kept in $T"
jq -e '(.files | length) == 3 and all(.files[]; .base == "last-reviewed" and .base_source == "r1")' \
	"$W/pack3/delta.json" >/dev/null || fail "update pack: $(jq -c '[.files[] | [.base, .base_source]]' "$W/pack3/delta.json")"
echo "bench_review: ok"
