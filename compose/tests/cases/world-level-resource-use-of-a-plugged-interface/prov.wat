;; Defines the resource `request`, exports it in `demo:w3/types@0.1.0`, and exports `make`, which returns one of
;; those (its type names the exported resource). WIT cannot write this world (a world-level `use` of an exported
;; interface is an import), so it is written by hand.
(component
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (func (export "make") (result i32) i32.const 7 call $new))
  (core instance $host (export "new" (func $new)))
  (core instance $i (instantiate $m (with "" (instance $host))))
  (instance $types (export "request" (type $r)))
  (export $exported "demo:w3/types@0.1.0" (instance $types))
  (alias export $exported "request" (type $request))
  (func $make (result (own $r)) (canon lift (core func $i "make")))
  (export "make" (func $make) (func (result (own $request))))
)
