(component
  (import "source" (instance $s (export "next" (func (result u32)))))
  (export "source" (instance $s))
)
