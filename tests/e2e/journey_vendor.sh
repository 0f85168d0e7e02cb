# Journey 1, the vendor's release pipeline, as the README's demo runs it with
# the installed CLI: every output checked with standard tools (sha256sum,
# git, openssl, tar) as well as with srcproof.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/journey_setup.sh"
cd "$T"

# Installed: the binary and a man page for every command it lists.
[ -x "$SPI" ] || fail "srcproof not installed in $PREFIX/bin"
for verb in $("$SPI" --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
	[ -f "$PREFIX/share/man/man1/srcproof-$verb.1" ] ||
		fail "no man page installed for '$verb'"
done
[ -f "$PREFIX/share/man/man1/srcproof.1" ] || fail "srcproof.1 not installed"

expect_grep '^== Journey 1' "$J/demo.log"
for v in 1.0.0 1.0.1 1.0.2; do
	m=$D/avscan-$v/manifest
	# sha256sum checks the manifest against the released source.
	(cd "$D/src-$v" && sha256sum -c --strict --quiet "$m") ||
		fail "sha256sum -c on release $v"
	# The git tree id in the manifest is git's own.
	tree=$(git -C "$D/vendor-repo" rev-parse "v$v^{tree}")
	expect_grep "^# git-tree: $tree\$" "$m"
	# 2-of-3 signatures under the policy, checked with the installed CLI.
	expect_rc 0 spi verify-sig "$m" --sig "$m.sig" --policy "$D/policy.json"
	[ "$(jq '.signatures | length' "$m.sig")" = 2 ] || fail "release $v: not 2 signatures"
	# The log proof verifies offline against the log key and the witness.
	expect_rc 0 spi log verify "$D/avscan-$v/manifest.tlog-proof" --log-key "$D/log/log.vkey" \
		--witness "$D/witness.vkey" --quorum 1
	# The bundle opens with openssl alone, is a plain tar, and its INDEX
	# is sha256sum input.
	openssl cms -decrypt -inform DER -in "$D/avscan-$v/bundle.cms" \
		-recip "$D/keys/reviewer-cms.crt" -inkey "$D/keys/reviewer-cms.key" \
		-out "b-$v.tar.zst" || fail "openssl cms -decrypt of release $v"
	mkdir "x-$v"
	tar --zstd -xf "b-$v.tar.zst" -C "x-$v" || fail "tar of release $v"
	idx=$(find "x-$v" -name INDEX | head -1)
	[ -n "$idx" ] || fail "no INDEX in release $v"
	(cd "$(dirname "$idx")" && sha256sum -c --strict --quiet INDEX) ||
		fail "INDEX of release $v"
done
# The updates went through the one-step pipeline (srcproof release): its
# summary's digests are sha256sum's, and the witness cosigned before the
# proof was taken.
for v in 1.0.1 1.0.2; do
	r=$D/avscan-$v/release.json
	(cd "$D/avscan-$v" && jq -r '"\(.bundle_sha256)  \(.bundle)\n\(.manifest_sha256)  \(.manifest)"' \
		release.json | sha256sum --strict -c --quiet -) || fail "release.json digests of $v"
	jq -e '.schema == "srcproof.release/v1" and .kind == "update" and .encrypted and
		.signatures == 2 and .log.witnesses == {"cosigned": 1, "quorum": 1}' "$r" >/dev/null ||
		fail "release.json of $v: $(cat "$r")"
	jq -e --arg prev "$(sha256sum "$D/avscan-$(case $v in 1.0.1) echo 1.0.0 ;; *) echo 1.0.1 ;; esac)/manifest" | cut -d' ' -f1)" \
		'.previous_sha256 == $prev' "$r" >/dev/null || fail "release.json of $v: previous"
done
expect_grep '^  witnesses   1 cosigned the checkpoint, quorum 1$' "$J/demo.log"
# The updates chain to the release.
expect_rc 0 spi manifest chain "$D/avscan-1.0.0/manifest" "$D/avscan-1.0.1/manifest" \
	"$D/avscan-1.0.2/manifest"
expect_grep "^# previous: sha256:$(sha256sum "$D/avscan-1.0.0/manifest" | cut -d' ' -f1)\$" \
	"$D/avscan-1.0.1/manifest"
# Out of order, the chain is broken.
expect_rc 1 spi manifest chain "$D/avscan-1.0.0/manifest" "$D/avscan-1.0.2/manifest"
# A bundle is deterministic: packing 1.0.0 again gives the same plain bytes.
for i in 1 2; do
	expect_rc 0 spi escrow pack --manifest "$D/avscan-1.0.0/manifest" \
		--sig "$D/avscan-1.0.0/manifest.sig" --source "$D/src-1.0.0" \
		--recipe "$D/avscan-1.0.0/recipe.json" --binaries "$D/shipped-1.0.0" \
		--policy "$D/policy.json" --proof "$D/avscan-1.0.0/manifest.tlog-proof" -o "again-$i.bundle"
done
cmp -s again-1.bundle again-2.bundle || fail "packing twice differs"
echo "journey_vendor: ok"
