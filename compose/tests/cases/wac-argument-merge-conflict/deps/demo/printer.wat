(component
  (import "log" (func (param "line" string)))
)
