#!/usr/bin/env python3
"""`berth agent` (the connection-keeping agent) against real berthd nodes on loopback TCP with a
shared secret: output through the agent is byte-for-byte what `berth` prints without it, connections
are opened once and reused, a restarted node, a stopped node and a wrong secret read the same as
without the agent, `berth` falls back to direct connections when no agent answers, the agent's
socket hygiene (mode, a second agent, SIGTERM, a stale socket file, another uid), and hostile input
on its socket (with a JSON-RPC client of our own, python's socket module)."""

import json
import os
import signal
import socket
import stat
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually, raw_unix, read_until_closed

FALLBACK = "connecting to the nodes directly"
LINE_LIMIT = 16 << 20  # the agent's line limit (16 MiB)


# ---------------------------------------------------------------------------------------------
# Helpers


def berth(args, env=None, timeout=60):
    """Runs `berth ARGS...`; BERTH_AGENT is unset unless ENV sets it (so the caller's environment
    never routes a "direct" run through an agent)."""
    full = dict(os.environ)
    full.pop("BERTH_AGENT", None)
    full.update(env or {})
    return subprocess.run([os.path.join(harness.bin_dir(), "berth"), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=full)


def write_secret(directory, name, secret):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(secret + b"\n")
    os.chmod(path, 0o600)
    return path


class Cluster:
    """COUNT berthd nodes sharing one private systemd manager, each on a Unix socket and on
    tcp://127.0.0.1:PORT with the same secret file. Every node is stopped by its PID in the cleanup."""

    def __init__(self, cu, count=2):
        self.manager = harness.Manager.start_new(cu)
        self.dir = cu.tempdir("berth-agent-")
        self.secret = write_secret(self.dir, "secret", b"agent e2e shared secret 0123456789")
        self.nodes = []
        for i in range(count):
            port = harness.free_tcp_port()
            node = harness.Node(os.path.join(self.dir, f"node{i + 1}"), manager=self.manager,
                                extra_args=["--listen", f"tcp://127.0.0.1:{port}", "--secret-file", self.secret])
            node.port = port
            node.address = f"tcp://127.0.0.1:{port}"
            cu.push(f"stop berthd {node.address} in {node.dir}", node.stop)
            node.start()
            eventually(lambda: harness.tcp_listening(port), f"berthd to listen on {node.address}", timeout=10)
            self.nodes.append(node)

    def args(self, secret=None):
        """--secret-file F --node tcp://... --node tcp://... (global options, before the command)."""
        out = ["--secret-file", secret or self.secret]
        for node in self.nodes:
            out += ["--node", node.address]
        return out

    def restart(self, node):
        """Stops NODE's berthd by its PID and starts a new one with the same arguments (same port)."""
        old = node.proc.pid
        node.stop()
        eventually(lambda: not harness.tcp_listening(node.port), f"{node.address} to stop listening", timeout=10)
        node.start()
        eventually(lambda: harness.tcp_listening(node.port), f"the new berthd to listen on {node.address}", timeout=10)
        check(node.proc.pid != old, "a new berthd process", old=old, new=node.proc.pid)


class Agent:
    """`berth agent --socket PATH` as a subprocess, stderr to a log file, stopped by its PID."""

    def __init__(self, cu, path=None, extra_args=(), env=None):
        self.dir = cu.tempdir("berth-agent-sock-")
        self.path = path or os.path.join(self.dir, "agent.sock")
        self.log_path = os.path.join(self.dir, "agent.log")
        self.argv = [os.path.join(harness.bin_dir(), "berth"), "agent", "--socket", self.path, *extra_args]
        self.env = env
        self.proc = None
        self.cu = cu

    def start(self, timeout=15.0):
        full = dict(os.environ)
        full.pop("BERTH_AGENT", None)
        full.update(self.env or {})
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=full)
        self.cu.process(self.proc, f"berth agent on {self.path}")
        harness.wait_for_unix_socket(self.proc, self.path, "berth agent", self.argv, self.log_path, timeout)
        return self

    def log(self):
        return harness.tail(self.log_path, 60)

    def client(self, timeout=10.0):
        rpc = harness.RpcClient.unix(self.path, timeout)
        self.cu.push("close agent connection", rpc.close)
        return rpc

    def info(self):
        rpc = harness.RpcClient.unix(self.path, 10.0)
        try:
            return rpc.call("agent.info")
        finally:
            rpc.close()

    def connections(self):
        return self.info()["connections"]

    def alive(self, what):
        check(self.proc.poll() is None, f"{what}: the agent exited {self.proc.returncode}", log=self.log())


def same_as_direct(through, direct, what, agent=None):
    """The run through the agent printed and exited exactly like the direct run."""
    context = dict(direct_stdout=direct.stdout, direct_stderr=direct.stderr, agent_log=agent.log() if agent else None)
    check_equal(through.returncode, direct.returncode, f"{what}: exit status", stderr=through.stderr, **context)
    check_equal(through.stdout, direct.stdout, f"{what}: stdout", stderr=through.stderr, **context)
    check_equal(through.stderr, direct.stderr, f"{what}: stderr", **context)


def error_code(response):
    check(isinstance(response, dict) and isinstance(response.get("error"), dict),
          "an error response", response=response)
    check("result" not in response, "an error response has no result", response=response)
    check_equal(response.get("jsonrpc"), "2.0", "the error response is JSON-RPC 2.0", response=response)
    return response["error"].get("code")


# ---------------------------------------------------------------------------------------------
# Through the agent: same output, connections kept


def test_fan_out_through_the_agent_matches_direct_and_reuses_connections(cu):
    cluster = Cluster(cu, 2)
    agent = Agent(cu).start()
    first = agent.info()
    check_equal(first.get("version"), 1, "agent.info version", info=first)
    check_equal(first.get("pid"), agent.proc.pid, "agent.info pid is the agent's", info=first)
    check_equal(first.get("socket"), agent.path, "agent.info socket", info=first)
    check_equal(first.get("keepSeconds"), 120, "the default --keep", info=first)
    check_equal(first.get("connections"), {"opened": 0, "reused": 0, "idle": 0, "busy": 0}, "a fresh agent holds nothing")
    check_in(f"berth agent: listening on {agent.path}", agent.log(), "the ready line on stderr")

    direct = berth(cluster.args() + ["ps", "--all"])
    check_equal(direct.returncode, 0, "direct ps --all", stderr=direct.stderr)
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, direct, "ps --all through the agent", agent)
    check_equal(agent.connections()["opened"], 2, "one connection opened per node", log=agent.log())

    for run in (2, 3):
        through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
        same_as_direct(through, direct, f"ps --all through the agent, run {run}", agent)
    counts = eventually(lambda: (c := agent.connections())["busy"] == 0 and c, "no busy connection after the runs")
    check_equal(counts["opened"], 2, "no new connection for runs 2 and 3", counts=counts, log=agent.log())
    check(counts["reused"] >= 4, "runs 2 and 3 reused the two connections", counts=counts)
    check_equal(counts["idle"], 2, "both node connections stay open and idle", counts=counts)

    direct = berth(cluster.args() + ["ps", "--all", "--json"])
    check_equal(direct.returncode, 0, "direct ps --all --json", stderr=direct.stderr)
    items = json.loads(direct.stdout)
    check_equal([(i.get("node"), "result" in i) for i in items], [(n.address, True) for n in cluster.nodes],
                "the direct JSON has a result per node", stdout=direct.stdout)
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all", "--json"])
    same_as_direct(through, direct, "ps --all --json through the agent", agent)
    counts = agent.connections()
    check_equal(counts["opened"], 2, "--json reused the connections too", counts=counts)
    check(counts["reused"] >= 6, "the --json run reused both connections", counts=counts)

    # A node's error answer reads the same through the agent (same conversation code).
    direct = berth(cluster.args() + ["status", "no-such-container"])
    check_equal(direct.returncode, 1, "direct status of a missing container", stderr=direct.stderr)
    check_in("not_found", direct.stderr, "direct: the node's error kind")
    through = berth(["--agent", agent.path] + cluster.args() + ["status", "no-such-container"])
    same_as_direct(through, direct, "a node's not_found through the agent", agent)
    through = berth(["--agent", agent.path] + cluster.args() + ["ping"])
    check_equal(through.returncode, 0, "ping through the agent", stderr=through.stderr)
    check_equal([line.split(": pong")[0] for line in through.stdout.splitlines()], [n.address for n in cluster.nodes],
                "one pong per node, in order", stdout=through.stdout)

    # A unix: node is talked to directly, next to the tcp:// ones that go through the agent.
    before = agent.connections()
    mixed = cluster.args() + ["--node", f"unix:{cluster.nodes[0].socket_path}"]
    direct = berth(mixed + ["ps", "--all", "--json"])
    check_equal(direct.returncode, 0, "direct ps with a unix: node too", stderr=direct.stderr)
    through = berth(["--agent", agent.path] + mixed + ["ps", "--all", "--json"])
    same_as_direct(through, direct, "tcp:// and unix: nodes together", agent)
    after = agent.connections()
    check_equal((after["opened"], after["idle"]), (before["opened"], 2), "the unix: node got no agent connection",
                before=before, after=after)
    check_equal(after["reused"], before["reused"] + 2, "only the two tcp:// nodes went through the agent",
                before=before, after=after)
    for node in cluster.nodes:
        check(node.proc.poll() is None, f"{node.address} still runs", log=node.log())


def test_keep_closes_idle_node_connections(cu):
    argv = [os.path.join(harness.bin_dir(), "berth"), "agent", "--socket", os.path.join(cu.tempdir(), "a.sock")]
    for keep in ("0", "86401", "abc", "-5"):
        done = subprocess.run(argv + ["--keep", keep], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        check_equal(done.returncode, 64, f"--keep {keep}: a usage error", stderr=done.stderr)
        check_in("--keep", done.stderr, f"--keep {keep}: the error names the option")
        check(not os.path.lexists(argv[-1]), f"--keep {keep}: no socket was made")

    cluster = Cluster(cu, 2)
    agent = Agent(cu, extra_args=["--keep", "2"]).start()
    check_equal(agent.info()["keepSeconds"], 2, "agent.info keepSeconds")
    direct = berth(cluster.args() + ["ps", "--all"])
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, direct, "ps with --keep 2", agent)
    counts = agent.connections()
    check_equal((counts["opened"], counts["idle"] + counts["busy"]), (2, 2), "two connections right after the run",
                counts=counts)
    t0 = time.monotonic()
    eventually(lambda: (c := agent.connections())["idle"] == 0 and c["busy"] == 0, "idle connections closed after --keep",
               timeout=10)
    check(time.monotonic() - t0 >= 0.5, "not closed long before --keep 2 (they were seen open just now)")
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, direct, "ps after the connections expired", agent)
    check_equal(agent.connections()["opened"], 4, "expired connections are opened anew", log=agent.log())


def test_node_restart_drops_the_stale_pooled_connection(cu):
    cluster = Cluster(cu, 2)
    agent = Agent(cu).start()
    direct = berth(cluster.args() + ["ps", "--all"])
    check_equal(direct.returncode, 0, "direct ps --all", stderr=direct.stderr)
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, direct, "before the restart", agent)
    check_equal(agent.connections()["opened"], 2, "two connections before the restart")

    cluster.restart(cluster.nodes[0])
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, direct, "the first run after node 1 restarted", agent)
    counts = eventually(lambda: (c := agent.connections())["busy"] == 0 and c, "no busy connection after the run")
    check_equal(counts["opened"], 3, "one new connection, to the restarted node", counts=counts, log=agent.log())
    check_equal(counts["idle"], 2, "one live connection per node (the stale one is gone)", counts=counts)

    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all", "--json"])
    check_equal(through.returncode, 0, "ps --json after the restart", stderr=through.stderr, log=agent.log())
    check_equal([(i.get("node"), "result" in i) for i in json.loads(through.stdout)],
                [(n.address, True) for n in cluster.nodes], "both nodes answer", stdout=through.stdout)
    check_equal(agent.connections()["opened"], 3, "the new connection is reused", log=agent.log())
    agent.alive("after the restart")


def test_a_stopped_node_reads_the_same_through_the_agent(cu):
    cluster = Cluster(cu, 2)
    live, dead = cluster.nodes
    agent = Agent(cu).start()
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    check_equal(through.returncode, 0, "ps --all with both nodes up", stderr=through.stderr, log=agent.log())
    check_equal(agent.connections()["opened"], 2, "a pooled connection to each node")

    dead.stop()
    eventually(lambda: not harness.tcp_listening(dead.port), f"{dead.address} to stop listening", timeout=10)
    direct = berth(cluster.args() + ["ps", "--all"])
    check_equal(direct.returncode, 1, "direct: one dead node fails the run", stderr=direct.stderr)
    check_in(dead.address, direct.stderr, "direct: the dead node is named")
    # Twice: first the pooled connection to the dead node is found closed, then there is none.
    for run in ("with a stale pooled connection", "without a pooled connection"):
        through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
        check_equal(through.returncode, 1, f"{run}: exit status", stdout=through.stdout, stderr=through.stderr,
                    log=agent.log())
        check_in(dead.address, through.stderr, f"{run}: stderr names the dead node")
        check(live.address not in through.stderr, f"{run}: the live node is not blamed", stderr=through.stderr)
        check(FALLBACK not in through.stderr, f"{run}: the agent was used", stderr=through.stderr)
        same_as_direct(through, direct, run, agent)

    direct = berth(cluster.args() + ["ps", "--all", "--json"])
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all", "--json"])
    same_as_direct(through, direct, "ps --all --json with a dead node", agent)
    items = json.loads(through.stdout)
    check_equal([i.get("node") for i in items], [live.address, dead.address], "one item per node", stdout=through.stdout)
    check_equal(items[0].get("result"), {"containers": []}, "the live node's result prints", item=items[0])
    check_equal(items[1].get("error", {}).get("kind"), "client.unreachable", "the dead node's error kind", item=items[1])
    counts = agent.connections()
    check_equal(counts["idle"], 1, "only the live node's connection is kept", counts=counts)
    agent.alive("after a dead node")


def test_a_wrong_secret_is_refused_even_with_good_connections_pooled(cu):
    cluster = Cluster(cu, 2)
    wrong = write_secret(cluster.dir, "wrong-secret", b"not the secret the nodes hold 987654")
    agent = Agent(cu).start()
    good_direct = berth(cluster.args() + ["ps", "--all"])
    check_equal(good_direct.returncode, 0, "direct with the right secret", stderr=good_direct.stderr)
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, good_direct, "right secret through the agent", agent)
    before = agent.connections()
    check_equal((before["opened"], before["idle"]), (2, 2), "two authenticated connections pooled", counts=before)

    direct = berth(cluster.args(secret=wrong) + ["ps", "--all"])
    check_equal(direct.returncode, 77, "direct with the wrong secret: noPermission", stderr=direct.stderr)
    through = berth(["--agent", agent.path] + cluster.args(secret=wrong) + ["ps", "--all"])
    check_equal(through.returncode, 77, "wrong secret through the agent: noPermission (77)", stdout=through.stdout,
                stderr=through.stderr, log=agent.log())
    for node in cluster.nodes:
        check_in(node.address, through.stderr, "each node's refusal is reported")
    check_equal(len(through.stderr.splitlines()), 2, "one error line per node", stderr=through.stderr)
    check(FALLBACK not in through.stderr, "the agent was used", stderr=through.stderr)
    same_as_direct(through, direct, "wrong secret", agent)

    direct = berth(cluster.args(secret=wrong) + ["ps", "--all", "--json"])
    through = berth(["--agent", agent.path] + cluster.args(secret=wrong) + ["ps", "--all", "--json"])
    same_as_direct(through, direct, "wrong secret, --json", agent)
    check_equal([i.get("error", {}).get("kind") for i in json.loads(through.stdout)],
                ["client.authenticationFailed"] * 2, "both nodes refused authentication", stdout=through.stdout)

    reused = agent.connections()["reused"]
    through = berth(["--agent", agent.path] + cluster.args() + ["ps", "--all"])
    same_as_direct(through, good_direct, "the right secret again", agent)
    after = agent.connections()
    check(after["reused"] >= reused + 2, "the right secret reuses its pooled connections", before=reused, after=after)
    agent.alive("after a wrong secret")


# ---------------------------------------------------------------------------------------------
# Without an agent


def test_no_agent_falls_back_and_berth_agent_env_is_used(cu):
    cluster = Cluster(cu, 2)
    work = cu.tempdir("berth-agent-none-")
    direct = berth(cluster.args() + ["ps", "--all"])
    check_equal(direct.returncode, 0, "direct ps --all", stderr=direct.stderr)

    nothing = os.path.join(work, "nothing.sock")
    r = berth(["--agent", nothing] + cluster.args() + ["ps", "--all"])
    check_equal(r.returncode, 0, "no socket: carries on directly", stderr=r.stderr)
    check_equal(r.stdout, direct.stdout, "no socket: the same output as direct")
    check_in(FALLBACK, r.stderr, "no socket: the fallback is said")
    check_in(f"agent at {nothing}", r.stderr, "no socket: the message names the path")
    check_equal(len(r.stderr.splitlines()), 1, "no socket: one fallback line", stderr=r.stderr)

    stale = os.path.join(work, "stale.sock")  # a socket file nothing listens on: connect is refused
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    r = berth(["--agent", stale] + cluster.args() + ["ps", "--all"])
    check_equal(r.returncode, 0, "refused: carries on directly", stderr=r.stderr)
    check_equal(r.stdout, direct.stdout, "refused: the same output as direct")
    check_in(FALLBACK, r.stderr, "refused: the fallback is said")
    check_in(f"agent at {stale}", r.stderr, "refused: the message names the path")

    r = berth(cluster.args() + ["ps", "--all"], env={"BERTH_AGENT": nothing})
    check_equal((r.returncode, r.stdout), (0, direct.stdout), "BERTH_AGENT with no socket", stderr=r.stderr)
    check_in(FALLBACK, r.stderr, "BERTH_AGENT is read (the fallback is said)")

    agent = Agent(cu).start()
    r = berth(cluster.args() + ["ps", "--all"], env={"BERTH_AGENT": agent.path})
    same_as_direct(r, direct, "BERTH_AGENT=the agent", agent)
    check_equal(agent.connections()["opened"], 2, "BERTH_AGENT routes the nodes through the agent", log=agent.log())
    r = berth(cluster.args() + ["ps", "--all"], env={"BERTH_AGENT": agent.path})
    same_as_direct(r, direct, "BERTH_AGENT, second run", agent)
    counts = agent.connections()
    check_equal(counts["opened"], 2, "the second BERTH_AGENT run reused the connections", counts=counts)
    check(counts["reused"] >= 2, "reused counted", counts=counts)

    r = berth(["--agent", ""] + cluster.args() + ["ps", "--all"], env={"BERTH_AGENT": agent.path})
    same_as_direct(r, direct, "--agent '' overrides BERTH_AGENT", agent)
    r = berth(cluster.args() + ["ps", "--all"], env={"BERTH_AGENT": ""})
    same_as_direct(r, direct, "BERTH_AGENT= (empty)", agent)
    check_equal(agent.connections()["reused"], counts["reused"], "no agent used with --agent '' or BERTH_AGENT=",
                log=agent.log())


# ---------------------------------------------------------------------------------------------
# The agent's socket


def test_agent_socket_mode_second_agent_sigterm_and_stale_socket(cu):
    agent = Agent(cu).start()
    st = os.lstat(agent.path)
    check(stat.S_ISSOCK(st.st_mode), "the agent's path is a socket", mode=oct(st.st_mode))
    check_equal(stat.S_IMODE(st.st_mode), 0o600, "the socket file mode")
    check_equal(agent.info()["pid"], agent.proc.pid, "the first agent answers")

    second = subprocess.run(agent.argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    check_equal(second.returncode, 69, "a second agent on the same path: unavailable", stderr=second.stderr)
    check_in(agent.path, second.stderr, "the refusal names the path")
    agent.alive("after a second agent was refused")
    check(os.path.exists(agent.path), "the first agent's socket file is still there")
    check_equal(agent.info()["pid"], agent.proc.pid, "the first agent still serves on the path")

    agent.proc.send_signal(signal.SIGTERM)
    try:
        status = agent.proc.wait(10)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure(f"the agent did not exit within 10 s of SIGTERM\nlog:\n{agent.log()}")
    check_equal(status, 0, "the agent's exit status after SIGTERM", log=agent.log())
    check(not os.path.lexists(agent.path), "the socket file is removed on SIGTERM", path=agent.path)

    # A stale socket file (bound, then closed: nothing answers) is replaced by a new agent.
    stale_dir = cu.tempdir("berth-agent-stale-")
    stale = os.path.join(stale_dir, "agent.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    check(os.path.lexists(stale), "the stale socket file is there")
    fresh = Agent(cu, path=stale).start()
    check_equal(fresh.info()["pid"], fresh.proc.pid, "a new agent serves on the stale path")
    check_equal(stat.S_IMODE(os.lstat(stale).st_mode), 0o600, "the replaced socket's mode")

    # SIGINT stops it the same way.
    fresh.proc.send_signal(signal.SIGINT)
    check_equal(fresh.proc.wait(10), 0, "exit status after SIGINT", log=fresh.log())
    check(not os.path.lexists(stale), "the socket file is removed on SIGINT")


def test_agent_default_socket_under_xdg_runtime_dir(cu):
    xdg = cu.tempdir("berth-agent-xdg-")
    argv = [os.path.join(harness.bin_dir(), "berth"), "agent", "--keep", "30"]
    log_path = os.path.join(xdg, "agent.log")
    env = dict(os.environ, XDG_RUNTIME_DIR=xdg)
    env.pop("BERTH_AGENT", None)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    cu.process(proc, "berth agent (default socket)")
    path = os.path.join(xdg, "berth", "agent.sock")

    def ready():
        check(proc.poll() is None, f"the agent exited {proc.returncode}", log=harness.tail(log_path))
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        return True
    eventually(ready, f"the agent to listen on {path}", timeout=15)
    check_equal(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700, "the created parent directory's mode")
    check_equal(stat.S_IMODE(os.lstat(path).st_mode), 0o600, "the socket file mode")
    rpc = harness.RpcClient.unix(path)
    cu.push("close", rpc.close)
    info = rpc.call("agent.info")
    check_equal((info["socket"], info["keepSeconds"], info["pid"]), (path, 30, proc.pid), "agent.info", info=info)
    check_in(f"berth agent: listening on {path}", harness.tail(log_path), "the ready line names the default path")


def test_agent_refuses_another_uid(cu):
    # The client runs as uid 65534, so it needs an interpreter that uid can execute (not one under
    # /root, like pyenv's).
    python = "/usr/bin/python3"
    # Root (to run a client as another uid) and the system python are what the e2e suite has
    # anyway (Scripts/bootstrap installs python3); without them this test would prove nothing.
    check(os.getuid() == 0 and os.access(python, os.X_OK), "needs root and /usr/bin/python3", uid=os.getuid())
    other = 65534
    agent = Agent(cu).start()
    os.chmod(agent.path, 0o666)  # so the file mode lets nobody connect and SO_PEERCRED decides
    path = agent.path
    while path != "/tmp":
        path = os.path.dirname(path)
        os.chmod(path, os.stat(path).st_mode | 0o011)
    client = r"""
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
try:
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"agent.info"}\n')
except OSError:
    pass
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except ConnectionResetError:
        break
    if not chunk:
        break
    data += chunk
sys.stdout.buffer.write(data)
"""
    done = subprocess.run([python, "-c", client, agent.path], capture_output=True, timeout=20,
                          stdin=subprocess.DEVNULL, user=other, group=other, extra_groups=[])
    check_equal(done.returncode, 0, "the other uid's client ran (and the agent closed)", stderr=done.stderr)
    replies = [json.loads(line) for line in done.stdout.split(b"\n") if line]
    check_equal(len(replies), 1, f"uid {other} gets exactly one line", stdout=done.stdout)
    error_code(replies[0])
    check("result" not in replies[0] and "connections" not in json.dumps(replies[0]), "no agent.info for another uid",
          reply=replies[0])
    agent.alive("after another uid")
    check_equal(agent.info()["pid"], agent.proc.pid, "the owner is still served")


# ---------------------------------------------------------------------------------------------
# Hostile input


def test_hostile_input_gets_errors_and_the_agent_keeps_serving(cu):
    agent = Agent(cu).start()
    rpc = agent.client()

    rpc.send_raw(b'{"jsonrpc":"2.0","id":1,"method":\n')
    reply = rpc.recv()
    check_equal(error_code(reply), -32700, "malformed JSON: parse error", reply=reply)
    check_equal(reply.get("id"), None, "a parse error's id is null", reply=reply)
    check_equal(rpc.call("agent.info")["pid"], agent.proc.pid, "the same connection answers agent.info after it")

    reply = rpc.request("agent.nothing", {})
    check_equal(error_code(reply), -32601, "unknown method", reply=reply)
    reply = rpc.request("node.ping")
    check_equal(error_code(reply), -32601, "a node method is not the agent's", reply=reply)

    rpc.send_raw(b"42\n")
    reply = rpc.recv()
    error_code(reply)  # not a request object: an error answer, and the connection goes on
    rpc.send_raw(b'\xff\xfe{"jsonrpc":"2.0"}\n')
    reply = rpc.recv()
    error_code(reply)

    good = {"node": "tcp://127.0.0.1:9", "candidates": [{"host": "127.0.0.1", "port": 9}],
            "connectTimeoutMillis": 2000, "calls": [{"method": "node.ping", "params": {}}]}
    bad_params = {
        "missing node": {k: v for k, v in good.items() if k != "node"},
        "calls not an array": dict(good, calls={"method": "node.ping"}),
        "a unix: node": dict(good, node="unix:/run/berth/berthd.sock"),
        "an ssh:// node": dict(good, node="ssh://root@127.0.0.1:22"),
        "params not an object": ["tcp://127.0.0.1:9"],
        "secret not hex": dict(good, secret="not hex!"),
    }
    for what, params in bad_params.items():
        reply = rpc.request("agent.exchange", params)
        check_equal(error_code(reply), -32602, f"agent.exchange with {what}: invalid params", reply=reply)
    reply = rpc.request("agent.exchange")
    check_equal(error_code(reply), -32602, "agent.exchange without params", reply=reply)
    counts = rpc.call("agent.info")["connections"]
    check_equal(counts, {"opened": 0, "reused": 0, "idle": 0, "busy": 0}, "bad params opened nothing")

    # A line over 16 MiB closes that connection (at most an error line first); sent without a
    # newline, so an agent that waits for the end of the line before counting would be caught.
    big = raw_unix(agent.path, timeout=20)
    cu.push("close", big.close)
    chunk = b"x" * (1 << 20)
    try:
        for _ in range((LINE_LIMIT >> 20) + 2):
            big.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    except socket.timeout:
        raise harness.TestFailure("the agent stopped reading an over-long line without closing the connection")
    data = read_until_closed(big, 20)
    replies = [line for line in data.split(b"\n") if line]
    check(len(replies) <= 1, "at most one error line before the close", got=data[:500])
    for line in replies:
        error_code(json.loads(line))
    agent.alive("after a 17 MiB line")

    # Just under the limit is not too long: a parse error (it is not JSON), the connection stays.
    near = raw_unix(agent.path, timeout=30)
    cu.push("close", near.close)
    near_rpc = harness.RpcClient(near, 30)
    near_rpc.send_raw(b"y" * (LINE_LIMIT - 1024) + b"\n")
    check_equal(error_code(near_rpc.recv()), -32700, "a line just under 16 MiB is parsed (and is not JSON)")
    check_equal(near_rpc.call("agent.info")["pid"], agent.proc.pid, "that connection still serves")

    check_equal(rpc.call("agent.info")["pid"], agent.proc.pid, "the first connection still serves")
    fresh = agent.client()
    info = fresh.call("agent.info")
    check_equal(info["connections"]["opened"], 0, "nothing was opened by any of it", info=info)
    agent.alive("at the end")


if __name__ == "__main__":
    harness.main()
