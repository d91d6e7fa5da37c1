#!/usr/bin/env python3
"""dist/berthd.service and dist/berthd.socket under the private systemd manager: Type=notify reaches
active and stops cleanly (exit 0, journald priorities in the log); with only the socket started, a
client's connection starts berthd, which answers over the inherited socket."""

import os
import re
import socket

import harness
from harness import check, check_equal, check_in


def adapted_units(cu, mgr):
    """The dist units with the built binary, temp directories and the private manager's target."""
    d = cu.tempdir("berth-sd-")
    sock = os.path.join(d, "berthd.sock")
    log = os.path.join(d, "berthd.log")
    binary = os.path.join(harness.bin_dir(), "berthd")
    with open(os.path.join(harness.ROOT, "dist", "berthd.service")) as f:
        service = f.read()
    with open(os.path.join(harness.ROOT, "dist", "berthd.socket")) as f:
        socket_unit = f.read()
    check_in("Type=notify", service, "the service is Type=notify")
    check_in("ListenStream=/run/berth/berthd.sock", socket_unit, "the socket unit's path")
    check_in("SocketMode=0660", socket_unit, "the socket unit's mode")
    service = re.sub(r"(?m)^ExecStart=/usr/local/bin/berthd$",
                     f"ExecStart={binary} --state-dir {d}/state --run-dir {d}/run --listen unix:{sock}", service)
    check_in(binary, service, "ExecStart was adapted")
    # /run/berth and /var/lib/berth belong to a real installation; the copy uses temp directories.
    service = re.sub(r"(?m)^(RuntimeDirectory|StateDirectory)\S*=.*$", "", service)
    service = service.replace("[Service]\n", f"[Service]\nStandardOutput=append:{log}\nStandardError=append:{log}\n")
    service = service.replace("WantedBy=multi-user.target", "WantedBy=berth-root.target")
    socket_unit = socket_unit.replace("ListenStream=/run/berth/berthd.sock", f"ListenStream={sock}")
    socket_unit = socket_unit.replace("WantedBy=sockets.target", "WantedBy=berth-root.target")
    mgr.install_unit("berthd.service", service, reload=False)
    mgr.install_unit("berthd.socket", socket_unit)
    cu.push("stop berthd units", lambda: mgr.systemctl("stop", "berthd.socket", "berthd.service", check=False))
    return sock, log


def ping(path):
    rpc = harness.RpcClient.unix(path, 10.0)
    try:
        return rpc.call("node.ping", {"echo": "sd"})
    finally:
        rpc.close()


def test_type_notify_reaches_active_and_stops_cleanly(cu):
    mgr = harness.Manager.start_new(cu)
    sock, log = adapted_units(cu, mgr)
    mgr.systemctl("start", "berthd.service")  # returns once READY=1 arrived (Type=notify)
    state = mgr.show("berthd.service", "ActiveState", "SubState", "Type", "MainPID", "StatusText")
    check_equal((state["ActiveState"], state["SubState"], state["Type"]), ("active", "running", "notify"), "after start",
                state=state, log=harness.tail(log))
    check_in("listening on unix:" + sock, state["StatusText"], "READY=1 carried a status")
    check_equal(ping(sock), {"pong": True, "echo": "sd"}, "the unit's berthd answers")
    pid = int(state["MainPID"])
    mgr.systemctl("stop", "berthd.service")
    state = mgr.show("berthd.service", "ActiveState", "Result", "ExecMainStatus")
    check_equal((state["ActiveState"], state["Result"], state["ExecMainStatus"]), ("inactive", "success", "0"),
                "after stop", log=harness.tail(log))
    check(not os.path.exists(f"/proc/{pid}"), "berthd is gone")
    text = harness.tail(log, 50)
    check(re.search(r"(?m)^<6>INFO listening ", text), "journald priority prefix, no timestamp, under systemd", log=text)
    check(re.search(r"(?m)^<5>NOTICE stopping ", text), "the shutdown is logged", log=text)


def test_socket_activation_hands_berthd_the_listening_socket(cu):
    mgr = harness.Manager.start_new(cu)
    sock, log = adapted_units(cu, mgr)
    mgr.systemctl("start", "berthd.socket")
    mgr.wait_for("berthd.socket", "active")
    check_equal(mgr.show("berthd.service")["ActiveState"], "inactive", "berthd waits for a client")
    check_equal(os.stat(sock).st_mode & 0o777, 0o660, "socket mode from SocketMode=")
    check_equal(ping(sock), {"pong": True, "echo": "sd"}, "the first client is answered")
    check_equal(mgr.show("berthd.service")["ActiveState"], "active", "the connection started berthd")
    text = harness.tail(log, 50)
    check_in(f"address=\"unix:{sock} (inherited)\"", text, "berthd used the inherited socket", log=text)
    # Stopping berthd leaves the socket with systemd: the next client starts it again.
    mgr.systemctl("stop", "berthd.service")
    check(os.path.exists(sock), "the socket file stays while berthd.socket runs")
    check_equal(ping(sock), {"pong": True, "echo": "sd"}, "answered after a restart by activation")
    mgr.systemctl("stop", "berthd.service", "berthd.socket")
    check_equal(mgr.show("berthd.service", "Result")["Result"], "success", "clean exit under activation")


if __name__ == "__main__":
    harness.main()
