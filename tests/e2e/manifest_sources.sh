# manifest create: the same content gives the same bytes from a directory,
# a git ref (tag, branch, commit, packed or loose objects) and archives
# (tar, tar.gz, tar.xz, tar.zst, zip, with and without a top directory);
# the git-tree line equals `git rev-parse REF^{tree}`; `sha256sum -c
# --strict` passes in the directory.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/manifest_repo.sh"

R=$T/repo
make_manifest_repo "$R"
# Under valgrind ($SP_WRAPPER) each run costs seconds: variants that take
# the same code path as another are only run without it.
full() { [ -z "$SP_WRAPPER" ]; }
P=(--product avscan --release 1.0)

# From the directory (the work tree is at v1; .git is not content).
expect_rc 0 sp manifest create "$R" -o "$T/m.dir" "${P[@]}"
expect_grep '^wrote ' "$T/out"
[ ! -s "$T/err" ] || fail "stderr is not a terminal: no progress expected"
M=$T/m.dir
head -1 "$M" | grep -qx '# srcproof-manifest v1' || fail "bad first line"
expect_grep '^# product: avscan$' "$M"
expect_grep '^# release: 1.0$' "$M"
expect_grep '^# kind: release$' "$M"
expect_grep '^# files: 12$' "$M"
expect_grep '^# symlinks: 2$' "$M"
expect_grep '^# exec: bin/avscan-run$' "$M"
expect_grep '^# exec: bin/tool$' "$M"
expect_grep '^# symlink: src/current -> engine$' "$M"
expect_grep '^# symlink: docs/readme -> \.\./README$' "$M"
expect_no_grep '^# exec: (docs|src)' "$M"
expect_grep '  docs/user guide/first steps.txt$' "$M"
expect_no_grep '\.git' "$M"
bytes=$(find "$R" -path "$R/.git" -prune -o -type f -printf '%s\n' |
	awk '{s += $1} END {print s}')
expect_grep "^# bytes: $bytes\$" "$M"

# The git tree id is git's, and the SWHID carries it.
tree=$(git -C "$R" rev-parse 'v1^{tree}')
expect_grep "^# git-tree: $tree\$" "$M"
expect_grep "^# swhid: swh:1:dir:$tree\$" "$M"

# sha256sum checks every file line; the order is by bytes.
(cd "$R" && sha256sum -c --strict --quiet "$M") || fail "sha256sum -c failed"
grep -v '^#' "$M" | sed 's/^[0-9a-f]*  //' >"$T/order"
LC_ALL=C sort -c "$T/order" || fail "checksum lines are not in byte order"

# From git, at a tag, a branch, a commit, and HEAD: the same bytes.
commit=$(git -C "$R" rev-parse v1)
refs=(v1)
full && refs+=(stable "$commit" "v2~1")
for ref in "${refs[@]}"; do
	expect_rc 0 sp manifest create "$R" --ref "$ref" -o "$T/m.git" "${P[@]}" -q
	[ ! -s "$T/out" ] || fail "-q printed something"
	cmp "$M" "$T/m.git" || fail "git ref '$ref' gives other bytes"
done
# The .git directory itself is a repository too.
if full; then
	expect_rc 0 sp manifest create "$R/.git" --ref v1 -o "$T/m.git" "${P[@]}" -q
	cmp "$M" "$T/m.git" || fail "the .git directory gives other bytes"
fi

# v2 differs, and its tree is v2's.
expect_rc 0 sp manifest create "$R" --ref v2 -o "$T/m.v2" -q
expect_grep "^# git-tree: $(git -C "$R" rev-parse 'v2^{tree}')\$" "$T/m.v2"

# Archives made by git, read without unpacking.
git -C "$R" archive --format=tar -o "$T/a.tar" v1
git -C "$R" archive --format=tar.gz -o "$T/a.tar.gz" v1
git -C "$R" archive --format=zip -o "$T/a.zip" v1
git -C "$R" archive --format=tar v1 | xz -c >"$T/a.tar.xz"
git -C "$R" archive --format=tar v1 | zstd -q -c >"$T/a.tar.zst"
archives=(a.tar.gz a.zip)
full && archives+=(a.tar a.tar.xz a.tar.zst)
for a in "${archives[@]}"; do
	expect_rc 0 sp manifest create "$T/$a" -o "$T/m.$a" "${P[@]}" -q
	cmp "$M" "$T/m.$a" || fail "archive $a gives other bytes"
done

# A release tarball with a top directory: kept unless stripped.
git -C "$R" archive --format=tar.gz --prefix=avscan-1.0/ -o "$T/p.tgz" v1
expect_rc 0 sp manifest create "$T/p.tgz" -o "$T/m.p" "${P[@]}" -q
expect_grep '  avscan-1.0/README$' "$T/m.p"
expect_rc 0 sp manifest create "$T/p.tgz" --strip-components 1 -o "$T/m.p" "${P[@]}" -q
cmp "$M" "$T/m.p" || fail "--strip-components 1 gives other bytes"

# A tarball of the work tree made by tar (./ prefixes, directory entries).
if full; then
	tar -C "$R" --exclude=.git -czf "$T/w.tgz" .
	expect_rc 0 sp manifest create "$T/w.tgz" -o "$T/m.w" "${P[@]}" -q
	cmp "$M" "$T/m.w" || fail "tar of the work tree gives other bytes"
fi

# Packed objects (read whole, not streamed) give the same bytes.
git -C "$R" gc -q
[ -z "$(find "$R/.git/objects" -type f -path '*/objects/[0-9a-f][0-9a-f]/*')" ] ||
	fail "git gc left loose objects"
expect_rc 0 sp manifest create "$R" --ref v1 -o "$T/m.packed" "${P[@]}" -q
cmp "$M" "$T/m.packed" || fail "packed repository gives other bytes"

# One thread or many: the same bytes.
if full; then
	expect_rc 0 sp manifest create "$R" --threads 1 -o "$T/m.t1" "${P[@]}" -q
	cmp "$M" "$T/m.t1" || fail "--threads 1 gives other bytes"
fi

# Progress goes to a terminal only, never with -q.
if full && command -v script >/dev/null; then
	script -qec "'$SRCPROOF' manifest create '$R' -o '$T/m.tty'" /dev/null >"$T/tty" </dev/null ||
		fail "create on a terminal failed"
	grep -q 'hashing: [0-9]* files, [0-9.]* MiB' "$T/tty" || fail "no progress on a terminal"
	script -qec "'$SRCPROOF' manifest create -q '$R' -o '$T/m.tty'" /dev/null >"$T/tty" </dev/null ||
		fail "create -q on a terminal failed"
	! grep -q 'hashing' "$T/tty" || fail "progress shown with -q"
fi

# JSON.
expect_rc 0 sp manifest create "$T/a.zip" -o "$T/m.j" "${P[@]}" --json
jq -e --arg t "$tree" --arg d "$(sha256sum "$T/m.j" | cut -c1-64)" '
	.schema == "srcproof.manifest.create/v1" and .git_tree == $t and
	.swhid == ("swh:1:dir:" + $t) and .sha256 == $d and .files == 12 and
	.symlinks == 2 and .kind == "release" and .previous == null and
	.product == "avscan"' "$T/out" >/dev/null || fail "bad create --json"

# show prints the header and the digest sha256sum computes.
expect_rc 0 sp manifest show "$M"
expect_grep "^sha256: +$(sha256sum "$M" | cut -c1-64)\$" "$T/out"
expect_grep '^files: +12$' "$T/out"
expect_rc 0 sp manifest show -q "$M"
[ "$(cat "$T/out")" = "$(sha256sum "$M" | cut -c1-64)" ] || fail "show -q"
expect_rc 0 sp manifest show --json "$M"
jq -e '.schema == "srcproof.manifest.show/v1" and .files == 12 and .release == "1.0"' \
	"$T/out" >/dev/null || fail "bad show --json"

expect_rc 0 sp manifest --help
expect_grep '^usage: srcproof manifest' "$T/out"
if ! full; then
	echo "manifest_sources: ok (valgrind subset)"
	exit 0
fi
for c in create check diff chain show; do
	expect_rc 0 sp manifest "$c" --help
	expect_grep "^usage: srcproof manifest $c" "$T/out"
done
echo "manifest_sources: ok"
