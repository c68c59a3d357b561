(component (import "left" (instance)) (import "right" (instance)))
