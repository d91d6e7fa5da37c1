#!/usr/bin/env python3
"""Links served by berthd, on the real stack: Scripts/cluster hosts (network namespaces with their
own private systemd manager and berthd), real podman containers, requests made from INSIDE the
client container (`podman exec`, run in the host's namespace as berthd's podman is).

- a client container on h1 linked as 127.0.0.1:8080 to h2's backend reaches h2's page; the link
  changed live to h3's backend reaches h3's page without restarting the client (same PID); after
  container.restart and after systemd's own restart (systemctl, not berthd) the link still works;
  container.delete empties our chains in its namespace (kept alive by a sleeper for the check);
  after kill -9 of the node and a restart, the links are still stored and served.
- IPv6 links are applied (ip6tables) by the start hook and live, and removed. On podman's default
  network containers have no IPv6; on a dual-stack network (install's `network`) a request from
  inside h1's container to the link's IPv6 address returns h2's page, then h3's after a live change.
- hostile links are refused (invalid_params) with nothing stored and nothing applied; a link whose
  name does not resolve fails a start (link_failed, with the reason) and a live set (link_failed,
  previous links and rules kept).

Root only; needs berthd built (BERTH_BIN_DIR or the SwiftPM bin path), Scripts/image's images."""

import os
import signal
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually

CLUSTER = os.path.join(harness.ROOT, "Scripts", "cluster")
HTTPD = "localhost/berth-httpd:latest"
BUSYBOX = "localhost/busybox:latest"


def run(argv, check_ok=True, timeout=60, **kw):
    return harness.run(argv, check_ok=check_ok, timeout=timeout, **kw)


class Cluster:
    """Scripts/cluster up N with the real berthd; `down` is on the cleanup stack."""

    def __init__(self, cu, count):
        berthd = os.path.join(harness.bin_dir(), "berthd")
        check(os.access(berthd, os.X_OK), f"berthd not built at {berthd}")
        self.state = cu.tempdir("berth-lkc-")
        self.env = dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF)
        cu.push("cluster down", lambda: run([CLUSTER, "down", "--state", self.state], False, 120, env=self.env))
        run([CLUSTER, "up", str(count), "--state", self.state, "--berthd", berthd, "--require-berthd"],
            timeout=120, env=self.env)
        self.vars = {}
        with open(os.path.join(self.state, "cluster.env")) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    key, value = line.rstrip("\n").split("=", 1)
                    self.vars[key] = value
        self.cu = cu

    def var(self, host, name):
        return self.vars[f"BERTH_CLUSTER_{host}_{name}"]

    def rpc(self, host):
        client = harness.RpcClient.unix(self.var(host, "SOCKET"), timeout=120)
        self.cu.push(f"close rpc to {host}", client.close)
        return client

    def podman(self, host, *args, check_ok=True):
        return run(["nsenter", f"--net=/run/netns/{self.var(host, 'NS')}", "--", "podman", *args],
                   check_ok=check_ok, env=self.env)

    def systemctl(self, host, *args):
        env = dict(self.env, XDG_RUNTIME_DIR=self.var(host, "XDG"))
        return run(["systemctl", "--user", *args], env=env)


    def kill9_and_restart_node(self, host):
        """kill -9 HOST's berthd, then start the same command line in the same namespace and
        environment (stopped by PID by the cleanup stack, before `cluster down`)."""
        with open(os.path.join(self.state, "resources")) as f:
            pid = next(int(w[1]) for w in (line.split() for line in f)
                       if w[0] == "berthd" and w[2].rstrip("/").endswith("/" + host))
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = dict(kv.decode().split("=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        check("berthd" in argv[0], f"pid {pid} is berthd: {argv}")
        os.kill(pid, signal.SIGKILL)
        eventually(lambda: not os.path.exists(f"/proc/{pid}"), "the killed berthd is gone")
        log = open(os.path.join(self.state, host, "berthd-restarted.log"), "w")
        self.cu.push("close log", log.close)
        proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{self.var(host, 'NS')}", "--", *argv], env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.cu.process(proc, f"restarted berthd of {host}")

        def answers():
            try:
                client = harness.RpcClient.unix(self.var(host, "SOCKET"), timeout=5)
            except OSError:
                return False
            try:
                client.call("node.ping")
                return True
            except Exception:
                return False
            finally:
                client.close()
        eventually(answers, f"the restarted berthd of {host} answers", timeout=30)
        return self.rpc(host)


def container_pid(cluster, host, name):
    return int(cluster.podman(host, "inspect", "--type", "container", "--format", "{{.State.Pid}}", name).stdout.strip())


def fetch(cluster, host, name, port=8080, address="127.0.0.1"):
    """What ADDRESS:PORT answers from inside container NAME (busybox nc; its wget segfaults)."""
    done = cluster.podman(host, "exec", name, "sh", "-c",
                          f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc {address} {port}", check_ok=False)
    return done.stdout


def nat_rules(pid, program="iptables"):
    """Our rules in the namespace of PID: the -A lines of the BERTH-* chains."""
    out = run(["nsenter", "--target", str(pid), "--net", "--", program, "-t", "nat", "-S"]).stdout
    return [line for line in out.splitlines() if line.startswith("-A BERTH-")]


def backend(cluster, host, page, network=None):
    rpc = cluster.rpc(host)
    cid = harness.unique_name(f"lkc-{host}")
    cluster.cu.container(f"ctr-{cid}")
    params = {"id": cid, "image": HTTPD, "ports": [{"internal": 8080, "external": 0}],
              "environment": [{"name": "BERTH_PAGE", "value": page}], "start": True}
    if network:
        params["network"] = network
    status = rpc.call("container.install", params)
    check_equal(status["state"], "active", f"backend on {host}")
    return status["ports"][0]["external"]


def client(cluster, host, links, network=None):
    rpc = cluster.rpc(host)
    cid = harness.unique_name(f"lkc-{host}-client")
    cluster.cu.container(f"ctr-{cid}")
    params = {"id": cid, "image": BUSYBOX, "command": ["sleep", "100000"], "links": links, "start": True}
    if network:
        params["network"] = network
    status = rpc.call("container.install", params)
    check_equal(status["state"], "active", "client started with its links")
    return rpc, cid, f"ctr-{cid}"


def test_link_follows_live_change_restart_and_delete(cu):
    cluster = Cluster(cu, 3)
    port2 = backend(cluster, "h2", "page-of-h2")
    port3 = backend(cluster, "h3", "page-of-h3")
    to_h2 = {"fromHost": "127.0.0.1", "fromPort": 8080, "toHost": cluster.var("h2", "ADDR"), "toPort": port2}
    to_h3 = {"fromHost": "127.0.0.1", "fromPort": 8080, "toHost": cluster.var("h3", "ADDR"), "toPort": port3}
    rpc, cid, name = client(cluster, "h1", [{"fromPort": 8080, "toHost": to_h2["toHost"], "toPort": port2}])

    check_equal(rpc.call("container.links.get", {"id": cid}), {"id": cid, "links": [to_h2]}, "links.get")
    check_equal(rpc.call("container.status", {"id": cid})["links"], [to_h2], "status shows the links")
    # The hook ran before the unit counted as started: the first request already goes through.
    check_in("page-of-h2", fetch(cluster, "h1", name), "h1's container reaches h2 through 127.0.0.1:8080")
    pid = container_pid(cluster, "h1", name)
    main_pid = rpc.call("container.status", {"id": cid})["mainPID"]

    check_equal(rpc.call("container.links.set", {"id": cid, "links": [to_h3]}), {"id": cid, "links": [to_h3]}, "links.set")
    check_in("page-of-h3", fetch(cluster, "h1", name), "after the live change the next request reaches h3")
    check_equal(container_pid(cluster, "h1", name), pid, "the container was not restarted by the change")
    check_equal(rpc.call("container.status", {"id": cid})["mainPID"], main_pid, "the unit was not restarted")
    rules = nat_rules(pid)
    check(any(f"--to-destination {to_h3['toHost']}:{port3}" in r for r in rules), f"DNAT to h3 in the namespace: {rules}")
    check(not any(to_h2["toHost"] in r for r in rules), f"nothing of the old link is left: {rules}")

    # kill -9 the node and start it again: the links are read back from disk and still served.
    rpc = cluster.kill9_and_restart_node("h1")
    check_equal(rpc.call("container.links.get", {"id": cid}), {"id": cid, "links": [to_h3]}, "links after kill -9 and restart")
    check_in("page-of-h3", fetch(cluster, "h1", name), "the link still works after the node's restart")
    check_equal(container_pid(cluster, "h1", name), pid, "a node restart leaves the container running")

    rpc.call("container.restart", {"id": cid})
    pid2 = container_pid(cluster, "h1", name)
    check(pid2 != pid, "container.restart made a new container")
    check_in("page-of-h3", fetch(cluster, "h1", name), "the link works after container.restart")

    # systemd restarting the unit by itself (no berthd involved) runs the hook too.
    cluster.systemctl("h1", "restart", f"{name}.service")
    pid3 = container_pid(cluster, "h1", name)
    check(pid3 not in (pid, pid2), "systemctl restart made a new container")
    check_in("page-of-h3", fetch(cluster, "h1", name), "the link works after systemd's own restart")

    # Delete: keep the namespace alive with a sleeper to see that our rules were emptied first.
    sleeper = subprocess.Popen(["nsenter", "--target", str(pid3), "--net", "--", "sleep", "600"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cu.process(sleeper, "namespace keeper")
    eventually(lambda: os.readlink(f"/proc/{sleeper.pid}/ns/net") == os.readlink(f"/proc/{pid3}/ns/net"),
               "the sleeper is in the container's namespace")
    check(nat_rules(sleeper.pid), "rules present before delete")
    check_equal(rpc.call("container.delete", {"id": cid}), {"done": True}, "delete")
    left = [r for r in nat_rules(sleeper.pid) if "DNAT" in r or "MASQUERADE" in r]
    check_equal(left, [], "no link rule is left in the deleted container's namespace")
    error = rpc.call_error("container.links.get", {"id": cid})
    check_equal(error and error.kind, "not_found", "links of a deleted container")
    check(not os.path.exists(os.path.join(cluster.var("h1", "SOCKET").rsplit("/", 1)[0], "state", "containers", cid)),
          "the container's state (links.json included) is gone")


def test_ipv6_hostile_and_failing_links(cu):
    cluster = Cluster(cu, 2)
    h2 = cluster.var("h2", "ADDR")
    good = {"fromHost": "127.0.0.1", "fromPort": 8080, "toHost": h2, "toPort": 9000}
    v6 = {"fromHost": "fd00:b::1", "fromPort": 8080, "toHost": cluster.var("h2", "ADDR6"), "toPort": 9000}
    rpc, cid, name = client(cluster, "h1", [good, v6])
    pid = container_pid(cluster, "h1", name)
    v6_rules = nat_rules(pid, "ip6tables")
    check(any(f"--to-destination [{v6['toHost']}]:9000" in r for r in v6_rules), f"v6 DNAT applied at start: {v6_rules}")
    v4_before, links_before = nat_rules(pid), rpc.call("container.links.get", {"id": cid})

    hostile_hosts = ["1.2.3.4 -j ACCEPT", "evil\n-A OUTPUT -j DROP", "$(reboot)", "`id`", "a;b", "a|b", "-F",
                     "--to-destination", "h2 h3", "'x'", "\"x\"", "a\tb", "*", "../../etc", "[::1]", "1.2.3.4/0"]
    for host in hostile_hosts:
        for field in ("toHost", "fromHost"):
            link = dict(good, **{field: host})
            error = rpc.call_error("container.links.set", {"id": cid, "links": [link]})
            check_equal(error and error.kind, "invalid_params", f"links.set with {field} {host!r}")
            check("link" in (error.message or ""), f"the error names the link: {error.message!r}")
            other = harness.unique_name("lkc-hostile")
            error = rpc.call_error("container.install", {"id": other, "image": BUSYBOX, "links": [link], "start": True})
            check_equal(error and error.kind, "invalid_params", f"install with {field} {host!r}")
    check_equal(rpc.call("container.links.get", {"id": cid}), links_before, "hostile sets stored nothing")
    check_equal(nat_rules(pid), v4_before, "hostile sets applied nothing (v4)")
    check_equal(nat_rules(pid, "ip6tables"), v6_rules, "hostile sets applied nothing (v6)")
    check_equal([c["id"] for c in rpc.call("container.list", {})["containers"]], [cid], "no hostile install exists")

    # A name that does not resolve: refused live with link_failed, previous links and rules kept.
    missing = dict(good, toHost="no-such-host.invalid")
    error = rpc.call_error("container.links.set", {"id": cid, "links": [missing]})
    check_equal(error and error.kind, "link_failed", "an unresolvable target on a running container")
    check_in("no-such-host.invalid", error.message, "the error names the host")
    check_equal(rpc.call("container.links.get", {"id": cid}), links_before, "a failed live set keeps the links")
    check_equal(nat_rules(pid), v4_before, "a failed live set keeps the rules")

    # Removing the v6 link live empties the v6 chain; stopped, the link is stored; the start fails
    # in its hook and says why.
    rpc.call("container.links.set", {"id": cid, "links": [good]})
    check_equal(nat_rules(pid, "ip6tables"), [r for r in v6_rules if "DNAT" not in r and "MASQUERADE" not in r],
                "the v6 link is gone from ip6tables")
    rpc.call("container.stop", {"id": cid})
    check_equal(rpc.call("container.links.set", {"id": cid, "links": [missing]})["links"], [missing],
                "a stopped container stores a link that is resolved at its start")
    error = rpc.call_error("container.start", {"id": cid})
    check_equal(error and error.kind, "link_failed", "a start whose links hook fails")
    check_in("no-such-host.invalid", error.message, "the start failure says which host")
    rpc.call("container.links.set", {"id": cid, "links": [good, v6]})
    check_equal(rpc.call("container.start", {"id": cid})["state"], "active", "fixed links, the start succeeds")
    pid = container_pid(cluster, "h1", name)
    check(any(v6["toHost"] in r for r in nat_rules(pid, "ip6tables")), "v6 re-applied by the hook after the start")


def test_ipv6_end_to_end_through_containers(cu):
    """IPv6 traffic through a link, container to container across hosts: both on a dual-stack podman
    network (`network` on install), the backend's port published on h2's IPv6 address too; from
    inside h1's client, a request to the link's IPv6 address returns h2's page; changed live to a
    second backend on h3, the next request returns h3's page; after container.restart too; delete
    empties the v6 chains (the namespace held open by a sleeper). Addresses: the hosts' 2001:2::N
    (RFC 5180, as 198.18/15), the containers' subnets inside each host's own namespace."""
    cluster = Cluster(cu, 3)
    network = harness.unique_name("berth-dual")
    run(["podman", "network", "create", "--ipv6", "--subnet", "198.19.77.0/24", "--subnet", "2001:2:0:77::/64",
         network], env=cluster.env)
    cu.push(f"podman network rm {network}", lambda: run(["podman", "network", "rm", "-f", network], False, env=cluster.env))
    port2 = backend(cluster, "h2", "v6-page-of-h2", network=network)
    port3 = backend(cluster, "h3", "v6-page-of-h3", network=network)
    front = "2001:2:0:ff::80"
    to_h2 = {"fromHost": front, "fromPort": 8080, "toHost": cluster.var("h2", "ADDR6"), "toPort": port2}
    to_h3 = {"fromHost": front, "fromPort": 8080, "toHost": cluster.var("h3", "ADDR6"), "toPort": port3}
    rpc, cid, name = client(cluster, "h1", [to_h2], network=network)
    addresses = cluster.podman("h1", "inspect", "--type", "container", "--format",
                               "{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}} {{end}}", name).stdout
    check_in("2001:2:0:77:", addresses, "the client has an address of the dual-stack network")
    pid = container_pid(cluster, "h1", name)
    check(any(f"--to-destination [{to_h2['toHost']}]:{port2}" in r for r in nat_rules(pid, "ip6tables")),
          "the v6 link is in the client's ip6tables")
    check_in("v6-page-of-h2", fetch(cluster, "h1", name, address=front), "h1's container reaches h2 over IPv6 through the link")
    rpc.call("container.links.set", {"id": cid, "links": [to_h3]})
    check_in("v6-page-of-h3", fetch(cluster, "h1", name, address=front), "the live change reaches h3 over IPv6")
    check_equal(container_pid(cluster, "h1", name), pid, "the same container (not restarted)")
    rpc.call("container.restart", {"id": cid})
    pid2 = container_pid(cluster, "h1", name)
    check(pid2 != pid, "container.restart made a new container")
    check_in("v6-page-of-h3", fetch(cluster, "h1", name, address=front), "the v6 link works after container.restart")
    # Delete: a sleeper keeps the namespace alive to see that the v6 rules were emptied first.
    sleeper = subprocess.Popen(["nsenter", "--target", str(pid2), "--net", "--", "sleep", "600"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cu.process(sleeper, "namespace keeper")
    eventually(lambda: os.readlink(f"/proc/{sleeper.pid}/ns/net") == os.readlink(f"/proc/{pid2}/ns/net"),
               "the sleeper is in the container's namespace")
    check(any("DNAT" in r for r in nat_rules(sleeper.pid, "ip6tables")), "v6 rules present before delete")
    check_equal(rpc.call("container.delete", {"id": cid}), {"done": True}, "delete")
    left = [r for r in nat_rules(sleeper.pid, "ip6tables") if "DNAT" in r or "MASQUERADE" in r]
    check_equal(left, [], "no v6 link rule is left in the deleted container's namespace")
    # A network name that would put the container in the node's own namespace is refused.
    error = rpc.call_error("container.install", {"id": harness.unique_name("lkc-host"), "image": BUSYBOX, "network": "host"})
    check_equal(error and error.kind, "invalid_params", "network host refused")


if __name__ == "__main__":
    harness.main()
