package tiki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/tikisdk/tiki/internal/safe"
)

// WriteOrder orders the writes to one product across every client that
// shares it, as each client orders its own: a product write holds its
// products' keys in the WriteOrder from before its first attempt until it
// returns, retries and their waits included, so that a retried PUT of one
// replica cannot land after a newer write of another replica to the same
// product. Without it (the default) a client orders only its own writes.
// The redisstore module implements it over Redis, for the replicas of a
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
	// ErrWriteLockLost; an attempt already sent may still land.
	Lost() <-chan struct{}
	// Unlock releases the keys. The client calls it once when the call is
	// over (after Lost too), with a context of its own bounded to a few
	// seconds.
	Unlock(ctx context.Context) error
}

// ErrWriteLockLost matches the *RequestError of a product write whose hold
// in the client's WriteOrder (WithWriteOrder) was lost before an attempt:
// the client sent nothing more. The error's Sent says whether an earlier
// attempt may have reached Tiki.
var ErrWriteLockLost = errors.New("tiki: the product's shared write lock was lost")

// WithWriteOrder makes every product write of the client hold its products
// in o as well as in the client's own locks, for the whole call: writes to
// one product from every client sharing o (typically one per replica, each
// with a redisstore.WriteOrder on the same Redis) land in the order they
// were made, and a retry never overwrites a newer write from another
// replica. A write whose hold in o cannot be taken (o fails) is not sent.
func WithWriteOrder(o WriteOrder) Option {
	return func(c *config) {
		if o == nil {
			c.problems.add("WithWriteOrder", "must not be a nil WriteOrder")
			return
		}
		c.writeOrder = o
	}
}

// heldWrites is what a product write holds for its whole call: its keys in
// the client's own write locks and, with WithWriteOrder, in the shared
// order.
type heldWrites struct {
	local  func()
	shared WriteLock
	lost   <-chan struct{}
}

// lockWrites takes keys in the client's own write locks (Client.writes),
// then in its WriteOrder. It fails holding nothing.
//
// The client's write locks order the writes it makes to one product. A
// call that writes products holds a lock per product key (see
// productLockKeys) from before its first attempt until it returns, retries
// and their waits included. A later write to the same product through the
// same client waits for it, so it cannot be overtaken by the earlier
// call's retry:
//
//	writer A: PUT qty=12 ─ timeout ─ retry qty=12 ─ ok │
//	writer B:          (waits for A's key) ............ │ PUT qty=10 ─ ok
//	final stock: 10
//
// Waiters are served in the order they started waiting. A key's state lives
// only while a call holds or awaits it, so memory is bounded by the calls in
// flight.
//
// Across processes these locks order nothing: two processes (or two
// clients) writing the same product are not ordered against each other,
// and a retried write from one may land after the other's newer write.
// A WriteOrder shared by the clients (WithWriteOrder) extends the order to
// every client that shares it; the client then holds a product's key in
// its own locks first, in the WriteOrder next.
func (c *Client) lockWrites(ctx context.Context, keys []string) (heldWrites, error) {
	unlock, err := c.writes.Lock(ctx, keys)
	if err != nil {
		return heldWrites{}, err
	}
	h := heldWrites{local: unlock}
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
		unlock()
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

// unlockWrites releases the shared hold, then the client's own locks.
func (c *Client) unlockWrites(ctx context.Context, h heldWrites) {
	if h.shared != nil {
		c.unlockShared(ctx, h.shared)
	}
	h.local()
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
