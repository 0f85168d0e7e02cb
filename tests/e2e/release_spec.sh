# The example of docs/spec/release-config.md, section 11, as a test vector:
# the configuration is read from the spec (between its markers) and run
# through srcproof release, from another directory (paths resolve against
# the configuration's directory), in a directory laid out as the spec
# says. Checked: the output listing, release.json's digests with
# sha256sum, its members against the spec's example release.json, the
# recorded recipe's environment, and the bundle with srcproof verify.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/verify_setup.sh"
SPEC=$SP_SOURCE_DIR/docs/spec/release-config.md

# The JSON block between <!-- NAME-begin --> and <!-- NAME-end -->.
spec_block() {
	awk -v b="<!-- $1-begin -->" -v e="<!-- $1-end -->" '
		$0 == b { on = 1; next }
		$0 == e { on = 0 }
		on && !/^```/' "$SPEC"
}
spec_block release-config-example >"$T/config.json"
spec_block release-json-example >"$T/example.json"
jq -e . "$T/config.json" >/dev/null || fail "no example configuration in $SPEC"
jq -e . "$T/example.json" >/dev/null || fail "no example release.json in $SPEC"

# Keys and policies (verify_setup.sh), then the layout of section 11.
K=$T/k
W=$T/w
mkdir -p "$K" "$W/keys" "$W/witnesses" "$W/src/data" "$W/bins" "$W/tools" "$W/out"
verify_keys "$K"
cp "$K/k1" "$K/k3" "$W/keys/" && cp "$K/policy.json" "$W/" &&
	cp "$K/w1.vkey" "$W/witnesses/" || fail "copy keys"
(
	cd "$W" || exit 1
	SRCPROOF_PASSPHRASE=logpass spx key generate -o keys/log.key -q &&
		SRCPROOF_PASSPHRASE=logpass spx log init log --key keys/log.key \
			--origin example.com/log -q || exit 1
	openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout keys/auditor.key -out keys/auditor.pem -subj /CN=auditor \
		-days 30 2>/dev/null || exit 1
	printf 'int main(void) { return 0; }\n' >src/main.c
	printf 'Demo.Rule.A:deadbeef\n' >src/data/rules.db
	printf 'mkdir -p out\ncat main.c data/rules.db >out/prog\n' >src/build.sh
	git -C src init -q && git -C src add -A &&
		git -C src -c user.name=t -c user.email=t@example.com commit -qm 1.0 &&
		git -C src tag v1.0 || exit 1
	cat src/main.c src/data/rules.db >bins/prog
	ln -s "$(type -P sh)" tools/sh
) || fail "layout"
# A local witness: w1 cosigns what it is asked to.
cat >"$W/ask-witnesses.sh" <<EOS
#!/bin/sh
exec "$SRCPROOF" log cosign "\$SRCPROOF_CHECKPOINT" --key "$K/w1" \\
	--name w1.example --state "$K/w1.state" \\
	--log-key "\$SRCPROOF_LOG_DIR/log.vkey" -o "\$SRCPROOF_COSIGNED" -q
EOS
cp "$T/config.json" "$W/release.json"

# Run from elsewhere; the recipe's toolchain lookup sees only tools/sh.
cd "$T" || exit 1
expect_rc 0 env K3_PASS=p3 LOG_KEY_PASS=logpass AVSCAN_EDITION=community \
	PATH="$W/tools" "$SRCPROOF" release --config w/release.json --time "$T0"
expect_grep '^released avscan 1.0 \(release\) into w/out/1.0$' "$T/out"
expect_grep '^  witnesses   1 cosigned the checkpoint, quorum 1$' "$T/out"
O=$W/out/1.0
[ "$(ls "$W/out")" = 1.0 ] || fail "out: $(ls "$W/out")"
[ "$(ls "$O" | tr '\n' ' ')" = "bundle.cms manifest manifest.sig manifest.tlog-proof recipe.json release.json " ] ||
	fail "output directory: $(ls "$O")"

# The digests, with standard tools, as section 10 shows.
(cd "$O" && jq -r '"\(.bundle_sha256)  \(.bundle)", "\(.manifest_sha256)  \(.manifest)"' \
	release.json | sha256sum --strict -c -) >/dev/null || fail "release.json digests"
# The same members as the spec's example, at every level.
members() {
	jq -c '[paths | map(if type == "number" then 0 else . end)] | unique' "$1"
}
[ "$(members "$O/release.json")" = "$(members "$T/example.json")" ] ||
	fail "release.json members differ from the spec's example: $(members "$O/release.json")"
# Canonical: sorted keys, two-space indentation, final LF.
jq -S --indent 2 . "$O/release.json" | cmp -s - "$O/release.json" ||
	fail "release.json is not in canonical form"
jq -e --arg t "$T0" '.schema == "srcproof.release/v1" and
	.product == "avscan" and .release == "1.0" and .kind == "release" and
	.role == "release" and .previous_sha256 == null and .files == 3 and
	.signatures == 2 and (.keyids | length) == 2 and .signed_at == $t and
	.policy == {"version": 1, "threshold": 2} and .recipe == "recipe.json" and
	.recipe_recorded and .log.origin == "example.com/log" and .log.index == 0 and
	.log.tree_size == 1 and .log.proof == "manifest.tlog-proof" and
	.log.witnesses == {"cosigned": 1, "quorum": 1} and .bundle == "bundle.cms" and
	.encrypted and .recipients == 1' "$O/release.json" >/dev/null ||
	fail "release.json: $(cat "$O/release.json")"
# The example's deterministic values: the manifest of that tree.
jq -e --slurpfile ex "$T/example.json" '.manifest_sha256 == $ex[0].manifest_sha256 and
	.files == $ex[0].files' "$O/release.json" >/dev/null ||
	fail "the manifest differs from the spec's example"
# The recipe recorded the variable named in "env", and the command.
jq -e '.environment.AVSCAN_EDITION == "community" and
	.command == ["sh", "build.sh"] and .outputs == ["out/prog"] and
	.source_date_epoch == 1700000000' "$O/recipe.json" >/dev/null ||
	fail "recipe.json: $(cat "$O/recipe.json")"

# The auditor opens and verifies it: signatures, log, witness, rebuild.
expect_rc 0 sp verify "$O/bundle.cms" --key "$W/keys/auditor.key" \
	--policy "$W/policy.json" --log-key "$W/log/log.vkey" \
	--rebuild --shipped "$W/bins"
expect_grep '^  decryption +PASS ' "$T/out"
expect_grep "^  signature +PASS +2 of 2 required 'release' signatures" "$T/out"
expect_grep '^  witnesses +PASS +manifest.tlog-proof: 1 of the 1 required' "$T/out"
expect_grep '^  rebuild +PASS +IDENTICAL' "$T/out"
expect_grep '^result: PASS' "$T/out"
echo "release_spec: ok"
