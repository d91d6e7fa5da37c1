#!/usr/bin/env bash
# Scripts/cluster: hosts are namespaces on a private bridge that reach each other over v4 and v6, each
# with its own running private systemd manager inside its namespace and a berthd (a stand-in that
# only listens and answers node.hello, then the real one when built) on its Unix socket; `down` removes everything; a berthd
# that fails with --require-berthd makes `up` fail and leave nothing behind.
set -euo pipefail
root=${BERTH_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d /tmp/berth-rt-cl.XXXXXX)
state=$work/state
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
    [ -n "${httpd:-}" ] && kill "$httpd" 2>/dev/null && wait "$httpd" 2>/dev/null
    "$root/Scripts/cluster" down --state "$state" >/dev/null 2>&1 || true
    "$root/Scripts/cluster" down --state "$work/bad" >/dev/null 2>&1 || true
    "$root/Scripts/cluster" down --state "$work/real" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/fake-berthd" <<'PY'
#!/usr/bin/env python3
# Listens and answers node.hello, which is what Scripts/lib/berthd.sh waits for; nothing else.
import json, signal, socket, sys, threading
args = sys.argv[1:]
path = next(a[5:] for p, a in zip(args, args[1:]) if p == "--listen" and a.startswith("unix:"))
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
def serve(c):
    with c, c.makefile("rwb") as f:
        for line in f:
            rid = json.loads(line).get("id")
            f.write(json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"protocol": 1}}).encode() + b"\n")
            f.flush()
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
chmod +x "$work/fake-berthd"

"$root/Scripts/cluster" up 3 --state "$state" --berthd "$work/fake-berthd" --require-berthd > "$work/up.out"
# shellcheck source=/dev/null
source "$state/cluster.env"
[ "$BERTH_CLUSTER_HOSTS" = "h1 h2 h3" ] || fail "hosts: $BERTH_CLUSTER_HOSTS"
grep -q "^h2 *198.18.0.2 *2001:2::2 *running" "$work/up.out" || fail "summary: $(cat "$work/up.out")"
[ "$(stat -c %a "$state/secret")" = 600 ] || fail "secret file mode"
pids=()
for h in $BERTH_CLUSTER_HOSTS; do
    ns=BERTH_CLUSTER_${h}_NS; mp=BERTH_CLUSTER_${h}_MANAGER_PID; xdg=BERTH_CLUSTER_${h}_XDG; sock=BERTH_CLUSTER_${h}_SOCKET
    [ "$(ip netns identify "${!mp}")" = "${!ns}" ] || fail "$h's manager is not in ${!ns}"
    grep -q "berth-mgr-" "/proc/${!mp}/cgroup" || fail "$h's manager is not in its own cgroup"
    [ "$(XDG_RUNTIME_DIR=${!xdg} systemctl --user show -p SystemState --value)" = running ] || fail "$h's manager state"
    [ -S "${!sock}" ] || fail "$h's node socket"
    pids+=("${!mp}")
done
berthd_pid=$(awk '$1 == "berthd" { print $2; exit }' "$state/resources")
[ "$(ip netns identify "$berthd_pid")" = "$BERTH_CLUSTER_h1_NS" ] || fail "berthd of h1 is not in its namespace"

mkdir "$work/www"; echo page-of-h3 > "$work/www/index.html"
nsenter --net="/run/netns/$BERTH_CLUSTER_h3_NS" busybox httpd -f -p 9000 -h "$work/www" & httpd=$!
sleep 0.3
got=$(ip netns exec "$BERTH_CLUSTER_h1_NS" curl -sS --max-time 3 http://198.18.0.3:9000/) || true
[ "$got" = page-of-h3 ] || fail "h1 -> h3 over IPv4: '$got'"
got=$(ip netns exec "$BERTH_CLUSTER_CLIENT_NS" curl -g -sS --max-time 3 "http://[2001:2::3]:9000/") || true
[ "$got" = page-of-h3 ] || fail "client -> h3 over IPv6: '$got'"
kill "$httpd"; wait "$httpd" 2>/dev/null || true; httpd=

"$root/Scripts/cluster" down --state "$state"
for p in "${pids[@]}" "$berthd_pid"; do ! kill -0 "$p" 2>/dev/null || fail "process $p survived down"; done
! ip netns list | grep -q "^$BERTH_CLUSTER_PREFIX-" || fail "namespaces survived down"
! ls -d /sys/fs/cgroup/*/"$(cat "$state/h1/sd/manager.cgroup")" 2>/dev/null || fail "cgroups survived down"

# A node that fails with --require-berthd: up fails and tears down what it made.
before=$(ip netns list | grep -c "^bcl" || true)
if "$root/Scripts/cluster" up 2 --state "$work/bad" --berthd /bin/false --require-berthd > "$work/bad.out" 2>&1; then
    fail "up succeeded with a failing berthd"
fi
grep -q "exited before listening" "$work/bad.out" || fail "the failure is not explained: $(cat "$work/bad.out")"
[ ! -e "$work/bad/resources" ] || fail "resources left after a failed up"
after=$(ip netns list | grep -c "^bcl" || true)
[ "$before" = "$after" ] || fail "namespaces left after a failed up: $(ip netns list | grep "^bcl")"

# The real berthd, when built: it must come up on h1 (a warning and no node used to pass here, from
# before berthd existed), answer a ping on its Unix socket and refuse TCP without the secret.
if [ -n "${BERTH_BIN_DIR:-}" ] && [ -x "$BERTH_BIN_DIR/berthd" ]; then
    "$root/Scripts/cluster" up 1 --state "$work/real" --berthd "$BERTH_BIN_DIR/berthd" --require-berthd > "$work/real.out" 2>&1 ||
        fail "up with the real berthd: $(cat "$work/real.out")"
    grep -q "^h1 .* running" "$work/real.out" || fail "h1's berthd is not running: $(cat "$work/real.out")"
    # shellcheck source=/dev/null
    source "$work/real/cluster.env"
    ping='{"jsonrpc":"2.0","id":1,"method":"node.ping"}'
    got=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()+b"\n"); print(s.recv(4096).decode())' \
        "$BERTH_CLUSTER_h1_SOCKET" "$ping")
    case $got in *'"pong":true'*) ;; *) fail "node.ping on h1's Unix socket: $got" ;; esac
    got=$(ip netns exec "$BERTH_CLUSTER_CLIENT_NS" python3 -c 'import socket,sys; s=socket.create_connection((sys.argv[1], 7420), timeout=3); s.sendall(sys.argv[2].encode()+b"\n"); print(s.recv(4096).decode())' \
        "$BERTH_CLUSTER_h1_ADDR" "$ping")
    case $got in *unauthorized*) ;; *) fail "TCP without authentication must be refused: $got" ;; esac
    echo "links-cluster: the real berthd listens (Unix ping answered, TCP demands the secret)"
    "$root/Scripts/cluster" down --state "$work/real"
else
    echo "links-cluster: note: no berthd in BERTH_BIN_DIR; only the stand-in was tested"
fi
echo "links-cluster: ok"
