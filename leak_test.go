package tiki

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestNoGoroutineLeft uses a client the ways that start goroutines (retries,
// hang-ups, cancellations during a wait and during a token request, an
// iterator left early) and checks that once idle
// connections are closed no goroutine of the SDK is left. It is not
// parallel, so that other tests' goroutines do not interfere.
func TestNoGoroutineLeft(t *testing.T) {
	before := goleak.IgnoreCurrent()

	s := newOAuthServer(t)
	s.delay = 30 * time.Millisecond
	c := s.client(t, clientCredentials(AuthStyleBasic), WithRetry(3, time.Millisecond, 2*time.Millisecond))

	// A token request that the first caller gives up on, then completes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	_, _, err := c.Catalog.ListCategories(ctx, nil)
	cancel()
	require.Error(t, err)
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)

	// Retries, a hang-up and a cancellation during a backoff wait.
	flaky := newServer(t, status(503, ``), hangUp, ok200)
	fc, _ := setupServer(t, flaky)
	fc.sleep = (&waits{}).sleep
	_, _, err = callThing(fc, http.MethodGet)
	require.NoError(t, err)
	flaky2 := newServer(t, status(503, ``))
	slow, err := NewClient(WithSellerKey(testKey), WithBaseURL(flaky2.URL), WithRateLimit(0, 0), WithRetry(5, time.Hour, time.Hour))
	require.NoError(t, err)
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err = slow.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// An iterator left after its first row.
	pc, _ := pagedServer(t)
	for _, err := range pc.Catalog.AllAttributeValues(context.Background(), 7, nil) {
		require.NoError(t, err)
		break
	}

	for _, cl := range []*Client{c, fc, slow} {
		cl.CloseIdleConnections()
	}
	s.Close()
	flaky.Close()
	flaky2.Close()
	goleak.VerifyNone(t, before)
}
