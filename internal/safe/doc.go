// Package safe runs user code (handlers, callbacks, functions passed to the
// SDK) on the SDK's goroutines, turning a panic into an error: the one
// place the SDK recovers panics.
//
// [Do] runs a function that returns an error and [Get] one that returns a
// value and an error; a panic in either becomes a *[PanicError] holding the
// panic's value and the stack, which the root package exposes as
// tiki.PanicError. The process never crashes because of code a user handed
// to the SDK.
package safe
