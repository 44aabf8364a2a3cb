package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// Defaults of a [ReconcileState] and a [ReconcileGuard].
const (
	// DefaultStatePrefix is the namespace of a ReconcileState's Redis keys
	// unless [WithStatePrefix] is given.
	DefaultStatePrefix = "tiki:reconcile:"
	// DefaultGuardPrefix is the namespace of a ReconcileGuard's Redis keys
	// unless [WithWritePrefix] is given.
	DefaultGuardPrefix = "tiki:reconcile-guard:"
)

// StateOption configures a [ReconcileState].
type StateOption func(*stateConfig)

type stateConfig struct{ prefix string }

// WithStatePrefix sets the namespace put before the seller and every key
// in Redis (DefaultStatePrefix unless set).
func WithStatePrefix(prefix string) StateOption {
	return func(c *stateConfig) { c.prefix = prefix }
}

// ReconcileState is a [reconcile.State] in Redis, shared by the replicas of
// a service whose [reconcile.Engine]s write the same seller's items (with a
// [ReconcileGuard]): each item's [reconcile.Entry] is one key,
// prefix+"{"+seller+"}:"+Entry.Key, holding Entry.MarshalBinary() (about 50
// bytes for an item in two warehouses), kept until it is replaced. Load is
// one MGET of the keys, Save one MULTI/EXEC of a SET per entry, in one
// round trip each. Every key of a seller has the seller's hash tag, so a
// Cluster keeps a seller's entries on one node and the commands never span
// slots.
//
// A value that is not an encoded entry, or the entry of another key, fails
// Load (the engine's run fails): it is never taken for a guess. Redis
// holds the engines' memory of what they pushed and saw, and of the items'
// versions: a Redis that loses its data (a restart without persistence)
// makes the engines read Tiki again before their next writes and report
// Tiki's differences as changes rather than drift, and a value one replica
// still holds (a Set not yet written) that is older than one another
// replica wrote before the loss can then be written, until the books' next
// value or the next audit puts it right. Run Redis with persistence
// (appendonly yes, appendfsync always) to keep the versions across
// restarts.
//
// Create it with [NewReconcileState]; it is safe for concurrent use.
type ReconcileState struct {
	rdb    redis.UniversalClient
	prefix string // prefix + "{" + seller + "}:"
}

var _ reconcile.State = (*ReconcileState)(nil)

// NewReconcileState returns the State of one seller's items in rdb. It
// does not contact Redis. seller names the seller (its id or code; SKUs
// are per seller): non-empty, without "{" or "}". Every problem with rdb,
// seller and opts is reported in one *tiki.ValidationError.
func NewReconcileState(rdb redis.UniversalClient, seller string, opts ...StateOption) (*ReconcileState, error) {
	var p problems
	p.checkClient(isNilClient(rdb))
	p.checkSeller(seller)
	cfg := stateConfig{prefix: DefaultStatePrefix}
	applyOptions(&p, "StateOption", &cfg, opts)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &ReconcileState{rdb: rdb, prefix: cfg.prefix + "{" + seller + "}:"}, nil
}

// checkSeller adds a problem when seller cannot name a seller in a key.
func (p *problems) checkSeller(seller string) {
	if seller == "" || strings.ContainsAny(seller, "{}") {
		p.add("seller", "must be a non-empty seller id or code without { or }, not %q", seller)
	}
}

// Load implements [reconcile.State]: one MGET of the keys' entries.
func (s *ReconcileState) Load(ctx context.Context, keys []string) ([]reconcile.Entry, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if len(keys) == 0 {
		return nil, nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.prefix + k
	}
	vals, err := s.rdb.MGet(ctx, rkeys...).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: loading reconcile state: %w", err)
	}
	out := make([]reconcile.Entry, 0, len(keys))
	for i, v := range vals {
		if v == nil {
			continue
		}
		str, ok := v.(string)
		var en reconcile.Entry
		switch {
		case !ok:
			err = fmt.Errorf("unexpected reply %T", v)
		default:
			err = en.UnmarshalBinary([]byte(str))
		}
		if err == nil && en.Key != keys[i] {
			err = fmt.Errorf("holds the entry of %q", en.Key)
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: reconcile state key %q: %w", rkeys[i], err)
		}
		out = append(out, en)
	}
	return out, nil
}

// Save implements [reconcile.State]: a SET per entry, in one MULTI/EXEC.
func (s *ReconcileState) Save(ctx context.Context, entries []reconcile.Entry) error {
	if ctx == nil {
		return errNilContext
	}
	if len(entries) == 0 {
		return nil
	}
	vals := make([][]byte, len(entries))
	for i, en := range entries {
		if en.Key == "" {
			return errors.New("redisstore: saving reconcile state: an entry without a key")
		}
		b, err := en.MarshalBinary()
		if err != nil {
			return fmt.Errorf("redisstore: saving reconcile state: %w", err)
		}
		vals[i] = b
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, en := range entries {
			p.Set(ctx, s.prefix+en.Key, vals[i], 0)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: saving reconcile state: %w", err)
	}
	return nil
}

// ReconcileGuard is a [reconcile.Guard] in Redis: the replicas of a service
// whose [reconcile.Engine]s write the same seller's items (sharing a
// [ReconcileState]) give one to each engine (reconcile.Options.Guard), and
// one engine at a time loads, compares, writes and saves an item, so that
// a value older than one another replica wrote is never written after it.
//
// Each item key is a lease of its own, taken and kept exactly as a
// [WriteOrder] takes a product's write lock (one implementation of both):
// prefix+"{"+seller+":"+key+"}:lock" holds "<token>:<id>", the token from
// Redis's clock (TIME) raised above every token Redis remembers for the
// key, so a Redis restart never hands the same token out twice; the
// lock expires after the TTL (WithWriteLockTTL) and is renewed every third
// of it while held; prefix+"{"+seller+":"+key+"}:holder" records the last
// holder. A Lock's keys are taken together, in one fixed order (sorted),
// all or nothing: by one Lua script when they are free (one per hash slot
// on a Cluster), and while another holds one, every poll interval from
// that one on. Lock returns only once every earlier holder of every key
// has given up: at once after a release, at its lock's expiry and the
// settle period (WithWriteSettle, tiki.DefaultWriteSettle by default) when
// it did not release (it may have had a write to Tiki in flight), and a
// full TTL and the settle period after Redis may have forgotten it (a
// restart or a failover). The held context ends when any key is lost: a
// renewal found another value, or none succeeded for two thirds of the
// TTL; the engine's write in flight is cancelled then, and the engine saves
// nothing more under the lost hold. unlock releases every key, recording
// the release, so a waiting replica goes on at once.
//
// What it promises: one holder of an item at a time across the replicas,
// across a restart of Redis with or without persistence, a failover that
// loses the last writes, and a partition or pause of one replica, under
// the conditions the package documentation states (the same TTL
// everywhere, clocks that slew, no eviction). Without persistence Redis
// forgets the ReconcileState as well, with the items' versions (see
// ReconcileState). What it cannot promise alone: a write
// that Tiki applies later than the settle period after its holder gave it
// up (Tiki's API takes no fencing token); give the replicas' clients a
// [WriteOrder] too (tiki.WithWriteOrder), whose product locks cover a
// write in doubt for the client's settle period.
//
// Create it with [NewReconcileGuard]; it is safe for concurrent use.
type ReconcileGuard struct {
	fencer fencer
	prefix string // prefix + "{" + seller + ":"
}

var _ reconcile.Guard = (*ReconcileGuard)(nil)

// NewReconcileGuard returns the Guard of one seller's items in rdb. It does
// not contact Redis. seller names the seller as in NewReconcileState. The
// options are a WriteOrder's: WithWritePrefix (DefaultGuardPrefix unless
// set), WithWriteLockTTL, WithWritePollInterval and WithWriteSettle, with
// the same defaults and bounds; every replica must use the same. Every
// problem with rdb, seller and opts is reported in one
// *tiki.ValidationError.
func NewReconcileGuard(rdb redis.UniversalClient, seller string, opts ...WriteOrderOption) (*ReconcileGuard, error) {
	cfg := writeOrderConfig{prefix: DefaultGuardPrefix, ttl: DefaultWriteLockTTL, interval: DefaultWritePollInterval,
		settle: tiki.DefaultWriteSettle}
	cfg.problems.checkClient(isNilClient(rdb))
	cfg.problems.checkSeller(seller)
	applyOptions(&cfg.problems, "WriteOrderOption", &cfg, opts)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &ReconcileGuard{prefix: cfg.prefix + "{" + seller + ":", fencer: fencer{rdb: rdb, ttl: cfg.ttl,
		interval: cfg.interval, recordTTL: writeRecordTTL, settle: cfg.settle}}, nil
}

// keys returns the Redis keys of an item key's lease.
func (g *ReconcileGuard) keys(key string) fenceKeys {
	base := g.prefix + key + "}:"
	return fenceKeys{lock: base + "lock", record: base + "holder", floor: base + "holder"}
}

// Lock implements [reconcile.Guard]: it returns once the caller holds every
// key's lease and every earlier holder has given up, with a context that
// ends when a lease is lost or unlock is called, or fails holding none
// (ctx's error when ctx ends, the Redis error when Redis fails).
func (g *ReconcileGuard) Lock(ctx context.Context, keys []string) (context.Context, func(), error) {
	if ctx == nil {
		return nil, nil, errNilContext
	}
	h, err := g.fencer.holdKeys(ctx, keys, g.keys, "reconcile guard key", "reconcile guard")
	if err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-h.lost:
			cancel(ErrGuardLost)
		case <-held.Done():
		}
	}()
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			cancel(context.Canceled)
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), g.fencer.ttl)
			_ = h.release(rctx)
			rcancel()
		})
	}
	return held, unlock, nil
}

// ErrGuardLost is the cause (context.Cause) of a ReconcileGuard's held
// context that ended because a lease was lost.
var ErrGuardLost = errors.New("redisstore: reconcile guard lease lost")
