#!/usr/bin/env python3
"""The secure TCP channel (channel.v1, docs/protocol.md "The secure channel") against a real berthd:
an independent Python client (berth_channel, on the `cryptography` package) does hello, the
handshake, container.list, an install and an events subscription over it; a man-in-the-middle proxy
on loopback flips a bit, replays, reorders, drops or truncates a record, or injects a plaintext
request, and each ends the connection with nothing executed; a client without the channel is
refused unless the node runs with --tcp-plain; berth speaks the channel, and refuses a plain node.
The client side the other way round: `berth` and `berth agent` against a Python server stub of the
channel (channel_stub), which shows what it answered; a stub that tampers with a record or cannot
prove the secret makes berth fail, naming the channel or the proof, and print nothing it answered."""

import os
import socket
import struct
import subprocess
import threading

import berth_channel
import channel_stub
import harness
from harness import check, check_equal, check_in, read_until_closed
from test_agent import Agent, berth, write_secret
from test_wire import authenticate_plain, error_kind, start_node

BUSYBOX = "localhost/busybox:latest"


def install(cid):
    return {"id": cid, "image": BUSYBOX, "command": ["sleep", "600"]}


def ids_on_node(node):
    rpc = harness.RpcClient.unix(node.socket_path, 10)
    try:
        return sorted(c["id"] for c in rpc.call("container.list", {})["containers"])
    finally:
        rpc.close()


def open_client(port, secret):
    rpc = harness.RpcClient.tcp("127.0.0.1", port, 10)
    rpc.call("node.hello", {"protocols": [1]})
    berth_channel.open_channel(rpc, secret)
    return rpc


def test_python_client_lists_installs_and_follows_events(cu):
    node, port, secret = start_node(cu, tcp=True)
    rpc = harness.RpcClient.tcp("127.0.0.1", port, 10)
    cu.push("close", rpc.close)
    hello = rpc.call("node.hello", {"protocols": [1]})
    check_in(berth_channel.VERSION, hello["capabilities"], "hello announces the channel")
    result = berth_channel.open_channel(rpc, secret)
    check_equal(result["channel"], berth_channel.VERSION, "auth.response names the channel")
    check_equal(rpc.call("container.list", {}), {"containers": []}, "list over the channel")
    sub = rpc.call("events.subscribe", {})
    check("subscription" in sub, "subscribed over the channel", sub=sub)
    cid = harness.unique_name("chan")
    status = rpc.call("container.install", install(cid))
    check_equal(status.get("id"), cid, "install over the channel")
    # A frame larger than one record (16384 bytes) crosses as several.
    big = "x" * 50000
    check_equal(rpc.call("node.ping", {"echo": big}), {"pong": True, "echo": big}, "a 50 kB ping in several records")
    harness.eventually(lambda: any(n["params"]["event"].get("id") == cid for n in rpc.notifications),
                       "the install's event arrives sealed")
    check_equal(ids_on_node(node), [cid], "the container is there")


class Proxy:
    """A man in the middle on loopback: node-to-client bytes pass as they are; client-to-node bytes
    pass until the auth.response line, then each record goes through TAMPER(records) once
    EXPECT records have arrived, which returns the bytes to send instead (None: close)."""

    def __init__(self, cu, port, expect, tamper):
        self.listener = socket.create_server(("127.0.0.1", 0))
        cu.push("close the proxy", self.listener.close)
        self.port = self.listener.getsockname()[1]
        self.node_port, self.expect, self.tamper, self.cu = port, expect, tamper, cu
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        client, _ = self.listener.accept()
        node = socket.create_connection(("127.0.0.1", self.node_port))
        self.cu.push("close", client.close)
        self.cu.push("close", node.close)
        threading.Thread(target=self.pump, args=(node, client), daemon=True).start()
        buffered, plain, records = b"", True, []
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            buffered += chunk
            if plain:
                while b"\n" in buffered and plain:
                    line, buffered = buffered.split(b"\n", 1)
                    node.sendall(line + b"\n")
                    plain = b'"auth.response"' not in line
                if plain:
                    continue
            while len(buffered) >= 4 and len(buffered) >= 4 + struct.unpack(">I", buffered[:4])[0]:
                n = 4 + struct.unpack(">I", buffered[:4])[0]
                records.append(buffered[:n])
                buffered = buffered[n:]
            if len(records) >= self.expect:
                out = self.tamper(records)
                if out is None:
                    break
                node.sendall(out)
                records = []
        try:
            node.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                dst.sendall(chunk)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def flip(record):
    b = bytearray(record)
    b[10] ^= 0x01
    return bytes(b)


def test_a_man_in_the_middle_gets_nothing_executed(cu):
    node, port, secret = start_node(cu, tcp=True)
    cases = [
        # (name, records the client sends, tamper)
        ("flip one bit", 1, lambda r: flip(r[0])),
        ("replay a frame", 2, lambda r: r[0] + r[0]),
        ("reorder two", 2, lambda r: r[1] + r[0]),
        ("drop one", 2, lambda r: r[1]),
        ("truncate one", 2, lambda r: r[0][:-1] + r[1]),
        ("inject plaintext", 1, None),
    ]
    for name, count, tamper in cases:
        marker = harness.unique_name("mitm")
        inject = (b'{"jsonrpc":"2.0","id":99,"method":"container.install","params":{"id":"%s","image":"%s"}}\n'
                  % (marker.encode(), BUSYBOX.encode()))
        proxy = Proxy(cu, port, count, tamper or (lambda r: inject))
        rpc = open_client(proxy.port, secret)
        cu.push("close", rpc.close)
        if count == 1 and tamper is None:
            # The injected line goes first; the client's own record never reaches the node.
            rpc.start("node.ping")
            installs = set()
        elif count == 1:
            installs = {rpc.start("container.install", install(marker))}
        else:
            # A ping, then the install: a replayed ping runs once (the genuine one) and the replay
            # ends the connection; reordered or dropped, the node runs neither.
            rpc.start("node.ping")
            installs = {rpc.start("container.install", install(marker))}
        # The node ends the connection; whatever it answered before, the install is not among it.
        try:
            while True:
                message = rpc.recv(timeout=10)
                check(message.get("id") not in installs, f"{name}: the install was answered", answer=message)
        except harness.ConnectionClosed:
            pass
        except berth_channel.ChannelBroken:
            raise harness.TestFailure(f"{name}: the node's records did not open")
        ids = ids_on_node(node)
        check(marker not in ids, f"{name}: nothing was installed", ids=ids)
    log = node.log()
    check(log.count("channel_failed") >= 5, "each tampering is logged as channel_failed", log=log[-3000:])
    check_equal(ids_on_node(node), [], "no container at all")


def test_a_client_without_the_channel_is_refused_unless_tcp_plain(cu):
    node, port, secret = start_node(cu, tcp=True)
    rpc = harness.RpcClient.tcp("127.0.0.1", port, 10)
    cu.push("close", rpc.close)
    challenge = rpc.call("auth.challenge", {})
    check_equal(challenge.get("channel"), berth_channel.VERSION, "the challenge offers the channel")
    client_nonce = os.urandom(16).hex()
    import test_wire
    response = rpc.request("auth.response", {"clientNonce": client_nonce,
                                             "response": test_wire.client_mac(secret, challenge["nonce"], client_nonce)})
    check_equal(error_kind(response), "unsupported_version", "a plain response is refused")
    check_in("channel.v1", response["error"]["message"], "the refusal names the channel")
    read_until_closed(rpc.sock, 10)

    # Bad keys: a malformed one is invalid_params, a low-order one (all zeros) unauthorized; each
    # closes the connection, and neither authenticates it.
    for key, kind in (("zz" * 32, "invalid_params"), ("00" * 32, "unauthorized")):
        rpc = harness.RpcClient.tcp("127.0.0.1", port, 10)
        cu.push("close", rpc.close)
        challenge = rpc.call("auth.challenge", {})
        params, _, _ = berth_channel.response_params(challenge, secret)
        params["publicKey"] = key
        # The MAC over the key as sent, so only the key itself is wrong.
        t = berth_channel.transcript(challenge["nonce"], params["clientNonce"], challenge["publicKey"], key)
        params["response"] = berth_channel.client_mac(secret, t)
        response = rpc.request("auth.response", params)
        check_equal(error_kind(response), kind, f"publicKey {key[:8]}...", response=response)
        if kind == "unauthorized":
            check_in("low-order", response["error"]["message"], "the refusal says why")
        read_until_closed(rpc.sock, 10)

    plain, plain_port, plain_secret = start_node(cu, tcp=True, extra_args=["--tcp-plain"])
    rpc = harness.RpcClient.tcp("127.0.0.1", plain_port, 10)
    cu.push("close", rpc.close)
    check(berth_channel.VERSION not in rpc.call("node.hello", {"protocols": [1]})["capabilities"],
          "a --tcp-plain node does not announce the channel")
    authenticate_plain(rpc, plain_secret)
    check_equal(rpc.call("node.ping"), {"pong": True}, "plain TCP with --tcp-plain")


def test_berth_speaks_the_channel_and_refuses_a_plain_node(cu):
    node, port, secret = start_node(cu, tcp=True)
    secret_file = os.path.join(os.path.dirname(node.dir), "secret")
    berth = os.path.join(harness.bin_dir(), "berth")
    address = f"tcp://127.0.0.1:{port}"
    done = subprocess.run([berth, "--secret-file", secret_file, "--node", address, "node", "info"],
                          capture_output=True, text=True, timeout=30)
    check_equal(done.returncode, 0, "berth node info over the channel", stderr=done.stderr)
    check_in("channel.v1", done.stdout, "its capabilities")
    done = subprocess.run([berth, "--tcp-plain", "--secret-file", secret_file, "--node", address, "node", "info"],
                          capture_output=True, text=True, timeout=30)
    check(done.returncode != 0, "berth --tcp-plain is refused by a channel node", stdout=done.stdout)
    plain, plain_port, _ = start_node(cu, tcp=True, extra_args=["--tcp-plain"])
    plain_file = os.path.join(os.path.dirname(plain.dir), "secret")
    plain_address = f"tcp://127.0.0.1:{plain_port}"
    done = subprocess.run([berth, "--secret-file", plain_file, "--node", plain_address, "node", "info"],
                          capture_output=True, text=True, timeout=30)
    check(done.returncode != 0, "berth refuses a node without the channel", stdout=done.stdout)
    check_in("--tcp-plain", done.stderr, "and says how to allow it")
    done = subprocess.run([berth, "--tcp-plain", "--secret-file", plain_file, "--node", plain_address, "node", "info"],
                          capture_output=True, text=True, timeout=30)
    check_equal(done.returncode, 0, "berth --tcp-plain against berthd --tcp-plain", stderr=done.stderr)


# ---------------------------------------------------------------------------------------------
# The client side against a Python server stub


STUB_SECRET = b"channel stub e2e shared secret 0123456789"


def stub_answers(marker):
    """Canned answers naming MARKER, so the output shows they came from the stub."""
    info = {"version": "stub-1.0", "hostname": f"{marker}-host", "addresses": ["198.18.0.9"], "protocols": [1],
            "capabilities": [berth_channel.VERSION], "uptimeSeconds": 42, "managerMode": "user",
            "runtime": "podman", "stateDir": "/var/lib/stub", "role": "read"}
    listing = {"containers": [{"id": f"{marker}-web", "image": "localhost/stub", "state": "active",
                               "subState": "running", "ports": [{"internal": 8080, "external": 40123}],
                               "enabled": True, "socketActivated": False}]}
    return {"node.info": info, "container.list": listing}


def stub_run(stub, secret_file, command, agent=None):
    return berth(["--agent", agent.path if agent else "", "--node", stub.address, "--secret-file", secret_file, *command])


def shown(marker):
    """Each command run against the stub, and a line of its output that only the stub's answer makes."""
    return [(["node", "info"], f"hostname:      {marker}-host"),
            (["ps"], f"{marker}-web  active (running)  localhost/stub  40123->8080")]


def check_stub_answered(done, line, what):
    check_equal(done.returncode, 0, f"{what}: exit status", stderr=done.stderr)
    check_equal(done.stderr, "", f"{what}: nothing on stderr")
    check_in(line, done.stdout.splitlines(), f"{what}: the stub's answer")


def check_refused(done, marker, what, status, reason):
    """berth failed with STATUS and REASON on stderr, and printed nothing the stub answered."""
    check_equal(done.returncode, status, f"{what}: exit status", stdout=done.stdout, stderr=done.stderr)
    check_in(reason, done.stderr, f"{what}: the error says why")
    check_equal(done.stdout, "", f"{what}: nothing printed", stderr=done.stderr)
    check(marker not in done.stderr, f"{what}: nothing the stub answered on stderr", stderr=done.stderr)


TAMPERED = "a channel record failed authentication"
UNPROVEN = "could not prove it holds the shared secret"


def test_berth_against_a_python_server_stub(cu):
    directory = cu.tempdir("berth-stub-")
    secret_file = write_secret(directory, "secret", STUB_SECRET)
    marker = harness.unique_name("stub")
    stub = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker))
    for command, line in shown(marker):
        check_stub_answered(stub_run(stub, secret_file, command), line, " ".join(command))
    check_equal(len(stub.seen("client MAC checked")), 2, "the stub checked each connection's MAC", events=stub.events)
    check_equal([stub.seen("sealed node.info"), stub.seen("sealed container.list")], [[1], [2]],
                "each call reached the stub sealed, on its own connection", events=stub.events)

    # The stub checks the client's MAC: berth with another secret is refused, as by a node.
    wrong_file = write_secret(directory, "wrong", b"another secret, 0123456789abcdef")
    done = stub_run(stub, wrong_file, ["node", "info"])
    check_refused(done, marker, "a wrong secret", 77, "refused authentication: unauthorized")

    # Someone on the path flips a bit of the answer's record: the answer never shows.
    tampering = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker), tamper_from=0)
    for command, _ in shown(marker):
        check_refused(stub_run(tampering, secret_file, command), marker, f"{command} from a tampered record", 1,
                      f"{tampering.address}: {TAMPERED}")
    check_equal(len(tampering.seen("tampered node.info")), 1, "the stub tampered with the info", events=tampering.events)

    # A squatter that does not hold the secret answers the call that rides behind auth.response
    # (node.info may precede the proof): berth checks the proof first and shows none of it.
    squatter = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker), wrong_proof=True)
    for command, _ in shown(marker):
        check_refused(stub_run(squatter, secret_file, command), marker, f"{command} behind a wrong proof", 77, UNPROVEN)
    check_equal([squatter.seen("sealed node.info"), squatter.seen("sealed container.list")], [[1], [2]],
                "the squatter got (and answered) the pipelined calls", events=squatter.events)


def test_berth_agent_against_a_python_server_stub(cu):
    directory = cu.tempdir("berth-stub-agent-")
    secret_file = write_secret(directory, "secret", STUB_SECRET)
    marker = harness.unique_name("stub")
    agent = Agent(cu).start()

    # One kept connection serves three commands: the records' counters run on across them.
    stub = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker))
    (info, info_line), (ps, ps_line) = shown(marker)
    for command, line in ((info, info_line), (ps, ps_line), (ps, ps_line)):
        check_stub_answered(stub_run(stub, secret_file, command, agent), line, f"{command} through the agent")
    check_equal(stub.seen("connected"), [1], "one connection for the three commands", events=stub.events)
    check_equal(stub.seen("sealed container.list"), [1, 1], "both lists sealed on it", events=stub.events)

    # From the second answer on, a bit of each answer's record is flipped: the first command shows
    # the stub's answer, the next ones fail and show nothing, on the kept connection as on a new one.
    tampering = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker), tamper_from=1)
    check_stub_answered(stub_run(tampering, secret_file, info, agent), info_line, "node info through the agent")
    for run in ("kept connection", "new connection"):
        check_refused(stub_run(tampering, secret_file, ps, agent), marker, f"ps from a tampered record ({run})", 1,
                      f"{tampering.address}: {TAMPERED}")
    check_equal(tampering.seen("tampered container.list"), [1, 2],
                "tampered on the kept connection, then on the one opened after it broke", events=tampering.events)

    squatter = channel_stub.ChannelStub(cu, STUB_SECRET, stub_answers(marker), wrong_proof=True)
    check_refused(stub_run(squatter, secret_file, info, agent), marker, "node info behind a wrong proof", 77, UNPROVEN)
    agent.alive("after the refusals")


if __name__ == "__main__":
    harness.main()
