(component
  (import "pool" (instance $pool (export "conn" (type (sub resource)))))
  (alias export $pool "conn" (type $conn))
  (import "shared" (instance
    (export "conn" (type $c (eq $conn)))
    (export "open" (func (result (own $c))))
  ))
)
