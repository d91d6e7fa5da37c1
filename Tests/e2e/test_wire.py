#!/usr/bin/env python3
"""berthd on the wire, tested with a client written in python3's standard library (not ours): the
Protocol/examples transcripts over Unix and authenticated TCP, the JSON-RPC 2.0 cases, hostile input
(the node stays up and its descriptor count returns), limits, TCP auth, SIGTERM while busy, flags and
config file, and socat as an independent client."""

import glob
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import berth_channel
import harness
from harness import check, check_equal, raw_unix, read_until_closed


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settle_fds(pid, baseline, what, timeout=10.0):
    """Waits until PID's descriptor count is back to BASELINE (closing takes a moment)."""
    harness.eventually(lambda: fd_count(pid) <= baseline, f"{what}: descriptors back to {baseline} "
                       f"(now {fd_count(pid)})", timeout)


def healthy(node, what):
    """The node is alive and answers a fresh connection's ping."""
    check(node.proc.poll() is None, f"{what}: berthd exited {node.proc.returncode}", log=node.log())
    rpc = harness.RpcClient.unix(node.socket_path, 5.0)
    try:
        check_equal(rpc.call("node.ping", {"echo": what}), {"pong": True, "echo": what}, f"{what}: ping after")
    finally:
        rpc.close()


def write_secret(directory, secret=b"correct horse battery staple 42", mode=0o600):
    path = os.path.join(directory, "secret")
    with open(path, "wb") as f:
        f.write(secret + b"\n")
    os.chmod(path, mode)
    return path, secret


def client_mac(secret, nonce, client_nonce):
    return hmac.new(secret, b"berth-auth-v1\n" + nonce.encode() + b"\n" + client_nonce.encode(), hashlib.sha256).hexdigest()


def node_mac(secret, nonce, client_nonce):
    return hmac.new(secret, b"berth-auth-v1 node\n" + nonce.encode() + b"\n" + client_nonce.encode(), hashlib.sha256).hexdigest()


def authenticate(rpc, secret):
    """Runs the challenge-response with the secure channel (berth_channel): from here on RPC seals
    and opens records. Returns the auth.response result after checking the node's proof."""
    return berth_channel.open_channel(rpc, secret)


def authenticate_plain(rpc, secret):
    """Runs the challenge-response of a `berthd --tcp-plain` node; returns the auth.response result
    after checking the node's proof."""
    challenge = rpc.call("auth.challenge", {})
    check_equal(challenge.get("algorithm"), "hmac-sha256", "challenge algorithm")
    client_nonce = os.urandom(32).hex()
    result = rpc.call("auth.response", {"clientNonce": client_nonce,
                                        "response": client_mac(secret, challenge["nonce"], client_nonce)})
    check_equal(result.get("proof"), node_mac(secret, challenge["nonce"], client_nonce), "the node's proof")
    return result


def start_node(cu, extra_args=(), tcp=False, secret_mode=0o600):
    """berthd on a Unix socket (and with TCP, on a free loopback port with a secret file).
    Returns (node, tcp_port, secret)."""
    directory = cu.tempdir("berth-wire-")
    args = list(extra_args)
    port = secret = None
    if tcp:
        path, secret = write_secret(directory, mode=secret_mode)
        port = harness.free_tcp_port()
        args += ["--listen", f"tcp://127.0.0.1:{port}", "--secret-file", path]
    node = harness.Node(os.path.join(directory, "node"), extra_args=args)
    cu.push(f"stop berthd in {node.dir}", node.stop)
    node.start()
    return node, port, secret


def run_berthd(argv, timeout=10):
    binary = os.path.join(harness.bin_dir(), "berthd")
    return subprocess.run([binary, *argv], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def lines(data):
    return [json.loads(line) for line in data.split(b"\n") if line]


import replay  # noqa: E402
from harness import check_in  # noqa: E402

EXAMPLES = sorted(glob.glob(os.path.join(harness.ROOT, "Protocol", "examples", "*.jsonl")))


# ---------------------------------------------------------------------------------------------
# Transcripts


def test_replay_every_example_over_unix(cu):
    node, _, _ = start_node(cu)
    check(len(EXAMPLES) >= 10, "the example transcripts are there", found=EXAMPLES)
    for path in EXAMPLES:
        replay.replay(path, lambda: raw_unix(node.socket_path))
    healthy(node, "after the transcripts")


def test_replay_every_example_over_authenticated_tcp(cu):
    node, port, secret = start_node(cu, tcp=True)

    def connect():
        rpc = harness.RpcClient.tcp("127.0.0.1", port, 5.0)
        authenticate(rpc, secret)
        check(not rpc._buffer, "nothing buffered after auth")
        return berth_channel.ChannelSocket(rpc)
    for path in EXAMPLES:
        replay.replay(path, connect)


def test_the_replayer_catches_a_wrong_expectation(cu):
    node, _, _ = start_node(cu)
    bad = os.path.join(cu.tempdir(), "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"send": "{\\"jsonrpc\\":\\"2.0\\",\\"id\\":1,\\"method\\":\\"node.ping\\"}"}\n'
                '{"expect": {"jsonrpc": "2.0", "id": 2, "result": "$any"}}\n')
    try:
        replay.replay(bad, lambda: raw_unix(node.socket_path))
    except harness.TestFailure as failure:
        check_in("does not match", str(failure), "the failure says why")
    else:
        raise harness.TestFailure("a transcript expecting the wrong id passed")
    check(replay.matches({"$unordered": [1, 2]}, [2, 1]) and not replay.matches([1, 2], [2, 1]), "matcher order rules")
    check(replay.matches({"a": "$absent"}, {}) and not replay.matches({"a": "$absent"}, {"a": None}), "$absent")
    check(not replay.matches("$integer", 1.5) and replay.matches(1, 1.0) and replay.matches("$$any", "$any"), "kinds")


# ---------------------------------------------------------------------------------------------
# JSON-RPC 2.0


def error_kind(message):
    return message.get("error", {}).get("data", {}).get("kind")


def test_jsonrpc_error_cases_and_batches(cu):
    node, _, _ = start_node(cu)
    rpc = node.connect(cu)
    rpc.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"node.ping"\n')
    reply = rpc.recv()
    check_equal((reply["id"], reply["error"]["code"], error_kind(reply)), (None, -32700, "parse_error"), "parse error")
    rpc.send_raw(b'{"jsonrpc":"1.0","id":2,"method":"node.ping"}\n')
    reply = rpc.recv()
    check_equal((reply["id"], reply["error"]["code"], error_kind(reply)), (2, -32600, "invalid_request"), "invalid request")
    response = rpc.request("no.such.method")
    check_equal((response["error"]["code"], error_kind(response)), (-32601, "method_not_found"), "unknown method")
    response = rpc.request("node.ping", {"ehco": 1})
    check_equal((response["error"]["code"], error_kind(response)), (-32602, "invalid_params"), "misspelt param")
    response = rpc.request("node.hello", {"protocols": "1"})
    check_equal(error_kind(response), "invalid_params", "wrong param type")
    response = rpc.request("node.hello", {"protocols": [9]})
    check_equal(error_kind(response), "unsupported_version", "unsupported version")
    check_equal(response["error"]["data"].get("supported"), {"min": 1, "max": 1}, "supported range")
    batch = rpc.batch([
        {"jsonrpc": "2.0", "id": "a", "method": "node.ping", "params": {"echo": "x"}},
        {"jsonrpc": "2.0", "method": "node.ping"},
        {"jsonrpc": "2.0", "id": "b", "method": "node.info"},
        {"jsonrpc": "2.0", "method": "nope"},
        {"jsonrpc": "2.0", "id": "c", "method": "nope"},
        42,
    ])
    by_id = {m.get("id"): m for m in batch}
    check_equal(len(batch), 4, "batch replies: 3 requests with ids + 1 invalid member", batch=batch)
    check_equal(by_id["a"]["result"], {"pong": True, "echo": "x"}, "batch ping")
    check_equal(by_id["b"]["result"]["protocols"], [1], "batch node.info")
    check_equal(error_kind(by_id["c"]), "method_not_found", "batch unknown method")
    check_equal(error_kind(by_id[None]), "invalid_request", "batch invalid member")
    rpc.send_raw(b"[]\n")
    reply = rpc.recv()
    check(isinstance(reply, dict) and error_kind(reply) == "invalid_request", "empty batch: one error object", reply=reply)
    rpc.send_raw(b'[{"jsonrpc":"2.0","method":"node.ping"}]\n{"jsonrpc":"2.0","method":"node.info"}\n')
    check_equal(rpc.call("node.ping", {"echo": 5}), {"pong": True, "echo": 5}, "notifications got no reply")


def test_pipelined_requests_all_answered(cu):
    node, _, _ = start_node(cu)
    rpc = node.connect(cu)
    calls = [("node.ping", {"echo": k}) if k % 10 else ("node.info", None) for k in range(3000)]
    responses = rpc.pipeline(calls, timeout=30)
    for k, response in enumerate(responses):
        if k % 10:
            check_equal(response.get("result"), {"pong": True, "echo": k}, f"response {k}")
        else:
            check("hostname" in response.get("result", {}), f"node.info response {k}", response=response)


def test_node_hello_and_info_describe_the_node(cu):
    node, _, _ = start_node(cu, extra_args=["--manager", "embedded", "--runtime", "podman"])
    rpc = node.connect(cu)
    hello = rpc.call("node.hello", {"protocols": [1, 2], "client": "test/1"})
    check_equal(hello["protocol"], 1, "negotiated protocol")
    check_equal(hello["authRequired"], False, "Unix socket needs no auth")
    info = rpc.call("node.info")
    check_equal((info["managerMode"], info["runtime"], info["stateDir"]), ("embedded", "podman", node.state_dir), "configured mode")
    check_equal(info["hostname"], socket.gethostname(), "hostname")
    check(all(a not in ("127.0.0.1", "::1") for a in info["addresses"]), "no loopback addresses", addresses=info["addresses"])
    check_in("batches", info["capabilities"], "capabilities")
    discover = rpc.call("rpc.discover")
    names = {m["name"] for m in discover["methods"]}
    check({"node.hello", "node.info", "node.ping", "rpc.discover"} <= names, "OpenRPC lists the node methods", names=names)
    # x-berth-served is a promise: a served method knows its params (an unknown one is invalid_params,
    # so nothing runs), one not served is method_not_found. Checked against the running node, not the file.
    for method in discover["methods"]:
        kind = error_kind(rpc.request(method["name"], {"noSuchParam": 1}))
        expected = "invalid_params" if method["x-berth-served"] else "method_not_found"
        check_equal(kind, expected, f"{method['name']} is served as x-berth-served says")
    check_equal(os.stat(node.socket_path).st_mode & 0o777, 0o660, "socket mode")


# ---------------------------------------------------------------------------------------------
# Hostile input


def test_hostile_input_leaves_the_node_up_and_leaks_nothing(cu):
    node, _, _ = start_node(cu)
    pid = node.proc.pid
    healthy(node, "warm-up")
    baseline = fd_count(pid)

    def attack(name, payload, expect_close=False):
        s = raw_unix(node.socket_path)
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if expect_close:
            data = read_until_closed(s, 20)
        else:
            s.shutdown(socket.SHUT_WR)
            data = read_until_closed(s, 20)
        s.close()
        healthy(node, name)
        settle_fds(pid, baseline, name)
        return lines(data)

    replies = attack("garbage", os.urandom(4096).replace(b"\n", b" ") + b"\n" + bytes(range(256)) + b"\n")
    check(replies and all(error_kind(r) in ("parse_error", "invalid_request") for r in replies), "garbage gets errors", replies=replies[:3])
    replies = attack("invalid utf-8", b'{"jsonrpc":"2.0","id":1,"method":"node.\xff\xfe"}\n')
    check_equal([error_kind(r) for r in replies], ["parse_error"], "invalid UTF-8")
    replies = attack("deep nesting", b"[" * 100000 + b"]" * 100000 + b"\n" + b'{"a":' * 50000 + b"\n")
    check(replies and all(error_kind(r) == "parse_error" for r in replies), "deep nesting is a parse error", replies=replies[:2])
    replies = attack("10 MiB line", b"x" * (10 << 20) + b"\n", expect_close=True)
    check_equal([(r["id"], error_kind(r), r["error"]["data"].get("limit")) for r in replies],
                [(None, "line_too_long", 1 << 20)], "10 MiB line")
    attack("half a line then close", b'{"jsonrpc":"2.0","id":1,"meth')
    socks = []
    for _ in range(500):
        socks.append(raw_unix(node.socket_path))
    for s in socks:
        s.close()
    healthy(node, "500 connections opened and dropped")
    settle_fds(pid, baseline, "500 connections")
    socks = [raw_unix(node.socket_path) for _ in range(100)]
    for s in socks:
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"node.ping"}\n')
    for s in socks:
        s.close()
    healthy(node, "100 connections dropped with a request in flight")
    settle_fds(pid, baseline, "dropped with requests")


def test_line_limit_and_connection_limit(cu):
    node, _, _ = start_node(cu, extra_args=["--max-line-bytes", "2048", "--max-connections", "3"])
    s = raw_unix(node.socket_path)
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"node.ping","params":{"echo":"' + b"y" * 1900 + b'"}}\n' + b"z" * 3000 + b"\n")
    replies = lines(read_until_closed(s))
    check_equal([r.get("id") for r in replies], [1, None], "a line under the limit is answered, one over it is refused")
    check_equal((error_kind(replies[1]), replies[1]["error"]["data"]["limit"]), ("line_too_long", 2048), "limit error")
    s.close()
    def connect_and_ping():
        # Connections the client closed a moment ago may still count until the node notices.
        rpc = harness.RpcClient.unix(node.socket_path, 5.0)
        try:
            if rpc.call("node.ping") == {"pong": True}:
                return rpc
        except (harness.ConnectionClosed, OSError, harness.RpcError):
            pass
        rpc.close()
        return None
    held = [harness.eventually(connect_and_ping, "a connection within the limit", timeout=5) for _ in range(3)]
    extra = raw_unix(node.socket_path)
    replies = lines(read_until_closed(extra))
    check_equal([error_kind(r) for r in replies], ["busy"], "over the connection limit")
    extra.close()
    for rpc in held:
        rpc.close()
    harness.eventually(connect_and_ping, "room again once connections close", timeout=5).close()


def test_idle_connections_are_closed(cu):
    node, _, _ = start_node(cu, extra_args=["--idle-timeout", "1"])
    rpc = node.connect(cu)
    check_equal(rpc.call("node.ping"), {"pong": True}, "a fresh connection works")
    t0 = time.monotonic()
    # Nothing but idleness closes this connection, so its end is the state; the 60 s is a guard.
    read_until_closed(rpc.sock, 60)
    waited = time.monotonic() - t0
    check(0.9 <= waited, "not closed before 1 s of idleness", waited=waited)
    healthy(node, "after the idle timeout")


# ---------------------------------------------------------------------------------------------
# TCP authentication


def test_tcp_needs_a_private_secret_file(cu):
    d = cu.tempdir()
    done = run_berthd(["--listen", "tcp://127.0.0.1:0", "--run-dir", d])
    check_equal(done.returncode, 64, "tcp without --secret-file", stderr=done.stderr)
    check_in("--secret-file", done.stderr, "the error names the flag")
    path, _ = write_secret(d, mode=0o644)
    done = run_berthd(["--listen", "tcp://127.0.0.1:0", "--run-dir", d, "--secret-file", path])
    check_equal(done.returncode, 64, "world-readable secret", stderr=done.stderr)
    check_in("readable by other users", done.stderr, "the error says why")
    # A usage error changes nothing: no embedded manager was started (its directory is RUN-DIR-manager).
    cu.push(f"remove {d}-manager", shutil.rmtree, d + "-manager", True)
    check(not os.path.exists(d + "-manager"), "no service manager was started for a bad setting")


def test_tcp_auth_refuses_everything_until_authenticated(cu):
    # The plain challenge-response's own rules (three tries, one nonce per response), on a node
    # without the channel; test_channel.py covers the channel's.
    node, port, secret = start_node(cu, tcp=True, extra_args=["--tcp-plain"])
    rpc = harness.RpcClient.tcp("127.0.0.1", port)
    cu.push("close", rpc.close)
    hello = rpc.call("node.hello", {"protocols": [1]})
    check_equal(hello["authRequired"], True, "hello over TCP says auth is required")
    for method in ("node.ping", "node.info", "rpc.discover", "container.list"):
        response = rpc.request(method)
        check_equal(error_kind(response), "unauthorized", f"{method} before auth")
    batch = rpc.batch([{"jsonrpc": "2.0", "id": 1, "method": "node.ping"}])
    check_equal(error_kind(batch[0]), "unauthorized", "a batch before auth")
    # A response without a challenge, then a wrong secret: refused.
    response = rpc.request("auth.response", {"clientNonce": "00" * 16, "response": "00" * 32})
    check_equal(error_kind(response), "unauthorized", "response without a challenge")
    challenge = rpc.call("auth.challenge", {})
    client_nonce = os.urandom(16).hex()
    response = rpc.request("auth.response", {"clientNonce": client_nonce,
                                             "response": client_mac(b"wrong secret wrong secret", challenge["nonce"], client_nonce)})
    check_equal(error_kind(response), "unauthorized", "wrong secret")
    check_equal(error_kind(rpc.request("node.ping")), "unauthorized", "still refused after a wrong secret")
    # The third failure closes the connection.
    rpc.request("auth.response", {"clientNonce": client_nonce, "response": "00" * 32})
    read_until_closed(rpc.sock, 5)

    # A replayed response: valid for one challenge, refused on another connection's and on a reuse.
    first = harness.RpcClient.tcp("127.0.0.1", port)
    cu.push("close", first.close)
    challenge = first.call("auth.challenge", {})
    client_nonce = os.urandom(32).hex()
    params = {"clientNonce": client_nonce, "response": client_mac(secret, challenge["nonce"], client_nonce)}
    second = harness.RpcClient.tcp("127.0.0.1", port)
    cu.push("close", second.close)
    second.call("auth.challenge", {})
    check_equal(error_kind(second.request("auth.response", params)), "unauthorized", "response replayed on another connection")
    check_equal(first.call("auth.response", params)["authenticated"], True, "the genuine response")
    check_equal(first.call("node.ping"), {"pong": True}, "methods run after auth")
    third = harness.RpcClient.tcp("127.0.0.1", port)
    cu.push("close", third.close)
    check_equal(error_kind(third.request("auth.response", params)), "unauthorized", "replay without a challenge")
    third.call("auth.challenge", {})
    check_equal(error_kind(third.request("auth.response", params)), "unauthorized", "replay against a fresh challenge")
    log = node.log()
    check_in("refused_unauthenticated", log, "refusals are logged")
    check_in("auth_failed", log, "failures are logged")


def test_tcp_over_ipv6_loopback(cu):
    if not socket.has_ipv6:
        return
    d = cu.tempdir()
    path, secret = write_secret(d)
    port = harness.free_tcp_port()
    node = harness.Node(os.path.join(d, "node"), extra_args=["--listen", f"tcp://[::1]:{port}", "--secret-file", path])
    cu.push("stop", node.stop)
    node.start()
    sock = socket.create_connection(("::1", port), timeout=5)
    rpc = harness.RpcClient(sock)
    cu.push("close", rpc.close)
    authenticate(rpc, secret)
    check_equal(rpc.call("node.ping"), {"pong": True}, "ping over [::1]")


# ---------------------------------------------------------------------------------------------
# Unix peer check, signals, flags


def test_unix_peer_outside_the_allowed_users_is_refused(cu):
    if os.getuid() != 0 or not shutil.which("socat"):
        return  # needs another uid to connect from
    node, _, _ = start_node(cu)
    os.chmod(node.socket_path, 0o666)  # so the file mode lets nobody connect and SO_PEERCRED decides
    path = node.socket_path
    while path != "/tmp":
        path = os.path.dirname(path)
        os.chmod(path, os.stat(path).st_mode | 0o011)  # let uid 65534 reach the socket
    # Read-only: the node answers a refused peer at accept, before any request.
    done = subprocess.run(["socat", "-u", f"UNIX-CONNECT:{node.socket_path}", "STDOUT"], capture_output=True, timeout=15,
                          stdin=subprocess.DEVNULL, user=65534, group=65534, extra_groups=[])
    replies = lines(done.stdout)
    check_equal([(r.get("id"), error_kind(r)) for r in replies], [(None, "unauthorized")], "uid 65534 refused, nothing run",
                stderr=done.stderr)
    check_in("peer_refused", node.log(), "the refusal is logged")
    healthy(node, "after a refused peer")


def test_unix_peer_in_the_configured_group_is_allowed(cu):
    if os.getuid() != 0 or not shutil.which("socat"):
        return
    import grp
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        return
    node, _, _ = start_node(cu, extra_args=["--group", "nogroup"])
    st = os.stat(node.socket_path)
    check_equal((st.st_gid, st.st_mode & 0o777), (gid, 0o660), "socket group and mode")
    path = node.socket_path
    while path != "/tmp":
        path = os.path.dirname(path)
        os.chmod(path, os.stat(path).st_mode | 0o011)
    ping = b'{"jsonrpc":"2.0","id":1,"method":"node.ping"}\n'
    # Primary group, then only a supplementary one: both are members.
    for group, extra in ((gid, []), (65533 if gid != 65533 else 65532, [gid])):
        done = subprocess.run(["socat", "-t", "2", "-", f"UNIX-CONNECT:{node.socket_path}"], capture_output=True,
                              timeout=15, input=ping, user=65534, group=group, extra_groups=extra)
        check_equal(lines(done.stdout), [{"jsonrpc": "2.0", "id": 1, "result": {"pong": True}}],
                    f"uid 65534 with group {group} and supplementary {extra}", stderr=done.stderr, log=node.log())
    run_dir = cu.tempdir()
    cu.push(f"remove {run_dir}-manager", shutil.rmtree, run_dir + "-manager", True)
    done = run_berthd(["--group", "no-such-group-here", "--run-dir", run_dir])
    check_equal(done.returncode, 64, "an unknown group", stderr=done.stderr)
    check_in("no-such-group-here", done.stderr, "the error names the group")
    check(not os.path.exists(run_dir + "-manager"), "no service manager was started for an unknown group")


def test_sigterm_while_requests_are_in_flight_exits_zero(cu):
    node, _, _ = start_node(cu)
    clients = [node.connect(cu) for _ in range(4)]
    burst = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"node.info"}\n' % k for k in range(5000))
    for rpc in clients:
        rpc.send_raw(burst)
    proc = node.proc
    received = {}

    def drain(k, rpc):
        received[k] = read_until_closed(rpc.sock, 20)
    import threading
    readers = [threading.Thread(target=drain, args=(k, rpc)) for k, rpc in enumerate(clients)]
    proc.send_signal(signal.SIGTERM)
    for t in readers:
        t.start()
    check_equal(proc.wait(60), 0, "exit status after SIGTERM", log=node.log())
    # Waiting out the grace period is what the node logs as grace_period_over (the minute above is
    # only a guard against a hang).
    check("grace_period_over" not in node.log(), "clients that read their answers are drained without waiting out the grace period",
          log=node.log())
    for t in readers:
        t.join(20)
    for k in range(len(clients)):
        got = lines(received.get(k, b""))
        for reply in got:
            check("result" in reply and "hostname" in reply["result"], "every answer sent is a whole, successful response", reply=reply)
        ids = [r["id"] for r in got]
        check_equal(len(ids), len(set(ids)), "no request answered twice")
    check(not os.path.exists(node.socket_path), "the socket file is removed")
    check_in("stopping", node.log(), "the shutdown is logged")


def test_help_version_and_usage_errors(cu):
    done = run_berthd(["--help"])
    check_equal(done.returncode, 0, "--help")
    for flag in ("--listen", "--state-dir", "--run-dir", "--unit-dir", "--secret-file", "--group", "--max-connections",
                 "--max-line-bytes", "--idle-timeout", "--manager", "--runtime", "--systemd-client", "--port-range", "--config",
                 "--log-level", "--version"):
        check_in(flag, done.stdout, "--help mentions every flag")
    check_in("berthd 0.", run_berthd(["--version"]).stdout, "--version")
    for argv in (["--bogus"], ["--listen", "http://x"], ["--max-connections", "0"], ["--manager"], ["stray"],
                 ["--config", "/nonexistent/berthd.conf"]):
        done = run_berthd(argv)
        check_equal(done.returncode, 64, f"usage error {argv}", stderr=done.stderr)
        check_in("usage: berthd", done.stderr, f"usage line for {argv}")


def test_config_file_with_flags_overriding(cu):
    d = cu.tempdir()
    conf = os.path.join(d, "berthd.conf")
    with open(conf, "w") as f:
        f.write(f"# test\nlisten = unix:{d}/from-file.sock\nmax-line-bytes = 4096\nmanager = user\n")
    node = harness.Node(os.path.join(d, "node"), extra_args=["--config", conf, "--manager", "embedded"])
    cu.push("stop", node.stop)
    node.start()
    check(not os.path.exists(f"{d}/from-file.sock"), "--listen flags replace the file's listen lines")
    rpc = node.connect(cu)
    check_equal(rpc.call("node.info")["managerMode"], "embedded", "the flag overrides the file")
    rpc.send_raw(b"x" * 5000 + b"\n")
    check_equal(error_kind(rpc.recv()), "line_too_long", "max-line-bytes from the file")
    with open(conf, "a") as f:
        f.write("bogus-key = 1\n")
    done = run_berthd(["--config", conf])
    check_equal(done.returncode, 64, "unknown key in the file")
    check_in("berthd.conf:5: unknown key 'bogus-key'", done.stderr, "the error names file, line and key")


def test_socat_as_an_independent_client(cu):
    if not shutil.which("socat"):
        return
    node, _, _ = start_node(cu)
    done = subprocess.run(["socat", "-t", "2", "-", f"UNIX-CONNECT:{node.socket_path}"], capture_output=True,
                          input=b'{"jsonrpc":"2.0","id":"s","method":"node.ping","params":{"echo":[1,2]}}\n', timeout=15)
    check_equal(json.loads(done.stdout), {"jsonrpc": "2.0", "id": "s", "result": {"pong": True, "echo": [1, 2]}}, "socat ping")


if __name__ == "__main__":
    harness.main()
