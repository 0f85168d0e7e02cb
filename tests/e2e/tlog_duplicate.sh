# 'log append' refuses an entry the log already holds (the same signed
# manifest appended twice) or one given twice, naming the index, exit 1,
# the log unchanged; --allow-duplicate appends it anyway. The check uses the
# log's private entry index (docs/spec/log.md, section 3.5): a missing,
# damaged or stale index is rebuilt or brought up to date from the tiles,
# and records of an append that never committed do not count.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out rel.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out rel2.key 2>/dev/null
for i in 1 2 3 4 5; do
	printf 'release %s\n' "$i" >"m$i"
	bash "$F/tlog_envelope.sh" rel.key "m$i" avscan "1.$i" release >"m$i.sig"
done
# The same statement signed by another key: another envelope, the same
# entry (an entry records the signed statement, not its signatures).
bash "$F/tlog_envelope.sh" rel2.key m1 avscan 1.1 release >m1-other.sig
cmp -s m1.sig m1-other.sig && fail "the envelopes should differ"

# state: the checkpoint and every public file of the log.
state() { (cd L && find . -type f ! -name '.srcproof-log.*' | sort | xargs sha256sum); }
size_of() { sed -n 2p L/checkpoint; }

expect_rc 0 sp log init L --key log.key --origin example.com/dup -q
expect_rc 0 sp log append L m1.sig
expect_grep '^appended 0: avscan 1.1 ' "$T/out"
[ -f L/.srcproof-log.index ] || fail "no entry index"
S1=$(state)

# ---- refused: the same envelope, the same statement, given twice -------------
expect_rc 1 sp log append L m1.sig
expect_grep "^srcproof: error: 'm1.sig' is already in the log at index 0$" "$T/err"
expect_grep "^srcproof: hint: nothing was appended; to log the same bytes again, use --allow-duplicate$" "$T/err"
[ -s "$T/out" ] && fail "a refused append printed: $(cat "$T/out")"
[ "$(state)" = "$S1" ] || fail "a refused append changed the log"
expect_rc 1 sp log append L m1-other.sig --json
expect_grep "'m1-other.sig' is already in the log at index 0" "$T/err"
[ -s "$T/out" ] && fail "a refused append printed JSON: $(cat "$T/out")"
# One duplicate refuses the whole append: m2 is not appended either.
expect_rc 1 sp log append L m2.sig m1.sig
expect_grep "'m1.sig' is already in the log at index 0" "$T/err"
expect_rc 1 sp log append L m2.sig m3.sig m2.sig
expect_grep "^srcproof: error: 'm2.sig' is given twice$" "$T/err"
cp m2.sig m2-copy.sig
expect_rc 1 sp log append L m2.sig m2-copy.sig
expect_grep "^srcproof: error: 'm2-copy.sig' is the same entry as 'm2.sig': given twice$" "$T/err"
[ "$(state)" = "$S1" ] || fail "refused appends changed the log"
expect_rc 0 sp log check L -q

expect_rc 0 sp log append L m2.sig m3.sig -q
[ "$(size_of)" = 3 ] || fail "size $(size_of) after appending m2 m3"
expect_rc 1 sp log append L m4.sig m3.sig
expect_grep "'m3.sig' is already in the log at index 2" "$T/err"

# Pre-encoded entries: named by their place in the bundle.
bash "$F/tlog_entries.sh" 0 300 >e300
expect_rc 0 sp log append L --entries e300 -q
bash "$F/tlog_entries.sh" 290 20 >e290
expect_rc 1 sp log append L m4.sig --entries e290
expect_grep "^srcproof: error: entry 0 of 'e290' is already in the log at index 293$" "$T/err"
cat e300 e300 >e600
bash "$F/tlog_entries.sh" 1000 3 >e3
cat e3 e3 >e6
expect_rc 1 sp log append L --entries e6
expect_grep "^srcproof: error: entry 3 of 'e6' is the same entry as entry 0 of 'e6': given twice$" "$T/err"
[ "$(size_of)" = 303 ] || fail "size $(size_of) after refused bulk appends"

# ---- --allow-duplicate ----------------------------------------------------------
expect_rc 0 sp log append L m1.sig --allow-duplicate --json
jq -e '.first == 303 and .size == 304 and .appended[0].index == 303 and
	.appended[0].release == "1.1"' "$T/out" >/dev/null ||
	fail "append --allow-duplicate --json: $(cat "$T/out")"
expect_rc 0 sp log append L --entries e600 --allow-duplicate -q
[ "$(size_of)" = 904 ] || fail "size $(size_of) after --allow-duplicate"
expect_rc 0 sp log check L -q
# The first copy is the one found, and both are provable.
expect_rc 0 sp log prove L m1.sig -o p1 --json
jq -e '.index == 0' "$T/out" >/dev/null || fail "prove m1.sig: $(cat "$T/out")"
expect_rc 0 sp log prove L 303 -o p303
expect_rc 0 sp log verify p303 --log-key L/log.vkey --entry m1.sig -q 2>/dev/null
expect_rc 1 sp log append L m1.sig
expect_grep "'m1.sig' is already in the log at index 0" "$T/err"

# ---- the index is a cache: missing, damaged, stale --------------------------------
S2=$(state)
rm L/.srcproof-log.index
expect_rc 1 sp log append L m3.sig
expect_grep "'m3.sig' is already in the log at index 2" "$T/err"
[ -f L/.srcproof-log.index ] || fail "the index was not rebuilt"
head -c 4096 /dev/urandom >L/.srcproof-log.index
expect_rc 1 sp log append L m2.sig
expect_grep "'m2.sig' is already in the log at index 1" "$T/err"
# A header that does not match the file's length: rebuilt.
truncate -s 1000 L/.srcproof-log.index
expect_rc 1 sp log append L --entries e290
expect_grep "^srcproof: error: entry 0 of 'e290' is already in the log at index 293$" "$T/err"
# An index that lags behind the log (an older copy): brought up to date.
[ "$(state)" = "$S2" ] || fail "refused appends changed the log"
cp L/.srcproof-log.index old.index
expect_rc 0 sp log append L m4.sig -q
idx4=$(($(size_of) - 1))
cp old.index L/.srcproof-log.index
expect_rc 1 sp log append L m4.sig
expect_grep "'m4.sig' is already in the log at index $idx4" "$T/err"
# A log rolled back under its index (a restored backup): the index covers
# entries the log no longer has; it is rebuilt, and m5 is not a duplicate.
cp -a L L.bak
expect_rc 0 sp log append L m5.sig -q
cp L/.srcproof-log.index new.index
rm -rf L && mv L.bak L
cp new.index L/.srcproof-log.index
expect_rc 0 sp log append L m5.sig
expect_grep "^appended $((idx4 + 1)): avscan 1.5 " "$T/out"
expect_rc 0 sp log check L -q

# ---- an append killed before its checkpoint leaves records that do not count -----
printf 'release 6\n' >m6
bash "$F/tlog_envelope.sh" rel.key m6 avscan 1.6 release >m6.sig
before=$(size_of)
if [ "${SP_TEST_HOOKS:-1}" != 0 ]; then # the hook exists in test builds only
	rc=0
	SRCPROOF_TEST_CRASH_AT=1 sp log append L m6.sig >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 137 ] || fail "the append was not killed: $rc"
	[ "$(size_of)" = "$before" ] || fail "a killed append changed the size"
fi
expect_rc 0 sp log append L m6.sig
expect_grep "^appended $before: avscan 1.6 " "$T/out"
expect_rc 1 sp log append L m6.sig
expect_grep "'m6.sig' is already in the log at index $before" "$T/err"
expect_rc 0 sp log check L -q
echo "tlog_duplicate: ok ($(size_of) entries)"
