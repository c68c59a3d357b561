#!/usr/bin/env python3
"""Push and pull throughput and peak memory of `weld push` / `weld pull` against a real local registry (Debian's
docker-registry on a free 127.0.0.1 port, started and stopped here), beside `wkg oci push` / `wkg oci pull` on the
same file where wkg is on the PATH.

Each push goes to a fresh repository and each pull starts with an empty weld cache, so every run moves the whole
component over the loopback. Peak memory is the process's maximum resident set (wait4's ru_maxrss). Reports;
asserts only that what was pulled is what was pushed.

`weld+sign` pushes with `--sign` (an unencrypted key) and pulls with `--verify-key`; `weld+sign(enc)` signs with a
key encrypted in cosign's format, whose scrypt derivation (about 0.1 s by design) comes on top.

Run from the repository root: `python3 registry-client/benches/push-pull.py [MB] [RUNS]` (default 50 MB, 5 runs).
Targets: a 100 MB component pushes and pulls with peak memory under 2x its size; weld no slower than wkg; signing
and verifying a 30 MB component adds under 100 ms to the push or pull."""

import filecmp
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/weld-target"))
if not os.access("/usr/bin/time", os.X_OK):
    sys.exit("GNU time is needed for peak memory: apt-get install time")
if shutil.which("docker-registry") is None:
    sys.exit("docker-registry is not on the PATH: apt-get install docker-registry")
subprocess.run(["cargo", "build", "--release", "-q", "-p", "weld-cli", "-p", "weld-fixtures"], check=True,
               env={**os.environ, "CARGO_TARGET_DIR": target})
weld = os.path.join(target, "release", "weld")
wkg = shutil.which("wkg")


def measure(cmd, env):
    """Wall time (s) and peak RSS (MiB) of one process. GNU time starts it: a child forked from this Python
    process would report Python's own resident set as its peak (Linux keeps ru_maxrss across exec)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return took, int(proc.stderr.strip().splitlines()[-1]) / 1024


with tempfile.TemporaryDirectory() as work:
    subprocess.run([os.path.join(target, "release", "weld-fixtures"), work, "--large", str(size_mb)], check=True,
                   stdout=subprocess.DEVNULL)
    component = os.path.join(work, "large.wasm")
    mb = os.path.getsize(component) / 1e6
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"127.0.0.1:{port}"
    with open(os.path.join(work, "registry.yml"), "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {work}/data\n"
                f"http:\n  addr: {addr}\n")
    registry = subprocess.Popen(["docker-registry", "serve", os.path.join(work, "registry.yml")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        os.environ["WELD_KEY_PASSWORD"] = "bench"
        keys = os.path.join(work, "keys")
        os.mkdir(keys)
        subprocess.run([weld, "key", "generate", f"{keys}/plain", "--no-password"], check=True,
                       stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items() if k != "WELD_KEY_PASSWORD"})
        subprocess.run([weld, "key", "generate", f"{keys}/enc"], check=True, stdout=subprocess.DEVNULL)
        tools = {"weld": (lambda ref: [weld, "push", component, ref],
                          lambda ref, out: [weld, "pull", ref, "-o", out]),
                 "weld+sign": (lambda ref: [weld, "push", component, ref, "--sign", f"{keys}/plain.key"],
                               lambda ref, out: [weld, "pull", ref, "-o", out, "--verify-key", f"{keys}/plain.pub"]),
                 "weld+sign(enc)": (lambda ref: [weld, "push", component, ref, "--sign", f"{keys}/enc.key"],
                                    lambda ref, out: [weld, "pull", ref, "-o", out, "--verify-key",
                                                      f"{keys}/enc.pub"])}
        if wkg:
            tools["wkg"] = (lambda ref: [wkg, "oci", "push", "--insecure", addr, ref, component],
                            lambda ref, out: [wkg, "oci", "pull", "--insecure", addr, ref, "-o", out])
        results = {}
        for run in range(runs):
            for name, (push, pull) in tools.items():
                env = {**os.environ, "WELD_CACHE_DIR": os.path.join(work, f"cache-{name}-{run}")}
                ref = f"{addr}/bench/{name.replace('+', '-').replace('(', '-').rstrip(')')}-{run}:1.0"
                out = os.path.join(work, f"{name}-{run}.wasm")
                results.setdefault((name, "push"), []).append(measure(push(ref), env))
                results.setdefault((name, "pull"), []).append(measure(pull(ref, out), env))
                assert filecmp.cmp(out, component, shallow=False), f"{name} pulled different bytes"
                os.remove(out)
                if name == "weld":
                    # Signing and verifying alone: what `--sign` and `--verify-key` add to a push or a pull.
                    results.setdefault(("weld", "sign"), []).append(
                        measure([weld, "sign", ref, "--key", f"{keys}/plain.key"], env))
                    results.setdefault(("weld", "verify"), []).append(
                        measure([weld, "verify", ref, "--key", f"{keys}/plain.pub"], env))
                    # The cache-hit path every `oci://...@sha256:` use takes: re-verify the cached blob, copy it out.
                    digest = subprocess.run([weld, "pull", ref, "-o", out, "--json"], env=env, check=True,
                                            capture_output=True, text=True).stdout
                    pinned = ref.rsplit(":", 1)[0] + "@" + json.loads(digest)["digest"]
                    results.setdefault(("weld", "pull cached"), []).append(measure(pull(pinned, out), env))
                    os.remove(out)
                shutil.rmtree(env["WELD_CACHE_DIR"], ignore_errors=True)
    finally:
        registry.kill()
        registry.wait()

    print(f"{mb:.1f} MB component, {runs} runs each, registry docker-registry on {addr}")
    print(f"{'':22} {'median':>9} {'MB/s':>8} {'peak RSS':>10} {'RSS/size':>9}")
    for (name, op), samples in results.items():
        median = statistics.median(t for t, _ in samples)
        peak = max(m for _, m in samples)
        print(f"{name + ' ' + op:22} {median:8.3f}s {mb / median:8.1f} {peak:8.1f}MiB {peak * 1.048576 / mb:8.2f}x")
