#!/usr/bin/env python3
"""The measuring side of Scripts/bench/events (standard library only: no Berth code involved).

  events.py SOCKET MANAGER_DIR ROUNDS
      installs bench-ev (podman, not started) and bench-evp (the same, with a drop-in that makes its
      service a plain /bin/sleep), subscribes on one connection, then for each container ROUNDS
      times: `systemctl --user start` then `stop` (issued directly, behind berthd's back), timing
      issued -> event read off the socket and systemctl-returned -> event. Also times one
      `systemctl --user show -p ActiveState` (the poll a client without the stream would make).
      Prints one "name median_ms=... min_ms=... p90_ms=... n=..." line per measure.
"""
import json
import os
import socket
import statistics
import queue
import subprocess
import sys
import threading
import time


class Node:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(120)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 0

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError("the node closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line), time.monotonic()

    def call(self, method, params):
        self.next_id += 1
        self.sock.sendall((json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n").encode())
        while True:
            message, _ = self.line()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]



class Watcher:
    """A subscribed connection read by its own thread, so each event is timed when it arrives, not
    when the main thread gets to it."""

    def __init__(self, path, params):
        self.node = Node(path)
        self.node.call("events.subscribe", params)
        self.arrivals = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        try:
            while True:
                self.arrivals.put(self.node.line())
        except (OSError, RuntimeError, ValueError):
            self.arrivals.put((None, time.monotonic()))

    def change(self, cid, timeout=60):
        while True:
            message, at = self.arrivals.get(timeout=timeout)
            if message is None:
                raise RuntimeError("the node closed the subscription's connection")
            event = message.get("params", {}).get("event", {})
            if event.get("type") == "change" and event.get("id") == cid:
                return event, at

    def drain(self):
        time.sleep(0.2)
        while not self.arrivals.empty():
            self.arrivals.get_nowait()


def stats(name, values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    print(f"{name} median_ms={statistics.median(values):.2f} min_ms={values[0]:.2f} p90_ms={p90:.2f} n={len(values)}")


def main():
    path, manager_dir, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    env = dict(os.environ, XDG_RUNTIME_DIR=f"{manager_dir}/xdg", XDG_CONFIG_HOME=f"{manager_dir}/config",
               SYSTEMD_UNIT_PATH=f"{manager_dir}/units:")

    def systemctl(*args):
        done = subprocess.run(["systemctl", "--user", *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if done.returncode != 0:
            status = subprocess.run(["systemctl", "--user", "status", "--no-pager", *args[1:]], env=env,
                                    stdin=subprocess.DEVNULL, capture_output=True, text=True).stdout
            raise RuntimeError(f"systemctl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}\n{status}")

    control = Node(path)
    for cid in ("bench-ev", "bench-evp"):
        control.call("container.install", {"id": cid, "image": "localhost/busybox:latest", "command": ["sleep", "100000"]})
    dropin = f"{manager_dir}/units/ctr-bench-evp.service.d"
    os.makedirs(dropin, exist_ok=True)
    with open(f"{dropin}/plain.conf", "w") as f:
        f.write("[Service]\nType=simple\nExecStartPre=\nExecStartPost=\nExecStop=\nExecStopPost=\nExecStart=\n"
                "ExecStart=/bin/sleep 100000\n")
    systemctl("daemon-reload")
    watcher = Watcher(path, {"ids": ["bench-ev", "bench-evp"], "heartbeatSeconds": 3600})
    failures = {"plain": 0, "podman": 0}
    for cid, label in (("bench-evp", "plain"), ("bench-ev", "podman")):
        unit = f"ctr-{cid}.service"
        issued, returned = {"start": [], "stop": []}, {"start": [], "stop": []}
        for round_ in range(rounds):
            for verb, expected in (("start", "started"), ("stop", "stopped")):
                t0 = time.monotonic()
                try:
                    systemctl(verb, unit)
                except RuntimeError as error:
                    # podman's `run` sometimes exits 143 at once (seen here on 2-4 starts of 30,
                    # not caused by the stream): count it, clean up, and leave the round out.
                    failures[label] += 1
                    print(f"bench: round {round_}: {str(error).splitlines()[0]}", file=sys.stderr)
                    systemctl("reset-failed", unit)
                    time.sleep(1.0)
                    watcher.drain()
                    break
                t1 = time.monotonic()
                event, at = watcher.change(cid)
                if event["event"] != expected:
                    raise RuntimeError(f"{verb} {unit}: expected {expected}, got {event}")
                issued[verb].append((at - t0) * 1000)
                returned[verb].append((at - t1) * 1000)
                if label == "podman" and verb == "stop":
                    # Give podman's own cleanup (conmon's exit command) time before the next start;
                    # the occasional 143 above happens with or without this pause.
                    time.sleep(0.5)
        for verb in ("start", "stop"):
            stats(f"{label}_{verb}_issued_to_event", issued[verb])
            stats(f"{label}_{verb}_returned_to_event", returned[verb])
    polls = []
    for _ in range(rounds):
        t0 = time.monotonic()
        subprocess.run(["systemctl", "--user", "show", "-p", "ActiveState", "ctr-bench-ev.service"], env=env, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        polls.append((time.monotonic() - t0) * 1000)
    stats("systemctl_show_poll", polls)
    print(f"failed_starts plain={failures['plain']} podman={failures['podman']}")


if __name__ == "__main__":
    main()
