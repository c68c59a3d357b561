;; The root imports `weld:t/user`, whose type `t` (a record) is aliased from the instance import `base`: a plain name,
;; not an interface of a package; user's function `f` takes and returns it. It also imports `weld:t/run`, which the
;; plug supplies.
(component
  (import "base" (instance $base
    (type $n (record (field "a" u32)))
    (export "t" (type (eq $n)))
  ))
  (alias export $base "t" (type $t))
  (import "weld:t/user" (instance
    (alias outer 1 $t (type $u))
    (export "t" (type $t2 (eq $u)))
    (export "f" (func (param "x" $u) (result $t2)))
  ))
  (import "weld:t/run" (instance $run (export "run" (func))))
)
