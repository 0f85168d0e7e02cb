# The review ledger on the sample product: release 1 of sample/avscan is
# reviewed; an update changes only rules/main.db; coverage carries to the
# update for every other file; the delta pack holds exactly the database
# with its diff; reviewing the pack brings coverage back to 100%.
# valgrind: yes
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/review_setup.sh"
cd "$T"
review_keys_and_policy

cp -r "$SP_SOURCE_DIR/sample/avscan" r1
cp -r r1 r2
printf 'Demo.Update.D:new-rule-of-the-day\n' >>r2/rules/main.db
spx manifest create r1 -o avscan-1.manifest --product avscan --release 2026.11.25.1 -q &&
	spx manifest create r2 -o avscan-2.manifest --product avscan --release 2026.11.25.2 \
		--kind update --previous avscan-1.manifest -q || fail "manifests"
files=$(grep -c '^[0-9a-f]\{64\}  ' avscan-1.manifest)

# Release 1: every file read by alice.
expect_rc 0 sp review attest avscan-1.manifest --all --depth read --verdict ok \
	--key alice.key -o r1.att --time "$AT" -q
expect_rc 0 sp review coverage avscan-1.manifest r1.att --policy policy.json --at "$AT" --require 100
expect_grep "^files: $files of $files covered at depth read or deeper \(100.0%\); 0 carried" "$T/out"

# The update: the database is uncovered, everything else carried.
expect_rc 1 sp review coverage avscan-2.manifest r1.att --policy policy.json --at "$AT" --require 100
expect_grep "^files: $((files - 1)) of $files covered .*; $((files - 1)) carried from earlier releases" "$T/out"
expect_grep '^  UNCOVERED  rules/main.db  \(changed since reviewed' "$T/out"
expect_grep '^files needing review \(1\):' "$T/out"

# The delta pack: exactly the database, with its diff.
expect_rc 0 sp review delta avscan-1.manifest avscan-2.manifest --source r2 \
	--old-source r1 --attestations r1.att --policy policy.json --at "$AT" -o pack
expect_grep '^needs fresh eyes: 1 file \(1 changed, 0 added, 0 with an open concern\); changes \+1 -0 lines' "$T/out"
expect_grep '^  0001  changed  rules/main.db  \+1 -0  diff against the last reviewed version' "$T/out"
expect_grep "^carried coverage: $((files - 1)) unchanged files stay covered" "$T/out"
[ "$(ls pack/diffs)" = "0001.diff" ] || fail "pack diffs: $(ls pack/diffs)"
[ "$(ls pack/files)" = "0001" ] || fail "pack files"
cmp -s pack/files/0001 r2/rules/main.db || fail "pack holds other bytes"
expect_grep '^\+Demo.Update.D:new-rule-of-the-day$' pack/diffs/0001.diff
expect_grep '^--- a/rules/main.db$' pack/diffs/0001.diff
[ "$(grep -c '^[-+][^-+]' pack/diffs/0001.diff)" = 1 ] || fail "diff has other changes"
# The diff applies to release 1 and gives the update's bytes.
cp -r r1 applied
(cd applied && git apply ../pack/diffs/0001.diff) || fail "git apply"
cmp -s applied/rules/main.db r2/rules/main.db || fail "applied diff differs"
jq -e '.summary.fresh == 1 and .summary.changed == 1 and
	(.files | map(.coverage.path)) == ["rules/main.db"] and
	.files[0].base == "last-reviewed" and .files[0].diff == "diffs/0001.diff"' \
	pack/delta.json >/dev/null || fail "delta.json"
expect_grep 'rules/main.db' pack/report.html
expect_grep '<span class="add">\+Demo.Update.D:new-rule-of-the-day</span>' pack/report.html
expect_no_grep '(src=|href="http|<script|<link)' pack/report.html

# Review the pack: the update is fully covered again.
expect_rc 0 sp review attest avscan-2.manifest --from pack/review-list.txt --depth read \
	--verdict ok --key bob.key -o r2.att --time "$AT" -q
expect_rc 0 sp review coverage avscan-2.manifest r1.att r2.att --policy policy.json --at "$AT" --require 100
expect_grep "^files: $files of $files covered .*; $((files - 1)) carried" "$T/out"
echo "review_avscan: ok"
