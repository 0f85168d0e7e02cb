# srcproof review delta: which files need fresh eyes (added, changed, open
# concerns) and which do not (removed, renamed, executable bit, new bytes
# already covered), diff bases, binary files, hostile names and contents in
# the reports, and refusals (existing pack, source not the manifest's).
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/review_setup.sh"
cd "$T"
review_keys_and_policy

evil=$(printf 'evil\033[2J<b>.c')
mkdir -p r1/src
printf 'A\n' >r1/src/a.c
printf 'B\n' >r1/src/b.c
printf 'old\n' >r1/src/changed.c
printf 'keep\n' >r1/src/renamed.c
printf 'tool\n' >r1/src/tool.sh
printf 'worry\n' >r1/src/worry.c
printf 'gone\n' >r1/src/removed.c
printf 'never reviewed\n' >r1/src/dusty.c
printf 'bin\0ary\n' >r1/src/blob.bin
cp -r r1 r2
printf 'new line </pre><script>alert(1)</script>\n' >r2/src/changed.c
mv r2/src/renamed.c r2/src/moved.c
chmod +x r2/src/tool.sh
rm r2/src/removed.c
printf 'B\n' >r2/src/a.c # now the bytes b.c had when reviewed
printf 'added\n' >r2/src/added.c
printf '%s\n' '<img src=x onerror=alert(1)>' >"r2/src/$evil"
printf 'bin\0ary\0more\n' >r2/src/blob.bin
spx manifest create r1 -o m1 --product avscan --release 1 -q &&
	spx manifest create r2 -o m2 --product avscan --release 2 --kind update --previous m1 -q ||
	fail "manifests"
spx review attest m1 --files src/a.c src/b.c src/changed.c src/renamed.c src/tool.sh \
	src/worry.c src/removed.c src/blob.bin --depth read --verdict ok --key alice.key \
	-o r1.att --time "$AT" -q &&
	spx review attest m1 --files src/worry.c --depth in-depth --verdict concern \
		--note "$(printf 'race \033[31m</p><script>x</script>')" --key bob.key -o worry.att \
		--time 2026-11-25T13:00:00Z -q || fail "attest"

expect_rc 0 sp review delta m1 m2 --source r2 --old-source r1 \
	--attestations r1.att worry.att --policy policy.json --at "$AT" -o pack --json
jq -e '.schema == "srcproof.review-delta/v1" and .pack == "pack" and
	.summary == {fresh: 5, added: 2, changed: 2, concerns: 1, removed: 1, renamed: 1,
	             mode: 1, already_covered: 1, carried: 3, unchanged_uncovered: 1,
	             lines_added: 3, lines_removed: 1}' "$T/out" >/dev/null ||
	fail "delta --json: $(cat "$T/out")"
jq -e --arg evil "src/$evil" '
	(.files | map([.n, .reason, .coverage.path, .base])) == [
		["0001", "added", "src/added.c", "none"],
		["0002", "changed", "src/blob.bin", "last-reviewed"],
		["0003", "changed", "src/changed.c", "last-reviewed"],
		["0004", "added", $evil, "none"],
		["0005", "concern", "src/worry.c", "same"]] and
	.files[1].binary == true and .files[2].binary == false and
	.removed == ["src/removed.c"] and .renamed == [{from: "src/renamed.c", to: "src/moved.c"}] and
	.mode == ["src/tool.sh"] and .changed_already_covered == ["src/a.c"] and
	.files[4].coverage.concerns[0].note == "race \u001b[31m</p><script>x</script>"' \
	pack/delta.json >/dev/null || fail "delta.json: $(jq -c '.files | map([.n, .reason, .coverage.path, .base])' pack/delta.json)"
[ "$(ls pack/diffs | tr '\n' ' ')" = "0001.diff 0002.diff 0003.diff 0004.diff 0005.diff " ] ||
	fail "diffs: $(ls pack/diffs)"
expect_grep '^\+\+\+ b/src/added.c$' pack/diffs/0001.diff
expect_grep '^Binary files a/src/blob.bin and b/src/blob.bin differ$' pack/diffs/0002.diff
expect_grep '^-old$' pack/diffs/0003.diff
expect_grep '^\+new line </pre><script>' pack/diffs/0003.diff
expect_grep '^\+worry$' pack/diffs/0005.diff
cmp -s "pack/files/0004" "r2/src/$evil" || fail "files/0004"

# Text report: escaped, complete.
expect_grep '^needs fresh eyes: 5 files \(2 changed, 2 added, 1 with an open concern\)' pack/report.txt
expect_grep '^  0004  added    src/evil\\x1b\[2J<b>.c  ' pack/report.txt
expect_grep 'concern by .*: race \\x1b\[31m</p><script>x</script>' pack/report.txt
expect_grep '^  renamed: src/renamed.c -> src/moved.c$' pack/report.txt
expect_grep '^  removed: src/removed.c$' pack/report.txt
expect_grep '^  executable bit changed: src/tool.sh$' pack/report.txt
expect_grep '^carried coverage: 3 unchanged files stay covered; 1 unchanged file were never covered' pack/report.txt
expect_no_grep "$(printf '\033')" pack/report.txt
# HTML report: self-contained, every untrusted string escaped.
expect_no_grep "$(printf '\033')" pack/report.html
expect_no_grep '<script|<img|<b>|<link|<[a-z]+ [^>]*src=|href="http' pack/report.html
expect_grep 'src/evil\\x1b\[2J&lt;b&gt;.c' pack/report.html
expect_grep '&lt;/pre&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;' pack/report.html
expect_grep '&lt;img src=x onerror=alert\(1\)&gt;' pack/report.html
expect_grep "Content-Security-Policy\" content=\"default-src 'none'" pack/report.html
# The review list round-trips through --from, hostile name included.
expect_rc 0 sp review attest m2 --from pack/review-list.txt --depth read --verdict ok \
	--key alice.key -o r2.att --time 2026-11-25T14:00:00Z -q
payload r2.att | jq -e --arg evil "src/$evil" 'any(.predicate.files[]; .path == $evil) and
	(.predicate.files | length) == 5' >/dev/null || fail "review list round trip"

# Without --old-source: whole texts; without attestations: every added or
# changed file needs eyes.
expect_rc 0 sp review delta m1 m2 --source r2 -o pack2 --policy policy.json --at "$AT" -q
jq -e '.summary.fresh == 5 and .summary.already_covered == 0 and
	([.files[].base] | unique) == ["none", "not-available"]' pack2/delta.json >/dev/null ||
	fail "delta without attestations: $(jq -c .summary pack2/delta.json)"
[ ! -s "$T/out" ] || fail "-q printed the report"

# Refusals: existing pack (kept as it was), source not the manifest's,
# missing options.
expect_rc 3 sp review delta m1 m2 --source r2 -o pack
expect_grep "'pack' already exists" "$T/err"
[ -f pack/delta.json ] || fail "existing pack damaged"
expect_rc 1 sp review delta m1 m2 --source r1 -o pack3
expect_grep "does not match the manifest" "$T/err"
[ ! -e pack3 ] || fail "a pack was left after a failure"
ls -a | grep -q '^\.pack3\.tmp' && fail "temporary directory left behind"
expect_rc 2 sp review delta m1 m2 -o pack4
expect_grep '--source NEW_SRC and -o PACK are needed' "$T/err"
expect_rc 2 sp review delta m1 --source r2 -o pack4
expect_grep 'expected OLD_MANIFEST NEW_MANIFEST' "$T/err"
# The base is the last REVIEWED version: v1 reviewed, v2 shipped unreviewed,
# delta v2 -> v3. With v1's tree as --reviewed-source the diff is v1 -> v3
# (git apply of it turns v1's file into v3's); without it, v2's bytes are
# the base and marked previous-unreviewed.
mkdir -p v1/src
seq 1 40 | sed 's/^/line /' >v1/src/eng.c
printf 'stays\n' >v1/src/same.c
printf 'back\n' >v1/src/back.c # removed in v2, back (changed) in v3
cp -r v1 v2 && cp -r v1 v3
rm v2/src/back.c
printf 'back\nagain\n' >v3/src/back.c
sed 's/^line 10$/line 10 changed in v2/' v1/src/eng.c >v2/src/eng.c
sed -e 's/^line 10$/line 10 changed in v2/' -e 's/^line 30$/line 30 changed in v3/' \
	v1/src/eng.c >v3/src/eng.c
spx manifest create v1 -o mv1 --product avscan --release 1 -q &&
	spx manifest create v2 -o mv2 --product avscan --release 2 -q &&
	spx manifest create v3 -o mv3 --product avscan --release 3 -q || fail "v manifests"
spx review attest mv1 --all --depth read --verdict ok --key alice.key -o v1.att \
	--time "$AT" -q || fail "attest v1"
v1sha=$(sha256sum v1/src/eng.c | cut -d' ' -f1)
v2sha=$(sha256sum v2/src/eng.c | cut -d' ' -f1)
expect_rc 0 sp review delta mv2 mv3 --source v3 --old-source v2 --reviewed-source v1 \
	--attestations v1.att --policy policy.json --at "$AT" -o vpack
backsha=$(sha256sum v1/src/back.c | cut -d' ' -f1)
jq -e --arg s "$v1sha" --arg b "$backsha" '.summary.fresh == 2 and
	(.files[0] | .coverage.path == "src/back.c" and .reason == "added" and
	 .base == "last-reviewed" and .base_sha256 == $b and .base_source == "v1") and
	(.files[1] | .coverage.path == "src/eng.c" and .base == "last-reviewed" and
	 .base_sha256 == $s and .base_source == "v1" and .lines_added == 2 and
	 .lines_removed == 2)' vpack/delta.json >/dev/null ||
	fail "last reviewed base: $(jq -c '.files | map(del(.coverage))' vpack/delta.json)"
expect_grep '^\+again$' vpack/diffs/0001.diff
expect_grep '^-line 10$' vpack/diffs/0002.diff
expect_grep '^\+line 10 changed in v2$' vpack/diffs/0002.diff
expect_grep '^-line 30$' vpack/diffs/0002.diff
expect_grep '^\+line 30 changed in v3$' vpack/diffs/0002.diff
mkdir apply && cp v1/src/eng.c apply/eng.c
(cd apply && git apply -p2 ../vpack/diffs/0002.diff) ||
	fail "git apply of the v1 -> v3 diff"
cmp -s apply/eng.c v3/src/eng.c || fail "git apply did not give v3's file"
expect_grep "^  0002  changed  src/eng.c  \+2 -2  diff against the last reviewed version \(sha256 $v1sha in v1\)$" \
	vpack/report.txt
expect_grep "sha256 <code>$v1sha</code> in <code>v1</code>" vpack/report.html
# Several trees: the latest reviewed version wins (v2 reviewed later here).
spx review attest mv2 --files src/eng.c --depth overview --verdict ok --key bob.key \
	-o v2.att --time 2026-11-25T15:00:00Z -q || fail "attest v2"
expect_rc 0 sp review delta mv2 mv3 --source v3 --reviewed-source v1 --reviewed-source v2 \
	--attestations v1.att v2.att --policy policy.json --at "$AT" -o vpack2 -q
jq -e --arg s "$v2sha" '(.files[] | select(.coverage.path == "src/eng.c")) | .base == "last-reviewed" and .base_sha256 == $s and
	.base_source == "v2" and .lines_added == 1' vpack2/delta.json >/dev/null ||
	fail "latest reviewed tree: $(jq -c '.files | map(del(.coverage))' vpack2/delta.json)"
# A tree whose bytes were never reviewed, or is missing the file, is no base.
rm v1/src/eng.c
expect_rc 0 sp review delta mv2 mv3 --source v3 --old-source v2 --reviewed-source v1 \
	--attestations v1.att --policy policy.json --at "$AT" -o vpack3 -q
jq -e --arg s "$v2sha" '(.files[] | select(.coverage.path == "src/eng.c")) | .base == "previous-unreviewed" and
	.base_sha256 == $s and .base_source == "v2" and .lines_added == 1' \
	vpack3/delta.json >/dev/null ||
	fail "no reviewed tree: $(jq -c '.files | map(del(.coverage))' vpack3/delta.json)"
expect_grep 'never reviewed: review the whole file \(sha256 '"$v2sha"' in v2\)$' vpack3/report.txt
cp v2/src/eng.c v1/src/eng.c
# Without --reviewed-source: the previous, unreviewed bytes.
expect_rc 0 sp review delta mv2 mv3 --source v3 --old-source v2 \
	--attestations v1.att --policy policy.json --at "$AT" -o vpack4 -q
jq -e '(.files[] | select(.coverage.path == "src/eng.c")) | .base == "previous-unreviewed" and .base_source == "v2"' \
	vpack4/delta.json >/dev/null || fail "without --reviewed-source: $(jq -c '[.files[].base]' vpack4/delta.json)"
# --max-file lowers the cap: the file is too large to diff or copy.
expect_rc 0 sp review delta mv2 mv3 --source v3 --old-source v2 --max-file 100 \
	--attestations v1.att --policy policy.json --at "$AT" -o vpack5 -q
jq -e '(.files[] | select(.coverage.path == "src/eng.c")) | .base == "too-large" and .too_large == true and .diff == null and
	.content == null and .base_sha256 == null' vpack5/delta.json >/dev/null ||
	fail "--max-file: $(jq -c '.files | map(del(.coverage))' vpack5/delta.json)"
expect_grep '^  0002  changed  src/eng.c  \+0 -0  too large to diff$' vpack5/report.txt
expect_rc 3 sp review delta mv2 mv3 --source v3 --reviewed-source nowhere -o vpack6
expect_grep "the reviewed source 'nowhere' is not a directory" "$T/err"
[ ! -e vpack6 ] || fail "a pack was written with a missing --reviewed-source"
expect_rc 2 sp review delta mv2 mv3 --source v3 --max-file 0 -o vpack6
expect_grep "\-\-max-file needs a number of bytes, not '0'" "$T/err"
echo "review_delta: ok"
