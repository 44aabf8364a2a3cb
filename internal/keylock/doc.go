// Package keylock holds locks by key: a lock per key, taken several at a
// time in sorted order (so that two callers locking overlapping sets cannot
// deadlock), waiters of a key served in the order they came, and memory
// held only for the keys being held or awaited. A holder may settle before
// it releases its keys (it keeps them until a moment it names): a waiter
// whose context would end before then gives up at once instead of waiting
// in vain.
//
// The client orders its writes to one product with it (a call holds its
// products' keys for its whole duration, retries included, and settles
// after a call that ended in doubt), and package reconcile's in-process
// Guard holds an item's key while it compares versions and writes.
package keylock
