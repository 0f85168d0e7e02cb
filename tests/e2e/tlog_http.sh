# A log served as static files (docs/spec/log.md section 3.6): the log
# directory behind 'python3 -m http.server' on 127.0.0.1, a client that
# knows only the URL fetches the checkpoint, log.vkey and exactly the tiles
# and entry bundles the checkpoint names (computed from its size, no
# directory listing) into a mirror, and srcproof checks, proves and
# verifies from the mirror; after the log grows, the client fetches only
# what changed and checks consistency with the checkpoint it had.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
F=$SP_SOURCE_DIR/tests/fixtures
need_tool python3 "serves and fetches the log over HTTP"
cd "$T"

openssl genpkey -algorithm ed25519 -out log.key 2>/dev/null
expect_rc 0 sp log init L --key log.key --origin example.com/served
bash "$F/tlog_entries.sh" 0 600 >e600
expect_rc 0 sp log append L --entries e600

# The server: an ephemeral port on the loopback, killed on exit.
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT
python3 -u -m http.server 0 --bind 127.0.0.1 --directory L >srv.log 2>&1 &
srv=$!
port=
for i in $(seq 50); do
	port=$(sed -n 's/^Serving HTTP on 127.0.0.1 port \([0-9]*\) .*/\1/p' srv.log)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "the HTTP server did not start: $(cat srv.log)"
URL=http://127.0.0.1:$port

# The client: tlog-tiles paths from the checkpoint's size only (section
# 3.1); fetches what is missing (full tiles and bundles never change, so a
# mirror keeps them; partial ones are fetched for the size at hand).
cat >fetch.py <<'EOF'
import os, sys, urllib.request
base, mirror = sys.argv[1], sys.argv[2]
fetched = []
def get(rel):
    with urllib.request.urlopen(base + "/" + rel, timeout=10) as r:
        data = r.read()
    path = os.path.join(mirror, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    fetched.append(rel)
def tile(level, n, w):
    parts = []
    while True:
        parts.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    parts.reverse()
    p = "/".join(["x" + q for q in parts[:-1]] + [parts[-1]])
    p = "tile/%s/%s" % ("entries" if level < 0 else level, p)
    return p if w == 256 else p + ".p/%d" % w
get("checkpoint")
if not os.path.exists(os.path.join(mirror, "log.vkey")):
    get("log.vkey")
size = int(open(os.path.join(mirror, "checkpoint")).read().split("\n")[1])
need = []
level = 0
while size >> (8 * level) > 0:
    count = size >> (8 * level)
    for n in range(count // 256):
        need.append(tile(level, n, 256))
        if level == 0:
            need.append(tile(-1, n, 256))
    if count % 256:
        need.append(tile(level, count // 256, count % 256))
        if level == 0:
            need.append(tile(-1, count // 256, count % 256))
    level += 1
for rel in need:
    if rel.split("/")[-2].endswith(".p") or not os.path.exists(os.path.join(mirror, rel)):
        get(rel)
print("\n".join(fetched))
EOF

python3 fetch.py "$URL" M >fetched1 || fail "fetching the log failed"
# Exactly: checkpoint, log.vkey, 2 full and 1 partial level-0 tiles, the
# level-1 partial tile, 2 full and 1 partial bundles.
sort fetched1 >f1.sorted
printf '%s\n' checkpoint log.vkey tile/0/000 tile/0/001 tile/0/002.p/88 \
	tile/1/000.p/2 tile/entries/000 tile/entries/001 tile/entries/002.p/88 |
	sort >f1.want
diff f1.want f1.sorted >/dev/null || fail "fetched other files: $(diff f1.want f1.sorted)"
for f in $(cat fetched1); do
	cmp -s "L/$f" "M/$f" || fail "'$f' differs from the log's"
done
# The mirror holds no private file of the log.
ls -A M | sort | tr '\n' ' ' | grep -qx 'checkpoint log.vkey tile ' ||
	fail "the mirror holds more than the public files: $(ls -A M)"

# srcproof works from the mirror alone: audit, prove, verify.
expect_rc 0 sp log check M
expect_grep '^log ok: 600 entries' "$T/out"
expect_rc 0 sp log prove M 300 -o pm
expect_rc 0 sp log prove L 300 -o pl
cmp -s pm pl || fail "the proof from the mirror differs from the log's"
expect_rc 0 sp log verify pm --log-key M/log.vkey
expect_grep "^verified: entry 300 of log 'example.com/served' \(size 600" "$T/out"
cp M/checkpoint cp600

# The log grows; the client fetches the new checkpoint and what changed:
# new full tiles and the partial ones, never a full one it holds.
bash "$F/tlog_entries.sh" 600 200 >e200
expect_rc 0 sp log append L --entries e200
python3 fetch.py "$URL" M >fetched2 || fail "fetching the grown log failed"
sort fetched2 >f2.sorted
grep -Fxq tile/0/000 f2.sorted && fail "a full tile was fetched again"
printf '%s\n' checkpoint tile/0/002 tile/0/003.p/32 tile/1/000.p/3 \
	tile/entries/002 tile/entries/003.p/32 | sort >f2.want
diff f2.want f2.sorted >/dev/null || fail "fetched other files: $(diff f2.want f2.sorted)"
expect_rc 0 sp log check M
expect_grep '^log ok: 800 entries' "$T/out"
# The old partials stay in the mirror: it is a valid log of 800 entries.
expect_rc 0 sp log consistency M cp600 -o req
head -1 req | grep -qx 'old 600' || fail "consistency request from the mirror"
expect_rc 0 sp log consistency L cp600 -o req.l
cmp -s req req.l || fail "the consistency request from the mirror differs"

# What a plain static server does with the private files: python's
# http.server serves dot files, so they must be denied in a real server
# (docs/spec/log.md 3.6). They hold no key, but name where it is.
python3 - "$URL" <<'EOF' || fail "the private file was not served (the check is moot)"
import sys, urllib.request
sys.exit(0 if b"srcproof.log-config" in urllib.request.urlopen(sys.argv[1] + "/.srcproof-log.json", timeout=10).read() else 1)
EOF
grep -q PRIVATE L/.srcproof-log.json && fail "the log config holds a private key"
# It is readable by its owner only (a web server running as another user
# cannot serve it).
[ "$(stat -c %a L/.srcproof-log.json)" = 600 ] ||
	fail "the log config is mode $(stat -c %a L/.srcproof-log.json), not 600"
echo "tlog_http: ok"
