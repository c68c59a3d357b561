;; The root imports `weld:t/names`, where `handle` is an alias of `id` (a u32) and `label` an alias of `handle`, with
;; a function `get` that returns a `handle`; and `weld:t/join`, whose `l` and `r` are the type `t` of `weld:t/left`
;; and of `weld:t/right`, both of which take it from `weld:t/base`. It also imports `weld:t/run`, which the plug
;; supplies.
(component
  (import "weld:t/names" (instance
    (type $u u32)
    (export "id" (type $id (eq $u)))
    (export "handle" (type $handle (eq $id)))
    (export "label" (type $label (eq $handle)))
    (export "get" (func (param "l" $label) (result $handle)))
  ))
  (import "weld:t/base" (instance $base
    (type $rec (record (field "n" u32)))
    (export "t" (type (eq $rec)))
  ))
  (alias export $base "t" (type $base-t))
  (import "weld:t/left" (instance $left
    (export "t" (type (eq $base-t)))
  ))
  (import "weld:t/right" (instance $right
    (export "t" (type (eq $base-t)))
  ))
  (alias export $left "t" (type $left-t))
  (alias export $right "t" (type $right-t))
  (import "weld:t/join" (instance
    (export "l" (type $l (eq $left-t)))
    (export "r" (type $r (eq $right-t)))
    (export "pick" (func (param "a" $l) (result $r)))
  ))
  (import "weld:t/run" (instance $run (export "run" (func))))
)
