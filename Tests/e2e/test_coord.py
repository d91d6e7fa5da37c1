#!/usr/bin/env python3
"""The coordinator in `berth` against real nodes: fan-out over Scripts/cluster hosts with one node
stopped, `berth --node ssh://...` through a real sshd on loopback, and `berth deploy` of a two-tier
app across three cluster hosts (plan, deploy, redeploy with one more instance and a changed link)."""

import json
import os
import shutil
import signal
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually

HTTPD = "localhost/berth-httpd:latest"
ROOT = harness.ROOT


def berth(args, env=None, netns=None, timeout=180):
    argv = [os.path.join(harness.bin_dir(), "berth"), *args]
    if netns:
        argv = ["nsenter", f"--net=/run/netns/{netns}", "--", *argv]
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=full)


class Cluster:
    """Scripts/cluster up N with the built berthd; `down` is on the cleanup stack."""

    def __init__(self, cu, count):
        self.state = os.path.join(cu.tempdir("berth-e2e-cl-"), "state")
        cu.push("cluster down", subprocess.run, [os.path.join(ROOT, "Scripts", "cluster"), "down", "--state", self.state])
        berthd = os.path.join(harness.bin_dir(), "berthd")
        done = subprocess.run([os.path.join(ROOT, "Scripts", "cluster"), "up", str(count), "--state", self.state,
                               "--berthd", berthd, "--require-berthd"], capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        check_equal(done.returncode, 0, "cluster up", stderr=done.stderr, stdout=done.stdout)
        self.env = {}
        with open(os.path.join(self.state, "cluster.env")) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    key, value = line.rstrip("\n").split("=", 1)
                    self.env[key] = value.strip('"')
        self.hosts = self.env["BERTH_CLUSTER_HOSTS"].split()
        self.secret = self.env["BERTH_CLUSTER_SECRET"]
        self.client_ns = self.env["BERTH_CLUSTER_CLIENT_NS"]

    def host(self, name, key):
        return self.env[f"BERTH_CLUSTER_{name}_{key}"]

    def berthd_pid(self, name):
        with open(os.path.join(self.state, "resources")) as f:
            for line in f:
                kind, *rest = line.split()
                if kind == "berthd" and rest[1].endswith("/" + name):
                    return int(rest[0])
        raise harness.TestFailure(f"no berthd of {name} in the resources file")

    def write_config(self, path, tcp):
        """An alias per host: tcp:// with the shared secret file, or the Unix socket with host=ADDR."""
        with open(path, "w") as f:
            f.write("# written by test_coord.py\n")
            for h in self.hosts:
                if tcp:
                    f.write(f"{h} = {self.host(h, 'TCP')} secret-file={self.secret}\n")
                else:
                    f.write(f"{h} = unix:{self.host(h, 'SOCKET')} host={self.host(h, 'ADDR')}\n")
        return path


def test_fan_out_with_one_cluster_node_stopped(cu):
    cluster = Cluster(cu, 3)
    config = cluster.write_config(os.path.join(cu.tempdir(), "nodes"), tcp=True)
    env = {"BERTH_CONFIG": config}
    for h in ("h1", "h3"):
        cu.container(f"ctr-coord-ps-{h}")
        r = berth(["install", HTTPD, f"{h}/coord-ps-{h}"], env=env, netns=cluster.client_ns)
        check_equal(r.returncode, 0, f"install on {h} through its alias", stderr=r.stderr)

    pid = cluster.berthd_pid("h2")
    os.kill(pid, signal.SIGTERM)
    eventually(lambda: not os.path.exists(f"/proc/{pid}"), "h2's berthd to exit", timeout=10)

    r = berth(["ps", "--all", "--node", "h1", "--node", "h2", "--node", "h3"], env=env, netns=cluster.client_ns)
    check_equal(r.returncode, 1, "one dead node makes the run fail", stdout=r.stdout, stderr=r.stderr)
    check_in("coord-ps-h1", r.stdout, "h1's containers print")
    check_in("coord-ps-h3", r.stdout, "h3's containers print")
    check_in(cluster.host("h2", "TCP"), r.stderr, "the dead node's error names it")
    check_equal(len(r.stderr.splitlines()), 1, "only h2 is blamed", stderr=r.stderr)
    lines = r.stdout.splitlines()
    check_equal(lines[0].split()[-1], "NODE", "the merged table has a NODE column", stdout=r.stdout)
    h1_rows = [line for line in lines if "coord-ps-h1" in line]
    check_equal(len(h1_rows), 1, "h1's container is one row", stdout=r.stdout)
    # The table names the node as the user did (the alias), not the address it resolves to.
    check_equal(h1_rows[0].split()[-1], "h1", "its row names h1", stdout=r.stdout)

    r = berth(["ps", "--all", "--json", "--node", "h1", "--node", "h2", "--node", "h3"], env=env, netns=cluster.client_ns)
    check_equal(r.returncode, 1, "--json exit status", stderr=r.stderr)
    items = json.loads(r.stdout)
    check_equal([i["node"] for i in items], [cluster.host(h, "TCP") for h in cluster.hosts], "one item per node, in order")
    check_equal(items[1]["error"]["kind"], "client.unreachable", "h2's error kind")
    check("result" in items[0] and "result" in items[2], "h1 and h3 answered", items=items)

    r = berth(["ping", "--node", "h2"], env=env, netns=cluster.client_ns)
    check_equal(r.returncode, 2, "the dead node alone: unreachable", stderr=r.stderr)


def test_ssh_node_lists_containers(cu):
    if shutil.which("sshd") is None and not os.path.exists("/usr/sbin/sshd"):
        raise harness.TestFailure("sshd is not installed (apt package openssh-server; Scripts/bootstrap installs it)")
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr)
    cu.container("ctr-coord-ssh")
    r = berth(["install", HTTPD, "coord-ssh", "--node", f"unix:{node.socket_path}"])
    check_equal(r.returncode, 0, "install", stderr=r.stderr)

    tmp = cu.tempdir("berth-e2e-ssh-")
    os.chmod(tmp, 0o700)
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, key)], check=True,
                       stdin=subprocess.DEVNULL)
    shutil.copy(os.path.join(tmp, "user_key.pub"), os.path.join(tmp, "authorized_keys"))
    port = harness.free_tcp_port()
    # The remote side of an ssh:// node runs `berth bridge` from the session's PATH, against the
    # session's BERTH_NODE (or the default socket): sshd's SetEnv stands in for a host where berth
    # is installed and its node listens at the default path.
    with open(os.path.join(tmp, "sshd_config"), "w") as f:
        f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {tmp}/host_key
PidFile {tmp}/sshd.pid
AuthorizedKeysFile {tmp}/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
SetEnv PATH={harness.bin_dir()}:/usr/local/bin:/usr/bin:/bin BERTH_NODE=unix:{node.socket_path}
""")
    if not os.path.isdir("/run/sshd"):  # sshd's privilege separation directory
        os.makedirs("/run/sshd", mode=0o755)
        cu.push("remove /run/sshd", os.rmdir, "/run/sshd")
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", os.path.join(tmp, "sshd_config")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "sshd.log"), "w"))
    cu.process(sshd, "sshd")
    eventually(lambda: harness.tcp_listening(port), "sshd to listen", timeout=10)

    with open(os.path.join(tmp, "host_key.pub")) as f:
        host_key = " ".join(f.read().split()[:2])
    with open(os.path.join(tmp, "known_hosts"), "w") as f:
        f.write(f"[127.0.0.1]:{port} {host_key}\n")
    with open(os.path.join(tmp, "ssh_config"), "w") as f:
        f.write(f"""Host *
  IdentityFile {tmp}/user_key
  IdentitiesOnly yes
  UserKnownHostsFile {tmp}/known_hosts
  StrictHostKeyChecking yes
  LogLevel ERROR
""")
    # berth runs `ssh` from PATH; this one reads our config and keys instead of ~/.ssh.
    os.makedirs(os.path.join(tmp, "bin"))
    wrapper = os.path.join(tmp, "bin", "ssh")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec /usr/bin/ssh -F {tmp}/ssh_config "$@"\n')
    os.chmod(wrapper, 0o755)
    env = {"PATH": os.path.join(tmp, "bin") + ":" + os.environ.get("PATH", "/usr/bin:/bin")}

    address = f"ssh://root@127.0.0.1:{port}"
    r = berth(["--node", address, "ps", "--all"], env=env)
    check_equal(r.returncode, 0, "ps over ssh", stderr=r.stderr, sshd_log=harness.tail(os.path.join(tmp, "sshd.log")))
    check_in("coord-ssh", r.stdout, "the remote node's container is listed")
    r = berth(["--node", address, "status", "coord-ssh", "--json"], env=env)
    check_equal(r.returncode, 0, "status over ssh", stderr=r.stderr)
    check_equal(json.loads(r.stdout)["id"], "coord-ssh", "status result over ssh")

    r = berth(["--node", f"ssh://nobody-here@127.0.0.1:{port}", "ps"], env=env)
    check_equal(r.returncode, 2, "a refused ssh login is unreachable", stderr=r.stderr)
    check_in(f"ssh://nobody-here@127.0.0.1:{port}", r.stderr, "the error names the node")


def _descriptor(path, backends):
    with open(path, "w") as f:
        json.dump({
            "name": "e2e",
            "nodes": ["h1", "h2", "h3"],
            "services": {
                "backend": {"image": HTTPD, "count": backends, "nodes": ["h2", "h3"],
                            "ports": [{"internal": 8080, "external": 0}], "environment": {"BERTH_PAGE": "backend"}},
                "frontend": {"image": HTTPD, "count": 2, "nodes": ["h1"],
                             "links": [{"to": "backend", "port": 8080, "as": "127.0.0.1:9000"}]},
            },
        }, f)


def _page_from(container):
    """What a request from inside CONTAINER to 127.0.0.1:9000 (its link) returns, or None."""
    done = subprocess.run(["podman", "exec", container, "sh", "-c",
                           "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc 127.0.0.1 9000"],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF))
    return done.stdout if done.returncode == 0 and "berth-httpd" in done.stdout else None


def _inspect(container, fmt):
    return harness.podman("inspect", "--format", fmt, container)


def test_deploy_two_tier_then_redeploy(cu):
    cluster = Cluster(cu, 3)
    work = cu.tempdir()
    env = {"BERTH_CONFIG": cluster.write_config(os.path.join(work, "nodes"), tcp=False)}
    app = os.path.join(work, "app.json")
    for name in ("backend-1", "backend-2", "frontend-1", "frontend-2"):
        cu.container(f"ctr-e2e-{name}")
    _descriptor(app, backends=1)

    r = berth(["deploy", app, "--plan"], env=env)
    check_equal(r.returncode, 0, "first plan", stderr=r.stderr)
    check_equal(len(r.stdout.splitlines()), 3 + 2 + 3, "installs, links, starts", stdout=r.stdout)
    check(not os.path.exists(os.path.join(work, "app.state.json")), "--plan writes no state")

    r = berth(["deploy", app], env=env)
    check_equal(r.returncode, 0, "first deploy", stdout=r.stdout, stderr=r.stderr)
    for name in ("frontend-1", "frontend-2"):
        page = eventually(lambda: _page_from(f"ctr-e2e-{name}"), f"{name} reaches the backend", timeout=20)
        check_in(_inspect("ctr-e2e-backend-1", "{{.Config.Hostname}}"), page, f"{name} gets backend-1's page")
    r = berth(["deploy", app, "--plan"], env=env)
    check_equal(r.stdout, "no changes\n", "a redeploy of the same descriptor changes nothing")

    started = {n: _inspect(f"ctr-e2e-{n}", "{{.State.StartedAt}}") for n in ("backend-1", "frontend-1", "frontend-2")}
    _descriptor(app, backends=2)
    r = berth(["deploy", app, "--plan"], env=env)
    check_equal(r.returncode, 0, "second plan", stderr=r.stderr)
    check_equal(r.stdout.splitlines(), [
        "+ install e2e-backend-2 on h3: localhost/berth-httpd:latest ports 8080",
        "~ link e2e-frontend-2 on h1: 127.0.0.1:9000 -> e2e-backend-2:8080 (was 127.0.0.1:9000 -> e2e-backend-1:8080)",
        "> start e2e-backend-2 on h3",
    ], "the plan is exactly one more backend and frontend-2's link")

    r = berth(["deploy", app], env=env)
    check_equal(r.returncode, 0, "redeploy", stdout=r.stdout, stderr=r.stderr)
    backend2 = _inspect("ctr-e2e-backend-2", "{{.Config.Hostname}}")
    page = eventually(lambda: (p := _page_from("ctr-e2e-frontend-2")) and backend2 in p and p, "frontend-2 reaches backend-2", timeout=20)
    check_in(backend2, page, "frontend-2's link moved live to backend-2 on h3")
    page = _page_from("ctr-e2e-frontend-1")
    check(page is not None and _inspect("ctr-e2e-backend-1", "{{.Config.Hostname}}") in page, "frontend-1 still reaches backend-1", page=page)
    for name, when in started.items():
        check_equal(_inspect(f"ctr-e2e-{name}", "{{.State.StartedAt}}"), when, f"{name} was not restarted")
    r = berth(["deploy", app, "--plan"], env=env)
    check_equal(r.stdout, "no changes\n", "nothing left to do after the redeploy")

    # berth link by hand: frontend-1 (h1) to backend-2 (h3), replacing its link from 127.0.0.1:9000.
    r = berth(["link", "h1/e2e-frontend-1", "--to", "h3/e2e-backend-2:8080", "--as", "127.0.0.1:9000"], env=env)
    check_equal(r.returncode, 0, "berth link", stdout=r.stdout, stderr=r.stderr)
    check_in(f"-> {cluster.host('h3', 'ADDR')}:", r.stdout, "the link points at h3's address")
    page = eventually(lambda: (p := _page_from("ctr-e2e-frontend-1")) and backend2 in p and p, "frontend-1 reaches backend-2", timeout=20)
    check_in(backend2, page, "berth link moved frontend-1 live")
    r = berth(["link", "h1/e2e-frontend-1", "--to", "h3/e2e-backend-2:8081"], env=env)
    check_equal(r.returncode, 1, "a port the target does not publish", stderr=r.stderr)
    check_in("does not publish port 8081", r.stderr, "the error says why")


if __name__ == "__main__":
    harness.main()
