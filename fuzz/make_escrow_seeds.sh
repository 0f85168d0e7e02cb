#!/bin/bash
# Regenerate the seed corpora of the escrow fuzz targets (committed; run by
# hand when the formats change):  bash fuzz/make_escrow_seeds.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
c=$here/corpora
mkdir -p "$c/fuzz_escrow_bundle" "$c/fuzz_escrow_index" "$c/fuzz_escrow_cms" \
	"$c/fuzz_recipe"

# Bundles: the generator's valid bundle and a few hostile ones, compressed.
python3 "$here/../tests/fixtures/escrow_hostile.py" "$tmp/h" /nonexistent/pwned
for n in valid dotdot symlink_write_through hardlink duplicate index_mismatch \
	after_index control_char; do
	zstd -q -19 "$tmp/h/$n.tar" -o "$c/fuzz_escrow_bundle/$n.tzst"
done
gzip -9n <"$tmp/h/valid.tar" >"$c/fuzz_escrow_bundle/valid.tgz"

# INDEX and SHA256SUMS text.
h=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
printf '# srcproof-bundle-index v1\n%s  manifest\n# symlink %s  source/l\n' \
	"$h" "$h" >"$c/fuzz_escrow_index/index"
printf '# srcproof-bundle-index v1\n\\%s  a\\\\b\\nc\n%s  z\n' "$h" "$h" \
	>"$c/fuzz_escrow_index/escaped"
printf '# comment\n%s *b.exe\n%s  a.dll\n' "$h" "$h" >"$c/fuzz_escrow_index/sums"

# CMS: a small bundle encrypted by openssl, streamed and not.
openssl req -x509 -nodes -newkey rsa:1024 -keyout "$tmp/k" -out "$tmp/c" \
	-subj /CN=seed -days 1 2>/dev/null
zstd -q -19 "$tmp/h/valid.tar" -o "$tmp/b"
openssl cms -encrypt -binary -aes-256-gcm -outform DER -in "$tmp/b" \
	-out "$c/fuzz_escrow_cms/gcm.der" "$tmp/c"
openssl cms -encrypt -binary -aes-256-gcm -stream -outform DER -in "$tmp/b" \
	-out "$c/fuzz_escrow_cms/gcm-stream.ber" "$tmp/c"
openssl cms -encrypt -binary -aes-256-cbc -outform DER -in "$tmp/b" \
	-out "$c/fuzz_escrow_cms/cbc.der" "$tmp/c"

# Recipes: the spec's vector and a minimal one.
sed -n '/recipe-vector-begin/,/recipe-vector-end/p' "$here/../docs/spec/recipe.md" |
	sed '1,2d;$d' | sed '$d' >"$c/fuzz_recipe/vector.json"
printf '{"format":"srcproof-recipe v1","command":["make"],"workdir":".",' >"$c/fuzz_recipe/min.json"
printf '"build_path":"/b","environment":{},"toolchain":[],' >>"$c/fuzz_recipe/min.json"
printf '"host":{"arch":"x86_64","os":"Linux","distro":""},"outputs":[]}\n' >>"$c/fuzz_recipe/min.json"
ls -l "$c"/fuzz_escrow_* "$c/fuzz_recipe"
