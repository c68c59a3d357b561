(component
  (core module $m (func (export "next") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (func (export "next") (result u32) (canon lift (core func $i "next")))
)
