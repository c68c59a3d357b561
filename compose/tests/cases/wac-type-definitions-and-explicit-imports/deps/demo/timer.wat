;; Imports `clock` and exports `now`, which calls it.
(component
  (import "clock" (func $clock (result u32)))
  (core func $lowered (canon lower (func $clock)))
  (core module $m
    (import "host" "clock" (func $c (result i32)))
    (func (export "now") (result i32) call $c))
  (core instance $host (export "clock" (func $lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "now") (result u32) (canon lift (core func $i "now")))
)
