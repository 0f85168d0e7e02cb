# srcproof key: generation, file modes, encryption (scrypt), passphrase
# sources, refusal to overwrite, key show.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

expect_rc 0 sp key generate -o a.key --no-passphrase
expect_grep '^[0-9a-f]{64}$' "$T/out"
id=$(cat "$T/out")
[ "$(stat -c %a a.key)" = 600 ] || fail "private key mode is $(stat -c %a a.key)"
[ "$(stat -c %a a.key.pub)" = 644 ] || fail "public key mode"
expect_grep '^-----BEGIN PRIVATE KEY-----' a.key
expect_grep '^-----BEGIN PUBLIC KEY-----' a.key.pub
# The key id is the sha256 of the DER SPKI, as openssl computes it.
want=$(openssl pkey -pubin -in a.key.pub -outform DER | sha256sum | cut -c1-64)
[ "$id" = "$want" ] || fail "key id $id is not sha256(SPKI) $want"
# It is recorded in both files, as RFC 7468 text before the PEM (which
# OpenSSL skips).
[ "$(head -1 a.key.pub)" = "srcproof-key-id: $id" ] || fail "a.key.pub: $(head -1 a.key.pub)"
[ "$(head -1 a.key)" = "srcproof-key-id: $id" ] || fail "a.key: $(head -1 a.key)"
openssl pkey -pubin -in a.key.pub -noout || fail "openssl cannot read a.key.pub"
openssl pkey -in a.key -noout || fail "openssl cannot read a.key"

# Never overwrite without --force; --force replaces.
expect_rc 3 sp key generate -o a.key --no-passphrase
expect_grep "error: 'a.key' already exists" "$T/err"
expect_grep 'hint: add --force' "$T/err"
expect_rc 3 sp key generate -o a.key.pub --no-passphrase
touch b.key.pub
expect_rc 3 sp key generate -o b.key --no-passphrase
expect_grep "'b.key.pub' already exists" "$T/err"
[ ! -e b.key ] || fail "b.key was written although b.key.pub existed"
expect_rc 0 sp key generate -o a.key --no-passphrase --force
[ "$(cat "$T/out")" != "$id" ] || fail "--force did not make a new key"
[ "$(stat -c %a a.key)" = 600 ] || fail "replaced key mode"

# Encrypted with scrypt + AES-256-CBC (PBES2), from the environment.
SRCPROOF_PASSPHRASE='correct horse' expect_rc 0 sp key generate -o e.key -a ecdsa-p256
expect_grep '^-----BEGIN ENCRYPTED PRIVATE KEY-----' e.key
[ "$(head -1 e.key)" = "srcproof-key-id: $(cat "$T/out")" ] || fail "e.key: $(head -1 e.key)"
sed -n '/^-----BEGIN/,$p' e.key | openssl asn1parse >asn1.txt
expect_grep ':PBES2' asn1.txt
expect_grep ':scrypt' asn1.txt
expect_grep ':aes-256-cbc' asn1.txt
openssl pkey -in e.key -passin pass:'correct horse' -noout ||
	fail "openssl cannot decrypt the key"
openssl pkey -pubin -in e.key.pub -noout || fail "openssl cannot read e.key.pub"
echo data >f
SRCPROOF_PASSPHRASE='correct horse' expect_rc 0 sp sign f --key e.key -q
SRCPROOF_PASSPHRASE='wrong' expect_rc 1 sp sign f --key e.key --force
expect_grep "cannot decrypt 'e.key': wrong passphrase" "$T/err"
# No passphrase source (no tty under the test runner).
expect_rc 2 setsid -w "$SRCPROOF" sign f --key e.key --force
expect_grep 'no terminal to ask' "$T/err"
expect_grep 'hint: use --passphrase-fd N or set SRCPROOF_PASSPHRASE' "$T/err"
# From a descriptor.
expect_rc 0 sp sign f --key e.key --force --passphrase-fd 4 4<<<'correct horse'
expect_rc 2 sp sign f --key e.key --force --passphrase-fd 99
expect_grep 'not an open descriptor' "$T/err"
expect_rc 0 sp key generate -o p.key --passphrase-fd 5 5<<<'pw from fd'
openssl pkey -in p.key -passin pass:'pw from fd' -noout || fail "fd passphrase"
expect_rc 2 sp key generate -o q.key --passphrase-fd 5 5</dev/null
expect_grep 'empty passphrase' "$T/err"
# The longest passphrase (1024 bytes, read into a buffer sized for it up
# front) works; one byte more is refused.
long=$(head -c 1024 /dev/zero | tr '\0' 'p')
expect_rc 0 sp key generate -o long.key -q --passphrase-fd 5 5<<<"$long"
openssl pkey -in long.key -passin "pass:$long" -noout || fail "1024-byte passphrase"
SRCPROOF_PASSPHRASE=$long expect_rc 0 sp sign f --key long.key -o long.sig
expect_rc 2 sp key generate -o long2.key -q --passphrase-fd 5 5<<<"${long}p"
expect_grep 'the passphrase is longer than 1024 bytes' "$T/err"
[ ! -e long2.key ] || fail "a key was written with a too long passphrase"

# The terminal prompt, on a pseudo-terminal: asked twice, echo off. Each
# answer is typed once its prompt shows (tests/lib/pty_answer.py), so a
# slow or loaded machine cannot make an answer arrive early.
PTY="python3 $SP_SOURCE_DIR/tests/lib/pty_answer.py"
P1='passphrase for the new key: ' P2='passphrase for the new key (again): '
# shellcheck disable=SC2086
$PTY "$P1" 'tty secret' "$P2" 'tty secret' -- $SP_WRAPPER "$SRCPROOF" key generate -o t.key >tty.out 2>&1 ||
	fail "tty prompt: $(cat tty.out)"
grep -qF "$P2" tty.out || fail "no second prompt: $(cat tty.out)"
! grep -q 'tty secret' tty.out || fail "the passphrase was echoed"
openssl pkey -in t.key -passin pass:'tty secret' -noout || fail "tty passphrase"
rc=0
# shellcheck disable=SC2086
$PTY "$P1" one "$P2" two -- $SP_WRAPPER "$SRCPROOF" key generate -o u.key >tty.out 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "mismatch: exit $rc: $(cat tty.out)"
grep -q 'the passphrases do not match' tty.out || fail "mismatch: $(cat tty.out)"
[ ! -e u.key ] || fail "a key was written after a mismatch"
# Nothing typed: the command waits (it does not take an empty passphrase
# by itself), and is killed at the timeout.
rc=0
$PTY --timeout 2 "never shown" x -- "$SRCPROOF" key generate -o v.key >tty.out 2>&1 || rc=$?
[ "$rc" = 124 ] || fail "the prompt did not wait: exit $rc: $(cat tty.out)"
grep -qF "$P1" tty.out || fail "no prompt: $(cat tty.out)"
[ ! -e v.key ] || fail "a key was written without a passphrase"

# key show and --json.
expect_rc 0 sp key show a.key.pub
expect_grep '^algorithm: ed25519' "$T/out"
expect_rc 0 sp key show e.key.pub --json
jq -e '.schema == "srcproof.key/v1" and .algorithm == "ecdsa-p256" and (.keyid | length) == 64' "$T/out" >/dev/null ||
	fail "key show --json"
# A recorded key id that is not the key's: refused, also where keys are used.
id=$("$SRCPROOF" key show -q a.key.pub)
sed "1s/.*/srcproof-key-id: $(printf '%064d' 0)/" a.key.pub >wrong.pub
expect_rc 1 sp key show wrong.pub
expect_grep "error: 'wrong.pub' records key id '0{64}', but the key it holds has id '$id'" "$T/err"
expect_no_grep . "$T/out"
expect_rc 1 sp verify-sig f --sig f.sig --pubkey wrong.pub
expect_grep "records key id" "$T/err"
printf 'srcproof-key-id: \033[31mred\n' | cat - a.key >wrong.key
expect_rc 1 sp sign f --key wrong.key -o x.sig
expect_grep "error: 'wrong.key' records a malformed key id; the key it holds has id '$id'" "$T/err"
[ ! -e x.sig ] || fail "signed with a key whose recorded id is wrong"
# Without the line (a key made by openssl), nothing is checked.
openssl pkey -in a.key -out plain.key
openssl pkey -in a.key -pubout -out plain.pub
expect_rc 0 sp key show plain.pub -q
expect_grep "^$id\$" "$T/out"
# key generate --json.
expect_rc 0 sp key generate -o j.key --no-passphrase -a rsa-3072 --json
jq -e '.schema == "srcproof.key/v1" and .algorithm == "rsa-3072" and .private_key == "j.key" and
	.public_key == "j.key.pub" and .encrypted == false and (.keyid | test("^[0-9a-f]{64}$"))' "$T/out" >/dev/null ||
	fail "key generate --json: $(cat "$T/out")"
[ "$(head -1 j.key.pub)" = "srcproof-key-id: $(jq -r .keyid "$T/out")" ] || fail "j.key.pub id"
expect_no_grep . "$T/err"
expect_rc 2 sp key show a.key
expect_grep "'a.key' holds a private key, not a public key" "$T/err"
expect_rc 2 sp sign f --key a.key.pub --force
expect_grep "'a.key.pub' holds a public key, not a private key" "$T/err"
expect_rc 2 sp key generate -o x.key -a dsa --no-passphrase
expect_grep "unknown algorithm 'dsa'" "$T/err"
expect_rc 2 sp key generate --no-passphrase
expect_grep 'missing -o KEY' "$T/err"
expect_rc 0 sp key generate --help
expect_grep '^usage: srcproof key generate' "$T/out"
expect_rc 3 sp key show missing.pub
expect_grep "'missing.pub' does not exist" "$T/err"
ln -s a.key.pub link.pub
expect_rc 3 sp key show link.pub
expect_grep 'symbolic link' "$T/err"
echo "signing_keys: ok"
