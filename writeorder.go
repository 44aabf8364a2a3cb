package tiki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tikisdk/tiki/internal/safe"
)

// WriteOrder orders the writes to one product across every client that
// shares it, as each client orders its own: a product write holds its
// products' keys in the WriteOrder from before its first attempt until it
// returns, retries and their waits included, and for the client's settle
// period beyond when it ended in doubt (see WithWriteSettle), so that
// neither a retried PUT of one replica nor an attempt Tiki applies late
// lands after a newer write of another replica to the same product.
// Without it (the default) a client orders only its own writes. The
// redisstore module implements it over Redis, for the replicas of a
// service; pass it to WithWriteOrder.
type WriteOrder interface {
	// Lock returns once the caller holds every key of keys, or fails
	// holding none: with ctx's error when ctx ends first, or with an error
	// of its own (the client then sends nothing and returns a
	// *RequestError wrapping it). Keys name the products a write carries
	// as the call names them, "product:<id>" and "sku:<original SKU>"; they
	// come sorted and without repeats. Keys of different sellers may be
	// equal (SKUs are per seller): give each seller's clients a WriteOrder
	// of their own, or a namespace of their own in a shared one.
	Lock(ctx context.Context, keys []string) (WriteLock, error)
}

// WriteLock is one call's hold on its products' keys in a WriteOrder.
type WriteLock interface {
	// Lost is closed when the hold ends: it could not be kept (the
	// order's store did not answer in time), another holder took a key
	// over, or Unlock was called. When it closes during the call, the
	// client sends no further attempt and returns a *RequestError matching
	// ErrWriteLockLost; an attempt already sent may still land. A
	// WriteOrder whose holds can end that way makes the next holder of a
	// key wait, after the lost hold's end, for the settle period of the
	// clients (redisstore.WriteOrder does, see its WithWriteSettle).
	Lost() <-chan struct{}
	// Unlock releases the keys. The client calls it once when the call is
	// over (after Lost too), or, when the call ended in doubt, once its
	// settle period is over, with a context of its own bounded to a few
	// seconds.
	Unlock(ctx context.Context) error
}

// ErrWriteLockLost matches the *RequestError of a product write whose hold
// in the client's WriteOrder (WithWriteOrder) was lost before an attempt:
// the client sent nothing more. The error's Sent says whether an earlier
// attempt may have reached Tiki.
var ErrWriteLockLost = errors.New("tiki: the product's shared write lock was lost")

// WithWriteOrder makes every product write of the client hold its products
// in o as well as in the client's own locks, for the whole call and, when
// the call ends in doubt, for the settle period (WithWriteSettle): writes
// to one product from every client sharing o (typically one per replica,
// each with a redisstore.WriteOrder on the same Redis) are sent in the
// order they were made, and neither a retry nor an attempt Tiki applies
// within the settle period lands after a newer write from another replica.
// Give every client sharing o the same settle period. A write whose hold in
// o cannot be taken (o fails) is not sent.
// o must not be nil, nor a nil pointer of a type implementing WriteOrder.
func WithWriteOrder(o WriteOrder) Option {
	return func(c *config) {
		if isNil(o) {
			c.problems.add("WithWriteOrder", "must not be a nil WriteOrder")
			return
		}
		c.writeOrder = o
	}
}

// isNil reports whether v is nil or holds a nil pointer, map, slice,
// channel or function: an interface value an option cannot use, whose
// methods would panic.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

// DefaultWriteSettle is how long a product write that ended in doubt keeps
// its product's write locks unless WithWriteSettle says otherwise.
const DefaultWriteSettle = 10 * time.Second

// WithWriteSettle sets how long a product write that ended in doubt keeps
// its products' write locks, in the client and in its WriteOrder
// (DefaultWriteSettle unless set; 0 turns settling off).
//
// A write ends in doubt when one of its attempts may have reached Tiki and
// no answer came back: the call's context ended, the HTTP client timed
// out, the connection was lost after the request was sent, or a gateway
// answered 502 or 504. Tiki may still apply such an attempt later, so the
// call keeps its products' locks until d after the last such attempt was
// given up, and only then releases them: a later write to those products
// waits for it, or fails at once with an error matching
// context.DeadlineExceeded when its own context would end first (nothing
// is sent then). An attempt that Tiki applies more than d after the
// client gave up on it can still land after a later write: d is the
// longest delay the client protects against.
func WithWriteSettle(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.problems.add("WithWriteSettle", "must not be negative, not %v", d)
			return
		}
		c.writeSettle = d
	}
}

// heldWrites is what a product write holds for its whole call: its keys in
// the client's own writeLocks and, with WithWriteOrder, in the shared
// order.
type heldWrites struct {
	local  *keyHold
	shared WriteLock
	lost   <-chan struct{}
}

// lockWrites takes keys in the client's writeLocks, then in its
// WriteOrder. It fails holding nothing.
func (c *Client) lockWrites(ctx context.Context, keys []string) (heldWrites, error) {
	local, err := c.writes.acquire(ctx, keys)
	if err != nil {
		return heldWrites{}, err
	}
	h := heldWrites{local: local}
	if c.writeOrder == nil || len(keys) == 0 {
		return h, nil
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(keys)))
	err = safe.Do(func() error {
		var e error
		if h.shared, e = c.writeOrder.Lock(ctx, sorted); e == nil {
			if h.shared == nil {
				return errors.New("the WriteOrder returned no lock")
			}
			h.lost = h.shared.Lost()
		}
		return e
	})
	if err != nil {
		if h.shared != nil {
			c.unlockShared(ctx, h.shared)
		}
		local.release()
		return heldWrites{}, fmt.Errorf("tiki: write order: %w", c.scrubError(err))
	}
	return h, nil
}

// check returns ErrWriteLockLost once the shared hold is lost.
func (h heldWrites) check() error {
	select {
	case <-h.lost: // nil without a shared hold: never ready
		return ErrWriteLockLost
	default:
		return nil
	}
}

// unlockWrites ends a call's hold. When the call ended in doubt (doubtAt,
// the moment its last attempt in doubt was given up, is set; see
// inDoubt), the hold is kept until the client's settle period has passed
// since then, and released in the background; otherwise at once.
func (c *Client) unlockWrites(ctx context.Context, h heldWrites, doubtAt time.Time) {
	if !doubtAt.IsZero() && c.writeSettle > 0 && len(h.local.keys) > 0 {
		until := doubtAt.Add(c.writeSettle)
		if d := time.Until(until); d > 0 {
			h.local.settle(until)
			time.AfterFunc(d, func() { c.releaseWrites(ctx, h) })
			return
		}
	}
	c.releaseWrites(ctx, h)
}

// releaseWrites releases the shared hold, then the client's own locks.
func (c *Client) releaseWrites(ctx context.Context, h heldWrites) {
	if h.shared != nil {
		c.unlockShared(ctx, h.shared)
	}
	h.local.release()
}

// unlockShared releases a shared hold, logging a failure: the order's own
// expiry frees the keys then.
func (c *Client) unlockShared(ctx context.Context, l WriteLock) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := safe.Do(func() error { return l.Unlock(uctx) }); err != nil && c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "tiki: releasing a product's shared write lock failed",
			slog.String("error", c.scrubError(err).Error()))
	}
}

// inDoubt reports whether an attempt may have reached Tiki without its
// answer coming back: it got a connection and then failed (the caller's
// context ended, a timeout, a reset, a cut-off answer), or a gateway in
// front of Tiki answered in its place (502, 504). Tiki may apply such an
// attempt later.
func (res *attemptResult) inDoubt() bool {
	if !res.sent {
		return false
	}
	return res.err != nil || res.status == http.StatusBadGateway || res.status == http.StatusGatewayTimeout
}

// writeLocks orders the writes a client makes to one product. A call that
// writes products holds a lock per product key (see productLockKeys) from
// before its first attempt until it returns, retries and their waits
// included, and past that for the settle period when it ended in doubt
// (see WithWriteSettle). A later write to the same product through the
// same client waits for it, so it cannot be overtaken by the earlier
// call's retry, nor by an earlier attempt that Tiki applies late:
//
//	writer A: PUT qty=12 ─ timeout ─ retry qty=12 ─ ok ─ settle │
//	writer B:          (waits for A's key) ...................... │ PUT qty=10 ─ ok
//	final stock: 10
//
// Waiters are served in the order they started waiting; a waiter whose
// context would end before the holder's settle period does gives up at
// once. A key's state lives only while a call holds or awaits it, so memory
// is bounded by the calls in flight and settling. The zero value is ready
// to use.
//
// Across processes these locks order nothing: two processes (or two
// clients) writing the same product are not ordered against each other,
// and a retried write from one may land after the other's newer write.
// A WriteOrder shared by the clients (WithWriteOrder) extends the order to
// every client that shares it; the client then holds a product's key in
// its own writeLocks first, in the WriteOrder next.
type writeLocks struct {
	mu   sync.Mutex
	keys map[string]*keyLock
}

// keyLock is one product key's lock: whether a call holds it, the calls
// waiting for it in the order they came (each is handed the key by
// closing its channel), and, while the holder settles, until when.
type keyLock struct {
	held        bool
	waiters     []chan struct{}
	settleUntil time.Time     // zero unless the holder is settling
	settling    chan struct{} // closed, and replaced, when a holder starts settling
}

// keyHold is the keys one call holds.
type keyHold struct {
	w    *writeLocks
	keys []string
	once sync.Once
}

// lock acquires every key (in sorted order, so that two calls locking
// overlapping sets cannot deadlock) and returns the function that releases
// them. It fails with ctx's error, holding nothing, if ctx ends first, or
// at once, with an error matching context.DeadlineExceeded, when ctx would
// end before a key's holder has settled.
func (w *writeLocks) lock(ctx context.Context, keys []string) (unlock func(), err error) {
	h, err := w.acquire(ctx, keys)
	if err != nil {
		return nil, err
	}
	return h.release, nil
}

// acquire is lock, returning the hold.
func (w *writeLocks) acquire(ctx context.Context, keys []string) (*keyHold, error) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	h := &keyHold{w: w, keys: make([]string, 0, len(keys))}
	for _, k := range keys {
		if err := w.take(ctx, k); err != nil {
			h.release()
			return nil, err
		}
		h.keys = append(h.keys, k)
	}
	return h, nil
}

// take waits for key, in turn.
func (w *writeLocks) take(ctx context.Context, key string) error {
	w.mu.Lock()
	if w.keys == nil {
		w.keys = make(map[string]*keyLock)
	}
	l := w.keys[key]
	if l == nil {
		l = &keyLock{settling: make(chan struct{})}
		w.keys[key] = l
	}
	if !l.held {
		l.held = true
		w.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	l.waiters = append(l.waiters, ready)
	w.mu.Unlock()
	for {
		w.mu.Lock()
		until, settling := l.settleUntil, l.settling
		w.mu.Unlock()
		if err := settleWouldPass(ctx, until); err != nil {
			w.leave(key, l, ready)
			return err
		}
		select {
		case <-ready:
			return nil
		case <-ctx.Done():
			w.leave(key, l, ready)
			return ctx.Err()
		case <-settling:
			// The holder started settling: check the deadline again, in
			// the same place in the queue.
		}
	}
}

// settleWouldPass returns an error matching context.DeadlineExceeded when
// ctx ends before until (a holder's settle period), nil otherwise.
func settleWouldPass(ctx context.Context, until time.Time) error {
	if until.IsZero() {
		return nil
	}
	if d, ok := ctx.Deadline(); ok && d.Before(until) {
		return fmt.Errorf("%w (an earlier write to the product settles for %v more, past the deadline)",
			context.DeadlineExceeded, time.Until(until).Round(time.Millisecond))
	}
	return nil
}

// leave takes a waiter out of key's queue; when the key was handed to it
// meanwhile, it hands the key on.
func (w *writeLocks) leave(key string, l *keyLock, ready chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-ready:
		w.handOn(key, l)
		return
	default:
	}
	if i := slices.Index(l.waiters, ready); i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
	}
}

// handOn gives a held key to its first waiter, or frees it; w.mu is held.
func (w *writeLocks) handOn(key string, l *keyLock) {
	l.settleUntil = time.Time{}
	if len(l.waiters) > 0 {
		next := l.waiters[0]
		l.waiters = l.waiters[1:]
		close(next)
		return
	}
	l.held = false
	delete(w.keys, key)
}

// release frees every key of the hold, once.
func (h *keyHold) release() {
	h.once.Do(func() {
		h.w.mu.Lock()
		defer h.w.mu.Unlock()
		for _, k := range h.keys {
			h.w.handOn(k, h.w.keys[k])
		}
	})
}

// settle marks the hold's keys as settling until until: a waiter whose
// context ends before then gives up at once.
func (h *keyHold) settle(until time.Time) {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	for _, k := range h.keys {
		l := h.w.keys[k]
		l.settleUntil = until
		close(l.settling)
		l.settling = make(chan struct{})
	}
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
		return 1 + len(l.waiters)
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
