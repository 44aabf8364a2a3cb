package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
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
// third of the TTL.
func WithLeaseTTL(ttl time.Duration) QueueOption {
	return func(c *queueConfig) { c.ttl = ttl }
}

// WithAcquireInterval sets how often a replica waiting for a [Lease] tries
// to take it (DefaultAcquireInterval unless set), jittered by up to a
// fifth so that replicas spread out.
func WithAcquireInterval(d time.Duration) QueueOption {
	return func(c *queueConfig) { c.interval = d }
}

// Lease is an [eventqueue.Lease] in Redis: several replicas of a backend run a
// [eventqueue.Consumer] for the same queue with it, and one pulls at a time.
//
// The lease of a queue is the key prefix+"{"+queue+"}:lease", holding the
// holder's fence token and expiring after the TTL. Acquire takes it when
// it is free, with a fence token one larger than any before (INCR of
// prefix+"{"+queue+"}:fence"), in one Lua script. The holder renews it
// every third of the TTL (PEXPIRE, only while the key still holds its
// token); its LeaseHold reports it lost (Lost is closed) when a renewal
// finds another token, or when no renewal succeeded for two thirds of the
// TTL, before Redis can expire it, so the Consumer stops before another
// replica can take over. A replica that dies stops renewing: the key
// expires and a waiting replica takes the lease within the TTL plus the
// acquire interval.
//
// Saves of the [Checkpoint] built with the same prefix are fenced by the
// token: a holder that lost the lease, and did not notice in time (a long
// pause), cannot store an ack id.
//
// Create it with [NewLease]; it is safe for concurrent use.
type Lease struct {
	rdb      redis.UniversalClient
	prefix   string
	ttl      time.Duration
	interval time.Duration
}

var _ eventqueue.Lease = (*Lease)(nil)

// NewLease returns a lease over rdb. It does not contact Redis.
func NewLease(rdb redis.UniversalClient, opts ...QueueOption) (*Lease, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: NewLease: nil Redis client")
	}
	cfg := newQueueConfig(opts)
	if cfg.ttl < 30*time.Millisecond {
		return nil, fmt.Errorf("redisstore: lease TTL must be at least 30ms, got %v", cfg.ttl)
	}
	if cfg.interval <= 0 {
		return nil, fmt.Errorf("redisstore: acquire interval must be positive, got %v", cfg.interval)
	}
	return &Lease{rdb: rdb, prefix: cfg.prefix, ttl: cfg.ttl, interval: cfg.interval}, nil
}

// acquireLeaseScript takes a free lease with a new fence token.
// KEYS: lease, fence. ARGV: ttl in milliseconds. Returns the token, or 0.
var acquireLeaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
`)

// renewLeaseScript extends the lease while it holds the token.
// KEYS: lease. ARGV: token, ttl in milliseconds.
var renewLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// releaseLeaseScript frees the lease while it holds the token.
// KEYS: lease. ARGV: token.
var releaseLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Acquire implements [eventqueue.Lease]: it tries to take the lease of queue
// every acquire interval until it holds it, ctx ends (ctx's error), or
// Redis fails (the error; the Consumer retries after a backoff).
func (l *Lease) Acquire(ctx context.Context, queue string) (eventqueue.LeaseHold, error) {
	if ctx == nil {
		return nil, errors.New("redisstore: nil context")
	}
	if err := checkQueue(queue); err != nil {
		return nil, err
	}
	k := keysOf(l.prefix, queue)
	ms := l.ttl.Milliseconds()
	for {
		sent := time.Now()
		token, err := acquireLeaseScript.Run(ctx, l.rdb, []string{k.lease, k.fence}, ms).Int64()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("redisstore: acquiring lease: %w", err)
		}
		if token > 0 {
			h := &leaseHold{l: l, key: k.lease, token: token, lastOK: sent,
				lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
			go h.renew()
			return h, nil
		}
		wait := l.interval + rand.N(l.interval/5+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// leaseHold is a held lease and its renewal goroutine.
type leaseHold struct {
	l     *Lease
	key   string
	token int64

	lastOK   time.Time // when the last successful renewal was sent
	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Token implements [eventqueue.LeaseHold].
func (h *leaseHold) Token() int64 { return h.token }

// Lost implements [eventqueue.LeaseHold].
func (h *leaseHold) Lost() <-chan struct{} { return h.lost }

func (h *leaseHold) markLost() { h.lostOnce.Do(func() { close(h.lost) }) }

// renew extends the lease every third of the TTL until Release or loss.
func (h *leaseHold) renew() {
	defer close(h.done)
	every := h.l.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	ms := strconv.FormatInt(h.l.ttl.Milliseconds(), 10)
	token := strconv.FormatInt(h.token, 10)
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		ok, err := renewLeaseScript.Run(ctx, h.l.rdb, []string{h.key}, token, ms).Int()
		cancel()
		switch {
		case err == nil && ok == 1:
			h.lastOK = sent
		case err == nil:
			// Another replica holds the lease now (ours expired).
			h.markLost()
			return
		case time.Since(h.lastOK) >= 2*h.l.ttl/3:
			// Redis has not confirmed the lease for two thirds of its TTL:
			// it may expire before the next try. Give it up first.
			h.markLost()
			return
		}
	}
}

// Release implements [eventqueue.LeaseHold]: it stops the renewals and frees the
// lease if this hold still has it, so that another replica takes it at
// once.
func (h *leaseHold) Release(ctx context.Context) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	h.stopOnce.Do(func() { close(h.stop) })
	<-h.done
	h.markLost()
	if err := releaseLeaseScript.Run(ctx, h.l.rdb, []string{h.key}, strconv.FormatInt(h.token, 10)).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing lease: %w", err)
	}
	return nil
}
