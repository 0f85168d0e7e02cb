#!/bin/sh
# srcproof set-up and runner for a fresh Debian 12 machine (run as root, or as
# a user for whom every package below is already installed).
#
#   sh scripts/bootstrap.sh demo   install, build, run the end-to-end demo
#   sh scripts/bootstrap.sh test   install, build, run every test and check
#
# Environment: SP_JOBS (parallel jobs, default: number of cores),
# SP_SKIP_INSTALL=1 (trust that the packages are there).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mode=${1:-}
case "$mode" in
demo | test) ;;
*)
	echo "usage: sh scripts/bootstrap.sh demo|test" >&2
	exit 2
	;;
esac

# Everything the build, the demo and the tests use, by Debian package name.
PKGS_BUILD="build-essential cmake pkg-config git ca-certificates
 libssl-dev openssl libgit2-dev libarchive-dev libarchive-tools
 libjansson-dev zlib1g-dev zstd xz-utils jq"
PKGS_TEST="libcmocka-dev clang libclang-rt-14-dev clang-format valgrind
 osslsigncode softhsm2 libengine-pkcs11-openssl opensc
 gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 lld zip unzip iproute2 util-linux python3
 chromium groff-base"

install_pkgs() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "${SP_SKIP_INSTALL:-0}" = 1 ]; then
		echo "bootstrap: missing packages:$missing" >&2
		exit 3
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap: error: missing packages:$missing" >&2
		echo "bootstrap: hint: run as root, or: apt-get install$missing" >&2
		exit 3
	fi
	echo "bootstrap: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

jobs=${SP_JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ "$mode" = demo ]; then
	# shellcheck disable=SC2086
	install_pkgs $PKGS_BUILD
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release \
		-DSP_TESTS=OFF >/dev/null
	cmake --build build/release -j "$jobs"
	exec bash scripts/demo.sh "$here/build/release/srcproof"
fi

# shellcheck disable=SC2086
install_pkgs $PKGS_BUILD $PKGS_TEST
exec bash scripts/check.sh
