# manifest check (audit), diff and chain: reports, exit statuses, --json.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/manifest_repo.sh"

R=$T/repo
make_manifest_repo "$R"
# Under valgrind ($SP_WRAPPER) each run costs seconds: cases that take the
# same code path as another are only run without it.
full() { [ -z "$SP_WRAPPER" ]; }
expect_rc 0 sp manifest create "$R" --ref v1 -o "$T/v1.m" --product avscan --release 1.0 -q

# ---- check ----
expect_rc 0 sp manifest check "$T/v1.m" "$R"
expect_grep '^audit passed: 14 matched$' "$T/out"
if full; then
	expect_rc 0 sp manifest check -q "$T/v1.m" "$R"
	[ ! -s "$T/out" ] || fail "check -q printed something"
	# Any source kind can be audited.
	git -C "$R" archive --format=tar.gz --prefix=avscan/ -o "$T/v1.tgz" v1
	expect_rc 0 sp manifest check "$T/v1.m" "$T/v1.tgz" --strip-components 1
	expect_rc 1 sp manifest check "$T/v1.m" "$R" --ref v2
	expect_grep '^audit failed: ' "$T/out"
fi

# Change the directory: content, a removal, an addition, an exec bit, a
# symlink target.
C=$T/copy
cp -a "$R" "$C"
rm -rf "$C/.git"
printf 'tampered\n' >>"$C/src/scan.c"
rm "$C/README.old"
printf 'new\n' >"$C/extra.txt"
chmod 644 "$C/bin/tool"
ln -sfn ../NOTES "$C/docs/readme"
expect_rc 1 sp manifest check "$T/v1.m" "$C"
expect_grep '^missing +README\.old$' "$T/out"
expect_grep '^mode +bin/tool \(executable -> regular\)$' "$T/out"
expect_grep '^changed +docs/readme$' "$T/out"
expect_grep '^new +extra\.txt$' "$T/out"
expect_grep '^changed +src/scan\.c$' "$T/out"
expect_grep '^audit failed: 10 matched, 2 changed, 1 missing, 1 new, 1 mode changes$' "$T/out"
expect_no_grep 'README$' "$T/out"
expect_rc 1 sp manifest check --json "$T/v1.m" "$C"
jq -e '.schema == "srcproof.manifest.check/v1" and .result == "failed" and
	.matched == 10 and .changed == 2 and .missing == 1 and .new == 1 and
	.mode == 1 and .git_tree.matches == false and
	([.differences[] | select(.status == "changed") | .path] ==
	    ["docs/readme", "src/scan.c"]) and
	(.differences[] | select(.path == "docs/readme") | .actual.target) == "../NOTES" and
	(.differences[] | select(.path == "extra.txt") | .expected) == null' \
	"$T/out" >/dev/null || fail "bad check --json"
if full; then
	expect_rc 0 sp manifest check --json "$T/v1.m" "$R"
	jq -e '.result == "passed" and .matched == 14 and .git_tree.matches and
		.differences == []' "$T/out" >/dev/null || fail "bad check --json (pass)"

	# A manifest whose git-tree line was edited (all files still match).
	tree=$(sed -n 's/^# git-tree: //p' "$T/v1.m")
	sed "s/$tree/0000000000000000000000000000000000000000/" "$T/v1.m" >"$T/forged.m"
	expect_rc 1 sp manifest check "$T/forged.m" "$R"
	expect_grep "^git tree differs: manifest 0{40}, source $tree\$" "$T/out"
	# A manifest edited by hand out of canonical form cannot be read.
	sed 's/^# files: 12$/# files: 13/' "$T/v1.m" >"$T/bad.m"
	expect_rc 3 sp manifest check "$T/bad.m" "$R"
	expect_grep "^srcproof: error: '.*bad.m': manifest header counts 13 files" "$T/err"
	expect_rc 3 sp manifest check "$T/v1.m" "$T/none"
	expect_grep "^srcproof: error: source '.*none' does not exist" "$T/err"
	expect_rc 2 sp manifest check "$T/v1.m"
	expect_grep "missing MANIFEST or SOURCE" "$T/err"
fi

# ---- diff ----
expect_rc 0 sp manifest create "$R" --ref v2 -o "$T/v2.m" --product avscan \
	--release 1.1 --kind update --previous "$T/v1.m" -q
expect_rc 1 sp manifest diff "$T/v1.m" "$T/v2.m"
expect_grep '^added +NEWS$' "$T/out"
expect_grep '^removed +README\.old$' "$T/out"
expect_grep '^mode +bin/tool \(executable -> regular\)$' "$T/out"
expect_grep '^renamed +docs/old\.txt -> docs/history\.txt$' "$T/out"
expect_grep '^changed +src/scan\.c$' "$T/out"
expect_grep '^1 added, 1 removed, 1 changed, 1 renamed, 1 mode changes, 10 unchanged$' "$T/out"
expect_rc 1 sp manifest diff --json "$T/v1.m" "$T/v2.m"
jq -e '.schema == "srcproof.manifest.diff/v1" and .identical == false and
	.summary == {"added": 1, "removed": 1, "changed": 1, "renamed": 1,
	    "mode": 1, "unchanged": 10} and
	(.changes[] | select(.kind == "renamed") | [.a.path, .b.path]) ==
	    ["docs/old.txt", "docs/history.txt"] and
	.a.release == "1.0" and .b.kind == "update"' "$T/out" >/dev/null ||
	fail "bad diff --json"
if full; then
	expect_rc 0 sp manifest diff "$T/v1.m" "$T/v1.m"
	expect_grep '^0 added, 0 removed, 0 changed, 0 renamed, 0 mode changes, 14 unchanged$' "$T/out"
	expect_rc 3 sp manifest diff "$T/v1.m" "$T/none.m"
	expect_grep "^srcproof: error: '.*none.m' does not exist" "$T/err"
fi

# ---- chain ----
expect_rc 0 sp manifest create "$R" --ref v2 -o "$T/v3.m" --product avscan \
	--release 1.2 --kind update --previous "$T/v2.m" -q
expect_grep "^# previous: sha256:$(sha256sum "$T/v2.m" | cut -c1-64)\$" "$T/v3.m"
expect_rc 0 sp manifest chain "$T/v1.m" "$T/v2.m" "$T/v3.m"
expect_grep '^chain unbroken: 3 manifests' "$T/out"
if full; then
	expect_rc 0 sp manifest chain --json "$T/v1.m" "$T/v2.m" "$T/v3.m"
	jq -e '.schema == "srcproof.manifest.chain/v1" and .unbroken and
		.broken_link == null and (.manifests | length) == 3 and
		.manifests[2].previous == .manifests[1].sha256' "$T/out" >/dev/null ||
		fail "bad chain --json"
fi

# Out of order: named.
expect_rc 1 sp manifest chain "$T/v1.m" "$T/v3.m" "$T/v2.m"
expect_grep "^srcproof: error: broken link between '.*v1.m' and '.*v3.m': manifest 2 follows manifest 3, not manifest 1: the chain is out of order$" "$T/err"
# A missing link.
expect_rc 1 sp manifest chain "$T/v1.m" "$T/v3.m"
expect_grep "^srcproof: error: broken link between '.*v1.m' and '.*v3.m': manifest 2 does not follow manifest 1" "$T/err"
if full; then
	# A release in the middle.
	expect_rc 1 sp manifest chain --json "$T/v2.m" "$T/v1.m"
	jq -e '.unbroken == false and .broken_link.index == 1 and
		(.broken_link.to | endswith("v1.m")) and
		(.broken_link.reason | contains("is a release"))' "$T/out" >/dev/null ||
		fail "bad chain --json (broken)"
	# A changed byte in a linked manifest breaks the next link.
	sed 's/^# release: 1.1$/# release: 1.1b/' "$T/v2.m" >"$T/v2b.m"
	expect_rc 1 sp manifest chain "$T/v1.m" "$T/v2b.m" "$T/v3.m"
	expect_grep "between '.*v2b.m' and '.*v3.m'" "$T/err"
	expect_rc 2 sp manifest chain "$T/v1.m"
	expect_grep "give at least two manifests" "$T/err"
	expect_rc 3 sp manifest chain "$T/v1.m" "$T/none.m"
fi
echo "manifest_check: ok"
