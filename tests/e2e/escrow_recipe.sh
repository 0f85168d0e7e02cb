# recipe record/show/check: what is recorded, the allowlist, strict parsing.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"

mkdir -p "$T/src/build" "$T/bin"
cd "$T/src"
# A controlled PATH: a fake compiler (a gcc-like script), make and ld.
cat >"$T/bin/gcc" <<EOF
#!/bin/sh
case "\$1" in
--version) echo "gcc (Fake) 12.2.0"; echo "second line" ;;
-print-prog-name=cc1) echo "$T/libexec/cc1" ;;
*) echo "\$1" ;;
esac
EOF
mkdir -p "$T/libexec"
printf '#!/bin/sh\nexit 0\n' >"$T/libexec/cc1"
printf '#!/bin/sh\necho "GNU Make 4.3"\n' >"$T/bin/make"
printf '#!/bin/sh\nexit 1\n' >"$T/bin/ld" # prints no version
chmod 755 "$T/bin/gcc" "$T/bin/make" "$T/bin/ld" "$T/libexec/cc1"
ln -s gcc "$T/bin/cc"
export PATH="$T/bin:/usr/bin:/bin"

record() {
	env -i PATH="$T/bin" CC="cc -m64" CFLAGS="-O2 -g" LANG=C.UTF-8 \
		LC_MESSAGES=C TZ=UTC SECRET_TOKEN=hunter2 HOME=/root \
		MY_VAR=kept SOURCE_DATE_EPOCH=1700000000 \
		"$SRCPROOF" recipe record "$@"
}
# (not under valgrind: `env -i` would drop $SP_WRAPPER's environment)
record -o "$T/r.json" --workdir build --output build/av.exe \
	--output build/av.db --env MY_VAR --tool gcc -- make -j1 all >/dev/null ||
	fail "recipe record"
r=$T/r.json
jq -e '.format == "srcproof-recipe v1" and .command == ["make","-j1","all"] and
	.workdir == "build" and .source_date_epoch == 1700000000 and
	.outputs == ["build/av.db","build/av.exe"] and
	.environment.CC == "cc -m64" and .environment.CFLAGS == "-O2 -g" and
	.environment.LANG == "C.UTF-8" and .environment.LC_MESSAGES == "C" and
	.environment.TZ == "UTC" and .environment.MY_VAR == "kept" and
	.environment.SOURCE_DATE_EPOCH == "1700000000" and
	(.environment | has("SECRET_TOKEN") | not) and
	(.environment | has("HOME") | not) and
	(.host.arch | length) > 0 and .host.os == "Linux"' "$r" >/dev/null ||
	fail "recorded recipe: $(cat "$r")"
[ "$(jq -r .build_path "$r")" = "$(pwd -P)" ] || fail "build_path"
# Toolchain: gcc (named by --tool and by CC through cc), its cc1, make, ld.
jq -e '[.toolchain[].name] == ["cc","gcc:cc1","ld","make"] or
	[.toolchain[].name] == ["cc","cc:cc1","gcc","ld","make"] or
	([.toolchain[].name] | index("make") != null)' "$r" >/dev/null ||
	fail "toolchain names: $(jq -c '[.toolchain[].name]' "$r")"
jq -e '.toolchain[] | select(.name == "make") |
	.version == "GNU Make 4.3" and .path == "'"$T"'/bin/make" and
	(.sha256 | test("^[0-9a-f]{64}$"))' "$r" >/dev/null || fail "make entry"
[ "$(jq -r '.toolchain[] | select(.name == "make") | .sha256' "$r")" = \
	"$(sha256sum "$T/bin/make" | cut -d' ' -f1)" ] || fail "make sha256"
jq -e '.toolchain[] | select(.name == "ld") | .version == ""' "$r" >/dev/null ||
	fail "a tool that prints nothing must get an empty version"
jq -e '[.toolchain[] | select(.name | endswith(":cc1"))] | length == 1' "$r" >/dev/null ||
	fail "gcc's cc1 not recorded once"
jq -e '.toolchain[] | select(.name == "gcc" or .name == "cc") |
	.version == "gcc (Fake) 12.2.0"' "$r" >/dev/null || fail "gcc version"
# Canonical bytes: sorted keys, two-space indent, final newline.
jq -S --indent 2 . "$r" | cmp - "$r" || fail "recipe is not canonical JSON"

# Same facts, same bytes.
record -o "$T/r2.json" --workdir build --output build/av.db \
	--output build/av.exe --env MY_VAR --tool gcc -- make -j1 all >/dev/null ||
	fail "second record"
cmp "$r" "$T/r2.json" || fail "recording twice differs"

expect_rc 0 sp recipe show "$r"
expect_grep "^command: +'make' '-j1' 'all'$" "$T/out"
expect_grep '^SOURCE_DATE_EPOCH: 1700000000 \(2023-11-14T22:13:20Z\)$' "$T/out"
expect_grep '^  CC=cc -m64$' "$T/out"
expect_rc 0 sp recipe show --json "$r"
jq -e '.schema == "srcproof.recipe.show/v1" and .workdir == "build"' "$T/out" >/dev/null ||
	fail "show --json"

expect_rc 0 sp recipe check "$r" --path "$T/bin"
expect_grep '^SAME +make' "$T/out"
printf '#!/bin/sh\necho "GNU Make 4.4"\n' >"$T/bin/make"
expect_rc 1 sp recipe check "$r" --path "$T/bin"
expect_grep '^DIFFERENT +make' "$T/out"
expect_grep 'recorded tools differ or are missing' "$T/err"
rm "$T/bin/ld"
expect_rc 1 sp recipe check "$r" --json --path "$T/bin"
jq -e '.match == false and (.tools[] | select(.name == "ld") | .status) == "MISSING"' \
	"$T/out" >/dev/null || fail "check --json"

# ---- refusals -----------------------------------------------------------------
expect_rc 3 record -o "$r" -- make
expect_grep "already exists" "$T/err"
expect_rc 0 record -o "$r" -f --no-versions -- make
jq -e '.toolchain[] | select(.name == "make") | .version == ""' "$r" >/dev/null ||
	fail "--no-versions still ran --version"
expect_rc 2 sp recipe record -o "$T/n.json"
expect_grep "missing the build command" "$T/err"
expect_rc 2 sp recipe record -- make
expect_grep "missing -o RECIPE" "$T/err"
expect_rc 3 sp recipe record -o "$T/n.json" --workdir nowhere -- make
expect_grep "working directory 'nowhere' does not exist" "$T/err"
expect_rc 2 sp recipe record -o "$T/n.json" --workdir ../up -- make
expect_rc 2 sp recipe record -o "$T/n.json" --output /abs -- make
expect_grep "output '/abs' is not a relative path" "$T/err"
expect_rc 3 sp recipe record -o "$T/n.json" --tool no-such-tool-xyz -- make
expect_grep "tool 'no-such-tool-xyz' is not on PATH" "$T/err"
expect_rc 2 sp recipe record -o "$T/n.json" --source-date-epoch soon -- make
expect_rc 2 sp recipe record -o "$T/n.json" --env 'BAD-NAME' -- make
SOURCE_DATE_EPOCH=yesterday expect_rc 2 sp recipe record -o "$T/n.json" -- make
expect_grep "SOURCE_DATE_EPOCH 'yesterday' is not a number" "$T/err"
[ -e "$T/n.json" ] && fail "a recipe was written after a refusal"

# Strict parsing.
bad() { # bad PATTERN JSON
	printf '%s' "$2" >"$T/bad.json"
	expect_rc 3 sp recipe show "$T/bad.json"
	expect_grep "$1" "$T/err"
}
good=$(jq -c . "$r")
bad 'duplicate object key' '{"format": "srcproof-recipe v1", "format": "x"}'
bad "unknown member 'extra'" "$(jq -c '.extra = 1' <<<"$good")"
bad "format is not" "$(jq -c '.format = "srcproof-recipe v2"' <<<"$good")"
bad "command is not an array" "$(jq -c '.command = []' <<<"$good")"
bad "workdir is not" "$(jq -c '.workdir = "../x"' <<<"$good")"
bad "build_path is not an absolute" "$(jq -c '.build_path = "rel"' <<<"$good")"
bad "source_date_epoch is not" "$(jq -c '.source_date_epoch = -1' <<<"$good")"
bad "an environment name is not" "$(jq -c '.environment["A-B"] = "x"' <<<"$good")"
bad "an output is not a safe relative path" "$(jq -c '.outputs = ["/etc/passwd"]' <<<"$good")"
bad "a toolchain sha256 is not" "$(jq -c '.toolchain[0].sha256 = "XYZ"' <<<"$good")"
bad "host is not" "$(jq -c 'del(.host.arch)' <<<"$good")"
bad "invalid recipe: line 1" '{"format": '
bad "u0000 is not allowed" "$(jq -c '.command = ["a\u0000b"]' <<<"$good")"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
expect_rc 3 sp recipe show "$T/huge.json"
expect_grep "larger than the limit" "$T/err"
expect_rc 0 sp recipe --help
expect_grep 'record' "$T/out"
echo "escrow_recipe: ok"
