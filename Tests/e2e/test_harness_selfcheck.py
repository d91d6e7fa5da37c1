#!/usr/bin/env python3
"""Checks the e2e harness itself: the private systemd manager (start, units, failure results, clean
stop even when its owner dies), the podman unit shape, the JSON-RPC client and the cleanup stack."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import harness
from harness import check, check_equal, check_in, eventually


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return f.read()


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def cgroup_dirs(name):
    return [h for h in os.listdir("/sys/fs/cgroup") if os.path.isdir(os.path.join("/sys/fs/cgroup", h, name))]


def test_manager_runs_units_and_stops_cleanly(cu):
    pid1_before = cgroup_of(1)
    mgr = harness.Manager.start_new(cu)
    # manager_start returns once the private socket exists; the initial transaction may still run
    # (a loaded machine showed 'initializing'), so wait for 'running' rather than expect it at once.
    deadline = time.monotonic() + 20
    while True:
        system_state = mgr.systemctl("show", "-p", "SystemState", "--value").stdout.strip()
        if system_state == "running" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check_equal(system_state, "running", "SystemState")
    check(cgroup_dirs(mgr.cgroup), "the manager has its own cgroup", cgroup=mgr.cgroup)
    check_in(mgr.cgroup, cgroup_of(mgr.pid), "the manager's cgroup")

    mgr.install_unit("selfcheck-sleep.service",
                     "[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=berth-root.target\n")
    mgr.systemctl("enable", "--now", "selfcheck-sleep.service")
    wants = os.path.join(mgr.dir, "config", "systemd", "user", "berth-root.target.wants", "selfcheck-sleep.service")
    check(os.path.islink(wants), "enable writes its symlink into the manager's private config", path=wants)
    state = mgr.wait_for("selfcheck-sleep.service", "active")
    check_equal(state["SubState"], "running", "SubState")
    sleep_pid = int(state["MainPID"])
    check(sleep_pid > 0 and alive(sleep_pid), "the unit's main process runs", state=state)
    check_in(mgr.cgroup, cgroup_of(sleep_pid), "the unit's process lives under the manager's cgroup")
    check(sleep_pid in mgr.processes(), "Manager.processes() lists the unit's process")

    mgr.systemctl("stop", "selfcheck-sleep.service")
    check_equal(mgr.show("selfcheck-sleep.service")["ActiveState"], "inactive", "ActiveState after stop")
    eventually(lambda: not alive(sleep_pid), "the unit's process is gone after stop")

    # A failing unit reports why, and reset-failed clears it.
    mgr.install_unit("selfcheck-fail.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n")
    done = mgr.systemctl("start", "selfcheck-fail.service", check=False)
    check(done.returncode != 0, "starting a failing oneshot unit fails", rc=done.returncode)
    state = mgr.show("selfcheck-fail.service", "ActiveState", "Result", "ExecMainStatus")
    check_equal((state["ActiveState"], state["Result"], state["ExecMainStatus"]), ("failed", "exit-code", "3"),
                "failed unit state")
    mgr.systemctl("reset-failed", "selfcheck-fail.service")
    check_equal(mgr.show("selfcheck-fail.service")["ActiveState"], "inactive", "after reset-failed")

    # A unit left running is stopped with the manager; nothing of it remains.
    mgr.systemctl("start", "selfcheck-sleep.service")
    left = int(mgr.wait_for("selfcheck-sleep.service", "active")["MainPID"])
    manager_pid, cgroup = mgr.pid, mgr.cgroup
    mgr.stop(timeout=60)
    check(not alive(manager_pid), "the manager is gone after stop", pid=manager_pid)
    check(not alive(left), "a unit's process is gone after the manager stops", pid=left)
    check_equal(cgroup_dirs(cgroup), [], "cgroup directories left after stop")
    check_equal(cgroup_of(1), pid1_before, "PID 1's cgroups (the manager must never move them)")
    keeper_log = harness.tail(os.path.join(mgr.dir, "keeper.log"))
    check("killed" not in keeper_log, "the manager exits on SIGTERM (manager_stop did not need SIGKILL)",
          keeper_log=keeper_log)


OWNER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    import harness
    cu = harness.Cleanup()
    mgr = harness.Manager.start_new(cu, directory=sys.argv[2])
    print(mgr.pid, mgr.cgroup, flush=True)
    time.sleep(600)
""")


def test_manager_stops_when_its_owner_is_killed(cu):
    directory = os.path.join(cu.tempdir(), "sd")
    owner = cu.process(subprocess.Popen([sys.executable, "-c", OWNER, os.path.dirname(os.path.abspath(__file__)),
                                         directory], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL),
                       "manager owner")
    line = owner.stdout.readline().decode().split()
    check(len(line) == 2, "the owner started a manager", output=line)
    manager_pid, cgroup = int(line[0]), line[1]
    # If the test fails below, still stop the manager by its PID and remove its cgroup.
    cu.push("stop orphaned manager", lambda: alive(manager_pid) and os.kill(manager_pid, 15))
    check(alive(manager_pid), "the manager runs")
    owner.kill()  # no cleanup runs in the owner: the keeper's stdin closes
    owner.wait()
    eventually(lambda: not alive(manager_pid), "the manager stops after its owner died", timeout=15)
    eventually(lambda: not cgroup_dirs(cgroup), "its cgroups are removed", timeout=5)


def test_podman_unit_serves_and_stops(cu):
    mgr = harness.Manager.start_new(cu)
    name = harness.unique_name("berth-selfcheck")
    cu.container(name)
    port = harness.free_tcp_port()
    unit = f"{name}.service"
    mgr.install_unit(unit, harness.podman_unit(name, "localhost/berth-httpd:latest",
                                               publish=f"127.0.0.1:{port}:8080",
                                               env={"BERTH_PAGE": "50% $HOME 'quoted'"}))
    mgr.systemctl("start", unit)
    check_equal(mgr.show(unit)["ActiveState"], "active", "container unit state")
    status, body = eventually(lambda: harness.http_get("127.0.0.1", port), "httpd answers", timeout=10)
    check_equal(status, 200, "HTTP status")
    check_in("50% $HOME 'quoted'", body, "the page carries the literal env value")
    check_in(harness.podman("inspect", "-f", "{{.Config.Hostname}}", name)[:12], body, "the page names the container")
    mgr.systemctl("stop", unit)
    check_equal(mgr.show(unit)["ActiveState"], "inactive", "state after stop")
    check_equal(harness.podman("ps", "-a", "-q", "--filter", f"name=^{name}$"), "", "container removed on stop")


def serve_fake_rpc(listener, stop):
    """A tiny JSON-RPC server: answers `echo` with its params and `fail` with an error; before the
    answers to a pipelined burst it sends a notification, and it answers each burst in reverse order."""
    conn, _ = listener.accept()
    buffer = b""
    with conn:
        while not stop.is_set():
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            replies = []
            for line in lines:
                request = json.loads(line)
                if isinstance(request, list):
                    replies.append([{"jsonrpc": "2.0", "id": r["id"], "result": r.get("params")} for r in request])
                elif request["method"] == "fail":
                    replies.append({"jsonrpc": "2.0", "id": request["id"],
                                    "error": {"code": -32001, "message": "no such thing", "data": {"kind": "not_found"}}})
                elif "id" in request:
                    replies.append({"jsonrpc": "2.0", "id": request["id"], "result": request.get("params")})
            if len(replies) > 1:
                replies.reverse()
                replies.insert(0, {"jsonrpc": "2.0", "method": "events.changed", "params": {"seq": 1}})
            conn.sendall(b"".join(json.dumps(r).encode() + b"\n" for r in replies))


def test_rpc_client(cu):
    path = os.path.join(cu.tempdir(), "rpc.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)
    cu.push("close listener", listener.close)
    stop = threading.Event()
    server = threading.Thread(target=serve_fake_rpc, args=(listener, stop), daemon=True)
    server.start()
    cu.push("stop fake server", stop.set)

    rpc = harness.RpcClient.unix(path, timeout=5)
    cu.push("close client", rpc.close)
    check_equal(rpc.call("echo", {"a": 1}), {"a": 1}, "echo result")
    try:
        rpc.call("fail")
        check(False, "an error response raises RpcError")
    except harness.RpcError as error:
        check_equal((error.code, error.kind, error.message), (-32001, "not_found", "no such thing"), "RpcError fields")
    refused = rpc.call_error("fail")
    check_equal((refused.code, refused.kind, refused.message), (-32001, "not_found", "no such thing"),
                "call_error returns the RpcError")
    check_equal(rpc.call_error("echo", {"a": 1}), None, "call_error of a success is None")
    rpc.notify("echo", {"ignored": True})  # no reply expected; the next call must still match its own id

    calls = [("echo", {"n": n}) for n in range(200)]
    responses = rpc.pipeline(calls)
    check_equal([r["result"]["n"] for r in responses], list(range(200)), "pipelined results matched by id")
    note = rpc.next_notification("events.changed")
    check_equal(note["params"], {"seq": 1}, "notification kept while waiting for responses")

    batch = rpc.batch([{"jsonrpc": "2.0", "id": "b1", "method": "echo", "params": [1]},
                       {"jsonrpc": "2.0", "id": "b2", "method": "echo", "params": [2]}])
    check_equal([r["id"] for r in batch], ["b1", "b2"], "batch response")
    rpc.close()


def test_node_start_fails_clearly_without_berthd(cu):
    node = harness.Node(cu.tempdir(), binary="/nonexistent/berthd")
    try:
        node.start(timeout=1)
        check(False, "starting a missing berthd fails")
    except harness.TestFailure as failure:
        check_in("/nonexistent/berthd", str(failure), "the failure names the binary")


FAKE_BERTHD = textwrap.dedent("""\
    #!/usr/bin/env python3
    # Stands in for berthd's command-line interface: --listen unix:PATH --state-dir D --run-dir D.
    import json, os, signal, socket, sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    assert os.path.isdir(args["--state-dir"]) and os.path.isdir(args["--run-dir"])
    assert os.environ.get("XDG_RUNTIME_DIR"), "the manager's XDG_RUNTIME_DIR is passed"
    path = args["--listen"].removeprefix("unix:")
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
    signal.signal(signal.SIGTERM, lambda *_: (os.unlink(path), sys.exit(0)))
    while True:
        c, _ = s.accept()
        f = c.makefile("rwb")
        for line in f:
            r = json.loads(line)
            f.write(json.dumps({"jsonrpc": "2.0", "id": r["id"], "result": {"pong": os.environ["XDG_RUNTIME_DIR"]}}).encode() + b"\\n")
            f.flush()
""")


def test_node_lifecycle_with_a_stand_in(cu):
    mgr = harness.Manager.start_new(cu)
    fake = os.path.join(cu.tempdir(), "berthd")
    with open(fake, "w") as f:
        f.write(FAKE_BERTHD)
    os.chmod(fake, 0o755)
    node = harness.Node.start_new(cu, manager=mgr, binary=fake)
    rpc = node.connect(cu)
    check_equal(rpc.call("node.ping"), {"pong": mgr.xdg}, "ping through the stand-in")
    check_equal(node.stop(), 0, "berthd exit status on SIGTERM")
    check(not os.path.exists(node.socket_path), "socket removed on stop")


LATE_LISTENER = textwrap.dedent("""\
    # Binds its socket, then listens half a second later (berthd's bind-to-listen gap, widened) and
    # answers node.hello; exits at once instead when asked to ("exit").
    import json, socket, sys, time
    s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])
    if sys.argv[2] == "exit":
        sys.exit(3)
    time.sleep(0.5); s.listen(8)
    while True:
        c, _ = s.accept()
        f = c.makefile("rwb")
        for line in f:
            r = json.loads(line)
            f.write(json.dumps({"jsonrpc": "2.0", "id": r["id"], "result": {"protocol": 1}}).encode() + b"\\n")
            f.flush()
""")

WAIT_THEN_HELLO = textwrap.dedent("""\
    . "$1"
    "$2" -c "$3" "$4" "$5" >"$6" 2>&1 &
    echo $! >"$6.pid"
    berthd_wait_listening "$4" $! "$6" 30 || exit 7
    exec "$2" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\\"jsonrpc\\":\\"2.0\\",\\"id\\":1,\\"method\\":\\"node.hello\\"}\\n"); print(s.recv(4096).decode())' "$4"
""")


def _stop_pid_in(path):
    """Stops the stand-in whose PID the script wrote to PATH (it serves until told), if it runs."""
    try:
        with open(path) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, os.WNOHANG)
    except (ProcessLookupError, ChildProcessError):
        pass


def test_scripts_wait_for_an_answering_node(cu):
    # Scripts/lib/berthd.sh's berthd_wait_listening returns once the node answers, so the caller's
    # first connect is never refused, however late the node listens after binding.
    lib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Scripts", "lib", "berthd.sh")
    d = cu.tempdir()
    for mode, want_rc in (("late", 0), ("exit", 7)):
        sock, log = os.path.join(d, mode + ".sock"), os.path.join(d, mode + ".log")
        cu.push(f"stop the {mode} listener", _stop_pid_in, log + ".pid")
        done = subprocess.run(["bash", "-c", WAIT_THEN_HELLO, "wait", lib, sys.executable, LATE_LISTENER,
                               sock, mode, log], capture_output=True, text=True, timeout=60)
        check_equal(done.returncode, want_rc, f"{mode}: the wait's outcome", stdout=done.stdout,
                    stderr=done.stderr)
        if mode == "late":
            check_equal(json.loads(done.stdout)["result"], {"protocol": 1}, "the first connect is answered")
        else:
            check_in("exited before listening", done.stderr, "the failure says the node exited")


def test_cleanup_runs_in_reverse_and_survives_errors(cu):
    order = []
    inner = harness.Cleanup()
    inner.push("first", order.append, 1)
    inner.push("boom", lambda: 1 / 0)
    inner.push("third", order.append, 3)
    check_equal(inner.run(), False, "run() reports a failed action")
    check_equal(order, [3, 1], "actions run last-in first-out, past a failure")
    check_equal(inner.run(), True, "a second run has nothing left")


if __name__ == "__main__":
    harness.main()
