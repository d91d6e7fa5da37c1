#!/usr/bin/env python3
"""Restart policies and resource limits on the real stack: berthd on a private systemd manager, real
podman containers, the wire through a python3 client, the `berth` CLI and a `berth deploy` descriptor.

What is checked where it lives: systemd's own restart count and result (the manager's NRestarts and
Result, or the status members that carry them where the node reports them), and the limits in the
cgroup files of the cgroup that holds the container's PID (docs/architecture-render.md, "Limits":
that is the runtime's cgroup, not the unit's)."""

import json
import os
import shutil
import signal
import subprocess

import harness
from harness import check, check_equal, check_in, eventually

IMAGE = "localhost/busybox:latest"
SLEEP = ["sleep", "100000"]


def install(cu, rpc, cid, command=SLEEP, start=True, **params):
    cu.container("ctr-" + cid)
    return rpc.call("container.install", {"id": cid, "image": IMAGE, "command": command, "start": start, **params},
                    timeout=120)


def unit(cid):
    return f"ctr-{cid}.service"


def container_pid(cid):
    """The PID of the container's first process (its init), or None while there is no container."""
    out = harness.podman("inspect", "-f", "{{.State.Pid}}", "ctr-" + cid, check=False)
    return int(out) if out.isdigit() and int(out) > 0 else None


def restarts(rpc, cid):
    """How many times systemd restarted the unit, as the node reports it (a missing member fails)."""
    return rpc.call("container.status", {"id": cid})["restarts"]


def result(rpc, cid):
    """The result of the unit's last run, as the node reports it (a missing member fails)."""
    return rpc.call("container.status", {"id": cid})["result"]


def cgroup_dir(pid, controller):
    """The directory of the cgroup that holds PID for CONTROLLER (v1), or its unified cgroup (v2)."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in lines:
        if controller in controllers.split(","):
            return f"/sys/fs/cgroup/{controller}{path}"
    unified = next(path for hid, controllers, path in lines if hid == "0")
    base = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
    return base + unified


def read(path):
    with open(path) as f:
        return f.read().strip()


def keyed(path):
    """A flat keyed cgroup file (memory.events, memory.oom_control, pids.events) as a dict."""
    return {k: int(v) for k, v in (line.split() for line in read(path).splitlines())}


def memory_files(pid):
    """(limit, oom kills) of the memory cgroup holding PID, in v1's or v2's files."""
    d = cgroup_dir(pid, "memory")
    if os.path.exists(f"{d}/memory.limit_in_bytes"):
        return int(read(f"{d}/memory.limit_in_bytes")), keyed(f"{d}/memory.oom_control").get("oom_kill", 0)
    return int(read(f"{d}/memory.max")), keyed(f"{d}/memory.events").get("oom_kill", 0)


def cpu_quota(pid):
    """(quota, period) in microseconds of the cgroup holding PID."""
    d = cgroup_dir(pid, "cpu")
    if os.path.exists(f"{d}/cpu.cfs_quota_us"):
        return int(read(f"{d}/cpu.cfs_quota_us")), int(read(f"{d}/cpu.cfs_period_us"))
    quota, period = read(f"{d}/cpu.max").split()
    return int(quota), int(period)


def log_texts(rpc, cid):
    return [line["text"] for line in rpc.call("container.logs", {"id": cid})["lines"]]


def test_kill_9_restarts_by_policy(cu):
    mgr, node, rpc = harness.start_stack(cu)
    pids = {}
    for policy in ("always", "on-failure", "no"):
        cid = harness.unique_name("rs-" + policy)
        status = install(cu, rpc, cid, restart=policy, restartDelaySeconds=0.2)
        check_equal(status["restart"], policy, "status shows the policy")
        check_equal(status["restartDelaySeconds"], 0.2, "status shows the delay")
        pids[policy] = (cid, eventually(lambda: container_pid(cid), f"{cid}'s container runs", timeout=30))
        check_equal(restarts(rpc, cid), 0, f"{policy}: no restart yet")
    for cid, pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    for policy in ("always", "on-failure"):
        cid, old = pids[policy]
        eventually(lambda: restarts(rpc, cid) >= 1, f"{policy}: systemd restarted the unit", timeout=30)
        new = eventually(lambda: (p := container_pid(cid)) and p != old and p, f"{policy}: a new container runs", timeout=30)
        check(new != old, "another process")
        eventually(lambda: rpc.call("container.status", {"id": cid})["state"] == "active", f"{policy}: active again", timeout=30)
    # The others came back meanwhile; `no` stays down, never restarted.
    cid, _ = pids["no"]
    eventually(lambda: rpc.call("container.status", {"id": cid})["state"] == "failed", "no: the unit failed", timeout=30)
    check_equal(restarts(rpc, cid), 0, "no: never restarted")
    check_equal(container_pid(cid), None, "no: no container runs")
    # A stop through Berth is a stop, whatever the policy.
    cid, _ = pids["always"]
    status = rpc.call("container.stop", {"id": cid}, timeout=60)
    check_equal(status["state"], "inactive", "always: stopped by container.stop")
    check_equal(mgr.show(unit(cid), "ActiveState")["ActiveState"], "inactive", "always: systemd did not restart it")


def test_crash_loop_hits_the_start_limit_and_start_resets_it(cu):
    mgr, node, rpc = harness.start_stack(cu)
    flag = cu.tempdir("berth-flag-")
    cid = harness.unique_name("rs-loop")
    command = ["sh", "-c", "test -e /flag/ok && exec sleep 100000; echo crashing; exit 1"]
    try:
        install(cu, rpc, cid, command=command, restart="on-failure", restartDelaySeconds=0.1, restartBurst=3,
                restartIntervalSeconds=600, volumes=[{"hostPath": flag, "containerPath": "/flag"}])
    except harness.RpcError:
        pass  # the first start may already count as failed; the loop is what counts
    # systemd 252 keeps the last exit's result (exit-code) when the start limit ends the loop; the
    # node names it start-limit-hit (RestartPolicy.hitStartLimit), keeping the last exit beside it.
    # The unit stays failed, its restarts stop, and a plain start is refused until a reset.
    eventually(lambda: rpc.call("container.status", {"id": cid})["state"] == "failed" and restarts(rpc, cid) >= 3,
               "systemd gave up restarting", timeout=60)
    status = rpc.call("container.status", {"id": cid})
    check_equal(status.get("result"), "start-limit-hit", "status names the start limit", status=status)
    check_equal(status.get("exitStatus"), 1, "and keeps the last run's exit status", status=status)
    listed = next(c for c in rpc.call("container.list", {})["containers"] if c["id"] == cid)
    check_equal(listed.get("result"), "start-limit-hit", "list agrees with status", listed=listed)
    crashes = sum(t == "crashing" for t in log_texts(rpc, cid))
    check_equal(crashes, 3, "the command ran restartBurst times", log=log_texts(rpc, cid))
    refused = mgr.systemctl("start", unit(cid), check=False)
    check(refused.returncode != 0, "systemd refuses a start without a reset: the start limit holds")
    check_equal(sum(t == "crashing" for t in log_texts(rpc, cid)), crashes, "the refused start ran nothing")

    with open(os.path.join(flag, "ok"), "w"):
        pass
    r = node.berth("start", cid)
    check_equal(r.returncode, 0, "berth start after start-limit-hit", stderr=r.stderr, stdout=r.stdout)
    check_in("start limit", r.stdout, "berth start says it reset the start limit")
    check_in(f"started {cid}", r.stdout, "and that it started")
    check_equal(rpc.call("container.status", {"id": cid})["state"], "active", "it runs")
    r = node.berth("start", cid)
    check_equal(r.returncode, 0, "berth start of a running container", stderr=r.stderr)
    check("start limit" not in r.stdout, "no reset to report the second time", stdout=r.stdout)


def test_memory_hog_is_oom_killed(cu):
    mgr, node, rpc = harness.start_stack(cu)
    mib32 = 32 << 20
    # The hog is a child: the container stays, so its cgroup can be read after the kill.
    cid = harness.unique_name("rs-hog")
    hog = "x=a; while true; do x=$x$x$x$x; done"
    status = install(cu, rpc, cid, command=["sh", "-c", f"({hog}); echo hog ended $?; exec sleep 100000"],
                     memory=mib32, memorySwap=mib32)
    check_equal((status["memory"], status["memorySwap"]), (mib32, mib32), "status shows the memory limits")
    eventually(lambda: "hog ended 137" in log_texts(rpc, cid), "the hog was killed (SIGKILL)", timeout=30)
    limit, kills = memory_files(container_pid(cid))
    check_equal(limit, mib32, "the container's cgroup has the limit")
    check(kills >= 1, "the kernel's OOM killer killed it in the container's cgroup", oom_kills=kills)

    # The hog as the container's command: the unit fails.
    cid = harness.unique_name("rs-hog1")
    try:
        install(cu, rpc, cid, command=["sh", "-c", hog], memory=mib32, memorySwap=mib32)
    except harness.RpcError:
        pass
    eventually(lambda: rpc.call("container.status", {"id": cid})["state"] == "failed", "the hog's unit failed", timeout=30)
    unified_memory = "memory" in read("/sys/fs/cgroup/cgroup.controllers").split() if os.path.exists(
        "/sys/fs/cgroup/cgroup.controllers") else False
    check_equal(result(rpc, cid), "oom-kill", "the node's result", log=log_texts(rpc, cid))
    if unified_memory:
        check_equal(mgr.show(unit(cid), "Result")["Result"], "oom-kill", "systemd's result (cgroup v2)")
    else:
        # cgroup v1 (these machines): systemd learns of OOM kills only from cgroup v2's memory.events,
        # so it reports the runtime's exit status, 128 + SIGKILL; the unit's stop marker found the
        # kill in the kernel's log (architecture-render.md, "Limits").
        shown = mgr.show(unit(cid), "Result", "ExecMainStatus")
        check_equal((shown["Result"], shown["ExecMainStatus"]), ("exit-code", "137"), "systemd's result (cgroup v1)")
    listed = {c["id"]: c for c in rpc.call("container.list", {})["containers"]}
    check_equal(listed[cid].get("result"), "oom-kill", "container.list says it too")
    check(any(t.startswith("stopped: result oom-kill,") for t in log_texts(rpc, cid)), "the stop marker says it",
          log=log_texts(rpc, cid))


def test_oom_kill_while_the_node_is_down_and_kill_9_is_not_one(cu):
    """The OOM kill is recorded when the run ends, by the unit, not by the node; a kill -9 of a
    container with a memory limit ends the same way to systemd (137) and is not an OOM kill."""
    mgr, node, rpc = harness.start_stack(cu)
    mib32 = 32 << 20
    flag = cu.tempdir("berth-flag-")
    cid = harness.unique_name("rs-hogdown")
    hog = "while [ ! -e /flag/go ]; do sleep 0.1; done; x=a; while true; do x=$x$x$x$x; done"
    install(cu, rpc, cid, command=["sh", "-c", hog], memory=mib32, memorySwap=mib32,
            volumes=[{"hostPath": flag, "containerPath": "/flag"}])
    killed = harness.unique_name("rs-kill9")
    install(cu, rpc, killed, memory=mib32, memorySwap=mib32)
    pid = eventually(lambda: container_pid(killed), "the container runs", timeout=30)
    with open(f"/proc/{pid}/cgroup") as f:
        cgroups = [line.strip().split(":", 2) for line in f]
    own = [f"/sys/fs/cgroup/{c}{path}" for _, c, path in cgroups if c and not c.startswith("name=") and path != "/"]
    check(own, "the container has cgroups of its own", cgroups=cgroups)

    node.stop()
    with open(os.path.join(flag, "go"), "w"):
        pass
    os.kill(pid, signal.SIGKILL)
    for c in (cid, killed):
        eventually(lambda: mgr.show(unit(c), "ActiveState")["ActiveState"] == "failed", f"{c}: the unit failed", timeout=30)
    node.start()
    rpc = node.connect(cu)
    check_equal(result(rpc, cid), "oom-kill", "the hog, killed while the node was down")
    status = rpc.call("container.status", {"id": killed})
    check_equal((status.get("result"), status.get("exitStatus")), ("exit-code", 137), "kill -9 is not an OOM kill")
    check(not any("oom-kill" in t for t in log_texts(rpc, killed)), "nor does its marker say so")

    for c in (cid, killed):
        rpc.call("container.delete", {"id": c}, timeout=60)
    left = [d for d in own if os.path.exists(d)]
    check_equal(left, [], "no cgroup of the container remains after delete")


def test_pids_bomb_stops_at_its_limit(cu):
    mgr, node, rpc = harness.start_stack(cu)
    cid = harness.unique_name("rs-pids")
    # busybox sh exits when a fork fails: the bomb is a child shell, and its sleeps stay behind.
    bomb = "sh -c 'i=0; while [ $i -lt 64 ]; do sleep 100000 & i=$((i+1)); done'; echo bomb ended $?; exec sleep 100000"
    status = install(cu, rpc, cid, command=["sh", "-c", bomb], pids=16)
    check_equal(status["pids"], 16, "status shows the limit")
    pid = eventually(lambda: container_pid(cid), "the container runs", timeout=30)
    d = cgroup_dir(pid, "pids")
    check_equal(read(f"{d}/pids.max"), "16", "the container's cgroup has the limit")
    eventually(lambda: any(t.startswith("bomb ended") for t in log_texts(rpc, cid)), "the bomb ran out of forks", timeout=30)
    current = int(read(f"{d}/pids.current"))
    check(current <= 16, "never more tasks than the limit", current=current)
    check(current >= 14, "the bomb's sleeps fill the limit (less the bomb shell itself)", current=current)
    check(keyed(f"{d}/pids.events").get("max", 0) >= 1, "the kernel refused forks at the limit", events=read(f"{d}/pids.events"))
    check(any("can't fork" in t or "Resource temporarily unavailable" in t for t in log_texts(rpc, cid)),
          "the shell saw fork fail", log=log_texts(rpc, cid)[-5:])


def test_cgroup_files_show_the_limits_and_they_survive_a_node_restart(cu):
    mgr, node, rpc = harness.start_stack(cu)
    cid = harness.unique_name("rs-files")
    given = {"memory": 64 << 20, "cpus": 0.5, "pids": 50, "restart": "always", "restartBurst": 4, "restartIntervalSeconds": 30}
    status = install(cu, rpc, cid, **given)
    check_equal({k: status.get(k) for k in given}, given, "install answers with the policy and limits")
    pid = eventually(lambda: container_pid(cid), "the container runs", timeout=30)
    check_equal(memory_files(pid)[0], 64 << 20, "memory limit")
    quota, period = cpu_quota(pid)
    check_equal(quota * 2, period, "a CPU quota of half the period")
    check_equal(read(cgroup_dir(pid, "pids") + "/pids.max"), "50", "task limit")
    shown = mgr.show(unit(cid), "Restart", "StartLimitBurst", "StartLimitIntervalUSec")
    check_equal((shown["Restart"], shown["StartLimitBurst"], shown["StartLimitIntervalUSec"]), ("always", "4", "30s"),
                "systemd has the policy")
    # The limits bound the container's own cgroup; the unit's cgroup holds the runtime's conmon only.
    main = int(mgr.show(unit(cid), "MainPID")["MainPID"])
    check(cgroup_dir(main, "memory") != cgroup_dir(pid, "memory"), "the container is not in the unit's cgroup")

    rpc.close()
    node.stop()
    node.start()
    rpc = node.connect(cu)
    status = rpc.call("container.status", {"id": cid})
    check_equal({k: status.get(k) for k in given}, given, "the record kept them across a node restart")
    listed = rpc.call("container.list", {"ids": [cid]})["containers"][0]
    check_equal({k: listed.get(k) for k in given}, given, "list shows them too")
    r = node.berth("status", cid)
    check_equal(r.returncode, 0, "berth status", stderr=r.stderr)
    check_in("restart:          always (at most 4 starts in 30s)", r.stdout, "berth status shows the policy")
    check_in("limits:           memory 64m, cpus 0.5, pids 50", r.stdout, "berth status shows the limits")


BAD = [
    ("restart", "sometimes"), ("restart", 1), ("restartDelaySeconds", -1), ("restartDelaySeconds", 0.0001),
    ("restartDelaySeconds", 86401), ("restartDelaySeconds", "abc"), ("restartBurst", 0), ("restartBurst", -1),
    ("restartBurst", 10001), ("restartIntervalSeconds", -1), ("restartIntervalSeconds", 1.5), ("memory", 0),
    ("memory", -1), ("memory", "abc"), ("memory", 1 << 20), ("memory", 1 << 60), ("memory", 10 ** 30),
    ("cpus", 0), ("cpus", -0.5), ("cpus", 0.0005), ("cpus", 1025), ("cpus", "half"), ("pids", 0), ("pids", 1),
    ("pids", -1), ("pids", 1 << 23), ("memorySwap", 64 << 20),
]


def test_bad_values_are_refused_and_change_nothing(cu):
    mgr, node, rpc = harness.start_stack(cu)
    cid = harness.unique_name("rs-bad")
    cu.container("ctr-" + cid)
    for member, value in BAD + [("memorySwap", {"memory": 64 << 20, "memorySwap": 32 << 20})]:
        params = {"id": cid, "image": IMAGE, "start": True}
        params.update(value if isinstance(value, dict) else {member: value})
        error = rpc.call_error("container.install", params)
        check(error is not None, f"{member}={value!r} is refused")
        check_equal(error.kind, "invalid_params", f"{member}={value!r}: error kind")
        check_in(member, error.message, f"{member}={value!r}: the message names the member")
    check_equal(rpc.call("container.list")["containers"], [], "nothing was installed")
    check(not any(name.startswith("ctr-") for name in os.listdir(mgr.units)), "no unit was written",
          units=os.listdir(mgr.units))

    for flags, named in ([["--restart", "sometimes"], "--restart"], [["--restart-delay", "-1"], "--restart-delay"],
                         [["--restart-burst", "0"], "--restart-burst"], [["--memory", "abc"], "--memory"],
                         [["--memory", "1m"], "--memory"], [["--memory", "99999999999g"], "--memory"],
                         [["--memory-swap", "64m"], "--memory-swap"], [["--cpus", "0"], "--cpus"],
                         [["--cpus", "x"], "--cpus"], [["--pids", "-1"], "--pids"], [["--pids", "1"], "--pids"]):
        r = node.berth("install", *flags, IMAGE, cid)
        check_equal(r.returncode, 64, f"berth install {' '.join(flags)}: a usage error", stderr=r.stderr)
        check_in(named, r.stderr, f"berth install {' '.join(flags)}: the message names the flag")
    check_equal(rpc.call("container.list")["containers"], [], "the CLI sent nothing either")

    r = node.berth("install", "--restart", "on-failure", "--restart-delay", "1.5", "--memory", "256m", "--memory-swap", "256m",
              "--cpus", "0.25", "--pids", "100", IMAGE, cid, "--", *SLEEP)
    check_equal(r.returncode, 0, "berth install with every flag", stderr=r.stderr)
    status = rpc.call("container.status", {"id": cid})
    check_equal([status.get(k) for k in ("restart", "restartDelaySeconds", "memory", "memorySwap", "cpus", "pids")],
                ["on-failure", 1.5, 256 << 20, 256 << 20, 0.25, 100], "the flags reached the node")


def test_the_docker_runtime_sets_the_same_limits(cu):
    """`berthd --runtime docker` (the docker CLI against podman's Docker API, as test_docker.py): the
    same options bound the container's own cgroup."""
    check(shutil.which("docker") is not None, "the docker CLI is on PATH")
    base = 23000 + (os.getpid() % 100) * 20
    node = harness.Node.start_new(cu, extra_args=["--manager", "embedded", "--runtime", "docker",
                                                  "--port-range", f"{base}-{base + 19}"], timeout=60)
    rpc = node.connect(cu)
    cid = harness.unique_name("rs-docker")
    install(cu, rpc, cid, memory=48 << 20, cpus=0.25, pids=30, restart="on-failure")
    pid = eventually(lambda: container_pid(cid), "the container runs", timeout=60)
    check_equal(memory_files(pid)[0], 48 << 20, "memory limit")
    quota, period = cpu_quota(pid)
    check_equal(quota * 4, period, "a quarter of the period")
    check_equal(read(cgroup_dir(pid, "pids") + "/pids.max"), "30", "task limit")
    rpc.call("container.delete", {"id": cid}, timeout=60)


def test_deploy_descriptor_carries_them_and_a_change_reinstalls(cu):
    mgr, node, rpc = harness.start_stack(cu)
    work = cu.tempdir()
    app = os.path.join(work, "app.json")
    name = harness.unique_name("rsdep")
    cid = f"{name}-web-1"
    cu.container("ctr-" + cid)

    def descriptor(memory):
        with open(app, "w") as f:
            json.dump({"name": name, "nodes": [f"unix:{node.socket_path}"], "services": {"web": {
                "image": IMAGE, "command": SLEEP, "restart": "on-failure", "restartBurst": 3, "memory": memory,
                "cpus": 0.5, "pids": 50}}}, f)

    descriptor(64 << 20)
    r = node.berth("deploy", app)
    check_equal(r.returncode, 0, "deploy", stdout=r.stdout, stderr=r.stderr)
    status = rpc.call("container.status", {"id": cid})
    check_equal([status.get(k) for k in ("restart", "restartBurst", "memory", "cpus", "pids", "state")],
                ["on-failure", 3, 64 << 20, 0.5, 50, "active"], "the descriptor's policy and limits reached the node")
    check_equal(memory_files(container_pid(cid))[0], 64 << 20, "and the container's cgroup")
    descriptor(128 << 20)
    r = node.berth("deploy", app, "--plan")
    check_equal(r.returncode, 0, "plan", stderr=r.stderr)
    check_in("limits changed", r.stdout, "a changed limit reinstalls, saying why")
    r = node.berth("deploy", app)
    check_equal(r.returncode, 0, "redeploy", stdout=r.stdout, stderr=r.stderr)
    check_equal(rpc.call("container.status", {"id": cid})["memory"], 128 << 20, "the new limit")
    with open(app, "w") as f:
        json.dump({"nodes": ["h"], "services": {"web": {"image": IMAGE, "memory": 1 << 20}}}, f)
    r = node.berth("deploy", app)
    check_equal(r.returncode, 66, "a bad limit in a descriptor", stderr=r.stderr)
    check_in("services.web.memory", r.stderr, "the error names the field")


if __name__ == "__main__":
    harness.main()
