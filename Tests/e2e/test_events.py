#!/usr/bin/env python3
"""The event stream (events.subscribe) on the real stack: a private systemd manager, real podman
containers, berthd. State changes are made behind Berth's back with systemctl and kill(2); the
stream must report each one, in order, exactly once, and resume without gaps or repeats."""

import json
import os
import signal
import socket
import subprocess
import time

import harness
from harness import check, check_equal, check_in, eventually

BUSYBOX = "localhost/busybox:latest"


def start(cu, extra_args=()):
    mgr = harness.Manager.start_new(cu)
    node = harness.Node.start_new(cu, manager=mgr, extra_args=extra_args)
    return mgr, node, node.connect(cu)


def install(rpc, cid, start=False):
    return rpc.call("container.install", {"id": cid, "image": BUSYBOX, "command": ["sleep", "100000"], "start": start},
                    timeout=120)


def events(rpc, count, timeout=30.0, kinds=("change",)):
    """The next COUNT events.event params of the given types (heartbeats skipped)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        note = rpc.next_notification("events.event", timeout=max(0.1, deadline - time.monotonic()))
        event = note["params"]["event"]
        if event["type"] in kinds:
            out.append(event)
    return out


def quiet(rpc, seconds):
    """Every change that arrives within SECONDS (there should be none)."""
    extra = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            note = rpc.next_notification("events.event", timeout=deadline - time.monotonic())
        except harness.TestFailure:
            break
        if note["params"]["event"]["type"] == "change":
            extra.append(note["params"]["event"])
    return extra


def subscribe(rpc, **params):
    return rpc.call("events.subscribe", params)


def check_seqs(changes, first, what):
    check_equal([c["cursor"]["seq"] for c in changes], list(range(first, first + len(changes))), f"{what}: seqs")


def test_snapshot_then_systemctl_changes_exactly_once(cu):
    mgr, node, rpc = start(cu)
    check_in("events", rpc.call("node.hello", {"protocols": [1]})["capabilities"], "berthd announces events")
    install(rpc, "evone")
    install(rpc, "evtwo", start=True)
    watcher = node.connect(cu)
    sub = subscribe(watcher, heartbeatSeconds=0.5)
    snapshot = events(watcher, 3, kinds=("snapshot", "synced"))
    check_equal([(e["type"], e.get("id"), e.get("event")) for e in snapshot],
                [("snapshot", "evone", "stopped"), ("snapshot", "evtwo", "started"), ("synced", None, None)], "snapshot")
    check(all(e["cursor"] == sub["cursor"] for e in snapshot), "snapshot carries the subscription's cursor", snapshot=snapshot)
    check_equal(snapshot[1]["state"], "active", "evtwo's ActiveState in the snapshot")

    unit = "ctr-evone.service"
    mgr.systemctl("start", unit)
    mgr.systemctl("stop", unit)
    mgr.systemctl("start", unit)
    pid = int(mgr.show(unit, "MainPID")["MainPID"])
    check(pid > 0, "evone has a main process", pid=pid)
    os.kill(pid, signal.SIGKILL)
    mgr.wait_for(unit, "failed", timeout=30)
    mgr.systemctl("reset-failed", unit)
    mgr.systemctl("stop", "ctr-evtwo.service")
    changes = events(watcher, 6, timeout=60)
    check_equal([(c["id"], c["event"]) for c in changes],
                [("evone", "started"), ("evone", "stopped"), ("evone", "started"), ("evone", "errored"),
                 ("evone", "stopped"), ("evtwo", "stopped")], "changes made with systemctl and kill")
    check_seqs(changes, sub["cursor"]["seq"] + 1, "changes")
    check_equal((changes[3]["state"], changes[0]["state"]), ("failed", "active"), "ActiveState carried")
    check(all(c["time"] > 1.7e12 for c in changes), "times are epoch milliseconds", changes=changes)
    check_equal(quiet(watcher, 2.0), [], "nothing more (each change exactly once)")
    beat = events(watcher, 1, kinds=("heartbeat",))[0]
    check_equal(beat["cursor"]["seq"], changes[-1]["cursor"]["seq"], "a heartbeat carries the newest cursor")

    # Installs and deletes come from the engine; an ids filter keeps other containers out.
    only = node.connect(cu)
    subscribe(only, ids=["evthree"])
    check_equal([e["type"] for e in events(only, 1, kinds=("snapshot", "synced"))], ["synced"], "filtered snapshot")
    install(rpc, "evthree", start=True)
    rpc.call("container.delete", {"id": "evthree"}, timeout=120)
    want = [("evthree", "installed"), ("evthree", "started"), ("evthree", "stopped"), ("evthree", "deleted")]
    check_equal([(c["id"], c["event"]) for c in events(only, 4, timeout=60)], want, "install --start then delete")
    check_equal([(c["id"], c["event"]) for c in events(watcher, 4, timeout=60)], want, "the same for the unfiltered watcher")
    check_equal(quiet(only, 1.0), [], "nothing else")

    done = watcher.call("events.unsubscribe", {"subscription": sub["subscription"]})
    check_equal(done, {"done": True}, "unsubscribe")
    closed = events(watcher, 1, kinds=("closed",))[0]
    check_equal(closed["reason"], "unsubscribed", "closed reason")
    error = rpc.call_error("events.unsubscribe", {"subscription": sub["subscription"]})
    check_equal(error and error.kind, "not_found", "a second unsubscribe")


def test_resume_replays_exactly_what_was_missed(cu):
    mgr, node, rpc = start(cu)
    install(rpc, "evres")
    first = node.connect()
    sub = subscribe(first)
    events(first, 2, kinds=("snapshot", "synced"))
    mgr.systemctl("start", "ctr-evres.service")
    seen = events(first, 1)
    cursor = seen[-1]["cursor"]
    first.close()

    mgr.systemctl("stop", "ctr-evres.service")
    mgr.systemctl("start", "ctr-evres.service")
    mgr.systemctl("stop", "ctr-evres.service")
    time.sleep(0.5)
    again = node.connect(cu)
    result = subscribe(again, cursor=cursor)
    check_equal(result["cursor"]["seq"], cursor["seq"] + 3, "the node's newest cursor")
    replay = events(again, 3)
    check_equal([c["event"] for c in replay], ["stopped", "started", "stopped"], "replayed changes")
    check_seqs(replay, cursor["seq"] + 1, "replay")
    check_equal(quiet(again, 1.0), [], "no snapshot and nothing twice after the replay")
    mgr.systemctl("start", "ctr-evres.service")
    live = events(again, 1)
    check_equal((live[0]["event"], live[0]["cursor"]["seq"]), ("started", cursor["seq"] + 4), "then live changes")

    # The text form of a cursor resumes the same way (what `berth events --since` sends).
    text = node.connect(cu)
    subscribe(text, cursor=f"{cursor['epoch']}.{cursor['seq']}")
    check_equal([c["event"] for c in events(text, 4)], ["stopped", "started", "stopped", "started"], "resume by text cursor")

    def kind(params):
        error = node.connect(cu).call_error("events.subscribe", params)
        return error and error.kind
    check_equal(kind({"cursor": {"epoch": cursor["epoch"], "seq": cursor["seq"] + 100}}), "cursor_expired", "a cursor from the future")
    check_equal(kind({"cursor": "no-dot"}), "invalid_params", "a malformed text cursor")
    check_equal(kind({"heartbeatSeconds": 0}), "invalid_params", "a zero heartbeat")
    check_equal(kind({"ids": ["Bad/Id"]}), "invalid_identifier", "a bad id in the filter")

    # Open subscriptions do not hold up a clean stop (they are not requests in flight).
    # Were they counted, the node would wait out its grace period and log grace_period_over; the
    # minute is only a guard against a hang.
    check_equal(node.stop(timeout=60), 0, "berthd's exit status with subscribers connected")
    check("grace_period_over" not in node.log(), "subscribers do not hold up the stop as requests in flight",
          log=node.log())
    node.start()
    restarted = node.connect(cu)
    error = restarted.call_error("events.subscribe", {"cursor": cursor})
    check_equal(error and error.kind, "cursor_expired", "stale cursor after a node restart")
    fresh = subscribe(restarted)
    check(fresh["cursor"]["epoch"] != cursor["epoch"], "a new epoch after restart", fresh=fresh, old=cursor)
    snap = events(restarted, 2, kinds=("snapshot", "synced"))
    check_equal((snap[0]["id"], snap[0]["event"]), ("evres", "started"), "the snapshot after a restart")


def test_socket_activated_container_idles(cu):
    mgr, node, rpc = start(cu)
    watcher = node.connect(cu)
    subscribe(watcher)
    events(watcher, 1, kinds=("synced",))
    status = rpc.call("container.install", {"id": "evsock", "image": "localhost/berth-httpd:latest",
                                            "ports": [{"internal": 8080, "external": 0}], "socketActivated": True,
                                            "start": True}, timeout=120)
    port = status["ports"][0]["external"]
    check_equal([c["event"] for c in events(watcher, 2, timeout=60)], ["installed", "idled"],
                "installed with its socket listening, the service down")
    page = eventually(lambda: harness.local_page(port, timeout=10), "a page through the activated socket", timeout=60)
    check(page, "the socket started the container")
    check_equal([c["event"] for c in events(watcher, 1, timeout=60)], ["started"], "the first connection starts it")
    mgr.systemctl("stop", "ctr-evsock.service")
    check_equal([c["event"] for c in events(watcher, 1, timeout=60)], ["idled"], "stopped behind Berth's back, socket still listening")
    units = [u for u in os.listdir(os.path.join(node.manager.dir, "config", "systemd", "user")) if u.startswith("ctr-evsock@") and u.endswith(".socket")]
    check_equal(len(units), 1, "one socket unit", units=units)
    mgr.systemctl("stop", units[0])
    check_equal([c["event"] for c in events(watcher, 1, timeout=60)], ["stopped"], "and with its socket stopped too")
    check_equal(quiet(watcher, 1.0), [], "nothing twice")


def test_events_survive_a_systemd_reexec(cu):
    mgr, node, rpc = start(cu)
    install(rpc, "evrx")
    watcher = node.connect(cu)
    sub = subscribe(watcher)
    events(watcher, 2, kinds=("snapshot", "synced"))
    # daemon-reexec drops every client of the private socket: the hub must reconnect and re-list.
    mgr.systemctl("daemon-reexec")
    mgr.systemctl("start", "ctr-evrx.service")
    eventually(lambda: "events_synced" in node.log() and "reconnect=true" in node.log(), "the hub re-synced", timeout=20)
    changes = events(watcher, 1, timeout=30)
    check_equal((changes[0]["id"], changes[0]["event"]), ("evrx", "started"), "a change after the reexec")
    check_equal(changes[0]["cursor"]["seq"], sub["cursor"]["seq"] + 1, "seq continues across the reconnect")
    mgr.systemctl("stop", "ctr-evrx.service")
    check_equal([c["event"] for c in events(watcher, 1, timeout=30)], ["stopped"], "and the next")
    check_equal(quiet(watcher, 1.0), [], "nothing twice")


def connections_to(pid, path):
    """How many of process PID's Unix sockets are connected to the server socket at PATH (ss(8):
    the server's accepted sockets carry PATH and their inode; a client's peer is that inode)."""
    rows = [line.split() for line in harness.run(["ss", "-xHnp"]).stdout.splitlines()]
    served = {row[5] for row in rows if len(row) > 7 and row[4] == path}
    ours = {row[7] for row in rows if len(row) > 8 and f"pid={pid}," in " ".join(row[8:])}
    return len(served & ours)


def test_listing_and_events_follow_systemd_on_one_connection(cu):
    # One mirror of systemd: the engine's D-Bus client's state cache feeds container.list and the
    # event hub alike, on one connection to the manager's private socket (the hub had its own).
    mgr, node, rpc = start(cu)
    install(rpc, "evone", start=True)
    sub = subscribe(node.connect(cu))
    check(sub["subscription"], "subscribed")
    check_equal([c["id"] for c in rpc.call("container.list", {})["containers"]], ["evone"], "listed")
    private = os.path.join(mgr.xdg, "systemd", "private")
    check_equal(connections_to(node.proc.pid, private), 1, f"berthd's connections to {private}")


# A container's ActiveState in container.list and the event state the stream reports for it.
PHASE = {"active": "started", "inactive": "stopped", "failed": "errored"}


def at_once(node, calls, behind_our_back=()):
    """Runs each (method, params) on its own connection, all at the same time, and the callables of
    BEHIND_OUR_BACK beside them; returns the results in order. Any failure fails the test."""
    import threading
    results = [None] * (len(calls) + len(behind_our_back))
    barrier = threading.Barrier(len(results))

    def run(index, work):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", work())
        except BaseException as error:  # reported below, in the test's own thread
            results[index] = ("error", error)

    def call(method, params):
        client = node.connect()
        try:
            return client.call(method, params, timeout=120)
        finally:
            client.close()
    work = [lambda m=m, p=p: call(m, p) for m, p in calls] + list(behind_our_back)
    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (outcome, value), what in zip(results, [c[0] for c in calls] + ["behind Berth's back"] * len(behind_our_back)):
        check(outcome == "ok", f"{what} failed", error=repr(value))
    return [value for _, value in results]


def test_reloads_invent_no_events_and_the_stream_agrees_with_the_listing(cu):
    """Each container.start of a container installed without start, and each delete, makes the
    engine daemon-reload, and systemd then unloads and reloads every unit. The stream once reported
    every running container `stopped` at each reload, never corrected it, and served it in every
    later snapshot. Here: concurrent installs, starts, stops, a restart, deletes and reloads from
    outside, while a watcher follows; then the stream's final state of every container, and a new
    subscriber's snapshot, must be what container.list says, and the containers nobody touched must
    have no event at all."""
    mgr, node, rpc = start(cu)
    tag = os.urandom(3).hex()  # podman's container names are machine-wide: other runs use these ids too
    name = lambda n: f"tr{tag}{n}"
    idle, running = [name("idle")], [name("runa"), name("runb")]
    for cid in idle:
        install(rpc, cid)
    for cid in running:
        install(rpc, cid, start=True)
    watcher = node.connect(cu)
    sub = subscribe(watcher)
    snapshot = events(watcher, 4, kinds=("snapshot", "synced"))
    stream = {e["id"]: (e["event"], e["state"]) for e in snapshot if e["type"] == "snapshot"}
    check_equal(stream, {idle[0]: ("stopped", "inactive"), running[0]: ("started", "active"),
                         running[1]: ("started", "active")}, "the starting snapshot")

    def install_params(cid, start=False):
        return {"id": cid, "image": BUSYBOX, "command": ["sleep", "100000"], "start": start}
    # The case: three installed without start, then started at once.
    trio = [name("a"), name("b"), name("c")]
    at_once(node, [("container.install", install_params(cid)) for cid in trio])
    at_once(node, [("container.start", {"id": cid}) for cid in trio])
    # Then a stop, a delete of a running container, an install with start, a restart and two
    # daemon-reloads from outside, all at once.
    fourth = name("d")
    at_once(node, [("container.stop", {"id": trio[0]}), ("container.delete", {"id": trio[1]}),
                   ("container.restart", {"id": trio[2]}), ("container.install", install_params(fourth, start=True))],
            behind_our_back=[lambda: mgr.systemctl("daemon-reload")] * 2)
    mgr.systemctl("daemon-reload")

    # Settled: every call has returned. container.list and systemd agree on each container...
    listed = {c["id"]: c["state"] for c in rpc.call("container.list", {})["containers"]}
    check_equal(listed, {idle[0]: "inactive", running[0]: "active", running[1]: "active", trio[0]: "inactive",
                         trio[2]: "active", fourth: "active"}, "container.list")
    for cid, state in listed.items():
        check_equal(mgr.show(f"ctr-{cid}.service", "ActiveState")["ActiveState"], state, f"systemd on {cid}")
    want = {cid: (PHASE[state], state) for cid, state in listed.items()}

    # ... a new subscriber's snapshot says the same ...
    fresh = node.connect(cu)
    head = subscribe(fresh)["cursor"]["seq"]
    snap = events(fresh, len(listed) + 1, kinds=("snapshot", "synced"))
    check_equal({e["id"]: (e["event"], e["state"]) for e in snap if e["type"] == "snapshot"}, want,
                "a new subscriber's snapshot against container.list")

    # ... and so does the watcher's stream, read up to the same cursor.
    changes = []
    while (changes[-1]["cursor"]["seq"] if changes else sub["cursor"]["seq"]) < head:
        changes += events(watcher, 1, timeout=60)
    check_seqs(changes, sub["cursor"]["seq"] + 1, "the watcher's changes")
    for change in changes:
        if change["event"] == "deleted":
            stream.pop(change["id"], None)
        else:
            stream[change["id"]] = ("stopped" if change["event"] == "installed" else change["event"], change["state"])
    check_equal(stream, want, "the watcher's final state of each container against container.list")

    by_id = {}
    for change in changes:
        by_id.setdefault(change["id"], []).append(change["event"])
    for cid in idle + running:
        check_equal(by_id.get(cid, []), [], f"events of {cid}, which nobody touched")
    check_equal(by_id.get(trio[0]), ["installed", "started", "stopped"], "the stopped one")
    check_equal(by_id.get(trio[1]), ["installed", "started", "stopped", "deleted"], "the deleted one")
    check_equal(by_id.get(fourth), ["installed", "started"], "the one installed with start")
    restarted = by_id.get(trio[2], [])
    check(restarted[:2] == ["installed", "started"] and restarted[-1] == "started" and "errored" not in restarted,
          "the restarted one", events=restarted)
    check_equal(quiet(watcher, 1.0), [], "nothing more")


def berth(*args, timeout=60):
    argv = [os.path.join(harness.bin_dir(), "berth"), "events", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_cli_events_over_two_nodes(cu):
    mgr_a, node_a, rpc_a = start(cu)
    mgr_b, node_b, rpc_b = start(cu)
    install(rpc_a, "cliaa", start=True)
    install(rpc_b, "clibb")
    a, b = f"unix:{node_a.socket_path}", f"unix:{node_b.socket_path}"
    done = berth("--node", a, "--node", b)
    check_equal(done.returncode, 0, "berth events exit status", stderr=done.stderr)
    lines = done.stdout.splitlines()
    check_equal(len(lines), 2, "one snapshot line per container", out=done.stdout)
    rows = sorted((line.split("  ") for line in lines), key=lambda r: r[2])
    check_equal([(r[1], r[2], r[3], r[4]) for r in rows],
                [(a, "cliaa", "(started)", "active (running)"), (b, "clibb", "(stopped)", "inactive (dead)")], "snapshot lines")

    follow = subprocess.Popen([os.path.join(harness.bin_dir(), "berth"), "events", "--follow", "--json", "--node", a, "--node", b],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    cu.push("stop berth events --follow", harness.stop_process, follow)
    first = [json.loads(follow.stdout.readline()) for _ in range(2)]
    check_equal(sorted(((e["node"], e["type"], e["id"]) for e in first), key=lambda t: t[2]),
                [(a, "snapshot", "cliaa"), (b, "snapshot", "clibb")],
                "--follow starts with the snapshot")
    cursor_b = next(e["cursor"] for e in first if e["node"] == b)
    mgr_b.systemctl("start", "ctr-clibb.service")
    mgr_a.systemctl("stop", "ctr-cliaa.service")
    changes = [json.loads(follow.stdout.readline()) for _ in range(2)]
    check_equal(sorted(((e["node"], e["id"], e["event"]) for e in changes), key=lambda t: t[1]),
                [(a, "cliaa", "stopped"), (b, "clibb", "started")],
                "--follow streams the changes of both nodes")
    harness.stop_process(follow)

    since = berth("--node", b, "--since", f"{cursor_b['epoch']}.{cursor_b['seq']}")
    check_equal(since.returncode, 0, "--since exit status", stderr=since.stderr)
    check_equal([line.split("  ")[3] for line in since.stdout.splitlines()], ["started"], "--since prints what followed the cursor")
    stale = berth("--node", b, "--since", f"{cursor_b['epoch']}x.{cursor_b['seq']}")
    check_equal(stale.returncode, 1, "a foreign cursor fails")
    check_in("cursor_expired", stale.stderr, "the error names cursor_expired")
    both = berth("--node", a, "--node", b, "--since", "e.1")
    check_equal(both.returncode, 64, "--since with two nodes is a usage error")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_hundred_subscribers_one_never_reading(cu):
    mgr, node, rpc = start(cu)
    install(rpc, "evflap")
    # Behind Berth's back: a drop-in makes the container's service a process that exits with an
    # error at once and is restarted without limit, so it flips between started and errored as fast
    # as systemd can restart it.
    dropin = os.path.join(mgr.dir, "config", "systemd", "user", "ctr-evflap.service.d")
    os.makedirs(dropin, exist_ok=True)
    with open(os.path.join(dropin, "flap.conf"), "w") as f:
        f.write("[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=simple\nExecStartPre=\nExecStartPost=\nExecStop=\n"
                "ExecStopPost=\nExecStart=\nExecStart=/bin/sh -c 'sleep 0.02; exit 3'\nRestart=always\nRestartSec=10ms\n")
    mgr.systemctl("daemon-reload")
    baseline = rss_kib(node.proc.pid)

    readers = []
    for _ in range(99):
        client = node.connect(cu)
        client.call("events.subscribe", {})
        readers.append(client)
    stalled_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled_sock.connect(node.socket_path)
    stalled = harness.RpcClient(stalled_sock)
    cu.push("close the stalled client", stalled.close)
    stalled.start("events.subscribe", {})
    with_subscribers = rss_kib(node.proc.pid)

    mgr.systemctl("start", "ctr-evflap.service")
    peak = 0
    started = time.monotonic()
    # Read every reader round-robin until the node has dropped the stalled one.
    last_seq = {id(r): None for r in readers}
    counts = {id(r): 0 for r in readers}

    def drain(reader, timeout=0.0):
        while True:
            try:
                note = reader.next_notification("events.event", timeout=timeout)
            except harness.TestFailure:
                return
            event = note["params"]["event"]
            if event["type"] != "change":
                continue
            seq = event["cursor"]["seq"]
            previous = last_seq[id(reader)]
            check(previous is None or seq == previous + 1, "a reader sees every seq once, in order", previous=previous, seq=seq)
            last_seq[id(reader)] = seq
            counts[id(reader)] += 1
            timeout = 0.0

    def dropped():
        return "reason=slow_consumer" in node.log()

    while not dropped():
        check(time.monotonic() - started < 180, "the stalled subscriber is dropped within 180 s", log=node.log())
        for reader in readers:
            drain(reader, 0.001)
        peak = max(peak, rss_kib(node.proc.pid))
    mgr.systemctl("stop", "ctr-evflap.service")
    drop_time = time.monotonic() - started
    # The others keep up: after the flapping stops, each has every event up to the newest.
    newest = rpc.call("events.subscribe", {})["cursor"]["seq"]
    for reader in readers:
        eventually(lambda reader=reader: (drain(reader, 0.05), last_seq[id(reader)] == newest)[1],
                   "a reader reaches the newest event", timeout=30)
    peak = max(peak, rss_kib(node.proc.pid))
    # The stalled client, reading at last, finds its stream ended (closed by the node).
    closed_seen = False
    try:
        while True:
            message = stalled.recv(timeout=5)
            if isinstance(message, dict) and message.get("params", {}).get("event", {}).get("type") == "closed":
                closed_seen = True
    except harness.ConnectionClosed:
        pass
    except harness.TestFailure as failure:
        check(False, "the stalled connection ends", error=str(failure))
    for reader in readers:
        reader.close()
    time.sleep(1.0)
    after = rss_kib(node.proc.pid)
    print(f"    MEASURE events_100_subscribers: events={newest} per_reader={min(counts.values())}..{max(counts.values())} "
          f"drop_after_s={drop_time:.1f} rss_kib baseline={baseline} subscribed={with_subscribers} peak={peak} after={after} "
          f"stalled_got_closed_notification={closed_seen}")
    check(peak - with_subscribers < 64 * 1024, "RSS stays bounded (under 64 MiB growth)", baseline=baseline, peak=peak)
    check(node.proc.poll() is None, "berthd is still running")


if __name__ == "__main__":
    harness.main()
