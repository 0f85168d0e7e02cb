# What a rebuild's build sees: a cleared environment (the recipe's
# variables, SOURCE_DATE_EPOCH, TZ=UTC, LC_ALL=C, PATH, a fresh HOME and
# TMPDIR), umask 022, stdin /dev/null, its own process group; a capped log;
# a toolchain that differs from the recipe (warning with tools, versions,
# hashes); the recorded build path (--at-build-path) for a build that
# depends on it; --keep.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/rebuild_setup.sh"
cd "$T"
rb_keys

# 1. The environment, umask, stdin and process group, seen from the build.
mkdir -p envp.src bin
cat >envp.src/build.sh <<'EOF'
mkdir -p out
printf 'built\n' >out/e.bin
env | sort >out/env.txt
umask >out/umask.txt
if [ -t 0 ] || [ -n "$(cat)" ]; then echo tty-or-data; else echo empty; fi >out/stdin.txt
ps -o pgid= -p $$ | tr -d ' ' >out/pgid.txt
ps -o pgid= -p $PPID | tr -d ' ' >>out/pgid.txt
EOF
printf '#!/bin/sh\necho "mytool 1.0"\n' >bin/mytool
chmod +x bin/mytool
CFLAGS=-O1 rb_release envp --output out/e.bin --tool "$T/bin/mytool" -- sh build.sh
# The toolchain changes after the recipe was recorded.
printf '#!/bin/sh\necho "mytool 2.0 (patched)"\n' >bin/mytool
export SECRET_TOKEN=hunter2 LD_PRELOAD= HOME=/nonexistent
expect_rc 0 sp rebuild envp.bundle --shipped envp.shipped -o r1 --keep --max-log 2048
unset SECRET_TOKEN LD_PRELOAD
src=$(echo r1/work/srcproof-bundle-*/source)
[ -f "$src/out/env.txt" ] || fail "--keep did not keep the build tree"
work=$(cd r1/work && pwd -P)
expect_grep "^HOME=$work/home\$" "$src/out/env.txt"
expect_grep "^TMPDIR=$work/tmp\$" "$src/out/env.txt"
expect_grep '^TZ=UTC$' "$src/out/env.txt"
expect_grep '^LC_ALL=C$' "$src/out/env.txt"
expect_grep '^SOURCE_DATE_EPOCH=1700000000$' "$src/out/env.txt"
expect_grep '^CFLAGS=-O1$' "$src/out/env.txt"
expect_grep '^PATH=/usr/local/bin:/usr/bin:/bin$' "$src/out/env.txt"
expect_no_grep 'SECRET_TOKEN|hunter2|LD_PRELOAD|nonexistent' "$src/out/env.txt"
expect_grep '^0022$' "$src/out/umask.txt"
expect_grep '^empty$' "$src/out/stdin.txt"
# The shell's process group is the one srcproof made for the build: not
# srcproof's own, and led by the build's first process.
[ "$(sed -n 1p "$src/out/pgid.txt")" != "$(ps -o pgid= -p $$ | tr -d ' ')" ] ||
	fail "the build ran in the caller's process group"
# The toolchain warning names the tool, both versions and both hashes.
old=$(jq -r '.toolchain[] | select(.name | endswith("mytool")) | .sha256' envp.recipe)
new=$(sha256sum bin/mytool | cut -d' ' -f1)
expect_grep "toolchain: 'mytool' is DIFFERENT: recorded $T/bin/mytool sha256 $old version ''; found $T/bin/mytool sha256 $new version 'mytool 2.0 \(patched\)'" "$T/out"
expect_grep '^  - toolchain differs from the recipe: 1 of [0-9]+ tools' "$T/out"
expect_grep 'DIFFERENT</span>' r1/report.html
expect_grep 'mytool 2.0 \(patched\)' r1/report.html
jq -e '.predicate.toolchain.match == false and
	(.predicate.toolchain.tools | map(select(.status == "DIFFERENT")) | length) == 1' \
	r1/verdict.json >/dev/null || fail "toolchain in verdict.json"

# 2. A capped log: the build's output is cut, the build still counts.
mkdir -p loud.src
printf 'mkdir -p out\nprintf "l\\n" >out/l.bin\nhead -c 100000 /dev/zero | tr "\\\\0" x\necho done >&2\n' \
	>loud.src/build.sh
rb_release loud --output out/l.bin -- sh build.sh
expect_rc 0 sp rebuild loud.bundle --shipped loud.shipped -o r2 --max-log 1024
size=$(wc -c <r2/build.log)
[ "$size" -lt 1200 ] || fail "build.log is $size bytes"
expect_grep '^\[srcproof: build output truncated: 1024 of 100005 bytes kept\]$' r2/build.log
expect_grep 'build.log was cut at 1024 bytes \(the build wrote 100005\)' "$T/out"
jq -e '.predicate.build.log.truncated == true and .predicate.build.log.output_bytes == 100005' \
	r2/verdict.json >/dev/null || fail "log in verdict.json"
[ ! -e r2/work ] || fail "work kept without --keep"

# 3. A build that embeds its path: different elsewhere, identical at the
# recorded path.
mkdir -p bp
mkdir -p bp/where.src && cp vendor.key vendor.key.pub bp/
printf 'mkdir -p out\npwd >out/where.txt\n' >bp/where.src/build.sh
(cd bp && RB_IN_PLACE=1 rb_release where --output out/where.txt -- sh build.sh)
expect_rc 1 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r3
expect_grep '^  DIFFERENT +where.txt$' "$T/out"
expect_grep "build path: recorded '$T/bp/where.src', used '" "$T/out"
# The recorded path exists: refused, nothing touched.
expect_rc 3 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r4 --at-build-path
expect_grep "the recorded build path '$T/bp/where.src' exists" "$T/out"
[ -f bp/where.src/build.sh ] || fail "the existing build path was touched"
mv bp/where.src bp/elsewhere
expect_rc 0 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r5 --at-build-path
expect_grep '^  IDENTICAL +where.txt$' "$T/out"
expect_no_grep 'build path: recorded' "$T/out"
[ ! -e bp/where.src ] || fail "the build path was left behind"
[ -z "$(ls -A bp | grep -v -e '^where\.' -e '^elsewhere$' -e '^vendor\.key')" ] || fail "left in bp: $(ls -A bp)"
jq -e '.predicate.build.build_path.same == true' r5/verdict.json >/dev/null ||
	fail "build_path.same"
echo "rebuild_env: ok"
