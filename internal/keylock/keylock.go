package keylock

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Locks is a set of locks by key. The zero value is ready to use.
type Locks struct {
	mu   sync.Mutex
	keys map[string]*lock
}

// lock is one key's lock: whether a caller holds it, the callers waiting
// for it in the order they came (each is handed the key by closing its
// channel), and, while the holder settles, until when. A key is in
// Locks.keys only while it is held.
type lock struct {
	held        bool
	waiters     []chan struct{}
	settleUntil time.Time     // zero unless the holder is settling
	settling    chan struct{} // closed, and replaced, when a holder starts settling
}

// Hold is the keys one caller holds, from Acquire.
type Hold struct {
	l        *Locks
	keys     []string
	released bool // under l.mu
}

// Lock acquires every key (in sorted order, so that two callers locking
// overlapping sets cannot deadlock; a key given twice is taken once) and
// returns the function that releases them, safe to call more than once. It
// fails as Acquire does, holding nothing. With no keys it holds nothing and
// returns at once.
func (l *Locks) Lock(ctx context.Context, keys []string) (unlock func(), err error) {
	h, err := l.Acquire(ctx, keys)
	if err != nil {
		return nil, err
	}
	return h.Release, nil
}

// Acquire is Lock, returning the hold, which may settle before it is
// released (Hold.Settle). It fails with ctx's error, holding nothing, if ctx
// ends first, or at once, with an error matching context.DeadlineExceeded,
// when ctx would end before a key's settling holder is done.
func (l *Locks) Acquire(ctx context.Context, keys []string) (*Hold, error) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	h := &Hold{l: l, keys: make([]string, 0, len(keys))}
	for _, k := range keys {
		if err := l.take(ctx, k); err != nil {
			h.Release()
			return nil, err
		}
		h.keys = append(h.keys, k)
	}
	return h, nil
}

// take waits for key, in turn.
func (l *Locks) take(ctx context.Context, key string) error {
	l.mu.Lock()
	if l.keys == nil {
		l.keys = make(map[string]*lock)
	}
	kl := l.keys[key]
	if kl == nil {
		kl = &lock{settling: make(chan struct{})}
		l.keys[key] = kl
	}
	if !kl.held {
		kl.held = true
		l.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	kl.waiters = append(kl.waiters, ready)
	l.mu.Unlock()
	for {
		l.mu.Lock()
		until, settling := kl.settleUntil, kl.settling
		l.mu.Unlock()
		if err := settleWouldPass(ctx, key, until); err != nil {
			l.leave(key, kl, ready)
			return err
		}
		select {
		case <-ready:
			return nil
		case <-ctx.Done():
			l.leave(key, kl, ready)
			return ctx.Err()
		case <-settling:
			// The holder started settling: check the deadline again, in
			// the same place in the queue.
		}
	}
}

// settleWouldPass returns an error matching context.DeadlineExceeded when
// ctx ends before until (the settle period of key's holder), nil
// otherwise.
func settleWouldPass(ctx context.Context, key string, until time.Time) error {
	if until.IsZero() {
		return nil
	}
	if d, ok := ctx.Deadline(); ok && d.Before(until) {
		return fmt.Errorf("%w (an earlier write to %s settles for %v more, past the deadline)",
			context.DeadlineExceeded, key, time.Until(until).Round(time.Millisecond))
	}
	return nil
}

// leave takes a waiter out of key's queue; when the key was handed to it
// meanwhile, it hands the key on.
func (l *Locks) leave(key string, kl *lock, ready chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ready:
		l.handOn(key, kl)
		return
	default:
	}
	if i := slices.Index(kl.waiters, ready); i >= 0 {
		kl.waiters = slices.Delete(kl.waiters, i, i+1)
	}
}

// handOn gives a held key to its first waiter, or frees it; l.mu is held.
func (l *Locks) handOn(key string, kl *lock) {
	kl.settleUntil = time.Time{}
	if len(kl.waiters) > 0 {
		next := kl.waiters[0]
		kl.waiters = kl.waiters[1:]
		close(next)
		return
	}
	kl.held = false
	delete(l.keys, key)
}

// Release frees every key of the hold; a second call does nothing.
func (h *Hold) Release() {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	for _, k := range h.keys {
		h.l.handOn(k, h.l.keys[k])
	}
}

// Settle marks the hold's keys as settling until until, which the holder
// promises to release them by: a waiter whose context would end before
// then gives up at once (see Acquire). After Release it does nothing.
func (h *Hold) Settle(until time.Time) {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.released {
		return
	}
	for _, k := range h.keys {
		kl := h.l.keys[k]
		kl.settleUntil = until
		close(kl.settling)
		kl.settling = make(chan struct{})
	}
}

// Len returns the number of keys the hold holds.
func (h *Hold) Len() int { return len(h.keys) }

// Len returns the number of keys held or awaited.
func (l *Locks) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// Users returns the number of callers holding or awaiting key.
func (l *Locks) Users(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kl := l.keys[key]; kl != nil {
		return 1 + len(kl.waiters)
	}
	return 0
}
