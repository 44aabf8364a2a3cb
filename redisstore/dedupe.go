package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
)

// DefaultDedupePrefix is the namespace of a [DedupeStore]'s Redis keys
// unless [WithKeyPrefix] is given.
const DefaultDedupePrefix = "tiki:dedupe:"

// DedupeStore is a [dedupe.Store] kept in Redis, so that every
// replica of a service receiving webhooks shares it: a delivery that reaches
// two replicas, at once or one after the other, runs its handler once, and
// is acknowledged only after a run succeeded. A key holds "claim:" and the
// claiming run's token while its handler runs, and "done" once it
// succeeded. Each method is one atomic Redis operation, and repeating it (as
// the Redis client does when a reply is lost) changes nothing:
//
//	Claim:    a script: GET prefix+key; if free, SET prefix+key claim:token PX ttl;
//	          if claim:token, PEXPIRE prefix+key ttl (a renewal)
//	          (free or claim:token: claimed; done: completed; anything
//	          else: claimed by other)
//	Complete: SET prefix+key done PX ttl
//	Release:  a script: DEL prefix+key if it holds claim:token
//
// Durations are sent in milliseconds, rounded up, so a positive ttl never
// becomes zero. A method returns an error only when Redis could not answer
// (or ttl is not positive); the receiver then answers 5xx without running
// the handler and the sender delivers again.
//
// Create a DedupeStore with [NewDedupeStore]; it is safe for concurrent
// use.
type DedupeStore struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ dedupe.Store = (*DedupeStore)(nil)

// DedupeOption configures a [DedupeStore].
type DedupeOption func(*DedupeStore)

// WithKeyPrefix sets the namespace put before every key in Redis
// (DefaultDedupePrefix unless set). An empty prefix stores the receivers'
// keys as they are ("ikitech:…", "tikinow:…").
func WithKeyPrefix(prefix string) DedupeOption {
	return func(s *DedupeStore) { s.prefix = prefix }
}

// NewDedupeStore returns a store keeping its keys in rdb. It does not
// contact Redis. Every problem with rdb and opts is reported in one
// *tiki.ValidationError.
func NewDedupeStore(rdb redis.UniversalClient, opts ...DedupeOption) (*DedupeStore, error) {
	var p problems
	p.checkClient(isNilClient(rdb))
	s := &DedupeStore{rdb: rdb, prefix: DefaultDedupePrefix}
	applyOptions(&p, "DedupeOption", s, opts)
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Values stored under a key.
const (
	claimPrefix = "claim:" // followed by the claiming run's token
	doneValue   = "done"
)

// claimScript claims KEYS[1] for ARGV[1] (claim:token) for ARGV[2]
// milliseconds if it is free, or renews that claim for ARGV[2] milliseconds
// from now if ARGV[1] holds it already (the same claim sent twice, or a
// dedupe.Runner keeping the claim of a running handler alive). It returns 1
// when the key is now held by ARGV[1], 3 when it was completed ("done"),
// and 2 otherwise: another claim holds it. A value of another shape (such as one written by an older
// version of this package) counts as another claim until it expires, so
// that nothing is acknowledged on its account.
var claimScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if v == "done" then
  return 3
end
return 2
`)

// releaseScript deletes KEYS[1] if it holds ARGV[1] (claim:token).
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`)

// Claim implements [dedupe.Store], with a script run atomically by
// Redis: the key is claimed if it is free, and its claim renewed (ttl from
// now) if it is already claimed with token.
func (s *DedupeStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (dedupe.ClaimState, error) {
	if ctx == nil {
		return 0, errNilContext
	}
	ms, err := millis(ttl)
	if err != nil {
		return 0, err
	}
	if token == "" {
		return 0, errors.New("redisstore: claim: empty token")
	}
	n, err := claimScript.Run(ctx, s.rdb, []string{s.prefix + key}, claimPrefix+token, ms).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: claim: %w", err)
	}
	switch n {
	case 1:
		return dedupe.Claimed, nil
	case 2:
		return dedupe.ClaimedByOther, nil
	case 3:
		return dedupe.Completed, nil
	default:
		return 0, fmt.Errorf("redisstore: claim: unexpected reply %d", n)
	}
}

// Complete implements [dedupe.Store]: SET key done PX ttl.
func (s *DedupeStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	if ctx == nil {
		return errNilContext
	}
	ms, err := millis(ttl)
	if err != nil {
		return err
	}
	if err := s.rdb.Do(ctx, "SET", s.prefix+key, doneValue, "PX", ms).Err(); err != nil {
		return fmt.Errorf("redisstore: complete: %w", err)
	}
	return nil
}

// Release implements [dedupe.Store], with a script run atomically by
// Redis: the key is deleted if it is still claimed with token.
func (s *DedupeStore) Release(ctx context.Context, key, token string) error {
	if ctx == nil {
		return errNilContext
	}
	if token == "" {
		return errors.New("redisstore: release: empty token")
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{s.prefix + key}, claimPrefix+token).Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	return nil
}

// errNilContext is the error of a DedupeStore method given a nil context.
var errNilContext = fmt.Errorf("redisstore: dedupe store: %w", tiki.ErrNilContext)

// millis returns ttl in whole milliseconds, rounded up, for PX.
func millis(ttl time.Duration) (int64, error) {
	if ttl <= 0 {
		return 0, fmt.Errorf("redisstore: dedupe ttl must be positive, got %v", ttl)
	}
	ms := ttl / time.Millisecond
	if ttl%time.Millisecond != 0 {
		ms++
	}
	return int64(ms), nil
}
