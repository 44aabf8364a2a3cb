package safe

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic in user code (a handler, a callback, a function
// given to the SDK) that the SDK recovered from and reports as an error.
// The root package exports it as tiki.PanicError.
type PanicError struct {
	// Value is the value the code panicked with (with the client's secrets
	// masked, when a client recovered it).
	Value any
	// Stack is the goroutine's stack when it panicked.
	Stack []byte
}

// Error describes the panic.
func (e *PanicError) Error() string { return fmt.Sprintf("tiki: panic: %v", e.Value) }

// Do runs fn, turning a panic into a *PanicError.
func Do(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// Get runs fn, turning a panic into a *PanicError and the zero value.
func Get[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}
