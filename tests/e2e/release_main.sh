# srcproof release, main paths (short: also run under valgrind): a release
# from a git tag and an update from a directory, each signed 2-of-3 (one key
# with its passphrase in a variable the config names, one read from a
# descriptor), logged, packed (the update encrypted to a reviewer); the
# output checked with standard tools and by srcproof verify.
# valgrind: yes
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
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout rk -out rc -subj /CN=reviewer -days 30 2>/dev/null || fail "openssl req"
mkdir out

# Release 1.0 from the tag, recipe given, k1 and k3 (passphrase in $K3_PASS).
cat >rel-1.0.json <<'EOF'
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "1.0",
  "source": {"git": "src", "ref": "v1.0"},
  "keys": [{"key": "k1"}, {"key": "k3", "passphrase_env": "K3_PASS"}],
  "policy": "policy-nowit.json",
  "recipe": {"file": "r.json"},
  "binaries": "bins",
  "log": {"dir": "log"},
  "output": "out/1.0"
}
EOF
export K3_PASS=p3
expect_rc 0 sp release --config rel-1.0.json --time "$T0"
expect_grep '^released avscan 1.0 \(release\) into out/1.0$' "$T/out"
expect_grep '^  signatures  manifest.sig  2 for role release, 2 required by policy version 1$' "$T/out"
expect_grep '^  log         manifest.tlog-proof  entry 0 of example.com/log \(tree size 1\)$' "$T/out"
[ "$(ls out)" = "1.0" ] || fail "output: $(ls out)"
[ "$(ls out/1.0 | tr '\n' ' ')" = "bundle.tar.zst manifest manifest.sig manifest.tlog-proof recipe.json release.json " ] ||
	fail "out/1.0: $(ls out/1.0)"

# Standard tools: the digests in release.json, the bundle's members.
(cd out/1.0 && jq -r '"\(.bundle_sha256)  \(.bundle)\n\(.manifest_sha256)  \(.manifest)"' \
	release.json | sha256sum --strict -c -) >/dev/null || fail "release.json digests"
jq -e '.schema == "srcproof.release/v1" and .signatures == 2 and
	.policy.threshold == 2 and .log.index == 0 and .recipe_recorded == false and
	.signed_at == "2026-06-01T00:00:00Z" and (.keyids | length) == 2' \
	out/1.0/release.json >/dev/null || fail "release.json"
tar --zstd -xOf out/1.0/bundle.tar.zst srcproof-bundle/manifest | cmp -s - out/1.0/manifest ||
	fail "the bundle's manifest"
tar --zstd -xOf out/1.0/bundle.tar.zst srcproof-bundle/proofs/manifest.tlog-proof |
	cmp -s - out/1.0/manifest.tlog-proof || fail "the bundle's proof"
cmp -s r.json out/1.0/recipe.json || fail "the recipe is not the given one"
# The manifest of the tag equals the one of the work tree.
spx manifest check out/1.0/manifest src -q || fail "manifest vs work tree"

expect_rc 0 sp verify out/1.0/bundle.tar.zst --policy policy-nowit.json \
	--log-key log/log.vkey --rebuild --shipped bins
expect_grep '^  signature +PASS +2 of 2 required .release. signatures' "$T/out"
expect_grep '^  log-proof +PASS ' "$T/out"
expect_grep '^  rebuild +PASS +IDENTICAL' "$T/out"
expect_grep '^result: PASS' "$T/out"

# Update 1.1 from the directory: k2 and k3 (its passphrase from a
# descriptor), recipe recorded, gzip, encrypted to the reviewer.
printf 'Demo.Rule.B:cafe\n' >>src/data/rules.db
cat src/main.c src/data/rules.db >bins/prog
unset K3_PASS
cat >rel-1.1.json <<'EOF'
{
  "format": "srcproof-release-config v1",
  "product": "avscan",
  "release": "1.1",
  "kind": "update",
  "previous": "out/1.0/manifest",
  "source": {"dir": "src"},
  "keys": [{"key": "k2"}, {"key": "k3"}],
  "policy": "policy-nowit.json",
  "recipe": {"command": ["sh", "build.sh"], "outputs": ["out/prog"],
             "source_date_epoch": 1700000000, "no_versions": true},
  "binaries": "bins",
  "log": {"dir": "log"},
  "recipients": ["rc"],
  "compression": "gzip"
}
EOF
# Recording looks up the toolchain on PATH: only tools/sh, to stay quick.
PATH=$D/tools expect_rc 0 "$SRCPROOF" release --config rel-1.1.json \
	-o out/1.1 --passphrase-fd 3 --json 3<<<p3
jq -e '.kind == "update" and .role == "update" and .encrypted and
	.recipients == 1 and .bundle == "bundle.cms" and .log.index == 1 and
	.recipe_recorded and .output == "out/1.1" and
	.previous_sha256 == "'"$(sha256sum out/1.0/manifest | cut -d' ' -f1)"'"' \
	"$T/out" >/dev/null || fail "release --json: $(cat "$T/out")"
openssl cms -decrypt -binary -inform DER -in out/1.1/bundle.cms -recip rc \
	-inkey rk | tar -tzf - | grep -qx 'srcproof-bundle/INDEX' ||
	fail "openssl cannot open the update"
expect_rc 0 sp verify out/1.1/bundle.cms --key rk --policy policy-nowit.json \
	--log-key log/log.vkey --previous out/1.0/bundle.tar.zst --rebuild --shipped bins
expect_grep '^  update-chain +PASS +links to the previous manifest .*signing times in order$' "$T/out"
expect_grep '^  decryption +PASS ' "$T/out"
expect_grep '^result: PASS' "$T/out"
[ "$(ls out | tr '\n' ' ')" = "1.0 1.1 " ] || fail "leftovers in out: $(ls out)"
echo "release_main: ok"
