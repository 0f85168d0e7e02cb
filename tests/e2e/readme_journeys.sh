# A newcomer follows the README's three journeys from the README alone:
# every ```sh block and every "$ " command of the output blocks between
# "## The three journeys" and the next "## " section, in order, in one
# shell, in an empty directory, with the installed srcproof on PATH and
# SRC set to the checkout, as the README says. Each command must succeed
# (the script runs under set -e), and the end state must be what the
# journeys promise: three releases, a PASS from the sealed room's verify,
# full coverage. readme_output.sh compares the output with the demo's; this
# test proves the commands themselves work when run as written.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/journey_setup.sh"
need_tool openssl "apt-get install openssl"
need_tool zstd "apt-get install zstd"
unset SRCPROOF_PASSPHRASE # the README exports it itself

python3 - "$SP_SOURCE_DIR/README.md" >"$T/journeys.sh" <<'PY' ||
import re
import sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = lines.index("## The three journeys")
end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
def shown_before(cmd, seen):
    # A "$ " command an earlier block already ran (the blocks that show
    # output): equal words, where the earlier line's $1, $2... stand for
    # any word (the README's shell functions).
    for pat in seen:
        if re.fullmatch(pat, " ".join(cmd.split())):
            return True
    return False

out, seen, fence, n_sh, n_cmd = [], [], None, 0, 0
for line in lines[start:end]:
    if line.startswith("```"):
        if fence is None:
            fence = line[3:].strip() or "output"
            if fence == "sh":
                n_sh += 1
        else:
            fence = None
        continue
    if fence == "sh":
        if line.startswith("SRC=/path/to/srcproof"):
            line = 'SRC="$SP_SOURCE_DIR"'
        out.append(line)
        words = " ".join(line.split())
        if words.startswith("srcproof "):
            seen.append(re.sub(r"\\\$[0-9]", r"\\S+", re.escape(words)))
    elif fence == "output" and line.startswith("$ "):
        cmd = line[2:]
        if cmd.startswith("sh scripts/bootstrap.sh"):
            continue  # the demo itself: the other tests run it
        if shown_before(cmd, seen):
            continue
        out.append(cmd)
        n_cmd += 1
if n_sh < 5 or n_cmd < 20:
    sys.exit(f"only {n_sh} sh blocks and {n_cmd} commands found")
print("set -euo pipefail")
print("\n".join(out))
PY
	fail "cannot extract the journeys from README.md"

# Offline steps run in a namespace without a network where this system
# allows it (as the README's root user does); else with the network up.
if ! unshare -n true 2>/dev/null; then
	sed -i 's/^unshare -n //' "$T/journeys.sh"
fi
mkdir "$T/newcomer"
(cd "$T/newcomer" && PATH=$PREFIX/bin:$PATH SP_SOURCE_DIR=$SP_SOURCE_DIR \
	bash "$T/journeys.sh") >"$T/out" 2>"$T/err" ||
	fail "a README journey command failed; the end of its stderr:
$(tail -20 "$T/err")"

cd "$T/newcomer"
for v in 1.0.0 1.0.1 1.0.2; do
	[ -s "avscan-$v/bundle.cms" ] || fail "no bundle for $v"
done
expect_grep '^chain unbroken: 3 manifests' "$T/out"
expect_grep '^srcproof verify: PASS$' final-1.0.2/report.txt
expect_grep '^  coverage +PASS +7 of 7 files covered' final-1.0.2/report.txt
[ -s report-1.0.2/report.html ] || fail "no one-page report"
# The standard-tools block opened the bundle and checked it.
[ -f srcproof-bundle/INDEX ] || fail "the bundle was not opened with openssl and tar"
[ "$(git -C vendor-repo rev-parse 'v1.0.2^{tree}')" = \
	"$(sed -n 's/^# git-tree: //p' srcproof-bundle/manifest)" ] ||
	fail "the bundle's manifest does not name the tag's tree"
echo "readme_journeys: every README journey command ran as written"
