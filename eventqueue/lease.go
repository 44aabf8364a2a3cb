package eventqueue

import "context"

// Lease lets one replica at a time consume a queue. The redisstore module
// implements it over Redis.
type Lease interface {
	// Acquire blocks until the caller holds the lease of queue, or ctx
	// ends (then it returns ctx's error).
	Acquire(ctx context.Context, queue string) (LeaseHold, error)
}

// LeaseHold is a held lease, kept alive by its Lease until released or
// lost.
//
// A Consumer calls Release only once no handler of its batch is running:
// a handler that ignores its context keeps the hold (and its renewals)
// until it returns.
type LeaseHold interface {
	// Token is the fencing token of this hold. An implementation must
	// make it larger than that of every earlier hold of the same queue,
	// across restarts of whatever keeps the lease: the Consumer relies on
	// it, without checking it, for what Fence promises. A
	// FencedCheckpoint saves only for the current token; handlers read it
	// with Fence to fence their own writes.
	Token() int64
	// Lost is closed when the hold ends without Release: it could not be
	// renewed in time, or another replica took the lease over.
	Lost() <-chan struct{}
	// Release gives the lease up, so that another replica can take it at
	// once.
	Release(ctx context.Context) error
}

// fenceKey is the context key of the fencing token handed to handlers.
type fenceKey struct{}

// withFence returns ctx carrying the fencing token fence.
func withFence(ctx context.Context, fence int64) context.Context {
	return context.WithValue(ctx, fenceKey{}, fence)
}

// Fence returns the fencing token of the lease under which the handler
// given ctx runs, and whether there is one (a Consumer without WithLease
// has none).
//
// The token is what a handler's own writes can be fenced with: store it
// beside what the handler writes and refuse a write whose token is smaller
// than the stored one (a compare-and-set in a database, a version column).
// A replica that lost its lease while its handler went on (a handler that
// ignores its context, a long pause) then cannot overwrite what the replica
// that took over wrote, because every later hold has a larger token, as
// long as the Lease keeps that promise of LeaseHold.Token (the redisstore
// module's Lease does).
func Fence(ctx context.Context) (int64, bool) {
	if ctx == nil {
		return 0, false
	}
	fence, ok := ctx.Value(fenceKey{}).(int64)
	return fence, ok
}
