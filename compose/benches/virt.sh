#!/usr/bin/env bash
# Whole-process timings of `weld virt` (issue 27's target: under 0.5 s for a 20 MB componentize-py component, the
# result at most 64 KiB larger) on real toolchain output: the componentize-py 0.25 command and the jco QuickJS
# command of fixtures/interop/p3, built here. There is no peer to run beside it: WASI-Virt is unreleased (crates.io
# holds a placeholder) and its adapters are for fixed WASI versions; `weld compose` of the same component with the
# generated provider (`--provider-only`) is shown beside it, as the part of the time that is composition.
# Needs hyperfine, componentize-py and jco on the PATH (.ci/run installs them into ~/.cache/weld-toolchains).
# Reports; asserts nothing. Run from the repository root. RUNS (default 10) sets hyperfine's runs.
set -euo pipefail
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/weld-target}
cargo build --release -q -p weld-cli
weld=$CARGO_TARGET_DIR/release/weld
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp -r fixtures/interop/p3 "$out/src"
(cd "$out/src/python-command" && componentize-py -d ../wit -w wasi:cli/command@0.3.0 componentize app -o "$out/python.wasm" >/dev/null)
(cd "$out/src/js-command" && jco componentize app.js --backend qjs -w ../wit -n js-command -o "$out/js.wasm" >/dev/null)
runs=${RUNS:-10}
for name in python js; do
  in=$out/$name.wasm
  policy=(--deny filesystem --env NAME=virt)
  "$weld" virt "$in" "${policy[@]}" --provider-only -o "$out/$name-provider.wasm" >/dev/null
  echo "== $name: $(du -h "$in" | cut -f1) of input"
  hyperfine -N --warmup 2 --runs "$runs" \
    "$weld virt $in ${policy[*]} -o $out/$name-virt.wasm" \
    "$weld compose $in --plug $out/$name-provider.wasm -o $out/$name-composed.wasm"
  grown=$(($(stat -c %s "$out/$name-virt.wasm") - $(stat -c %s "$in")))
  echo "result: $grown bytes larger than the input"
done
