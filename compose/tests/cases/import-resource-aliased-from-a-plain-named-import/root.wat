;; The root imports `weld:t/user`, whose resource `r` is aliased from the instance import `base`: a plain name, not
;; an interface of a package. It also imports `weld:t/run`, which the plug supplies.
(component
  (import "base" (instance $base
    (export "r" (type (sub resource)))
  ))
  (alias export $base "r" (type $r))
  (import "weld:t/user" (instance
    (export "r" (type (eq $r)))
  ))
  (import "weld:t/run" (instance $run (export "run" (func))))
)
