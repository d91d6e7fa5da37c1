#!/usr/bin/env python3
"""The docker runtime through berthd on the real stack: `berthd --runtime docker` with its embedded
manager, which serves podman's Docker API as `berth-podman-api.service` (there is no Docker engine
here); the units run the docker CLI found on PATH at start-up. The same scenarios as the podman
ones (test_containers.py, test_links_cluster.py): install, serve on the published port, stop,
restart, links, delete; and a container that cannot run is reported failed by start, not started.
systemctl on the node's own manager and podman (which holds the same containers) are the witnesses."""

import os
import shutil

import harness
from harness import check, check_equal, check_in, eventually, local_page

HTTPD = "localhost/berth-httpd:latest"
BUSYBOX = "localhost/busybox:latest"


def docker_cli():
    path = shutil.which("docker")
    check(path is not None, "the docker CLI is not on PATH (this test needs it; there is no engine)")
    return path


def start(cu, extra_args=()):
    """berthd --runtime docker on an embedded manager it starts (and stops) itself; a Manager object
    on that manager's directory is the systemctl witness (never started or stopped from here)."""
    docker_cli()
    # A port range of its own: other nodes on this machine allocate from the default one, and a
    # port this test's stopped container gave up could be taken before its restart.
    base = 21000 + (os.getpid() % 100) * 100
    node = harness.Node.start_new(cu, extra_args=["--manager", "embedded", "--runtime", "docker",
                                                  "--port-range", f"{base}-{base + 99}", *extra_args], timeout=60)
    rpc = node.connect(cu)
    witness = harness.Manager(node.run_dir + "-manager")
    return node, rpc, witness


def container_exists(name):
    env = dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF)
    return harness.run(["podman", "container", "exists", name], check_ok=False, env=env).returncode == 0


def test_node_info_shows_the_programs_it_found(cu):
    node, rpc, witness = start(cu)
    info = rpc.call("node.info")
    check_equal(info["runtime"], "docker", "runtime")
    tools = info["tools"]
    check_equal(tools["runtime"], docker_cli(), "the docker CLI as found on PATH, not /usr/bin/docker")
    check_equal(tools["podmanAPI"], shutil.which("podman"), "the podman serving the Docker API")
    for role in ("remove", "shell", "env", "socketProxy", "berthd"):
        check(os.path.isabs(tools[role]) and os.access(tools[role], os.X_OK), f"{role} is an executable path", tools=tools)
    check_equal(witness.show("berth-podman-api.service", "ActiveState")["ActiveState"], "active", "podman's Docker API unit")


def test_missing_runtime_refuses_to_start(cu):
    """Without the docker CLI on its PATH, berthd refuses to start, naming it, and starts nothing
    (no manager: the directory it would use stays absent)."""
    base = cu.tempdir("berth-dk-nodocker-")
    bin_dir = os.path.join(base, "bin")
    os.makedirs(bin_dir)
    for tool in ("podman", "rm", "bash", "env"):
        os.symlink(shutil.which(tool), os.path.join(bin_dir, tool))
    run_dir = os.path.join(base, "run")
    argv = [os.path.join(harness.bin_dir(), "berthd"), "--listen", f"unix:{run_dir}/berthd.sock", "--state-dir",
            os.path.join(base, "state"), "--run-dir", run_dir, "--manager", "embedded", "--runtime", "docker"]
    done = harness.run(argv, check_ok=False, timeout=60, env=dict(os.environ, PATH=bin_dir))
    check(done.returncode != 0, "berthd refused to start", stdout=done.stdout, stderr=done.stderr)
    said = done.stdout + done.stderr
    check_in("docker (", said, "the message names the missing docker CLI")
    check(not os.path.exists(run_dir + "-manager"), "no manager was started", output=said)


def test_httpd_lifecycle_through_docker(cu):
    node, rpc, witness = start(cu)
    cu.container("ctr-dkweb")
    status = rpc.call("container.install", {"id": "dkweb", "image": HTTPD, "ports": [{"internal": 8080, "external": 0}],
                                            "environment": [{"name": "BERTH_PAGE", "value": "via docker"}], "start": True},
                      timeout=120)
    check_equal(status["state"], "active", "state after install --start", status=status)
    port = status["ports"][0]["external"]
    check_in("via docker", eventually(lambda: local_page(port), "the page", timeout=30), "page on 127.0.0.1")
    check_equal(witness.show("ctr-dkweb.service")["ActiveState"], "active", "systemctl show")
    unit = open(os.path.join(witness.dir, "units", "ctr-dkweb.service")).read()
    check_in(f"ExecStart={docker_cli()} run", unit, "the unit runs the docker CLI that was found")
    check_equal(harness.podman("inspect", "-f", "{{.State.Running}}", "ctr-dkweb").strip(), "true",
                "podman holds the container the docker CLI made")

    check_equal(rpc.call("container.stop", {"id": "dkweb", "wait": True})["state"], "inactive", "state after stop")
    check_equal(witness.show("ctr-dkweb.service")["ActiveState"], "inactive", "systemctl show after stop")
    check(local_page(port) is None, "the port refuses after stop")

    check_equal(rpc.call("container.restart", {"id": "dkweb"}, timeout=120)["state"], "active", "state after restart")
    check_in("via docker", eventually(lambda: local_page(port), "the page after restart", timeout=30), "page")
    check_equal(rpc.call("container.start", {"id": "dkweb"}, timeout=120)["state"], "active", "start of a running container")

    check_equal(rpc.call("container.delete", {"id": "dkweb"}), {"done": True}, "delete")
    check_equal(witness.show("ctr-dkweb.service", "LoadState")["LoadState"], "not-found", "unit gone from systemd")
    check(local_page(port) is None, "the port refuses after delete")
    check(not container_exists("ctr-dkweb"), "no container left")
    check(not os.path.exists(os.path.join(node.state_dir, "ports", str(port))), "port released")


def test_links_through_docker(cu):
    """A docker container linked 127.0.0.1:8080 -> another docker container's httpd: the unit's links
    hook finds the container through `docker inspect` on podman's API; the link holds after a live
    change and a restart, and delete removes everything."""
    node, rpc, witness = start(cu)
    for name in ("ctr-dkback1", "ctr-dkback2", "ctr-dkfront"):
        cu.container(name)
    addresses = {}
    for back in ("dkback1", "dkback2"):
        rpc.call("container.install", {"id": back, "image": HTTPD, "environment": [{"name": "BERTH_PAGE", "value": back}],
                                       "start": True}, timeout=120)
        addresses[back] = harness.podman("inspect", "-f", "{{.NetworkSettings.IPAddress}}", f"ctr-{back}").strip()
        check(addresses[back], f"{back} has an address", addresses=addresses)

    def link(back):
        return {"fromHost": "127.0.0.1", "fromPort": 8080, "toHost": addresses[back], "toPort": 8080}

    def page():
        out = harness.podman("exec", "ctr-dkfront", "sh", "-c",
                             "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 8080", check=False)
        return out.splitlines()[-1].strip() if out else None

    status = rpc.call("container.install", {"id": "dkfront", "image": BUSYBOX, "command": ["sleep", "100000"],
                                            "links": [link("dkback1")], "start": True}, timeout=120)
    check_equal(status["state"], "active", "linked container started", status=status)
    check_in("dkback1", page(), "through the link from inside the container")

    check_equal(rpc.call("container.links.set", {"id": "dkfront", "links": [link("dkback2")]})["links"], [link("dkback2")],
                "links.set on the running container")
    check_in("dkback2", page(), "after the live change")
    rpc.call("container.restart", {"id": "dkfront"}, timeout=120)
    check_in("dkback2", eventually(page, "the link after restart", timeout=30), "the link is applied again by the restart")

    for cid in ("dkfront", "dkback1", "dkback2"):
        check_equal(rpc.call("container.delete", {"id": cid}), {"done": True}, f"delete {cid}")
        check(not container_exists(f"ctr-{cid}"), f"ctr-{cid} removed")
    check_equal(rpc.call("container.list", {})["containers"], [], "nothing left")


def test_container_that_fails_at_once_is_not_started(cu):
    """A docker unit is Type=simple (systemd's job is done when the CLI was forked): a command that
    exits 1 at once, or an image nobody has, must answer runtime_failed with the unit's result from
    install --start, start and restart, and the container's state says failed."""
    node, rpc, witness = start(cu)
    cu.container("ctr-dkexit")
    cu.container("ctr-dknoimg")
    error = rpc.call_error("container.install", {"id": "dkexit", "image": BUSYBOX, "command": ["sh", "-c", "exit 1"],
                                                "start": True}, timeout=120)
    check(error is not None, "install --start of a command that exits 1 is an error")
    check_equal(error.kind, "runtime_failed", "error kind", message=error.message)
    check_equal((error.data["result"], error.data["exitStatus"], error.data["unit"]), ("exit-code", 1, "ctr-dkexit.service"),
                "the unit's result in data", data=error.data)
    check_equal(witness.show("ctr-dkexit.service")["ActiveState"], "failed", "systemd agrees")
    check_equal(rpc.call("container.status", {"id": "dkexit"})["state"], "failed", "status says failed")
    for method in ("container.start", "container.restart"):
        error = rpc.call_error(method, {"id": "dkexit"}, timeout=120)
        check(error is not None and error.kind == "runtime_failed", f"{method} answers runtime_failed",
              error=error and error.message)

    rpc.call("container.install", {"id": "dknoimg", "image": "localhost/berth-no-such-image:latest"})
    error = rpc.call_error("container.start", {"id": "dknoimg"}, timeout=120)
    check(error is not None and error.kind == "runtime_failed", "start of a missing image answers runtime_failed",
          error=error and error.message)
    check_equal(rpc.call("container.status", {"id": "dknoimg"})["state"], "failed", "status says failed")
    for cid in ("dkexit", "dknoimg"):
        rpc.call("container.delete", {"id": cid})


if __name__ == "__main__":
    harness.main()
