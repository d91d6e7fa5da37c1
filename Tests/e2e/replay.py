"""Replays Protocol/examples/*.jsonl transcripts against a live node (format: Protocol/examples/README.md).

    replay(path, connect)  ->  None, or raises harness.TestFailure naming the file and line

CONNECT returns a fresh connected socket (Unix, or TCP already authenticated).
"""

import json
import socket
import time

from harness import TestFailure

READ_TIMEOUT = 5.0


def matches(pattern, actual, present=True):
    """The matcher of Protocol/examples/README.md; PRESENT is False for a missing object member."""
    if isinstance(pattern, str) and pattern.startswith("$$"):
        return present and actual == pattern[1:]
    if isinstance(pattern, str) and pattern.startswith("$"):
        if not present:
            return pattern == "$absent"
        kinds = {
            "$any": lambda v: True,
            "$string": lambda v: isinstance(v, str),
            "$number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "$integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)),
            "$bool": lambda v: isinstance(v, bool),
            "$null": lambda v: v is None,
            "$array": lambda v: isinstance(v, list),
            "$object": lambda v: isinstance(v, dict),
        }
        check = kinds.get(pattern)
        return bool(check and check(actual))
    if not present:
        return False
    if isinstance(pattern, dict) and len(pattern) == 1 and "$unordered" in pattern:
        if not isinstance(actual, list) or len(actual) != len(pattern["$unordered"]):
            return False
        remaining = list(actual)
        for p in pattern["$unordered"]:
            for k, candidate in enumerate(remaining):
                if matches(p, candidate):
                    del remaining[k]
                    break
            else:
                return False
        return True
    if isinstance(pattern, dict):
        if not isinstance(actual, dict):
            return False
        return all(matches(p, actual.get(key), key in actual) for key, p in pattern.items())
    if isinstance(pattern, list):
        return isinstance(actual, list) and len(actual) == len(pattern) and all(
            matches(p, a) for p, a in zip(pattern, actual))
    if isinstance(pattern, bool) or pattern is None:
        return actual is pattern
    if isinstance(pattern, (int, float)):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and float(actual) == float(pattern)
    return actual == pattern


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def line(self, timeout):
        """The next line (bytes), or None at end of stream."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if self.buffer:
                    raise TestFailure(f"stream ended inside a line: {self.buffer[:200]!r}")
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line


def _send(sock, data):
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the node may close first (line too long); what it sent before is still read


def replay(path, connect):
    name = path.rsplit("/", 1)[-1]
    sock = connect()
    reader = _Reader(sock)
    expects = 0
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            where = f"{name}:{number}"
            step = json.loads(raw)
            if not isinstance(step, dict) or len(step) != 1:
                raise TestFailure(f"{where}: a step must be an object with one directive")
            (directive, value), = step.items()
            if directive == "comment":
                continue
            elif directive == "send":
                _send(sock, value.encode("utf-8") + b"\n")
            elif directive == "sendHex":
                _send(sock, bytes.fromhex(value))
            elif directive == "sendFill":
                _send(sock, value["byte"].encode("ascii") * value["count"] + b"\n")
            elif directive == "expect":
                expects += 1
                try:
                    line = reader.line(READ_TIMEOUT)
                except TimeoutError:
                    raise TestFailure(f"{where}: no line from the node within {READ_TIMEOUT}s")
                if line is None:
                    raise TestFailure(f"{where}: the node closed the connection instead of answering")
                try:
                    got = json.loads(line)
                except ValueError:
                    raise TestFailure(f"{where}: not JSON: {line[:300]!r}")
                if not matches(value, got):
                    raise TestFailure(f"{where}: {json.dumps(got)[:1000]} does not match {json.dumps(value)[:1000]}")
            elif directive == "expectClosed":
                try:
                    line = reader.line(READ_TIMEOUT)
                except TimeoutError:
                    raise TestFailure(f"{where}: the node did not close the connection within {READ_TIMEOUT}s")
                if line is not None:
                    raise TestFailure(f"{where}: expected the connection closed, got {line[:300]!r}")
            else:
                raise TestFailure(f"{where}: unknown directive {directive!r}")
        # Nothing more may arrive for what was sent: a trailing line means an unexpected reply.
        try:
            extra = reader.line(0.2)
        except TimeoutError:
            extra = None
        if extra is not None:
            raise TestFailure(f"{name}: unexpected extra line {extra[:300]!r}")
        if expects == 0:
            raise TestFailure(f"{name}: no expect step")
    finally:
        sock.close()
    return expects
