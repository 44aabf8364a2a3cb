package tikitest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t, tikitest.WithRateLimit(3))
	c, err := srv.Client(tiki.WithRateLimit(0, 0), tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	var limited int
	for range 5 {
		_, _, err := c.Warehouses.ListTiki(context.Background())
		if err != nil {
			require.ErrorIs(t, err, tiki.ErrRateLimited)
			limited++
		}
	}
	assert.Equal(t, 2, limited, "3 per second pass, the rest get 429")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := srv.Client(tiki.WithRetry(3, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	ctx := context.Background()
	path := "/integration/v2/warehouses/tiki"

	// Two 503s are absorbed by the retries.
	require.NoError(t, srv.Inject(tikitest.Fault{Path: path, Times: 2, Status: 503}))
	_, resp, err := c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)

	// A hang-up, then success (Go's transport may itself repeat a GET on
	// a reused connection: count what the fake received).
	before := srv.Requests()
	require.NoError(t, srv.Inject(tikitest.Fault{Method: http.MethodGet, Path: path, Close: true}))
	_, _, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests()-before)

	// A body that is not JSON.
	require.NoError(t, srv.Inject(tikitest.Fault{Path: path, Body: []byte("<html>maintenance</html>")}))
	_, _, err = c.Warehouses.ListTiki(ctx)
	var de *tiki.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "<html>maintenance</html>", de.Snippet)

	// A 429 with Retry-After, and a delay.
	require.NoError(t, srv.Inject(tikitest.Fault{Path: path, Status: 429, Header: http.Header{"Retry-After": {"0"}}}))
	require.NoError(t, srv.Inject(tikitest.Fault{Path: path, Delay: 20 * time.Millisecond}))
	start := time.Now()
	_, resp, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	// Faults on another path do not fire.
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/integration/v2/other", Status: 500}))
	_, resp, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, resp.Attempts)
}

func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	app := tiki.OAuthApp{
		ClientID: tikitest.DefaultClientID, ClientSecret: tikitest.DefaultClientSecret,
		RedirectURL: "https://seller.example/callback", Host: srv.Host,
		Scopes: []string{tiki.ScopeProduct, tiki.ScopeOrder, tiki.ScopeOffline},
	}
	authURL, err := app.AuthCodeURL("state-12345")
	require.NoError(t, err)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(back.String(), "https://seller.example/callback?"))

	assert.Equal(t, "state-12345", back.Query().Get("state"))
	code := back.Query().Get("code")
	tok, err := app.Exchange(context.Background(), nil, code)
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken, "offline scope: a refresh token")

	_, err = app.Exchange(context.Background(), nil, code)
	var te *tiki.TokenError
	require.ErrorAs(t, err, &te, "a code is used once")
	assert.Equal(t, "invalid_grant", te.Code)

	store := tiki.NewMemoryTokenStore()
	require.NoError(t, tiki.SaveToken(context.Background(), store, "seller-1", tok))
	c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithOAuthApp(app, store, "seller-1"))
	require.NoError(t, err)
	_, _, err = c.Warehouses.ListTiki(context.Background())
	require.NoError(t, err)
	srv.ExpireTokens()
	_, resp2, err := c.Warehouses.ListTiki(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, resp2.Attempts)
	renewed, err := store.Load(context.Background(), "seller-1")
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, renewed.RefreshToken, "refresh tokens rotate")
}

func TestAuthorizationRefused(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	app := tiki.OAuthApp{ClientID: "someone-else", ClientSecret: "x", RedirectURL: "https://seller.example/cb", Host: srv.Host}
	authURL, err := app.AuthCodeURL("state-12345")
	require.NoError(t, err)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "access_denied", back.Query().Get("error"))
	assert.Equal(t, "403", back.Query().Get("error_code"))
	assert.Equal(t, "state-12345", back.Query().Get("state"))
}

func TestWebhookRegistrationNeedsBearer(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	secret, err := tikinow.NewSecret()
	require.NoError(t, err)
	req := &tiki.RegisterWebhooksRequest{InventoryLocations: []string{"sgn"},
		Webhooks: tiki.WebhookTargets{Stock: &tiki.WebhookTarget{URL: "http://127.0.0.1:1/h", SecretKey: secret}}}

	c, err := srv.Client()
	require.NoError(t, err)
	res, _, err := c.Webhooks.Register(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Len(t, res.MetaData.RequestID, 32)
	assert.Equal(t, req, srv.WebhookRegistration())

	bad, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithTikiNowURL(srv.TikiNowURL), tiki.WithAccessToken("wrong-token"))
	require.NoError(t, err)
	_, _, err = bad.Webhooks.Register(context.Background(), req)
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
}
