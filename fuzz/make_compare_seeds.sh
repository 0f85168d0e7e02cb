#!/bin/bash
# Regenerate the small seed corpora of fuzz_pe and fuzz_elf (each seed
# under 4 KiB): a hand-made minimal PE32 and PE32+, a signed and a nested
# signed copy (osslsigncode), a tiny linked ELF with build-id and
# .gnu_debuglink, a relocatable object, a module signature trailer (issuer
# and serial, and subjectKeyIdentifier), the module compressed with xz,
# zstd and gzip, and compressed files of more than one stream.
# Usage: bash fuzz/make_compare_seeds.sh   (from the source tree)
set -eu
cd "$(dirname "$0")"
. ../tests/fixtures/pe_lib.sh
pe=corpora/fuzz_pe
elf=corpora/fuzz_elf
mkdir -p "$pe" "$elf"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# minimal_pe FILE PLUS: DOS header, one 0x200-byte section, 16 directories.
minimal_pe() {
	local f=$1 plus=$2 opt=88 optsz st
	head -c 1024 /dev/zero >"$f"
	printf 'MZ' | dd of="$f" conv=notrunc status=none
	put32 "$f" 60 64
	printf 'PE\000\000' | dd of="$f" bs=1 seek=64 conv=notrunc status=none
	if [ "$plus" = 1 ]; then
		put16 "$f" 68 34404
		optsz=240
		put16 "$f" $opt 523
		put32 "$f" $((opt + 108)) 16
	else
		put16 "$f" 68 332
		optsz=224
		put16 "$f" $opt 267
		put32 "$f" $((opt + 92)) 16
	fi
	put16 "$f" 70 1
	put16 "$f" 84 $optsz
	put32 "$f" $((opt + 32)) 4096 # SectionAlignment
	put32 "$f" $((opt + 36)) 512  # FileAlignment
	put32 "$f" $((opt + 56)) 8192 # SizeOfImage
	put32 "$f" $((opt + 60)) 512  # SizeOfHeaders
	put16 "$f" $((opt + 68)) 3
	st=$((opt + optsz))
	printf '.text' | dd of="$f" bs=1 seek=$st conv=notrunc status=none
	put32 "$f" $((st + 8)) 16
	put32 "$f" $((st + 12)) 4096
	put32 "$f" $((st + 16)) 512
	put32 "$f" $((st + 20)) 512
	put32 "$f" $((st + 36)) 1610612768
	printf '\303' | dd of="$f" bs=1 seek=512 conv=notrunc status=none
}
minimal_pe "$pe/minimal64.exe" 1
minimal_pe "$pe/minimal32.exe" 0
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$t/k.pem" -out "$t/c.pem" \
	-days 3650 -subj "/CN=seed" 2>/dev/null
osslsigncode sign -certs "$t/c.pem" -key "$t/k.pem" -time 1700000000 -h sha256 \
	-in "$pe/minimal64.exe" -out "$t/s.exe" >/dev/null
cp "$t/s.exe" "$pe/signed64.exe"
osslsigncode sign -certs "$t/c.pem" -key "$t/k.pem" -time 1700000000 -h sha1 \
	-nest -in "$t/s.exe" -out "$t/n.exe" >/dev/null
cp "$t/n.exe" "$pe/nested64.exe"
# A certificate table not at the end of the file.
cp "$t/s.exe" "$pe/notateof.exe"
printf 'TRAILING' >>"$pe/notateof.exe"

cat >"$t/p.c" <<'C'
void _start(void) { for (;;) ; }
C
gcc -Os -nostdlib -static -Wl,-N -Wl,--build-id=sha1 -o "$t/p" "$t/p.c"
echo debug >"$t/p.debug"
objcopy --add-gnu-debuglink="$t/p.debug" "$t/p"
strip --strip-unneeded -R .comment "$t/p" 2>/dev/null || true
cp "$t/p" "$elf/tiny.elf"
gcc -Os -c -o "$t/m.ko" "$t/p.c"
strip --strip-unneeded -R .comment "$t/m.ko"
cp "$t/m.ko" "$elf/object.o"
openssl cms -sign -binary -outform DER -nosmimecap -noattr -nocerts -md sha256 \
	-signer "$t/c.pem" -inkey "$t/k.pem" -in "$t/m.ko" -out "$t/m.p7"
n=$(wc -c <"$t/m.p7")
{
	cat "$t/m.ko" "$t/m.p7"
	printf '\000\000\002\000\000\000\000\000'
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n >> 24 & 255)) \
		$((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))"
	printf '~Module signature appended~\n'
} >"$elf/module.ko"
# sign-file -k: the SignerInfo names the signer by subjectKeyIdentifier.
openssl cms -sign -binary -outform DER -nosmimecap -noattr -nocerts -keyid \
	-md sha256 -signer "$t/c.pem" -inkey "$t/k.pem" -in "$t/m.ko" -out "$t/s.p7"
n=$(wc -c <"$t/s.p7")
{
	cat "$t/m.ko" "$t/s.p7"
	printf '\000\000\002\000\000\000\000\000'
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n >> 24 & 255)) \
		$((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))"
	printf '~Module signature appended~\n'
} >"$elf/module-skid.ko"
# Compressed modules (signed, then compressed), and framing faults.
xz --check=crc32 --lzma2=dict=1MiB -c "$elf/module.ko" >"$elf/module.ko.xz"
zstd -q -19 -c "$elf/module.ko" >"$elf/module.ko.zst"
gzip -n -9 -c "$elf/module.ko" >"$elf/module.ko.gz"
head -c 0 /dev/null | xz --check=crc32 >"$t/e.xz"
cat "$elf/module.ko.xz" "$t/e.xz" >"$elf/twostreams.ko.xz"
head -c 0 /dev/null | zstd -q -c >"$t/e.zst"
cat "$elf/module.ko.zst" "$t/e.zst" >"$elf/twoframes.ko.zst"
{
	cat "$elf/module.ko.gz"
	printf 'junk'
} >"$elf/trailing.ko.gz"
ls -l "$pe" "$elf"
