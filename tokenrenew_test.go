package tiki

import (
	"context"
	"net/http"
	"strings"
	"sync"
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
	_, s := setup(t)
	o := s.oauth()
	// The first renewal is carried out (tok-1 is issued) and its answer
	// lost; the next ones are answered.
	s.handleRoot("POST "+tokenPath, func(w http.ResponseWriter, r *http.Request) {
		o.n.Add(1)
		hangUp(w, r)
	}, o.token)

	ctx := context.Background()
	clock := &testClock{now: time.Now()}
	store := NewMemoryTokenStore()
	require.NoError(t, SaveToken(ctx, store, testSeller, &Token{AccessToken: "tok-0", RefreshToken: "refresh-0", Expiry: clock.Now().Add(30 * time.Second)}))
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
	c := s.client(t, WithOAuthApp(app, store, testSeller))
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
	assert.Equal(t, 1, o.issued(), "not repeated while the access token works")
	stored, err := store.Load(ctx, testSeller)
	require.NoError(t, err)
	assert.Equal(t, 1, stored.RenewalsInDoubt)
	assert.Equal(t, "refresh-0", stored.RefreshToken)

	clock.advance(11 * time.Second) // tok-0 has expired: nothing to lose
	call()
	assert.Equal(t, 2, o.issued())
	var refreshTokens []string
	for _, form := range o.forms() {
		refreshTokens = append(refreshTokens, form.Get("refresh_token"))
	}
	assert.Equal(t, []string{"refresh-0", "refresh-0"}, refreshTokens)
	var authorizations []string
	for _, got := range s.requests() {
		if strings.HasPrefix(got.Path, apiPath+"/") {
			authorizations = append(authorizations, got.Header.Get("Authorization"))
		}
	}
	assert.Equal(t, []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-0", "Bearer tok-2"}, authorizations)
	stored, err = store.Load(ctx, testSeller)
	require.NoError(t, err)
	assert.Equal(t, &Token{AccessToken: "tok-2", RefreshToken: "refresh-2", Expiry: stored.Expiry, Scope: "product order"}, stored)
}
