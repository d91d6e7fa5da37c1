# shellcheck shell=bash
# Building and starting berthd from scripts (benchmarks, quickstart, cluster). Source this file, then:
#
#   berthd_release_binary ROOT SCRATCH LOG   prints the path of a release berthd: $BERTHD when set,
#                                            else builds one in ROOT with SCRATCH (output in LOG);
#                                            on a failed build prints LOG's tail and returns 1
#   berthd_wait_listening SOCKET PID LOG [SECONDS]
#                                            waits (default 30 s) until SOCKET exists; returns 1,
#                                            printing LOG, if PID exits first or the time runs out
#
# Stopping stays with each caller: they own the PID, and the cluster and quickstart check a recorded
# PID is still their berthd before signalling it.

berthd_release_binary() {
    local root=$1 scratch=$2 log=$3
    if [ -n "${BERTHD:-}" ]; then echo "$BERTHD"; return 0; fi
    if ! (cd "$root" && swift build -c release --product berthd --scratch-path "$scratch") >"$log" 2>&1; then
        echo "release build of berthd failed (log: $log):" >&2
        tail -20 "$log" >&2
        return 1
    fi
    echo "$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/berthd"
}

berthd_wait_listening() {
    local socket=$1 pid=$2 log=$3 seconds=${4:-30} i=0
    until [ -S "$socket" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "berthd (pid $pid) exited before listening on $socket; its log ($log):" >&2
            sed 's/^/    /' "$log" >&2
            return 1
        fi
        if [ $i -ge $((seconds * 50)) ]; then
            echo "berthd (pid $pid) did not listen on $socket within $seconds s; its log ($log):" >&2
            sed 's/^/    /' "$log" >&2
            return 1
        fi
        sleep 0.02; i=$((i + 1))
    done
}
