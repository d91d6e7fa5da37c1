# shellcheck shell=bash
# N Berth hosts on one machine, for tests, benchmarks and development. Source this file, then:
#
#   cluster_up STATE N [BERTHD]   makes hosts h1..hN in STATE (an empty or missing directory);
#                                 BERTHD is the berthd binary ("" = none). Tears down what it made
#                                 and returns non-zero on failure.
#   cluster_down STATE            tears down everything STATE/resources records, newest first.
#
# Each host is a network namespace PREFIX-hN (PREFIX unique per run) with an interface berth0
# addressed 198.18.0.N/24 and 2001:2::N/64, plugged into a bridge that lives in a namespace of its own
# (PREFIX-br), so the machine's own interfaces are never touched. A client namespace PREFIX-client
# (198.18.0.254, 2001:2::fe) is on the same bridge for CLIs that talk TCP to the nodes
# (`ip netns exec PREFIX-client berth ...`). Each host gets a private systemd manager
# (Scripts/lib/manager.sh) started inside its namespace with `nsenter --net` (never `ip netns exec`:
# that remounts /sys, which hides the cgroup hierarchies the manager must place itself in), and a
# berthd listening on STATE/hN/berthd.sock and tcp://198.18.0.N:7420 with the shared STATE/secret.
#
# Everything made is appended to STATE/resources as it is made ("netns NAME", "manager DIR",
# "berthd PID DIR"), so `down` removes exactly that, by name and PID, even after a failed `up`.
# STATE/cluster.env describes the cluster for scripts (source it).

CLUSTER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=manager.sh
source "$CLUSTER_LIB_DIR/manager.sh"
# shellcheck source=berthd.sh
source "$CLUSTER_LIB_DIR/berthd.sh"

CLUSTER_PORT=${CLUSTER_PORT:-7420}

_cluster_record() { echo "$*" >> "$CLUSTER_STATE/resources"; }

_cluster_netns() {
    ip netns add "$1" || return 1
    _cluster_record "netns $1"
    ip -n "$1" link set lo up
}

# Stops a berthd we started, after checking the PID is still that berthd (PIDs get reused).
_cluster_stop_berthd() {
    local pid=$1 dir=$2 i=0
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "--state-dir $dir/state" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
}

# Starts berthd for host $1 (index $2) in its namespace; fails if it does not listen within 10 s.
_cluster_start_berthd() {
    local host=$1 dir=$CLUSTER_STATE/$1 ns=$2 addr=$3 binary=$4
    mkdir -p "$dir/state" "$dir/run"
    env -i PATH="$PATH" HOME="${HOME:-/root}" CONTAINERS_CONF="${CONTAINERS_CONF:-}" \
        XDG_RUNTIME_DIR="$dir/sd/xdg" XDG_CONFIG_HOME="$dir/sd/config" SYSTEMD_UNIT_PATH="$dir/sd/units:" \
        nsenter --net="/run/netns/$ns" -- \
        "$binary" --listen "unix:$dir/berthd.sock" --listen "tcp://$addr:$CLUSTER_PORT" \
        --secret-file "$CLUSTER_STATE/secret" --state-dir "$dir/state" --run-dir "$dir/run" \
        </dev/null >"$dir/berthd.log" 2>&1 &
    local pid=$!
    _cluster_record "berthd $pid $dir"
    berthd_wait_listening "$dir/berthd.sock" "$pid" "$dir/berthd.log" 10 || { echo "cluster: berthd of $host failed" >&2; return 1; }
}

cluster_up() {
    local state=$1 count=$2 berthd=${3:-}
    case $count in ''|*[!0-9]*) echo "cluster: N must be a number 1-200, not '$count'" >&2; return 2 ;; esac
    if [ "$count" -lt 1 ] || [ "$count" -gt 200 ]; then echo "cluster: N must be 1-200" >&2; return 2; fi
    if [ -e "$state/resources" ]; then
        echo "cluster: $state already holds a cluster; run 'Scripts/cluster down' first" >&2; return 1
    fi
    mkdir -p "$state" && CLUSTER_STATE=$(cd "$state" && pwd) || return 1
    : > "$CLUSTER_STATE/resources"
    if ! _cluster_make "$count" "$berthd"; then
        echo "cluster: up failed; tearing down what was made" >&2
        cluster_down "$CLUSTER_STATE"
        return 1
    fi
}

_cluster_make() {
    local count=$1 berthd=$2 prefix i
    prefix=bcl$$
    local br=$prefix-br client=$prefix-client
    umask 077
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$CLUSTER_STATE/secret" || return 1
    umask 022
    # /run/netns must exist as a shared mount before any manager copies the mount table.
    _cluster_netns "$br" || return 1
    ip -n "$br" link add br0 type bridge && ip -n "$br" link set br0 up || return 1
    {
        echo "# Written by Scripts/cluster up; source it."
        echo "BERTH_CLUSTER_STATE=$CLUSTER_STATE"
        echo "BERTH_CLUSTER_PREFIX=$prefix"
        echo "BERTH_CLUSTER_SECRET=$CLUSTER_STATE/secret"
        echo "BERTH_CLUSTER_CLIENT_NS=$client"
        echo "BERTH_CLUSTER_SIZE=$count"
    } > "$CLUSTER_STATE/cluster.env.tmp"
    local hosts=""
    for i in $(seq 1 "$count") client; do
        local name ns index
        if [ "$i" = client ]; then name=client; ns=$client; index=254; else name=h$i; ns=$prefix-h$i; index=$i; fi
        local addr=198.18.0.$index addr6
        addr6=2001:2::$(printf '%x' "$index")
        _cluster_netns "$ns" || return 1
        ip link add berth0 netns "$ns" type veth peer name "p$index" netns "$br" || return 1
        ip -n "$br" link set "p$index" master br0 && ip -n "$br" link set "p$index" up || return 1
        ip -n "$ns" addr add "$addr/24" dev berth0 && ip -n "$ns" addr add "$addr6/64" dev berth0 nodad &&
            ip -n "$ns" link set berth0 up || return 1
        [ "$i" = client ] && continue
        hosts="$hosts $name"
        local dir=$CLUSTER_STATE/$name
        mkdir -p "$dir"
        # The manager joins only the host's network namespace; manager.sh gives it its own mount
        # namespace and cgroup. Recorded before it starts, so a half-started manager is stopped too.
        _cluster_record "manager $dir/sd"
        nsenter --net="/run/netns/$ns" -- bash -c 'source "$1"; manager_start "$2"' cluster-manager \
            "$CLUSTER_LIB_DIR/manager.sh" "$dir/sd" </dev/null || return 1
        local node=none
        if [ -n "$berthd" ]; then
            _cluster_start_berthd "$name" "$ns" "$addr" "$berthd" || return 1
            node=running
        fi
        {
            echo "BERTH_CLUSTER_${name}_NS=$ns"
            echo "BERTH_CLUSTER_${name}_ADDR=$addr"
            echo "BERTH_CLUSTER_${name}_ADDR6=$addr6"
            echo "BERTH_CLUSTER_${name}_SOCKET=$dir/berthd.sock"
            echo "BERTH_CLUSTER_${name}_TCP=tcp://$addr:$CLUSTER_PORT"
            echo "BERTH_CLUSTER_${name}_XDG=$dir/sd/xdg"
            echo "BERTH_CLUSTER_${name}_MANAGER_PID=$(cat "$dir/sd/manager.pid")"
            echo "BERTH_CLUSTER_${name}_NODE=$node"
        } >> "$CLUSTER_STATE/cluster.env.tmp"
    done
    echo "BERTH_CLUSTER_HOSTS=\"${hosts# }\"" >> "$CLUSTER_STATE/cluster.env.tmp"
    mv "$CLUSTER_STATE/cluster.env.tmp" "$CLUSTER_STATE/cluster.env"
}

cluster_down() {
    local state=$1 line kind a b ok=0
    [ -f "$state/resources" ] || { echo "cluster: nothing recorded in $state" >&2; return 0; }
    # Newest first: nodes before their managers, managers before their namespaces.
    while read -r kind a b; do
        case $kind in
            berthd) _cluster_stop_berthd "$a" "$b" ;;
            manager) (MANAGER_DIR=$a; MANAGER_PID=; MANAGER_CGROUP=; manager_stop) || ok=1 ;;
            netns) if [ -e "/run/netns/$a" ]; then ip netns del "$a" || ok=1; fi ;;
            '') ;;
            *) echo "cluster: unknown resource line '$kind $a $b'" >&2; ok=1 ;;
        esac
    done < <(tac "$state/resources")
    if [ $ok -eq 0 ]; then rm -f "$state/resources" "$state/cluster.env" "$state/cluster.env.tmp"; fi
    return $ok
}
