package controllers

import (
	"time"

	"listo/schemas"
)

// TodoStore is the storage the todo handlers need.
type TodoStore interface{}

// Todos handles /todos.
type Todos struct {
	Store    TodoStore
	Validate *schemas.Validator
	Now      func() time.Time
}
