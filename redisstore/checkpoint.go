package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki/eventqueue"
)

// DefaultQueuePrefix is the namespace of the Redis keys of [Checkpoint] and
// [Lease] unless [WithQueuePrefix] is given.
const DefaultQueuePrefix = "tiki:eventqueue:"

// QueueOption configures a [Checkpoint] or a [Lease]. WithQueuePrefix
// applies to both; WithLeaseTTL and WithAcquireInterval to a Lease only,
// and NewCheckpoint refuses them (they would change nothing).
type QueueOption func(*queueConfig)

type queueConfig struct {
	prefix    string
	ttl       time.Duration
	interval  time.Duration
	leaseOnly []string // the options given that apply to a Lease only
	problems  problems
}

// WithQueuePrefix sets the namespace put before every key in Redis
// (DefaultQueuePrefix unless set). A Checkpoint and the Lease it is fenced
// by must use the same prefix.
func WithQueuePrefix(prefix string) QueueOption {
	return func(c *queueConfig) { c.prefix = prefix }
}

// newQueueConfig applies opts for NewLease (lease) or NewCheckpoint,
// collecting every problem with rdb and opts.
func newQueueConfig(rdb redis.UniversalClient, opts []QueueOption, lease bool) queueConfig {
	c := queueConfig{prefix: DefaultQueuePrefix, ttl: DefaultLeaseTTL, interval: DefaultAcquireInterval}
	c.problems.checkClient(isNilClient(rdb))
	applyOptions(&c.problems, "QueueOption", &c, opts)
	if !lease {
		for _, name := range c.leaseOnly {
			c.problems.add(name, "applies to a Lease, not to a Checkpoint")
		}
	}
	return c
}

// queueKeys are the Redis keys of one queue. The queue code is a hash tag,
// so that every key of a queue lives in one Cluster slot and the Lua
// scripts may use them together.
type queueKeys struct {
	lease  string // "<fence token>:<id>" of the current holder, expiring with the lease
	holder string // hash: the last holder's record (see Lease)
	ack    string // hash: ack_id, fence of the save
}

func keysOf(prefix, queue string) queueKeys {
	base := prefix + "{" + queue + "}:"
	return queueKeys{lease: base + "lease", holder: base + "holder", ack: base + "ack"}
}

func checkQueue(queue string) error {
	if queue == "" {
		return errors.New("redisstore: the queue code is required")
	}
	return nil
}

// Checkpoint is an [eventqueue.FencedCheckpoint] kept in Redis, shared by every
// replica consuming a queue: the ack id of the last handled batch, with the
// fence token of the lease it was saved under, in the hash
// prefix+"{"+queue+"}:ack".
//
// SaveFenced is one Lua script, atomic in Redis: it stores the ack id only
// when the fence given is the token of the lease currently held on the
// queue (the key [Lease] keeps) and not older than the token of the stored
// ack id. A replica that lost its lease, even one that has not noticed yet,
// therefore never stores an ack id, and the stored ack id never moves back
// to an older holder's.
//
// Create it with [NewCheckpoint]; it is safe for concurrent use.
type Checkpoint struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ eventqueue.FencedCheckpoint = (*Checkpoint)(nil)

// NewCheckpoint returns a checkpoint keeping its keys in rdb. It does not
// contact Redis. Every problem with rdb and opts is reported in one
// *tiki.ValidationError, an option that applies to a Lease only among
// them.
func NewCheckpoint(rdb redis.UniversalClient, opts ...QueueOption) (*Checkpoint, error) {
	cfg := newQueueConfig(rdb, opts, false)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &Checkpoint{rdb: rdb, prefix: cfg.prefix}, nil
}

// Load implements [eventqueue.Checkpoint]: HGET prefix{queue}:ack ack_id, "" when
// none is stored.
func (c *Checkpoint) Load(ctx context.Context, queue string) (string, error) {
	if ctx == nil {
		return "", errors.New("redisstore: nil context")
	}
	if err := checkQueue(queue); err != nil {
		return "", err
	}
	ack, err := c.rdb.HGet(ctx, keysOf(c.prefix, queue).ack, "ack_id").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: loading checkpoint: %w", err)
	}
	return ack, nil
}

// saveAckScript stores an ack id unless a newer fence saved one already.
// KEYS: ack. ARGV: ack id, fence (0 for an unfenced save).
var saveAckScript = redis.NewScript(`
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if stored > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'ack_id', ARGV[1], 'fence', ARGV[2])
return 1
`)

// saveFencedAckScript stores an ack id only for the current lease holder:
// the lease key holds "<token>:<id>".
// KEYS: lease, ack. ARGV: ack id, fence.
var saveFencedAckScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or string.match(v, '^(%d+):') ~= ARGV[2] then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
if stored > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'ack_id', ARGV[1], 'fence', ARGV[2])
return 1
`)

// Save implements [eventqueue.Checkpoint] for a consumer without a lease. It
// is refused (with an error matching [eventqueue.ErrLeaseLost]) once a fenced save
// was made for the queue: a queue consumed under a lease is saved through
// SaveFenced only.
func (c *Checkpoint) Save(ctx context.Context, queue, ackID string) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	if err := checkQueue(queue); err != nil {
		return err
	}
	ok, err := saveAckScript.Run(ctx, c.rdb, []string{keysOf(c.prefix, queue).ack}, ackID, 0).Int()
	if err != nil {
		return fmt.Errorf("redisstore: saving checkpoint: %w", err)
	}
	if ok != 1 {
		return fmt.Errorf("redisstore: queue %s is saved under a lease: %w", queue, eventqueue.ErrLeaseLost)
	}
	return nil
}

// SaveFenced implements [eventqueue.FencedCheckpoint]: it stores ackID only
// if fence is the token of the lease held on queue now, and not older than
// the stored ack id's; otherwise it returns an error matching
// [eventqueue.ErrLeaseLost].
func (c *Checkpoint) SaveFenced(ctx context.Context, queue, ackID string, fence int64) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	if err := checkQueue(queue); err != nil {
		return err
	}
	if fence <= 0 {
		return fmt.Errorf("redisstore: fence token must be positive, got %d", fence)
	}
	k := keysOf(c.prefix, queue)
	ok, err := saveFencedAckScript.Run(ctx, c.rdb, []string{k.lease, k.ack}, ackID, strconv.FormatInt(fence, 10)).Int()
	if err != nil {
		return fmt.Errorf("redisstore: saving checkpoint: %w", err)
	}
	if ok != 1 {
		return fmt.Errorf("redisstore: fence %d no longer holds the lease of queue %s: %w", fence, queue, eventqueue.ErrLeaseLost)
	}
	return nil
}
