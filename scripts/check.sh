#!/bin/bash
# Every check of the test command, in order. Prints one closing line
# "N passed, N failed" and exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
jobs=${SP_JOBS:-$(nproc 2>/dev/null || echo 2)}
passed=0
failed=0
failures=""

step() {
	local name=$1
	shift
	echo "=== $name" >&2
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: ok ($((SECONDS - t0)) s)" >&2
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "=== $name: FAILED ($((SECONDS - t0)) s)" >&2
	fi
}

sources() {
	git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^sample/'
}

check_format() {
	local bad
	bad=$(sources | xargs clang-format --dry-run -Werror 2>&1 | grep -c 'error:')
	[ "$bad" -eq 0 ] || {
		sources | xargs clang-format --dry-run -Werror 2>&1 | head -40
		echo "clang-format: $bad findings; run: clang-format -i <file>" >&2
		return 1
	}
}

check_banned() {
	# Every library and CLI source file includes banned.h (last).
	local f ok=0
	for f in $(git ls-files -co --exclude-standard -- 'util/*.c' 'manifest/*.c' \
		'signing/*.c' 'tlog/*.c' 'escrow/*.c' 'review/*.c' 'cmd/*.c'); do
		grep -q '#include "banned.h"' "$f" || {
			echo "$f does not include banned.h" >&2
			ok=1
		}
	done
	return $ok
}

build() {
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$jobs"
}

debug_build() {
	build build/debug -DCMAKE_BUILD_TYPE=Debug -DSP_WERROR=ON -DSP_VALGRIND=ON
}
# Every test runs once. The debug build runs the unit tests, the fuzz
# corpora and the documentation's checks (label docs: man pages, the
# README's output and journeys, the installed CLI's journeys, which drive
# the same commands other scripts drive on ASan); its CLI is the one
# valgrind drives. Every other end-to-end script runs on the ASan+UBSan
# build below (LeakSanitizer on).
debug_tests() {
	ctest --test-dir build/debug -j "$jobs" --output-on-failure -L 'unit|fuzz|docs'
}
valgrind_tests() {
	ctest --test-dir build/debug -j "$jobs" --output-on-failure -L valgrind
}
sanitize_build() {
	build build/sanitize -DCMAKE_BUILD_TYPE=Sanitize -DSP_WERROR=ON
}
sanitize_tests() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build/sanitize -j "$jobs" --output-on-failure -LE docs
}
fuzz_build() {
	command -v clang >/dev/null || {
		echo "clang not found: libFuzzer targets not built" >&2
		return 0
	}
	CC=clang build build/fuzz -DCMAKE_BUILD_TYPE=Debug -DSP_FUZZ=ON \
		-DSP_TESTS=OFF -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined"
}
# One target: a short libFuzzer run on top of its corpus (copied, so the
# committed corpus stays as it is). Its report goes to $2.
fuzz_one() {
	local f=$1 out=$2 name work
	name=$(basename "$f")
	work=$(mktemp -d)
	cp -r "fuzz/corpora/$name/." "$work/"
	if "$f" -max_total_time="${SP_FUZZ_SECONDS:-3}" -rss_limit_mb=2048 \
		-print_final_stats=0 -artifact_prefix="build/fuzz-artifacts/$name-" \
		"$work" >"$work.log" 2>&1; then
		echo "$name: ${SP_FUZZ_SECONDS:-3} s of fuzzing, no crash" >"$out"
		rm -rf "$work" "$work.log"
		return 0
	fi
	{
		echo "$name: libFuzzer found a crash (input in build/fuzz-artifacts/):"
		tail -40 "$work.log"
	} >"$out"
	rm -rf "$work" "$work.log"
	return 1
}
fuzz_smoke() {
	# Targets run $jobs at a time (libFuzzer uses one core each): the
	# same seconds of fuzzing per target in less wall time.
	command -v clang >/dev/null || return 0
	local f rc=0 reports running=0
	reports=$(mktemp -d)
	mkdir -p build/fuzz-artifacts
	for f in build/fuzz/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		if [ "$running" -ge "$jobs" ]; then
			wait -n || rc=1
			running=$((running - 1))
		fi
		fuzz_one "$f" "$reports/$(basename "$f")" &
		running=$((running + 1))
	done
	while [ "$running" -gt 0 ]; do
		wait -n || rc=1
		running=$((running - 1))
	done
	cat "$reports"/* >&2 2>/dev/null
	rm -rf "$reports"
	return $rc
}

step clang-format check_format
step banned-functions check_banned
step "build (gcc, -Werror)" debug_build
step "tests (debug: unit, fuzz corpora, docs)" debug_tests
step "tests (valgrind, CLI)" valgrind_tests
step "build (ASan+UBSan)" sanitize_build
step "tests (ASan+UBSan)" sanitize_tests
step "build (libFuzzer, clang)" fuzz_build
step "fuzz smoke run" fuzz_smoke

echo
[ -n "$failures" ] && echo "failed steps:$failures"
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
