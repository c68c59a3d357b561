(component
  (import "log" (instance (export "write" (func (param "line" string)))))
)
