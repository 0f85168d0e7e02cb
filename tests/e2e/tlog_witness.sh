# Witnesses and split views: cosigning with consistency proofs, quorums,
# a witness refusing a fork, and 'log verify' reporting equivocation.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
cd "$T"

for k in log w1 w2 w3; do openssl genpkey -algorithm ed25519 -out $k.key 2>/dev/null; done
bash "$F/tlog_entries.sh" 0 5 >e5
bash "$F/tlog_entries.sh" 5 1 >a6
bash "$F/tlog_entries.sh" 100 1 >b6
bash "$F/tlog_entries.sh" 6 3 >a9

expect_rc 0 sp log init A --key log.key --origin example.com/log
expect_rc 0 sp log append A --entries e5
for w in w1 w2 w3; do
	sp log vkey --key $w.key --name $w.example --cosignature >$w.vkey ||
		fail "vkey $w"
done
cosign() { # WITNESS REQUEST OUT
	sp log cosign "$2" --key "$1.key" --name "$1.example" --state "$1.state" \
		--log-key A/log.vkey -o "$3" --time @1700000000
}

# The first checkpoint: witnesses have no state yet and cosign it.
expect_rc 0 sp log checkpoint A -o cp5
expect_rc 0 cosign w1 cp5 cos5.w1
expect_grep "^cosigned 'example.com/log' at size 5 as w1.example" "$T/out"
expect_rc 0 cosign w2 cp5 cos5.w2
jq -e '.logs["example.com/log"].size == 5' w1.state >/dev/null || fail "witness state"
# The C2SP cosignature line: em dash, name, base64 of 4+8+64 bytes.
line=$(grep '^— w1.example ' cos5.w1) || fail "no cosignature line"
[ "$(printf '%s' "${line#— w1.example }" | base64 -d | wc -c)" = 76 ] ||
	fail "cosignature is not key ID + timestamp + Ed25519 signature"
# Merging needs the witness keys; unknown cosigners are refused.
expect_rc 2 sp log checkpoint A --add cos5.w1
expect_rc 1 sp log checkpoint A --add cos5.w2 --witness w1.vkey
expect_grep "signature line by unknown key 'w2.example'" "$T/err"
expect_rc 0 sp log checkpoint A --add cos5.w1 --add cos5.w2 --witness w1.vkey --witness w2.vkey
expect_grep 'added 2 cosignatures' "$T/err"

# A proof carries the cosignatures; quorum counting.
expect_rc 0 sp log prove A 3 -o p3
expect_rc 0 sp log verify p3 --log-key A/log.vkey --witness w1.vkey --witness w2.vkey
expect_grep 'witnesses: 2 of 2 trusted cosigned \(quorum 2\): w1.example at 2023-11-14T22:13:20Z, w2.example' "$T/out"
expect_rc 0 sp log verify p3 --log-key A/log.vkey --witness w1.vkey --witness w3.vkey --quorum 1
# w3 never cosigned: a quorum of 2 over {w1, w3} fails; w2's cosignature
# does not count when w2 is not trusted.
expect_rc 1 sp log verify p3 --log-key A/log.vkey --witness w1.vkey --witness w3.vkey
expect_grep 'witness quorum not met: 1 of the 2 required' "$T/err"
expect_rc 1 sp log verify p3 --log-key A/log.vkey --witness w3.vkey --json
jq -e '(.verified | not) and .cosigned == 0 and .inclusion and (.reason | test("quorum"))' \
	"$T/out" >/dev/null || fail "verify --json on a missed quorum"
expect_rc 2 sp log verify p3 --log-key A/log.vkey --witness w1.vkey --quorum 2
# A PEM witness key needs a name; NAME=PEM works.
openssl pkey -in w1.key -pubout -out w1.pub
expect_rc 0 sp log verify p3 --log-key A/log.vkey --witness w1.example=w1.pub
expect_rc 2 sp log verify p3 --log-key A/log.vkey --witness w1.pub
expect_grep 'PEM key without a key name' "$T/err"
# A forged cosignature (one flipped character) is rejected.
perl -pe 'if (/^\xe2\x80\x94 w1\.example /) {
	substr($_, -20, 1) = substr($_, -20, 1) eq "A" ? "B" : "A" }' p3 >p3.forged
cmp -s p3 p3.forged && fail "the forgery changed nothing"
expect_rc 1 sp log verify p3.forged --log-key A/log.vkey --witness w1.vkey
expect_grep "cosignature by witness 'w1.example' does not verify" "$T/err"

# ---- two forks of one log --------------------------------------------------------
cp -r A B
expect_rc 0 sp log append A --entries a6
expect_rc 0 sp log append B --entries b6
expect_rc 0 sp log checkpoint A -o cpA6
expect_rc 0 sp log checkpoint B -o cpB6
expect_rc 0 sp log prove A 0 -o pA6
# Consistency proofs from the cosigned size 5 exist for both forks ...
expect_rc 0 sp log consistency A cp5 -o reqA
expect_rc 0 sp log consistency B cp5 -o reqB
# ... and w1 cosigns the first fork it sees.
expect_rc 0 cosign w1 reqA cosA6
# A checkpoint of the other fork without a proof: refused.
expect_rc 1 cosign w1 cpB6 x
expect_grep 'refusing to cosign: fork; this witness cosigned another tree of size 6' "$T/err"
# Its request from size 5, with a valid proof from 5: still refused.
expect_rc 1 cosign w1 reqB x
expect_grep 'refusing to cosign: fork; this witness cosigned another tree of size 6' "$T/err"
# B grows; its proof from B's size 6 does not match what w1 cosigned.
expect_rc 0 sp log append B --entries a9
expect_rc 0 sp log consistency B cpB6 -o reqB9
expect_rc 1 cosign w1 reqB9 x
expect_grep 'refusing to cosign: fork; the checkpoint of size 9 is not consistent with the one of size 6' "$T/err"
# A's checkpoint is not a past state of B: the log itself notices.
expect_rc 1 sp log consistency B cpA6 -o x
expect_grep 'fork: the old checkpoint.s tree of size 6 is not a prefix of this log' "$T/err"
# Rollback: w1 will not cosign size 5 again.
expect_rc 1 cosign w1 cp5 x
expect_grep 'rollback' "$T/err"
# Every refusal leaves the witness's state file as it was, and writes no
# output.
cp w1.state w1.state.before
rm -f x
# A larger bare checkpoint of the same fork, without a consistency proof.
expect_rc 0 sp log checkpoint B -o cpB9
expect_rc 1 cosign w2 cpB9 x
expect_grep "refusing to cosign: no consistency proof from size 5, the last checkpoint of 'example.com/log' this witness" "$T/err"
jq -e '.logs["example.com/log"].size == 5' w2.state >/dev/null || fail "w2 state moved"
# A checkpoint of the same origin signed by another log's key.
openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null
expect_rc 0 sp log init O --key other.key --origin example.com/log
expect_rc 0 sp log append O --entries e5
expect_rc 0 sp log append O --entries a6
expect_rc 0 sp log append O --entries a9
expect_rc 1 cosign w1 O/checkpoint x
expect_grep "checkpoint is not signed by log key 'example.com/log\+[0-9a-f]{8}'" "$T/err"
expect_no_grep 'cosigned' "$T/out"
cmp -s w1.state w1.state.before || fail "a refused cosign changed the witness state"
[ -e x ] && fail "a refused cosign wrote its output"
# w1 kept following A.
expect_rc 0 sp log append A --entries a9
expect_rc 0 sp log consistency A cpA6 -o reqA9
expect_rc 0 cosign w1 reqA9 cosA9
# Its state never held B's roots.
jq -e '.logs["example.com/log"].size == 9' w1.state >/dev/null || fail "witness state after A9"
# w2 is still at size 5: a proof from size 6 does not tell it anything.
expect_rc 1 cosign w2 reqA9 x
expect_grep 'the consistency proof starts at size 6 but this witness is at size 5' "$T/err"
expect_rc 0 sp log consistency A cp5 -o reqA9from5
expect_rc 0 cosign w2 reqA9from5 cosA9.w2

# ---- equivocation -----------------------------------------------------------------------
# A proof from fork A and a checkpoint of fork B, both signed by the log,
# both of size 6, with different roots: a split view, exit 1.
expect_rc 0 sp log verify pA6 --log-key A/log.vkey
expect_rc 1 sp log verify pA6 cpB6 --log-key A/log.vkey
expect_grep 'equivocation: log .example.com/log. signed two different trees of size 6' "$T/err"
expect_rc 1 sp log verify pA6 cpB6 --log-key A/log.vkey --json
jq -e '.equivocation and (.verified | not) and (.reason | test("equivocation"))' "$T/out" \
	>/dev/null || fail "verify --json does not report equivocation"
# Two proofs, one from each fork at size 9.
expect_rc 0 sp log prove A 0 -o pA9
expect_rc 0 sp log prove B 0 -o pB9
expect_rc 1 sp log verify pA9 pB9 --log-key A/log.vkey
expect_grep 'signed two different trees of size 9' "$T/err"
# Agreeing checkpoints are fine; a checkpoint by another key is not.
expect_rc 0 sp log verify pA6 cpA6 --log-key A/log.vkey
expect_grep '1 more checkpoint of the log agree' "$T/out"
openssl genpkey -algorithm ed25519 -out fake.key 2>/dev/null
expect_rc 0 sp log init Z --key fake.key --origin example.com/log
expect_rc 1 sp log verify pA6 Z/checkpoint --log-key A/log.vkey
expect_grep "Z/checkpoint': checkpoint is not signed by log key" "$T/err"
# The same with bare checkpoints only (no proof): the first argument may
# be a checkpoint when more follow.
expect_rc 1 sp log verify cpA6 cpB6 --log-key A/log.vkey
expect_grep 'equivocation: log .example.com/log. signed two different trees of size 6 \(roots ' "$T/err"
grep -qF "$(sed -n 3p cpA6)" "$T/err" || fail "equivocation does not name A's root"
grep -qF "$(sed -n 3p cpB6)" "$T/err" || fail "equivocation does not name B's root"
[ "$(sed -n 3p cpA6)" != "$(sed -n 3p cpB6)" ] || fail "the forks have one root"
expect_rc 1 sp log verify cpB6 cpA6 pA6 --log-key A/log.vkey --json
jq -e '.equivocation and (.verified | not) and .mode == "checkpoints" and
	.index == null and (.reason | test("equivocation.*size 6"))' "$T/out" >/dev/null ||
	fail "verify --json of two bare checkpoints"
# Agreeing checkpoints of one size: verified, consistent by equality.
expect_rc 0 sp log verify cpA6 cpA6 --log-key A/log.vkey
expect_grep "^verified: 2 checkpoints of log 'example.com/log' signed by its key \(sizes 6\)$" "$T/out"
expect_grep '^1 more checkpoint of the log agree \(no equivocation\)$' "$T/out"
expect_no_grep 'consistency' "$T/out"
# Different sizes: no equivocation, but consistency is NOT CHECKED (no
# consistency proof), and said so, not passed.
expect_rc 0 sp log checkpoint A -o cpA9
expect_rc 0 sp log verify cp5 cpA6 cpA9 --log-key A/log.vkey
expect_grep '^verified: 3 checkpoints .* \(sizes 5, 6 and 9\)$' "$T/out"
expect_grep '^consistency: NOT CHECKED between sizes 5, 6 and 9 \(no consistency proof' "$T/out"
expect_grep '^witnesses: NOT CHECKED' "$T/out"
expect_rc 0 sp log verify pA6 cp5 --log-key A/log.vkey --json
jq -e '.verified and .mode == "proof" and .consistency == "not checked" and
	.sizes == [5, 6]' "$T/out" >/dev/null || fail "verify --json: consistency not checked"
expect_rc 0 sp log verify pA6 cpA6 --log-key A/log.vkey --json
jq -e '.consistency == "same size" and .sizes == [6]' "$T/out" >/dev/null ||
	fail "verify --json: same size"
# Each checkpoint's signature is checked, the first one's too.
expect_rc 1 sp log verify Z/checkpoint cpA6 --log-key A/log.vkey
expect_grep "Z/checkpoint': checkpoint is not signed by log key" "$T/err"
expect_rc 1 sp log verify cpA6 Z/checkpoint --log-key A/log.vkey
expect_grep "Z/checkpoint': checkpoint is not signed by log key" "$T/err"
# One checkpoint alone is not a proof; --entry needs a proof.
expect_rc 3 sp log verify cpA6 --log-key A/log.vkey
expect_grep "'cpA6' is a checkpoint, not a proof" "$T/err"
echo "tlog_witness: ok"
