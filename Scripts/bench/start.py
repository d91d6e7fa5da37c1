#!/usr/bin/env python3
"""The measuring side of Scripts/bench/start (standard library only: no Berth code measures Berth).

  start.py run --socket S --berth BIN --state DIR --manager DIR --work DIR --tag T [--rounds N ...]
  start.py relay LISTEN TARGET LOG

`run`: one container three ways, each round alternating which goes first: `berth start|restart|stop
--wait` (the CLI, through a timestamping relay in front of the node's socket), `podman run -d |
restart | stop` of the same image and port, and `systemd-run` of the node's podman command on the
node's own manager (`systemctl --user restart|stop`). A start or restart counts until the first HTTP
answer on the published port (polled after the command returned, as a user would); a stop until
the command returned. Then the same with BATCH containers at once. Prints the tables of
docs/benchmarks.md and a breakdown of the node's start from timestamps, all on CLOCK_MONOTONIC:
the relay's (each request and answer line), systemd's (`...TimestampMonotonic`, the ExecStartPost
command's start time: when the manager got READY=1) and the unit.log marker (bash's EPOCHREALTIME,
converted with the offset between the two clocks read at start-up).

`relay`: accepts on LISTEN, forwards each connection to TARGET byte for byte, and appends
`MONOTONIC CONN c|n METHOD-OR-ID` to LOG for every line either side completes.
"""
import argparse
import calendar
import json
import os
import re
import selectors
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time

IMAGE = "localhost/busybox:latest"
COMMAND = ["httpd", "-f", "-p", "8080", "-h", "/var/www"]


# --- the relay (a process of its own, so the CLI's requests are stamped as they arrive) ---

def relay(listen, target, log_path):
    log = open(log_path, "a", buffering=1)
    sel = selectors.DefaultSelector()
    server = socket.socket(socket.AF_UNIX)
    server.bind(listen)
    server.listen(64)
    sel.register(server, selectors.EVENT_READ, None)
    peers = {}  # socket -> (other socket, conn number, side, pending bytes)
    count = 0
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is server:
                client, _ = server.accept()
                node = socket.socket(socket.AF_UNIX)
                node.connect(target)
                count += 1
                peers[client] = [node, count, "c", b""]
                peers[node] = [client, count, "n", b""]
                sel.register(client, selectors.EVENT_READ, None)
                sel.register(node, selectors.EVENT_READ, None)
                continue
            other, conn, side, pending = peers[s]
            data = s.recv(1 << 16)
            if not data:
                # A half-close (the CLI ends its input after its last request) passes on as one.
                sel.unregister(s)
                peers[s][3] = None
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                if peers[other][3] is None:
                    for t in (s, other):
                        peers.pop(t, None)
                        t.close()
                continue
            stamp = time.monotonic()
            other.sendall(data)
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                try:
                    message = json.loads(line)
                    what = message.get("method", "-") if side == "c" else "-"
                    ident = message.get("id", "-")
                except ValueError:
                    what, ident = "?", "?"
                log.write(f"{stamp:.6f} {conn} {side} {what} {ident}\n")
            peers[s][3] = pending


# --- measuring ---

class Bench:
    def __init__(self, args):
        self.args = args
        self.podman = shutil.which("podman")
        self.env = dict(os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF", "/etc/berth/containers.conf"))
        self.sysenv = dict(self.env, XDG_RUNTIME_DIR=f"{args.manager}/xdg", XDG_CONFIG_HOME=f"{args.manager}/config",
                           SYSTEMD_UNIT_PATH=f"{args.manager}/units:")
        self.relay_sock = f"{args.work}/relay.sock"
        self.relay_log = f"{args.work}/relay.log"
        self.relay_seen = 0
        # bash's EPOCHREALTIME (unit.log markers) -> CLOCK_MONOTONIC
        self.offset = min(((time.time() - time.monotonic()), time.monotonic()) for _ in range(5))[0]

    def berth(self, *words):
        return [self.args.berth, "--node", f"unix:{self.relay_sock}", *words]

    def run(self, argv, env=None):
        start = time.monotonic()
        p = subprocess.run(argv, capture_output=True, env=env or self.env)
        end = time.monotonic()
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode()[-400:]}")
        return start, end, p.stdout.decode()

    def show(self, unit, props):
        out = subprocess.run(["systemctl", "--user", "show", "-p", ",".join(props), unit],
                             capture_output=True, text=True, env=self.sysenv).stdout
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return values

    def unit_points(self, unit):
        """systemd's timestamps of the unit's last start (and stop), in seconds of CLOCK_MONOTONIC. The
        Exec commands' times exist only as wall-clock microseconds (`--timestamp=us+utc`); they are
        moved onto the monotonic clock with the manager's own pair for InactiveExit."""
        names = ["ActiveExit", "InactiveEnter", "InactiveExit", "ExecMainStart", "ActiveEnter"]
        out = subprocess.run(["systemctl", "--user", "show", "--timestamp=us+utc",
                              "-p", ",".join([n + "TimestampMonotonic" for n in names] + ["InactiveExitTimestamp"]),
                              "-p", "ExecStartPre,ExecStart,ExecStartPost", unit],
                             capture_output=True, text=True, env=self.sysenv).stdout
        values, execs = {}, {}
        for line in out.splitlines():
            key, _, value = line.partition("=")
            if key.startswith("Exec") and value.startswith("{"):
                execs.setdefault(key, []).append(value)
            else:
                values[key] = value
        points = {n: int(values[n + "TimestampMonotonic"]) / 1e6 for n in names
                  if values.get(n + "TimestampMonotonic", "0") not in ("", "0")}
        if "InactiveExit" not in points or not values.get("InactiveExitTimestamp"):
            return points
        offset = wall(values["InactiveExitTimestamp"]) - points["InactiveExit"]

        def times(key, field):
            found = [re.search(field + r"=\[([^]]*)\]", e) for e in execs.get(key, [])]
            return [wall(m.group(1)) - offset for m in found if m and m.group(1) not in ("n/a", "")]

        for name, key, field, pick in (("ExecStartPre forked", "ExecStartPre", "start_time", min),
                                       ("ExecStartPre done", "ExecStartPre", "stop_time", max),
                                       ("podman forked", "ExecStart", "start_time", min),
                                       ("links hook", "ExecStartPost", "start_time", min)):
            found = times(key, field)
            if found:
                points[name] = pick(found)
        return points

    def marker(self, ident, after, what="starting"):
        """The latest `systemd F starting` (or `stopped: ...`) line in the container's unit.log stamped
        after `after`."""
        path = f"{self.args.state}/logs/{ident}/unit.log"
        best = None
        with open(path) as f:
            for line in f:
                m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\+00:00 systemd F (\S+)", line)
                if not m or not m.group(3).startswith(what):
                    continue
                wall = time.mktime(time.strptime(m.group(1) + "UTC", "%Y-%m-%dT%H:%M:%S%Z")) - time.timezone
                wall += int(m.group(2)) / 10 ** len(m.group(2))
                mono = wall - self.offset
                if mono >= after:
                    best = mono
        return best

    def relay_call(self, method):
        """The relay's stamps of the CLI's last exchange: its first line, the call, the answer."""
        with open(self.relay_log) as f:
            lines = f.read().splitlines()
        new, self.relay_seen = lines[self.relay_seen:], len(lines)
        rows = [l.split() for l in new]
        first = {}
        for stamp, conn, side, what, ident in rows:
            first.setdefault(conn, float(stamp))
        calls = [(float(s), c, i) for s, c, side, w, i in rows if side == "c" and w == method]
        if not calls:
            return {}
        sent, conn, ident = calls[-1]
        answers = [float(s) for s, c, side, w, i in rows if side == "n" and c == conn and i == ident]
        points = {"CLI first line": first[conn], "call sent": sent}
        if answers:
            points["answered"] = answers[0]
        return points

    def http(self, port, deadline=60):
        end = time.monotonic() + deadline
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    if s.recv(16).startswith(b"HTTP/"):
                        return time.monotonic()
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"no HTTP answer on port {port} within {deadline} s")
            time.sleep(0.002)

    def free_port(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


class Subject:
    """One container of one way: how to start, restart and stop it, and where its times come from."""

    def __init__(self, bench, way, index):
        self.bench, self.way, self.index = bench, way, index
        tag = bench.args.tag
        self.ident = f"{tag}-b{index}"
        self.name = f"{tag}-p{index}" if way == "podman" else f"{tag}-s{index}"
        self.unit = f"ctr-{self.ident}.service" if way == "berth" else f"{tag}-s{index}.service"
        if way == "berth":
            out = bench.run([bench.args.berth, "--node", f"unix:{bench.args.socket}", "install", IMAGE, self.ident,
                             "-p", "8080:0", "--", *COMMAND])[2]
            self.port = int(re.search(r"(\d+)->8080", out).group(1))
        else:
            self.port = bench.free_port()
        self.cidfile = f"{bench.args.work}/{self.name}.ctr-id"
        self.log = f"{bench.args.work}/{self.name}.log"

    def argv(self, op):
        b = self.bench
        if self.way == "berth":
            return {"start": b.berth("start", self.ident), "restart": b.berth("restart", self.ident),
                    "stop": b.berth("stop", "--wait", self.ident)}[op]
        if self.way == "podman":
            # Without --rm: `podman restart` of a --rm container races its removal (podman 4.3 fails
            # "container has already been removed"); the stopped container is removed after the stop,
            # untimed (the node's stop includes its `podman rm`: ExecStopPost).
            return {"start": [b.podman, "run", "-d", "--replace", "--init", f"--name={self.name}",
                              f"--publish={self.port}:8080", "--", IMAGE, *COMMAND],
                    "restart": [b.podman, "restart", self.name],
                    "stop": [b.podman, "stop", "--time=10", self.name]}[op]
        # The node's unit's podman command and service shape, as a transient unit on the same manager.
        run = self.node_command()
        if op == "start":
            return ["systemd-run", "--user", "--collect", f"--unit={self.unit}", "-p", "Type=notify", "-p", "NotifyAccess=all",
                    "-p", "SuccessExitStatus=143", "-p", f"Environment=PODMAN_SYSTEMD_UNIT={self.unit}",
                    "-p", f"StandardOutput=append:{self.log}", "-p", f"StandardError=append:{self.log}",
                    "-p", f"ExecStartPre=/bin/rm -f {self.cidfile}", "-p", f"ExecStop={b.podman} stop --ignore --time=10 --cidfile={self.cidfile}",
                    "-p", f"ExecStopPost=-{b.podman} rm --force --ignore --cidfile={self.cidfile}", *run]
        return ["systemctl", "--user", op, self.unit]

    def node_command(self):
        """The ExecStart of the node's unit for the berth container of the same index, with this
        container's name, port, cidfile and log file (its label dropped: it is not the node's)."""
        path = f"{self.bench.args.manager}/units/ctr-{self.bench.args.tag}-b{self.index}.service"
        line = next(l for l in open(path) if l.startswith("ExecStart="))[len("ExecStart="):]
        words = []
        for w in shlex.split(line.replace("%t/%n.ctr-id", self.cidfile).replace("%%", "%")):
            if w.startswith("--name="):
                w = f"--name={self.name}"
            elif w.startswith("--publish="):
                w = f"--publish={self.port}:8080"
            elif w.startswith("--log-opt=path="):
                w = f"--log-opt=path={self.bench.args.work}/{self.name}.container.log"
            elif w.startswith("--label=io.berth."):
                continue
            words.append(w)
        if any("%" in w or "$" in w for w in words):
            raise RuntimeError(f"the node's ExecStart has specifiers this bench does not expand: {line}")
        return words

    def env(self):
        return self.bench.sysenv if self.way == "systemd-run" else self.bench.env

    def act(self, op):
        """One timed operation: its total (ms) and the named points of its breakdown (seconds)."""
        b = self.bench
        try:
            start, end, _ = b.run(self.argv(op), self.env())
        except RuntimeError as e:
            if self.way == "systemd-run" and os.path.exists(self.log):
                raise RuntimeError(f"{e}\nits unit's output:\n{open(self.log).read()[-800:]}") from None
            raise
        points = {"spawned": start}
        if self.way == "berth":
            points.update(b.relay_call({"start": "container.start", "restart": "container.restart",
                                        "stop": "container.stop"}[op]))
        # A stopped unit is unloaded (nothing holds it), so its timestamps are gone: a stop has the
        # unit.log marker of its last ExecStopPost (after podman stop and rm) instead.
        if op != "stop" and self.way != "podman":
            points.update(b.unit_points(self.unit))
        if self.way == "berth":
            m = b.marker(self.ident, start, "starting" if op != "stop" else "stopped")
            if m:
                points["unit.log marker" if op != "stop" else "stop marker"] = m
        points["command returned"] = end
        if self.way == "podman" and op == "stop":
            b.run([b.podman, "rm", "--force", "--ignore", self.name])
        if op != "stop":
            points["HTTP answered"] = b.http(self.port)
        last = points["HTTP answered"] if op != "stop" else end
        return (last - start) * 1000, points

    def cleanup(self):
        b = self.bench
        if self.way == "podman":
            subprocess.run([b.podman, "rm", "--force", "--ignore", self.name], capture_output=True, env=b.env)
        elif self.way == "systemd-run":
            subprocess.run(["systemctl", "--user", "stop", self.unit], capture_output=True, env=b.sysenv)


# Each operation's points in the order they happen; a row of the breakdown is the time from the
# point before (of those seen in that round) until the event it names.
ORDER = {
    "start": ["spawned", "CLI first line", "call sent", "ExecStartPre forked", "InactiveExit", "unit.log marker",
              "ExecStartPre done", "podman forked", "ExecMainStart", "links hook", "ActiveEnter", "answered",
              "command returned", "HTTP answered"],
    "stop": ["spawned", "CLI first line", "call sent", "stop marker", "answered", "command returned"],
}
ORDER["restart"] = ORDER["start"][:3] + ["ActiveExit", "InactiveEnter"] + ORDER["start"][3:]
EVENT = {
    "CLI first line": "the CLI's first request line reached the relay (process start, connect)",
    "call sent": "its container.* call line reached the relay",
    "ExecStartPre forked": "systemd forked the first ExecStartPre (berth: the node's work, its D-Bus call, the job)",
    "InactiveExit": "the unit left inactive",
    "unit.log marker": "the unit.log marker's bash read its clock",
    "ExecStartPre done": "the last ExecStartPre exited (the marker, rm -f of the cidfile)",
    "podman forked": "systemd forked `podman run` (ExecStart)",
    "ExecMainStart": "conmon's MAINPID/READY=1 reached systemd (podman's own time)",
    "links hook": "systemd forked ExecStartPost (the links hook)",
    "ActiveEnter": "the unit is active",
    "answered": "the node's answer line reached the relay",
    "command returned": "the command exited",
    "HTTP answered": "the first HTTP answer (polled every 2 ms)",
    "ActiveExit": "systemd began the stop (the node's work, its D-Bus call, the job)",
    "InactiveEnter": "the stop ended: ExecStop (podman stop), ExecStopPost (podman rm, marker)",
    "stop marker": "the stop's unit.log marker (its last ExecStopPost, after podman stop and rm)",
}


def wall(text):
    """`Sun 2026-12-06 22:39:31.511617 UTC` (systemctl --timestamp=us+utc) as seconds since the epoch."""
    return calendar.timegm(time.strptime(text.rsplit(".", 1)[0], "%a %Y-%m-%d %H:%M:%S")) + \
        int(text.rsplit(".", 1)[1].split()[0]) / 1e6


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def breakdown(title, samples, order):
    """Median of each segment over the rounds (only rounds where both ends were seen)."""
    print(f"\n{title}: ms from the point before until each event, median and p90 of {len(samples)} rounds")
    for i, name in enumerate(order[1:], 1):
        diffs = []
        for points in samples:
            if name not in points:
                continue
            prev = next((points[p] for p in reversed(order[:i]) if p in points), None)
            if prev is not None:
                diffs.append((points[name] - prev) * 1000)
        if diffs:
            print(f"  {statistics.median(diffs):8.2f}  {pct(diffs, 0.9):8.2f}  {name:19} {EVENT.get(name, '')}")


def main_run(args):
    b = Bench(args)
    relay_proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "relay", b.relay_sock, args.socket, b.relay_log])
    try:
        for _ in range(500):
            if os.path.exists(b.relay_sock):
                break
            time.sleep(0.01)
        measure(b, args)
    finally:
        relay_proc.terminate()
        relay_proc.wait()


def ping_ms(path, count):
    """Median round trip of node.ping on one connection to `path` (ms)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        f = s.makefile("rb")
        runs = []
        for i in range(count):
            start = time.monotonic()
            s.sendall(b'{"jsonrpc":"2.0","id":%d,"method":"node.ping"}\n' % i)
            if b'"result"' not in f.readline():
                raise RuntimeError("node.ping was not answered")
            runs.append((time.monotonic() - start) * 1000)
    return statistics.median(runs)


def measure(b, args):
    # What the relay adds to the berth rows: one more hop each way of a round trip.
    b.hop = [(ping_ms(args.socket, 50), ping_ms(b.relay_sock, 50)) for _ in range(3)]
    b.relay_call("-")
    ways = ["berth", "podman", "systemd-run"]
    single = {w: Subject(b, w, 0) for w in ways}
    totals = {(w, op): [] for w in ways for op in ("start", "restart", "stop")}
    points = {(w, op): [] for w in ways for op in ("start", "restart", "stop")}
    try:
        # One warm-up round (page cache, the image's layers, the node's first unit load), not counted.
        for w in ways:
            for op in ("start", "stop"):
                single[w].act(op)
        for r in range(args.rounds):
            for w in ways[r % 3:] + ways[:r % 3]:
                for op in ("start", "restart", "stop"):
                    ms, p = single[w].act(op)
                    totals[(w, op)].append(ms)
                    points[(w, op)].append(p)
    finally:
        for s in single.values():
            s.cleanup()

    batch_totals = {w: [] for w in ways}
    batch_stops = {w: [] for w in ways}
    if args.batch > 0 and args.batch_rounds > 0:
        groups = {w: [Subject(b, w, i) for i in range(1, args.batch + 1)] for w in ways}
        try:
            for r in range(args.batch_rounds):
                for w in ways[r % 3:] + ways[:r % 3]:
                    batch_totals[w].append(at_once(b, groups[w], "start"))
                    batch_stops[w].append(at_once(b, groups[w], "stop"))
        finally:
            for g in groups.values():
                for s in g:
                    s.cleanup()

    report(b, args, totals, points, batch_totals, batch_stops)


def at_once(b, group, op):
    """All of a group's commands spawned together; ms until the last HTTP answer (start) or exit (stop)."""
    start = time.monotonic()
    procs = [subprocess.Popen(s.argv(op), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=s.env()) for s in group]
    for p, s in zip(procs, group):
        if p.wait() != 0:
            raise RuntimeError(f"{op} of {s.name} at once exited {p.returncode}: {p.stderr.read().decode()[-400:]}")
        p.stderr.close()
    last = time.monotonic()
    if op == "stop" and group[0].way == "podman":
        b.run([b.podman, "rm", "--force", "--ignore", *[s.name for s in group]])
    if op == "start":
        last = max(b.http(s.port) for s in group)
    b.relay_call("-")  # the relay's lines of this batch are not a breakdown
    return (last - start) * 1000


def report(b, args, totals, points, batch_totals, batch_stops):
    def cell(values):
        return f"{statistics.median(values):.1f} / {pct(values, 0.9):.1f}"

    print(f"\nOne container ({IMAGE} `{' '.join(COMMAND)}`, one published port), {args.rounds} rounds, the three ways")
    print("alternating; ms median / p90; start and restart until the first HTTP answer, stop until the command returned.")
    print(f"{'':8} {'berth':>16} {'podman':>16} {'systemd-run':>16} {'berth/podman':>13} {'berth/sd-run':>13}")
    for op in ("start", "restart", "stop"):
        m = {w: statistics.median(totals[(w, op)]) for w in ("berth", "podman", "systemd-run")}
        print(f"{op:8} {cell(totals[('berth', op)]):>16} {cell(totals[('podman', op)]):>16} "
              f"{cell(totals[('systemd-run', op)]):>16} {m['berth'] / m['podman']:12.2f}x {m['berth'] / m['systemd-run']:12.2f}x")
    print("(berth start|restart|stop --wait; podman run -d|restart|stop; systemd-run|systemctl --user restart|stop)")
    if batch_totals["berth"]:
        n = len(batch_totals["berth"])
        print(f"\n{args.batch} containers at once ({args.batch} processes spawned together), {n} rounds alternating;"
              " ms median (min-max): start until the last answered, stop until the last exited")
        for name, data in (("start", batch_totals), ("stop", batch_stops)):
            m = {w: statistics.median(v) for w, v in data.items()}
            cells = "  ".join(f"{w} {m[w]:.0f} ({min(v):.0f}-{max(v):.0f})" for w, v in data.items())
            print(f"  {name:6} {cells}  berth/podman {m['berth'] / m['podman']:.2f}x, berth/systemd-run {m['berth'] / m['systemd-run']:.2f}x")

    direct, relayed = statistics.median(d for d, _ in b.hop), statistics.median(r for _, r in b.hop)
    print(f"\nThe relay's hop: node.ping {direct:.3f} ms direct, {relayed:.3f} ms through the relay (medians of 3 x 50):"
          f" +{relayed - direct:.3f} ms per round trip in the berth rows")
    breakdown("berth start: where the time goes", points[("berth", "start")], ORDER["start"])
    breakdown("berth restart", points[("berth", "restart")], ORDER["restart"])
    breakdown("berth stop --wait", points[("berth", "stop")], ORDER["stop"])
    breakdown("systemd-run (the same podman command on the same manager)", points[("systemd-run", "start")],
              ["spawned", "ExecStartPre forked", "InactiveExit", "ExecStartPre done", "podman forked", "ExecMainStart",
               "ActiveEnter", "command returned", "HTTP answered"])
    breakdown("podman run -d", points[("podman", "start")], ["spawned", "command returned", "HTTP answered"])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "relay":
        try:
            relay(*sys.argv[2:5])
        except KeyboardInterrupt:  # Ctrl-C reaches the whole group; the run's own cleanup reports it
            pass
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["run"])
    for name in ("--socket", "--berth", "--state", "--manager", "--work", "--tag"):
        parser.add_argument(name, required=True)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batch-rounds", type=int, default=1)
    main_run(parser.parse_args())


if __name__ == "__main__":
    main()
