#!/usr/bin/env python3
"""berthd's embedded manager across node crashes (docs/architecture-engine.md, "Embedded manager
after a crash"): a node restarted on the same directories adopts the private `systemd --user` its
predecessor left, with its containers still running, or stops it first when it cannot be adopted
safely; never two managers on one runtime directory; nothing left after SIGTERM; one node per run
directory.

Managers are found through /proc: a `systemd` process whose XDG_RUNTIME_DIR is this node's manager
directory (never a pattern over the machine's processes). Whatever a test leaves, including a second
manager the old code started, is stopped by PID and its cgroup removed in the cleanup."""

import os
import signal
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually, local_page

HTTPD = "localhost/berth-httpd:latest"


# ---------------------------------------------------------------------------------------------
# Managers, found through /proc


def manager_dir(node):
    return node.run_dir + "-manager"


def managers(node):
    """PIDs of the live `systemd` processes whose XDG_RUNTIME_DIR is NODE's manager directory."""
    wanted = b"XDG_RUNTIME_DIR=" + os.path.join(manager_dir(node), "xdg").encode()
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/comm", "rb") as f:
                if f.read().strip() != b"systemd":
                    continue
            with open(f"/proc/{name}/environ", "rb") as f:
                if wanted in f.read().split(b"\0"):
                    found.add(int(name))
        except OSError:  # gone meanwhile
            continue
    return found


def cgroup_of(pid):
    """The top-level cgroup name PID lives under (berth-mgr-...), from /proc/PID/cgroup."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            path = line.rstrip("\n").split(":", 2)[2]
            if path.startswith("/berth-mgr-"):
                return path.split("/")[1]
    raise harness.TestFailure(f"process {pid} is not in a berth-mgr- cgroup")


def cgroup_dirs(name):
    return [d for d in (os.path.join("/sys/fs/cgroup", h, name) for h in os.listdir("/sys/fs/cgroup"))
            if os.path.isdir(d)]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def remove_cgroup(name):
    """Kills by PID whatever is left in cgroup NAME (ours: the name is unique), then removes it."""
    for top in cgroup_dirs(name):
        for dirpath, _, files in os.walk(top):
            if "cgroup.procs" in files:
                with open(os.path.join(dirpath, "cgroup.procs")) as f:
                    for pid in f.read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
    for top in cgroup_dirs(name):
        for dirpath, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
            eventually(lambda d=dirpath: _rmdir(d), f"rmdir {dirpath}", timeout=5)


def _rmdir(path):
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass
    return True


def stop_managers(node):
    """Stops every manager on NODE's runtime directory by PID (SIGTERM, then SIGKILL) and removes
    its cgroup, and the cgroups of managers seen earlier (check_one): the cleanup for whatever a
    failed run left."""
    for pid in managers(node):
        try:
            name = cgroup_of(pid)
        except (OSError, harness.TestFailure):
            name = None
        for sig in (signal.SIGTERM, signal.SIGCONT):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        if name:
            remove_cgroup(name)
    for name in node.seen_cgroups:
        remove_cgroup(name)


def embedded_node(cu, directory=None):
    node = harness.Node(directory or os.path.join(cu.tempdir("berth-adopt-"), "node"),
                        extra_args=["--manager", "embedded", "--runtime", "podman"])
    node.seen_cgroups = set()
    cu.push(f"stop managers of {node.dir}", stop_managers, node)
    cu.push(f"stop berthd in {node.dir}", node.stop)
    node.start()
    return node


def install_httpd(cu, rpc, cid):
    cu.container(f"ctr-{cid}")
    # A port the kernel just found free, not the first of the node's range, which every other
    # node on this machine starts from.
    external = harness.free_tcp_port()
    status = rpc.call("container.install", {"id": cid, "image": HTTPD, "ports": [{"internal": 8080, "external": external}],
                                            "environment": [{"name": "BERTH_PAGE", "value": "adopted"}], "start": True})
    check_equal(status["state"], "active", "state after install --start", status=status)
    port = status["ports"][0]["external"]
    check_equal(port, external, "the port asked for")
    check_in("adopted", eventually(lambda: local_page(port), "the page"), "page")
    return port


def container_pid(cid):
    return int(harness.podman("inspect", "-f", "{{.State.Pid}}", f"ctr-{cid}"))


def crash(node):
    node.proc.kill()  # SIGKILL: the node gets no chance to stop its manager
    node.proc.wait(10)
    node.proc = None


def listed(node, cid):
    rpc = node.connect()
    try:
        return {c["id"]: c for c in rpc.call("container.list", {})["containers"]}.get(cid)
    finally:
        rpc.close()


def check_nothing_left(node, pids, cgroup):
    status = node.stop()
    check_equal(status, 0, "berthd's exit status after SIGTERM", log=node.log())
    check_equal(managers(node), set(), "managers after SIGTERM of the node")
    check(not any(alive(p) for p in pids), "the manager processes are gone", pids=pids)
    check_equal(cgroup_dirs(cgroup), [], "the manager's cgroup directories after SIGTERM")


# ---------------------------------------------------------------------------------------------
# Tests


def test_a_restarted_node_adopts_the_manager_and_its_running_container(cu):
    node = embedded_node(cu)
    cid = f"adopt{os.getpid()}"
    rpc = node.connect()
    port = install_httpd(cu, rpc, cid)
    rpc.close()
    (first,) = check_one(node, "before the crash")
    cgroup = cgroup_of(first)
    ctr = container_pid(cid)

    crash(node)
    check_equal(managers(node), {first}, "the crashed node's manager is still there")
    node.start()
    check_equal(managers(node), {first}, "exactly one manager after the restart: the one adopted")
    entry = listed(node, cid)
    check(entry is not None, "the container is listed", log=node.log())
    check_equal((entry["state"], entry.get("subState")), ("active", "running"), "container.list after the restart")
    check_equal(container_pid(cid), ctr, "the container kept running (same process, not restarted)")
    check_in("adopted", local_page(port) or "", "the page is still served")
    check_nothing_left(node, {first}, cgroup)
    check_equal(harness.podman("ps", "-a", "-q", "--filter", f"name=^ctr-{cid}$"), "",
                "SIGTERM of the node stops its containers, as before")


def test_an_unresponsive_manager_is_stopped_before_a_new_one_starts(cu):
    node = embedded_node(cu)
    cid = f"wedged{os.getpid()}"
    rpc = node.connect()
    install_httpd(cu, rpc, cid)
    rpc.close()
    (old,) = check_one(node, "before the crash")
    old_cgroup = cgroup_of(old)

    crash(node)
    os.kill(old, signal.SIGSTOP)  # alive and ours, but it answers nobody
    node.start(timeout=60)
    (new,) = check_one(node, "after the restart")
    check(new != old and not alive(old), "the wedged manager was stopped and a new one started", old=old, new=new)
    check_equal(cgroup_dirs(old_cgroup), [], "the wedged manager's cgroup is gone")
    entry = eventually(lambda: (listed(node, cid) or {}).get("subState") == "running" and listed(node, cid),
                       "the container runs again under the new manager", timeout=30)
    check_equal(entry["state"], "active", "container.list")
    check_nothing_left(node, {old, new}, cgroup_of(new))


def test_a_reused_pid_in_the_pid_file_is_never_signalled(cu):
    node = embedded_node(cu)
    (first,) = check_one(node, "before the crash")
    cgroup = cgroup_of(first)
    stranger = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
    cu.process(stranger, "a process that took the manager's pid")

    crash(node)
    os.kill(first, signal.SIGKILL)  # the manager died too; its pid now names someone else
    eventually(lambda: not alive(first), "the manager is gone")
    with open(os.path.join(manager_dir(node), "manager.pid"), "w") as f:
        f.write(f"{stranger.pid}\n")
    node.start()
    (new,) = check_one(node, "after the restart")
    check(new != first, "a new manager runs", new=new)
    check_equal(stranger.poll(), None, "the process named by the stale pid file was not signalled")
    check_equal(cgroup_dirs(cgroup), [], "the dead manager's cgroup was removed")
    check_nothing_left(node, {new}, cgroup_of(new))
    check_equal(stranger.poll(), None, "the stranger survives the node's SIGTERM too")


def test_a_second_node_on_the_same_directories_is_refused(cu):
    node = embedded_node(cu)
    (first,) = check_one(node, "one node")
    log = os.path.join(node.dir, "second.log")
    with open(log, "wb") as out:
        second = subprocess.Popen(node.argv(), env=dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF),
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    cu.process(second, "the second berthd")
    try:
        code = second.wait(60)
    except subprocess.TimeoutExpired:
        code = None
    check(code not in (None, 0), "the second node exits with an error", code=code, log=harness.tail(log))
    check_in("berthd.lock", harness.tail(log), "the error names the lock it could not take")
    check_equal(managers(node), {first}, "still one manager, the first node's")
    rpc = node.connect()
    check_equal(rpc.call("node.ping"), {"pong": True}, "the first node still answers")
    rpc.close()
    check_nothing_left(node, {first}, cgroup_of(first))


def check_one(node, when):
    found = managers(node)
    for pid in found:
        node.seen_cgroups.add(cgroup_of(pid))
    check_equal(len(found), 1, f"managers on the node's runtime directory {when}", pids=sorted(found))
    return tuple(found)


if __name__ == "__main__":
    harness.main()
