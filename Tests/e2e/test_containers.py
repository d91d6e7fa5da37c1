#!/usr/bin/env python3
"""Containers through berthd's socket on the real stack: a private systemd manager (user mode, from
the manager's client environment), real podman containers, systemctl as an independent witness.

Needs berthd to serve ContainerMethodProvider (Sources/BerthNode/Containers). The same scenarios
run without berthd in Tests/BerthNodeTests/EngineRealStack (swift test --filter Engine)."""

import os
import threading
import time

import harness
from harness import check, check_equal, check_in, eventually, local_page

HTTPD = "localhost/berth-httpd:latest"
BUSYBOX = "localhost/busybox:latest"


def unit_dir(mgr):
    return os.path.join(mgr.dir, "config", "systemd", "user")


def test_httpd_lifecycle(cu):
    mgr, node, rpc = harness.start_stack(cu)
    cu.container("ctr-web")
    status = rpc.call("container.install", {"id": "web", "image": HTTPD, "ports": [{"internal": 8080, "external": 0}],
                                            "environment": [{"name": "BERTH_PAGE", "value": "hello"}], "start": True})
    check_equal(status["state"], "active", "state after install --start")
    port = status["ports"][0]["external"]
    check(port != 0, "port allocated", status=status)
    body = eventually(lambda: local_page(port), "the page", timeout=10)
    check_in("hello", body, "page")
    check_equal(mgr.show("ctr-web.service")["ActiveState"], "active", "systemctl show")

    status = rpc.call("container.stop", {"id": "web", "wait": True})
    check_equal(status["state"], "inactive", "state after stop")
    check_equal(mgr.show("ctr-web.service")["ActiveState"], "inactive", "systemctl show after stop")
    check(local_page(port) is None, "the port refuses after stop")
    listed = rpc.call("container.list", {})["containers"]
    check_equal([(c["id"], c["state"]) for c in listed], [("web", "inactive")], "list after stop")

    status = rpc.call("container.restart", {"id": "web"})
    check_equal(status["state"], "active", "state after restart")
    check_in("hello", eventually(lambda: local_page(port), "the page after restart"), "page")
    for c in rpc.call("container.list", {})["containers"]:
        check_equal(c["state"], mgr.show(f"ctr-{c['id']}.service")["ActiveState"], "list agrees with systemctl")

    check_equal(rpc.call("container.delete", {"id": "web"}), {"done": True}, "delete")
    check(not os.path.exists(os.path.join(unit_dir(mgr), "ctr-web.service")), "unit file removed")
    check(not os.path.exists(os.path.join(node.state_dir, "containers", "web")), "record removed")
    check(not os.path.exists(os.path.join(node.state_dir, "ports", str(port))), "port released")
    check_equal(mgr.show("ctr-web.service", "LoadState")["LoadState"], "not-found", "unit gone from systemd")
    error = rpc.call_error("container.status", {"id": "web"})
    check_equal(error and error.kind, "not_found", "status after delete")
    again = rpc.call("container.install", {"id": "again", "image": HTTPD, "ports": [{"internal": 8080, "external": port}]})
    check_equal(again["ports"][0]["external"], port, "the port is reusable")
    rpc.call("container.delete", {"id": "again"})


def test_environment_byte_exact(cu):
    """Values arrive byte for byte, and names the runtime, the loader or systemd read reach the
    container only: podman's own environment stays what the unit gives it."""
    mgr, node, rpc = harness.start_stack(cu)
    cu.container("ctr-envtest")
    values = {"QUOTES": "a \"double\" and 'single'", "DOLLARS": "$HOME ${PATH} $$ `id`", "PERCENT": "100% %n %%",
              "UNICODE": "ünïcödé ✓ 日本語 🚢", "BACKSLASH": "a\\b \\n \\", "BLANKS": "  both ends  ",
              "HASH": "# kept", "EQ": "=x=", "TAB": "\tt\t",
              "PATH": "/nowhere", "LD_PRELOAD": "/nonexistent/preload.so", "CONTAINER_HOST": "unix:///nonexistent.sock",
              "CONTAINER_CONNECTION": "nowhere", "NETAVARK_FW": "none", "CONTAINERS_CONF": "/nonexistent.conf",
              "DOCKER_HOST": "unix:///nonexistent-docker.sock", "NOTIFY_SOCKET": "/nonexistent/notify",
              "TMPDIR": "/nonexistent/tmp", "XDG_RUNTIME_DIR": "/nonexistent/xdg", "HOME": "/nonexistent/home"}
    out = cu.tempdir("berth-env-")
    os.chmod(out, 0o777)
    # Builtins and absolute paths only: the container's PATH leads nowhere.
    script = "; ".join(f'printf %s "${n}" > /out/{n}' for n in values) + "; printf x > /out/.done; exec /bin/sleep 1000"
    status = rpc.call("container.install", {"id": "envtest", "image": BUSYBOX, "command": ["/bin/sh", "-c", script],
                                            "environment": [{"name": n, "value": v} for n, v in values.items()],
                                            "volumes": [{"hostPath": out, "containerPath": "/out"}], "start": True})
    check_equal(status["state"], "active", "started with runtime-read names in its environment")
    eventually(lambda: os.path.exists(os.path.join(out, ".done")), "the container wrote every value")
    for name, value in values.items():
        with open(os.path.join(out, name), "rb") as f:
            check_equal(f.read(), value.encode(), f"{name} inside the container")
    # A line break cannot travel in the runtime's env-file: refused, nothing changes.
    before = rpc.call("container.env.get", {"id": "envtest"})
    error = rpc.call_error("container.env.patch", {"id": "envtest", "set": [{"name": "PEM", "value": "a\nb"}]})
    check_equal(error and error.kind, "invalid_params", "a value with a line break")
    check_equal(rpc.call("container.env.get", {"id": "envtest"}), before, "environment unchanged")
    rpc.call("container.delete", {"id": "envtest"})


def test_concurrent_installs(cu):
    mgr, node, rpc = harness.start_stack(cu)
    results, errors = {}, []

    def one(i):
        try:
            client = node.connect()
            try:
                results[i] = client.call("container.install", {"id": f"many-{i}", "image": BUSYBOX,
                                                               "command": ["sleep", "1000"],
                                                               "ports": [{"internal": 80, "external": 0}]})
            finally:
                client.close()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check_equal(errors, [], "errors of 32 concurrent installs")
    ports = [r["ports"][0]["external"] for r in results.values()]
    check_equal(len(set(ports)), 32, "distinct ports", ports=sorted(ports))
    check_equal(len(rpc.call("container.list", {})["containers"]), 32, "listed")
    for i in range(32):
        rpc.call("container.delete", {"id": f"many-{i}"})


def test_stop_waits_no_longer_than_timeout_seconds(cu):
    """container.stop {wait, timeoutSeconds} answers `timeout` when the unit is still stopping, as the
    contract says (the node once ignored timeoutSeconds and waited out the runtime's whole grace)."""
    mgr, node, rpc = harness.start_stack(cu)
    cid = harness.unique_name("stop-slow")
    cu.container(f"ctr-{cid}")
    # The container ignores SIGTERM: podman waits out its 10 s grace, then kills it.
    stubborn = ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
    rpc.call("container.install", {"id": cid, "image": BUSYBOX, "command": stubborn, "start": True})
    error = rpc.call_error("container.stop", {"id": cid, "wait": True, "timeoutSeconds": 1})
    check_equal(error and error.kind, "timeout", "stop past timeoutSeconds")
    eventually(lambda: mgr.show(f"ctr-{cid}.service")["ActiveState"] in ("inactive", "failed"), "the stop goes on", timeout=60)
    error = rpc.call_error("container.stop", {"id": cid, "wait": True, "timeoutSeconds": 5})
    check_equal(error and error.kind, None, "stopping a stopped container")
    rpc.call("container.delete", {"id": cid})


def test_bad_input_changes_nothing(cu):
    mgr, node, rpc = harness.start_stack(cu)
    rpc.call("container.install", {"id": "keep", "image": BUSYBOX, "command": ["sleep", "1000"]})

    def snapshot():
        return sorted(os.walk(node.state_dir)), sorted(os.listdir(unit_dir(mgr)))

    before = snapshot()
    cases = [
        ("invalid_identifier", {"id": "Bad/Id", "image": BUSYBOX}),
        ("invalid_identifier", {"id": "../etc", "image": BUSYBOX}),
        ("invalid_params", {"id": "x1", "image": "--privileged"}),
        ("invalid_params", {"id": "x2", "image": "busybox;rm -rf /"}),
        ("invalid_params", {"id": "x3", "image": BUSYBOX, "volumes": [{"hostPath": "../../etc", "containerPath": "/x"}]}),
        ("invalid_params", {"id": "x4", "image": BUSYBOX, "environment": [{"name": "PEM", "value": "line\nbreak"}]}),
        ("invalid_params", {"id": "x5", "image": BUSYBOX, "environment": [{"name": "A-B", "value": "x"}]}),
        ("already_exists", {"id": "keep", "image": BUSYBOX}),
    ]
    for kind, params in cases:
        error = rpc.call_error("container.install", params)
        check_equal(error and error.kind, kind, f"install {params}")
    for method in ("container.start", "container.status", "container.delete", "container.env.get"):
        error = rpc.call_error(method, {"id": "ghost"})
        check_equal(error and error.kind, "not_found", method)
    check_equal(snapshot(), before, "state and units unchanged")
    rpc.call("container.delete", {"id": "keep"})


def test_kill9_during_installs(cu):
    mgr, node, rpc = harness.start_stack(cu)
    acked = {}
    for round_, delay in enumerate((0.3, 0.9, 1.8)):
        client = node.connect()
        stop = threading.Event()

        def stream(client=client, round_=round_):
            i = 0
            while not stop.is_set():
                cid = f"k{round_}-{i}"
                try:
                    r = client.call("container.install", {"id": cid, "image": BUSYBOX, "command": ["sleep", "1"],
                                                          "ports": [{"internal": 80, "external": 0}], "requestId": f"r-{cid}"})
                except Exception:  # noqa: BLE001 (the node died mid-request)
                    return
                acked[cid] = r["ports"][0]["external"]
                i += 1

        t = threading.Thread(target=stream)
        t.start()
        time.sleep(delay)
        node.proc.kill()  # SIGKILL
        node.proc.wait(5)
        stop.set()
        t.join(30)
        client.close()
        node.start()
        rpc = node.connect(cu)
        listed = {c["id"]: c for c in rpc.call("container.list", {})["containers"]}
        for cid, port in acked.items():
            check(cid in listed, f"acknowledged {cid} survived the kill")
            check_equal(listed[cid]["ports"][0]["external"], port, f"{cid} port")
        units = {n for n in os.listdir(unit_dir(mgr)) if n.startswith("ctr-")}
        check_equal(units, {f"ctr-{i}.service" for i in listed}, "units match records")
        owners = set()
        for name in os.listdir(os.path.join(node.state_dir, "ports")):
            if name.isdigit():
                with open(os.path.join(node.state_dir, "ports", name)) as f:
                    owners.add(__import__("json").load(f)["owner"])
        check_equal(owners, set(listed), "port owners match records")
        check(all(not n.startswith(".") for n in os.listdir(os.path.join(node.state_dir, "containers"))),
              "no staging leftovers")
    check(acked, "some installs were acknowledged")


if __name__ == "__main__":
    harness.main()
