package redisstore_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

// measurePace calls Wait from 3 goroutines for d and returns the rate of
// the calls that returned nil (between the first and the last) and any
// other error.
func measurePace(l *redisstore.Limiter, d time.Duration) (perSecond float64, n int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu    sync.Mutex
		times []time.Time
		errs  []error
		wg    sync.WaitGroup
	)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := l.Wait(ctx)
				mu.Lock()
				if err == nil {
					times = append(times, time.Now())
				} else if !errors.Is(err, context.DeadlineExceeded) {
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(times) < 2 {
		return 0, len(times), errors.Join(errs...)
	}
	span := times[len(times)-1].Sub(times[0])
	return float64(len(times)-1) / span.Seconds(), len(times), errors.Join(errs...)
}

// TestRedisStoppedMidRun kills the limiters' and the store's Redis while
// they are in use, then starts it again: FailClosed fails calls (nothing is
// sent), FallbackLocal keeps pacing locally at the configured rate and logs
// one warning, the store fails and its receiver answers 500 without running
// the handler; once Redis is back, everything works again. Nothing panics.
func TestRedisStoppedMidRun(t *testing.T) {
	redisSrv := startRedis(t)
	addr := redisSrv.addr()
	const perSecond = 50

	closed, err := redisstore.NewLimiter(newRedisClient(t, addr), redisstore.LimiterConfig{
		Key: "seller-1", PerSecond: perSecond, Burst: 1, OnRedisError: redisstore.FailClosed,
	})
	require.NoError(t, err)
	logs := &recordingHandler{}
	fallback, err := redisstore.NewLimiter(newRedisClient(t, addr), redisstore.LimiterConfig{
		Key: "seller-2", PerSecond: perSecond, Burst: 1, OnRedisError: redisstore.FallbackLocal,
		RecheckInterval: 200 * time.Millisecond, Logger: slog.New(logs),
	})
	require.NoError(t, err)
	half, err := redisstore.NewLimiter(newRedisClient(t, addr), redisstore.LimiterConfig{
		Key: "seller-3", PerSecond: perSecond, Burst: 1, OnRedisError: redisstore.FallbackLocal,
		FallbackFraction: 0.5, Logger: slog.New(&recordingHandler{}),
	})
	require.NoError(t, err)

	// A fake Tiki counting requests, and a client paced by the FailClosed
	// limiter.
	var sent atomic.Int64
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sent.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"name":"Sài Gòn","code":"sgn"}]`))
	}))
	defer fake.Close()
	client, err := tiki.NewClient(tiki.WithLimiter(closed), tiki.WithBaseURL(fake.URL),
		tiki.WithSellerKey("k-123456"), tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)

	// A receiver on the store, counting handler runs.
	var handled atomic.Int64
	rep := newReplica(t, addr, "hooks:", func(context.Context, string) error {
		handled.Add(1)
		return nil
	})
	store, err := redisstore.NewDedupeStore(newRedisClient(t, addr))
	require.NoError(t, err)

	ctx := context.Background()
	// Redis up: everything works.
	_, _, err = client.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	rate, _, err := measurePace(fallback, 500*time.Millisecond)
	require.NoError(t, err)
	assert.LessOrEqual(t, rate, perSecond*1.02, "shared pace before the outage")
	if evidence() {
		assert.GreaterOrEqual(t, rate, perSecond*0.9, "shared pace before the outage")
	}
	require.NoError(t, half.Wait(ctx))
	assert.Equal(t, http.StatusOK, rep.deliver(t, productBody("before")))
	assert.EqualValues(t, 1, handled.Load())
	_, err = store.Claim(ctx, "k", "run-1", time.Minute)
	require.NoError(t, err)

	redisSrv.stop()
	t.Log("redis-server killed")

	t.Run("FailClosed fails calls and sends nothing", func(t *testing.T) {
		before := sent.Load()
		for range 5 {
			start := time.Now()
			err := closed.Wait(ctx)
			require.Error(t, err)
			assert.NotErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			assert.Contains(t, err.Error(), `redisstore: rate limit "seller-1": Redis:`)
			var netErr *net.OpError
			assert.ErrorAs(t, err, &netErr, "wraps the Redis client's error")
			assert.Less(t, time.Since(start), time.Second, "fails promptly")
		}
		_, _, err := client.Warehouses.ListTiki(ctx)
		require.Error(t, err)
		t.Logf("call error: %v", err)
		assert.Equal(t, before, sent.Load(), "no request reached Tiki")
	})

	t.Run("FallbackLocal paces locally and warns once", func(t *testing.T) {
		rate, n, err := measurePace(fallback, 1500*time.Millisecond)
		require.NoError(t, err)
		t.Logf("FallbackLocal during the outage: %d waits, %.2f/s", n, rate)
		// Never faster than the rate; slower only as far as the machine
		// is busy (checked as timing evidence only).
		assert.LessOrEqual(t, rate, perSecond*1.02)
		if evidence() {
			assert.GreaterOrEqual(t, rate, perSecond*0.9)
		}
		assert.Len(t, logs.messages(slog.LevelWarn), 1, "one warning for the outage, despite rechecks every 200 ms")

		rate, n, err = measurePace(half, time.Second)
		require.NoError(t, err)
		t.Logf("FallbackLocal at half the rate: %d waits, %.2f/s", n, rate)
		assert.LessOrEqual(t, rate, perSecond/2*1.02)
		if evidence() {
			assert.GreaterOrEqual(t, rate, perSecond/2*0.9)
		}

		// A deadline the local wait would pass fails at once, as on Redis,
		// instead of when it passes: at 4/s the next request may go 250 ms
		// after the last, the deadline is in 150.
		slow, err := redisstore.NewLimiter(newRedisClient(t, addr), redisstore.LimiterConfig{
			Key: "seller-4", PerSecond: 4, Burst: 1, OnRedisError: redisstore.FallbackLocal,
			Logger: slog.New(&recordingHandler{}),
		})
		require.NoError(t, err)
		require.NoError(t, slow.Wait(ctx))
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, slow.Wait(short), context.DeadlineExceeded)
		assert.NoError(t, short.Err(), "Wait returned before the deadline passed")
	})

	t.Run("the store fails and the receiver answers 500 without handling", func(t *testing.T) {
		_, err := store.Claim(ctx, "k2", "run-1", time.Minute)
		assert.Error(t, err)
		assert.Error(t, store.Complete(ctx, "k2", time.Minute))
		assert.Error(t, store.Release(ctx, "k2", "run-1"))
		assert.Equal(t, http.StatusInternalServerError, rep.deliver(t, productBody("during")))
		assert.EqualValues(t, 1, handled.Load(), "the handler did not run")
	})

	redisSrv.start()
	t.Log("redis-server started again")

	t.Run("everything recovers", func(t *testing.T) {
		// go-redis dials again in the background about once a second after
		// repeated dial failures: FailClosed may fail for that long.
		deadline := time.Now().Add(3 * time.Second)
		for closed.Wait(ctx) != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_, _, err := client.Warehouses.ListTiki(ctx)
		require.NoError(t, err)

		// Within a recheck interval or two the fallback limiter is back on
		// Redis.
		deadline = time.Now().Add(3 * time.Second)
		for len(logs.messages(slog.LevelInfo)) == 0 && time.Now().Before(deadline) {
			require.NoError(t, fallback.Wait(ctx))
		}
		assert.Len(t, logs.messages(slog.LevelInfo), 1, "one record for the end of the outage")
		assert.Len(t, logs.messages(slog.LevelWarn), 1)

		// The redelivery of the failed webhook is handled.
		deadline = time.Now().Add(3 * time.Second)
		status := rep.deliver(t, productBody("during"))
		for status != http.StatusOK && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			status = rep.deliver(t, productBody("during"))
		}
		assert.Equal(t, http.StatusOK, status)
		assert.EqualValues(t, 2, handled.Load())
	})
}
