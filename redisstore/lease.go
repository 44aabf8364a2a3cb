package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki/eventqueue"
)

// Defaults of a [Lease].
const (
	// DefaultLeaseTTL is how long a lease lasts without renewal: a replica
	// that dies is replaced within about this long.
	DefaultLeaseTTL = 5 * time.Second
	// DefaultAcquireInterval is how often a replica waiting for a lease
	// tries to take it.
	DefaultAcquireInterval = 500 * time.Millisecond
)

// WithLeaseTTL sets how long a [Lease] lasts without renewal
// (DefaultLeaseTTL unless set; at least 30 ms). The holder renews it every
// third of the TTL. Every replica must use the same TTL. It applies to a
// Lease only.
func WithLeaseTTL(ttl time.Duration) QueueOption {
	return func(c *queueConfig) {
		c.leaseOnly = append(c.leaseOnly, "WithLeaseTTL")
		if ttl < 30*time.Millisecond {
			c.problems.add("WithLeaseTTL", "must be at least 30ms, not %v", ttl)
			return
		}
		c.ttl = ttl
	}
}

// WithAcquireInterval sets how often a replica waiting for a [Lease] tries
// to take it (DefaultAcquireInterval unless set; positive), jittered by up
// to a fifth so that replicas spread out. It applies to a Lease only.
func WithAcquireInterval(d time.Duration) QueueOption {
	return func(c *queueConfig) {
		c.leaseOnly = append(c.leaseOnly, "WithAcquireInterval")
		if d <= 0 {
			c.problems.add("WithAcquireInterval", "must be positive, not %v", d)
			return
		}
		c.interval = d
	}
}

// Lease is an [eventqueue.Lease] in Redis: several replicas of a backend run a
// [eventqueue.Consumer] for the same queue with it, and one pulls at a time.
//
// The lease of a queue is the key prefix+"{"+queue+"}:lease", holding the
// holder's fence token and a random id ("<token>:<id>") and expiring after
// the TTL; prefix+"{"+queue+"}:holder" records the last holder. Acquire
// takes the lease when it is free, in one Lua script, with a fence token
// that only grows: Redis's clock in microseconds (TIME), raised above the
// last holder's token and above the token of the stored ack id
// ([Checkpoint]), so that even a Redis that forgot every earlier token
// never hands one out again. The holder renews the lease every third of the
// TTL (only while the key still holds its own token and id); its LeaseHold
// reports it lost (Lost is closed) as soon as a renewal finds another
// value, and when no renewal succeeded for two thirds of the TTL, whatever
// Redis does meanwhile (a renewal that hangs does not delay it).
//
// A new holder does not act at once: Acquire returns only once every
// earlier holder has given up. When the previous holder released the lease
// (Release) in the same life of the Redis server, that is at once; when its
// lease expired in the same life, it is when the lease expired. When Redis
// may have forgotten a holder (it restarted, with or without persistence, or
// a replica was promoted since the last holder took the lease, or the
// holder record is gone), Acquire waits a full TTL after taking the lease,
// less the time the server has run since it started (when it never was a
// replica): a holder that Redis forgot stopped renewing successfully when
// Redis forgot it, and gave up two thirds of a TTL later. The first holder
// after Redis starts empty therefore waits up to one TTL.
//
// Saves of the [Checkpoint] built with the same prefix are fenced by the
// token: a holder that lost the lease, and did not notice in time (a long
// pause), cannot store an ack id, nor can a holder of a lease that Redis
// forgot.
//
// What this rests on (see the package documentation, "Redis restarts and
// failovers"): every replica uses the same TTL; clocks run at about the same
// rate (a third of the TTL absorbs drift and scheduling delays); Redis never
// evicts or deletes the lease's keys; and a failover never lets two servers
// accept writes at once (min-replicas-to-write).
//
// Create it with [NewLease]; it is safe for concurrent use.
type Lease struct {
	fencer fencer
	prefix string
}

var _ eventqueue.Lease = (*Lease)(nil)

// NewLease returns a lease over rdb. It does not contact Redis. Every
// problem with rdb and opts is reported in one *tiki.ValidationError.
func NewLease(rdb redis.UniversalClient, opts ...QueueOption) (*Lease, error) {
	cfg := newQueueConfig(rdb, opts, true)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &Lease{fencer: fencer{rdb: rdb, ttl: cfg.ttl, interval: cfg.interval}, prefix: cfg.prefix}, nil
}

// Acquire implements [eventqueue.Lease]: it tries to take the lease of queue
// every acquire interval until it holds it and every earlier holder has
// given up (see [Lease]), ctx ends (ctx's error), or Redis fails (the
// error; the Consumer retries after a backoff). While it waits for earlier
// holders it renews the lease; if the lease is lost meanwhile (Redis
// restarted again), it starts over.
func (l *Lease) Acquire(ctx context.Context, queue string) (eventqueue.LeaseHold, error) {
	if ctx == nil {
		return nil, errors.New("redisstore: nil context")
	}
	if err := checkQueue(queue); err != nil {
		return nil, err
	}
	k := keysOf(l.prefix, queue)
	for {
		h, err := l.fencer.acquire(ctx, []fenceKeys{{lock: k.lease, record: k.holder, floor: k.ack}})
		switch {
		case errors.Is(err, errHoldLost):
			continue
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("redisstore: acquiring lease: %w", err)
		}
		switch err := h.settle(ctx); {
		case err == nil:
			return &leaseHold{h}, nil
		case errors.Is(err, errHoldLost):
			continue
		default:
			// ctx ended while waiting: free the lease. The record keeps
			// the moment this hold could have acted, so that the next
			// holder still waits for the earlier ones.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.fencer.ttl)
			_ = h.release(rctx)
			cancel()
			return nil, err
		}
	}
}

// leaseHold is a held lease.
type leaseHold struct{ h *fenceHold }

// Token implements [eventqueue.LeaseHold]: a number larger than the token of
// every earlier holder of the queue's lease, also across Redis restarts.
func (h *leaseHold) Token() int64 { return h.h.token() }

// Lost implements [eventqueue.LeaseHold].
func (h *leaseHold) Lost() <-chan struct{} { return h.h.lost }

// Release implements [eventqueue.LeaseHold]: it stops the renewals and frees the
// lease if this hold still has it, recording that it was released, so that
// another replica takes it over at once. Call it only once nothing acts
// under the hold any more.
func (h *leaseHold) Release(ctx context.Context) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	if err := h.h.release(ctx); err != nil {
		return fmt.Errorf("redisstore: releasing lease: %w", err)
	}
	return nil
}
