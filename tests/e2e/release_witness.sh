# srcproof release with witnesses (log.witness_command): the witnesses
# cosign the checkpoint holding the new entry before the proof is taken, so
# the bundle's proof meets the quorum offline. Refusals: a failing, silent,
# slow or missing command, a cosignature from a key not configured, a
# quorum not met, bad configurations; each publishes nothing.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
cd "$D"
spx log init log --key logk --origin example.com/log -q || fail "log init"
spx key generate -o w2 --no-passphrase -q || fail "w2"
spx log vkey --key w2 --name w2.example --cosignature >w2.vkey || fail "w2.vkey"
mkdir out

# witness.sh KEY NAME: a local witness that keeps its state in KEY.state.
cat >witness.sh <<EOF
#!/bin/sh
set -eu
key=\$1 name=\$2
req=\$(mktemp)
if [ -f "\$key.last" ]; then
	"$SRCPROOF" log consistency "\$SRCPROOF_LOG_DIR" "\$key.last" -o "\$req.c" -q
	mv "\$req.c" "\$req"
else
	cp "\$SRCPROOF_CHECKPOINT" "\$req"
fi
"$SRCPROOF" log cosign "\$req" --key "\$key" --name "\$name" --state "\$key.state" \\
	--log-key log/log.vkey -o "\$SRCPROOF_COSIGNED" -q
cp "\$SRCPROOF_CHECKPOINT" "\$key.last"
rm -f "\$req"
echo "witness \$name cosigned" >&2
# The passphrase variables never reach the witness command.
env | grep -E '^(SRCPROOF_PASSPHRASE|K3_PASS)=' >&2 && echo "witness saw a secret" >&2 || :
EOF
cat >base.json <<'EOF'
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "1.0",
  "source": {"dir": "src"},
  "keys": [{"key": "k1"}, {"key": "k3", "passphrase_env": "K3_PASS"}],
  "policy": "policy.json",
  "recipe": {"file": "r.json"},
  "binaries": "bins",
  "log": {"dir": "log", "witness_command": ["sh", "witness.sh", "w1", "w1.example"],
          "witnesses": ["w1.vkey"]}
}
EOF
mutate() {
	jq "$1" base.json >"$2" || fail "jq $1"
}
log_size() {
	sed -n 2p log/checkpoint
}

# ---- the quorum met: the bundle's proof carries the cosignature ----
SRCPROOF_PASSPHRASE=unused K3_PASS=p3 expect_rc 0 sp release --config base.json -o out/1.0 --time "$T0"
expect_no_grep 'witness saw a secret|SRCPROOF_PASSPHRASE|K3_PASS' "$T/err"
export K3_PASS=p3
expect_grep '^  witnesses   1 cosigned the checkpoint, quorum 1$' "$T/out"
expect_grep '^witness w1.example cosigned$' "$T/err"
# The witness step's request and answer are not published.
[ "$(ls out/1.0 | tr '\n' ' ')" = "bundle.tar.zst manifest manifest.sig manifest.tlog-proof recipe.json release.json " ] ||
	fail "out/1.0: $(ls out/1.0)"
jq -e '.log.witnesses == {"cosigned": 1, "quorum": 1} and .log.index == 0' \
	out/1.0/release.json >/dev/null || fail "release.json: $(cat out/1.0/release.json)"
expect_rc 0 sp log verify out/1.0/manifest.tlog-proof --log-key log/log.vkey \
	--witness w1.vkey --quorum 1 --entry out/1.0/manifest.sig
expect_grep '^witnesses: 1 of 1 trusted cosigned \(quorum 1\): w1.example' "$T/out"
tar --zstd -xOf out/1.0/bundle.tar.zst srcproof-bundle/proofs/manifest.tlog-proof |
	cmp -s - out/1.0/manifest.tlog-proof || fail "the bundle's proof"
# The policy names w1 as a witness: verify needs nothing more.
expect_rc 0 sp verify out/1.0/bundle.tar.zst --policy policy.json \
	--log-key log/log.vkey
expect_grep '^  witnesses +PASS +manifest.tlog-proof: 1 of the 1 required' "$T/out"
# The log's own checkpoint now carries the cosignature too.
[ "$(grep -c 'w1.example' log/checkpoint)" = 1 ] || fail "checkpoint: $(cat log/checkpoint)"

# Two witnesses, quorum 2, a script that asks both.
cat >both.sh <<'EOF'
#!/bin/sh
set -eu
out=$SRCPROOF_COSIGNED
SRCPROOF_COSIGNED=$out.1 sh witness.sh w1 w1.example
SRCPROOF_COSIGNED=$out.2 sh witness.sh w2 w2.example
# One note: the body and every signature line, once.
{ sed -n "1,/^\$/p" "$out.1"; for f in "$out.1" "$out.2"; do sed "1,/^\$/d" "$f"; done | sort -u; } >"$out"
EOF
mutate '.release = "1.1" | .log.witness_command = ["sh", "both.sh"] |
	.log.witnesses = ["w1.vkey", "w2.vkey"] | .log.quorum = 2' two.json
expect_rc 0 sp release --config two.json -o out/1.1 --json
jq -e '.log.witnesses == {"cosigned": 2, "quorum": 2}' "$T/out" >/dev/null ||
	fail "release --json: $(cat "$T/out")"
expect_rc 0 sp log verify out/1.1/manifest.tlog-proof --log-key log/log.vkey \
	--witness w1.vkey --witness w2.vkey --quorum 2

# ---- refusals: nothing published; the entry stays in the log ----
# Each run signs at its own second: the log holds a statement only once,
# and a run at the same second as the last would prove its entry instead.
tick=$(($(date +%s) - 1000))
refused() {
	local cfg=$1 rc=$2 msg=$3 before
	before=$(log_size)
	tick=$((tick + 1))
	expect_rc "$rc" sp release --config "$cfg" -o out/x --time "@$tick"
	expect_grep "$msg" "$T/err"
	[ ! -e out/x ] || fail "$cfg: out/x exists"
	[ "$(ls out | tr '\n' ' ')" = "1.0 1.1 " ] || fail "$cfg: left in out: $(ls out)"
	[ "$(log_size)" = $((before + 1)) ] || fail "$cfg: the log did not grow by one"
	expect_grep 'hint: the signed manifest .* is already entry [0-9]+ of the log' "$T/err"
}
printf '#!/bin/sh\necho "witness: no" >&2\nexit 4\n' >no.sh
mutate '.log.witness_command = ["sh", "no.sh"]' c.json
refused c.json 1 "error: the witness command 'sh' failed \(exit status 4\)"
expect_grep '^witness: no$' "$T/err"
printf '#!/bin/sh\nexit 0\n' >silent.sh
mutate '.log.witness_command = ["sh", "silent.sh"]' c.json
refused c.json 1 "error: the witness command 'sh' wrote no cosigned checkpoint to .SRCPROOF_COSIGNED"
printf '#!/bin/sh\nsleep 30\n' >slow.sh
mutate '.log.witness_command = ["sh", "slow.sh"] | .log.witness_timeout = 1' c.json
refused c.json 1 "did not finish within 1 s \(killed\)"
mutate '.log.witness_command = ["./no-such-witness"]' c.json
refused c.json 3 "cannot run the witness command './no-such-witness'"
refused c.json 3 "cannot run the witness command './no-such-witness': No such file or directory"
mutate '.log.witness_command = ["no-such-witness-on-path"]' c.json
refused c.json 3 "cannot run the witness command 'no-such-witness-on-path': No such file or directory"
printf '#!/bin/sh\necho "witness stdout"\nkill -USR1 $$\n' >sig.sh
mutate '.log.witness_command = ["sh", "sig.sh"]' c.json
refused c.json 1 "error: the witness command 'sh' was killed by signal 10"
# Its standard output goes to our standard error.
expect_grep '^witness stdout$' "$T/err"
[ ! -s "$T/out" ] || fail "the witness command wrote to our stdout"
# A bare name on a relative PATH entry is found from the configuration's
# directory, where the command runs.
mkdir -p wbin elsewhere
printf '#!/bin/sh\necho "wfail in $(pwd -P)" >&2\nexit 6\n' >wbin/wfail
chmod +x wbin/wfail
mutate '.log.witness_command = ["wfail"]' c.json
tick=$((tick + 1))
(cd elsewhere && PATH="wbin:$PATH" expect_rc 1 sp release --config ../c.json -o ../out/x \
	--time "@$tick") || exit 1
expect_grep "error: the witness command 'wfail' failed \(exit status 6\)" "$T/err"
expect_grep "^wfail in $(pwd -P)\$" "$T/err"
# w2 cosigns, but only w1 is configured: the line is refused.
mutate '.log.witness_command = ["sh", "witness.sh", "w2", "w2.example"]' c.json
refused c.json 1 "error: the witness command's cosigned checkpoint is refused \(trusted: the config's 'witnesses'\): signature line by unknown key 'w2.example'"
# w1 and w2 configured, quorum 2, only w1 asked.
mutate '.log.witnesses = ["w1.vkey", "w2.vkey"] | .log.quorum = 2' c.json
refused c.json 1 "error: witness quorum not met: 1 of the 2 configured witnesses cosigned the checkpoint, 'quorum' is 2"

# ---- configuration errors: 2, and the log untouched ----
bad_config() {
	local cfg=$1 msg=$2 before
	before=$(log_size)
	expect_rc 2 sp release --config "$cfg" -o out/x
	expect_grep "$msg" "$T/err"
	[ "$(log_size)" = "$before" ] || fail "$cfg: the log grew"
	[ ! -e out/x ] || fail "$cfg: out/x exists"
}
mutate 'del(.log.witnesses)' c.json
bad_config c.json "'witness_command' and 'witnesses' in 'log' go together"
mutate '.log.quorum = 2' c.json
bad_config c.json "'quorum' in 'log' is 2, more than the 1 witnesses"
mutate 'del(.log.witness_command) | del(.log.witnesses) | .log.quorum = 1' c.json
bad_config c.json "'quorum' and 'witness_timeout' in 'log' need"
mutate '.log.witness_timeout = 0' c.json
bad_config c.json "'witness_timeout' in 'log' must be an integer from 1 to 86400"
mutate '.log.witness_command = "sh witness.sh"' c.json
bad_config c.json "'witness_command' in 'log' must be an array"
# Witnesses are vkey files; a vkey written in their place is refused
# before anything is logged (and a damaged file too).
mutate ".log.witnesses = [\"$(cat w1.vkey)\"]" c.json
before=$(log_size)
expect_rc 3 sp release --config c.json -o out/x
expect_grep "witness file '.*w1.example\+.*' \(log.witnesses\) does not exist" "$T/err"
expect_grep "hint: 'witnesses' lists files, each holding one witness's vkey" "$T/err"
[ "$(log_size)" = "$before" ] || fail "vkey as witness file: the log grew"
[ ! -e out/x ] || fail "vkey as witness file: out/x exists"
echo "not a vkey" >bad.vkey
mutate '.log.witnesses = ["bad.vkey"]' c.json
expect_rc 3 sp release --config c.json -o out/x
[ "$(log_size)" = "$before" ] || fail "bad witness file: the log grew"
# From another directory: the command runs in the configuration's
# directory and finds $SRCPROOF_CHECKPOINT and $SRCPROOF_COSIGNED there.
mutate '.release = "1.2"' rel-1.2.json
(
	cd "$T" || exit 1
	expect_rc 0 sp release --config d/rel-1.2.json -o d/out/1.2
) || exit 1
[ -f out/1.2/manifest.tlog-proof ] || fail "out/1.2: $(ls out/1.2)"
echo "release_witness: ok"
