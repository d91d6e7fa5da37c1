#!/usr/bin/env python3
"""The measuring side of Scripts/bench/logs (standard library only: no Berth code involved).

  logs.py --socket S --pid P --state DIR --berth BIN [--repeat N --rate R --seconds T --megabytes M]

Two parts, each against a baseline in the same run (see Scripts/bench/logs): `tail` over a large
log, and a container writing fast while followed. Prints one table row per measure.
"""
import argparse
import os
import json
import re
import socket
import statistics
import subprocess
import time

IMAGE = "localhost/busybox:latest"
NOTES = []  # printed under the table


class Node:
    def __init__(self, path):
        # Scripts/bench/logs started berthd with berthd_wait_listening: the node already answers.
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(300)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 0

    def raw_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("the node closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def send(self, method, params):
        self.next_id += 1
        self.sock.sendall(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                      "params": params}).encode() + b"\n")
        return self.next_id

    def call(self, method, params):
        wanted = self.send(method, params)
        while True:
            message = json.loads(self.raw_line())
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def wall_ms(argv):
    start = time.monotonic()
    out = subprocess.run(argv, capture_output=True, check=True).stdout
    return (time.monotonic() - start) * 1000, out


def median_ms(runs):
    return statistics.median(runs)


def row(name, budget, baseline, measured, ratio, command):
    print(f"| {name} | {budget} | {baseline} | {measured} | {ratio} | `{command}` |")


def tail_part(node, args):
    cid = "bench-big"
    node.call("container.install", {"id": cid, "image": IMAGE, "command": ["sleep", "1"], "start": False})
    path = os.path.join(args.state, "logs", cid, "container.log")
    # conmon's format, one second apart per 10,000 lines; "line N" and padding to ~100 bytes a line.
    target = args.megabytes * 1_000_000
    written = 0
    n = 0
    with open(path, "w") as f:
        while written < target:
            block = "".join(f"2026-12-06T10:{(n + i) // 600000 % 60:02d}:{(n + i) // 10000 % 60:02d}.{(n + i) % 10000:09d}+00:00 "
                            f"stdout F line {n + i} {'x' * 40}\n" for i in range(10000))
            f.write(block)
            written += len(block)
            n += 10000
    last = f"line {n - 1} "
    size = os.path.getsize(path)

    node_runs = []
    for _ in range(args.repeat):
        start = time.monotonic()
        node.send("container.logs", {"id": cid, "tail": 100})
        line = node.raw_line()
        node_runs.append((time.monotonic() - start) * 1000)
        result = json.loads(line)["result"]
        assert len(result["lines"]) == 100 and result["lines"][-1]["text"].startswith(last), result["lines"][-1]
    cli_runs, tail_runs = [], []
    for _ in range(args.repeat):
        ms, out = wall_ms([args.berth, "--node", f"unix:{args.socket}", "logs", "--tail", "100", cid])
        assert out.decode().splitlines()[-1].split()[-2:] == [last.split()[1], "x" * 40], out[-200:]
        cli_runs.append(ms)
        ms, out = wall_ms(["tail", "-n", "100", path])
        tail_runs.append(ms)
    t = median_ms(tail_runs)
    NOTES.append(f"tail: {size / 1e6:.0f} MB, {n} lines; medians of {args.repeat} runs")
    row(f"`--tail 100` of a {size / 1e6:.0f} MB log, at the node (socket round trip)", "< 10 ms",
        f"`tail -n 100`: {t:.2f} ms", f"{median_ms(node_runs):.2f} ms", f"{median_ms(node_runs) / t:.2f}x",
        "Scripts/bench/logs")
    row(f"`berth logs --tail 100` of the same log (process start included)", "-",
        f"`tail -n 100`: {t:.2f} ms", f"{median_ms(cli_runs):.2f} ms", f"{median_ms(cli_runs) / t:.2f}x",
        "Scripts/bench/logs")
    node.call("container.delete", {"id": cid})


def follow_part(node, args):
    cid = "bench-fast"
    name = "ctr-" + cid
    # 50 ticks a second: each writes its share, then sleeps the rest of its 20 ms (seq and the loop
    # take about 4 ms of it on the project's machine; the rate reached is measured and printed).
    per_tick = max(args.rate // 50, 1)
    ticks = args.seconds * 50
    total = per_tick * ticks
    script = ("echo ready; while [ ! -e /tmp/go ]; do /bin/busybox usleep 20000; done; "
              f"i=0; while [ $i -lt {ticks} ]; do /bin/busybox seq $((i*{per_tick}+1)) $((i*{per_tick}+{per_tick})); "
              "/bin/busybox usleep 16000; i=$((i+1)); done; echo done; exec sleep 100000")
    node.call("container.install", {"id": cid, "image": IMAGE, "command": ["sh", "-c", script], "start": True})
    deadline = time.monotonic() + 120
    while not any(l["text"] == "ready" for l in node.call("container.logs", {"id": cid})["lines"]):
        if time.monotonic() > deadline:
            raise RuntimeError("the container did not get ready")
        time.sleep(0.05)
    conmon = int(subprocess.run(["podman", "inspect", "-f", "{{.State.ConmonPid}}", name],
                                capture_output=True, check=True, text=True).stdout.strip())
    follower = Node(args.socket)
    follower.call("container.logs", {"id": cid, "follow": True, "tail": 0})
    numbers = re.compile(r"^\d+$")
    got = 0
    hz = os.sysconf("SC_CLK_TCK")
    node0, conmon0, t0 = cpu_ticks(args.pid), cpu_ticks(conmon), time.monotonic()
    subprocess.run(["podman", "exec", name, "sh", "-c", ": > /tmp/go"], check=True)
    first_time = last_time = None
    done = False
    while not done:
        message = json.loads(follower.raw_line())
        for l in message.get("params", {}).get("lines", []):
            if numbers.match(l["text"]):
                got += 1
                first_time = first_time or l.get("time")
                last_time = l.get("time")
            elif l["text"] == "done":
                done = True
    node1, conmon1, t1 = cpu_ticks(args.pid), cpu_ticks(conmon), time.monotonic()
    shown = sum(1 for l in subprocess.run(["podman", "logs", name], capture_output=True, check=True).stdout.splitlines()
                if l.isdigit())
    node_cpu = (node1 - node0) / hz
    conmon_cpu = (conmon1 - conmon0) / hz
    wall = t1 - t0

    def seconds(text):  # the wire's UTC time with nine fraction digits
        h, m, s = text[11:29].split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    spread = seconds(last_time) - seconds(first_time) if first_time and last_time else 0
    rate = total / spread if spread > 0 else float("nan")
    NOTES.append(f"follow: {total} lines written in {spread:.2f} s by the container's clock ({rate:,.0f} lines/s), "
          f"followed for {wall:.2f} s")
    row(f"lines lost while followed ({rate:,.0f} lines/s for {spread:.1f} s)", "none",
        f"`podman logs`: {shown} of {total}", f"follower: {got} of {total}",
        f"{got / shown:.2f}x of `podman logs` (lost {total - got})" if shown else f"lost {total - got}",
        "Scripts/bench/logs")
    row("berthd's CPU while following that container", "-",
        f"conmon: {conmon_cpu:.2f} s ({100 * conmon_cpu / wall:.0f}% of a core)",
        f"{node_cpu:.2f} s ({100 * node_cpu / wall:.0f}% of a core)",
        f"{node_cpu / conmon_cpu:.2f}x" if conmon_cpu else "-", "Scripts/bench/logs")
    berth_runs, podman_runs = [], []
    for _ in range(max(args.repeat // 3, 3)):
        berth_runs.append(wall_ms([args.berth, "--node", f"unix:{args.socket}", "logs", "--tail", "100", cid])[0])
        podman_runs.append(wall_ms(["podman", "logs", "--tail", "100", name])[0])
    p = median_ms(podman_runs)
    row(f"`berth logs --tail 100` of that log ({total // 1000}k lines)", "-", f"`podman logs --tail 100`: {p:.1f} ms",
        f"{median_ms(berth_runs):.1f} ms", f"{median_ms(berth_runs) / p:.2f}x", "Scripts/bench/logs")
    follower.sock.close()
    node.call("container.delete", {"id": cid})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--berth", required=True)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rate", type=int, default=50000)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    node = Node(args.socket)
    print("| measure | budget | baseline (same run) | Berth | ratio | command |")
    print("|---|---|---|---|---|---|")
    tail_part(node, args)
    follow_part(node, args)
    print()
    for note in NOTES:
        print(note)


if __name__ == "__main__":
    main()
