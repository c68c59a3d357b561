#!/usr/bin/env bash
# Link at load time: the second `weld run APP --plug DEP` beside the cached start of the file `weld compose` wrote
# (both with their code cached and settled), with hyperfine: the greeter fixtures, and the 2 x 20 MB pair. Reports; asserts nothing. Needs hyperfine (Debian).
# Run from the repository root: runtime/benches/run-plug.sh [RUNS] (default 30).
set -euo pipefail
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/weld-target}
cargo build --release -q -p weld-cli -p weld-fixtures
weld=$CARGO_TARGET_DIR/release/weld
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$CARGO_TARGET_DIR/release/weld-fixtures" "$dir" --large 20 >/dev/null
export WELD_CACHE_DIR=$dir/cache
"$weld" compose "$dir/app.wasm" --plug "$dir/greeter.wasm" -o "$dir/greet.wasm" >/dev/null
for _ in 1 2; do
  "$weld" run --compiler cranelift "$dir/greet.wasm" >/dev/null
  "$weld" run --compiler cranelift "$dir/app.wasm" --plug "$dir/greeter.wasm" >/dev/null
done
sleep 2.5 # the cache trusts a file's stamp once it has settled (runtime/src/cache/stamp.rs)
hyperfine -N --warmup 3 --runs "${1:-30}" \
  -n "weld run greet.wasm (composed before)" "$weld run $dir/greet.wasm" \
  -n "weld run app.wasm --plug greeter.wasm" "$weld run $dir/app.wasm --plug $dir/greeter.wasm"

large="weld:large/front@0.1.0#run(1)"
"$weld" compose "$dir/large-consumer.wasm" --plug "$dir/large.wasm" -o "$dir/large-composed.wasm" >/dev/null
"$weld" run --compiler cranelift "$dir/large-composed.wasm" --invoke "$large" >/dev/null
"$weld" run --compiler cranelift "$dir/large-consumer.wasm" --plug "$dir/large.wasm" --invoke "$large" >/dev/null
sleep 2.5
"$weld" run "$dir/large-consumer.wasm" --plug "$dir/large.wasm" --invoke "$large" >/dev/null # writes the stamp index
hyperfine -N --warmup 3 --runs "${1:-30}" \
  -n "weld run large-composed.wasm (composed before)" "$weld run $dir/large-composed.wasm --invoke $large" \
  -n "weld run large-consumer.wasm --plug large.wasm" "$weld run $dir/large-consumer.wasm --plug $dir/large.wasm --invoke $large"
