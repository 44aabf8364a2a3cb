package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

// Every constructor reports every problem with its client and options in
// one *tiki.ValidationError, each named after its argument or option, and
// refuses an option that does not apply to what it builds; nothing is
// built.
func TestConstructorsReportEveryProblem(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	var typedNil *redis.Client
	cases := map[string]struct {
		build func() (any, error)
		want  []tiki.FieldProblem
	}{
		"NewLease": {func() (any, error) {
			return redisstore.NewLease(nil, redisstore.WithLeaseTTL(time.Millisecond), nil, redisstore.WithAcquireInterval(0))
		}, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "WithLeaseTTL", Problem: "must be at least 30ms, not 1ms"},
			{Field: "opts[1]", Problem: "is a nil QueueOption"},
			{Field: "WithAcquireInterval", Problem: "must be positive, not 0s"},
		}},
		"NewCheckpoint with lease options": {func() (any, error) {
			return redisstore.NewCheckpoint(rdb, redisstore.WithQueuePrefix("q:"), redisstore.WithLeaseTTL(time.Second),
				redisstore.WithAcquireInterval(time.Second))
		}, []tiki.FieldProblem{
			{Field: "WithLeaseTTL", Problem: "applies to a Lease, not to a Checkpoint"},
			{Field: "WithAcquireInterval", Problem: "applies to a Lease, not to a Checkpoint"},
		}},
		"NewCheckpoint": {func() (any, error) { return redisstore.NewCheckpoint(typedNil, nil) }, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "opts[0]", Problem: "is a nil QueueOption"},
		}},
		"NewDedupeStore": {func() (any, error) { return redisstore.NewDedupeStore(nil, redisstore.WithKeyPrefix("d:"), nil) }, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "opts[1]", Problem: "is a nil DedupeOption"},
		}},
		"NewWriteOrder": {func() (any, error) {
			return redisstore.NewWriteOrder(typedNil, redisstore.WithWriteLockTTL(time.Millisecond), redisstore.WithWritePollInterval(-1),
				redisstore.WithWriteSettle(-time.Second), nil)
		}, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "WithWriteLockTTL", Problem: "must be at least 30ms, not 1ms"},
			{Field: "WithWritePollInterval", Problem: "must be positive, not -1ns"},
			{Field: "WithWriteSettle", Problem: "must not be negative, not -1s"},
			{Field: "opts[3]", Problem: "is a nil WriteOrderOption"},
		}},
		"NewTokenStore": {func() (any, error) {
			return redisstore.NewTokenStore(typedNil, redisstore.WithTokenLockTTL(time.Millisecond), nil,
				redisstore.WithTokenPollInterval(0), redisstore.WithTokenPrefix("t:"))
		}, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "WithTokenLockTTL", Problem: "must be at least 30ms, not 1ms"},
			{Field: "opts[1]", Problem: "is a nil TokenStoreOption"},
			{Field: "WithTokenPollInterval", Problem: "must be positive, not 0s"},
		}},
		"NewLimiter": {func() (any, error) { return redisstore.NewLimiter(nil, redisstore.LimiterConfig{Burst: -1}) }, []tiki.FieldProblem{
			{Field: "rdb", Problem: "must not be a nil Redis client"},
			{Field: "LimiterConfig.Key", Problem: "is required: the seller whose budget it is"},
			{Field: "LimiterConfig.PerSecond", Problem: "must be in (0, 1e6], not 0"},
			{Field: "LimiterConfig.Burst", Problem: "must not be negative, not -1"},
			{Field: "LimiterConfig.OnRedisError", Problem: "must be FailClosed or FallbackLocal, not FailureMode(0)"},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := tc.build()
			var ve *tiki.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Problems)
			assert.Nil(t, v)
		})
	}
	// The options that apply are accepted.
	_, err := redisstore.NewLease(rdb, redisstore.WithQueuePrefix("q:"), redisstore.WithLeaseTTL(time.Second), redisstore.WithAcquireInterval(time.Second))
	require.NoError(t, err)
	_, err = redisstore.NewCheckpoint(rdb, redisstore.WithQueuePrefix("q:"))
	require.NoError(t, err)
	_, err = redisstore.NewWriteOrder(rdb, redisstore.WithWriteSettle(0))
	require.NoError(t, err)
	_, err = redisstore.NewTokenStore(rdb, redisstore.WithTokenPrefix("t:"), redisstore.WithTokenLockTTL(time.Second),
		redisstore.WithTokenPollInterval(time.Millisecond))
	require.NoError(t, err)
}
