# Independence: the log's files checked without srcproof, with openssl,
# base64, xxd (package xxd), od and the shell, as docs/spec/log.md
# section 10 describes:
# entry bundle -> leaf hashes = the level-0 tile, tile -> root = the
# checkpoint's, the checkpoint's Ed25519 note signature and a witness
# cosignature verify with openssl pkeyutl.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out w.key 2>/dev/null
bash "$F/tlog_entries.sh" 0 3 >e3
expect_rc 0 sp log init L --key log.key --origin example.com/indep
expect_rc 0 sp log append L --entries e3
expect_rc 0 sp log checkpoint L -o cp
expect_rc 0 sp log cosign cp --key w.key --name w.example --state w.state \
	--log-key L/log.vkey -o cos --time @1700000000
wvkey=$(sp log vkey --key w.key --name w.example --cosignature)

sha() { openssl dgst -sha256 -binary; }

# Leaf hashes from the entry bundle (uint16 big-endian length prefixes).
bundle=L/tile/entries/000.p/3
[ -f "$bundle" ] || fail "no partial entry bundle of width 3"
off=0
: >leaves
for i in 0 1 2; do
	# od (coreutils): the two length bytes, big-endian.
	set -- $(od -An -tu1 -j "$off" -N 2 "$bundle")
	len=$(($1 * 256 + $2))
	{ printf '\000'; tail -c +$((off + 3)) "$bundle" | head -c "$len"; } | sha >>leaves
	off=$((off + 2 + len))
done
[ "$off" = "$(wc -c <"$bundle")" ] || fail "bundle has trailing bytes"
cmp -s leaves L/tile/0/000.p/3 || fail "level-0 tile is not SHA-256(0x00 || entry)"

# RFC 6962 root of 3 leaves: H(0x01 || H(0x01 || l0 || l1) || l2).
head -c 32 leaves >l0
tail -c +33 leaves | head -c 32 >l1
tail -c 32 leaves >l2
{ printf '\001'; cat l0 l1; } | sha >n01
{ printf '\001'; cat n01 l2; } | sha >root
[ "$(base64 <root)" = "$(sed -n 3p L/checkpoint)" ] || fail "root is not RFC 6962's"
[ "$(sed -n 2p L/checkpoint)" = 3 ] || fail "tree size line"

# Ed25519 note signature: key from the vkey, key ID, signature over the body.
vkey_pem() { # VKEY TYPE OUT: SPKI PEM of the vkey's Ed25519 key
	local k=${1#*+}
	k=${k#*+}
	printf '%s' "$k" | base64 -d >raw
	[ "$(head -c 1 raw | xxd -p)" = "$2" ] || fail "vkey type is not $2"
	{ printf '302a300506032b6570032100' | xxd -r -p; tail -c 32 raw; } >spki.der
	openssl pkey -pubin -inform DER -in spki.der -out "$3"
}
vkey=$(cat L/log.vkey)
name=${vkey%%+*}
vkey_pem "$vkey" 01 log.pub.pem
head -n 3 L/checkpoint >body
{ printf '%s\n\001' "$name"; tail -c 32 raw; } | sha | head -c 4 | xxd -p >id
[ "$(cat id)" = "$(printf '%s' "$vkey" | cut -d+ -f2)" ] || fail "key ID"
grep "^— $name " L/checkpoint | cut -d' ' -f3 | base64 -d >sig
[ "$(head -c 4 sig | xxd -p)" = "$(cat id)" ] || fail "signature's key ID"
tail -c 64 sig >sig.bin
openssl pkeyutl -verify -pubin -inkey log.pub.pem -rawin -in body \
	-sigfile sig.bin >/dev/null || fail "openssl rejects the checkpoint signature"
printf 'x' >>body
openssl pkeyutl -verify -pubin -inkey log.pub.pem -rawin -in body \
	-sigfile sig.bin >/dev/null 2>&1 && fail "openssl accepts a changed body"

# Cosignature v1: key ID || u64 timestamp || signature over
# "cosignature/v1\ntime <t>\n" || body.
vkey_pem "$wvkey" 04 w.pub.pem
grep '^— w.example ' cos | cut -d' ' -f3 | base64 -d >csig
[ "$(wc -c <csig)" = 76 ] || fail "cosignature length"
[ "$((16#$(tail -c +5 csig | head -c 8 | xxd -p)))" = 1700000000 ] || fail "timestamp"
{ printf 'cosignature/v1\ntime 1700000000\n'; head -n 3 cos; } >cmsg
tail -c 64 csig >csig.bin
openssl pkeyutl -verify -pubin -inkey w.pub.pem -rawin -in cmsg \
	-sigfile csig.bin >/dev/null || fail "openssl rejects the cosignature"
echo "tlog_openssl: ok"
