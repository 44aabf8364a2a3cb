package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
)

// Defaults of a [WriteOrder].
const (
	// DefaultWritePrefix is the namespace of a WriteOrder's Redis keys
	// unless [WithWritePrefix] is given.
	DefaultWritePrefix = "tiki:writes:"
	// DefaultWriteLockTTL is how long a product's write lock lasts without
	// renewal: a replica that dies holding it blocks writes to the product
	// for at most about this long.
	DefaultWriteLockTTL = 5 * time.Second
	// DefaultWritePollInterval is how often a write waiting for a product
	// held by another replica asks again.
	DefaultWritePollInterval = 20 * time.Millisecond
	// writeRecordTTL is how long a product's holder record outlives its
	// last write: a product written again within it is taken without
	// waiting for earlier holders (see WriteOrder).
	writeRecordTTL = 24 * time.Hour
)

// WriteOrderOption configures a [WriteOrder].
type WriteOrderOption func(*writeOrderConfig)

type writeOrderConfig struct {
	prefix   string
	ttl      time.Duration
	interval time.Duration
}

// WithWritePrefix sets the namespace put before every key in Redis
// (DefaultWritePrefix unless set). Product keys name SKUs, which are per
// seller: when the clients of several sellers share a Redis, give each
// seller a prefix of its own ("tiki:writes:<seller>:").
func WithWritePrefix(prefix string) WriteOrderOption {
	return func(c *writeOrderConfig) { c.prefix = prefix }
}

// WithWriteLockTTL sets how long a product's write lock lasts without
// renewal (DefaultWriteLockTTL unless set; at least 30 ms). The holder
// renews it every third of the TTL while its call goes on. Every replica
// must use the same TTL.
func WithWriteLockTTL(ttl time.Duration) WriteOrderOption {
	return func(c *writeOrderConfig) { c.ttl = ttl }
}

// WithWritePollInterval sets how often a write waiting for a product held
// by another replica asks again (DefaultWritePollInterval unless set),
// jittered by up to a fifth.
func WithWritePollInterval(d time.Duration) WriteOrderOption {
	return func(c *writeOrderConfig) { c.interval = d }
}

// WriteOrder is a [tiki.WriteOrder] in Redis: the replicas of a service,
// each giving it to its client with [tiki.WithWriteOrder], write to one
// product one call at a time, so that a retried write of one replica never
// lands after a newer write of another.
//
// Each product key is a lock of its own, taken like a [Lease]: the key
// prefix+"{"+key+"}:lock" holds the holder's token and random id and
// expires after the TTL, renewed every third of it while the call goes on;
// prefix+"{"+key+"}:holder" records the last holder (kept for a day after
// the product's last write). A call naming several products takes their
// locks one by one in sorted order (two calls never wait for each other in
// a cycle), renewing those it holds while it waits for the next.
//
// A call may send only once every earlier holder of its products has given
// up: at once after a release, when the last holder's lock expired, or
// after a full TTL when Redis may have forgotten a holder (a restart or a
// failover less than a TTL ago, or no record of the product). A holder
// that cannot renew for two thirds of the TTL gives its locks up (Lost):
// the client then sends no further attempt of the call and fails it with
// [tiki.ErrWriteLockLost]. A replica that dies holding a product blocks
// writes to it for at most the TTL (twice the TTL right after Redis lost
// its data). When Redis cannot answer, Lock fails and the client sends
// nothing: product writes wait for Redis.
//
// An attempt already on the wire when its holder loses the lock (Redis
// unreachable from that replica only, or a pause of the replica longer
// than the TTL) can still land after a newer write: Tiki's API takes no
// fencing token. Keep Redis close to the replicas.
//
// Create it with [NewWriteOrder]; it is safe for concurrent use. Share one
// per process and seller.
type WriteOrder struct {
	fencer fencer
	prefix string
}

var _ tiki.WriteOrder = (*WriteOrder)(nil)

// NewWriteOrder returns a write order over rdb. It does not contact Redis.
func NewWriteOrder(rdb redis.UniversalClient, opts ...WriteOrderOption) (*WriteOrder, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: NewWriteOrder: nil Redis client")
	}
	cfg := writeOrderConfig{prefix: DefaultWritePrefix, ttl: DefaultWriteLockTTL, interval: DefaultWritePollInterval}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	f, err := newFencer(rdb, "write lock", cfg.ttl, cfg.interval, writeRecordTTL)
	if err != nil {
		return nil, err
	}
	return &WriteOrder{fencer: f, prefix: cfg.prefix}, nil
}

// keys returns the Redis keys of a product key.
func (o *WriteOrder) keys(key string) fenceKeys {
	base := o.prefix + "{" + key + "}:"
	return fenceKeys{lock: base + "lock", record: base + "holder", floor: base + "holder"}
}

// Lock implements [tiki.WriteOrder]: it returns once the caller holds
// every key and every earlier holder of them has given up, or fails
// holding none (ctx's error when ctx ends, the Redis error when Redis
// fails).
func (o *WriteOrder) Lock(ctx context.Context, keys []string) (tiki.WriteLock, error) {
	if ctx == nil {
		return nil, errors.New("redisstore: nil context")
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	if slices.Contains(keys, "") {
		return nil, errors.New("redisstore: empty write order key")
	}
	for {
		holds, err := o.take(ctx, keys)
		if err != nil {
			return nil, err
		}
		err = settleAll(ctx, holds)
		if err == nil {
			return newWriteLock(holds), nil
		}
		o.releaseAll(ctx, holds)
		if !errors.Is(err, errHoldLost) {
			return nil, err
		}
	}
}

// take acquires the keys in order.
func (o *WriteOrder) take(ctx context.Context, keys []string) ([]*fenceHold, error) {
	holds := make([]*fenceHold, 0, len(keys))
	for _, k := range keys {
		h, err := o.fencer.acquire(ctx, o.keys(k))
		if err != nil {
			o.releaseAll(ctx, holds)
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("redisstore: write lock %q: %w", k, err)
		}
		holds = append(holds, h)
	}
	return holds, nil
}

// settleAll waits until every hold may act.
func settleAll(ctx context.Context, holds []*fenceHold) error {
	for _, h := range holds {
		if err := h.settle(ctx); err != nil {
			return err
		}
	}
	return nil
}

// releaseAll frees holds, with a context that outlives ctx by a TTL at
// most: what it cannot free expires.
func (o *WriteOrder) releaseAll(ctx context.Context, holds []*fenceHold) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.fencer.ttl)
	defer cancel()
	for _, h := range holds {
		_ = h.release(rctx)
	}
}

// writeLock is the hold of one call's keys.
type writeLock struct {
	holds    []*fenceHold
	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func newWriteLock(holds []*fenceHold) *writeLock {
	l := &writeLock{holds: holds, lost: make(chan struct{}), stop: make(chan struct{})}
	for _, h := range holds {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			select {
			case <-h.lost:
				l.lostOnce.Do(func() { close(l.lost) })
			case <-l.stop:
			}
		}()
	}
	return l
}

// Lost implements [tiki.WriteLock]: it is closed when any key's lock is
// lost, and by Unlock.
func (l *writeLock) Lost() <-chan struct{} { return l.lost }

// Unlock implements [tiki.WriteLock]: it frees every key this call still
// holds, recording the release, so that a waiting replica writes at once.
func (l *writeLock) Unlock(ctx context.Context) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
	l.lostOnce.Do(func() { close(l.lost) })
	var errs []error
	for _, h := range l.holds {
		if err := h.release(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redisstore: releasing write locks: %w", err)
	}
	return nil
}
