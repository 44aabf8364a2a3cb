package reconcile

import (
	"context"

	"github.com/tikisdk/tiki/internal/keylock"
)

// Guard gives one writer per item. The engine holds an item's guard from
// before it loads the item's entry from the State until after it saved the
// outcome of its write, so that comparing versions, writing to Tiki and
// recording the write are one step: a value older than one already written
// never lands after it.
//
// NewLocalGuard orders the runs of one process. Replicas that write the
// same items share a Guard kept where they all see it (a lease per key
// in Redis, as the redisstore module keeps them), together with a shared
// State; an implementation whose hold can lapse (a lease) ends the held
// context when it does, so that the engine stops writing under a hold it
// lost.
type Guard interface {
	// Lock returns once the caller holds every key (Item.Key values),
	// with a context derived from ctx that ends if the hold is lost, and
	// the function that releases them (safe to call more than once). It
	// fails with ctx's error, holding nothing, if ctx ends first.
	Lock(ctx context.Context, keys []string) (held context.Context, unlock func(), err error)
}

// NewLocalGuard returns the Guard of one process: a lock per key, taken in
// sorted order (so that two runs locking overlapping keys cannot
// deadlock), waiters served in the order they came. Memory is held only
// for keys being held or awaited.
func NewLocalGuard() Guard { return &localGuard{} }

type localGuard struct{ locks keylock.Locks }

func (g *localGuard) Lock(ctx context.Context, keys []string) (context.Context, func(), error) {
	if ctx == nil {
		return nil, nil, nilContext()
	}
	unlock, err := g.locks.Lock(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	return ctx, unlock, nil
}
