package tikitest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// requireInvalid requires err to be a *tiki.ValidationError listing
// exactly problems, each as "field problem".
func requireInvalid(t *testing.T, err error, problems ...string) {
	t.Helper()
	var verr *tiki.ValidationError
	require.ErrorAs(t, err, &verr)
	got := make([]string, len(verr.Problems))
	for i, p := range verr.Problems {
		got[i] = p.Field + " " + p.Problem
	}
	assert.Equal(t, problems, got)
}

// createOrderV1 places an order of the v1 order API, requiring success.
func createOrderV1(t *testing.T, srv *tikitest.Server, spec tikitest.OrderSpecV1) tiki.OrderV1 {
	t.Helper()
	o, err := srv.CreateOrderV1(spec)
	require.NoError(t, err)
	return o
}

// Options are checked together when the fake starts: every bad value is
// named in one *tiki.ValidationError, and no fake starts.
func TestOptionsRefused(t *testing.T) {
	t.Parallel()
	bad := []tikitest.Option{
		tikitest.WithSellerKey(""),
		tikitest.WithAccessToken(""),
		tikitest.WithClientCredentials("app", ""),
		tikitest.WithClientAuthStyle(tiki.AuthStyle(7)),
		tikitest.WithTokenTTL(0),
		tikitest.WithClock(nil),
		tikitest.WithRateLimit(-1),
		tikitest.WithWebhookClient(nil),
	}
	want := []string{
		"WithSellerKey must not be empty",
		"WithAccessToken must not be empty",
		"WithClientCredentials must have a client id and a client secret",
		"WithClientAuthStyle must be tiki.AuthStyleBasic or tiki.AuthStylePost",
		"WithTokenTTL must be positive, not 0s",
		"WithClock must not be nil",
		"WithRateLimit must not be negative (0 means no limit), not -1",
		"WithWebhookClient must not be nil",
	}
	srv, err := tikitest.Start(bad...)
	requireInvalid(t, err, want...)
	assert.Nil(t, srv)
	h, err := tikitest.NewHandler(bad...)
	requireInvalid(t, err, want...)
	assert.Nil(t, h)
	srv, err = tikitest.Listen("127.0.0.1:0", tikitest.WithClock(nil))
	requireInvalid(t, err, "WithClock must not be nil")
	assert.Nil(t, srv)

	// The values the options document as meaningful are accepted.
	srv, err = tikitest.Start(tikitest.WithRateLimit(0), tikitest.WithApprovalDelay(-time.Second), tikitest.WithRequestLog(nil), nil)
	require.NoError(t, err)
	srv.Close()
}

// A fault that could never match a request, or would do nothing, is
// refused with every problem named, and nothing is armed.
func TestInjectRefusesFaultsThatCannotWork(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	requireInvalid(t, srv.Inject(tikitest.Fault{}),
		`Path must be a path below the host such as /integration/v2.1/products, not ""`,
		"Fault must set Delay, Close, Body or Status")
	requireInvalid(t, srv.Inject(tikitest.Fault{Method: "get", Path: srv.URL + "/v2/sellers/me?x=1", Times: -1, Delay: -time.Second, Status: 42}),
		`Path must be a path below the host such as /integration/v2.1/products, not "`+srv.URL+`/v2/sellers/me?x=1"`,
		`Method must be upper case like the request's ("GET")`,
		"Times must not be negative",
		"Delay must not be negative",
		"Status must be 0 or an HTTP status from 200 to 599, not 42")
	requireInvalid(t, srv.Inject(tikitest.Fault{Path: "/integration/v2/sellers/me?x=1", Status: 503}),
		`Path must be a path below the host such as /integration/v2.1/products, not "/integration/v2/sellers/me?x=1"`)

	c, err := srv.Client(tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	_, _, err = c.Sellers.Get(context.Background())
	require.NoError(t, err, "no refused fault was armed")

	// A fault is copied when armed.
	f := tikitest.Fault{Path: "/integration/v2/sellers/me", Status: 503, Header: http.Header{"Retry-After": {"0"}}}
	require.NoError(t, srv.Inject(f))
	f.Status, f.Header["Retry-After"][0] = 200, "60"
	_, resp, err := c.Sellers.Get(context.Background())
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("Retry-After"))
}
