;; The root imports `weld:t/user`, whose type `t` is aliased from the instance import `base`: a plain name, not an
;; interface of a package. It also imports `weld:t/run`, which the plug supplies.
(component
  (import "base" (instance $base
    (type $n u32)
    (export "t" (type (eq $n)))
  ))
  (alias export $base "t" (type $t))
  (import "weld:t/user" (instance
    (alias outer 1 $t (type $u))
    (export "t" (type (eq $u)))
  ))
  (import "weld:t/run" (instance $run (export "run" (func))))
)
