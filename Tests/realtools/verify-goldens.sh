#!/usr/bin/env bash
# Checks the golden files of Tests/BerthCoreTests/Golden with the real tools:
# - every golden unit, with the shared targets and slices, through `systemd-analyze verify`
#   (any line it prints about our units is a failure: it exits 0 on most warnings);
# - every golden iptables plan through `iptables-restore --test` / `ip6tables-restore --test`,
#   then applied twice for real with --noflush (idempotence) and replaced by the empty plan,
#   all inside a network namespace this script creates and deletes.
# - the socket-activated units for real (private systemd manager, podman, busybox httpd);
#   BERTH_VERIFY_E2E=0 skips it.
# Usage: verify-goldens.sh [--docker PATH] [--berthd PATH]   (needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
golden=$(cd "$here/../BerthCoreTests/Golden" && pwd)
docker_path=$(command -v docker || echo /usr/local/bin/docker)
# The goldens name the node binary; any existing executable stands in for it.
berthd_path=/bin/true
while [ $# -gt 0 ]; do
    case $1 in
        --docker) docker_path=$2; shift 2 ;;
        --berthd) berthd_path=$2; shift 2 ;;
        *) echo "usage: $0 [--docker PATH] [--berthd PATH]" >&2; exit 64 ;;
    esac
done

tmp=$(mktemp -d /tmp/berth-verify.XXXXXX)
ns=berth-verify-$$-$RANDOM
ns_created=0
cleanup() {
    if [ "${e2e_running:-0}" = 1 ]; then
        podman rm -f ctr-e2e-web >/dev/null 2>&1 || true
        manager_stop || true
    fi
    if [ "$ns_created" = 1 ]; then ip netns del "$ns" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/     /'; }

# verify_units NAME DIR: systemd-analyze verify on every unit file in DIR.
verify_units() {
    local name=$1 dir=$2 out units
    units=$(cd "$dir" && ls)
    # shellcheck disable=SC2086
    out=$(cd "$dir" && systemd-analyze verify --man=no $(printf './%s ' $units) 2>&1) || {
        fail "$name: systemd-analyze verify exited non-zero" "$out"; return; }
    # Only lines about our own files count; the host's units are not ours to judge.
    local ours
    ours=$(printf '%s\n' "$out" | grep -F -e "$dir" -e "ctr-" -e "berth" || true)
    if [ -n "$ours" ]; then fail "$name: systemd-analyze verify warned" "$ours"; else pass "$name: systemd-analyze verify"; fi
}

for manager in system user; do
    d=$tmp/shared-$manager
    mkdir -p "$d"
    cp "$golden/shared-$manager/"* "$d/"
    cp "$golden/shared-system/"*.slice "$d/"
    verify_units "shared-$manager" "$d"
done

for case_dir in "$golden"/units/*/; do
    name=units/$(basename "$case_dir")
    d=$tmp/$(basename "$case_dir")
    mkdir -p "$d"
    cp "$golden/shared-system/"* "$d/"
    for f in "$case_dir"*; do
        sed -e "s#/usr/bin/docker #$docker_path #g" -e "s#/usr/local/bin/berthd #$berthd_path #g" "$f" > "$d/$(basename "$f")"
    done
    verify_units "$name" "$d"
done

if ! ip netns add "$ns"; then
    fail "iptables: could not create network namespace $ns (root needed)"
else
    ns_created=1
    in_ns() { ip netns exec "$ns" "$@"; }
    for rules in "$golden"/iptables/*.rules; do
        name=iptables/$(basename "$rules")
        case $rules in
            *-v6.rules) restore=ip6tables-restore; tables=ip6tables; save=ip6tables-save ;;
            *) restore=iptables-restore; tables=iptables; save=iptables-save ;;
        esac
        if ! out=$(in_ns "$restore" --test < "$rules" 2>&1); then fail "$name: $restore --test" "$out"; continue; fi
        pass "$name: $restore --test"
        want=$(grep -c '^-A BERTH-' "$rules" || true)
        if ! out=$({ in_ns "$restore" --noflush < "$rules" && in_ns "$restore" --noflush < "$rules"; } 2>&1); then
            fail "$name: applying twice" "$out"; continue
        fi
        for jump in "PREROUTING BERTH-PRE" "OUTPUT BERTH-OUT" "POSTROUTING BERTH-POST"; do
            set -- $jump
            in_ns "$tables" -t nat -C "$1" -j "$2" 2>/dev/null || in_ns "$tables" -t nat -A "$1" -j "$2"
        done
        have=$(in_ns "$save" -t nat | grep -c '^-A BERTH-' || true)
        if [ "$have" != "$want" ]; then fail "$name: applied twice, want $want rules, have $have"; continue; fi
        empty=$golden/iptables/empty-${rules##*-}
        in_ns "$restore" --noflush < "$empty"
        have=$(in_ns "$save" -t nat | grep -c '^-A BERTH-' || true)
        jumps=$(in_ns "$save" -t nat | grep -c -- '-j BERTH-' || true)
        if [ "$have" != 0 ] || [ "$jumps" != 3 ]; then fail "$name: empty plan left $have rules, $jumps jumps"; continue; fi
        pass "$name: idempotent apply and removal"
    done
fi

# End to end: the socket-activated golden units in a private systemd manager with podman. The first
# connection to the host port starts the proxy, which starts the container; the answer must be the
# page the container serves.
e2e() {
    local image=localhost/busybox:latest port=18971 dir=$tmp/e2e-run
    if ! command -v podman >/dev/null || ! podman image exists "$image" 2>/dev/null; then
        echo "skip e2e: podman or $image missing (see shared/REAL-STACK.md)"; return
    fi
    # shellcheck source=/dev/null
    . "$here/../../Scripts/lib/manager.sh"
    mkdir -p "$dir/www"
    echo "berth e2e $$" > "$dir/www/index.html"
    : > "$dir/env"
    manager_start "$dir/mgr" || { fail "e2e: private systemd manager did not start"; return; }
    e2e_running=1
    cp "$golden/shared-user/"* "$golden/shared-system/"*.slice "$MANAGER_UNITS/"
    for f in "$golden"/e2e/*; do sed "s#/BERTH_E2E/#$dir/#g" "$f" > "$MANAGER_UNITS/$(basename "$f")"; done
    manager_systemctl daemon-reload
    if ! out=$(manager_systemctl start "ctr-e2e-web@$port.socket" 2>&1); then
        fail "e2e: socket did not start" "$out"
    else
        local body
        body=$(curl -s --max-time 30 "http://127.0.0.1:$port/" 2>&1 || true)
        if [ "$body" = "berth e2e $$" ]; then pass "e2e: socket-activated busybox httpd answered through the proxy"
        else fail "e2e: wrong answer through the socket" "$body
$(manager_systemctl status 'ctr-e2e-web*' 2>&1 | tail -20)"; fi
        manager_systemctl stop "ctr-e2e-web@$port.socket" "ctr-e2e-web@$port.service" ctr-e2e-web.service || true
        if podman container exists ctr-e2e-web 2>/dev/null; then
            fail "e2e: container ctr-e2e-web still exists after stop"; podman rm -f ctr-e2e-web >/dev/null 2>&1 || true
        else pass "e2e: container removed on stop"; fi
    fi
    manager_stop
    e2e_running=0
}
e2e_running=0
if [ "${BERTH_VERIFY_E2E:-1}" = 1 ]; then e2e; fi

echo "verify-goldens: $passed passed, $failed failed"
[ "$failed" = 0 ]
