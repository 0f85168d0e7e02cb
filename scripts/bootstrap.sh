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
 chromium groff-base xxd"

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

# The PE fixtures need osslsigncode 2.7 or later (its built-in TSA:
# -TSA-certs/-TSA-key/-TSA-time). Debian 12 main has 2.5; bookworm-backports
# has 2.9, the same package rebuilt by Debian, so that is where it comes from.
osslsigncode_version() {
	osslsigncode --version 2>/dev/null |
		sed -n '1s/^osslsigncode \([0-9][0-9.]*\).*/\1/p'
}
ensure_osslsigncode() {
	v=$(osslsigncode_version)
	if [ -n "$v" ] && dpkg --compare-versions "$v" ge 2.7; then
		return 0
	fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if [ "${SP_SKIP_INSTALL:-0}" = 1 ] || [ "$(id -u)" != 0 ] ||
		[ -z "$codename" ]; then
		echo "bootstrap: error: osslsigncode ${v:-(none)} is too old: the" \
			"tests need 2.7 or later" >&2
		echo "bootstrap: hint: as root: apt-get install -t" \
			"${codename:-bookworm}-backports osslsigncode" >&2
		exit 3
	fi
	list=/etc/apt/sources.list.d/srcproof-$codename-backports.sources
	echo "bootstrap: osslsigncode ${v:-(none)} < 2.7: installing it from" \
		"$codename-backports ($list)" >&2
	cat >"$list" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: $codename-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		-t "$codename-backports" osslsigncode >/dev/null
	v=$(osslsigncode_version)
	dpkg --compare-versions "${v:-0}" ge 2.7 || {
		echo "bootstrap: error: osslsigncode is still ${v:-missing}" >&2
		exit 3
	}
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
ensure_osslsigncode
exec bash scripts/check.sh
