package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

func TestNewLimiterChecksConfig(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	valid := redisstore.LimiterConfig{Key: "seller-1", PerSecond: 200, OnRedisError: redisstore.FailClosed}

	_, err := redisstore.NewLimiter(rdb, valid)
	require.NoError(t, err)

	tests := map[string]struct {
		rdb    redis.UniversalClient
		change func(*redisstore.LimiterConfig)
		want   string
	}{
		"nil client":       {change: func(*redisstore.LimiterConfig) {}, want: "rdb"},
		"empty key":        {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.Key = "" }, want: "LimiterConfig.Key"},
		"zero rate":        {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.PerSecond = 0 }, want: "LimiterConfig.PerSecond"},
		"too fast":         {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.PerSecond = 2e6 }, want: "LimiterConfig.PerSecond"},
		"negative burst":   {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.Burst = -1 }, want: "LimiterConfig.Burst"},
		"no failure mode":  {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.OnRedisError = 0 }, want: "LimiterConfig.OnRedisError"},
		"fraction above 1": {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.FallbackFraction = 1.5 }, want: "LimiterConfig.FallbackFraction"},
		"negative recheck": {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.RecheckInterval = -time.Second }, want: "LimiterConfig.RecheckInterval"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := valid
			tc.change(&cfg)
			l, err := redisstore.NewLimiter(tc.rdb, cfg)
			assert.Nil(t, l)
			var ve *tiki.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, 1, err.Error())
			assert.Equal(t, tc.want, ve.Problems[0].Field)
		})
	}
}

func TestFailureModeString(t *testing.T) {
	assert.Equal(t, "FailClosed", redisstore.FailClosed.String())
	assert.Equal(t, "FallbackLocal", redisstore.FallbackLocal.String())
	assert.Equal(t, "FailureMode(0)", redisstore.FailureMode(0).String())
}

// newSharedLimiter returns a limiter on the shared Redis, on a key of this
// test run's own.
func newSharedLimiter(t *testing.T, cfg redisstore.LimiterConfig) *redisstore.Limiter {
	t.Helper()
	addr := sharedRedisAddr(t)
	rdb := newRedisClient(t, addr)
	if cfg.Key == "" {
		cfg.Key = uniqueName(t)
	}
	deleteKeys(t, rdb, "rate:"+redisstore.DefaultLimiterPrefix+cfg.Key)
	l, err := redisstore.NewLimiter(rdb, cfg)
	require.NoError(t, err)
	return l
}

func TestLimiterBurstThenPace(t *testing.T) {
	// The burst passes: at one request per 10 s and a burst of 5, exactly
	// five Waits pass before the first that must wait, which a 2 s
	// deadline refuses at once. No bound on how fast the five pass.
	slow := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 0.1, Burst: 5, OnRedisError: redisstore.FailClosed})
	passed := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := slow.Wait(ctx)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			break
		}
		passed++
		require.Less(t, passed, 10, "the limiter does not pace")
	}
	assert.Equal(t, 5, passed, "the burst passes, then the pace applies")

	// A burst of 5, then one request per 50 ms: the 9th request cannot pass
	// before 4 x 50 ms after the first, however fast or slow the machine
	// is. (How close to the bound it passes depends on the load; that is
	// evidence, measured by TestSharedBudgetAcrossReplicas.)
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 20, Burst: 5, OnRedisError: redisstore.FailClosed})
	ctx := context.Background()
	start := time.Now()
	for range 9 {
		require.NoError(t, l.Wait(ctx))
	}
	assert.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond)
}

func TestLimiterDeadlineThatWouldPassFailsAtOnce(t *testing.T) {
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 0.1, Burst: 1, OnRedisError: redisstore.FailClosed})
	require.NoError(t, l.Wait(context.Background()))

	// The next request is allowed in about 10 s: a 2 s deadline cannot be
	// met, and Wait says so at once instead of sleeping until it passes.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := l.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second, "at once, not after the 2 s deadline")
	assert.NoError(t, ctx.Err(), "the deadline has not passed yet")

	// The same holds for goroutines queued behind the one asking Redis.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	start = time.Now()
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Wait(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Less(t, time.Since(start), time.Second, "at once, not after the 2 s deadline")
}

func TestLimiterCancelEndsWait(t *testing.T) {
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 0.1, Burst: 1, OnRedisError: redisstore.FailClosed})
	require.NoError(t, l.Wait(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Wait(ctx)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them wait
	start := time.Now()
	cancel()
	wg.Wait()
	assert.Less(t, time.Since(start), 2*time.Second, "the wait would have lasted 10 s")
	for _, err := range errs {
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	}

	// A canceled context never reaches Redis.
	assert.ErrorIs(t, l.Wait(ctx), context.Canceled)
}

// Limiters with one key draw on one budget; another key has a budget of
// its own. At one request per 10 s and a burst of 2, a Wait that the
// budget cannot serve within its 2 s deadline fails at once: which Waits
// fail tells which budget each drew on, whatever the machine's speed.
func TestLimitersWithTheSameKeyShareTheBudget(t *testing.T) {
	key := uniqueName(t)
	cfg := redisstore.LimiterConfig{Key: key, PerSecond: 0.1, Burst: 2, OnRedisError: redisstore.FailClosed}
	a := newSharedLimiter(t, cfg)
	b := newSharedLimiter(t, cfg)
	cfg.Key = ""
	other := newSharedLimiter(t, cfg)
	wait := func(l *redisstore.Limiter) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return l.Wait(ctx)
	}

	require.NoError(t, wait(a))
	require.NoError(t, wait(b)) // the burst of 2, spent by two limiters
	require.ErrorIs(t, wait(a), context.DeadlineExceeded, "a's budget was spent by a and b")
	require.ErrorIs(t, wait(b), context.DeadlineExceeded, "so was b's")
	require.NoError(t, wait(other))
	require.NoError(t, wait(other)) // another key: a budget of its own
	require.ErrorIs(t, wait(other), context.DeadlineExceeded)
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestLimiterManyWaitersFewRedisCalls checks that waiting goroutines queue
// in the process instead of each polling Redis.
func TestLimiterManyWaitersFewRedisCalls(t *testing.T) {
	rdb := newRedisClient(t, sharedRedisAddr(t))
	key := uniqueName(t)
	deleteKeys(t, rdb, "rate:"+redisstore.DefaultLimiterPrefix+key)
	l, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{
		Key: key, PerSecond: 100, Burst: 1, OnRedisError: redisstore.FailClosed,
	})
	require.NoError(t, err)
	hook := &countingHook{}
	rdb.AddHook(hook)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l.Wait(ctx) == nil {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	calls := hook.n.Load()
	t.Logf("20 waiters, 100/s for 500 ms: %d allowed, %d Redis commands", allowed.Load(), calls)
	assert.LessOrEqual(t, allowed.Load(), int64(51), "never above the rate")
	assert.GreaterOrEqual(t, allowed.Load(), int64(25))
	// A few commands open the connection; then about 2 or 3 per request,
	// where 20 waiters polling on their own would make about 20.
	assert.LessOrEqual(t, calls, 4*allowed.Load()+5, "Redis commands per allowed request")
}

// A nil context is refused with an error matching tiki.ErrNilContext,
// without contacting Redis or panicking.
func TestNilContextIsRefused(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	var nilCtx context.Context
	for _, mode := range []redisstore.FailureMode{redisstore.FailClosed, redisstore.FallbackLocal} {
		l, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{Key: "seller-1", PerSecond: 200, OnRedisError: mode})
		require.NoError(t, err)
		assert.ErrorIs(t, l.Wait(nilCtx), tiki.ErrNilContext, mode)
	}
	s, err := redisstore.NewDedupeStore(rdb)
	require.NoError(t, err)
	_, err = s.Claim(nilCtx, "k", "run-1", time.Minute)
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	assert.ErrorIs(t, s.Complete(nilCtx, "k", time.Minute), tiki.ErrNilContext)
	assert.ErrorIs(t, s.Release(nilCtx, "k", "run-1"), tiki.ErrNilContext)
}
