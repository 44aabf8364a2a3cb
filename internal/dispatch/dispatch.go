package dispatch

import (
	"context"
	"fmt"
	"sync"
)

// Table maps kinds of deliveries (K) to handlers of decoded events (Ev, the
// interface every event of a receiver implements). It is safe for
// concurrent use, so handlers can be registered while requests are served.
// The zero value is an empty table ready to use.
type Table[K comparable, Ev any] struct {
	mu       sync.RWMutex
	handlers map[K]func(context.Context, Ev) error
}

// Set registers h as the handler of kind k, replacing any previous one; nil
// removes it.
func (t *Table[K, Ev]) Set(k K, h func(context.Context, Ev) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h == nil {
		delete(t.handlers, k)
		return
	}
	if t.handlers == nil {
		t.handlers = make(map[K]func(context.Context, Ev) error)
	}
	t.handlers[k] = h
}

// Get returns the handler registered for kind k, nil if none.
func (t *Table[K, Ev]) Get(k K) func(context.Context, Ev) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.handlers[k]
}

// Adapt turns fn, a handler of one event type E, into a handler of Ev, the
// interface of all of a receiver's events; nil stays nil, so that
// registering a nil fn removes the handler. The returned handler fails,
// without calling fn, when given an event that is not an E.
func Adapt[Ev, E any](fn func(context.Context, E) error) func(context.Context, Ev) error {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, ev Ev) error {
		e, ok := any(ev).(E)
		if !ok {
			var want E
			return fmt.Errorf("webhook: a handler of %T was given a %T", want, ev)
		}
		return fn(ctx, e)
	}
}
