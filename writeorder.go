package tiki

import (
	"context"
	"slices"
	"strconv"
	"sync"
)

// writeLocks orders the writes a client makes to one product. A call that
// writes products holds a lock per product key (see productLockKeys) from
// before its first attempt until it returns, retries and their waits
// included. A later write to the same product through the same client
// waits for it, so it cannot be overtaken by the earlier call's retry:
//
//	writer A: PUT qty=12 ─ timeout ─ retry qty=12 ─ ok │
//	writer B:          (waits for A's key) ............ │ PUT qty=10 ─ ok
//	final stock: 10
//
// Waiters are served in the order they started waiting. A key's state lives
// only while a call holds or awaits it, so memory is bounded by the calls in
// flight. The zero value is ready to use.
//
// What holds across processes: nothing. Each client orders its own writes;
// two processes (or two clients) writing the same product are not ordered
// against each other, and a retried write from one may land after the
// other's newer write. Route every write of a product through one client,
// or serialise the writers outside the SDK.
type writeLocks struct {
	mu   sync.Mutex
	keys map[string]*keyLock
}

// keyLock is one product key's lock: a one-slot channel that holds a value
// while the key is held. Blocked senders queue in order.
type keyLock struct {
	slot chan struct{}
	refs int // holders and waiters; the entry is dropped at zero
}

// lock acquires every key (in sorted order, so that two calls locking
// overlapping sets cannot deadlock) and returns the function that releases
// them. It fails with ctx's error, holding nothing, if ctx ends first.
func (w *writeLocks) lock(ctx context.Context, keys []string) (unlock func(), err error) {
	if len(keys) == 0 {
		return func() {}, nil
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	held := make([]string, 0, len(keys))
	release := func() {
		for _, k := range held {
			w.release(k)
		}
	}
	for _, k := range keys {
		l := w.ref(k)
		select {
		case l.slot <- struct{}{}:
			held = append(held, k)
		case <-ctx.Done():
			w.unref(k, l)
			release()
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(release) }, nil
}

// ref returns key's lock, counting the caller in.
func (w *writeLocks) ref(key string) *keyLock {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys == nil {
		w.keys = make(map[string]*keyLock)
	}
	l := w.keys[key]
	if l == nil {
		l = &keyLock{slot: make(chan struct{}, 1)}
		w.keys[key] = l
	}
	l.refs++
	return l
}

// unref counts a caller out of l, dropping it when nobody holds or awaits
// it.
func (w *writeLocks) unref(key string, l *keyLock) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l.refs--
	if l.refs == 0 {
		delete(w.keys, key)
	}
}

// release frees a key held by the caller.
func (w *writeLocks) release(key string) {
	w.mu.Lock()
	l := w.keys[key]
	w.mu.Unlock()
	<-l.slot
	w.unref(key, l)
}

// size is the number of keys held or awaited (for tests).
func (w *writeLocks) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// users is the number of calls holding or awaiting key (for tests).
func (w *writeLocks) users(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := w.keys[key]; l != nil {
		return l.refs
	}
	return 0
}

// productLockKeys returns the write-lock keys of a product named by id
// and/or original SKU. A product named by both takes both keys, so it is
// ordered against writes that name it either way; two writes that name the
// same product only by id and only by SKU are not ordered against each
// other (the client cannot tell they are the same product).
func productLockKeys(productID int64, originalSKU string) []string {
	var keys []string
	if productID != 0 {
		keys = append(keys, "product:"+strconv.FormatInt(productID, 10))
	}
	if originalSKU != "" {
		keys = append(keys, "sku:"+originalSKU)
	}
	return keys
}
