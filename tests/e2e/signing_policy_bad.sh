# Malformed and tampered trust policies: exit 1 for bad signatures, exit 3
# with the reason for anything that does not parse.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

for k in r1 r2 rel1; do
	sp key generate -o $k.key --no-passphrase -q || fail "keygen $k"
done
sp policy create -o p1.json --expires 2030-01-01 -q || fail create
sp policy add-key p1.json r1.key.pub --roles root -q || fail add-key
sp policy add-key p1.json rel1.key.pub --roles release -q || fail add-key
sp policy add-key p1.json r2.key.pub --roles root,release -q || fail add-key
sp policy set-threshold p1.json release 2 -q || fail set-threshold
sp policy sign p1.json --key r1.key -q || fail sign
sp policy sign p1.json --key r2.key -q || fail sign
sp policy sign p1.json --key rel1.key -q || fail sign
expect_rc 0 sp policy verify p1.json --at 2026-02-01
printf 'x' >m
sp sign m --key rel1.key -q || fail "sign m"

# Tampered policy body: the root signatures no longer verify.
body=$(jq -j .payload p1.json | base64 -d | sed 's/"threshold":2/"threshold":1/g' | base64 -w0)
jq --arg b "$body" '.payload = $b' p1.json >p1-tampered.json
expect_rc 1 sp policy verify p1-tampered.json --at 2026-02-01
expect_grep '0 of 1 required valid signatures \(2 bad signatures, 1 signature by a wrong key \(not trusted\)\)' "$T/err"

# Malformed policies: exit 3 with the reason.
bad_body() {
	jq -j .payload p1.json | base64 -d | jq "$1" | base64 -w0 >body.b64
	jq --rawfile b body.b64 '.payload = $b' p1.json >bad.json
}
bad_body '.version = 0'
expect_rc 3 sp policy verify bad.json
expect_grep "policy 'bad.json': the policy needs an integer version >= 1" "$T/err"
bad_body '.keys[0].id = "'"$(printf '%064d' 0)"'"'
expect_rc 3 sp policy verify bad.json
expect_grep 'is not the sha256 of its public key' "$T/err"
bad_body '.keys[0].algorithm = "rsa-3072"'
expect_rc 3 sp policy verify bad.json
expect_grep "algorithm 'rsa-3072' does not match the key" "$T/err"
bad_body '.roles.release.keyids |= .[1:]'
expect_rc 3 sp policy verify bad.json
expect_grep "role 'release': keyids do not list exactly the keys" "$T/err"
bad_body '.keys |= reverse'
expect_rc 3 sp policy verify bad.json
expect_grep 'not sorted by id' "$T/err"
bad_body '.expires = "tomorrow"'
expect_rc 3 sp policy verify bad.json
expect_grep "the policy's expires is not a UTC time" "$T/err"
bad_body '.roles.boss = {"threshold": 1, "keyids": []}'
expect_rc 3 sp policy verify bad.json
expect_grep 'unknown role' "$T/err"
bad_body 'del(.root)'
expect_rc 3 sp policy verify bad.json
expect_grep "the policy has no 'root'" "$T/err"
printf '{"_type":"https://srcproof.dev/policy/v1","version":1,"version":2}' | base64 -w0 >body.b64
jq --rawfile b body.b64 '.payload = $b' p1.json >bad.json
expect_rc 3 sp policy verify bad.json
expect_grep 'duplicate object key' "$T/err"
expect_rc 3 sp policy verify m.sig
expect_grep "not a policy: payload type 'application/vnd.in-toto\+json'" "$T/err"

# Keys that sign or cosign log checkpoints (roles log, witness) are
# Ed25519: add-key refuses another key, and a policy naming one does not
# parse.
sp key generate -o ec.key -a ecdsa-p256 --no-passphrase -q || fail "keygen ec"
expect_rc 2 sp policy add-key p1.json ec.key.pub --roles log
expect_grep "is not Ed25519 \(ecdsa-p256\): role 'log' signs log checkpoints" "$T/err"
expect_rc 2 sp policy add-key p1.json ec.key.pub --roles release,witness
expect_grep "role 'witness' signs log checkpoints" "$T/err"
sp policy add-key p1.json ec.key.pub --roles release -q || fail "add ec"
sp policy sign p1.json --key r1.key -q || fail sign
ecid=$(jq -j .payload p1.json | base64 -d | jq -r '.keys[] | select(.algorithm == "ecdsa-p256") | .id')
bad_body '(.keys[] | select(.algorithm == "ecdsa-p256") | .roles) += ["log"] |
	.roles.log = {"threshold": 1, "keyids": ["'"$ecid"'"]}'
expect_rc 3 sp policy verify bad.json
expect_grep "policy key '$ecid' has role 'log' but is not Ed25519 \(ecdsa-p256\)" "$T/err"
echo "signing_policy_bad: ok"
