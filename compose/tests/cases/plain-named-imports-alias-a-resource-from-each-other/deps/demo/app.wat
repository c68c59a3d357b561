(component
  (import "host-a" (instance $host-a
    (export "a" (type (sub resource)))
  ))
  (alias export $host-a "a" (type $a))
  (import "host-b" (instance
    (export "b" (type (eq $a)))
  ))
  (import "config" (instance))
)
