package keylock

import (
	"context"
	"slices"
	"sync"
)

// Locks is a set of locks by key. The zero value is ready to use.
type Locks struct {
	mu   sync.Mutex
	keys map[string]*lock
}

// lock is one key's lock: a one-slot channel, full while held. Blocked
// senders queue in order.
type lock struct {
	slot chan struct{}
	refs int // holders and waiters; the entry is dropped at zero
}

// Lock acquires every key (in sorted order, so that two callers locking
// overlapping sets cannot deadlock; a key given twice is taken once) and
// returns the function that releases them, safe to call more than once. It
// fails with ctx's error, holding nothing, if ctx ends first. With no keys
// it holds nothing and returns at once.
func (l *Locks) Lock(ctx context.Context, keys []string) (unlock func(), err error) {
	if len(keys) == 0 {
		return func() {}, nil
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	held := make([]string, 0, len(keys))
	release := func() {
		for _, k := range held {
			l.release(k)
		}
	}
	for _, k := range keys {
		kl := l.ref(k)
		select {
		case kl.slot <- struct{}{}:
			held = append(held, k)
		case <-ctx.Done():
			l.unref(k, kl)
			release()
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(release) }, nil
}

// ref returns key's lock, counting the caller in.
func (l *Locks) ref(key string) *lock {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = make(map[string]*lock)
	}
	kl := l.keys[key]
	if kl == nil {
		kl = &lock{slot: make(chan struct{}, 1)}
		l.keys[key] = kl
	}
	kl.refs++
	return kl
}

// unref counts a caller out of kl, dropping it when nobody holds or awaits
// it.
func (l *Locks) unref(key string, kl *lock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kl.refs--; kl.refs == 0 {
		delete(l.keys, key)
	}
}

// release frees a key held by the caller.
func (l *Locks) release(key string) {
	l.mu.Lock()
	kl := l.keys[key]
	l.mu.Unlock()
	<-kl.slot
	l.unref(key, kl)
}

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
		return kl.refs
	}
	return 0
}
