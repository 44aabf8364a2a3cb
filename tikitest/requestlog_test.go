package tikitest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSuffix(b.buf.String(), "\n"), "\n")
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixedClock is a clock that does not move, so that logged durations are 0s.
func fixedClock() tikitest.Option {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, tiki.Vietnam())
	return tikitest.WithClock(func() time.Time { return at })
}

// send makes a raw request and returns its status.
func send(t *testing.T, method, target string, header http.Header, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// The log has one line per request: method, path and query, status,
// duration on the fake's clock and, for a 4xx the fake chose, why.
func TestRequestLogLines(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	srv := tikitest.NewServer(t, tikitest.WithRequestLog(&log), fixedClock())
	tok := bearer(srv.AccessToken())

	assert.Equal(t, 200, send(t, "GET", srv.URL+"/v2/orders?status=queueing&limit=5", tok, ""))
	assert.Equal(t, 400, send(t, "GET", srv.URL+"/v2/orders?stauts=queueing", tok, ""))
	assert.Equal(t, 404, send(t, "GET", srv.URL+"/v2/nowhere?x=1", tok, ""))
	assert.Equal(t, 401, send(t, "GET", srv.URL+"/v2/orders", nil, ""))
	assert.Equal(t, 401, send(t, "GET", srv.URL+"/v2/orders", bearer("expired-or-unknown"), ""))
	assert.Equal(t, 401, send(t, "GET", srv.URL+"/v2/orders", http.Header{"Tiki-Api": {"wrong-key"}}, ""))
	assert.Equal(t, 400, send(t, "POST", srv.URL+"/v2/orders", http.Header{"Authorization": tok["Authorization"], "Content-Type": {"application/json"}}, `{"items":[]}`))
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/integration/v2/sellers/me", Status: 503}))
	assert.Equal(t, 503, send(t, "GET", srv.URL+"/v2/sellers/me", tok, ""))
	assert.Equal(t, 401, send(t, "POST", srv.Host+"/sc/oauth2/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials"))
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/integration/v2/sellers/me", Close: true}))
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v2/sellers/me", nil)
	require.NoError(t, err)
	req.Header = tok
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req) // a new connection: no transparent retry
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the fake hangs up")

	assert.Equal(t, []string{
		"GET /integration/v2/orders?status=queueing&limit=5 200 0s",
		`GET /integration/v2/orders?stauts=queueing 400 0s: unknown query parameter "stauts" for GET /integration/v2/orders`,
		"GET /integration/v2/nowhere?x=1 404 0s: unknown route",
		"GET /integration/v2/orders 401 0s: bad auth: no tiki-api header and no Bearer token",
		"GET /integration/v2/orders 401 0s: bad auth: unknown or expired Bearer token",
		"GET /integration/v2/orders 401 0s: bad auth: wrong seller key in the tiki-api header",
		"POST /integration/v2/orders 400 0s: items must hold at least one item",
		"GET /integration/v2/sellers/me 503 0s: injected fault",
		"POST /sc/oauth2/token 401 0s: invalid_client: Client authentication failed: the client is set up for " +
			"client_secret_basic (client id and secret in an Authorization: Basic header), but the request used no client authentication",
		"GET /integration/v2/sellers/me closed 0s: injected fault",
	}, log.Lines())
}

// Durations come from the fake's clock: a real clock gives a positive one.
func TestRequestLogDuration(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	srv := tikitest.NewServer(t, tikitest.WithRequestLog(&log))
	require.Equal(t, 200, send(t, "GET", srv.URL+"/v2/categories", bearer(srv.AccessToken()), ""))
	fields := strings.Fields(log.Lines()[0])
	require.Len(t, fields, 4, log.String())
	d, err := time.ParseDuration(fields[3])
	require.NoError(t, err)
	assert.Positive(t, d)
}

// No secret a request carries reaches the log: credentials in headers,
// secret query parameters and the token endpoint's form body.
func TestRequestLogNeverLogsSecrets(t *testing.T) {
	t.Parallel()
	const (
		sellerKey    = "SECRET-seller-key-1"
		accessToken  = "SECRET-access-token-2"
		clientSecret = "SECRET-client-secret-3"
		wrongToken   = "SECRET-wrong-token-4"
		queryToken   = "SECRET-query-token-5"
		querySecret  = "SECRET-query-secret-6"
		refreshToken = "SECRET-refresh-token-7"
		authCode     = "SECRET-auth-code-8"
		wrongKey     = "SECRET-wrong-key-9"
	)
	for _, style := range []tiki.AuthStyle{tiki.AuthStyleBasic, tiki.AuthStylePost} {
		var log syncBuffer
		srv := tikitest.NewServer(t, tikitest.WithRequestLog(&log), tikitest.WithSellerKey(sellerKey),
			tikitest.WithAccessToken(accessToken), tikitest.WithClientCredentials("app", clientSecret),
			tikitest.WithClientAuthStyle(style), tikitest.WithLenientQuery())
		form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		basic := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		basicReq, _ := http.NewRequest("POST", "/", nil)
		basicReq.SetBasicAuth("app", clientSecret)
		basic.Set("Authorization", basicReq.Header.Get("Authorization"))

		send(t, "GET", srv.URL+"/v2/sellers/me", http.Header{"Tiki-Api": {sellerKey}}, "")
		send(t, "GET", srv.URL+"/v2/sellers/me", http.Header{"Tiki-Api": {wrongKey}}, "")
		send(t, "GET", srv.URL+"/v2/sellers/me", bearer(accessToken), "")
		send(t, "GET", srv.URL+"/v2/sellers/me", bearer(wrongToken), "")
		send(t, "GET", srv.URL+"/v2/sellers/me?access_token="+queryToken+"&client_secret="+querySecret, bearer(accessToken), "")
		send(t, "POST", srv.Host+"/sc/oauth2/token?client_secret="+querySecret, basic, "grant_type=client_credentials")
		send(t, "POST", srv.Host+"/sc/oauth2/token", form, "grant_type=client_credentials&client_id=app&client_secret="+clientSecret)
		send(t, "POST", srv.Host+"/sc/oauth2/token", form, "grant_type=refresh_token&client_id=app&client_secret="+clientSecret+"&refresh_token="+refreshToken)
		send(t, "POST", srv.Host+"/sc/oauth2/token", basic, "grant_type=authorization_code&code="+authCode+"&redirect_uri=https://app.example/cb")
		send(t, "POST", srv.Host+"/sc/oauth2/token", basic, "grant_type=refresh_token&refresh_token="+refreshToken)
		send(t, "GET", srv.Host+"/sc/oauth2/auth?response_type=code&client_id=app&state=state-123456&redirect_uri="+
			url.QueryEscape("https://app.example/cb")+"&code="+authCode, nil, "")

		// A real token and refresh token issued by the fake stay out too.
		c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithClientCredentials(srv.ClientCredentials()))
		require.NoError(t, err)
		_, _, err = c.Sellers.Get(context.Background())
		require.NoError(t, err)

		out := log.String()
		assert.Len(t, log.Lines(), 13, out)
		assert.NotContains(t, out, "SECRET", "style %v:\n%s", style, out)
		assert.Contains(t, out, "access_token=***&client_secret=***")
		assert.Contains(t, out, "&code=***")
		assert.Contains(t, out, "/sc/oauth2/token?client_secret=***")
	}
}

// Lines written by concurrent requests are whole.
func TestRequestLogConcurrentLinesAreWhole(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	srv := tikitest.NewServer(t, tikitest.WithRequestLog(&log), fixedClock())
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", srv.URL+"/v2/brands?name=apple", nil)
			req.Header.Set("Authorization", "Bearer "+srv.AccessToken())
			resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req) // a new connection: no transparent retry
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	lines := log.Lines()
	require.Len(t, lines, 20)
	for _, l := range lines {
		assert.Equal(t, "GET /integration/v2/brands?name=apple 200 0s", l)
	}
}

// In lenient mode a request refused for another reason names both.
func TestRequestLogLenientAndRefused(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	srv := tikitest.NewServer(t, tikitest.WithRequestLog(&log), tikitest.WithLenientQuery(), fixedClock())
	assert.Equal(t, 400, send(t, "GET", srv.URL+"/v2/orders?x=1&order_by=price", bearer(srv.AccessToken()), ""))
	lines := log.Lines()
	require.Len(t, lines, 1)
	assert.Regexp(t, `^GET /integration/v2/orders\?x=1&order_by=price 400 0s: ignored: unknown query parameter "x" for GET /integration/v2/orders; order_by`, lines[0])
}
