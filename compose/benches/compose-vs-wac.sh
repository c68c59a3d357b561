#!/usr/bin/env bash
# Whole-process composition timings and peak memory: `weld compose` beside `wac` on the same inputs, alternating,
# with hyperfine.
#   - chains of N = 10, 100, 499 and 1000 components (499 is the longest chain whose composition is valid: the
#     component-model validator of wasmparser and wasmtime allows 1000 instances per component, and each link adds
#     two, its own and the one it exports; at 1000 both tools compose and then report the limit, `-i` below): `weld compose ROOT --plug ...` (matched transitively),
#     `weld compose chain.wac` and `wac compose chain.wac` (the same wiring spelled out in WAC; `wac plug` only
#     plugs the root's own imports, so it cannot build a chain);
#   - two components of 20 MB: `weld compose` beside `wac plug`.
# Needs hyperfine and GNU time (apt-get install hyperfine time) and wac (cargo install --locked wac-cli).
# Reports; asserts nothing. Run from the repository root. RUNS (default 10) sets hyperfine's runs.
set -euo pipefail
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/weld-target}
cargo build --release -q -p weld-cli -p weld-fixtures
weld=$CARGO_TARGET_DIR/release/weld
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for n in 10 100 499 1000; do "$CARGO_TARGET_DIR/release/weld-fixtures" "$out" --chain $n >/dev/null; done
"$CARGO_TARGET_DIR/release/weld-fixtures" "$out" --large 20 >/dev/null
runs=${RUNS:-10}

# peak RSS in MiB of one run of a command
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f MiB", $1 / 1024}'; }

for n in 10 100 499 1000; do
  dir=$out/chain-$n
  mkdir -p "$dir/deps/weld"
  plugs=()
  {
    echo "package bench:chain$n;"
    for ((k = 0; k < n; k++)); do
      cp "$dir/c$k.wasm" "$dir/deps/weld/c$k.wasm"
      if ((k == 0)); then echo "let c0 = new weld:c0 {};"; else echo "let c$k = new weld:c$k { ...c$((k - 1)) };"; fi
      ((k < n - 1)) && plugs+=(--plug "$dir/c$k.wasm")
    done
    echo "export c$((n - 1))[\"weld:chain/link$((n - 1))@1.0.0\"];"
  } >"$dir/chain.wac"
  printf '%s\n' "${plugs[@]}" | paste - - | tr '\t' ' ' >"$dir/plugs.args"
  echo "== chain of $n components ($(du -sh "$dir/deps" | cut -f1) of input)"
  hyperfine -N -i --warmup 2 --runs "$runs" \
    -n "weld compose --plug x$((n - 1))" "$weld compose $dir/c$((n - 1)).wasm $(tr '\n' ' ' <"$dir/plugs.args") -o $dir/weld.wasm" \
    -n "weld compose chain.wac" "$weld compose $dir/chain.wac --deps-dir $dir/deps -o $dir/weld-wac.wasm" \
    -n "wac compose chain.wac" "wac compose $dir/chain.wac --deps-dir $dir/deps -o $dir/wac.wasm"
  echo "peak memory: weld $(peak "$weld" compose "$dir/c$((n - 1)).wasm" $(cat "$dir/plugs.args") -o "$dir/weld.wasm"), wac $(peak wac compose "$dir/chain.wac" --deps-dir "$dir/deps" -o "$dir/wac.wasm")"
done

echo "== two components of 20 MB ($(du -b "$out/large.wasm" | cut -f1) + $(du -b "$out/large-consumer.wasm" | cut -f1) bytes)"
hyperfine -N --warmup 2 --runs "$runs" \
  -n "weld compose" "$weld compose $out/large-consumer.wasm --plug $out/large.wasm -o $out/weld-large.wasm" \
  -n "wac plug" "wac plug $out/large-consumer.wasm --plug $out/large.wasm -o $out/wac-large.wasm"
echo "peak memory: weld $(peak "$weld" compose "$out/large-consumer.wasm" --plug "$out/large.wasm" -o "$out/weld-large.wasm"), wac $(peak wac plug "$out/large-consumer.wasm" --plug "$out/large.wasm" -o "$out/wac-large.wasm")"
