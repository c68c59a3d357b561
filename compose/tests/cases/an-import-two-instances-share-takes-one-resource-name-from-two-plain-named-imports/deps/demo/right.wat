(component
  (import "spare" (instance $spare (export "conn" (type (sub resource)))))
  (alias export $spare "conn" (type $conn))
  (import "shared" (instance
    (export "conn" (type $c (eq $conn)))
    (export "open-spare" (func (result (own $c))))
  ))
)
