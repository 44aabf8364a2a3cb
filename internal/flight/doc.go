// Package flight keeps a bounded number of operations in flight: the one
// engine under the SDK's list walks (pages requested ahead), batch writes
// and Map.
//
// A Group starts each operation on a goroutine of its own with the group's
// context, once a slot is free: at most n operations hold a slot at once.
// It turns a panic in an operation into its error (a *safe.PanicError),
// and it never leaves a goroutine behind: Wait and Stop return only when
// every operation started has returned.
//
// Two kinds of group differ in when an operation gives its slot back:
//   - New: when it returns. Results are handed to the group's finish
//     function as operations return, for callers that file each result
//     under its input (batch writes, Map).
//   - Ordered: when the caller takes it with Next, in the order the
//     operations started, so that results are delivered in input order
//     and at most n are running or held, finished, waiting to be taken
//     (pages requested ahead).
//
// Go, TryGo, Next and Pending are called from one goroutine, the one that
// feeds the group; Halt from any.
package flight
