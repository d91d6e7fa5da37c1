#!/usr/bin/env python3
"""Links on the real stack: the node's LinkApplier (through Tests/Tools/berth-linktool) writes the
iptables rules of a link into a client's network namespace, and a request from inside that namespace
to the link's from address reaches a backend in another namespace through the OUTPUT DNAT.

Hosts are two network namespaces joined by a veth pair, addressed from 198.18.0.0/15 and the IPv6
benchmarking prefix 2001:2::/48. Backends are busybox httpd processes in hB. Everything is stopped by
PID or name by each test's cleanup stack."""

import os
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually

V4_A, V4_B = "198.18.0.1", "198.18.0.2"
V6_A, V6_B = "2001:2::1", "2001:2::2"


def linktool():
    path = os.path.join(harness.bin_dir(), "berth-linktool")
    check(os.access(path, os.X_OK), f"berth-linktool not built at {path} (swift build --product berth-linktool)")
    return path


run = harness.run


class Hosts:
    """hA and hB: two namespaces with a veth pair, v4 and v6 addresses, loopback up."""

    def __init__(self, cu):
        self.a = harness.unique_name("berth-lk-a")
        self.b = harness.unique_name("berth-lk-b")
        for ns in (self.a, self.b):
            run(["ip", "netns", "add", ns])
            cu.netns(ns)
        run(["ip", "link", "add", "vA", "netns", self.a, "type", "veth", "peer", "name", "vB", "netns", self.b])
        for ns, dev, v4, v6 in ((self.a, "vA", V4_A, V6_A), (self.b, "vB", V4_B, V6_B)):
            run(["ip", "-n", ns, "addr", "add", f"{v4}/24", "dev", dev])
            run(["ip", "-n", ns, "addr", "add", f"{v6}/64", "dev", dev, "nodad"])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.cu = cu

    def backend(self, port, page):
        """busybox httpd in hB on PORT (all addresses) serving PAGE."""
        root = self.cu.tempdir("berth-lk-www-")
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write(page + "\n")
        proc = subprocess.Popen(["ip", "netns", "exec", self.b, "busybox", "httpd", "-f", "-p", str(port), "-h", root],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.cu.process(proc, f"httpd {page}")
        eventually(lambda: self.get_from(self.b, f"http://{V4_B}:{port}/") == page, f"backend {page} serves")
        return proc

    def client(self):
        """A process in hA whose namespace the links go into (like a container's PID)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.a, "sleep", "600"], stdin=subprocess.DEVNULL)
        self.cu.process(proc, "client sleep")
        own = os.readlink("/proc/self/ns/net")
        eventually(lambda: os.readlink(f"/proc/{proc.pid}/ns/net") != own, "client entered hA")
        return proc.pid

    @staticmethod
    def get_from(ns, url, timeout=3):
        done = run(["ip", "netns", "exec", ns, "curl", "-sS", "-g", "--max-time", str(timeout), url], check_ok=False)
        return done.stdout.strip() if done.returncode == 0 else None


def apply(pid, links, *extra):
    t0 = time.monotonic()
    done = run([linktool(), "apply", "--pid", str(pid), *extra, links], check_ok=False)
    return done, (time.monotonic() - t0) * 1000


def rules(pid, family):
    return run([linktool(), "rules", "--pid", str(pid), "--family", family]).stdout.splitlines()


def jumps(family):
    return [f"{family} -A PREROUTING -j BERTH-PRE", f"{family} -A OUTPUT -j BERTH-OUT",
            f"{family} -A POSTROUTING -j BERTH-POST"]


def check_link(hosts, pid, family, links, url, expected_page):
    done, ms = apply(pid, links)
    check_equal(done.returncode, 0, f"apply {links}", stderr=done.stderr)
    check_equal(Hosts.get_from(hosts.a, url), expected_page, f"{url} from inside hA after {links}")
    return ms


def exercise(cu, family, from_addr, to_addr, url):
    hosts = Hosts(cu)
    hosts.backend(9000, "backend-one")
    hosts.backend(9001, "backend-two")
    pid = hosts.client()
    check_equal(Hosts.get_from(hosts.a, url), None, "nothing answers before the link exists")
    bracket = (lambda a: f"[{a}]") if family == "ipv6" else (lambda a: a)
    one = f"{bracket(from_addr)}:8080:{bracket(to_addr)}:9000"
    two = f"{bracket(from_addr)}:8080:{bracket(to_addr)}:9001"

    ms_first = check_link(hosts, pid, family, one, url, "backend-one")
    first = rules(pid, family)
    check_equal(len(first), 6, f"{family} rules after one link", rules=first)
    ms_again = check_link(hosts, pid, family, one, url, "backend-one")
    check_equal(rules(pid, family), first, "re-applying leaves the rules unchanged")

    check_link(hosts, pid, family, two, url, "backend-two")
    changed = rules(pid, family)
    check_equal(len(changed), 6, "rule count after changing the link live", rules=changed)
    check(any(":9001" in r for r in changed) and not any(":9000" in r for r in changed), "the old target is gone",
          rules=changed)

    done, _ = apply(pid, "")
    check_equal(done.returncode, 0, "apply no links", stderr=done.stderr)
    check_equal(rules(pid, family), jumps(family), "only the jumps into our (empty) chains remain")
    check_equal(Hosts.get_from(hosts.a, url), None, "nothing answers after the link is removed")
    print(f"    {family}: first apply {ms_first:.0f} ms, re-apply {ms_again:.0f} ms (berth-linktool process, both families)")


def test_ipv4_link_through_output_dnat(cu):
    exercise(cu, "ipv4", "127.0.0.1", V4_B, "http://127.0.0.1:8080/")


def test_ipv6_link_from_a_non_loopback_address(cu):
    exercise(cu, "ipv6", V6_A, V6_B, f"http://[{V6_A}]:8080/")


def test_failures_are_errors_and_change_nothing(cu):
    hosts = Hosts(cu)
    pid = hosts.client()
    cases = {
        "[::1]:80:[2001:2::2]:80": "invalid_params",      # IPv6 has no route_localnet
        "8080:localhost:80": "invalid_params",             # loopback target, no host address configured
        "8080:1.2.3.4 -j ACCEPT:80": "invalid_params",     # hostile host text
        "8080:$(id):80": "invalid_params",
        "8080:nonexistent.invalid:80": "link_failed",      # does not resolve
    }
    for links, kind in cases.items():
        done, _ = apply(pid, links)
        check_equal(done.returncode, 1, f"apply {links!r} fails", stdout=done.stdout, stderr=done.stderr)
        check_in(f"error: {kind}:", done.stderr, f"error kind of {links!r}")
    check_equal(rules(pid, "ipv4") + rules(pid, "ipv6"), [], "nothing was applied")
    done, _ = apply(os.getpid(), f"8080:{V4_B}:9000")
    check_equal(done.returncode, 1, "applying to the node's own namespace is refused")
    check_in("node's own network namespace", done.stderr, "reason")


def test_loopback_target_means_the_host_address(cu):
    hosts = Hosts(cu)
    hosts.backend(9000, "the-host")
    pid = hosts.client()
    # hB plays the node's host here: its address on the client's network stands for "localhost".
    done, _ = apply(pid, "8080:localhost:9000", "--host4", V4_B)
    check_equal(done.returncode, 0, "apply a localhost link", stderr=done.stderr)
    check_in(f"-> {V4_B}:9000", done.stdout, "the target became the host address")
    check_equal(Hosts.get_from(hosts.a, "http://127.0.0.1:8080/"), "the-host", "reached the host")


def test_link_inside_a_podman_container(cu):
    """A real container: its PID comes from `podman inspect` (ContainerProcessLookup), the rules go
    into its namespace, and a client inside it (busybox nc) reaches hB's backend. The container
    joins hA's namespace (`--network ns:`), so its traffic stays on the test's own veth pair."""
    hosts = Hosts(cu)
    hosts.backend(9000, "backend-one")
    hosts.backend(9001, "backend-two")
    name = harness.unique_name("berth-lk-ctr")
    cu.container(name)
    harness.podman("run", "-d", "--name", name, "--network", f"ns:/run/netns/{hosts.a}",
                   "localhost/busybox:latest", "sleep", "600")
    env = dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF)
    pid = int(run([linktool(), "pid", "--runtime", "podman", name], env=env).stdout.strip())
    check_equal(pid, int(harness.podman("inspect", "-f", "{{.State.Pid}}", name)), "the container's PID")

    def get():
        out = harness.podman("exec", name, "sh", "-c",
                             "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 8080", check=False)
        return out.splitlines()[-1].strip() if out else None

    check_equal(get(), None, "nothing answers inside the container before the link")
    done, _ = apply(pid, f"8080:{V4_B}:9000")
    check_equal(done.returncode, 0, "apply to the container", stderr=done.stderr)
    check_equal(get(), "backend-one", "request from inside the container")
    done, _ = apply(pid, f"8080:{V4_B}:9001")
    check_equal(done.returncode, 0, "change the link live", stderr=done.stderr)
    check_equal(get(), "backend-two", "request after the live change, same container")
    done, _ = apply(pid, "")
    check_equal(rules(pid, "ipv4"), jumps("ipv4"), "rules gone after removal")
    check_equal(get(), None, "nothing answers after removal")
    harness.podman("stop", "-t", "0", name)
    done = run([linktool(), "pid", "--runtime", "podman", name], check_ok=False, env=env)
    check_equal(done.returncode, 1, "a stopped container has no PID to link")
    check_in("not running", done.stderr, "reason")


def test_docker_pid_lookup_through_podmans_api(cu):
    """The docker runtime's lookup (`docker inspect`) against podman's API socket, as a docker node
    would see it; the PID it finds is the one podman reports, and links apply there."""
    hosts = Hosts(cu)
    hosts.backend(9000, "backend-one")
    sock = os.path.join(cu.tempdir("berth-lk-dk-"), "podman.sock")
    env = dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF)
    service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cu.process(service, "podman system service")
    eventually(lambda: os.path.exists(sock), "podman API socket")
    name = harness.unique_name("berth-lk-dk")
    cu.container(name)
    harness.podman("run", "-d", "--name", name, "--network", f"ns:/run/netns/{hosts.a}",
                   "localhost/busybox:latest", "sleep", "600")
    docker_env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
    pid = int(run([linktool(), "pid", "--runtime", "docker", name], env=docker_env).stdout.strip())
    check_equal(pid, int(harness.podman("inspect", "-f", "{{.State.Pid}}", name)), "docker's PID is podman's")
    done = run([linktool(), "pid", "--runtime", "docker", name + "-missing"], check_ok=False, env=docker_env)
    check_equal(done.returncode, 1, "a missing container is an error")
    check_in("no such container", done.stderr, "the runtime's stderr is carried")
    done, _ = apply(pid, f"8080:{V4_B}:9000")
    check_equal(done.returncode, 0, "apply", stderr=done.stderr)
    check_equal(Hosts.get_from(hosts.a, "http://127.0.0.1:8080/"), "backend-one", "the link works in hA")


def test_link_across_cluster_hosts(cu):
    """The issue's shape without berthd: Scripts/cluster hosts h1 and h2; a podman container started
    inside h1 (podman's own bridge network in h1's namespace) is linked 127.0.0.1:8080 -> h2's backend,
    the request from inside it returns h2's page; changed live to h3's backend it returns h3's."""
    state = os.path.join(cu.tempdir("berth-lk-cl-"), "state")
    script = os.path.join(harness.ROOT, "Scripts", "cluster")
    cu.push("cluster down", run, [script, "down", "--state", state], False)
    run([script, "up", "3", "--state", state, "--no-berthd"], timeout=120)
    env_file = {}
    with open(os.path.join(state, "cluster.env")) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                env_file[key] = value.strip('"')
    pages = {}
    for h in ("h2", "h3"):
        ns = env_file[f"BERTH_CLUSTER_{h}_NS"]
        root = cu.tempdir("berth-lk-www-")
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write(f"page-of-{h}\n")
        proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", "busybox", "httpd", "-f", "-p", "9000", "-h", root],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cu.process(proc, f"httpd in {h}")
        pages[h] = env_file[f"BERTH_CLUSTER_{h}_ADDR"]
    name = harness.unique_name("berth-lk-cl")
    env = dict(os.environ, CONTAINERS_CONF=harness.CONTAINERS_CONF)
    h1 = env_file["BERTH_CLUSTER_h1_NS"]
    cu.container(name)  # podman rm works from any namespace
    run(["nsenter", f"--net=/run/netns/{h1}", "podman", "run", "-d", "--name", name, "localhost/busybox:latest", "sleep", "600"],
        env=env, timeout=60)
    pid = int(run([linktool(), "pid", name], env=env).stdout.strip())
    check(os.stat(f"/proc/{pid}/ns/net").st_ino != os.stat(f"/run/netns/{h1}").st_ino, "the container has its own namespace inside h1")

    def get():
        out = harness.podman("exec", name, "sh", "-c",
                             "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 8080", check=False)
        return out.splitlines()[-1].strip() if out else None

    for h in ("h2", "h3"):
        done, ms = apply(pid, f"8080:{pages[h]}:9000")
        check_equal(done.returncode, 0, f"link to {h}", stderr=done.stderr)
        check_equal(get(), f"page-of-{h}", f"request from h1's container after linking to {h}")
    done, _ = apply(pid, "")
    check_equal(get(), None, "nothing answers after removal")


if __name__ == "__main__":
    harness.main()
