package sellers_test

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

// The pool hands out one client per seller, and each client calls as its
// seller, with the seller's token from the store.
func TestPoolHandsOutEachSellersClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	for _, s := range []int64{11, 12} {
		connect(t, srv, store, s)
	}
	pool := newPool(t, srv, store)
	a, err := pool.Client("11")
	require.NoError(t, err)
	again, err := pool.Client("11")
	require.NoError(t, err)
	assert.Same(t, a, again, "one client per seller")
	b, err := pool.Client("12")
	require.NoError(t, err)
	assert.NotSame(t, a, b)
	for id, c := range map[int64]*tiki.Client{11: a, 12: b} {
		me, _, err := c.Sellers.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, id, me.ID, "Tiki saw the seller's own token")
	}
	assert.Equal(t, 2, pool.Len())
	pool.Forget("11")
	assert.Equal(t, 1, pool.Len())
	c, err := pool.Client("11")
	require.NoError(t, err)
	assert.NotSame(t, a, c, "a forgotten seller gets a new client")
}

// An event of the app's queue names its seller: the handler gets the
// seller's client from the pool in one call.
func TestPoolClientOfAnEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	connect(t, srv, store, 31)
	pool := newPool(t, srv, store)

	app, err := srv.Client(tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	q, _, err := app.EventQueue.CreateQueue(ctx, "sellers")
	require.NoError(t, err)
	seller, err := pool.Client("31")
	require.NoError(t, err)
	_, _, err = seller.EventQueue.Subscribe(ctx, q.Code, tiki.EventOrderCreated)
	require.NoError(t, err)
	_, err = srv.EmitEvent(31, tiki.EventOrderCreated, "v1", map[string]any{"order_code": "A1", "status": "queueing"})
	require.NoError(t, err)
	batch, _, err := app.EventQueue.Pull(ctx, q.Code, "")
	require.NoError(t, err)
	require.Len(t, batch.Events, 1)

	c, err := pool.Client(batch.Events[0].SID)
	require.NoError(t, err)
	assert.Same(t, seller, c)
	me, _, err := c.Sellers.Get(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 31, me.ID)
}

// Bad arguments are *tiki.ValidationError, before anything is made or
// sent.
func TestPoolValidation(t *testing.T) {
	t.Parallel()
	var ve *tiki.ValidationError
	_, err := sellers.NewPool(tiki.OAuthApp{}, nil, sellers.WithIdleTimeout(0), sellers.WithHTTPClient(nil), sellers.WithLimiters(nil))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "WithIdleTimeout", Problem: "must be positive, not 0s"},
		{Field: "WithHTTPClient", Problem: "must not be a nil *http.Client"},
		{Field: "WithLimiters", Problem: "must not be a nil function"},
		{Field: "store", Problem: "must not be nil"},
	}, ve.Problems)
	_, err = sellers.NewPool(tiki.OAuthApp{}, tiki.NewMemoryTokenStore())
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "tiki: invalid request: WithOAuthApp.client_id is required; WithOAuthApp.client_secret is required", err.Error())
	_, err = sellers.NewPool(tiki.OAuthApp{ClientID: "a", ClientSecret: "b"}, tiki.NewMemoryTokenStore(),
		sellers.WithClientOptions(tiki.WithSellerKey("k")))
	require.ErrorAs(t, err, &ve, "a second way to authenticate")

	srv := tikitest.NewServer(t)
	pool := newPool(t, srv, tiki.NewMemoryTokenStore())
	for _, id := range []string{"", " ", "a\x00b"} {
		_, err = pool.Client(id)
		require.ErrorAs(t, err, &ve, "%q", id)
	}
	assert.Zero(t, pool.Len())
	assert.Zero(t, srv.Requests()+srv.TokenRequests())
}

// A seller without a token, or whose grant Tiki revoked, fails on its
// first call with an error naming the seller.
func TestPoolSellerNotConnected(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	pool := newPool(t, srv, store)
	c, err := pool.Client("77")
	require.NoError(t, err, "making a client sends nothing")
	_, _, err = c.Sellers.Get(context.Background())
	require.ErrorIs(t, err, tiki.ErrNoToken)
	assert.Contains(t, err.Error(), `seller "77"`)

	require.NoError(t, tiki.SaveToken(context.Background(), store, "78", &tiki.Token{RefreshToken: "never-issued"}))
	c, err = pool.Client("78")
	require.NoError(t, err)
	_, _, err = c.Sellers.Get(context.Background())
	var gr *tiki.GrantRevokedError
	require.ErrorAs(t, err, &gr)
	assert.Equal(t, "78", gr.SellerID)
}

// Every client, token requests included, goes through the one HTTP client
// of the pool.
func TestPoolSharesOneHTTPClient(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	ct := &countingTransport{base: http.DefaultTransport, n: make(chan struct{}, 100)}
	pool := newPool(t, srv, store, sellers.WithHTTPClient(&http.Client{Transport: ct}))
	for s := int64(1); s <= 5; s++ {
		connect(t, srv, store, 40+s)
	}
	srv.ExpireTokens()
	for s := int64(1); s <= 5; s++ {
		c, err := pool.Client(strconv.FormatInt(40+s, 10))
		require.NoError(t, err)
		_, _, err = c.Sellers.Get(context.Background())
		require.NoError(t, err)
	}
	// Per seller: a refused call, a renewal, the call again.
	assert.Len(t, ct.n, 15)
	assert.Equal(t, 5+5*2, srv.Requests()+srv.TokenRequests())
}

// WithLimiters gives each seller's client the limiter made for it.
func TestPoolLimiterPerSeller(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	connect(t, srv, store, 51)
	var mu sync.Mutex
	made := map[string]*countingLimiter{}
	pool := newPool(t, srv, store, sellers.WithLimiters(func(id string) (tiki.Limiter, error) {
		mu.Lock()
		defer mu.Unlock()
		made[id] = &countingLimiter{}
		return made[id], nil
	}))
	c, err := pool.Client("51")
	require.NoError(t, err)
	_, _, err = c.Sellers.Get(context.Background())
	require.NoError(t, err)
	_, err = pool.Client("51")
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, made, 1, "one limiter per seller")
	assert.EqualValues(t, 1, made["51"].waits)
}

// countingLimiter lets every request through and counts them.
type countingLimiter struct {
	mu    sync.Mutex
	waits int
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	return ctx.Err()
}

// An idle seller costs the pool no goroutine: 1,000 sellers that each made
// a call leave no goroutine behind once the shared transport's idle
// connections are closed. (Not parallel: it counts the process's
// goroutines.)
func TestPoolIdleSellersHoldNoGoroutine(t *testing.T) {
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	pool := newPool(t, srv, store)
	const n = 1000
	for s := int64(1); s <= n; s++ {
		connect(t, srv, store, 10_000+s)
	}
	warm := func(from, to int64) {
		var wg sync.WaitGroup
		for s := from; s <= to; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := pool.Client(strconv.FormatInt(10_000+s, 10))
				if assert.NoError(t, err) {
					_, _, err = c.Sellers.Get(context.Background())
					assert.NoError(t, err)
				}
			}()
			if s%50 == 0 {
				wg.Wait()
			}
		}
		wg.Wait()
	}
	warm(1, 50)
	pool.CloseIdleConnections()
	before := settledGoroutines()
	warm(51, n)
	pool.CloseIdleConnections()
	after := settledGoroutines()
	assert.Equal(t, n, pool.Len())
	assert.LessOrEqual(t, after-before, 5, "goroutines grew by %d for %d sellers", after-before, n-50)
}

// settledGoroutines returns the goroutine count once it stops falling.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}
