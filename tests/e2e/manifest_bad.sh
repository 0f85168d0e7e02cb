# manifest create on bad input: each gets its exit status and a clear error
# naming the file, and nothing is left at -o (no file, no temporary).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

O=$T/out.manifest
# Under valgrind ($SP_WRAPPER) each run costs seconds: cases that take the
# same code path as another are only run without it.
full() { [ -z "$SP_WRAPPER" ]; }

# nothing_left: -o was not created, nor any temporary next to it.
nothing_left() {
	[ ! -e "$O" ] || fail "'$O' was left behind"
	[ -z "$(find "$T" -maxdepth 1 -name 'out.manifest*')" ] ||
		fail "a temporary file was left behind: $(ls "$T")"
}

# refuse STATUS PATTERN ARGS...: create fails with STATUS, the error line
# matches PATTERN, and nothing is left at -o.
refuse() {
	local want=$1 pat=$2
	shift 2
	expect_rc "$want" sp manifest create "$@" -o "$O"
	expect_grep "^srcproof: error: $pat" "$T/err"
	nothing_left
}

fresh() {
	rm -rf "$T/d"
	mkdir -p "$T/d/sub"
	printf 'ok\n' >"$T/d/ok.txt"
	printf 'sub\n' >"$T/d/sub/file.c"
}

# ---- usage errors (exit 2) ----
fresh
expect_rc 2 sp manifest create "$T/d"
expect_grep "^srcproof: error: missing -o OUT" "$T/err"
expect_rc 2 sp manifest create -o "$O"
expect_grep "missing SOURCE" "$T/err"
refuse 2 "--kind update needs --previous" "$T/d" --kind update
if full; then
	refuse 2 "--previous needs --kind update" "$T/d" --previous "$T/nothing"
	refuse 2 "--kind is 'release' or 'update', not 'patch'" "$T/d" --kind patch
	refuse 2 "--threads needs a number" "$T/d" --threads many
	refuse 2 "--strip-components needs a number" "$T/d" --strip-components -1
	refuse 2 "bad or incomplete option '--bogus'" "$T/d" --bogus
	refuse 2 "product name '' is empty" "$T/d" --product ""
	refuse 2 "release '.*' is empty, longer than 256 bytes or not printable UTF-8" \
		"$T/d" --release "$(printf 'a\033[2Jb')"
	expect_no_grep "$(printf '\033')" "$T/err"
	refuse 2 "--strip-components applies to archives only" "$T/d" --strip-components 1
fi
# -o inside the source directory would hash itself.
expect_rc 2 sp manifest create "$T/d" -o "$T/d/MANIFEST"
expect_grep "^srcproof: error: output '.*/d/MANIFEST' is inside source" "$T/err"
expect_grep "^srcproof: hint: write the manifest outside" "$T/err"
[ ! -e "$T/d/MANIFEST" ] || fail "manifest written inside the source"

# ---- sources that do not exist (exit 3) ----
refuse 3 "source '.*/none' does not exist" "$T/none"

# ---- special files ----
fresh
mkfifo "$T/d/sub/pipe"
refuse 3 "'sub/pipe' is a named pipe \(FIFO\); srcproof records only regular files, directories and symbolic links" "$T/d"
expect_grep "^srcproof: hint: remove it from the source" "$T/err"

# A device, inside an archive made by GNU tar from /dev/null.
tar -cf "$T/dev.tar" -C / dev/null
refuse 3 "'dev/null' in archive '.*dev.tar' is a character device" "$T/dev.tar"

# ---- symbolic links pointing outside the tree ----
fresh
ln -s ../../etc/passwd "$T/d/sub/passwd"
refuse 3 "symbolic link 'sub/passwd' points outside the tree \('\.\./\.\./etc/passwd'\)" "$T/d"
if full; then
	fresh
	ln -s /etc/passwd "$T/d/abs"
	refuse 3 "symbolic link 'abs' points outside the tree \(absolute target '/etc/passwd'\)" "$T/d"
	fresh
	ln -s 'x/../..' "$T/d/sub/sneaky"
	refuse 3 "symbolic link 'sub/sneaky' has a target with '\.\.' after a name" "$T/d"
fi
# Inside the tree is fine, even dangling or to a directory.
fresh
ln -s ../ok.txt "$T/d/sub/up"
ln -s sub "$T/d/dirlink"
ln -s missing "$T/d/dangling"
expect_rc 0 sp manifest create "$T/d" -o "$O" -q
expect_grep '^# symlink: sub/up -> \.\./ok\.txt$' "$O"
expect_grep '^# symlink: dirlink -> sub$' "$O"
rm -f "$O"

# ---- file names ----
# Invalid UTF-8: refused, the name shown escaped.
fresh
: >"$T/d/sub/caf$(printf '\351').txt"
refuse 3 "file name 'sub/caf\\\\xe9\.txt' is not valid UTF-8" "$T/d"
expect_grep "^srcproof: hint: srcproof records UTF-8 names only" "$T/err"
# Newline, backslash, CR, space, TAB: recorded as coreutils writes them;
# sha256sum -c accepts the manifest.
fresh
printf 1 >"$T/d/$(printf 'new\nline')"
printf 2 >"$T/d/back\\slash"
printf 3 >"$T/d/$(printf 'car\rriage')"
printf 4 >"$T/d/$(printf 'tab\there') and space"
chmod +x "$T/d/$(printf 'new\nline')"
ln -s "back\\slash" "$T/d/link to it"
expect_rc 0 sp manifest create "$T/d" -o "$O"
expect_grep '^\\[0-9a-f]{64}  back\\\\slash$' "$O"
expect_grep '^\\[0-9a-f]{64}  new\\nline$' "$O"
expect_grep '^\\[0-9a-f]{64}  car\\rriage$' "$O"
expect_grep "^[0-9a-f]{64}  tab	here and space\$" "$O"
expect_grep '^# exec: new\\nline$' "$O"
expect_grep '^# symlink: link\\040to\\040it -> back\\\\slash$' "$O"
(cd "$T/d" && sha256sum -c --strict --quiet "$O") || fail "sha256sum -c refused escaped names"
expect_rc 0 sp manifest check "$O" "$T/d"
rm -f "$O"

# ---- unreadable files and directories ----
fresh
chmod 000 "$T/d/sub/file.c"
if [ "$(id -u)" = 0 ]; then
	# root reads anything: run as nobody, on a copy nobody can reach.
	command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed as root"
	chmod 711 "$T"
	chmod 755 "$T/d" "$T/d/sub"
	mkdir -m 777 "$T/w"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		$SP_WRAPPER "$SRCPROOF" manifest create "$T/d" -o "$T/w/out.manifest"
	[ -z "$(ls -A "$T/w")" ] || fail "something was left in $T/w"
else
	refuse 3 "" "$T/d"
fi
expect_grep "^srcproof: error: cannot open 'sub/file.c': Permission denied" "$T/err"
expect_grep "^srcproof: hint: every file of the source must be readable" "$T/err"
chmod 644 "$T/d/sub/file.c"
chmod 000 "$T/d/sub"
if [ "$(id -u)" = 0 ]; then
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		$SP_WRAPPER "$SRCPROOF" manifest create "$T/d" -o "$T/w/out.manifest"
else
	expect_rc 3 sp manifest create "$T/d" -o "$O"
fi
expect_grep "^srcproof: error: cannot open directory 'sub': Permission denied" "$T/err"
chmod 755 "$T/d/sub"

# ---- archives ----
printf 'a\n' >"$T/a"
(cd "$T" && tar -cf "$T/dotdot.tar" --transform 's,^,../,' a 2>/dev/null)
refuse 3 "archive '.*dotdot.tar' holds a path with '\.\.': '\.\./a'" "$T/dotdot.tar"
expect_grep "^srcproof: hint: srcproof refuses archives whose paths could point outside" "$T/err"
if full; then
	tar -P -cf "$T/abs.tar" "$T/a"
	refuse 3 "archive '.*abs.tar' holds an absolute path '/" "$T/abs.tar"
fi
(cd "$T" && tar -cf dup.tar a && tar -rf dup.tar a)
refuse 3 "archive '.*dup.tar' holds 'a' more than once" "$T/dup.tar"
# A tarball whose link leaves the tree.
(cd "$T" && ln -s ../../x esc && tar -cf esc.tar esc && rm esc)
refuse 3 "symbolic link 'esc' points outside the tree" "$T/esc.tar"
# Truncated: half of a gzip stream, and a tar cut inside a member.
head -c 300000 /dev/urandom >"$T/big"
(cd "$T" && tar -czf full.tgz big)
head -c $(($(stat -c %s "$T/full.tgz") / 2)) "$T/full.tgz" >"$T/trunc.tgz"
refuse 3 "cannot read 'big' from archive '.*trunc.tgz': " "$T/trunc.tgz"
expect_grep "^srcproof: hint: the archive is truncated or corrupt" "$T/err"
if full; then
	(cd "$T" && tar -cf full.tar big)
	head -c 100000 "$T/full.tar" >"$T/trunc.tar"
	refuse 3 "cannot read 'big' from archive '.*trunc.tar': " "$T/trunc.tar"
	printf 'not an archive\n' >"$T/text.txt"
	refuse 3 "'.*text.txt' is not an archive srcproof reads" "$T/text.txt"
	# A too-short --strip-components level.
	(cd "$T" && tar -cf top.tar a)
	refuse 3 "'a' in archive '.*top.tar' is above the --strip-components level" \
		"$T/top.tar" --strip-components 1
fi
# ---- git ----
git init -q "$T/g"
git -C "$T/g" -c user.name=t -c user.email=t@e.invalid commit -q --allow-empty -m x
refuse 3 "git revision 'no-such-tag' not found in '.*g'" "$T/g" --ref no-such-tag
expect_grep "^srcproof: hint: list the tags and branches with 'git -C .*g tag'" "$T/err"
if full; then
	refuse 3 "'.*/d' is not a git repository" "$T/d" --ref HEAD
	refuse 2 "a git revision was given but source '.*a' is not a git repository" "$T/a" --ref HEAD
fi
# A submodule entry cannot be followed.
git -C "$T/g" update-index --add --cacheinfo \
	160000,"$(git -C "$T/g" rev-parse HEAD)",sub
git -C "$T/g" -c user.name=t -c user.email=t@e.invalid commit -q -m sub
refuse 3 "'sub' is a git submodule; srcproof does not follow submodules" "$T/g" --ref HEAD
# The empty tree of the first commit is a valid, empty manifest.
expect_rc 0 sp manifest create "$T/g" --ref HEAD~1 -o "$O" -q
expect_grep '^# git-tree: 4b825dc642cb6eb9a060e54bf8d69288fbee4904$' "$O"
rm -f "$O"

# ---- --previous that is not a manifest ----
fresh
refuse 3 "previous manifest '.*nothing' does not exist" "$T/d" --kind update --previous "$T/nothing"
if full; then
	refuse 3 "'.*text.txt': manifest line 1: not a srcproof manifest" "$T/d" --kind update --previous "$T/text.txt"
	expect_rc 0 sp manifest create "$T/d" -o "$T/prev.m" --product a -q
	refuse 2 "previous manifest '.*prev.m' is for product 'a', not 'b'" "$T/d" --kind update --previous "$T/prev.m" --product b
	expect_rc 2 sp manifest create "$T/d" --kind update --previous "$T/prev.m" -o "$T/prev.m"
	expect_grep "would overwrite the previous manifest" "$T/err"
fi
# ---- an existing -o is replaced only on success ----
printf 'keep me\n' >"$O"
expect_rc 3 sp manifest create "$T/none" -o "$O"
[ "$(cat "$O")" = "keep me" ] || fail "a failed run changed the existing output"
echo "manifest_bad: ok"
