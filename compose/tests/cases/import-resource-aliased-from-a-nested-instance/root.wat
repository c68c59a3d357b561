;; The root imports `weld:t/user`, whose resource `r` is aliased from the instance `inner` nested in the import
;; `outer`: no import of the composition is named after `inner`, so nothing can alias `r` from it.
(component
  (import "outer" (instance $o
    (export "inner" (instance
      (export "r" (type (sub resource)))
    ))
  ))
  (alias export $o "inner" (instance $inner))
  (alias export $inner "r" (type $r))
  (import "weld:t/user" (instance
    (export "r" (type (eq $r)))
  ))
  (import "weld:t/run" (instance $run (export "run" (func))))
)
