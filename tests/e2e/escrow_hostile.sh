# escrow: hostile bundles are refused by unpack, list and verify; nothing is
# written outside the target, no target or temporary directory is left.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

PWNED=$T/pwned
python3 "$SP_SOURCE_DIR/tests/fixtures/escrow_hostile.py" "$T/h" "$PWNED" ||
	fail "cannot generate the hostile bundles"
zstd -q "$T/h/bomb.tar" -o "$T/h/bomb.tzst" || fail "zstd"
rm "$T/h/bomb.tar"
zstd -q "$T/h/large.tar" -o "$T/h/large.tzst" || fail "zstd"
head -c $(($(stat -c %s "$T/h/large.tzst") / 2)) "$T/h/large.tzst" >"$T/h/trunc.tzst"

n=0
# refuse RC PATTERN CASE [OPTIONS...]: unpack refuses CASE, leaving nothing;
# with ALL=1 list and verify refuse it too (a few cases: valgrind is slow).
refuse() {
	local rc=$1 pat=$2 case=$3 f
	shift 3
	f=$T/h/$case.tar
	[ -f "$f" ] || f=$T/h/$case.tzst
	n=$((n + 1))
	expect_rc "$rc" sp escrow unpack "$f" -C "$T/out$n" "$@"
	expect_grep "$pat" "$T/err"
	[ -e "$T/out$n" ] && fail "$case: unpack left $T/out$n"
	ls -d "$T/out$n".unpack-* >/dev/null 2>&1 && fail "$case: temporary directory left"
	[ -e "$PWNED" ] && fail "$case: wrote outside the target"
	[ "${ALL:-0}" = 1 ] || return 0
	expect_rc "$rc" sp escrow list "$f" "$@"
	expect_grep "$pat" "$T/err"
	expect_rc 1 sp escrow verify "$f" "$@"
	expect_grep '^result: FAIL' "$T/out"
	return 0
}

# The generator's baseline is a valid bundle.
expect_rc 0 sp escrow unpack "$T/h/valid.tar" -C "$T/ok"
(cd "$T/ok" && sha256sum --strict -c INDEX >/dev/null) || fail "valid bundle"
expect_rc 0 sp escrow list "$T/h/valid.tar"

ALL=1 refuse 3 "member 'srcproof-bundle/source/\.\./\.\./pwned' has a '\.\.' component" dotdot
refuse 3 "has an absolute name" absolute
refuse 3 "member 'pwned.txt' is outside 'srcproof-bundle/'" outside_root
ALL=1 refuse 3 "symbolic link 'source/z' points outside source/" symlink_outside
refuse 3 "symbolic link 'source/z' points outside source/" symlink_absolute
refuse 3 "symbolic link 'source/x' points outside source/" symlink_chain
refuse 3 "member 'manifest' is a symbolic link outside source/" symlink_not_source
ALL=1 refuse 3 "member 'source/w/evil.c' would be written through 'source/w', which is a symbolic link" symlink_write_through
refuse 3 "would be written through 'source/a.c', which is a file" file_as_dir
refuse 3 "member 'source/d/?' is a directory" dir_then_link
refuse 3 "member 'source/m' is out of order" link_replaces_dir
refuse 3 "member 'source/h' is a hard link" hardlink
refuse 3 "member 'source/h' is a hard link" hardlink_inside
refuse 3 "member 'source/dev' is a device, FIFO or socket" device
refuse 3 "member 'source/fifo' is a device, FIFO or socket" fifo
ALL=1 refuse 3 "member 'source/a.c' appears twice" duplicate
refuse 3 "member 'manifest' is out of order" out_of_order
refuse 3 "member 'zzz' is not part of the bundle layout" unknown_member
refuse 3 "has an invalid name" bad_utf8
# Control characters are legal in names (as in manifests): unpacked, and
# escaped whenever shown; INDEX uses sha256sum's escaped form.
expect_rc 0 sp escrow unpack "$T/h/control_char.tar" -C "$T/cc"
[ -f "$T/cc/source/z$(printf '\033')[31m
" ] || fail "name with control characters not unpacked"
(cd "$T/cc" && sha256sum --strict -c INDEX >/dev/null) || fail "sha256sum -c of an escaped INDEX"
expect_rc 0 sp escrow list "$T/h/control_char.tar"
expect_grep 'source/z\\x1b\[31m\\n' "$T/out"
expect_no_grep "$(printf '\033')" "$T/out"
refuse 3 "member 'source/z.c' follows INDEX" after_index
refuse 3 "member 'INDEX' follows INDEX" two_index
refuse 3 "has no INDEX" no_index
ALL=1 refuse 1 "member 'source/a.c' does not match its SHA-256 in INDEX" index_mismatch
expect_grep '^  index +FAIL' "$T/out"
expect_grep '^  archive +PASS' "$T/out"
# --json lists only a bundle that checked: an error, never half a list.
expect_rc 1 sp escrow list --json "$T/h/index_mismatch.tar"
[ -s "$T/out" ] && fail "escrow list --json printed members of a bad bundle: $(head -c 300 "$T/out")"
expect_rc 0 sp escrow list --json "$T/h/valid.tar"
jq -s -e 'length == 1 and (.[0].members | length) > 2 and (.[0].members | last | .name) == "INDEX"' "$T/out" >/dev/null ||
	fail "escrow list --json of a valid bundle: $(head -c 300 "$T/out")"
refuse 1 "member 'source/a.c' is not listed in INDEX" index_unlisted
refuse 1 "'source/zz.c' is listed in INDEX but missing from the bundle" index_missing
refuse 1 "INDEX does not start with" index_garbage
ALL=1 refuse 3 "more than 10 members" many --max-members 10
expect_rc 0 sp escrow list "$T/h/many.tar"
refuse 3 "beyond the limit of 524288 bytes" large --max-size 512K
expect_grep "raise the limit with --max-size" "$T/err"
ALL=1 refuse 3 "expands more than 1000 times \(decompression bomb\?\)" bomb
refuse 3 "beyond the limit of 33554432 bytes" bomb --max-ratio 1000000 --max-size 32M
ALL=1 refuse 3 "is truncated" truncated
refuse 3 "is truncated" truncated_header
refuse 3 "truncated|corrupt" trunc

# verify names the failing check.
expect_rc 1 sp escrow verify "$T/h/hardlink.tar"
expect_grep '^  archive +FAIL +member .source/h. is a hard link' "$T/out"
expect_grep '^  index +NOT CHECKED' "$T/out"
expect_rc 1 sp escrow verify --json "$T/h/dotdot.tar"
jq -e '.ok == false and (.checks[] | select(.name == "archive") | .status) == "FAIL"' \
	"$T/out" >/dev/null || fail "verify --json of a hostile bundle"

# Not a bundle at all.
printf 'hello\n' >"$T/h/text"
expect_rc 3 sp escrow unpack "$T/h/text" -C "$T/o-text"
expect_grep "is not a bundle" "$T/err"
expect_rc 3 sp escrow list "$T/h/missing"
expect_grep "does not exist" "$T/err"
ln -s valid.tar "$T/h/link.tar"
expect_rc 3 sp escrow list "$T/h/link.tar"
expect_grep "symbolic link" "$T/err"
expect_rc 2 sp escrow unpack "$T/h/valid.tar"
expect_grep "missing -C DIR" "$T/err"
expect_rc 2 sp escrow list "$T/h/valid.tar" --max-ratio 0
echo "escrow_hostile: ok ($n cases)"
