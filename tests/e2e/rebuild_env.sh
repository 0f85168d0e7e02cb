# What a rebuild's build sees: a cleared environment (the recipe's
# variables, SOURCE_DATE_EPOCH, TZ=UTC, LC_ALL=C, PATH, a fresh HOME and
# TMPDIR), umask 022, stdin /dev/null, its own process group; a capped log;
# a toolchain that differs from the recipe (warning with tools, versions,
# hashes); the recorded build path (used by default when free, required
# with --at-build-path, refused with --no-build-path) for builds that
# depend on it; --keep.
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
# The recorded path is occupied (the vendor's tree is still there): the
# build runs below OUTDIR, and a warning says where and why.
expect_rc 1 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r3
expect_grep '^  DIFFERENT +where.txt$' "$T/out"
expect_grep "build path: recorded '$T/bp/where.src', used '$T/r3/work/srcproof-bundle-[^/]*/source' \\(the recorded build path '$T/bp/where.src' exists\\)" "$T/out"
jq -e '.predicate.build.build_path.same == false' r3/verdict.json >/dev/null ||
	fail "build_path.same with the path occupied"
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
# By default too: the recorded path is free, so the build runs there.
expect_rc 0 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r6
expect_grep '^  IDENTICAL +where.txt$' "$T/out"
expect_no_grep 'build path: recorded' "$T/out"
[ "$(cat r6/rebuilt/out/where.txt)" = "$T/bp/where.src" ] ||
	fail "the default build did not run at the recorded path: $(cat r6/rebuilt/out/where.txt)"
jq -e --arg p "$T/bp/where.src" '.predicate.build.build_path == {"recorded": $p, "used": $p, "same": true}' \
	r6/verdict.json >/dev/null || fail "build_path of a default build: $(jq -c .predicate.build.build_path r6/verdict.json)"
[ ! -e bp/where.src ] || fail "the default build left the build path behind"
[ -z "$(ls -A bp | grep -v -e '^where\.' -e '^elsewhere$' -e '^vendor\.key')" ] || fail "left in bp: $(ls -A bp)"
# --no-build-path: below OUTDIR even though the recorded path is free.
expect_rc 1 sp rebuild bp/where.bundle --shipped bp/where.shipped -o r7 --no-build-path
expect_grep '^  DIFFERENT +where.txt$' "$T/out"
expect_grep "build path: recorded '$T/bp/where.src', used '$T/r7/work/srcproof-bundle-[^/]*/source' \\(--no-build-path\\)" "$T/out"
expect_rc 2 sp rebuild bp/where.bundle -o r8 --no-build-path --at-build-path
expect_grep 'exclude each other' "$T/err"
# The recorded path's parent is gone: fall back with the reason; with
# --at-build-path that is an ERROR (exit 3) with the reason.
mv bp bp.moved
expect_rc 1 sp rebuild bp.moved/where.bundle --shipped bp.moved/where.shipped -o r9
expect_grep "build path: recorded '$T/bp/where.src', used '.*' \\(the parent of the recorded build path '$T/bp/where.src' is not a directory\\)" "$T/out"
expect_rc 3 sp rebuild bp.moved/where.bundle --shipped bp.moved/where.shipped -o r10 --at-build-path
expect_grep "^srcproof rebuild verdict: ERROR" "$T/out"
expect_grep "the parent of the recorded build path '$T/bp/where.src' is not a directory" "$T/out"
[ ! -e bp ] || fail "the parent of the build path was created"
mv bp.moved bp

# 4. An ELF program built with -g and no -ffile-prefix-map embeds its
# build directory: a rebuild elsewhere differs, a default rebuild with the
# recorded path free is IDENTICAL (and leaves nothing there).
if command -v cc >/dev/null; then
	mkdir -p elfp.src
	printf '#include <stdio.h>\nint main(void) { puts(__FILE__); return 0; }\n' >elfp.src/hello.c
	printf 'mkdir -p out\ncc -g -O1 -o out/hello "$PWD/hello.c"\n' >elfp.src/build.sh
	RB_IN_PLACE=1 rb_release elfp --output out/hello -- sh build.sh
	grep -q "$T/elfp.src" elfp.shipped/hello || fail "the ELF fixture does not embed its path"
	expect_rc 1 sp rebuild elfp.bundle --shipped elfp.shipped -o e1
	expect_grep '^  (DIFFERENT|EXPLAINED_DIFFERENCE) +hello$' "$T/out"
	expect_grep "build path: recorded '$T/elfp.src'" "$T/out"
	mv elfp.src elfp.away
	expect_rc 0 sp rebuild elfp.bundle --shipped elfp.shipped -o e2
	expect_grep '^  IDENTICAL +hello$' "$T/out"
	expect_no_grep 'build path: recorded' "$T/out"
	[ ! -e elfp.src ] || fail "the ELF build left its build path behind"
	[ -z "$(ls -d srcproof-bundle-* 2>/dev/null)" ] || fail "left in $T: $(ls -d srcproof-bundle-*)"
	# --keep keeps the build tree next to the recorded path.
	expect_rc 0 sp rebuild elfp.bundle --shipped elfp.shipped -o e3 --keep
	[ -x "$(echo srcproof-bundle-*/source/out/hello)" ] || fail "--keep: the build tree is not next to the recorded path"
	[ ! -e elfp.src ] || fail "--keep left the build path occupied"
	rm -rf srcproof-bundle-*
fi
echo "rebuild_env: ok"
