#!/usr/bin/env python3
"""The JSON-RPC side of Scripts/bench/containers (standard library only: no Berth code involved).

  containers.py install SOCKET FROM TO [CONNECTIONS] [WINDOW]
      installs bench-FROM .. bench-(TO-1) (not started), spread over CONNECTIONS connections, each with
      WINDOW requests in flight; prints "installed=N seconds=S per_s=R"; exits 1 on any error response.
      With BENCH_REQUEST_IDS=1 in the environment each install carries a requestId (retry-safe
      installs, whose answer the node makes durable too).
  containers.py list SOCKET REPEAT
      times container.list REPEAT times (request written to full response line read, on one connection);
      prints "count=N median_ms=M min_ms=M max_ms=M bytes=B".
  containers.py call SOCKET METHOD [PARAMS-JSON]
      one call; prints the result as JSON.
  containers.py startstop ID ROUNDS SOCKET...
      ROUNDS rounds of container.start then container.stop (wait) of container ID on each node in turn
      (interleaved, so all see the same load); per node prints
      "socket=S rounds=N median_ms=M min_ms=M p90_ms=M" (one start+stop per round).
"""
import json
import os
import socket
import statistics
import sys
import threading
import time

IMAGE = "localhost/berth-httpd:latest"
REQUEST_IDS = os.environ.get("BENCH_REQUEST_IDS") == "1"


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(600)
    s.connect(path)
    return s


class Lines:
    """Reads newline-delimited responses from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                return line
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("the node closed the connection")
            self.buf += chunk


def request(rid, method, params):
    return (json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params},
                       separators=(",", ":")) + "\n").encode()


def install_worker(path, ids, window, errors):
    s = connect(path)
    lines = Lines(s)
    sent = done = 0
    try:
        while done < len(ids):
            batch = b""
            while sent < len(ids) and sent - done < window:
                name = ids[sent]
                params = {"id": name, "image": IMAGE, "ports": [{"internal": 8080, "external": 0}]}
                if REQUEST_IDS:
                    params["requestId"] = "bench-request-" + name
                batch += request(sent, "container.install", params)
                sent += 1
            if batch:
                s.sendall(batch)
            response = json.loads(lines.next())
            done += 1
            if "error" in response:
                errors.append(f"{ids[response.get('id', 0)]}: {response['error']}")
    except Exception as e:  # noqa: BLE001 (a benchmark reports any failure and exits 1)
        errors.append(str(e))
    finally:
        s.close()


def install(path, first, last, connections=8, window=8):
    ids = [f"bench-{i:05d}" for i in range(first, last)]
    shares = [ids[k::connections] for k in range(connections)]
    errors = []
    threads = [threading.Thread(target=install_worker, args=(path, share, window, errors)) for share in shares if share]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    if errors:
        print(f"install: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
        sys.exit(1)
    print(f"installed={len(ids)} seconds={seconds:.3f} per_s={len(ids) / seconds:.1f}")


def list_containers(path, repeat):
    s = connect(path)
    lines = Lines(s)
    times, count, size = [], 0, 0
    for rid in range(repeat):
        start = time.monotonic()
        s.sendall(request(rid, "container.list", {}))
        line = lines.next()
        times.append((time.monotonic() - start) * 1000)
        response = json.loads(line)
        if "error" in response:
            print(f"list: {response['error']}", file=sys.stderr)
            sys.exit(1)
        count, size = len(response["result"]["containers"]), len(line)
    s.close()
    print(f"count={count} median_ms={statistics.median(times):.2f} min_ms={min(times):.2f} "
          f"max_ms={max(times):.2f} bytes={size}")


def call(path, method, params):
    s = connect(path)
    s.sendall(request(1, method, params))
    response = json.loads(Lines(s).next())
    s.close()
    if "error" in response:
        print(f"{method}: {response['error']}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(response["result"]))


def rpc_ok(sock, lines, rid, method, params):
    sock.sendall(request(rid, method, params))
    response = json.loads(lines.next())
    if "error" in response:
        print(f"{method}: {response['error']}", file=sys.stderr)
        sys.exit(1)
    return response["result"]


def start_stop(name, rounds, paths):
    conns = [(p, connect(p)) for p in paths]
    conns = [(p, s, Lines(s)) for p, s in conns]
    times = {p: [] for p in paths}
    rid = 0
    for _ in range(rounds):
        for path, s, lines in conns:
            start = time.monotonic()
            rpc_ok(s, lines, rid, "container.start", {"id": name})
            rpc_ok(s, lines, rid + 1, "container.stop", {"id": name, "wait": True})
            times[path].append((time.monotonic() - start) * 1000)
            rid += 2
    for path, s, _ in conns:
        s.close()
        t = sorted(times[path])
        print(f"socket={path} rounds={len(t)} median_ms={statistics.median(t):.2f} min_ms={t[0]:.2f} "
              f"p90_ms={t[min(len(t) - 1, len(t) * 9 // 10)]:.2f}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    command, path = argv[1], argv[2]
    if command == "install":
        install(path, int(argv[3]), int(argv[4]), *(int(a) for a in argv[5:7]))
    elif command == "list":
        list_containers(path, int(argv[3]))
    elif command == "startstop":
        start_stop(argv[2], int(argv[3]), argv[4:])
    elif command == "call":
        call(path, argv[3], json.loads(argv[4]) if len(argv) > 4 else {})
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
