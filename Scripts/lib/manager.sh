# shellcheck shell=bash
# A private systemd manager (systemd --user, isolated) for tests, the quickstart and development on
# machines where PID 1 is not systemd. Source this file, then:
#
#   manager_start DIR        starts a manager whose state lives in DIR; sets MANAGER_PID,
#                            MANAGER_XDG (its XDG_RUNTIME_DIR), MANAGER_UNITS (its unit directory),
#                            MANAGER_CGROUP (the cgroup name it owns)
#   manager_systemctl ARGS   systemctl --user against it (with the environment of manager_env)
#   manager_env              prints the environment a client needs, as NAME=VALUE lines
#   manager_stop             stops it (all its units), waits for it (SIGKILL after 30 s, said on
#                            stderr), removes its cgroups
#
# The manager runs in its own cgroup (never the root one: systemd would take '/' as its root and move
# every process of the machine into /init.scope), in its own mount namespace with a tmpfs
# /run/systemd/system (without it, systemd --user exits at once), with a private unit directory.
# Its XDG_CONFIG_HOME is private too: `enable` writes its .wants symlinks there, not into the real
# user's ~/.config/systemd/user. Clients need the same XDG_CONFIG_HOME and SYSTEMD_UNIT_PATH, or
# systemctl's client-side lookups (enable, cat, ...) say the unit does not exist.
# See shared/REAL-STACK.md. Environment passed through to units: CONTAINERS_CONF, PATH.
# berthd carries the same recipe in Swift (Sources/BerthNode/Manager/EmbeddedManager.swift): change
# both. Tests/BerthNodeTests/EngineRealStack/EmbeddedManagerRecipeTests.swift runs one against the other.
# Only berthd adopts a manager left by a killed predecessor (EmbeddedManager+Adoption.swift, through
# manager.cgroup and manager.pid): the script's callers keep their manager by PID until they stop it.

manager_start() {
    local dir=$1
    [ -n "$dir" ] || { echo "manager_start: need a directory" >&2; return 2; }
    mkdir -p "$dir/xdg" "$dir/units" "$dir/config"
    dir=$(cd "$dir" && pwd)
    chmod 700 "$dir/xdg"
    : > "$dir/console.log"
    MANAGER_DIR=$dir
    MANAGER_XDG=$dir/xdg
    MANAGER_UNITS=$dir/units
    MANAGER_CGROUP=berth-mgr-$$-$RANDOM
    # Recorded before the cgroup exists and the pid as soon as it is known, each atomically (a
    # rename), the old pid first: whoever is killed midway leaves enough to find the manager.
    rm -f "$dir/manager.pid"
    echo "$MANAGER_CGROUP" > "$dir/manager.cgroup.tmp" && mv -f "$dir/manager.cgroup.tmp" "$dir/manager.cgroup"
    # A socket a dead manager left would pass the readiness wait below at once.
    rm -f "$dir/xdg/systemd/private"
    # /run/netns must be a shared mount before the manager's mount namespace copies it,
    # so network namespaces podman creates later are visible on both sides.
    if [ ! -d /run/netns ]; then ip netns add "berth-prime-$$" && ip netns del "berth-prime-$$"; fi
    local h
    for h in /sys/fs/cgroup/*/; do
        [ -f "$h/cgroup.procs" ] || continue
        mkdir -p "$h/$MANAGER_CGROUP"
        if [ -f "$h/cpuset.cpus" ]; then
            cat "$h/cpuset.cpus" > "$h/$MANAGER_CGROUP/cpuset.cpus"
            cat "$h/cpuset.mems" > "$h/$MANAGER_CGROUP/cpuset.mems"
        fi
    done
    printf '[Unit]\nDescription=Berth private manager root\nDefaultDependencies=no\n' > "$dir/units/berth-root.target"
    cat > "$dir/inner.sh" <<INNER
#!/bin/bash
set -e
for h in /sys/fs/cgroup/*/; do [ -d "\$h/$MANAGER_CGROUP" ] && echo \$\$ > "\$h/$MANAGER_CGROUP/cgroup.procs"; done
mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system
mount --bind "$dir/console.log" /dev/console
export XDG_RUNTIME_DIR="$dir/xdg" XDG_CONFIG_HOME="$dir/config" SYSTEMD_UNIT_PATH="$dir/units:"
export CONTAINERS_CONF="${CONTAINERS_CONF:-}"
export PATH="$PATH"
exec /lib/systemd/systemd --user --unit=berth-root.target --log-target=console --log-level=info
INNER
    chmod +x "$dir/inner.sh"
    setsid unshare --mount --propagation unchanged "$dir/inner.sh" </dev/null >"$dir/stdout.log" 2>&1 &
    MANAGER_PID=$!
    echo "$MANAGER_PID" > "$dir/manager.pid.tmp" && mv -f "$dir/manager.pid.tmp" "$dir/manager.pid"
    local i=0
    until [ -S "$dir/xdg/systemd/private" ]; do
        if ! kill -0 "$MANAGER_PID" 2>/dev/null || [ $i -ge 500 ]; then
            echo "manager_start: systemd did not come up; see $dir/console.log" >&2
            manager_stop
            return 1
        fi
        sleep 0.02; i=$((i + 1))
    done
}

manager_env() {
    printf 'XDG_RUNTIME_DIR=%s\nXDG_CONFIG_HOME=%s\nSYSTEMD_UNIT_PATH=%s:\n' \
        "$MANAGER_XDG" "$MANAGER_DIR/config" "$MANAGER_UNITS"
}

manager_systemctl() {
    XDG_RUNTIME_DIR=$MANAGER_XDG XDG_CONFIG_HOME=$MANAGER_DIR/config SYSTEMD_UNIT_PATH=$MANAGER_UNITS: \
        systemctl --user "$@"
}

manager_stop() {
    local dir=${MANAGER_DIR:-}
    [ -n "$dir" ] || return 0
    local pid=${MANAGER_PID:-$(cat "$dir/manager.pid" 2>/dev/null)}
    local cg=${MANAGER_CGROUP:-$(cat "$dir/manager.cgroup" 2>/dev/null)}
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        # It stops its units and exits in 1-2 s; 30 s is only the guard against a hung manager, and
        # saying so on stderr lets a test tell a clean stop from a killed one without timing it.
        local i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done
        if kill -KILL "$pid" 2>/dev/null; then
            echo "manager_stop: systemd (pid $pid) did not exit within 30 s of SIGTERM; killed it" >&2
        fi
        wait "$pid" 2>/dev/null || true
    fi
    if [ -n "$cg" ]; then
        local h p
        for h in /sys/fs/cgroup/*/; do
            [ -d "$h/$cg" ] || continue
            # Anything left in our own cgroup is ours: stop it by PID before removing the cgroup.
            for p in $(cat "$h/$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        done
        sleep 0.05
        for h in /sys/fs/cgroup/*/; do
            [ -d "$h/$cg" ] && find "$h/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
    fi
    MANAGER_PID=; MANAGER_DIR=; MANAGER_CGROUP=
    return 0
}
