package tiki

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a clock that moves only when a test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A renewal made early (the access token still works) whose answer is
// lost is not repeated while the access token works: the calls go on with
// it, and the store records the renewal in doubt. Once the access token
// has expired, the refresh token is sent again, and its answer stored.
func TestLostEarlyRenewalKeepsTheAccessToken(t *testing.T) {
	t.Parallel()
	var tokenRequests atomic.Int32
	var forms []string
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sc/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		n := tokenRequests.Add(1)
		mu.Lock()
		forms = append(forms, r.FormValue("refresh_token"))
		mu.Unlock()
		if n == 1 { // carried out, answer lost
			conn, _, err := w.(http.Hijacker).Hijack()
			require.NoError(t, err)
			conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":3600,"refresh_token":"refresh-%d","token_type":"bearer"}`, n, n)
	})
	var apiTokens []string
	mux.HandleFunc("/integration/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiTokens = append(apiTokens, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":[]}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := context.Background()
	clock := &testClock{now: time.Now()}
	store := NewMemoryTokenStore()
	require.NoError(t, SaveToken(ctx, store, testSeller, &Token{AccessToken: "tok-0", RefreshToken: "refresh-0", Expiry: clock.Now().Add(30 * time.Second)}))
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: srv.URL}
	c, err := NewClient(WithBaseURL(srv.URL+"/integration"), WithRateLimit(0, 0), WithOAuthApp(app, store, testSeller))
	require.NoError(t, err)
	r := &storeRenewal{store: store, sellerID: testSeller, refresh: appRefresh(app, c.httpClient), now: clock.Now}
	cache := &tokenCache{ownRetries: true}
	c.initTokenCache(cache, r.fetch)
	cache.now = clock.Now
	call := func() {
		t.Helper()
		_, _, err := c.Catalog.ListCategories(ctx, nil)
		require.NoError(t, err)
	}

	call()                          // tok-0, renewed 15 s before it expires
	clock.advance(20 * time.Second) // due: renewed, the answer is lost
	call()
	call()
	assert.EqualValues(t, 1, tokenRequests.Load(), "not repeated while the access token works")
	stored, err := store.Load(ctx, testSeller)
	require.NoError(t, err)
	assert.Equal(t, 1, stored.RenewalsInDoubt)
	assert.Equal(t, "refresh-0", stored.RefreshToken)

	clock.advance(11 * time.Second) // tok-0 has expired: nothing to lose
	call()
	assert.EqualValues(t, 2, tokenRequests.Load())
	assert.Equal(t, []string{"refresh-0", "refresh-0"}, forms)
	assert.Equal(t, []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-0", "Bearer tok-2"}, apiTokens)
	stored, err = store.Load(ctx, testSeller)
	require.NoError(t, err)
	assert.Equal(t, &Token{AccessToken: "tok-2", RefreshToken: "refresh-2", Expiry: stored.Expiry}, stored)
}
