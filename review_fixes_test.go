package tiki

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/tikisdk/tiki/internal/backoff"
)

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		ok200(w, r)
	}))
	defer other.Close()
	s := newServer(t, withHeader("Location", other.URL+"/steal", status(http.StatusFound, ``)))
	c, _ := setupServer(t, s)
	_, resp, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the response is returned with the error")
	assert.Zero(t, elsewhere.Load(), "the seller key must never follow a redirect")
}

func TestTikiNowFailureInsideSuccessStatus(t *testing.T) {
	t.Parallel()
	// 200 with success:false and status_code 401: renewed and repeated like
	// a real 401.
	s := newOAuthServer(t)
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			fmt.Fprint(w, `{"success":false,"error":{"status_code":401,"message":"Unauthorized","message_code":"INVALID_TOKEN"},"meta_data":{"request_id":"r1"}}`)
			return
		}
		fmt.Fprint(w, `{"success":true,"meta_data":{"request_id":"r2"}}`)
	}))
	defer api.Close()
	c, err := NewClient(WithBaseURL(s.URL+"/integration"), WithTikiNowURL(api.URL), WithRateLimit(0, 0), clientCredentials(AuthStyleBasic))
	require.NoError(t, err)
	res, resp, err := call[RegisterWebhooksResult](context.Background(), c, &request{method: http.MethodPost, base: c.tikiNowURL, path: "x", body: map[string]int{}})
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Equal(t, 2, resp.Attempts)
	assert.EqualValues(t, 2, s.tokens.Load())

	// Without a renewable token it is an *APIError with the inner status.
	c2, err := NewClient(WithTikiNowURL(api.URL), WithRateLimit(0, 0), WithAccessToken("static-token"))
	require.NoError(t, err)
	calls.Store(0)
	_, _, err = call[RegisterWebhooksResult](context.Background(), c2, &request{method: http.MethodPost, base: c2.tikiNowURL, path: "x", body: map[string]int{}})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
}

func TestServiceUnavailableWithLongRetryAfter(t *testing.T) {
	t.Parallel()
	s := newServer(t, withHeader("Retry-After", "3600", status(503, `{"errors":["maintenance"]}`)))
	c, w := setupServer(t, s)
	_, _, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.EqualValues(t, 1, s.count.Load(), "an hour's wait is not shortened into retries")
	assert.Empty(t, w.all())
}

func TestAuthOptionReusedForSeveralClients(t *testing.T) {
	t.Parallel()
	a, b := newOAuthServer(t), newOAuthServer(t)
	opt := clientCredentials(AuthStyleBasic)
	var wg sync.WaitGroup
	for _, s := range []*oauthServer{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.client(t, opt)
			_, _, err := c.Catalog.Categories(context.Background(), nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 2, a.tokens.Load(), "each client asks its own host")
	assert.EqualValues(t, 2, b.tokens.Load())
}

func TestParseCallbackRefusalWithoutState(t *testing.T) {
	t.Parallel()
	_, err := ParseCallback(url.Values{"error": {"access_denied"}, "error_code": {"403"}, "error_hint": {"Denied."}}, "state-1234")
	var ae *AuthorizationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "403", ae.StatusCode)
	// A code without the right state is still refused.
	_, err = ParseCallback(url.Values{"code": {"c"}}, "state-1234")
	require.ErrorIs(t, err, ErrStateMismatch)
	_, err = ParseCallback(url.Values{"error": {"access_denied"}, "state": {"other-state"}}, "state-1234")
	require.ErrorIs(t, err, ErrStateMismatch)
}

func TestTokenEndpointOutage(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		n.Add(1)
		w.WriteHeader(503)
		fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
	}))
	defer tokens.Close()
	c, err := NewClient(WithRateLimit(0, 0), WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "secret-123", TokenURL: tokens.URL}))
	require.NoError(t, err)
	_, _, err = c.Catalog.Categories(context.Background(), nil)
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 503, te.StatusCode)
	assert.False(t, errors.Is(err, ErrUnauthorized), "an outage is not a credential problem")
	assert.EqualValues(t, 2, n.Load(), "one retry of the token request")
	assert.True(t, (&TokenError{StatusCode: 400, Code: "invalid_grant"}).Is(ErrUnauthorized))
}

func TestWithLimiterRateLimiterDeadline(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	l := rate.NewLimiter(0.001, 1)
	c, _ := setupServer(t, s, WithLimiter(l))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.do(ctx, &request{method: http.MethodGet, group: GroupCatalog, path: "x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestBackoffNeverOverflows(t *testing.T) {
	t.Parallel()
	p := backoff.Policy{Min: time.Second, Max: math.MaxInt64}
	for _, n := range []int{1, 30, 40, 64, 100, math.MaxInt32} {
		d := p.Wait(n)
		assert.Greater(t, d, time.Duration(0), n)
	}
	assert.Equal(t, time.Duration(0), backoff.Policy{}.Wait(5))
	assert.LessOrEqual(t, backoff.Policy{Min: time.Second, Max: 0}.Wait(5), time.Second)
}
