;; Exports `weld:t/run`.
(component
  (core module $m (func (export "run")))
  (core instance $i (instantiate $m))
  (func $run (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "weld:t/run" (instance $inst))
)
