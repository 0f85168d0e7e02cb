# escrow pack/list/unpack/verify: layout, standard tools, determinism,
# refusals.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

bash "$SP_SOURCE_DIR/tests/fixtures/escrow_setup.sh" "$T/in" >/dev/null ||
	fail "fixture setup failed"
cd "$T/in"
pack() {
	sp escrow pack --manifest m --sig m.sig --source src --recipe r.json \
		--binaries bins --binary-sigs sigs --policy pol.json "$@"
}

# ---- pack, list --------------------------------------------------------------
expect_rc 0 pack -o "$T/b.tzst"
expect_grep '^wrote ' "$T/out"
expect_grep 'members: +13 \(6 source entries\)' "$T/out"
expect_grep 'mtime: +1700000000' "$T/out"
[ -f "$T/b.tzst" ] || fail "no bundle written"

expect_rc 0 sp escrow list "$T/b.tzst"
sort -c "$T/out" 2>/dev/null && fail "INDEX must be listed last, not sorted"
head -n -1 "$T/out" | LC_ALL=C sort -c || fail "members are not sorted"
tail -n 1 "$T/out" | grep -qx INDEX || fail "INDEX is not the last member"
expect_grep '^source/lib/main-link.c$' "$T/out"
expect_grep '^binaries/SHA256SUMS$' "$T/out"
expect_grep '^binary-sigs/av.exe.p7s$' "$T/out"
expect_rc 0 sp escrow list -l "$T/b.tzst"
expect_grep '^symlink +9  [0-9a-f]{64}  source/lib/main-link.c -> ../main.c$' "$T/out"
expect_grep '^exec +[0-9]+  [0-9a-f]{64}  source/bin/run.sh$' "$T/out"
expect_rc 0 sp escrow list --json "$T/b.tzst"
jq -e '.schema == "srcproof.escrow.list/v1" and (.members | length) == 13 and
	.members[-1].name == "INDEX"' "$T/out" >/dev/null || fail "list --json"

# ---- standard tools: tar, zstd, sha256sum ------------------------------------
tar -tvf "$T/b.tzst" >"$T/tar.txt" || fail "tar -tf cannot read the bundle"
grep -q ' 0/0 ' "$T/tar.txt" || fail "uid/gid are not 0/0"
grep -q '2023-11-14 22:13 srcproof-bundle/manifest$' "$T/tar.txt" ||
	fail "mtime is not SOURCE_DATE_EPOCH from the recipe"
grep -q '^-rwxr-xr-x .*srcproof-bundle/source/bin/run.sh$' "$T/tar.txt" ||
	fail "executable mode not 0755"
grep -q '^-rw-r--r-- .*srcproof-bundle/source/main.c$' "$T/tar.txt" ||
	fail "file mode not 0644"
mkdir "$T/x"
tar -xf "$T/b.tzst" -C "$T/x" || fail "tar -x failed"
(cd "$T/x/srcproof-bundle" && sha256sum --strict -c INDEX >/dev/null) ||
	fail "sha256sum -c INDEX failed after tar -x"
(cd "$T/x/srcproof-bundle/source" && sha256sum --strict -c ../manifest >/dev/null) ||
	fail "sha256sum -c manifest failed in source/"
(cd bins && sha256sum av.exe sub/av.db) | diff - "$T/x/srcproof-bundle/binaries/SHA256SUMS" ||
	fail "binaries/SHA256SUMS differs from sha256sum"
zstd -t -q "$T/b.tzst" || fail "zstd -t failed"
grep -q '^# symlink [0-9a-f]\{64\}  source/lib/main-link.c$' "$T/x/srcproof-bundle/INDEX" ||
	fail "INDEX has no symlink line"
[ "$(head -n 1 "$T/x/srcproof-bundle/INDEX")" = "# srcproof-bundle-index v1" ] ||
	fail "INDEX magic"

# ---- unpack ------------------------------------------------------------------
expect_rc 0 sp escrow unpack "$T/b.tzst" -C "$T/u"
(cd "$T/u" && sha256sum --strict -c INDEX >/dev/null) || fail "unpacked INDEX"
[ -L "$T/u/source/lib/main-link.c" ] || fail "symlink not restored"
[ -x "$T/u/source/bin/run.sh" ] || fail "exec bit not restored"
diff -r "$T/u/source" src || fail "unpacked source differs"
expect_rc 0 sp manifest check "$T/u/manifest" "$T/u/source" -q
expect_rc 3 sp escrow unpack "$T/b.tzst" -C "$T/u"
expect_grep "already exists" "$T/err"
ls -d "$T"/u.unpack-* 2>/dev/null && fail "temporary directory left behind"

# ---- determinism: other directory, mtimes, umask, threads ---------------------
mkdir "$T/other"
cp -r m m.sig r.json pol.json bins sigs "$T/other/"
cp -r src "$T/other/src"
touch -d '2001-02-03 04:05:06' "$T/other/src/main.c" "$T/other/bins/av.exe"
touch -d '2030-01-01' "$T/other/src/lib/a.txt"
chmod 600 "$T/other/src/lib/a.txt"
chmod 700 "$T/other/src/lib"
(cd "$T/other" && umask 077 && pack -q -o "$T/b2.tzst" --threads 1) ||
	fail "second pack failed"
cmp "$T/b.tzst" "$T/b2.tzst" || fail "bundles differ: not deterministic"
expect_rc 0 pack -q -o "$T/b3.tzst" --threads 3
cmp "$T/b.tzst" "$T/b3.tzst" || fail "zstd worker count changed the bytes"
for c in gzip none; do
	expect_rc 0 pack -q -o "$T/b.$c" --compression "$c"
	(cd "$T/other" && umask 022 && pack -q -o "$T/b2.$c" --compression "$c") ||
		fail "pack $c failed"
	cmp "$T/b.$c" "$T/b2.$c" || fail "$c bundles differ"
	tar -tf "$T/b.$c" >/dev/null || fail "tar cannot read the $c bundle"
done
gzip -lv "$T/b.gzip" | grep -q ' 00000000 \| Jan  1 ' || true
[ "$(od -An -tx1 -j4 -N4 "$T/b.gzip" | tr -d ' ')" = 00000000 ] ||
	fail "gzip header carries an mtime"
expect_rc 0 sp escrow verify "$T/b.gzip" -q
expect_rc 0 sp escrow verify "$T/b.none" -q

# SOURCE_DATE_EPOCH: option over recipe; 0 without either.
expect_rc 0 pack -q -o "$T/b4.tzst" --source-date-epoch 2020-01-01
tar -tvf "$T/b4.tzst" | grep -q ' 2020-01-01 00:00 srcproof-bundle/INDEX$' ||
	fail "--source-date-epoch not applied"
expect_rc 0 sp escrow pack -q --manifest m --sig m.sig --source src -o "$T/b5.tzst"
tar -tvf "$T/b5.tzst" | grep -q ' 1970-01-01 00:00 srcproof-bundle/INDEX$' ||
	fail "mtime is not 0 without SOURCE_DATE_EPOCH"
expect_rc 0 sp escrow pack --json --manifest m --sig m.sig --source src -o "$T/b6.tzst"
jq -e '.schema == "srcproof.escrow.pack/v1" and .members == 9 and
	.encrypted == false and (.sha256 | length) == 64' "$T/out" >/dev/null ||
	fail "pack --json"
[ "$(jq -r .sha256 "$T/out")" = "$(sha256sum "$T/b6.tzst" | cut -d' ' -f1)" ] ||
	fail "pack --json sha256 is not the bundle's"

# A SHA256SUMS file instead of a directory: normalised, same bundle.
(cd bins && sha256sum sub/av.db av.exe) >"$T/sums"
expect_rc 0 sp escrow pack -q --manifest m --sig m.sig --source src --recipe r.json \
	--binaries "$T/sums" --binary-sigs sigs --policy pol.json -o "$T/b7.tzst"
cmp "$T/b.tzst" "$T/b7.tzst" || fail "SHA256SUMS input is not normalised"

# ---- refusals: nothing written --------------------------------------------
expect_rc 3 pack -o "$T/b.tzst"
expect_grep "already exists" "$T/err"
expect_rc 0 pack -q -o "$T/b.tzst" --force

cp -r src "$T/bad"
printf 'changed\n' >>"$T/bad/main.c"
expect_rc 1 sp escrow pack --manifest m --sig m.sig --source "$T/bad" -o "$T/n1"
expect_grep "source '.*bad' does not match manifest 'm': 'main.c' changed \(its SHA-256 differs\)" "$T/err"
expect_grep "hint: pack the source the manifest was made from" "$T/err"
[ -e "$T/n1" ] && fail "a bundle was written for a mismatching source"
ls "$T"/n1.tmp-* 2>/dev/null && fail "temporary output left behind"
rm -rf "$T/bad" && cp -a src "$T/bad" && printf 'x\n' >"$T/bad/extra.c"
rm "$T/bad/lib/a.txt"
expect_rc 1 sp escrow pack --manifest m --sig m.sig --source "$T/bad" -o "$T/n1"
expect_grep "1 new, 1 missing, 0 of another type, 0 with another executable bit, 0 links changed \(first: new 'extra.c'\)" "$T/err"
rm -rf "$T/bad" && cp -a src "$T/bad" && chmod +x "$T/bad/main.c"
ln -sfn a.txt "$T/bad/lib/main-link.c"
expect_rc 1 sp escrow pack --manifest m --sig m.sig --source "$T/bad" -o "$T/n1"
expect_grep "0 new, 0 missing, 0 of another type, 1 with another executable bit, 1 links changed" "$T/err"
rm -rf "$T/bad" && cp -a src "$T/bad" && rm "$T/bad/lib/a.txt" && ln -s ../main.c "$T/bad/lib/a.txt"
expect_rc 1 sp escrow pack --manifest m --sig m.sig --source "$T/bad" -o "$T/n1"
expect_grep "1 of another type" "$T/err"
rm -rf "$T/bad" && cp -a src "$T/bad" && mkfifo "$T/bad/fifo"
expect_rc 3 sp escrow pack --manifest m --sig m.sig --source "$T/bad" -o "$T/n1"
expect_grep "fifo' is a device, FIFO or socket" "$T/err"
[ -e "$T/n1" ] && fail "a bundle was written for a mismatching source"
# .git is never content (as for manifests): ignored, same bundle.
rm -rf "$T/bad" && cp -a src "$T/bad" && mkdir -p "$T/bad/.git" &&
	printf 'x\n' >"$T/bad/.git/config" && printf 'y\n' >"$T/bad/lib/.git"
expect_rc 0 sp escrow pack -q --manifest m --sig m.sig --source "$T/bad" --recipe r.json \
	--binaries bins --binary-sigs sigs --policy pol.json -o "$T/n5"
cmp "$T/b.tzst" "$T/n5" || fail ".git changed the bundle"

# A signature over another file.
printf 'other\n' >"$T/otherfile"
SRCPROOF_PASSPHRASE=x sp sign "$T/otherfile" --key k -o "$T/other.sig" -q
expect_rc 1 sp escrow pack --manifest m --sig "$T/other.sig" --source src -o "$T/n2"
expect_grep "signature envelope '.*other.sig' is not over manifest 'm'" "$T/err"
[ -e "$T/n2" ] && fail "a bundle was written with a foreign signature"

expect_rc 3 sp escrow pack --manifest m --sig m.sig --source src --recipe m -o "$T/n3"
expect_grep "invalid recipe" "$T/err"
expect_rc 3 sp escrow pack --manifest m --sig m.sig --source src --policy m -o "$T/n3"
expect_rc 3 sp escrow pack --manifest m --sig m.sig --source src --proof m -o "$T/n3"
expect_rc 3 sp escrow pack --manifest m.sig --sig m.sig --source src -o "$T/n3"
ln -s av.exe bins/link
expect_rc 3 pack -o "$T/n3"
expect_grep "symbolic links and special files are refused" "$T/err"
rm bins/link
[ -e "$T/n3" ] && fail "a bundle was written after a refusal"
ls "$T"/n3.tmp-* 2>/dev/null && fail "temporary output left behind"

# ---- usage errors ------------------------------------------------------------
expect_rc 2 sp escrow pack --manifest m --sig m.sig -o "$T/n4"
expect_grep "missing --source DIR" "$T/err"
expect_rc 2 sp escrow pack --manifest m --sig m.sig --source src -o "$T/n4" --compression lz4
expect_grep "unknown compression 'lz4'" "$T/err"
expect_rc 2 sp escrow pack --manifest m --sig m.sig --source src -o "$T/n4" --level 99
expect_rc 2 sp escrow pack --manifest m --sig m.sig --source src -o "$T/n4" --source-date-epoch soon
expect_rc 0 sp escrow pack --help
expect_grep '^usage: srcproof escrow pack' "$T/out"
expect_rc 0 sp escrow --help
expect_rc 2 sp escrow frobnicate
echo "escrow_pack: ok"
