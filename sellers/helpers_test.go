package sellers_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

// The shared helpers of the package's tests.

// fakeApp is the fake's public app, asking for the offline scope.
func fakeApp(srv *tikitest.Server) tiki.OAuthApp {
	cc := srv.ClientCredentials()
	return tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Host: srv.Host,
		RedirectURL: "https://app.example/tiki/callback", Scopes: []string{tiki.ScopeOrder, tiki.ScopeOffline}}
}

// newPool returns a pool of the fake's app over store, its clients talking
// to the fake without a rate limit.
func newPool(t testing.TB, srv *tikitest.Server, store tiki.TokenStore, opts ...sellers.Option) *sellers.Pool {
	t.Helper()
	base := []sellers.Option{sellers.WithClientOptions(tiki.WithBaseURL(srv.URL), tiki.WithRateLimit(0, 0),
		tiki.WithRetry(2, time.Millisecond, time.Millisecond))}
	p, err := sellers.NewPool(fakeApp(srv), store, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(p.CloseIdleConnections)
	return p
}

// connect makes seller authorize the fake's app and stores its token.
func connect(t testing.TB, srv *tikitest.Server, store tiki.TokenStore, seller int64) {
	t.Helper()
	tok, err := srv.GrantToken(seller, tiki.ScopeOrder, tiki.ScopeOffline)
	require.NoError(t, err)
	require.NoError(t, tiki.SaveToken(context.Background(), store, strconv.FormatInt(seller, 10), tok))
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	base http.RoundTripper
	n    chan struct{}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n <- struct{}{}
	return c.base.RoundTrip(r)
}
