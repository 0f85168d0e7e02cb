# Transparency log: bad input with its exit status and message (bad
# proofs, unknown keys, wrong origins, damaged logs).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out rel.key 2>/dev/null
openssl pkey -in log.key -pubout -out log.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
for i in 1 2 3; do
	printf 'release %s\n' "$i" >"m$i"
	bash "$F/tlog_envelope.sh" rel.key "m$i" avscan "1.$i" release >"m$i.sig"
done

expect_rc 0 sp log init L --key log.key --origin example.com/avscan
vkey=$(cat L/log.vkey)
bash "$F/tlog_entries.sh" 3 300 >e300
expect_rc 0 sp log append L m1.sig m2.sig m3.sig --entries e300 -q
expect_rc 0 sp log checkpoint L -o cp303
expect_rc 0 sp log prove L 1 -o p1

# ---- bad proofs and keys -------------------------------------------------------------
# Proven entry is not the one asked about.
expect_rc 1 sp log verify p1 --log-key L/log.vkey --entry m3.sig
expect_grep 'the proof is for another entry' "$T/err"
# Unknown key: another log's key.
other=$(sp log vkey --key other.key --name example.com/avscan)
expect_rc 1 sp log verify p1 --log-key "$other"
expect_grep 'not signed by log key .example.com/avscan\+[0-9a-f]{8}. \(only by unknown keys\)' "$T/err"
# Origin mismatch.
expect_rc 1 sp log verify p1 --log-key L/log.vkey --origin example.com/other
expect_grep "checkpoint origin 'example.com/avscan' is not the expected 'example.com/other'" "$T/err"
otherorigin=$(sp log vkey --key log.key --name example.org/avscan)
expect_rc 1 sp log verify p1 --log-key "$otherorigin"
expect_grep "is not the expected 'example.org/avscan'" "$T/err"
# A witness key where a log key is needed.
wkey=$(sp log vkey --key other.key --name w.example/1 --cosignature)
expect_rc 2 sp log verify p1 --log-key "$wkey"
expect_grep 'expected 0x01 \(a log key\)' "$T/err"
# Malformed keys.
expect_rc 3 sp log verify p1 --log-key 'example.com/avscan+00000000+AAAA'
expect_rc 3 sp log verify p1 --log-key nonexistent-file
# Bad signature: the checkpoint's tree size changed.
sed 's/^303$/304/' p1 >p1.size
expect_rc 1 sp log verify p1.size --log-key L/log.vkey
expect_grep 'checkpoint signature by log key .example.com/avscan. does not verify' "$T/err"
# Proofs of the wrong size: a hash missing, a hash too many, a wrong index.
awk 'NR==4 {next} {print}' p1 >p1.short
expect_rc 1 sp log verify p1.short --log-key L/log.vkey
expect_grep 'fewer than a tree of size 303 needs|does not lead to' "$T/err"
awk 'NR==4 {print} {print}' p1 >p1.long
expect_rc 1 sp log verify p1.long --log-key L/log.vkey
sed 's/^index 1$/index 3/' p1 >p1.index
expect_rc 1 sp log verify p1.index --log-key L/log.vkey
expect_grep 'does not lead to the checkpoint' "$T/err"
sed 's/^index 1$/index 303/' p1 >p1.beyond
expect_rc 1 sp log verify p1.beyond --log-key L/log.vkey
expect_grep 'index 303 is not below tree size 303' "$T/err"
# Not a proof at all, or damaged syntax: exit 3.
expect_rc 3 sp log verify cp303 --log-key L/log.vkey
expect_grep "is a checkpoint, not a proof" "$T/err"
sed 's/^index 1$/index 01/' p1 >p1.zero
expect_rc 3 sp log verify p1.zero --log-key L/log.vkey
expect_grep "expected 'index N'" "$T/err"
sed '4s/.$/!/' p1 >p1.b64
expect_rc 3 sp log verify p1.b64 --log-key L/log.vkey
expect_grep 'hash line 1 is not the canonical base64' "$T/err"
head -c 200 p1 >p1.trunc
expect_rc 3 sp log verify p1.trunc --log-key L/log.vkey
# Over the limits of docs/spec/log.md section 2 (tlog/proof.c): more than
# 128 hashes is refused by the parser (exit 3); 128 is parsed, and is more
# than a tree of 303 needs (exit 1); over 1 MiB is not even read.
awk 'NR == 4 {for (i = 0; i < 128; i++) print} {print}' p1 >p1.129
[ "$(awk 'NR > 3 && /^$/ {exit} NR > 3 {n++} END {print n}' p1.129)" = 137 ] ||
	fail "p1.129 does not have 137 hashes"
expect_rc 3 sp log verify p1.129 --log-key L/log.vkey
expect_grep "'p1.129': proof has more than 128 hashes" "$T/err"
awk 'NR == 4 {for (i = 0; i < 119; i++) print} {print}' p1 >p1.128
expect_rc 1 sp log verify p1.128 --log-key L/log.vkey
expect_grep 'inclusion proof has 128 hashes, more than a tree of size 303 needs' "$T/err"
{ cat p1; head -c 1048576 /dev/zero | tr '\0' A; } >p1.big
expect_rc 3 sp log verify p1.big --log-key L/log.vkey
expect_grep "'p1.big' is larger than the limit of 1048576 bytes" "$T/err"
expect_rc 3 sp log verify p1 p1.big --log-key L/log.vkey
expect_grep "'p1.big' is larger than the limit of 1048576 bytes" "$T/err"

# ---- prove and consistency errors ----------------------------------------------------
expect_rc 2 sp log prove L 303 -o x
expect_grep 'entry 303 is not in the log \(size 303\)' "$T/err"
printf 'other\n' >m4
bash "$F/tlog_envelope.sh" rel.key m4 avscan 1.4 release >m4.sig
expect_rc 3 sp log prove L m4.sig -o x
expect_grep 'the entry is not in the log' "$T/err"
expect_rc 3 sp log prove nolog 0 -o x
expect_grep "is 'nolog' a log" "$T/err"
expect_rc 0 sp log consistency L cp303 -o req
head -1 req | grep -qx 'old 303' || fail "consistency request header"

# ---- damage: truncated tiles, bad checkpoint signature --------------------------------
cp -r L D
truncate -s 100 D/tile/0/001.p/47
expect_rc 3 sp log prove D 302 -o x
expect_grep "'tile/0/001.p/47' is truncated or damaged: 100 bytes, expected 1504" "$T/err"
expect_rc 3 sp log check D
expect_rc 3 sp log append D m4.sig
[ "$(sed -n 2p D/checkpoint)" = 303 ] || fail "append on a damaged log changed it"
# A FULL level-0 tile cut short: what reads it fails, exit 3, naming it.
rm -rf D && cp -r L D
truncate -s 4000 D/tile/0/000
expect_rc 3 sp log prove D 5 -o x
expect_grep "'tile/0/000' is truncated or damaged: 4000 bytes, expected 8192" "$T/err"
[ -e x ] && fail "prove wrote a proof from a damaged log"
expect_rc 3 sp log check D
expect_grep "'tile/0/000' is truncated or damaged: 4000 bytes, expected 8192" "$T/err"
# Entry bundles cut short, full and partial: exit 3, the file named.
rm -rf D && cp -r L D
truncate -s 100 D/tile/entries/000
expect_rc 3 sp log prove D 5 -o x
expect_grep "entry bundle 'tile/entries/000' is truncated or damaged: entry 0 runs past its end" "$T/err"
expect_rc 3 sp log check D
expect_grep "entry bundle 'tile/entries/000' is truncated or damaged" "$T/err"
rm -rf D && cp -r L D
truncate -s 1000 D/tile/entries/001.p/47
expect_rc 3 sp log prove D 300 -o x
expect_grep "entry bundle 'tile/entries/001.p/47' is truncated or damaged: entry 4 runs past its end" "$T/err"
expect_rc 3 sp log check D
expect_grep "entry bundle 'tile/entries/001.p/47' is truncated or damaged" "$T/err"
: >D/tile/entries/001.p/47
expect_rc 3 sp log check D
expect_grep "entry bundle 'tile/entries/001.p/47' is truncated or damaged: 0 of 47 entries" "$T/err"
# The appender reads that partial bundle at the edge: it refuses too.
expect_rc 3 sp log append D m4.sig
expect_grep "entry bundle 'tile/entries/001.p/47' is truncated or damaged" "$T/err"
[ "$(sed -n 2p D/checkpoint)" = 303 ] || fail "append on a damaged bundle changed the log"
[ -e x ] && fail "prove wrote a proof from a damaged log"

cp -r L E
rm E/tile/entries/000
expect_rc 3 sp log check E
expect_grep "'tile/entries/000' is missing" "$T/err"
cp -r L G
printf 'x' | dd of=G/tile/0/000 bs=1 seek=77 conv=notrunc 2>/dev/null
expect_rc 1 sp log check G
expect_grep 'does not hash to' "$T/err"
cp -r L H
sed -i 's/^303$/302/' H/checkpoint
expect_rc 1 sp log prove H 0 -o x
expect_grep 'does not verify' "$T/err"
expect_rc 1 sp log append H m4.sig

# Untrusted text from a log entry is escaped on the terminal.
bash "$F/tlog_envelope.sh" rel.key m4 "$(printf 'evil\033[31m')" 1.4 release >evil.sig
expect_rc 3 sp log append L evil.sig
expect_grep 'UTF-8 without control characters' "$T/err"
echo "tlog_bad: ok"
