#!/usr/bin/env python3
"""Retries and links on a real berthd (private systemd manager, real podman containers):

- every mutation carrying a requestId answers a retry with its first result and does its work once,
  also after kill -9 of the node and a restart; a requestId reused for another request is `conflict`;
  the node announces `request-ids`; a requestId of 128 two-byte characters works, 129 is refused.
- concurrent `berth link` runs on one container all keep their link (the node adds each under the
  container's lock); `berth unlink` removes exactly one.

systemctl is the independent witness of "did the work once"."""

import json
import os
import subprocess
import threading

import harness
from harness import check, check_equal, check_in

BUSYBOX = "localhost/busybox:latest"


def kill9_and_restart(cu, node):
    node.proc.kill()  # SIGKILL: nothing is flushed on the way out
    node.proc.wait(5)
    node.start()
    return node.connect(cu)


def test_every_mutation_replays_its_first_result(cu):
    mgr, node, rpc = harness.start_stack(cu)
    hello = rpc.call("node.hello", {"protocols": [1]})
    check_in("request-ids", hello["capabilities"], "the node announces request-ids")
    check_in("links", hello["capabilities"], "this node keeps links (links.* below)")
    cid = harness.unique_name("rt-web")  # podman's container names are global to the machine
    unit = f"ctr-{cid}.service"
    cu.container(f"ctr-{cid}")
    answers = {}

    def call(method, params, rid):
        answers[rid] = (method, dict(params, requestId=rid), rpc.call(method, dict(params, requestId=rid)))
        return answers[rid][2]

    def retry(rid):
        method, params, first = answers[rid]
        check_equal(rpc.call(method, params), first, f"{method} retried with {rid}")

    def state():
        return mgr.show(unit)["ActiveState"]

    # No ports: other nodes on this machine publish host ports from the same default range.
    install = {"id": cid, "image": BUSYBOX, "command": ["sleep", "100000"]}
    call("container.install", install, "r-install")
    retry("r-install")
    error = rpc.call_error("container.install", dict(install, image=BUSYBOX + "x", requestId="r-install"))
    check_equal(error and error.kind, "conflict", "the install's requestId with other params")

    call("container.start", {"id": cid}, "r-start")
    check_equal(state(), "active", "started")
    rpc.call("container.stop", {"id": cid, "wait": True})
    retry("r-start")
    check_equal(state(), "inactive", "a retried start after a stop does not start again")

    rpc.call("container.start", {"id": cid})
    call("container.stop", {"id": cid, "wait": True}, "r-stop")
    check_equal(state(), "inactive", "stopped")
    rpc.call("container.start", {"id": cid})
    retry("r-stop")
    check_equal(state(), "active", "a retried stop after a start does not stop again")

    call("container.restart", {"id": cid}, "r-restart")
    pid = mgr.show(unit, "MainPID")["MainPID"]
    check(pid != "0", "restarted and running", pid=pid)
    retry("r-restart")
    check_equal(mgr.show(unit, "MainPID")["MainPID"], pid, "a retried restart does not restart again")
    rpc.call("container.stop", {"id": cid, "wait": True})

    def env():
        return {e["name"]: e["value"] for e in rpc.call("container.env.get", {"id": cid})["environment"]}

    call("container.env.set", {"id": cid, "environment": [{"name": "A", "value": "1"}]}, "r-env-set")
    call("container.env.patch", {"id": cid, "set": [{"name": "B", "value": "2"}]}, "r-env-patch")
    retry("r-env-set")
    check_equal(env(), {"A": "1", "B": "2"}, "a retried env.set does not replace the environment again")
    rpc.call("container.env.set", {"id": cid, "environment": [{"name": "C", "value": "3"}]})
    retry("r-env-patch")
    check_equal(env(), {"C": "3"}, "a retried env.patch does not patch again")

    def link(port, to_port):
        return {"fromHost": "127.0.0.1", "fromPort": port, "toHost": "198.18.0.9", "toPort": to_port}

    def links():
        return rpc.call("container.links.get", {"id": cid})["links"]

    call("container.links.set", {"id": cid, "links": [link(9000, 1)]}, "r-links-set")
    call("container.links.add", {"id": cid, "link": link(9001, 2)}, "r-links-add")
    retry("r-links-set")
    check_equal(links(), [link(9000, 1), link(9001, 2)], "a retried links.set does not replace the links again")
    call("container.links.remove", {"id": cid, "fromPort": 9000}, "r-links-remove")
    rpc.call("container.links.add", {"id": cid, "link": link(9000, 5)})
    retry("r-links-add")
    retry("r-links-remove")
    check_equal(links(), [link(9001, 2), link(9000, 5)], "retried links.add and links.remove change nothing")

    call("container.delete", {"id": cid}, "r-delete")
    retry("r-delete")  # the old node answered not_found here
    check_equal(answers["r-delete"][2], {"done": True}, "delete's answer")
    rpc.call("container.install", install)
    retry("r-delete")
    check_equal(rpc.call("container.status", {"id": cid})["id"], cid, "a retried delete does not delete the new container")

    # The records are durable: after kill -9 and a restart every retry answers as before, and does nothing.
    before = (state(), env(), links())
    rpc = kill9_and_restart(cu, node)
    for rid in answers:
        retry(rid)
    check_equal((state(), env(), links()), before, "retries after the restart changed nothing")

    for rid, (method, params, _) in answers.items():
        other = "container.start" if method != "container.start" else "container.stop"
        error = rpc.call_error(other, {"id": cid, "requestId": rid})
        check_equal(error and error.kind, "conflict", f"{rid} reused for {other}")
        check_in(rid, str(error), "the conflict names the requestId")
    rpc.call("container.delete", {"id": cid})


def test_request_id_length_counts_characters(cu):
    mgr, node, rpc = harness.start_stack(cu)
    cid = harness.unique_name("rt-long")
    cu.container(f"ctr-{cid}")
    rpc.call("container.install", {"id": cid, "image": BUSYBOX, "command": ["sleep", "100000"]})
    longest = "é" * 128  # 256 UTF-8 bytes: as a file name in hex it would pass NAME_MAX
    first = rpc.call("container.env.patch", {"id": cid, "set": [{"name": "N", "value": "1"}], "requestId": longest})
    again = rpc.call("container.env.patch", {"id": cid, "set": [{"name": "N", "value": "1"}], "requestId": longest})
    check_equal(again, first, "a retry with a 128-character two-byte requestId")
    records = os.listdir(os.path.join(node.state_dir, "requests"))
    check_equal(len(records), 1, "one record", records=records)
    check(all(len(name) == len("0" * 64 + ".json") for name in records), "named by the id's hash", records=records)
    before = sorted(os.walk(node.state_dir))
    for too_long in ("é" * 129, "r" * 129, ""):
        error = rpc.call_error("container.env.patch", {"id": cid, "set": [{"name": "N", "value": "2"}], "requestId": too_long})
        check_equal(error and error.kind, "invalid_params", f"requestId of {len(too_long)} characters", message=str(error))
    check_equal(sorted(os.walk(node.state_dir)), before, "refused requests changed nothing")
    rpc.call("container.delete", {"id": cid})


def test_concurrent_links_all_survive_and_unlink_removes_one(cu):
    mgr, node, rpc = harness.start_stack(cu)
    for cid in ("lk-front", "lk-back"):
        cu.container(f"ctr-{cid}")
    rpc.call("container.install", {"id": "lk-back", "image": BUSYBOX, "command": ["sleep", "100000"],
                                   "ports": [{"internal": 8080, "external": 0}]})
    rpc.call("container.install", {"id": "lk-front", "image": BUSYBOX, "command": ["sleep", "100000"]})
    count = 16
    results = [None] * count

    def one(i):
        results[i] = node.berth("link", "lk-front", "--to", "lk-back:8080", "--as", f"127.0.0.1:{9000 + i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for i, r in enumerate(results):
        check_equal(r.returncode, 0, f"berth link #{i}", stderr=r.stderr)
    stored = rpc.call("container.links.get", {"id": "lk-front"})["links"]
    check_equal(sorted(l["fromPort"] for l in stored), [9000 + i for i in range(count)],
                f"all {count} concurrent links are kept", links=stored)

    # Many concurrent adds straight on the wire, each on its own connection, too.
    errors = []

    def add(i):
        try:
            client = node.connect()
            try:
                client.call("container.links.add", {"id": "lk-front", "link": {"fromPort": 10000 + i, "toHost": "198.18.0.9", "toPort": i + 1}})
            finally:
                client.close()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check_equal(errors, [], "errors of 32 concurrent links.add")
    stored = rpc.call("container.links.get", {"id": "lk-front"})["links"]
    check_equal(len(stored), count + 32, "every concurrent links.add is kept", links=stored)

    r = node.berth("unlink", "lk-front", "--from", "127.0.0.1:9003")
    check_equal(r.returncode, 0, "berth unlink", stderr=r.stderr)
    check_in("unlinked", r.stdout, "what unlink prints")
    after = rpc.call("container.links.get", {"id": "lk-front"})["links"]
    check_equal(after, [l for l in stored if l["fromPort"] != 9003], "exactly the one link is gone, the rest in order")
    r = node.berth("unlink", "lk-front", "--from", "127.0.0.1:9003")
    check_equal(r.returncode, 1, "unlinking a link that is not there fails", stdout=r.stdout, stderr=r.stderr)
    check_in("not_found", r.stderr, "the error kind")
    check_in("127.0.0.1:9003", r.stderr, "the error names the address")
    r = node.berth("unlink", "lk-front", "--from", "9003")
    check_equal(r.returncode, 64, "a --from without an address is a usage error", stderr=r.stderr)
    r = node.berth("unlink", "lk-front", "--from", "127.0.0.1:9004", "--json")
    check_equal(r.returncode, 0, "berth unlink --json", stderr=r.stderr)
    check_equal(json.loads(r.stdout)["links"], rpc.call("container.links.get", {"id": "lk-front"})["links"],
                "--json prints the links left")
    for cid in ("lk-front", "lk-back"):
        rpc.call("container.delete", {"id": cid})


if __name__ == "__main__":
    harness.main()
