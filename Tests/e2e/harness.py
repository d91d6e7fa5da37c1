"""Berth's end-to-end test harness (python3 standard library only).

A test file imports this module, defines functions named ``test_*`` taking one ``Cleanup`` argument,
and ends with ``harness.main()``. Each test runs with its own cleanup stack, which stops everything the
test started (by PID or by name, never by pattern) even when the test fails or the run is interrupted.

    import harness
    from harness import check, check_equal

    def test_something(cu):
        mgr = harness.Manager.start_new(cu)          # private systemd manager, stopped by cu
        node = harness.Node.start_new(cu, manager=mgr) # berthd on a Unix socket, stopped by cu
        rpc = node.connect(cu)
        check_equal(rpc.call("node.ping"), {}, "ping result")

    if __name__ == "__main__":
        harness.main()

Run one file: ``python3 Tests/e2e/test_x.py [NAME_SUBSTRING...]``. Scripts/test runs every file.
Environment read: BERTH_ROOT, BERTH_BIN_DIR, BERTH_SCRATCH_PATH, CONTAINERS_CONF (see Scripts/test).
"""

import collections
import inspect
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.environ.get("BERTH_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANAGER_SH = os.path.join(ROOT, "Scripts", "lib", "manager.sh")
CONTAINERS_CONF = os.environ.get("CONTAINERS_CONF") or "/etc/berth/containers.conf"
_names = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Assertions


class TestFailure(AssertionError):
    """A check that did not hold; its message says what was expected and what was seen."""


def _describe(context):
    return "".join(f"\n      {k}: {v!r}" for k, v in context.items())


def check(condition, message, **context):
    """Fails the test with MESSAGE (and each KEY: VALUE of CONTEXT) unless CONDITION holds."""
    if not condition:
        raise TestFailure(message + _describe(context))


def check_equal(actual, expected, what, **context):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}" + _describe(context))


def check_in(needle, haystack, what, **context):
    if needle not in haystack:
        raise TestFailure(f"{what}: expected {needle!r} in {haystack!r}" + _describe(context))


def eventually(probe, what, timeout=10.0, interval=0.05):
    """Polls PROBE until it returns a truthy value and returns that value; fails after TIMEOUT s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
            if last:
                return last
        except Exception as error:  # a probe may fail until the thing it waits for exists
            last = error
        if time.monotonic() >= deadline:
            raise TestFailure(f"{what}: not true after {timeout}s (last seen: {last!r})")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Cleanup


class Cleanup:
    """A stack of undo actions run in reverse order. A failing action is reported, never raised,
    so every later action still runs."""

    def __init__(self):
        self._actions = []

    def push(self, description, action, *args):
        self._actions.append((description, action, args))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.run()
        return False

    def run(self):
        ok = True
        while self._actions:
            description, action, args = self._actions.pop()
            try:
                action(*args)
            except BaseException as error:  # keep going: the rest must be cleaned up too
                ok = False
                print(f"    cleanup: {description} failed: {error!r}", flush=True)
        return ok

    def process(self, proc, name, timeout=10.0):
        """Stops PROC (a subprocess.Popen) by its PID: SIGTERM, then SIGKILL after TIMEOUT s."""
        self.push(f"stop {name} (pid {proc.pid})", stop_process, proc, timeout)
        return proc

    def container(self, name):
        """Removes the podman container NAME (if it exists)."""
        self.push(f"remove container {name}", podman, "rm", "-f", "--ignore", "-t", "2", name)

    def netns(self, name):
        self.push(f"delete netns {name}", _run_quiet, ["ip", "netns", "del", name])

    def path(self, path):
        self.push(f"remove {path}", shutil.rmtree, path, True)
        return path

    def tempdir(self, prefix="berth-e2e-"):
        """A fresh directory under /tmp (short, so Unix socket paths inside it fit), removed last."""
        return self.path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def stop_process(proc, timeout=10.0):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run(argv, check_ok=True, timeout=30, **kw):
    """Runs argv (no shell, stdin closed, output captured as text); a non-zero exit is a TestFailure
    naming the command and its stderr unless check_ok is False."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, **kw)
    if check_ok and done.returncode != 0:
        raise TestFailure(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done


def _run_quiet(argv):
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def raw_unix(path, timeout=10.0):
    """A plain Unix stream socket connected to PATH (for bytes no well-behaved client would send)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_until_closed(sock, timeout=10.0):
    """Everything the peer sends until it closes its end (TIMEOUT: a failure)."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        check(remaining > 0, "the peer did not close the connection", got=data[:300])
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        except socket.timeout:
            continue
        if not chunk:
            return data
        data += chunk


def tcp_listening(port, host="127.0.0.1"):
    """Whether HOST:PORT accepts a TCP connection now."""
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_for_unix_socket(proc, path, what, argv, log_path, timeout):
    """Waits until the Unix socket PATH accepts a connection; TestFailure (naming WHAT, its ARGV and
    the tail of LOG_PATH) if PROC exits first or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise TestFailure(f"{what} exited {proc.returncode} before listening\n"
                              f"argv: {argv}\nlog:\n{tail(log_path)}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
            return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise TestFailure(f"{what} did not listen on {path} within {timeout}s\nlog:\n{tail(log_path)}")
        time.sleep(0.02)


def unique_name(prefix="berth-e2e"):
    """A name unique to this process, for containers, units, namespaces."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def podman(*args, check=True, timeout=60):
    """Runs podman with Berth's containers.conf; returns its stdout (stripped)."""
    env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
    done = subprocess.run(["podman", *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise TestFailure(f"podman {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout.strip()


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(host, port, path="/", timeout=5.0):
    """(status, body text) of a plain HTTP/1.0 GET."""
    import http.client
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def local_page(port, timeout=2.0):
    """The body 127.0.0.1:PORT serves, or None when nothing answers (for `eventually` and for
    checking that a stopped container's port refuses)."""
    try:
        return http_get("127.0.0.1", port, timeout=timeout)[1]
    except OSError:
        return None


def tail(path, lines=30):
    try:
        with open(path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")
    except OSError as error:
        return f"({path}: {error.strerror})"


# ---------------------------------------------------------------------------------------------
# The private systemd manager

_KEEPER = r"""
source "$1"
trap 'manager_stop; exit 0' TERM INT HUP
manager_start "$2" || exit 1
echo "ready $MANAGER_PID $MANAGER_CGROUP"
read -r _ || true
manager_stop
"""


class Manager:
    """A private systemd manager (Scripts/lib/manager.sh) kept by a bash process that stays alive.

    The keeper stops the manager when its stdin closes, so the manager goes away even if this
    Python process is killed outright. Never start systemd any other way (see REAL-STACK.md: from the
    root cgroup it would move every process of the machine into its own scope)."""

    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.xdg = os.path.join(self.dir, "xdg")
        self.units = os.path.join(self.dir, "units")
        self.root_target = "berth-root.target"
        self.pid = None
        self.cgroup = None
        self._keeper = None

    @classmethod
    def start_new(cls, cleanup, directory=None, timeout=20.0):
        manager = cls(directory or os.path.join(cleanup.tempdir("berth-mgr-"), "sd"))
        cleanup.push(f"stop systemd manager in {manager.dir}", manager.stop)
        manager.start(timeout)
        return manager

    def start(self, timeout=20.0):
        os.makedirs(self.dir, exist_ok=True)
        env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
        self._stderr = open(os.path.join(self.dir, "keeper.log"), "ab")
        self._keeper = subprocess.Popen(["bash", "-c", _KEEPER, "keeper", MANAGER_SH, self.dir], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        ready, _, _ = select.select([self._keeper.stdout], [], [], timeout)
        line = self._keeper.stdout.readline().decode() if ready else ""
        if not line.startswith("ready "):
            self.stop()
            raise TestFailure(f"private systemd manager did not start within {timeout}s\n"
                              f"keeper.log:\n{tail(os.path.join(self.dir, 'keeper.log'))}\n"
                              f"console.log:\n{tail(os.path.join(self.dir, 'console.log'))}")
        _, pid, self.cgroup = line.split()
        self.pid = int(pid)
        return self

    def stop(self, timeout=15.0):
        keeper, self._keeper = self._keeper, None
        if keeper is None:
            return
        try:
            keeper.stdin.close()  # the keeper's `read` ends: it runs manager_stop
        except OSError:
            pass
        try:
            keeper.wait(timeout)
        except subprocess.TimeoutExpired:
            keeper.terminate()  # its trap runs manager_stop too
            try:
                keeper.wait(timeout)
            except subprocess.TimeoutExpired:
                keeper.kill()
                keeper.wait(5)
        keeper.stdout.close()
        self._stderr.close()

    def env(self):
        """Environment for a client of this manager (systemctl --user, berthd)."""
        # The same private config and unit path as the manager's (Scripts/lib/manager.sh): without
        # them systemctl's client-side lookups (enable, cat) miss the units, and `enable` would
        # write into the real ~/.config/systemd/user.
        return dict(os.environ, XDG_RUNTIME_DIR=self.xdg, XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                    SYSTEMD_UNIT_PATH=self.units + ":", CONTAINERS_CONF=CONTAINERS_CONF)

    def systemctl(self, *args, check=True, timeout=60):
        done = subprocess.run(["systemctl", "--user", *args], env=self.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise TestFailure(f"systemctl --user {' '.join(args)} exited {done.returncode}: "
                              f"{(done.stderr or done.stdout).strip()}")
        return done

    def show(self, unit, *properties):
        """{property: value} from `systemctl show` (which prints in its own order)."""
        props = properties or ("ActiveState", "SubState", "Result", "MainPID")
        out = self.systemctl("show", "-p", ",".join(props), unit).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def install_unit(self, name, text, reload=True):
        """Writes unit NAME into the manager's unit directory (and reloads)."""
        with open(os.path.join(self.units, name), "w") as f:
            f.write(text)
        if reload:
            self.systemctl("daemon-reload")

    def wait_for(self, unit, active_state, timeout=10.0):
        return eventually(lambda: self.show(unit).get("ActiveState") == active_state and self.show(unit),
                          f"{unit} ActiveState={active_state}", timeout)

    def processes(self):
        """PIDs in the manager's own cgroup tree (the systemd controller hierarchy)."""
        pids = set()
        for hierarchy in ("systemd", "unified", "pids"):
            base = os.path.join("/sys/fs/cgroup", hierarchy, self.cgroup)
            for dirpath, _, files in os.walk(base):
                if "cgroup.procs" in files:
                    with open(os.path.join(dirpath, "cgroup.procs")) as f:
                        pids.update(int(p) for p in f.read().split())
        return pids


def podman_unit(name, image, *command, publish=None, env=None, extra=""):
    """A systemd unit running a podman container NAME the way REAL-STACK.md verified (Type=notify,
    conmon notifies, the container removed on stop). PUBLISH: "127.0.0.1:HOST:CONTAINER"."""
    user = ["--name", name]
    if publish:
        user += ["-p", publish]
    for key, value in (env or {}).items():
        user += ["-e", f"{key}={value}"]
    user += [image, *command]
    exec_start = " ".join(["/usr/bin/podman", "run", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon", "--rm",
                           "--sdnotify=conmon", "-d", "--replace"] + [systemd_quote(a) for a in user])
    return (f"[Unit]\nDescription=berth e2e container {name.replace('%', '%%')}\n\n[Service]\nType=notify\n"
            f"NotifyAccess=all\nExecStartPre=/bin/rm -f %t/%n.ctr-id\nExecStart={exec_start}\n"
            f"ExecStop=/usr/bin/podman stop --ignore -t 2 --cidfile=%t/%n.ctr-id\n"
            f"ExecStopPost=-/usr/bin/podman rm -f --ignore --cidfile=%t/%n.ctr-id\n"
            f"TimeoutStartSec=60\n{extra}\n[Install]\nWantedBy=berth-root.target\n")


def systemd_quote(word):
    """WORD as one literal argument of an Exec line: % and $ escaped (no specifiers, no variables),
    double-quoted when it holds blanks, quotes or backslashes."""
    word = word.replace("%", "%%").replace("$", "$$")
    if not word or any(c in word for c in " \t\"'\\;"):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


# ---------------------------------------------------------------------------------------------
# berthd


def bin_dir():
    """The build's bin folder: BERTH_BIN_DIR (set by Scripts/test), else asked from SwiftPM."""
    if os.environ.get("BERTH_BIN_DIR"):
        return os.environ["BERTH_BIN_DIR"]
    scratch = os.environ.get("BERTH_SCRATCH_PATH", ".build")
    out = subprocess.run(["swift", "build", "--show-bin-path", "--scratch-path", scratch], cwd=ROOT,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def start_stack(cu):
    """A private systemd manager, a berthd on it and a connection to it: (manager, node, rpc)."""
    mgr = Manager.start_new(cu)
    node = Node.start_new(cu, manager=mgr)
    return mgr, node, node.connect(cu)


class Node:
    """A berthd process with its own state and run directories and a Unix socket:
    ``berthd --listen unix:SOCKET --state-dir STATE --run-dir RUN [EXTRA_ARGS...]``, with the
    manager's XDG_RUNTIME_DIR in its environment when a Manager is given."""

    def __init__(self, directory, manager=None, binary=None, extra_args=()):
        self.dir = os.path.abspath(directory)
        self.state_dir = os.path.join(self.dir, "state")
        self.run_dir = os.path.join(self.dir, "run")
        self.socket_path = os.path.join(self.run_dir, "berthd.sock")
        self.log_path = os.path.join(self.dir, "berthd.log")
        self.manager = manager
        self.binary = binary or os.path.join(bin_dir(), "berthd")
        self.extra_args = list(extra_args)
        self.proc = None

    @classmethod
    def start_new(cls, cleanup, manager=None, binary=None, extra_args=(), timeout=15.0):
        node = cls(cleanup.tempdir("berth-node-"), manager, binary, extra_args)
        cleanup.push(f"stop berthd in {node.dir}", node.stop)
        node.start(timeout)
        return node

    def argv(self):
        return [self.binary, "--listen", f"unix:{self.socket_path}", "--state-dir", self.state_dir,
                "--run-dir", self.run_dir, *self.extra_args]

    def start(self, timeout=15.0):
        check(os.access(self.binary, os.X_OK), f"berthd not found or not executable at {self.binary} "
              "(build first: swift build; or set BERTH_BIN_DIR)")
        os.makedirs(self.state_dir, exist_ok=True)
        os.makedirs(self.run_dir, exist_ok=True)
        env = self.manager.env() if self.manager else dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv(), env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            wait_for_unix_socket(self.proc, self.socket_path, "berthd", self.argv(), self.log_path, timeout)
        except TestFailure:
            self.stop()
            raise
        return self

    def stop(self, timeout=10.0):
        """SIGTERM, wait, then SIGKILL; returns berthd's exit status."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        stop_process(proc, timeout)
        return proc.returncode

    def berth(self, *args, timeout=120, text=True):
        """Runs the berth CLI against this node's socket; the CompletedProcess (str or bytes output)."""
        argv = [os.path.join(bin_dir(), "berth"), "--node", f"unix:{self.socket_path}", *args]
        return subprocess.run(argv, capture_output=True, text=text, timeout=timeout, stdin=subprocess.DEVNULL)

    def connect(self, cleanup=None, timeout=10.0):
        client = RpcClient.unix(self.socket_path, timeout)
        if cleanup is not None:
            cleanup.push("close rpc connection", client.close)
        return client

    def log(self):
        return tail(self.log_path, 200)


# ---------------------------------------------------------------------------------------------
# JSON-RPC 2.0 over line-delimited sockets


class RpcError(Exception):
    """An error response: code, message and data (data["kind"] is Berth's stable error word)."""

    def __init__(self, error, method=None):
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        self.kind = self.data.get("kind") if isinstance(self.data, dict) else None
        super().__init__(f"{method or 'call'} failed: {self.code} {self.kind or ''} {self.message!r}")


class ConnectionClosed(Exception):
    pass


class RpcClient:
    """A JSON-RPC 2.0 client for one line-delimited connection. Responses are matched by id, so
    requests can be pipelined; notifications that arrive meanwhile are kept in ``notifications``."""

    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.timeout = timeout
        self._buffer = b""
        self._ids = itertools.count(1)
        self._responses = {}
        self.notifications = collections.deque()
        self.batches = collections.deque()
        # The secure channel (berth_channel), once open: what is sent is sealed, what is read opened.
        self.sealer = None
        self.opener = None

    @classmethod
    def unix(cls, path, timeout=10.0):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return cls(sock, timeout)

    @classmethod
    def tcp(cls, host, port, timeout=10.0):
        return cls(socket.create_connection((host, port), timeout=timeout), timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def start_channel(self, sealer, opener):
        """Seals from now on; the bytes already read after the line that opened the channel are records."""
        self.sealer, self.opener = sealer, opener
        pending, self._buffer = self._buffer, b""
        self._buffer = self.opener.feed(pending)

    # Raw access, for framing and protocol-error tests.
    def send_raw(self, data):
        self.sock.sendall(self.sealer.seal(data) if self.sealer else data)

    def send(self, message):
        self.send_raw(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def read_line(self, timeout=None):
        """The next line without its newline (bytes); ConnectionClosed at end of stream."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"no complete line from the node within {self.timeout if timeout is None else timeout}s"
                                  f" (buffered: {self._buffer[:200]!r})")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise ConnectionClosed(f"connection closed (unterminated: {self._buffer[:200]!r})")
            self._buffer += self.opener.feed(chunk) if self.opener else chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def recv(self, timeout=None):
        """The next message (a dict, or a list for a batch response)."""
        line = self.read_line(timeout)
        try:
            return json.loads(line)
        except ValueError:
            raise TestFailure(f"node sent a line that is not JSON: {line[:300]!r}")

    def _dispatch(self, message):
        if isinstance(message, list):
            self.batches.append(message)
        elif "method" in message and "id" not in message:
            self.notifications.append(message)
        else:
            self._responses[message.get("id")] = message

    # Requests.
    def next_id(self):
        return next(self._ids)

    def start(self, method, params=None, request_id=None):
        """Sends a request without waiting; returns its id."""
        request_id = self.next_id() if request_id is None else request_id
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return request_id

    def response(self, request_id, timeout=None):
        """Waits for the response with REQUEST_ID (the whole response object)."""
        while request_id not in self._responses:
            self._dispatch(self.recv(timeout))
        return self._responses.pop(request_id)

    def request(self, method, params=None, timeout=None):
        return self.response(self.start(method, params), timeout)

    def call(self, method, params=None, timeout=None):
        """The result of METHOD, or RpcError."""
        response = self.request(method, params, timeout)
        if "error" in response:
            raise RpcError(response["error"], method)
        check("result" in response, f"{method}: response has neither result nor error", response=response)
        return response["result"]

    def call_error(self, method, params=None, timeout=None):
        """The RpcError METHOD answers, or None when it succeeds: for tests whose point is the refusal."""
        try:
            self.call(method, params, timeout)
        except RpcError as error:
            return error
        return None

    def notify(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def pipeline(self, calls, timeout=None):
        """Sends every (method, params) before reading any response; returns the responses in order."""
        ids = [self.next_id() for _ in calls]
        payload = b"".join(json.dumps({"jsonrpc": "2.0", "id": i, "method": m, **({} if p is None else {"params": p})},
                                      separators=(",", ":")).encode() + b"\n" for i, (m, p) in zip(ids, calls))
        self.send_raw(payload)
        return [self.response(i, timeout) for i in ids]

    def batch(self, messages, timeout=None):
        """Sends MESSAGES as one JSON-RPC batch; returns the batch response (a list)."""
        self.send(messages)
        while not self.batches:
            self._dispatch(self.recv(timeout))
        return self.batches.popleft()

    def next_notification(self, method=None, timeout=None):
        """The next notification (of METHOD, if given; others stay queued)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for note in list(self.notifications):
                if method is None or note.get("method") == method:
                    self.notifications.remove(note)
                    return note
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"no {method or ''} notification within the timeout")
            self._dispatch(self.recv(remaining))


# ---------------------------------------------------------------------------------------------
# Running a test file


class _Interrupted(BaseException):
    pass


def _on_signal(signum, _frame):
    raise _Interrupted(f"signal {signum}")


def main(argv=None):
    """Runs the calling module's test_* functions (those whose name contains any of ARGV, if given),
    each with a fresh Cleanup; prints one line per test and `N passed, M failed`; exits 1 on failure."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _on_signal)  # so cleanup stacks run when Scripts/test's timeout fires
    argv = sys.argv[1:] if argv is None else argv
    module = sys.modules["__main__"]
    tests = [(name, fn) for name, fn in inspect.getmembers(module, inspect.isfunction)
             if name.startswith("test_") and fn.__module__ == module.__name__
             and (not argv or any(a in name for a in argv))]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    file = os.path.basename(getattr(module, "__file__", "?"))
    passed = failed = 0
    for name, fn in tests:
        t0 = time.monotonic()
        cleanup = Cleanup()
        error = None
        try:
            fn(cleanup)
        except TestFailure as failure:
            error = f"{failure}"
        except _Interrupted as interruption:
            cleanup.run()
            print(f"[INTERRUPTED] {file}::{name} ({interruption}); cleaned up", flush=True)
            sys.exit(130)
        except Exception:
            error = traceback.format_exc().rstrip()
        finally:
            clean = cleanup.run()
        if error is None and not clean:
            error = "cleanup failed (see above)"
        seconds = time.monotonic() - t0
        if error is None:
            passed += 1
            print(f"[ok]   {file}::{name} ({seconds:.1f}s)", flush=True)
        else:
            failed += 1
            print(f"[FAIL] {file}::{name} ({seconds:.1f}s)\n    " + error.replace("\n", "\n    "), flush=True)
    if not tests:
        print(f"{file}: no test matched {argv}", flush=True)
        sys.exit(2)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
