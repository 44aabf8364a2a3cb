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

	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/webhook"
)

func TestNewDedupeStoreRefusesNilClient(t *testing.T) {
	s, err := redisstore.NewDedupeStore(nil)
	assert.Nil(t, s)
	assert.Error(t, err)
}

// newSharedStore returns a store on the shared Redis under a prefix of
// this test run's own, and a client to look at its keys.
func newSharedStore(t *testing.T) (*redisstore.DedupeStore, *redis.Client, string) {
	t.Helper()
	rdb := newRedisClient(t, sharedRedisAddr(t))
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

	// Claim holds a free key, once.
	claimed, err := s.Claim(ctx, "ikitech:a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed)
	assert.InDelta(t, time.Minute, pttl("ikitech:a"), float64(time.Second), "SET NX PX ttl under the prefix")
	claimed, err = s.Claim(ctx, "ikitech:a", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed, "a held key is not claimed again")

	// Release frees it at once.
	require.NoError(t, s.Release(ctx, "ikitech:a"))
	assert.Equal(t, time.Duration(-2), pttl("ikitech:a"), "DEL")
	claimed, err = s.Claim(ctx, "ikitech:a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed)

	// Complete holds it for the retention, from now, held or not.
	require.NoError(t, s.Complete(ctx, "ikitech:a", time.Hour))
	assert.InDelta(t, time.Hour, pttl("ikitech:a"), float64(time.Second))
	claimed, err = s.Claim(ctx, "ikitech:a", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed)
	require.NoError(t, s.Complete(ctx, "ikitech:free", time.Hour), "Complete of a free key is not an error")
	claimed, err = s.Claim(ctx, "ikitech:free", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed)
	require.NoError(t, s.Release(ctx, "ikitech:never-held"), "Release of a free key is not an error")

	// A claim expires after its ttl; durations are sent in milliseconds,
	// rounded up.
	claimed, err = s.Claim(ctx, "ikitech:short", 30*time.Millisecond)
	require.NoError(t, err)
	assert.True(t, claimed)
	time.Sleep(60 * time.Millisecond)
	claimed, err = s.Claim(ctx, "ikitech:short", 500*time.Microsecond)
	require.NoError(t, err)
	assert.True(t, claimed, "the claim expired")
	assert.LessOrEqual(t, pttl("ikitech:short"), time.Millisecond, "500µs is sent as PX 1")

	// Keys of any length and content are stored as they are.
	long := "tikinow:" + strings.Repeat("é ✓", 2000)
	claimed, err = s.Claim(ctx, long, time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed)

	// A ttl that is not positive is refused without touching Redis.
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err = s.Claim(ctx, "ikitech:b", ttl)
		assert.Error(t, err)
		assert.Error(t, s.Complete(ctx, "ikitech:b", ttl))
	}
	assert.Equal(t, time.Duration(-2), pttl("ikitech:b"))
}

func TestDedupeStoreDefaultPrefix(t *testing.T) {
	rdb := newRedisClient(t, sharedRedisAddr(t))
	s, err := redisstore.NewDedupeStore(rdb)
	require.NoError(t, err)
	key := uniqueName(t)
	ctx := context.Background()
	t.Cleanup(func() { rdb.Del(context.Background(), redisstore.DefaultDedupePrefix+key) })

	claimed, err := s.Claim(ctx, key, time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed)
	n, err := rdb.Exists(ctx, redisstore.DefaultDedupePrefix+key).Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestDedupeStoreClaimIsAtomicAcrossClients(t *testing.T) {
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	var stores []*redisstore.DedupeStore
	for i := range 4 {
		rdb := newRedisClient(t, addr)
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
				claimed, err := stores[i%len(stores)].Claim(context.Background(), key, time.Minute)
				if assert.NoError(t, err) && claimed {
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
// webhook.Deduper), here decoding IKITECH-like product deliveries, keyed
// by a hash of the body as the IKITECH receiver does.
type replica struct {
	srv *httptest.Server
}

// newReplica starts a replica sharing the dedupe store under prefix, whose
// handler is handle.
func newReplica(t *testing.T, addr, prefix string, handle func(ctx context.Context, sku string) error) *replica {
	t.Helper()
	store, err := redisstore.NewDedupeStore(newRedisClient(t, addr), redisstore.WithKeyPrefix(prefix))
	require.NoError(t, err)
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
		Dedupe: webhook.Deduper{Store: store, Lease: time.Minute, Retention: time.Minute},
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

// TestDedupeAcrossReplicas delivers the same webhook 20 times at once,
// spread over two replicas sharing the store: the handler runs once. A
// delivery whose handler fails is handled again when redelivered.
func TestDedupeAcrossReplicas(t *testing.T) {
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, newRedisClient(t, addr), prefix)

	var (
		mu      sync.Mutex
		runs    = map[string]int{}
		failFor = map[string]int{"ATN-FAIL": 1} // fail this many first runs
	)
	handle := func(_ context.Context, sku string) error {
		mu.Lock()
		runs[sku]++
		fail := runs[sku] <= failFor[sku]
		mu.Unlock()
		time.Sleep(50 * time.Millisecond) // still running while the copies arrive
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

	// 20 concurrent copies across both replicas: one run, every copy 200.
	body := productBody("ATN-001")
	statuses := make([]int, 20)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = replicas[i%2].deliver(t, body)
		}()
	}
	close(start)
	wg.Wait()
	for i, status := range statuses {
		assert.Equal(t, http.StatusOK, status, "copy %d", i)
	}
	assert.Equal(t, 1, runsOf("ATN-001"), "handler runs for 20 concurrent copies on 2 replicas")
	// Later copies, on either replica, are acknowledged without running.
	assert.Equal(t, http.StatusOK, replicas[0].deliver(t, body))
	assert.Equal(t, http.StatusOK, replicas[1].deliver(t, body))
	assert.Equal(t, 1, runsOf("ATN-001"))

	// A failed handler releases the key: 500, and the redelivery, on the
	// other replica, runs it again.
	failing := productBody("ATN-FAIL")
	assert.Equal(t, http.StatusInternalServerError, replicas[0].deliver(t, failing))
	assert.Equal(t, 1, runsOf("ATN-FAIL"))
	assert.Equal(t, http.StatusOK, replicas[1].deliver(t, failing))
	assert.Equal(t, 2, runsOf("ATN-FAIL"))
	// Handled now: further copies are duplicates.
	assert.Equal(t, http.StatusOK, replicas[0].deliver(t, failing))
	assert.Equal(t, 2, runsOf("ATN-FAIL"))
}

// TestDeduperWithStore runs the store under webhook.Deduper directly, the
// layer every receiver uses, including a handler that panics.
func TestDeduperWithStore(t *testing.T) {
	s, rdb, prefix := newSharedStore(t)
	d := webhook.Deduper{Store: s, Lease: time.Minute, Retention: time.Minute}
	ctx := context.Background()

	outcome, err := d.Do(ctx, "ikitech:x", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, webhook.Handled, outcome)
	outcome, err = d.Do(ctx, "ikitech:x", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, webhook.Duplicate, outcome)

	func() {
		defer func() { assert.NotNil(t, recover()) }()
		_, _ = d.Do(ctx, "ikitech:panic", func(context.Context) error { panic("handler bug") })
	}()
	n, err := rdb.Exists(ctx, prefix+"ikitech:panic").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "a panicking handler releases the key")
}
