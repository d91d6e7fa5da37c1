#!/usr/bin/env python3
"""berthd's connection budgets against peers that never authenticate, on a real node over real
sockets (python3 stdlib clients): TCP never takes the Unix socket's slots, unauthenticated TCP
connections have a budget of their own and a deadline from accept that input does not extend, one
address has a limit of its own, and an authenticated connection leaves the unauthenticated budget.

Loopback sources 127.0.0.2, 127.0.0.3, ... stand for other hosts: Linux accepts any 127/8 source on
the loopback interface, and the node sees each as its own peer address."""

import json
import os
import shutil
import socket
import threading
import time

import harness
from harness import check, check_equal, check_in, read_until_closed
from test_wire import authenticate, error_kind, start_node

HELLO = b'{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"protocols":[1]}}\n'


def tcp_from(cu, source, port):
    """A TCP socket from SOURCE (a loopback address) to the node, closed by the cleanup."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    cu.push(f"close a socket from {source}", sock.close)
    return sock


def first_line(sock):
    """The node's first line on SOCK, parsed; None when it closed (or reset) without one."""
    data = b""
    while b"\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:  # a refused peer's unread hello makes the node's close a reset
            chunk = b""
        if not chunk:
            return None
        data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def squat(cu, source, port):
    """A connection that says node.hello (allowed before auth, so it is in) and never authenticates."""
    sock = tcp_from(cu, source, port)
    sock.sendall(HELLO)
    reply = first_line(sock)
    check(reply is not None and reply.get("id") == 1 and reply["result"]["authRequired"] is True,
          f"a connection from {source} is taken and answers node.hello", reply=reply)
    return sock


def refused(cu, source, port):
    """A connection the node refuses at once: its one line is a `busy` error with id null."""
    sock = tcp_from(cu, source, port)
    try:
        sock.sendall(HELLO)
    except OSError:
        pass  # the node may have closed already; its line is still queued for us
    reply = first_line(sock)
    check(reply is not None and reply.get("id") is None and error_kind(reply) == "busy",
          f"a connection from {source} is refused with busy", reply=reply)
    read_until_closed(sock, 10)
    return reply["error"]["message"]


def authenticated(cu, source, port, secret):
    rpc = harness.RpcClient(tcp_from(cu, source, port))
    check_equal(rpc.call("node.hello", {"protocols": [1]})["authRequired"], True, f"hello from {source}")
    authenticate(rpc, secret)
    check_equal(rpc.call("node.ping"), {"pong": True}, f"an authenticated client from {source} works")
    return rpc


def unix_ping(node, what):
    rpc = harness.RpcClient.unix(node.socket_path, 10)
    try:
        check_equal(rpc.call("node.ping", {"echo": what}), {"pong": True, "echo": what}, what)
    finally:
        rpc.close()


def test_tcp_budgets_keep_unix_and_authenticated_clients_in(cu):
    # 12 connections, 9 of them TCP at most (the Unix socket keeps 3), 3 unauthenticated, 4 per
    # address. The deadline is long here so that nothing closes while the budgets are checked.
    node, port, secret = start_node(cu, tcp=True, extra_args=[
        "--max-connections", "12", "--max-tcp-connections", "9", "--max-unauthenticated", "3",
        "--max-connections-per-address", "4", "--auth-timeout", "600"])

    # Four clients from one address authenticate one after the other: each leaves the
    # unauthenticated budget (3) once through, so the fourth gets in.
    clients = [authenticated(cu, "127.0.0.1", port, secret) for _ in range(4)]
    message = refused(cu, "127.0.0.1", port)
    check_in("127.0.0.1", message, "the refusal names the address over its limit")
    check_in("per address", message, "and says which limit")
    clients += [authenticated(cu, "127.0.0.5", port, secret) for _ in range(2)]

    # Three peers that never authenticate fill the unauthenticated budget (and TCP's, 9).
    squatters = [squat(cu, "127.0.0.2", port), squat(cu, "127.0.0.2", port), squat(cu, "127.0.0.3", port)]
    for k in range(6):
        refused(cu, f"127.0.1.{k + 1}", port)
    # The Unix socket keeps its 3 slots: local calls still work, on 3 connections held at once.
    held = [node.connect(cu) for _ in range(3)]
    for k, rpc in enumerate(held):
        check_equal(rpc.call("node.ping", {"echo": f"unix {k}"}), {"pong": True, "echo": f"unix {k}"},
                    f"Unix connection {k} with TCP at its limit")
    for rpc in clients:
        check_equal(rpc.call("node.ping"), {"pong": True}, "the authenticated clients still work")

    # Below TCP's limit, only the unauthenticated budget refuses a new peer.
    clients.pop().close()  # the node notices the close a moment later
    harness.eventually(lambda: "not authenticated" in refused(cu, "127.0.1.9", port),
                       "a refusal by the unauthenticated budget", timeout=10)
    for sock in squatters:
        sock.close()
    harness.eventually(lambda: authenticated(cu, "127.0.1.9", port, secret), "room once the squatters left", timeout=10)
    unix_ping(node, "after it all")
    check(node.proc.poll() is None, "berthd is still running", log=node.log())


def test_unauthenticated_connections_are_closed_at_their_deadline(cu):
    node, port, secret = start_node(cu, tcp=True, extra_args=["--auth-timeout", "2"])
    t0 = time.monotonic()
    client = authenticated(cu, "127.0.0.1", port, secret)
    quiet = squat(cu, "127.0.0.2", port)
    trickler = squat(cu, "127.0.0.3", port)

    # One byte every 0.2 s (a line that never ends): input, but no authentication.
    sent = []
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.2):
            try:
                trickler.send(b" ")
            except OSError:
                return
            sent.append(time.monotonic())
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    cu.push("stop the trickle", lambda: (stop.set(), thread.join(5)))

    for name, sock in (("a quiet peer", quiet), ("a trickling peer", trickler)):
        replies = [json.loads(line) for line in read_until_closed(sock, 30).split(b"\n") if line]
        waited = time.monotonic() - t0
        check_equal([(r.get("id"), error_kind(r)) for r in replies], [(None, "timeout")],
                    f"{name} gets one timeout error line, then the node closes", replies=replies)
        check(waited >= 2.0, f"{name} was not closed before its deadline", waited=waited)
    stop.set()
    thread.join(5)
    check(len(sent) >= 3, "the trickling peer sent input before its deadline", sent=len(sent))

    # The authenticated client is past the deadline too, and was left alone.
    check_equal(client.call("node.ping"), {"pong": True}, "an authenticated connection outlives the deadline")
    unix_ping(node, "Unix after the deadline")
    check_in("auth_deadline_closed", node.log(), "the closes are logged")


def test_budget_settings_are_checked(cu):
    from test_wire import run_berthd
    d = cu.tempdir()
    for argv, needle in (
            (["--max-connections", "8", "--max-tcp-connections", "8"], "must be less than --max-connections"),
            (["--max-unauthenticated", "0"], "--max-unauthenticated"),
            (["--max-connections-per-address", "x"], "--max-connections-per-address"),
            (["--auth-timeout", "0"], "--auth-timeout")):
        done = run_berthd(argv + ["--run-dir", d])
        check_equal(done.returncode, 64, f"berthd {' '.join(argv)}", stderr=done.stderr)
        check_in(needle, done.stderr, "the usage error names the setting")
    check(not os.path.exists(d + "-manager"), "nothing was started for a bad setting")
    cu.push(f"remove {d}-manager", shutil.rmtree, d + "-manager", True)
    done = run_berthd(["--help"])
    for flag in ("--max-tcp-connections", "--max-unauthenticated", "--max-connections-per-address", "--auth-timeout"):
        check_in(flag, done.stdout, "--help lists it")


if __name__ == "__main__":
    harness.main()
