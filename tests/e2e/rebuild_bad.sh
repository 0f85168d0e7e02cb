# srcproof rebuild on bad input and hostile builds: a recipe whose command
# fails (ERROR, exit 3, signed), a command not on PATH, a build that hangs
# (time limit), a declared output the rebuild does not produce, shipped
# files that do not match SHA256SUMS or are missing, a bundle that is not
# one, an existing output directory, usage errors. Every verdict that could
# be decided is signed and verifies.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/rebuild_setup.sh"
cd "$T"
rb_keys

# A project that builds only with a variable the vendor did not record, and
# produces a second output only then.
mkdir -p hidden.src
cat >hidden.src/build.sh <<'EOF'
mkdir -p out
printf 'a\n' >out/a.bin
if [ -n "${VENDOR_ONLY:-}" ]; then printf 'b\n' >out/b.bin; fi
[ "${FAIL_WITHOUT_IT:-0}" = 0 ] || [ -n "${VENDOR_ONLY:-}" ] || {
	echo "build.sh: VENDOR_ONLY is not set" >&2
	exit 7
}
EOF
export VENDOR_ONLY=1
rb_release hidden --output out/a.bin --output out/b.bin -- sh build.sh
unset VENDOR_ONLY

# 1. A declared output the rebuild does not produce: DIFFERENT, exit 1.
expect_rc 1 sp rebuild hidden.bundle --shipped hidden.shipped -o r1 --key rebuilder.key
expect_grep '^  IDENTICAL +a.bin$' "$T/out"
expect_grep '^  DIFFERENT +b.bin$' "$T/out"
expect_grep "the rebuild did not produce 'out/b.bin'" "$T/out"
expect_grep '^srcproof rebuild verdict: DIFFERENT$' "$T/out"
expect_rc 0 sp verify-sig hidden.shipped/b.bin --sig r1/verdict.sig --pubkey rebuilder.key.pub
jq -e '.predicate.verdict == "DIFFERENT" and
	([.predicate.artefacts[] | .verdict] == ["IDENTICAL", "DIFFERENT"]) and
	.predicate.artefacts[1].rebuilt_sha256 == null' r1/verdict.json >/dev/null ||
	fail "r1 verdict.json"

# 2. The recipe's command fails here: ERROR, exit 3, still signed.
export VENDOR_ONLY=1 FAIL_WITHOUT_IT=1
rb_release hidden --output out/a.bin --output out/b.bin --env FAIL_WITHOUT_IT -- sh build.sh
unset VENDOR_ONLY FAIL_WITHOUT_IT
expect_rc 3 sp rebuild hidden.bundle --shipped hidden.shipped -o r2 --key rebuilder.key
expect_grep '^srcproof rebuild verdict: ERROR$' "$T/out"
expect_grep 'the build failed with exit status 7; see build.log' "$T/out"
expect_grep '^  ERROR +a.bin$' "$T/out"
expect_grep 'not rebuilt: the build failed' "$T/out"
expect_grep 'VENDOR_ONLY is not set' r2/build.log
[ ! -e r2/rebuilt ] || fail "outputs collected from a failed build"
expect_rc 0 sp verify-sig hidden.bundle --sig r2/verdict.sig --pubkey rebuilder.key.pub
jq -e '.predicate.verdict == "ERROR" and .predicate.build.status == "failed" and
	.predicate.build.exit_code == 7 and .predicate.build.environment.FAIL_WITHOUT_IT == "1"' \
	r2/verdict.json >/dev/null || fail "r2 verdict.json"
expect_grep 'id="verdict" class="bad">ERROR<' r2/report.html

# 3. A build that hangs is stopped at the time limit (its whole group).
mkdir -p hang.src
cat >hang.src/build.sh <<'EOF'
mkdir -p out
printf 'h\n' >out/h.bin
if [ -z "${VENDOR_ONLY:-}" ]; then sleep 60 & sleep 60; fi
EOF
export VENDOR_ONLY=1
rb_release hang --output out/h.bin -- sh build.sh
unset VENDOR_ONLY
start=$(date +%s)
expect_rc 3 sp rebuild hang.bundle --shipped hang.shipped -o r3 --timeout 1 --key rebuilder.key
[ $(($(date +%s) - start)) -lt 30 ] || fail "the time limit did not stop the build"
expect_grep 'the build timed out; see build.log' "$T/out"
jq -e '.predicate.build.status == "timeout" and .predicate.build.timeout == 1' \
	r3/verdict.json >/dev/null || fail "r3 verdict.json"
expect_rc 0 sp verify-sig hang.bundle --sig r3/verdict.sig --pubkey rebuilder.key.pub

# 4. A command that is not on the build's PATH.
mkdir -p bin nf.src
printf '#!/bin/sh\nmkdir -p out && echo n >out/n.bin\n' >bin/vendor-build
chmod +x bin/vendor-build
: >nf.src/README
PATH=$T/bin:$PATH rb_release nf --output out/n.bin -- vendor-build
expect_rc 3 sp rebuild nf.bundle --shipped nf.shipped -o r4
expect_grep "the build could not be started; see build.log" "$T/out"
expect_grep "the command 'vendor-build' was not found on PATH '/usr/local/bin:/usr/bin:/bin'" "$T/out"
expect_grep 'verdict NOT signed' "$T/err"
# ... found with --path.
expect_rc 0 sp rebuild nf.bundle --shipped nf.shipped -o r4b --path "$T/bin:/usr/bin:/bin" -q
expect_grep '^IDENTICAL$' "$T/out"

# A project that always builds.
mkdir -p simple.src
printf 'mkdir -p out\nprintf "s\\n" >out/s.bin\n' >simple.src/build.sh
rb_release simple --output out/s.bin -- sh build.sh

# 5. Shipped files that do not match the bundle's SHA256SUMS, or are missing.
mkdir -p alt && cp simple.shipped/s.bin alt/s.bin && printf 'x' >>alt/s.bin
expect_rc 1 sp rebuild simple.bundle --shipped alt -o r5 --key rebuilder.key
expect_grep "does not match the bundle's binaries/SHA256SUMS" "$T/out"
expect_grep 'the rebuild has the declared digest: the shipped file was altered after the release' "$T/out"
expect_rc 0 sp verify-sig alt/s.bin --sig r5/verdict.sig --pubkey rebuilder.key.pub
mkdir -p empty
expect_rc 3 sp rebuild simple.bundle --shipped empty -o r6
expect_grep '^  ERROR +s.bin$' "$T/out"
expect_grep 'the shipped file: ' "$T/out"
# Without --shipped, the declared digest decides.
expect_rc 0 sp rebuild simple.bundle -o r7
expect_grep 'the rebuilt file has the SHA-256 declared in binaries/SHA256SUMS' "$T/out"

# 6. Not a bundle, a tampered bundle: ERROR, exit 3, signed (bundle subject).
printf 'this is not a bundle\n' >junk.bundle
expect_rc 3 sp rebuild junk.bundle -o r8 --key rebuilder.key
expect_grep '^srcproof rebuild verdict: ERROR$' "$T/out"
expect_grep 'the bundle does not verify' "$T/out"
expect_rc 0 sp verify-sig junk.bundle --sig r8/verdict.sig --pubkey rebuilder.key.pub
rb_pack simple --compression none
off=$(grep -abo 'printf "s' simple.bundle | head -1 | cut -d: -f1)
printf 'P' | dd of=simple.bundle bs=1 seek="$off" conv=notrunc status=none
expect_rc 3 sp rebuild simple.bundle -o r9 --key rebuilder.key
expect_grep "the bundle does not verify: check 'index'" "$T/out"
jq -e '.predicate.verdict == "ERROR" and .predicate.build == null and
	(.predicate.bundle_checks | map(select(.name == "index"))[0].status) == "FAIL"' \
	r9/verdict.json >/dev/null || fail "r9 verdict.json"

# 7. A policy that does not trust the vendor: the bundle fails its check.
spx key generate -o other.key --no-passphrase -q
spx policy create -o policy.json --expires 2030-01-01 -q &&
	spx policy add-key policy.json other.key.pub --roles root,release -q &&
	spx policy sign policy.json --key other.key -q >/dev/null || fail "policy"
rb_pack simple
expect_rc 3 sp rebuild simple.bundle -o r10 --policy policy.json
expect_grep "check 'signature'" "$T/out"
spx policy add-key policy.json vendor.key.pub --roles release -q &&
	spx policy sign policy.json --key other.key -q >/dev/null || fail "policy 2"
expect_rc 0 sp rebuild simple.bundle -o r11 --policy policy.json
expect_grep '^             PASS +signature' "$T/out"

# 8. Refusals that decide nothing: exit 2 or 3, nothing written.
mkdir keepme && : >keepme/file
expect_rc 3 sp rebuild simple.bundle -o keepme
expect_grep "the output directory 'keepme' exists" "$T/err"
[ "$(ls keepme)" = file ] || fail "existing directory touched"
expect_rc 3 sp rebuild nosuch.bundle -o r12
expect_grep "cannot read the bundle 'nosuch.bundle'" "$T/err"
[ ! -e r12 ] || fail "r12 created"
expect_rc 3 sp rebuild simple.bundle -o r13 --key nosuch.key
[ ! -e r13 ] || fail "r13 created before the key loaded"
expect_rc 2 sp rebuild simple.bundle
expect_grep 'missing -o OUTDIR' "$T/err"
expect_rc 2 sp rebuild -o r14
expect_rc 2 sp rebuild simple.bundle -o r14 --timeout 0
expect_rc 2 sp rebuild simple.bundle -o r14 --path bin
expect_rc 2 sp rebuild simple.bundle -o r14 --time yesterday
expect_rc 2 sp rebuild simple.bundle -o r14 --bogus
[ ! -e r14 ] || fail "r14 created by a usage error"

# 9. An encrypted bundle: unusable without the recipient's key; with it,
# rebuilt and marked encrypted. A passphrase-protected signing key.
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout rev.key -out rev.pem -subj /CN=reviewer -days 30 2>/dev/null ||
	fail "reviewer certificate"
rb_pack simple --recipient rev.pem
expect_rc 2 sp rebuild simple.bundle -o r15
expect_grep "error: bundle 'simple.bundle' is encrypted .CMS.; a recipient's private key is needed" "$T/err"
expect_grep "hint: add --recipient-key KEY.pem" "$T/err"
[ ! -e r15 ] || fail "r15 left behind"
spx key generate -o sealed.key --passphrase-fd 3 -q 3<<<'pass phrase' || fail "sealed key"
expect_rc 1 sp rebuild simple.bundle -o r16 --recipient-key rev.key --key sealed.key \
	--passphrase-fd 3 3<<<'wrong'
expect_grep "error: cannot decrypt 'sealed.key': wrong passphrase" "$T/err"
[ ! -e r16 ] || fail "rebuilt with a key that did not open"
expect_rc 0 sp rebuild simple.bundle -o r16 --recipient-key rev.key --key sealed.key \
	--passphrase-fd 3 3<<<'pass phrase'
jq -e '.predicate.bundle.encrypted == true and .predicate.verdict == "IDENTICAL"' \
	r16/verdict.json >/dev/null || fail "r16 verdict.json"
expect_rc 0 sp verify-sig simple.bundle --sig r16/verdict.sig --pubkey sealed.key.pub
expect_rc 0 sp rebuild --help
expect_grep '^usage: srcproof rebuild BUNDLE -o OUTDIR' "$T/out"
echo "rebuild_bad: ok"
