(component
  (import "clock" (func (result u64)))
)
