package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// for at most about this long and the settle period (WithWriteSettle).
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
	settle   time.Duration
	problems problems
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
	return func(c *writeOrderConfig) {
		if ttl < 30*time.Millisecond {
			c.problems.add("WithWriteLockTTL", "must be at least 30ms, not %v", ttl)
			return
		}
		c.ttl = ttl
	}
}

// WithWritePollInterval sets how often a write waiting for a product held
// by another replica asks again (DefaultWritePollInterval unless set;
// positive), jittered by up to a fifth.
func WithWritePollInterval(d time.Duration) WriteOrderOption {
	return func(c *writeOrderConfig) {
		if d <= 0 {
			c.problems.add("WithWritePollInterval", "must be positive, not %v", d)
			return
		}
		c.interval = d
	}
}

// WithWriteSettle sets how long after the lock of a holder that did not
// release it expired (the replica died, or lost Redis) the next holder of
// the product waits before it may write (tiki.DefaultWriteSettle unless
// set; 0 for none): that holder may have had a write in flight, which
// Tiki may apply late. Give it the value the replicas' clients give
// tiki.WithWriteSettle; every replica must use the same.
func WithWriteSettle(d time.Duration) WriteOrderOption {
	return func(c *writeOrderConfig) {
		if d < 0 {
			c.problems.add("WithWriteSettle", "must not be negative, not %v", d)
			return
		}
		c.settle = d
	}
}

// WriteOrder is a [tiki.WriteOrder] in Redis: the replicas of a service,
// each giving it to its client with [tiki.WithWriteOrder], write to one
// product one call at a time, so that neither a retried write of one
// replica nor an attempt Tiki applies late lands after a newer write of
// another.
//
// Each product key is a lock of its own, taken like a [Lease]: the key
// prefix+"{"+key+"}:lock" holds the holder's token and random id and
// expires after the TTL, renewed every third of it while the call goes on;
// prefix+"{"+key+"}:holder" records the last holder (kept for a day after
// the product's last write). A call's locks are taken in one fixed order,
// so that two calls never wait for each other in a cycle: in one Lua
// script when they are free (one script per hash slot on a Cluster), and,
// when another call holds one, every poll interval from that one on,
// keeping and renewing those it took. One goroutine renews a call's locks,
// with one script (per hash slot) each time, and one script releases them.
//
// A call may send only once every earlier holder of its products has given
// up: at once after a release, when the last holder's lock expired and the
// settle period (WithWriteSettle) has passed since, or after a full TTL
// and the settle period when Redis may have forgotten a holder (a restart
// or a failover less than that long ago, or no record of the product). The
// client releases the locks of a call when it returns, or, when the call
// ended in doubt, once its own settle period (tiki.WithWriteSettle) is
// over. A holder that cannot renew for two thirds of the TTL gives its
// locks up (Lost): the client then sends no further attempt of the call
// and fails it with [tiki.ErrWriteLockLost]. A replica that dies holding a
// product blocks writes to it for at most the TTL and the settle period
// (twice the TTL and the settle period right after Redis lost its data).
// When Redis cannot answer, Lock fails and the client sends nothing: the
// product write fails (a *tiki.RequestError, Sent false), it does not
// wait for Redis.
//
// An attempt that Tiki applies later than the settle period after its
// holder gave up on it (a holder cut off from Redis gives up two thirds of
// a TTL after its last renewal) can still land after a newer write: Tiki's
// API takes no fencing token. Keep Redis close to the replicas, and the
// settle period above Tiki's slowest answers.
//
// Create it with [NewWriteOrder]; it is safe for concurrent use. Share one
// per process and seller.
type WriteOrder struct {
	fencer fencer
	prefix string
}

var _ tiki.WriteOrder = (*WriteOrder)(nil)

// NewWriteOrder returns a write order over rdb. It does not contact Redis.
// Every problem with rdb and opts is reported in one *tiki.ValidationError.
func NewWriteOrder(rdb redis.UniversalClient, opts ...WriteOrderOption) (*WriteOrder, error) {
	cfg := writeOrderConfig{prefix: DefaultWritePrefix, ttl: DefaultWriteLockTTL, interval: DefaultWritePollInterval,
		settle: tiki.DefaultWriteSettle}
	cfg.problems.checkClient(isNilClient(rdb))
	applyOptions(&cfg.problems, "WriteOrderOption", &cfg, opts)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &WriteOrder{prefix: cfg.prefix, fencer: fencer{rdb: rdb, ttl: cfg.ttl, interval: cfg.interval,
		recordTTL: writeRecordTTL, settle: cfg.settle}}, nil
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
	locks := make([]fenceKeys, len(keys))
	for i, k := range keys {
		locks[i] = o.keys(k)
	}
	for {
		h, err := o.fencer.acquire(ctx, locks)
		if err == nil {
			if err = h.settle(ctx); err == nil {
				return &writeLock{h: h}, nil
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.fencer.ttl)
			_ = h.release(rctx)
			cancel()
		}
		switch {
		case errors.Is(err, errHoldLost):
			continue // Redis forgot a lock meanwhile: start over
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			return nil, fmt.Errorf("redisstore: write locks: %w", err)
		}
	}
}

// writeLock is the hold of one call's keys.
type writeLock struct{ h *fenceHold }

// Lost implements [tiki.WriteLock]: it is closed when any key's lock is
// lost, and by Unlock.
func (l *writeLock) Lost() <-chan struct{} { return l.h.lost }

// Unlock implements [tiki.WriteLock]: it frees every key this call still
// holds, recording the release, so that a waiting replica writes at once.
func (l *writeLock) Unlock(ctx context.Context) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	if err := l.h.release(ctx); err != nil {
		return fmt.Errorf("redisstore: releasing write locks: %w", err)
	}
	return nil
}
