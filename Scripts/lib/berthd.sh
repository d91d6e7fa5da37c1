# shellcheck shell=bash
# Building and starting berthd from scripts (benchmarks, quickstart, cluster). Source this file, then:
#
#   berthd_release_binary ROOT SCRATCH LOG   prints the path of a release berthd: $BERTHD when set,
#                                            else builds one in ROOT with SCRATCH (output in LOG);
#                                            on a failed build prints LOG's tail and returns 1
#   berthd_wait_listening SOCKET PID LOG [SECONDS]
#                                            waits (default 30 s) until the node answers node.hello
#                                            on SOCKET; returns 1, printing LOG, if PID exits first
#                                            or the time runs out
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
    local socket=$1 pid=$2 log=$3 seconds=${4:-30} outcome
    # The socket's file appears at bind, a moment before berthd listens, so its existence is no sign
    # of readiness: what counts is an answered node.hello (python3's standard library, one process
    # for the whole wait).
    outcome=$(python3 - "$socket" "$pid" "$seconds" <<'PY'
import json, os, socket, sys, time
path, pid, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + seconds
hello = b'{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"protocols":[1],"client":"berthd.sh"}}\n'
while True:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print("exited"); sys.exit()
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(max(1.0, deadline - time.monotonic()))
            s.connect(path)
            s.sendall(hello)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if "result" in json.loads(data.split(b"\n", 1)[0]):
                print("ready"); sys.exit()
    except (OSError, ValueError):
        pass
    if time.monotonic() >= deadline:
        print("timeout"); sys.exit()
    time.sleep(0.02)
PY
)
    case $outcome in
        ready) return 0 ;;
        exited) echo "berthd (pid $pid) exited before listening on $socket; its log ($log):" >&2 ;;
        *) echo "berthd (pid $pid) did not answer node.hello on $socket within $seconds s; its log ($log):" >&2 ;;
    esac
    sed 's/^/    /' "$log" >&2
    return 1
}
