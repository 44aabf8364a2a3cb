package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/webhook"
)

func TestNewDedupeStoreRefusesNilClient(t *testing.T) {
	s, err := redisstore.NewDedupeStore(nil)
	assert.Nil(t, s)
	assert.Error(t, err)
}

// newDedupeClient returns a client of its own for a dedupe store, closed
// when the test ends: go-redis's defaults, but for a dial timeout that many
// connections opened at once on a busy machine meet.
func newDedupeClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newSharedStore returns a store on the shared Redis under a prefix of
// this test run's own, and a client to look at its keys.
func newSharedStore(t *testing.T) (*redisstore.DedupeStore, *redis.Client, string) {
	t.Helper()
	rdb := newDedupeClient(t, sharedRedisAddr(t))
	prefix := uniqueName(t)
	deleteKeys(t, rdb, prefix)
	s, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix(prefix))
	require.NoError(t, err)
	return s, rdb, prefix
}

func TestDedupeStoreContract(t *testing.T) {
	s, rdb, prefix := newSharedStore(t)
	ctx := context.Background()
	pttl := func(key string) time.Duration {
		t.Helper()
		d, err := rdb.PTTL(ctx, prefix+key).Result()
		require.NoError(t, err)
		return d
	}
	value := func(key string) string {
		t.Helper()
		v, err := rdb.Get(ctx, prefix+key).Result()
		if errors.Is(err, redis.Nil) {
			return "<free>"
		}
		require.NoError(t, err)
		return v
	}
	claim := func(key, token string, ttl time.Duration) dedupe.ClaimState {
		t.Helper()
		state, err := s.Claim(ctx, key, token, ttl)
		require.NoError(t, err)
		return state
	}

	// Claim holds a free key under the run's token, once.
	assert.Equal(t, dedupe.Claimed, claim("ikitech:a", "run-1", time.Minute))
	assert.Equal(t, "claim:run-1", value("ikitech:a"))
	assert.InDelta(t, time.Minute, pttl("ikitech:a"), float64(time.Second), "PX ttl under the prefix")
	assert.Equal(t, dedupe.ClaimedByOther, claim("ikitech:a", "run-2", time.Minute), "another run's claim")
	assert.Equal(t, dedupe.Claimed, claim("ikitech:a", "run-1", time.Minute), "the same claim again: still the run's")
	assert.Equal(t, "claim:run-1", value("ikitech:a"))

	// The same claim with another ttl renews it: its lease is that ttl from
	// now (the renewals of a running handler); another run's claim does not
	// touch it.
	assert.Equal(t, dedupe.Claimed, claim("ikitech:a", "run-1", time.Hour), "a renewal")
	assert.InDelta(t, time.Hour, pttl("ikitech:a"), float64(time.Second), "PEXPIRE to the new ttl")
	assert.Equal(t, dedupe.ClaimedByOther, claim("ikitech:a", "run-2", time.Second))
	assert.InDelta(t, time.Hour, pttl("ikitech:a"), float64(time.Second), "another run does not renew it")
	assert.Equal(t, dedupe.Claimed, claim("ikitech:a", "run-1", time.Minute))
	assert.InDelta(t, time.Minute, pttl("ikitech:a"), float64(time.Second), "a renewal may shorten it, too")

	// Release frees it at once, with its token only.
	require.NoError(t, s.Release(ctx, "ikitech:a", "run-2"))
	assert.Equal(t, "claim:run-1", value("ikitech:a"), "another run's token does not release")
	require.NoError(t, s.Release(ctx, "ikitech:a", "run-1"))
	assert.Equal(t, time.Duration(-2), pttl("ikitech:a"), "DEL")
	require.NoError(t, s.Release(ctx, "ikitech:a", "run-1"), "twice is no error")
	assert.Equal(t, dedupe.Claimed, claim("ikitech:a", "run-2", time.Minute))

	// Complete marks it done for the retention, from now, held or not.
	require.NoError(t, s.Complete(ctx, "ikitech:a", time.Hour))
	assert.Equal(t, "done", value("ikitech:a"))
	assert.InDelta(t, time.Hour, pttl("ikitech:a"), float64(time.Second))
	assert.Equal(t, dedupe.Completed, claim("ikitech:a", "run-2", time.Minute), "even for the run that completed it")
	assert.Equal(t, dedupe.Completed, claim("ikitech:a", "run-3", time.Minute))
	require.NoError(t, s.Release(ctx, "ikitech:a", "run-2"))
	assert.Equal(t, "done", value("ikitech:a"), "Release leaves a completed key alone")
	require.NoError(t, s.Complete(ctx, "ikitech:free", time.Hour), "Complete of a free key is not an error")
	assert.Equal(t, dedupe.Completed, claim("ikitech:free", "run-1", time.Minute))
	require.NoError(t, s.Release(ctx, "ikitech:never-held", "run-1"), "Release of a free key is not an error")

	// A value of another shape, such as an older version's "1", counts as
	// another run's claim: nothing is acknowledged on its account.
	require.NoError(t, rdb.Set(ctx, prefix+"ikitech:old", "1", time.Minute).Err())
	assert.Equal(t, dedupe.ClaimedByOther, claim("ikitech:old", "run-1", time.Minute))

	// A claim expires after its ttl; durations are sent in milliseconds,
	// rounded up.
	assert.Equal(t, dedupe.Claimed, claim("ikitech:short", "run-1", 30*time.Millisecond))
	time.Sleep(60 * time.Millisecond)
	assert.Equal(t, dedupe.Claimed, claim("ikitech:short", "run-2", 500*time.Microsecond), "the claim expired")
	assert.LessOrEqual(t, pttl("ikitech:short"), time.Millisecond, "500µs is sent as PX 1")

	// Keys of any length and content are stored as they are.
	long := "tikinow:" + strings.Repeat("é ✓", 2000)
	assert.Equal(t, dedupe.Claimed, claim(long, "run-1", time.Minute))

	// A ttl that is not positive, or an empty token, is refused without
	// touching Redis.
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := s.Claim(ctx, "ikitech:b", "run-1", ttl)
		assert.Error(t, err)
		assert.Error(t, s.Complete(ctx, "ikitech:b", ttl))
	}
	_, err := s.Claim(ctx, "ikitech:b", "", time.Minute)
	assert.Error(t, err)
	assert.Error(t, s.Release(ctx, "ikitech:b", ""))
	assert.Equal(t, time.Duration(-2), pttl("ikitech:b"))
}

func TestDedupeStoreDefaultPrefix(t *testing.T) {
	rdb := steadyClient(t, sharedRedisAddr(t))
	s, err := redisstore.NewDedupeStore(rdb)
	require.NoError(t, err)
	key := uniqueName(t)
	ctx := context.Background()
	t.Cleanup(func() { rdb.Del(context.Background(), redisstore.DefaultDedupePrefix+key) })

	state, err := s.Claim(ctx, key, "run-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state)
	n, err := rdb.Exists(ctx, redisstore.DefaultDedupePrefix+key).Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestDedupeStoreClaimIsAtomicAcrossClients(t *testing.T) {
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	var stores []*redisstore.DedupeStore
	for i := range 4 {
		rdb := newDedupeClient(t, addr)
		if i == 0 {
			deleteKeys(t, rdb, prefix)
		}
		s, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix(prefix))
		require.NoError(t, err)
		stores = append(stores, s)
	}

	for round := range 20 {
		key := fmt.Sprintf("ikitech:%d", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				state, err := stores[i%len(stores)].Claim(context.Background(), key, fmt.Sprint("run-", i), time.Minute)
				if assert.NoError(t, err) && state == dedupe.Claimed {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		assert.EqualValues(t, 1, wins.Load(), "round %d: claims that succeeded", round)
	}
}

// replica is one instance of a service receiving webhooks, with its own
// Redis connection, its own store and its own HTTP server. It is the
// pipeline every receiver of the SDK runs (webhook.Endpoint with a
// dedupe.Runner), here decoding IKITECH-like product deliveries, keyed
// by a hash of the body as the IKITECH receiver does.
type replica struct {
	srv *httptest.Server
}

// newReplica starts a replica sharing the dedupe store under prefix, whose
// handler is handle.
func newReplica(t *testing.T, addr, prefix string, handle func(ctx context.Context, sku string) error) *replica {
	t.Helper()
	store, err := redisstore.NewDedupeStore(newDedupeClient(t, addr), redisstore.WithKeyPrefix(prefix))
	require.NoError(t, err)
	return newReplicaOn(t, store, nil, handle)
}

// newReplicaOn starts a replica on store, reporting errors to onError if
// it is not nil.
func newReplicaOn(t *testing.T, store dedupe.Store, onError func(error), handle func(ctx context.Context, sku string) error) *replica {
	t.Helper()
	ep := &webhook.Endpoint{
		Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
			var d struct {
				Type string `json:"type"`
				Data struct {
					SKU string `json:"sku"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &d); err != nil {
				return webhook.Delivery{}, err
			}
			sum := sha256.Sum256(body)
			return webhook.Delivery{
				Key:    "ikitech:" + hex.EncodeToString(sum[:]),
				Handle: func(ctx context.Context) error { return handle(ctx, d.Data.SKU) },
			}, nil
		},
		Dedupe: dedupe.Runner{Store: store, Lease: time.Minute, Retention: time.Minute},
	}
	if onError != nil {
		ep.OnError = func(_ *http.Request, err error) { onError(err) }
	}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	return &replica{srv: srv}
}

// deliver posts body as a webhook sender would and returns the status.
func (r *replica) deliver(t *testing.T, body string) int {
	t.Helper()
	resp, err := r.srv.Client().Post(r.srv.URL, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func productBody(sku string) string {
	return fmt.Sprintf(`{"type":"NEW_PRODUCT","data":{"id":1021,"name":"Áo thun cotton nam","sku":%q,"price":150000}}`, sku)
}

// TestDedupeAcrossReplicas delivers 100 copies of a webhook at once,
// spread over two replicas sharing the store, while the first run of its
// handler is still going: the handler runs once, and no copy is answered
// 2xx before that run succeeded (each gets 503, so the sender delivers it
// again). When that run fails, not one copy was acknowledged and the next
// redelivery, on the other replica, runs the handler again.
func TestDedupeAcrossReplicas(t *testing.T) {
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)

	var (
		mu      sync.Mutex
		runs    = map[string]int{}
		failFor = map[string]int{"ATN-FAIL": 1} // fail this many first runs
		running = make(chan string, 10)
		finish  = map[string]chan struct{}{"ATN-001": make(chan struct{}), "ATN-FAIL": make(chan struct{})}
	)
	handle := func(_ context.Context, sku string) error {
		mu.Lock()
		runs[sku]++
		n := runs[sku]
		fail := n <= failFor[sku]
		mu.Unlock()
		if n == 1 {
			running <- sku
			<-finish[sku] // still running while the copies arrive
		}
		if fail {
			return errors.New("database unavailable")
		}
		return nil
	}
	replicas := []*replica{newReplica(t, addr, prefix, handle), newReplica(t, addr, prefix, handle)}
	runsOf := func(sku string) int {
		mu.Lock()
		defer mu.Unlock()
		return runs[sku]
	}

	// deliverCopies delivers body once, then, while that run goes on, 100
	// copies across both replicas; it returns the first delivery's status
	// and the copies'.
	deliverCopies := func(sku string) (int, []int) {
		body := productBody(sku)
		first := make(chan int, 1)
		go func() { first <- replicas[0].deliver(t, body) }()
		require.Equal(t, sku, <-running)
		statuses := make([]int, 100)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = replicas[i%2].deliver(t, body)
			}()
		}
		wg.Wait()
		close(finish[sku])
		return <-first, statuses
	}

	status, copies := deliverCopies("ATN-001")
	assert.Equal(t, http.StatusOK, status)
	for i, s := range copies {
		assert.Equal(t, http.StatusServiceUnavailable, s, "copy %d arrived while the first run went on", i)
	}
	assert.Equal(t, 1, runsOf("ATN-001"), "handler runs for 101 concurrent copies on 2 replicas")
	// Later copies, on either replica, are acknowledged without running.
	assert.Equal(t, http.StatusOK, replicas[0].deliver(t, productBody("ATN-001")))
	assert.Equal(t, http.StatusOK, replicas[1].deliver(t, productBody("ATN-001")))
	assert.Equal(t, 1, runsOf("ATN-001"))

	// A failed handler: no copy was acknowledged, the key is released and
	// the redelivery, on the other replica, runs it again.
	status, copies = deliverCopies("ATN-FAIL")
	assert.Equal(t, http.StatusInternalServerError, status)
	acknowledged := 0
	for _, s := range copies {
		if s < 300 {
			acknowledged++
		}
	}
	assert.Zero(t, acknowledged, "copies answered 2xx while the only run failed")
	assert.Equal(t, 1, runsOf("ATN-FAIL"))
	failing := productBody("ATN-FAIL")
	assert.Equal(t, http.StatusOK, replicas[1].deliver(t, failing))
	assert.Equal(t, 2, runsOf("ATN-FAIL"))
	// Handled now: further copies are duplicates.
	assert.Equal(t, http.StatusOK, replicas[0].deliver(t, failing))
	assert.Equal(t, 2, runsOf("ATN-FAIL"))
}

// TestDeduperWithStore runs the store under dedupe.Runner directly, the
// layer every receiver uses, including a handler that panics.
func TestDeduperWithStore(t *testing.T) {
	s, rdb, prefix := newSharedStore(t)
	d := dedupe.Runner{Store: s, Lease: time.Minute, Retention: time.Minute}
	ctx := context.Background()

	outcome, err := d.Do(ctx, "ikitech:x", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome)
	outcome, err = d.Do(ctx, "ikitech:x", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, dedupe.Duplicate, outcome)

	func() {
		defer func() { assert.NotNil(t, recover()) }()
		_, _ = d.Do(ctx, "ikitech:panic", func(context.Context) error { panic("handler bug") })
	}()
	n, err := rdb.Exists(ctx, prefix+"ikitech:panic").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "a panicking handler releases the key")
}

// TestDedupeClaimReplyLost loses the reply to the claim of a delivery, as a
// network failure after Redis ran the command does. The Redis client sends
// the claim again (go-redis retries after a lost reply); the second claim
// finds the first one's key, which is the same run's: the handler runs and
// the delivery is acknowledged. Without retries the claim fails: the
// receiver answers 500 (never a 200 without a run), frees the claim, and
// the redelivery is handled.
func TestDedupeClaimReplyLost(t *testing.T) {
	addr := sharedRedisAddr(t)
	configs := map[string]*redis.Options{
		"README options": {
			DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: 1,
			ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		},
		"go-redis defaults": {},
		"no retries":        {MaxRetries: -1},
	}
	for name, opts := range configs {
		t.Run(name, func(t *testing.T) {
			proxy := newReplyDropper(t, addr)
			opts.Addr = proxy.addr()
			rdb := redis.NewClient(opts)
			t.Cleanup(func() { _ = rdb.Close() })
			prefix := uniqueName(t)
			deleteKeys(t, steadyClient(t, addr), prefix)
			store, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix(prefix))
			require.NoError(t, err)

			var runs atomic.Int32
			var errs struct {
				sync.Mutex
				got []error
			}
			rep := newReplicaOn(t, store, func(err error) {
				errs.Lock()
				errs.got = append(errs.got, err)
				errs.Unlock()
			}, func(context.Context, string) error {
				runs.Add(1)
				return nil
			})
			// Open the client's connection, so that the claim is not the
			// first command on it.
			require.NoError(t, rdb.Ping(context.Background()).Err())

			body := productBody("LOST-REPLY")
			proxy.dropReplyTo(prefix)
			status := rep.deliver(t, body)
			require.EqualValues(t, 1, proxy.dropped.Load(), "the proxy dropped the claim's reply")
			errs.Lock()
			reported := errs.got
			errs.Unlock()
			if name == "no retries" {
				assert.Equal(t, http.StatusInternalServerError, status, "the claim's outcome is unknown: not acknowledged")
				assert.Zero(t, runs.Load())
				require.NotEmpty(t, reported)
				assert.ErrorIs(t, reported[0], dedupe.ErrStore)
			} else {
				assert.Equal(t, http.StatusOK, status)
				assert.EqualValues(t, 1, runs.Load(), "the handler ran for the acknowledged delivery")
				assert.Empty(t, reported)
			}

			// The redelivery is handled if it was not, and is a duplicate
			// otherwise; either way the handler has run exactly once.
			assert.Equal(t, http.StatusOK, rep.deliver(t, body))
			assert.Equal(t, http.StatusOK, rep.deliver(t, body))
			assert.EqualValues(t, 1, runs.Load())
		})
	}
}
