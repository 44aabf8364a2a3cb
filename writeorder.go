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
	"time"

	"github.com/tikisdk/tiki/internal/keylock"
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
// the client's own write locks and, with WithWriteOrder, in the shared
// order.
type heldWrites struct {
	local  *keylock.Hold
	shared WriteLock
	lost   <-chan struct{}
}

// lockWrites takes keys in the client's own write locks (Client.writes),
// then in its WriteOrder. It fails holding nothing.
//
// The client's write locks order the writes it makes to one product. A
// call that writes products holds a lock per product key (see
// productLockKeys) from before its first attempt until it returns, retries
// and their waits included, and past that for the settle period when it
// ended in doubt (see WithWriteSettle and unlockWrites). A later write to
// the same product through the same client waits for it, so it cannot be
// overtaken by the earlier call's retry, nor by an earlier attempt that
// Tiki applies late:
//
//	writer A: PUT qty=12 ─ timeout ─ retry qty=12 ─ ok ─ settle │
//	writer B:          (waits for A's key) ...................... │ PUT qty=10 ─ ok
//	final stock: 10
//
// Waiters are served in the order they started waiting; a waiter whose
// context would end before the holder's settle period does gives up at
// once. A key's state lives only while a call holds or awaits it, so
// memory is bounded by the calls in flight and settling.
//
// Across processes these locks order nothing: two processes (or two
// clients) writing the same product are not ordered against each other,
// and a retried write from one may land after the other's newer write.
// A WriteOrder shared by the clients (WithWriteOrder) extends the order to
// every client that shares it; the client then holds a product's key in
// its own locks first, in the WriteOrder next.
func (c *Client) lockWrites(ctx context.Context, keys []string) (heldWrites, error) {
	local, err := c.writes.Acquire(ctx, keys)
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
		local.Release()
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
	if !doubtAt.IsZero() && c.writeSettle > 0 && h.local.Len() > 0 {
		until := doubtAt.Add(c.writeSettle)
		if d := time.Until(until); d > 0 {
			h.local.Settle(until)
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
	h.local.Release()
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
