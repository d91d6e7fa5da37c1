#!/usr/bin/env python3
"""Roles, secret rotation and the audit log on a real berthd, with python3's standard library as the
client (and the berth CLI where a user would use it):

- every method of the node's own OpenRPC document under every role (read, operate, admin), each
  role a secret of its own on TCP: a method the role allows does not answer unauthorized; one it
  does not answers unauthorized naming the role it needs, and the node's state is unchanged;
- node.info tells each connection its role; the single-secret file of before roles is admin;
- Unix peers (other uids, run with setpriv) get the role their groups map to, or are refused;
- rotation: after SIGHUP old and new secrets both work, after the next one only the new; an
  authenticated connection survives both reloads, and one whose secret was removed must
  authenticate again (on the same connection); a file that does not load changes nothing;
- `berth agent`: a kept connection whose secret the node removed is refused; SIGHUP makes the
  agent drop its kept connections, so the next command authenticates afresh;
- the audit log: one line per mutation (refused ones too) with who, what and the result; none for
  reads; never an environment value."""

import json
import os
import signal
import subprocess
import sys

import berth_channel
import harness
from harness import check, check_equal, check_in

BUSYBOX = "localhost/busybox:latest"
RANK = {"read": 0, "operate": 1, "admin": 2}
SECRETS = {"boss": ("admin", b"admin-secret-0123456789abcdef"),
           "ops": ("operate", b"operate-secret-0123456789abcdef"),
           "viewer": ("read", b"read-secret-0123456789abcdef")}
ENV_VALUE = "never-in-the-log-8c1f"


def write_keyring(path, entries):
    """ENTRIES: {name: (role, secret)} in the `berth-secrets 1` format, mode 0600."""
    text = "berth-secrets 1\n# name role secret\n" + "".join(
        f"{name} {role} {secret.decode()}\n" for name, (role, secret) in entries.items())
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", 0o600)
    os.rename(path + ".tmp", path)


def authenticate(rpc, secret, key_id=None):
    """The challenge-response (with keyId when given); returns the RpcError, or None after checking
    the node's proof."""
    try:
        berth_channel.open_channel(rpc, secret, key_id)  # checks the node's proof
    except harness.RpcError as error:
        return error
    return None


def tcp_client(cu, port, secret=None, key_id=None):
    rpc = harness.RpcClient.tcp("127.0.0.1", port)
    cu.push("close tcp client", rpc.close)
    if secret is not None:
        error = authenticate(rpc, secret, key_id)
        check(error is None, f"authenticated with {key_id or 'no keyId'}", error=str(error))
    return rpc


def start_node(cu, secret_entries=None, legacy_secret=None, manager=None, extra_args=()):
    """berthd with a TCP listener and a secret file (keyring or single secret). Returns (node, port, path)."""
    directory = cu.tempdir("berth-roles-")
    path = os.path.join(directory, "secrets")
    if legacy_secret is not None:
        with open(path, "wb") as f:
            f.write(legacy_secret + b"\n")
        os.chmod(path, 0o600)
    else:
        write_keyring(path, secret_entries)
    port = harness.free_tcp_port()
    node = harness.Node(os.path.join(directory, "node"), manager=manager,
                        extra_args=["--listen", f"tcp://127.0.0.1:{port}", "--secret-file", path, *extra_args])
    cu.push(f"stop berthd in {node.dir}", node.stop)
    node.start()
    return node, port, path


def audit_lines(node):
    """The audit records of the node's log, as dicts of their key=value fields."""
    records = []
    with open(node.log_path, errors="replace") as f:
        for line in f:
            words = line.split()
            if "audit" not in words[:4]:
                continue
            fields = {}
            for word in words[words.index("audit") + 1:]:
                key, _, value = word.partition("=")
                fields[key] = value
            records.append(fields)
    return records


def reload_secrets(node, count_before):
    """SIGHUP, then wait until the log shows one more reload (done or failed) than COUNT_BEFORE."""
    node.proc.send_signal(signal.SIGHUP)

    def reloads():
        with open(node.log_path, errors="replace") as f:
            return sum(1 for line in f if "secrets_reloaded" in line or "secrets_reload_failed" in line)
    harness.eventually(lambda: reloads() > count_before, "the node logs the reload")
    return reloads()


# ---------------------------------------------------------------------------------------------
# Every method under every role


def params_for(method, cid, victim, fresh):
    """Params for each documented method: the real container CID, VICTIM for delete, FRESH for install."""
    return {
        "node.hello": {"protocols": [1]},
        "node.info": {},
        "node.ping": {},
        "rpc.discover": {},
        "auth.challenge": {},
        "auth.response": {"clientNonce": "00" * 16, "response": "00" * 32},
        "container.install": {"id": fresh, "image": BUSYBOX, "command": ["sleep", "100000"]},
        "container.start": {"id": cid},
        "container.stop": {"id": cid, "wait": True},
        "container.restart": {"id": cid},
        "container.delete": {"id": victim},
        "container.status": {"id": cid},
        "container.list": {},
        "container.ports": {"id": cid},
        "container.env.get": {"id": cid},
        "container.env.set": {"id": cid, "environment": [{"name": "TOKEN", "value": ENV_VALUE}]},
        "container.env.patch": {"id": cid, "set": [{"name": "OTHER", "value": ENV_VALUE}]},
        "container.links.get": {"id": cid},
        "container.links.set": {"id": cid, "links": [{"fromHost": "127.0.0.1", "fromPort": 9000, "toHost": "198.18.0.9", "toPort": 1}]},
        "container.links.add": {"id": cid, "link": {"fromHost": "127.0.0.1", "fromPort": 9001, "toHost": "198.18.0.9", "toPort": 2}},
        "container.links.remove": {"id": cid, "fromPort": 9000},
        "container.logs": {"id": cid, "tail": 1},
        "events.subscribe": {"ids": [cid]},
        "events.unsubscribe": {"subscription": "no-such-subscription"},
    }[method]


def snapshot(admin, ids, with_states):
    """Everything a forbidden call could have changed, read as admin over the Unix socket. States
    only WITH_STATES: for read, whose row runs while nothing is started; operate's own restart may
    still be settling while its forbidden calls run."""
    containers = admin.call("container.list", {})["containers"]
    state = {"list": sorted((c["id"], c.get("state") if with_states else None) for c in containers)}
    for cid in ids:
        if not any(c["id"] == cid for c in containers):
            continue
        state[cid] = {"env": admin.call("container.env.get", {"id": cid}), "links": admin.call("container.links.get", {"id": cid})}
    return state


def test_every_method_under_every_role(cu):
    mgr = harness.Manager.start_new(cu)
    node, port, _ = start_node(cu, SECRETS, manager=mgr)
    admin = node.connect(cu)
    document = admin.call("rpc.discover", {})
    methods = [(m["name"], m["x-berth-role"], m["x-berth-mutates"]) for m in document["methods"]]
    check(len(methods) >= 24 and all(r in RANK for _, r, _ in methods), "every method names its role", methods=methods)
    cid, victim = harness.unique_name("rl-web"), harness.unique_name("rl-victim")
    for c in (cid, victim):
        cu.container(f"ctr-{c}")
        admin.call("container.install", {"id": c, "image": BUSYBOX, "command": ["sleep", "100000"]})
    cu.push("delete the test containers", lambda: [admin.call_error("container.delete", {"id": c}) for c in (cid, victim)])

    for name, (role, secret) in sorted(SECRETS.items(), key=lambda e: RANK[e[1][0]]):
        # Admin by keyId, the others without one (the node finds the secret): both ways name the role.
        rpc = tcp_client(cu, port, secret, key_id=name if role == "admin" else None)
        check_equal(rpc.call("node.info", {}).get("role"), role, f"node.info's role for {name}")
        fresh = harness.unique_name(f"rl-new-{role}")
        cu.container(f"ctr-{fresh}")
        for method, needed, mutates in methods:
            params = params_for(method, cid, victim, fresh)
            before = snapshot(admin, (cid, victim, fresh), role == "read") if RANK[role] < RANK[needed] else None
            response = rpc.request(method, params)
            error = response.get("error") or {}
            kind = (error.get("data") or {}).get("kind")
            if RANK[role] >= RANK[needed]:
                check(kind != "unauthorized", f"{role} may call {method}", response=response)
                if method == "events.subscribe" and "result" in response:
                    rpc.call("events.unsubscribe", {"subscription": response["result"]["subscription"]})
            else:
                check_equal(kind, "unauthorized", f"{role} calling {method} (needs {needed})", response=response)
                check_equal(error["data"].get("requiredRole"), needed, f"{method}'s refusal names the role it needs")
                check_equal(snapshot(admin, (cid, victim, fresh), role == "read"), before, f"{role} calling {method} changed nothing")
        if role == "admin":
            check(fresh in [c["id"] for c in admin.call("container.list", {})["containers"]], "admin's install happened")
            admin.call("container.delete", {"id": fresh})
        rpc.close()
    check(victim not in [c["id"] for c in admin.call("container.list", {})["containers"]], "admin's delete happened")

    # A batch is checked member by member: the read member runs, the admin one is refused.
    rpc = tcp_client(cu, port, SECRETS["viewer"][1], key_id="viewer")
    answers = {a["id"]: a for a in rpc.batch([
        {"jsonrpc": "2.0", "id": 1, "method": "container.status", "params": {"id": cid}},
        {"jsonrpc": "2.0", "id": 2, "method": "container.env.get", "params": {"id": cid}}])}
    check("result" in answers[1], "the batch's read member runs", answers=answers)
    check_equal(answers[2]["error"]["data"]["kind"], "unauthorized", "the batch's admin member is refused")
    error = rpc.call_error("no.such.method", {})
    check_equal(error and error.kind, "method_not_found", "a method the node does not serve is not found, whatever the role")

    # The audit log: every mutation call above (refused ones too) with who, what and the result.
    records = audit_lines(node)
    mutations = {m for m, _, mutates in methods if mutates}
    check_equal({r["method"] for r in records if r.get("method") in mutations} , mutations, "every mutation is audited")
    reads = {m for m, _, mutates in methods if not mutates}
    check_equal([r for r in records if r.get("method") in reads], [], "reads are not audited")
    for name, (role, _) in SECRETS.items():
        mine = [r for r in records if r.get("secret") == name]
        for method, needed, mutates in methods:
            if not mutates:
                continue
            hits = [r for r in mine if r["method"] == method]
            check_equal(len(hits), 1, f"one audit line for {name}'s {method}", records=mine)
            record = hits[0]
            check_equal(record["role"], role, "the audit line's role")
            check(record.get("peer", "").startswith("127.0.0.1:"), "the audit line names the peer address", record=record)
            check("id" in record, "the audit line names the container", record=record)
            if RANK[role] < RANK[needed]:
                check_equal(record["result"], "unauthorized", f"the audit result of {name}'s refused {method}")
        install = [r for r in mine if r["method"] == "container.install"][0]
        if role == "admin":
            check_equal(install["result"], "ok", "the admin's install is audited as ok")
    unix = [r for r in records if r.get("uid") == "0" and r.get("method") == "container.install" and r.get("id") == cid]
    check_equal(len(unix), 1, "the Unix install is audited with the peer's uid", records=records)
    check_equal(unix[0]["role"], "admin", "root on the Unix socket is admin")
    with open(node.log_path, errors="replace") as f:
        check(ENV_VALUE not in f.read(), "no environment value in the node's log")


# ---------------------------------------------------------------------------------------------
# Unix peers


def as_user(uid, gid, groups, socket_path, script):
    """Runs SCRIPT (python, reading the socket path from argv[1]) as UID:GID with supplementary
    GROUPS; returns its stdout parsed as JSON."""
    argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}"]
    argv += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    done = subprocess.run(argv + [sys.executable, "-c", script, socket_path], capture_output=True, text=True, timeout=30, cwd="/")
    check_equal(done.returncode, 0, "the client as another user", stderr=done.stderr)
    return json.loads(done.stdout)


PEER_SCRIPT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
out = []
for i, (method, params) in enumerate([("node.info", {}), ("container.start", {"id": "no-such-box"}), ("container.env.get", {"id": "no-such-box"})]):
    try:
        f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}).encode() + b"\n")
        f.flush()
    except BrokenPipeError:
        pass  # a refused peer: the node wrote its refusal and closed before reading anything
    line = f.readline()
    out.append(json.loads(line) if line else None)
    if not line or out[-1].get("id") is None:
        break
print(json.dumps(out))
"""


def test_unix_peers_get_the_roles_their_groups_map_to(cu):
    node, _, _ = start_node(cu, SECRETS, extra_args=["--unix-role", "65534=read", "--unix-role", "47311=operate"])
    # The socket's folders must be reachable by the other uid (the tempdirs are private).
    for folder in (os.path.dirname(node.dir), node.dir, node.run_dir):
        os.chmod(folder, os.stat(folder).st_mode | 0o011)
    check_equal(os.stat(node.socket_path).st_mode & 0o777, 0o666, "with --unix-role the socket is open; the peer check is the gate")

    def kind(answer):
        return (answer.get("error") or {}).get("data", {}).get("kind")

    reader = as_user(65534, 65534, [], node.socket_path, PEER_SCRIPT)
    check_equal(reader[0]["result"]["role"], "read", "a peer whose primary group maps to read", answers=reader)
    check_equal(kind(reader[1]), "unauthorized", "read may not start", answers=reader)
    check_equal(reader[1]["error"]["data"]["requiredRole"], "operate", "the refusal names operate")

    operator = as_user(65534, 65534, [47311], node.socket_path, PEER_SCRIPT)
    check_equal(operator[0]["result"]["role"], "operate", "the highest of the peer's groups counts", answers=operator)
    check_equal(kind(operator[1]), "not_found", "operate may start (the container does not exist)", answers=operator)
    check_equal(kind(operator[2]), "unauthorized", "operate may not read environments", answers=operator)

    stranger = as_user(65534, 47312, [], node.socket_path, PEER_SCRIPT)
    check_equal(kind(stranger[0]), "unauthorized", "a peer in no mapped group is refused at accept", answers=stranger)
    check_equal(len(stranger), 1, "and the connection is closed", answers=stranger)

    root = node.connect(cu)
    check_equal(root.call("node.info", {})["role"], "admin", "root on the Unix socket")
    records = [r for r in audit_lines(node) if r.get("method") == "container.start"]
    check_equal(sorted((r["uid"], r["role"], r["result"]) for r in records),
                [("65534", "operate", "not_found"), ("65534", "read", "unauthorized")], "Unix peers are audited by uid", records=records)


# ---------------------------------------------------------------------------------------------
# Rotation


def test_rotation_without_downtime(cu):
    old, new = b"old-secret-0123456789abcdef", b"new-secret-0123456789abcdef"
    node, port, path = start_node(cu, legacy_secret=old)
    kept = tcp_client(cu, port, old)
    check_equal(kept.call("node.info", {})["role"], "admin", "a single-secret file gives admin, as before roles")

    # During rotation both work, by keyId or without; the kept connection goes on untouched.
    write_keyring(path, {"default": ("admin", old), "next": ("admin", new)})
    reloads = reload_secrets(node, 0)
    tcp_client(cu, port, old)
    tcp_client(cu, port, old, key_id="default")
    moved = tcp_client(cu, port, new, key_id="next")
    check_equal(kept.call("node.ping", {"echo": 1}), {"pong": True, "echo": 1}, "the kept connection after the first SIGHUP")

    # A file that does not load changes nothing.
    with open(path, "w") as f:
        f.write("berth-secrets 1\nbroken admin short\n")
    reloads = reload_secrets(node, reloads)
    check_in("secrets_reload_failed", node.log(), "the bad file is reported")
    tcp_client(cu, port, new, key_id="next")
    tcp_client(cu, port, old)

    # The old secret removed: only the new one works; an unknown keyId fails as a wrong MAC does.
    write_keyring(path, {"next": ("admin", new)})
    reload_secrets(node, reloads)
    refused = authenticate(tcp_client(cu, port), old)
    check_equal(refused and refused.kind, "unauthorized", "the removed secret")
    unknown = authenticate(tcp_client(cu, port), new, key_id="default")
    check_equal(unknown and (unknown.kind, unknown.message), (refused.kind, refused.message), "an unknown keyId answers as a wrong MAC")
    tcp_client(cu, port, new)

    # The connection that proved the new secret survives; the one that proved the old one is still
    # open but must authenticate again, and can, on the same connection.
    check_equal(moved.call("node.info", {})["role"], "admin", "the connection with the new secret after the SIGHUP")
    error = kept.call_error("container.list", {})
    check_equal(error and error.kind, "unauthorized", "the connection with the removed secret")
    check_in("removed", error.message, "the refusal says why")
    error = kept.call_error("container.delete", {"id": "gone-box"})
    check_equal(error and error.kind, "unauthorized", "a mutation on the connection with the removed secret")
    records = [(r["role"], r["result"], r.get("secret")) for r in audit_lines(node) if r.get("method") == "container.delete"]
    check_equal(records, [("none", "unauthorized", None)], "audited as refused, with no role and no secret")
    check(authenticate(kept, new) is None, "the same connection authenticates again with the new secret")
    check_equal(kept.call("node.info", {})["role"], "admin", "and goes on")

    # The berth CLI with the new secret, over TCP.
    client_secret = os.path.join(os.path.dirname(path), "client-secret")
    with open(client_secret, "wb") as f:
        f.write(new + b"\n")
    os.chmod(client_secret, 0o600)
    done = subprocess.run([os.path.join(harness.bin_dir(), "berth"), "--node", f"tcp://127.0.0.1:{port}",
                           "--secret-file", client_secret, "ps"], capture_output=True, text=True, timeout=30)
    check_equal(done.returncode, 0, "berth ps with the new secret", stderr=done.stderr)


def test_roles_of_a_reloaded_secret_follow_the_file(cu):
    node, port, path = start_node(cu, {"ops": ("admin", SECRETS["ops"][1])})
    rpc = tcp_client(cu, port, SECRETS["ops"][1], key_id="ops")
    check_equal(rpc.call("node.info", {})["role"], "admin", "before")
    write_keyring(path, {"ops": ("read", SECRETS["ops"][1])})
    reload_secrets(node, 0)
    check_equal(rpc.call("node.info", {})["role"], "read", "the same secret, demoted in the file, is read from the next call")
    error = rpc.call_error("container.start", {"id": "x"})
    check_equal(error and error.data.get("requiredRole"), "operate", "and is refused what read may not do")
    client_secret = os.path.join(os.path.dirname(path), "client-secret")
    with open(client_secret, "wb") as f:
        f.write(SECRETS["ops"][1] + b"\n")
    os.chmod(client_secret, 0o600)
    done = subprocess.run([os.path.join(harness.bin_dir(), "berth"), "--node", f"tcp://127.0.0.1:{port}", "--secret-file", client_secret,
                           "node", "info"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    check_equal(done.returncode, 0, "berth node info", stderr=done.stderr)
    check_in("role:          read", done.stdout, "berth node info shows the connection's role")


def agent_info(path):
    rpc = harness.RpcClient.unix(path, 10.0)
    try:
        return rpc.call("agent.info")["connections"]
    finally:
        rpc.close()


def test_the_agent_authenticates_again_when_told(cu):
    old, new = b"agent-old-secret-0123456789", b"agent-new-secret-0123456789"
    node, port, path = start_node(cu, {"old": ("admin", old)})
    directory = os.path.dirname(path)
    files = {}
    for name, secret in (("old", old), ("new", new)):
        files[name] = os.path.join(directory, f"client-{name}")
        with open(files[name], "wb") as f:
            f.write(secret + b"\n")
        os.chmod(files[name], 0o600)
    sock = os.path.join(directory, "agent.sock")
    argv = [os.path.join(harness.bin_dir(), "berth"), "agent", "--socket", sock]
    with open(os.path.join(directory, "agent.log"), "ab") as log:
        agent = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    cu.process(agent, "berth agent")
    harness.wait_for_unix_socket(agent, sock, "berth agent", argv, os.path.join(directory, "agent.log"), 15)

    def ps(secret):
        env = dict(os.environ)
        env.pop("BERTH_AGENT", None)
        return subprocess.run([argv[0], "--agent", sock, "--secret-file", files[secret], "--node", f"tcp://127.0.0.1:{port}", "ps"],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, env=env)

    for _ in range(2):
        check_equal(ps("old").returncode, 0, "ps through the agent")
    check_equal(agent_info(sock)["opened"], 1, "one kept connection, reused")

    # The node drops the old secret: the agent's kept connection, authenticated with it, is refused.
    write_keyring(path, {"new": ("admin", new)})
    reload_secrets(node, 0)
    refused = ps("old")
    check(refused.returncode != 0, "a kept connection with a removed secret does not work", stdout=refused.stdout)
    check_equal(ps("new").returncode, 0, "the new secret through the agent")
    check_equal(agent_info(sock)["opened"], 2, "on a connection of its own")

    # SIGHUP: the agent lets go of its kept connections; the next command authenticates afresh.
    agent.send_signal(signal.SIGHUP)
    harness.eventually(lambda: agent_info(sock)["idle"] == 0, "the agent closes its kept connections")
    check(agent.poll() is None, "the agent keeps running after SIGHUP")
    check_equal(ps("new").returncode, 0, "ps after the agent's SIGHUP")
    check_equal(agent_info(sock)["opened"], 3, "a fresh, freshly authenticated connection")


if __name__ == "__main__":
    harness.main()
