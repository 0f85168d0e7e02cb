# The README's sample output is the demo's real output: every command the
# README shows with a "$ " prompt that the demo runs (scripts/demo.sh, run
# once per build by the journey set-up) must print what the README shows,
# line for line, in order, once volatile parts are masked (hex ids and
# hashes, base64, times, sizes, durations, temporary names, the number of
# tools a recipe records, the demo's directory). A line "…" marks where
# the README cuts lines; "…" inside a line stands for any text; "$ sh scripts/bootstrap.sh demo" stands for
# the demo itself (its closing lines). Every long option of every srcproof
# command the README shows (with a prompt or in a ```sh block) must be one that
# command's --help lists. README drift fails here.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
. "$SP_SOURCE_DIR/tests/fixtures/journey_setup.sh"
cd "$T"
need_tool python3 "scripts/bootstrap.sh test installs it"

# ---- the output blocks against the demo's log -----------------------------
python3 - "$SP_SOURCE_DIR/README.md" "$J/demo.log" "$D" >check.out 2>&1 <<'PY' ||
import re, shlex, sys

readme, log, demo = sys.argv[1:4]
CUT = "…"

def mask(s):
    s = s.replace(demo, "/x/demo-out")
    s = re.sub(r"srcproof-bundle-[A-Za-z0-9]{6}", "srcproof-bundle-TMP", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", s)
    s = re.sub(r"[A-Za-z0-9+/]{40,}={0,2}", "B64", s)
    s = re.sub(r"[0-9a-f]{8,}", "HEX", s)
    s = re.sub(r"\d+ bytes", "N bytes", s)
    # How many tools the recipe records depends on what the machine has.
    s = re.sub(r"\d+ tools", "N tools", s)
    s = re.sub(r"\b\d+\.\d+ s\b", "N s", s)
    return s.rstrip()

def words(cmd):
    w = shlex.split(mask(cmd))
    if w[:2] == ["unshare", "-n"]:
        w = w[2:]
    out, i = [], 0
    while i < len(w):
        if w[i] == "--time" and i + 1 < len(w):
            i += 2
            continue
        # --at: a time, or (in the README) the variable that holds it.
        if w[i] == "--at" and i + 1 < len(w) and (
                w[i + 1] == "TIME" or re.fullmatch(r"\$[A-Z_]+", w[i + 1])):
            out += ["--at", "TIME"]
            i += 2
            continue
        out.append(w[i])
        i += 1
    return out

# The demo's commands and their output (blank lines dropped).
runs = []
for line in open(log, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("$ srcproof "):
        runs.append([words(line[2:]), [], False])
    elif line.startswith("== ") or line.startswith("# offline:"):
        if runs:
            runs[-1][2] = True  # the section is over
    elif runs and not runs[-1][2] and line.strip():
        runs[-1][1].append(mask(line))
# The demo's closing lines, as one more "command".
tail = open(log, encoding="utf-8").read().split("\n== Done\n", 1)
if len(tail) == 2:
    runs.append([["DONE"], [mask(l) for l in tail[1].splitlines() if l.strip()], False])

# The README's blocks: a fence, then "$ " lines and their output.
blocks, cur = [], None
for n, line in enumerate(open(readme, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("```"):
        cur = [] if cur is None else (blocks.append(cur) or None)
        continue
    if cur is not None:
        cur.append((n, line))
cmds = []
for b in blocks:
    if not any(l.startswith("$ ") for _, l in b):
        continue
    for n, line in b:
        if line.startswith("$ "):
            cmds.append([n, line[2:], []])
        elif cmds:
            cmds[-1][2].append(line)

def pattern(lines):
    p = ""
    for l in lines:
        if not l.strip():
            continue
        if l.strip() == CUT:
            p += r"(?:[^\n]*\n)*?"
            continue
        parts = mask(l).split(CUT)
        p += r"[^\n]*".join(re.escape(x) for x in parts) + r"\n"
    return p

bad, matched = 0, 0
for n, cmd, out in cmds:
    # The demo itself: its closing lines.
    w = ["DONE"] if cmd.endswith("scripts/bootstrap.sh demo") else words(cmd)
    hit = next((r for r in runs if r[0] == w), None)
    shown = [l for l in out if l.strip()]
    if hit is None:
        # A command the demo does not print (its quiet set-up steps): the
        # README may show it, but no output it cannot back.
        if any(l.strip() != CUT for l in shown):
            print(f"README.md:{n}: output shown for a command the demo does not run as shown: {cmd}")
            bad += 1
        continue
    matched += 1
    text = "".join(l + "\n" for l in hit[1])
    if not re.fullmatch(pattern(shown), text):
        print(f"README.md:{n}: the output of `{cmd}` is not the demo's (masked; '…' marks a cut)")
        print("  README shows:")
        print("".join(f"    {mask(l)}\n" for l in shown), end="")
        print("  the demo printed:")
        print("".join(f"    {l}\n" for l in hit[1]), end="")
        bad += 1
if matched < 20:
    print(f"only {matched} README commands matched a demo command")
    bad += 1
print(f"{matched} commands checked against the demo, {bad} differ")
sys.exit(1 if bad else 0)
PY
	fail "README.md drifted from the demo's output:
$(cat check.out)"
grep -q '^[0-9]* commands checked against the demo, 0 differ$' check.out ||
	fail "no summary: $(cat check.out)"

# ---- every option the README uses is one --help lists ----------------------
n=0
while IFS= read -r line; do
	set -f
	# shellcheck disable=SC2086
	set -- $line
	set +f
	verb=$2
	spi "$verb" --help >help.txt 2>&1 || fail "README: srcproof $verb --help failed: $line"
	if grep -q '^commands:$' help.txt && [ $# -ge 3 ]; then
		spi "$verb" "$3" --help >help.txt 2>&1 || fail "README: srcproof $verb $3 --help failed"
	fi
	for w in "$@"; do
		case $w in
		--*) o=${w%%=*} ;;
		*) continue ;;
		esac
		n=$((n + 1))
		grep -qE -- "(^|[ ,])$o([ ,=]|\$)" help.txt || fail "README: '$o' is not an option of: $line"
	done
done < <(awk '/^```/ { sh = (!f && $0 == "```sh"); f = !f; next }
	f && (sh || /^\$ /) { sub(/^ *(\$ )?(unshare -n )?/, ""); if ($0 ~ /^srcproof [a-z]/) print }' \
	"$SP_SOURCE_DIR/README.md" | sed 's/  *\((and\|#\).*//')
[ "$n" -ge 60 ] || fail "only $n options found in the README's commands"
# ---- "Building by hand" lists the packages scripts/bootstrap.sh installs --
pkgs() {
	sed -n "/^$1=\"/,/\"\$/p" "$SP_SOURCE_DIR/scripts/bootstrap.sh" |
		sed "s/^$1=//" | tr -d '"' | tr ' ' '\n' | grep . | sort
}
readme_pkgs() {
	sed -n '/^## Building by hand/,/^## /p' "$SP_SOURCE_DIR/README.md" |
		sed -n '/apt-get install/,/[^\\]$/p' | tr -d '\\' | tr ' ' '\n' |
		grep -Ev '^(|apt-get|install)$' | sort
}
[ -n "$(pkgs PKGS_BUILD)" ] && [ -n "$(pkgs PKGS_TEST)" ] || fail "no PKGS_BUILD or PKGS_TEST in scripts/bootstrap.sh"
[ "$(readme_pkgs)" = "$( (pkgs PKGS_BUILD; pkgs PKGS_TEST) | sort)" ] ||
	fail "README's 'Building by hand' packages differ from scripts/bootstrap.sh's: $(diff <(readme_pkgs) <( (pkgs PKGS_BUILD; pkgs PKGS_TEST) | sort) | grep '^[<>]' | tr '\n' ' ')"
echo "readme_output: $(tail -1 check.out); $n options checked against --help"
