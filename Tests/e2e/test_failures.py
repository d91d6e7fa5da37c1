#!/usr/bin/env python3
"""Why a container stopped, on the real stack: berthd on its embedded manager, real podman
containers, the wire through the harness's python3 stdlib client and the `berth` CLI.

`container.status` and `container.list` carry systemd's account of the service (`result`,
`exitStatus` or `exitSignal`, `since`, `restarts`), kept across a node restart; a start that fails
answers with that account and the log's last lines in the error's `data`, and the CLI prints them."""

import os
import re
import signal
import subprocess

import harness
from harness import check, check_equal, check_in, eventually

IMAGE = "localhost/busybox:latest"
SINCE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def status(rpc, name):
    return rpc.call("container.status", {"id": name})


def listed(rpc, name):
    return rpc.call("container.list", {"ids": [name]})["containers"][0]


def wait_state(rpc, name, states, what):
    return eventually(lambda: (s := status(rpc, name))["state"] in states and s, what, timeout=30)


def check_wire_shape(s, what):
    """The members' JSON types, as the contract gives them."""
    check(isinstance(s.get("result"), str) and s["result"], f"{what}: result is a word", status=s)
    check(isinstance(s.get("restarts"), int) and not isinstance(s["restarts"], bool) and s["restarts"] >= 0,
          f"{what}: restarts is a count", status=s)
    check(isinstance(s.get("since"), str) and SINCE.match(s["since"]), f"{what}: since is RFC 3339 UTC", status=s)
    check(not ("exitStatus" in s and "exitSignal" in s), f"{what}: an exit status or a signal, not both", status=s)
    if "exitStatus" in s:
        check(isinstance(s["exitStatus"], int) and not isinstance(s["exitStatus"], bool), f"{what}: exitStatus is an integer", status=s)
    if "exitSignal" in s:
        check(isinstance(s["exitSignal"], str) and s["exitSignal"].startswith("SIG"), f"{what}: exitSignal is a name", status=s)


def test_exit_3_is_reported_and_survives_a_node_restart(cu):
    # A manager of its own, as the host's systemd would be: it outlives the node (an embedded one
    # stops with its node, and a new one starts its containers afresh, as at boot).
    manager = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=manager)
    rpc = node.connect(cu)
    cu.container("ctr-fail-exit")
    try:
        rpc.call("container.install", {"id": "fail-exit", "image": IMAGE, "start": True,
                                       "command": ["sh", "-c", "echo failing on purpose; sleep 0.5; exit 3"]}, timeout=120)
    except harness.RpcError as e:
        check_equal(e.kind, "runtime_failed", "a start that saw the exit fails as runtime_failed", error=str(e))
    s = wait_state(rpc, "fail-exit", ("failed",), "the container failed")
    check_equal((s["result"], s.get("exitStatus"), s.get("exitSignal")), ("exit-code", 3, None), "result and exit status", status=s)
    check_equal(s["restarts"], 0, "not restarted")
    check_wire_shape(s, "status")
    check_wire_shape(listed(rpc, "fail-exit"), "list")
    for member in ("result", "exitStatus", "since", "restarts"):
        check_equal(listed(rpc, "fail-exit").get(member), s[member], f"list's {member} agrees with status")

    r = node.berth("status", "fail-exit", text=False)
    out = r.stdout.decode()
    check_equal(r.returncode, 0, "berth status exit status", stderr=r.stderr)
    check_in("failed (Result: exit-code) since " + s["since"], out, "the state line names the result and the time")
    check_in("exited, status 3", out, "the exit status")
    check_in("failing on purpose", out, "the log's last lines")
    r = node.berth("status", "-n", "0", "fail-exit", text=False)
    check("failing on purpose" not in r.stdout.decode(), "-n 0 shows no log lines", stdout=r.stdout)

    # The node forgets nothing systemd remembers: a new node process reads it back from systemd.
    rpc.close()
    node.stop()
    node.start()
    rpc = node.connect(cu)
    after = status(rpc, "fail-exit")
    for member in ("state", "result", "exitStatus", "since", "restarts"):
        check_equal(after.get(member), s.get(member), f"{member} after a node restart")
    check_equal(listed(rpc, "fail-exit").get("exitStatus"), 3, "list's exitStatus after a node restart")


def test_sigkill_is_reported_and_since_moves(cu):
    node = harness.Node.start_new(cu)
    rpc = node.connect(cu)
    cu.container("ctr-fail-kill")
    running = rpc.call("container.install", {"id": "fail-kill", "image": IMAGE, "start": True, "command": ["sleep", "300"]},
                       timeout=120)
    check_equal((running["state"], running["result"]), ("active", "success"), "running, result success", status=running)
    check("exitStatus" not in running and "exitSignal" not in running, "no exit while it runs", status=running)
    check_wire_shape(running, "running")
    os.kill(running["mainPID"], signal.SIGKILL)
    s = wait_state(rpc, "fail-kill", ("failed",), "the killed container failed")
    check_equal((s["result"], s.get("exitSignal"), s.get("exitStatus")), ("signal", "SIGKILL", None), "result and signal", status=s)
    check_wire_shape(s, "killed")
    check(s["since"] > running["since"], "since moved with the state", before=running["since"], after=s["since"])
    r = node.berth("status", "fail-kill", text=False)
    check_in("failed (Result: signal)", r.stdout.decode(), "berth status: the result")
    check_in("killed by SIGKILL", r.stdout.decode(), "berth status: the signal")

    # Started again: the state, its time and the result are the new run's.
    again = rpc.call("container.start", {"id": "fail-kill"}, timeout=120)
    check_equal((again["state"], again["result"]), ("active", "success"), "running again", status=again)
    check(again["since"] > s["since"], "since moved again", before=s["since"], after=again["since"])
    check("exitSignal" not in again, "a new run has no exit yet", status=again)
    rpc.call("container.delete", {"id": "fail-kill"}, timeout=60)


def test_missing_image_error_carries_the_runtimes_message(cu):
    node = harness.Node.start_new(cu)
    rpc = node.connect(cu)
    cu.container("ctr-fail-noimage")
    image = "localhost/berth-f17-no-such-image:latest"
    try:
        rpc.call("container.install", {"id": "fail-noimage", "image": image, "command": ["true"], "start": True}, timeout=120)
        check(False, "install --start of a missing image failed")
    except harness.RpcError as e:
        data = e.data
    check_equal(data["kind"], "runtime_failed", "error kind", data=data)
    check_equal(data.get("result"), "exit-code", "systemd's result", data=data)
    check(isinstance(data.get("exitStatus"), int) and data["exitStatus"] != 0, "the runtime's exit status", data=data)
    log = data.get("log")
    check(isinstance(log, list) and 0 < len(log) <= 20, "at most 20 log lines", data=data)
    for line in log:
        check(set(line) <= {"time", "stream", "text", "cutBytes"} and len(line["text"].encode()) <= 512,
              "each line as container.logs gives it, cut to 512 bytes", line=line)
    runtime = " ".join(l["text"] for l in log if l["stream"] == "runtime")
    check_in("berth-f17-no-such-image", runtime, "podman's own message is in the error", log=log)

    # The CLI prints the log's lines under the error.
    cu.container("ctr-fail-noimage2")
    r = node.berth("install", "--start", image, "fail-noimage2", "--", "true", text=False)
    err = r.stderr.decode()
    check(r.returncode != 0, "berth install --start fails", stderr=err)
    check_in("runtime_failed", err, "the error kind")
    check_in("last lines of its log:", err, "the log's lines follow the error")
    check(any("runtime" in line and "berth-f17-no-such-image" in line for line in err.splitlines()),
          "podman's message on a runtime line", stderr=err)


if __name__ == "__main__":
    harness.main()
