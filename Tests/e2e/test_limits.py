#!/usr/bin/env python3
"""Every bound of container.install walked at, below and above its limit on a real berthd (private
systemd manager, real podman containers): what the node accepts it can read back, patch and start
(systemctl and podman are the witnesses); one step over is invalid_params and changes nothing.

The bounds come from Protocol/berth.openrpc.json (the contract; test_contract.py checks the node
agrees on every case the document implies). Lengths are walked in four-byte characters where the
field allows them, since the contract counts characters. The one bound the schema cannot state
itself, the unit's ExecStart= line under systemd's 1048575 bytes, is walked byte for byte: the test
measures the line a probe install renders, then fills the command to exactly the limit."""

import json
import os

import harness
from harness import check, check_equal

BUSYBOX = "localhost/busybox:latest"
SLEEP = ["sh", "-c", "exec sleep 100000", "sh"]  # further arguments are only $1, $2, ...
LINE_LIMIT = (1 << 20) - 1

with open(os.path.join(harness.ROOT, "Protocol", "berth.openrpc.json")) as f:
    DOC = json.load(f)
SCHEMAS = DOC["components"]["schemas"]
INSTALL = {p["name"]: p["schema"] for m in DOC["methods"] if m["name"] == "container.install" for p in m["params"]}
ENV_ITEMS = INSTALL["environment"]["maxItems"]
ENV_BYTES = INSTALL["environment"]["x-berth-maxBytes"]
VALUE_CHARS = SCHEMAS["EnvironmentEntry"]["properties"]["value"]["maxLength"]
NAME_CHARS = SCHEMAS["EnvironmentEntry"]["properties"]["name"]["maxLength"]
ARG_CHARS = INSTALL["command"]["items"]["maxLength"]
ARGS = INSTALL["command"]["maxItems"]
REQUEST_ID = SCHEMAS["RequestId"]["maxLength"]
PORTS = INSTALL["ports"]["maxItems"]
VOLUMES = INSTALL["volumes"]["maxItems"]
LINKS = INSTALL["links"]["maxItems"]


def start(cu, *extra):
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr, extra_args=["--port-range", "40000-44999", *extra])
    return mgr, node, node.connect(cu)


def environment(total, char="😀"):
    """Variables whose NAME=VALUE bytes plus one each sum to exactly TOTAL: values of CHAR as long
    as they may be, the last one what is left (its last bytes in one-byte characters)."""
    width = len(char.encode())
    full = 5 + 2 + VALUE_CHARS * width  # a name of five characters
    out, left = [], total
    while left > 0:
        name = f"E{len(out):04d}"
        # The smallest variable is 7 bytes (a five-character name, an empty value): never leave less.
        room = min(left, full) - len(name) - 2 if left - full >= 7 or left <= full else left - 7 - len(name) - 2
        value = char * min(VALUE_CHARS, room // width) + "v" * (room - min(VALUE_CHARS, room // width) * width)
        check(len(value) <= VALUE_CHARS and left - len(name) - 2 >= 0, "the filler fits a value", left=left)
        out.append({"name": name, "value": value})
        left -= len(name) + 2 + len(value.encode())
    return out


def exec_start_length(mgr, cid):
    with open(os.path.join(mgr.dir, "config", "systemd", "user", f"ctr-{cid}.service"), encoding="utf-8") as f:
        line = next(line for line in f.read().split("\n") if line.startswith("ExecStart="))
    return len(line.encode())


def filled_command(extra):
    """SLEEP and arguments of 'a' adding exactly EXTRA bytes to the ExecStart= line (a space and
    the argument each; bare characters render as themselves)."""
    command, left = list(SLEEP), extra
    while left > 0:
        size = min(ARG_CHARS, left - 1) if left - 1 > 0 else 1
        if left - (size + 1) == 1:  # never leave one byte: an argument costs at least two
            size -= 1
        command.append("a" * size)
        left -= size + 1
    check(left == 0, "filler adds up", left=left)
    return command


def accepted(cu, mgr, rpc, params, what, running=True):
    """Installs PARAMS, reads everything back, patches, starts and restarts; then deletes."""
    cid = params["id"]
    cu.container(f"ctr-{cid}")
    status = rpc.call("container.install", dict(params, start=running), timeout=300)
    if running:
        check_equal(status["state"], "active", f"{what}: state after install --start")
        check_equal(mgr.show(f"ctr-{cid}.service")["ActiveState"], "active", f"{what}: systemctl")
    env = rpc.call("container.env.get", {"id": cid})["environment"]
    check_equal(env, params.get("environment", []), f"{what}: env.get reads back what was given")
    check_equal(len(rpc.call("container.ports", {"id": cid})["ports"]), len(params.get("ports", [])), f"{what}: ports")
    check_equal(len(rpc.call("container.links.get", {"id": cid})["links"]), len(params.get("links", [])), f"{what}: links")
    listed = rpc.call("container.list", {"ids": [cid]})["containers"]
    check_equal([c["id"] for c in listed], [cid], f"{what}: list")
    # A patch that keeps the size: one variable out, one of the same size in.
    if env:
        last = env[-1]
        patched = rpc.call("container.env.patch", {"id": cid, "unset": [last["name"]],
                                                   "set": [{"name": last["name"][:-1] + "Z", "value": last["value"]}]})
        check_equal(len(patched["environment"]), len(env), f"{what}: env.patch")
        check_equal(rpc.call("container.env.get", {"id": cid})["environment"], patched["environment"], f"{what}: env.get after patch")
    else:
        rpc.call("container.env.patch", {"id": cid, "set": [{"name": "P", "value": "1"}]})
    if running:
        status = rpc.call("container.restart", {"id": cid}, timeout=300)
        check_equal(status["state"], "active", f"{what}: state after restart")
    rpc.call("container.delete", {"id": cid}, timeout=120)


def refused(rpc, node, params, what):
    before = sorted(os.walk(node.state_dir))
    error = rpc.call_error("container.install", params, timeout=120)
    check_equal(error and error.kind, "invalid_params", what)
    check_equal(rpc.call("container.list", {})["containers"], [], f"{what}: nothing installed")
    check_equal(sorted(os.walk(node.state_dir)), before, f"{what}: the state directory is as it was")


def test_the_unit_line_at_and_over_systemds_limit(cu):
    mgr, node, rpc = start(cu)
    base = harness.unique_name("lim-line")
    probe = base + "p"  # every id below has its length, so the rest of the line is the same
    cu.container(f"ctr-{probe}")
    rpc.call("container.install", {"id": probe, "image": BUSYBOX, "command": SLEEP})
    bare = exec_start_length(mgr, probe)
    rpc.call("container.delete", {"id": probe})
    for extra, label, suffix in ((LINE_LIMIT - bare, "at", "a"), (LINE_LIMIT - bare - 1, "below", "b")):
        cid = base + suffix
        params = {"id": cid, "image": BUSYBOX, "command": filled_command(extra)}
        cu.container(f"ctr-{cid}")
        rpc.call("container.install", params)
        check_equal(exec_start_length(mgr, cid), bare + extra, f"{label} the limit: the line's length")
        rpc.call("container.delete", {"id": cid})
        accepted(cu, mgr, rpc, params, f"ExecStart {label} the limit")
    refused(rpc, node, {"id": base + "o", "image": BUSYBOX, "command": filled_command(LINE_LIMIT - bare + 1)}, "ExecStart one byte over")


def test_command_arguments(cu):
    mgr, node, rpc = start(cu)
    for n, label in ((ARG_CHARS, "at"), (ARG_CHARS - 1, "below")):
        accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-arg"), "image": BUSYBOX, "command": SLEEP + ["😀" * n]},
                 f"an argument of {n} four-byte characters")
    refused(rpc, node, {"id": harness.unique_name("lim-arg"), "image": BUSYBOX, "command": SLEEP + ["😀" * (ARG_CHARS + 1)]},
            "an argument one character over")
    for n, label in ((ARGS, "at"), (ARGS - 1, "below")):
        accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-args"), "image": BUSYBOX,
                                "command": SLEEP + ["x"] * (n - len(SLEEP))}, f"{n} arguments")
    refused(rpc, node, {"id": harness.unique_name("lim-args"), "image": BUSYBOX, "command": SLEEP + ["x"] * (ARGS + 1 - len(SLEEP))},
            "one argument too many")


def test_environment_bytes_variables_and_values(cu):
    mgr, node, rpc = start(cu)
    for total, label in ((ENV_BYTES, "at"), (ENV_BYTES - 1, "below")):
        cid = harness.unique_name("lim-env")
        env = environment(total)
        accepted(cu, mgr, rpc, {"id": cid, "image": BUSYBOX, "command": SLEEP, "environment": env},
                 f"{label} {ENV_BYTES} bytes of environment", running=False)
        cu.container(f"ctr-{cid}")
        # Started, the container has every value byte for byte.
        rpc.call("container.install", {"id": cid, "image": BUSYBOX, "command": SLEEP, "environment": env, "start": True}, timeout=300)
        first = env[0]
        seen = harness.podman("exec", f"ctr-{cid}", "sh", "-c", f'printf %s "${first["name"]}" | wc -c').strip()
        check_equal(int(seen), len(first["value"].encode()), f"{label}: the container's {first['name']}")
        # At the bound, one more byte is refused and the environment stays as it was.
        if label == "at":
            error = rpc.call_error("container.env.patch", {"id": cid, "set": [{"name": "ONE_MORE", "value": ""}]}, timeout=120)
            check_equal(error and error.kind, "invalid_params", "env.patch past the bound")
            error = rpc.call_error("container.env.set", {"id": cid, "environment": env + [{"name": "X", "value": ""}]}, timeout=120)
            check_equal(error and error.kind, "invalid_params", "env.set past the bound")
            check_equal(rpc.call("container.env.get", {"id": cid})["environment"], env, "unchanged after the refusals")
        rpc.call("container.delete", {"id": cid}, timeout=120)
    refused(rpc, node, {"id": harness.unique_name("lim-env"), "image": BUSYBOX, "command": SLEEP,
                        "environment": environment(ENV_BYTES + 1)}, "one byte of environment over")
    many = [{"name": f"V{i}", "value": "x"} for i in range(ENV_ITEMS)]
    accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-vars"), "image": BUSYBOX, "command": SLEEP, "environment": many},
             f"{ENV_ITEMS} variables")
    refused(rpc, node, {"id": harness.unique_name("lim-vars"), "image": BUSYBOX, "command": SLEEP,
                        "environment": many + [{"name": "ONE_MORE", "value": ""}]}, "one variable too many")
    wide = [{"name": "N" * NAME_CHARS, "value": "😀" * VALUE_CHARS}]
    accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-wide"), "image": BUSYBOX, "command": SLEEP, "environment": wide},
             "the longest name and value")
    for bad in ([{"name": "N" * (NAME_CHARS + 1), "value": ""}], [{"name": "N", "value": "😀" * (VALUE_CHARS + 1)}]):
        refused(rpc, node, {"id": harness.unique_name("lim-wide"), "image": BUSYBOX, "command": SLEEP, "environment": bad},
                "a name or value one character over")


def test_the_largest_record_survives_a_restart(cu):
    """A container at the bounds in the characters that escape the most (control characters: four
    bytes in the unit, six in JSON) is read back by a restarted node: its record (which keeps the
    install params, the command twice) is far larger than the line it renders. (Its request, in
    JSON, is about 3 MiB: the node's request line bound is raised for it.)"""
    mgr, node, rpc = start(cu, "--max-line-bytes", str(8 << 20))
    cid = harness.unique_name("lim-big")
    cu.container(f"ctr-{cid}")
    command = SLEEP + ["\u0001" * ARG_CHARS] * 15  # 15 x 64 KiB escaped: just under the unit line's bound
    env = environment(ENV_BYTES, char="\u0001")
    status = rpc.call("container.install", {"id": cid, "image": BUSYBOX, "command": command, "environment": env, "start": True}, timeout=300)
    check_equal(status["state"], "active", "started")
    record = os.path.getsize(os.path.join(node.state_dir, "containers", cid, "container.json"))
    check(record > 4 << 20, "the record is larger than the bound the node read records with before", size=record)
    node.stop()
    node.start()
    rpc = node.connect(cu)
    check_equal([c["id"] for c in rpc.call("container.list", {"ids": [cid]})["containers"]], [cid], "listed after a restart")
    check_equal(rpc.call("container.env.get", {"id": cid})["environment"], env, "env.get after a restart")
    check_equal(rpc.call("container.restart", {"id": cid}, timeout=300)["state"], "active", "restarted")
    rpc.call("container.delete", {"id": cid}, timeout=120)


def test_request_id_ports_volumes_links(cu):
    mgr, node, rpc = start(cu)
    rid = "😀" * REQUEST_ID
    params = {"id": harness.unique_name("lim-rid"), "image": BUSYBOX, "command": SLEEP, "requestId": rid}
    accepted(cu, mgr, rpc, params, "the longest requestId in four-byte characters")
    refused(rpc, node, dict(params, id=harness.unique_name("lim-rid"), requestId=rid + "é"), "a requestId one character over")

    ports = [{"internal": i + 1} for i in range(PORTS)]
    accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-ports"), "image": BUSYBOX, "command": SLEEP, "ports": ports},
             f"{PORTS} ports", running=False)
    refused(rpc, node, {"id": harness.unique_name("lim-ports"), "image": BUSYBOX, "command": SLEEP,
                        "ports": ports + [{"internal": PORTS + 1}]}, "one port too many")

    host = cu.tempdir("berth-lim-vol-")
    volumes = [{"hostPath": host, "containerPath": f"/v{i}"} for i in range(VOLUMES)]
    accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-vols"), "image": BUSYBOX, "command": SLEEP, "volumes": volumes},
             f"{VOLUMES} volumes")
    refused(rpc, node, {"id": harness.unique_name("lim-vols"), "image": BUSYBOX, "command": SLEEP,
                        "volumes": volumes + [{"hostPath": host, "containerPath": "/one-more"}]}, "one volume too many")

    # Links whose target is not known yet are stored, not applied: the count is what is walked here.
    links = [{"fromPort": i + 1, "toHost": "", "toPort": 0} for i in range(LINKS)]
    accepted(cu, mgr, rpc, {"id": harness.unique_name("lim-links"), "image": BUSYBOX, "command": SLEEP, "links": links},
             f"{LINKS} links")
    refused(rpc, node, {"id": harness.unique_name("lim-links"), "image": BUSYBOX, "command": SLEEP,
                        "links": links + [{"fromPort": LINKS + 1, "toHost": "", "toPort": 0}]}, "one link too many")


if __name__ == "__main__":
    harness.main()
