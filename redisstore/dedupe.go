package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki/webhook"
)

// DefaultDedupePrefix is the namespace of a [DedupeStore]'s Redis keys
// unless [WithKeyPrefix] is given.
const DefaultDedupePrefix = "tiki:dedupe:"

// DedupeStore is a [webhook.DedupeStore] kept in Redis, so that every
// replica of a service receiving webhooks shares it: a delivery that reaches
// two replicas, at once or one after the other, runs its handler once. Each
// method is one Redis command, atomic in Redis:
//
//	Claim:    SET prefix+key 1 NX PX ttl
//	Complete: SET prefix+key 1 PX ttl
//	Release:  DEL prefix+key
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

var _ webhook.DedupeStore = (*DedupeStore)(nil)

// DedupeOption configures a [DedupeStore].
type DedupeOption func(*DedupeStore)

// WithKeyPrefix sets the namespace put before every key in Redis
// (DefaultDedupePrefix unless set). An empty prefix stores the receivers'
// keys as they are ("ikitech:…", "tikinow:…").
func WithKeyPrefix(prefix string) DedupeOption {
	return func(s *DedupeStore) { s.prefix = prefix }
}

// NewDedupeStore returns a store keeping its keys in rdb. It does not
// contact Redis.
func NewDedupeStore(rdb redis.UniversalClient, opts ...DedupeOption) (*DedupeStore, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: NewDedupeStore: nil Redis client")
	}
	s := &DedupeStore{rdb: rdb, prefix: DefaultDedupePrefix}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	return s, nil
}

// Claim implements [webhook.DedupeStore]: SET key 1 NX PX ttl.
func (s *DedupeStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ms, err := millis(ttl)
	if err != nil {
		return false, err
	}
	err = s.rdb.Do(ctx, "SET", s.prefix+key, 1, "NX", "PX", ms).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil): // NX: the key is held already
		return false, nil
	default:
		return false, fmt.Errorf("redisstore: claim: %w", err)
	}
}

// Complete implements [webhook.DedupeStore]: SET key 1 PX ttl.
func (s *DedupeStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	ms, err := millis(ttl)
	if err != nil {
		return err
	}
	if err := s.rdb.Do(ctx, "SET", s.prefix+key, 1, "PX", ms).Err(); err != nil {
		return fmt.Errorf("redisstore: complete: %w", err)
	}
	return nil
}

// Release implements [webhook.DedupeStore]: DEL key.
func (s *DedupeStore) Release(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	return nil
}

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
