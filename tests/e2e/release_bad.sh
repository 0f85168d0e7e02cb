# srcproof release failures: each exits with its documented status and
# leaves no output directory (and no temporary one next to it); those
# before the log append leave the log untouched. Also: a failure after the
# append (injected) publishes nothing and says the entry is in the log; and
# every step of the run, failed in turn (SRCPROOF_TEST_RELEASE_FAIL), gives
# what docs/spec/release-config.md section 8.3 promises.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
D=$T/d
mkdir -p "$D"
verify_keys "$D"
verify_product "$D"
cd "$D"
spx log init log --key logk --origin example.com/log -q || fail "log init"
git -C src init -q && git -C src add -A &&
	git -C src -c user.name=t -c user.email=t@example.com commit -qm 1.0 &&
	git -C src tag v1.0 || fail "git"
mkdir out
cat >base.json <<'EOF'
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "1.0",
  "source": {"git": "src", "ref": "v1.0"},
  "keys": [{"key": "k1"}, {"key": "k3", "passphrase_env": "K3_PASS"}],
  "policy": "policy-nowit.json",
  "recipe": {"file": "r.json"},
  "binaries": "bins",
  "log": {"dir": "log"}
}
EOF
export K3_PASS=p3
log_state() {
	sha256sum log/checkpoint | cut -d' ' -f1
}
LOG0=$(log_state)

# Run the release with config $1, expect exit $2 and stderr matching $3,
# then check that nothing was published nor left behind.
refused() {
	local cfg=$1 rc=$2 msg=$3
	shift 3
	expect_rc "$rc" sp release --config "$cfg" -o out/x "$@"
	expect_grep "$msg" "$T/err"
	[ ! -e out/x ] || fail "$cfg: out/x exists"
	[ -z "$(ls out)" ] || fail "$cfg: left in out: $(ls out)"
}
mutate() {
	jq "$1" base.json >"$2" || fail "jq $1"
}

# ---- configuration errors: 2 ----
mutate '. + {"sigining": 1}' c.json
refused c.json 2 "config 'c.json': unknown member 'sigining' in the top level"
mutate '.keys[0] += {"passphrase": "hunter2"}' c.json
refused c.json 2 "unknown member 'passphrase' in 'keys' item 1"
printf '{"format": "srcproof-release-config v1", "product": "a", "product": "b"}\n' >c.json
refused c.json 2 "config 'c.json': duplicate object key near '\"product\"' \(line 1"
mutate '.format = "srcproof-release-config v2"' c.json
refused c.json 2 "'format' must be \"srcproof-release-config v1\""
mutate '.keys[1].passphrase_env = "p3 is the passphrase"' c.json
refused c.json 2 "'passphrase_env' in 'keys' item 2 must name an environment variable"
mutate '.kind = "update"' c.json
refused c.json 2 "an update needs 'previous'"
mutate '.keys = []' c.json
refused c.json 2 "'keys' must be an array of 1 to"
mutate '.source = {"archive": "src.tar"}' c.json
refused c.json 2 "'archive' in 'source' needs 'dir'"
printf '[1, 2' >c.json
refused c.json 2 "config 'c.json': .*line 1"
expect_rc 2 sp release -o out/x
expect_grep 'missing --config FILE' "$T/err"
expect_rc 2 sp release --config base.json
expect_grep 'no output directory' "$T/err"
refused missing.json 3 "missing.json"

# ---- keys ----
mutate '.keys[0].key = "nokey"' c.json
refused c.json 3 "'nokey' does not exist"
K3_PASS=wrong refused base.json 1 "wrong passphrase"
(
	unset K3_PASS
	refused base.json 2 "needs its passphrase or PIN in \\\$K3_PASS \(passphrase_env\), which is not set"
) || exit 1
mutate 'del(.keys[1].passphrase_env)' c.json
(
	unset K3_PASS SRCPROOF_PASSPHRASE
	refused c.json 2 "key '.*k3' needs a passphrase or PIN and release never prompts"
) || exit 1
# One key of the two the policy requires.
mutate '.keys = [{"key": "k1"}]' c.json
refused c.json 1 "threshold not met: 1 of 2 required"
expect_grep 'nothing was logged or published' "$T/err"

# The policy is for product avscan: another product is refused before
# anything is signed (verify would refuse it: mix-and-match).
mutate '.product = "other"' c.json
refused c.json 1 "mix-and-match: the release is for product 'other' but the policy '.*policy-nowit.json' is for product 'avscan'"

# ---- source, log, output ----
# An untracked file in the work tree: it does not match the tag.
printf 'stray\n' >src/stray.txt
refused base.json 1 "does not match manifest"
rm src/stray.txt
mutate '.log.dir = "nolog"' c.json
refused c.json 3 "log directory '.*nolog' does not exist"
mutate '.source = {"dir": "nosrc"}' c.json
refused c.json 3 "source directory '.*nosrc' does not exist"
mkdir out/x
expect_rc 3 sp release --config base.json -o out/x
expect_grep "output directory 'out/x' exists" "$T/err"
rmdir out/x
expect_rc 3 sp release --config base.json -o nodir/x
expect_grep "the parent of output directory 'nodir/x' is not a directory" "$T/err"
[ "$(log_state)" = "$LOG0" ] || fail "a refused release changed the log"

# The rest injects failures through SRCPROOF_TEST_RELEASE_FAIL, a hook
# compiled only with SP_TEST_HOOKS (Debug and Sanitize builds).
if [ "${SP_TEST_HOOKS:-1}" = 0 ]; then
	echo "note: built without SP_TEST_HOOKS: no injected step failures"
	echo "release_bad: ok"
	exit 0
fi

# ---- after the append: nothing published, the entry stays ----
# Signing times one second apart, whatever the clock does.
now=$(date +%s)
SRCPROOF_TEST_RELEASE_FAIL=repack refused base.json 3 "release step 'repack' failed" \
	--time "@$now"
expect_grep 'hint: the signed manifest \(sha256 [0-9a-f]{64}, signed .*\) is already entry 0 of the log' "$T/err"
[ "$(log_state)" != "$LOG0" ] || fail "the log did not grow"
LOG1=$(log_state)
# The same statement again (same signing time): the log refuses to hold it
# twice, so the release proves the entry it holds.
expect_rc 0 sp release --config base.json -o out/same --time "@$now"
expect_grep '^  log         manifest.tlog-proof  entry 0 of example.com/log \(tree size 1\)$' "$T/out"
[ "$(log_state)" = "$LOG1" ] || fail "the same statement was logged twice"
rm -rf out/same
# A new run publishes, with a new entry for a new signature of the same
# manifest.
expect_rc 0 sp release --config base.json -o out/x --time "@$((now + 1))"
expect_grep '^  log         manifest.tlog-proof  entry 1 of example.com/log \(tree size 2\)$' "$T/out"
rm -rf out/x

# ---- every step of the run fails in turn (SRCPROOF_TEST_RELEASE_FAIL) ----
# The steps are those docs/spec/release-config.md section 8 names, and the
# code has a hook for each of them and no other. With a witness command,
# so that the witness step runs too.
spec_steps=$(sed -n '/^## 8\. The run/,/^### 8\.1/p' "$SP_SOURCE_DIR/docs/spec/release-config.md" |
	grep -o '\[`[a-z-]*`\]' | tr -d '[]`')
code_steps=$(grep -ho 'step(&\{0,1\}r, "[a-z-]*")' "$SP_SOURCE_DIR"/release/*.c |
	sed 's/.*"\(.*\)")/\1/')
[ "$(echo "$spec_steps" | sort | tr '\n' ' ')" = "$(echo "$code_steps" | sort | tr '\n' ' ')" ] ||
	fail "the spec's steps ($(echo $spec_steps)) are not the code's ($(echo $code_steps))"
[ "$(echo $spec_steps)" = "check keys manifest sign recipe pack log-append witness log-prove repack publish" ] ||
	fail "the spec's steps changed: $(echo $spec_steps); update this test"
mkdir "$T/wst"
cat >cosign.sh <<EOF
#!/bin/sh
set -eu
st=\$(mktemp -d "$T/wst/XXXXXX")
"$SRCPROOF" log cosign "\$SRCPROOF_CHECKPOINT" --key w1 --name w1.example --state "\$st/state" \\
	--log-key log/log.vkey -o "\$SRCPROOF_COSIGNED" -q
EOF
jq '.policy = "policy.json" |
	.log += {"witness_command": ["sh", "cosign.sh"], "witnesses": ["w1.vkey"], "quorum": 1}' \
	base.json >wit.json || fail "jq wit.json"
log_digest() {
	find log -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}
log_size() {
	sed -n 2p log/checkpoint
}
# Everything in the configuration's directory but the log: a failed run
# leaves nothing there either (no temporary directory, request or answer).
others() {
	find . -path ./log -prune -o -print | sort
}
OTHERS=$(others)
appended=false i=0
for st in $spec_steps; do
	i=$((i + 1))
	[ "$st" = log-append ] || [ "$st" = check ] || [ "$st" = keys ] ||
		[ "$st" = manifest ] || [ "$st" = sign ] || [ "$st" = recipe ] ||
		[ "$st" = pack ] || appended=true
	before=$(log_digest)
	size=$(log_size)
	SRCPROOF_TEST_RELEASE_FAIL=$st refused wit.json 3 \
		"^srcproof: error: release step '$st' failed \(test hook\)$" --time "@$((now + 10 + i))"
	[ "$(others)" = "$OTHERS" ] || fail "step $st: left behind: $(diff <(echo "$OTHERS") <(others))"
	if ! $appended; then
		# Before the log append (the append's own hook included): the
		# log is byte for byte as it was.
		[ "$(log_digest)" = "$before" ] || fail "step $st: the log changed"
		expect_no_grep 'already entry' "$T/err"
	else
		# At or after the witness step: the log keeps the entry, and the
		# hint names it.
		[ "$(log_size)" = $((size + 1)) ] || fail "step $st: log size $(log_size), was $size"
		expect_grep "hint: the signed manifest \(sha256 [0-9a-f]{64}, signed .*\) is already entry $size of the log" "$T/err"
		expect_no_grep 'nothing was logged' "$T/err"
		if [ "$st" = witness ]; then
			[ "$(grep -c '^— w1\.example ' log/checkpoint)" = 0 ] ||
				fail "step witness: the witness cosigned"
		else
			# The witness ran before: its cosignature stays in the log.
			[ "$(grep -c '^— w1\.example ' log/checkpoint)" = 1 ] ||
				fail "step $st: no cosignature in the log: $(cat log/checkpoint)"
		fi
	fi
done
[ "$i" = 11 ] || fail "$i steps failed, not 11"
# And the same configuration, without a failure, publishes.
expect_rc 0 sp release --config wit.json -o out/x --time "@$((now + 30))"
expect_grep '^  witnesses   1 cosigned the checkpoint, quorum 1$' "$T/out"
echo "release_bad: ok"
