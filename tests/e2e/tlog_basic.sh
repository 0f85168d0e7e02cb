# Transparency log: init, append, checkpoint, prove, verify, check, vkey,
# with the bad input of each step (more in tlog_bad.sh).
# valgrind: yes
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

# ---- help and usage ---------------------------------------------------------
expect_rc 0 sp log --help
expect_grep '^  append' "$T/out"
for sub in append verify cosign; do
	expect_rc 0 sp log "$sub" --help
	expect_grep "^usage: srcproof log $sub" "$T/out"
done
expect_rc 2 sp log
expect_rc 2 sp log frobnicate
expect_grep "unknown command 'log frobnicate'" "$T/err"
expect_rc 2 sp log init L --key log.key
expect_grep 'origin NAME are required' "$T/err"
expect_grep "hint: try 'srcproof log init --help'" "$T/err"
expect_rc 2 sp log verify p --witness x
expect_grep 'log-key PUB is required' "$T/err"
expect_rc 2 sp log append L
expect_rc 2 sp log init L --key log.key --origin 'bad origin'
expect_grep "origin 'bad origin' must be non-empty, without spaces" "$T/err"
expect_rc 3 sp log init L --key ec.key --origin example.com/x
expect_grep 'Ed25519' "$T/err"
expect_rc 3 sp log init L --key missing.key --origin example.com/x

# ---- init and append ------------------------------------------------------------
expect_rc 0 sp log init L --key log.key --origin example.com/avscan
expect_grep "^log key: example.com/avscan\+[0-9a-f]{8}\+" "$T/out"
[ -f L/checkpoint ] && [ -f L/log.vkey ] || fail "init wrote no checkpoint or vkey"
grep -q 'PRIVATE' L/* L/.srcproof-log.json && fail "a private key went into the log"
expect_rc 3 sp log init L --key log.key --origin example.com/avscan
expect_grep "is not empty" "$T/err"
vkey=$(cat L/log.vkey)
expect_rc 0 sp log vkey --key log.key --name example.com/avscan
[ "$(cat "$T/out")" = "$vkey" ] || fail "log vkey differs from log.vkey"

expect_rc 0 sp log append L m1.sig
expect_grep '^appended 0: avscan 1.1 \(release\) manifest sha256:[0-9a-f]{64}' "$T/out"
expect_rc 0 sp log append L m2.sig m3.sig --json
jq -e '.schema == "srcproof.log-append/v1" and .first == 1 and .size == 3 and
	.appended[1].release == "1.3" and .appended[1].index == 2' "$T/out" >/dev/null ||
	fail "append --json"
bash "$F/tlog_entries.sh" 3 300 >e300
expect_rc 0 sp log append L --entries e300
expect_grep '^log size: 303' "$T/out"
[ -f L/tile/0/000 ] && [ -f L/tile/0/001.p/47 ] && [ -f L/tile/1/000.p/1 ] &&
	[ -f L/tile/entries/000 ] && [ -f L/tile/entries/001.p/47 ] ||
	fail "tile layout is not C2SP's: $(cd L && find tile -type f | sort | tr '\n' ' ')"
expect_rc 0 sp log check L --json
jq -e '.ok and .entries == 303 and .tiles == 3 and .bundles == 2' "$T/out" >/dev/null ||
	fail "check --json"

# Bad entries: not an envelope, not about a manifest, a bad bundle.
echo '{}' >notenv.sig
expect_rc 3 sp log append L notenv.sig
printf 'x' >bad.bundle
expect_rc 3 sp log append L --entries bad.bundle
expect_grep 'not a sequence of length-prefixed entries' "$T/err"
printf '\000\001x' >bad2.bundle
expect_rc 2 sp log append L --entries bad2.bundle
expect_grep "entry 0: log entry does not start with" "$T/err"
expect_rc 2 sp log append L m1.sig --key other.key
expect_grep "is not the key of this log" "$T/err"

# ---- checkpoint, prove, verify ----------------------------------------------------
expect_rc 0 sp log checkpoint L
expect_grep '^example.com/avscan$' "$T/out"
expect_grep '^303$' "$T/out"
expect_rc 0 sp log checkpoint L -o cp303 --json
jq -e '.size == 303 and .origin == "example.com/avscan"' "$T/out" >/dev/null || fail "checkpoint --json"

expect_rc 0 sp log prove L 1 -o p1
expect_grep '^wrote proof of entry 1 \(log size 303\)' "$T/out"
head -1 p1 | grep -qx 'c2sp.org/tlog-proof@v1' || fail "proof header"
expect_rc 0 sp log prove L m3.sig -o p2 --json
jq -e '.index == 2 and .size == 303' "$T/out" >/dev/null || fail "prove by envelope"
expect_rc 0 sp log prove L 302 -o p302

# The proof's entry, checked independently of srcproof: the statement
# digest is SHA-256 of the envelope's decoded payload, the subject the
# manifest file's SHA-256 (docs/spec/log.md section 4).
sed -n 2p p1 | grep -q '^extra ' || fail "the proof has no extra line"
sed -n 2p p1 | cut -d' ' -f2 | base64 -d >entry1 || fail "extra is not base64"
stmt=$(jq -r .payload m2.sig | base64 -d | sha256sum | cut -d' ' -f1)
subj=$(sha256sum m2 | cut -d' ' -f1)
printf 'srcproof.dev/log-entry/v1\nstatement sha256:%s\nsubject sha256:%s\nproduct avscan\nrelease 1.2\nkind release\n' \
	"$stmt" "$subj" >entry1.want
cmp -s entry1 entry1.want || fail "entry 1 is not m2.sig's: $(diff entry1.want entry1)"

# The log key as a vkey, a vkey file and a PEM public key.
expect_rc 0 sp log verify p1 --log-key "$vkey"
expect_grep "^verified: entry 1 of log 'example.com/avscan' \(size 303" "$T/out"
expect_grep '^entry: avscan 1.2 \(release\)' "$T/out"
expect_grep 'warning: no --witness keys' "$T/err"
expect_rc 0 sp log verify p1 --log-key L/log.vkey --entry m2.sig
expect_rc 0 sp log verify p302 --log-key log.pub -q
[ -s "$T/out" ] && fail "-q printed something"
expect_rc 0 sp log verify p1 --log-key L/log.vkey --json
jq -e '.verified and .index == 1 and .size == 303 and .entry.release == "1.2" and
	.log_signature and .inclusion and .proof_hashes == 9' "$T/out" >/dev/null ||
	fail "verify --json"

echo "tlog_basic: ok"
