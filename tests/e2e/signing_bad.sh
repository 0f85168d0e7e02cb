# verify-sig on hostile envelopes: each case has its exit status and reason.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
cd "$T"

sp key generate -o a.key --no-passphrase -q || fail keygen
sp key generate -o b.key --no-passphrase -q || fail keygen
printf 'payload one\n' >one
printf 'payload two\n' >two
sp sign one --key a.key --time 2026-01-01T00:00:00Z -q || fail sign
sp sign two --key a.key -q || fail sign
sp sign one --key b.key -o one.b.sig --time 2026-01-01T00:00:00Z -q || fail sign
expect_rc 0 sp verify-sig one --pubkey a.key.pub

# Rewrite the envelope with jq.
mutate() {
	jq -c "$1" one.sig >bad.sig
}
b64() { base64 -w0; }

# Tampered payload (still valid base64 and a valid statement).
tampered=$(jq -j .payload one.sig | base64 -d | sed 's/"release"/"update"/' | b64)
mutate ".payload = \"$tampered\""
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'threshold not met: 0 of 1 required valid signatures \(1 bad signature\)' "$T/err"

# The file changed after signing.
cp one changed && printf 'x' >>changed
expect_rc 1 sp verify-sig changed --sig one.sig --pubkey a.key.pub
expect_grep "digest mismatch: the file's sha256 is [0-9a-f]{64} but the signature covers" "$T/err"

# Signature swapped in from another envelope of the same key.
mutate ".signatures = $(jq -c .signatures two.sig)"
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep '1 bad signature' "$T/err"

# Wrong key / unknown key id.
expect_rc 1 sp verify-sig one --pubkey b.key.pub
expect_grep '0 of 1 required valid signatures \(1 signature by a wrong key \(not trusted\)\)' "$T/err"
expect_grep "hint: no signature is by a trusted key; the first is by key '$(sp key show -q a.key.pub)'" "$T/err"
# A keyid that lies: b's signature labelled with a's key id.
mutate ".signatures = [$(jq -c .signatures[0] one.b.sig) | .keyid = \"$(sp key show -q a.key.pub)\"]"
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep '1 bad signature' "$T/err"

# The same key's signature twice counts once toward a threshold.
mutate '.signatures = [.signatures[0], .signatures[0]]'
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub --pubkey b.key.pub --threshold 2
expect_grep '1 of 2 required valid signatures \(1 duplicate signature \(counted once\)\)' "$T/err"
# ... also with the keyid removed (the verifier tries every key).
mutate '.signatures = [.signatures[0], (.signatures[0] | del(.keyid))]'
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub --pubkey b.key.pub --threshold 2
expect_grep '1 of 2 required' "$T/err"
expect_grep 'duplicate' "$T/err"
# Two different keys do meet it.
jq -c --argjson s "$(jq -c .signatures one.b.sig)" '.signatures += $s' one.sig >two-keys.sig
expect_rc 0 sp verify-sig one --sig two-keys.sig --pubkey a.key.pub --pubkey b.key.pub --threshold 2

# No signatures.
mutate '.signatures = []'
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'signature check: no signatures' "$T/err"

# Wrong payload type.
mutate '.payloadType = "application/json"'
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep "wrong payload type 'application/json' \(expected 'application/vnd.in-toto\+json'\)" "$T/err"

# Malformed envelopes: exit 3, the file named.
head -c 100 one.sig >bad.sig
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep "error: 'bad.sig': the envelope is not valid JSON" "$T/err"
: >bad.sig
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'not valid JSON' "$T/err"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >bad.sig
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep "'bad.sig' is larger than the limit of 4194304 bytes" "$T/err"
mutate '.payload = "not base64!"'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'the envelope payload is not canonical base64' "$T/err"
mutate '.payload = "QR=="'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'not canonical base64' "$T/err"
mutate '.payload = (.payload | gsub("="; ""))'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'not canonical base64' "$T/err"
mutate '.signatures[0].sig = "AAAA*AAA"'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'signature 1 is not canonical base64' "$T/err"
mutate ".signatures[0].sig = \"$(head -c 1100 /dev/zero | b64)\""
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'signature 1 is larger than 1024 bytes' "$T/err"
mutate '.signatures[0].keyid = "ABC"'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'keyid that is not 64 lower-case hex' "$T/err"
# Duplicate keys: the second payloadType must not win silently.
sed 's/^{/{"payloadType":"text\/plain",/' one.sig >bad.sig
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'duplicate object key' "$T/err"
mutate '.extra = 1'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep "the envelope has an unknown member 'extra'" "$T/err"
mutate '.signatures = [range(65) as $i | .signatures[0]]'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'the envelope has 65 signatures; the limit is 64' "$T/err"
mutate '.signatures = {}'
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep "array 'signatures'" "$T/err"
# A duplicate key inside the signed statement, validly signed (openssl
# over the PAE bytes): refused as input (exit 3), not read either way. The
# same statement without the duplicate, signed the same way, verifies, so
# only the duplicate is wrong.
sha=$(sha256sum one | cut -c1-64)
type=application/vnd.in-toto+json
st='{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"one","digest":{"sha256":"'$sha'"}}],"predicateType":"https://srcproof.dev/signature/v1","predicate":{"role":"release","signed_at":"2026-01-01T00:00:00Z"}}'
openssl_env() { # openssl_env STATEMENT OUT
	printf '%s' "$1" >body
	{ printf 'DSSEv1 %d %s %d ' ${#type} "$type" "$(stat -c %s body)"; cat body; } >pae
	openssl pkeyutl -sign -inkey a.key -rawin -in pae -out s.bin || fail "openssl pkeyutl -sign"
	jq -nc --arg p "$(b64 <body)" --arg s "$(b64 <s.bin)" --arg k "$(sp key show -q a.key.pub)" --arg t "$type" \
		'{payloadType: $t, payload: $p, signatures: [{keyid: $k, sig: $s}]}' >"$2"
}
openssl_env "$st" good-openssl.sig
expect_rc 0 sp verify-sig one --sig good-openssl.sig --pubkey a.key.pub
# The statement with a second "predicate" (role update) after the first.
openssl_env "${st%?}"',"predicate":{"role":"update","signed_at":"2026-01-01T00:00:00Z"}}' dup.sig
jq -j .payload dup.sig | base64 -d | grep -o '"predicate"' | wc -l | grep -qx 2 || fail "no duplicate in the statement"
expect_rc 3 sp verify-sig one --sig dup.sig --pubkey a.key.pub
expect_grep 'the statement is not valid JSON: duplicate object key near ."predicate"' "$T/err"
expect_no_grep 'verified|OK' "$T/out"
# A payload that is not a statement.
mutate ".payload = \"$(printf '[1,2]' | b64)\""
expect_rc 3 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_grep 'the statement is not a JSON object' "$T/err"
# Untrusted text from the envelope is escaped.
mutate ".payloadType = \"evil$(printf '\\u001b')[31m\""
expect_rc 1 sp verify-sig one --sig bad.sig --pubkey a.key.pub
expect_no_grep "$(printf '\033')" "$T/err"
expect_grep 'evil\\x1b\[31m' "$T/err"
expect_rc 3 sp verify-sig one --sig missing.sig --pubkey a.key.pub
expect_grep "'missing.sig' does not exist" "$T/err"
echo "signing_bad: ok"
