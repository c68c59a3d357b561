;; Imports `tally` (bump) and exports `go`, which asks for bump(1).
(component
  (import "tally" (instance $tally (export "bump" (func (param "by" u32) (result u32)))))
  (core func $bump (canon lower (func $tally "bump")))
  (core module $m
    (import "tally" "bump" (func $bump (param i32) (result i32)))
    (func (export "go") (result i32) (call $bump (i32.const 1))))
  (core instance $i (instantiate $m (with "tally" (instance (export "bump" (func $bump))))))
  (func (export "go") (result u32) (canon lift (core func $i "go")))
)
