#!/usr/bin/env python3
"""The `berth` CLI against a real berthd on the real stack: a private systemd manager, real podman
containers. What a person types, checked by what the node, systemd and curl say."""

import json
import os
import subprocess

import harness
from harness import check, check_equal, check_in, eventually, local_page

HTTPD = "localhost/berth-httpd:latest"


def berth(node_args, *args, timeout=120):
    argv = [os.path.join(harness.bin_dir(), "berth"), *node_args, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def start(cu):
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr)
    return mgr, node, ["--node", f"unix:{node.socket_path}"]


def test_install_ps_stop_rm_through_the_cli(cu):
    mgr, node, at = start(cu)
    cu.container("ctr-cli-web")
    r = berth(at, "install", HTTPD, "cli-web", "-p", "8080:0", "-e", "BERTH_PAGE=from the cli $HOME %n", "--start")
    check_equal(r.returncode, 0, "install exit status", stderr=r.stderr, log=node.log())

    r = berth(at, "ps", "--json")
    check_equal(r.returncode, 0, "ps exit status", stderr=r.stderr)
    listed = json.loads(r.stdout)
    text = json.dumps(listed)
    check_in("cli-web", text, "ps --json lists the container")
    r = berth(at, "ports", "cli-web", "--json")
    check_equal(r.returncode, 0, "ports exit status", stderr=r.stderr)
    ports = json.loads(r.stdout)
    port = next(p["external"] for p in ports["ports"] if p["internal"] == 8080)
    body = eventually(lambda: local_page(port), "the page", timeout=10)
    check_in("from the cli $HOME %n", body, "the environment value arrives as typed")
    check_equal(mgr.show("ctr-cli-web.service")["ActiveState"], "active", "systemctl show after install --start")

    r = berth(at, "ps")
    check_equal(r.returncode, 0, "ps exit status", stderr=r.stderr)
    check_in("cli-web", r.stdout, "the table names the container")
    check_in(f"{port}->8080", r.stdout, "the table shows the port")

    r = berth(at, "stop", "--wait", "cli-web")
    check_equal(r.returncode, 0, "stop exit status", stderr=r.stderr)
    check_equal(mgr.show("ctr-cli-web.service")["ActiveState"], "inactive", "systemctl show after stop")
    check(local_page(port) is None, "the port refuses after stop")
    r = berth(at, "ps")
    check("cli-web" not in r.stdout, "ps hides inactive containers", stdout=r.stdout)
    r = berth(at, "ps", "--all")
    check_in("cli-web", r.stdout, "ps --all shows it")

    r = berth(at, "start", "cli-web")
    check_equal(r.returncode, 0, "start exit status", stderr=r.stderr)
    eventually(lambda: local_page(port), "the page after start", timeout=10)

    r = berth(at, "rm", "cli-web")
    check_equal(r.returncode, 0, "rm exit status", stderr=r.stderr)
    r = berth(at, "ps", "--all", "--json")
    check("cli-web" not in r.stdout, "gone after rm", stdout=r.stdout)
    check(not os.path.exists(os.path.join(node.state_dir, "containers", "cli-web")), "its files are gone")


def test_errors_and_exit_codes(cu):
    mgr, node, at = start(cu)
    r = berth(at, "start", "nothing-here")
    check_equal(r.returncode, 1, "a failed call exits 1", stderr=r.stderr)
    check_in("not_found", r.stderr, "the node's error kind is shown")
    r = berth(at, "install", HTTPD, "../escape")
    check_equal(r.returncode in (1, 64), True, "an invalid id is refused", code=r.returncode, stderr=r.stderr)
    check(os.listdir(os.path.join(node.state_dir, "containers")) == [], "nothing was written")
    r = berth(at, "install", "-bad image", "x1")
    check(r.returncode != 0, "a hostile image is refused", stderr=r.stderr)
    r = berth(["--node", "unix:/nonexistent/berthd.sock"], "ping")
    check_equal(r.returncode, 2, "an unreachable node exits 2", stderr=r.stderr)
    r = berth(at, "install")
    check_equal(r.returncode, 64, "a usage error exits 64", stderr=r.stderr)
    check_in("USAGE", r.stderr.upper(), "the usage line is printed")


def test_fan_out_with_one_node_down(cu):
    mgr, node, at = start(cu)
    r = berth(at + ["--node", "unix:/nonexistent/dead.sock"], "ps", "--all")
    check_equal(r.returncode, 1, "a dead node makes the run fail", stdout=r.stdout, stderr=r.stderr)
    check_in("dead.sock", r.stderr + r.stdout, "the dead node is named")
    r2 = berth(at + ["--node", "unix:/nonexistent/dead.sock"], "ping")
    check_equal(r2.returncode, 1, "ping across nodes fails when one is down", stderr=r2.stderr)
    check_in("pong", r2.stdout + r2.stderr, "the live node still answers")


def test_text_output_names_nodes_as_the_user_did(cu):
    """Tables (ps, events) show an alias as the alias and an address as typed (here a second path to
    the same socket), never the address an alias resolves to; JSON keeps the addresses."""
    mgr, node, at = start(cu)
    directory = cu.tempdir()
    link = os.path.join(directory, "same.sock")
    os.symlink(node.socket_path, link)
    config = os.path.join(directory, "nodes")
    with open(config, "w") as f:
        f.write(f"h1 = unix:{node.socket_path}\n")
    env = dict(os.environ, BERTH_CONFIG=config)
    env.pop("BERTH_NODE", None)

    def named(*args):
        argv = [os.path.join(harness.bin_dir(), "berth"), *args, "--node", "h1", "--node", f"unix:{link}"]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)

    cu.container("ctr-cli-named")
    r = berth(at, "install", HTTPD, "cli-named", "-p", "8080:0")
    check_equal(r.returncode, 0, "install exit status", stderr=r.stderr, log=node.log())
    cu.push("berth rm cli-named", berth, at, "rm", "cli-named")
    r = named("ps", "--all")
    check_equal(r.returncode, 0, "ps over both names", stderr=r.stderr)
    lines = r.stdout.splitlines()
    check_equal(lines[0].split()[-1], "NODE", "several nodes: a NODE column", stdout=r.stdout)
    check_equal(sorted(line.split()[-1] for line in lines[1:]), sorted(["h1", f"unix:{link}"]),
                "each row names its node as given", stdout=r.stdout)
    check(f"unix:{node.socket_path}" not in r.stdout, "the alias's address is not shown", stdout=r.stdout)
    r = named("ports", "cli-named")
    check_equal(r.returncode, 0, "ports over both names", stderr=r.stderr)
    rows = [line.split() for line in r.stdout.splitlines() if line.startswith("8080")]
    check_equal(sorted(row[-1] for row in rows), sorted(["h1", f"unix:{link}"]), "ports names each node as given",
                stdout=r.stdout)
    r = named("events")
    check_equal(r.returncode, 0, "events over both names", stderr=r.stderr)
    check_equal(sorted({line.split()[1] for line in r.stdout.splitlines()}), sorted(["h1", f"unix:{link}"]),
                "each event line names its node as given", stdout=r.stdout)
    r = named("ps", "--all", "--json")
    check_equal(sorted(item["node"] for item in json.loads(r.stdout)), sorted([f"unix:{node.socket_path}", f"unix:{link}"]),
                "JSON names the addresses", stdout=r.stdout)


if __name__ == "__main__":
    harness.main()
