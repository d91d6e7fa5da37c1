"""What the Python benches that run their own berthd nodes share (Scripts/bench/fanout, connections):
release binaries, one private systemd manager for light nodes, a shared secret and free ports for
TCP nodes, waiting for a TCP listener, CPU ticks from /proc, and stopping the nodes by PID."""
import os
import secrets
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANAGER_LIB = os.path.join(ROOT, "Scripts", "lib", "manager.sh")


def release_binary(product, bench):
    """BERTHD or BERTH when set, else a release build (BERTH_SCRATCH_PATH, default .build)."""
    env_name = "BERTHD" if product == "berthd" else "BERTH"
    if os.environ.get(env_name):
        return os.environ[env_name]
    scratch = os.environ.get("BERTH_SCRATCH_PATH", ".build")
    build = ["swift", "build", "-c", "release", "--product", product, "--scratch-path", scratch]
    done = subprocess.run(build, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        sys.exit(f"{bench}: release build of {product} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    path = subprocess.run(build[:4] + ["--scratch-path", scratch, "--show-bin-path"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    return os.path.join(path, product)


def write_secret(path):
    """A fresh shared secret (64 hex digits) in a new 0600 file at `path`; returns its bytes."""
    secret = secrets.token_hex(32).encode()
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(secret)
    return secret


def free_ports(count):
    """Distinct free loopback ports: all held open until every one is picked, so none repeats."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def wait_listening(host, port, proc, deadline):
    """Waits until `host`:`port` accepts a connection (berthd opens its TCP listener right after
    its Unix socket); False if `proc` exits or `deadline` (time.monotonic) passes first."""
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.01)


def cpu_ticks(pids):
    """utime + stime of the processes (all their threads, live and gone), in clock ticks."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def start_manager(directory, bench):
    """Starts one private systemd manager (Scripts/lib/manager.sh) in `directory`; returns the
    environment a node needs to use it (`berthd --manager user`)."""
    started = subprocess.run(["bash", "-c", 'source "$1"; manager_start "$2" >/dev/null && manager_env', "bench",
                              MANAGER_LIB, directory], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        sys.exit(f"{bench}: the private systemd manager did not start: {started.stderr[-2000:]}")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    env.update(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    return env


def stop_manager(directory):
    """Stops the manager of `directory` by the PID and cgroup it recorded there (a no-op if none)."""
    subprocess.run(["bash", "-c", 'source "$1"; MANAGER_DIR=$2; MANAGER_PID=; MANAGER_CGROUP=; manager_stop', "bench",
                    MANAGER_LIB, directory], stdin=subprocess.DEVNULL)


def stop_nodes(nodes):
    """SIGTERM to each (Popen, label, log path), then waits; each must exit 0 within 15 s (else it is
    killed). Returns what went wrong, one line per node."""
    for proc, _, _ in nodes:
        if proc.poll() is None:
            proc.terminate()
    bad = []
    for proc, label, log in nodes:
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        if code != 0:
            tail = open(log).read()[-300:].strip() if os.path.exists(log) else ""
            bad.append(f"{label} exited {code}" + (f" ({tail})" if tail else ""))
    return bad
