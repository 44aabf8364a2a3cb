package tiki

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	cases := map[string]Option{
		"nil http client":   WithHTTPClient(nil),
		"relative base URL": WithBaseURL("/integration"),
		"ftp base URL":      WithBaseURL("ftp://api.tiki.vn"),
		"base URL secrets":  WithBaseURL("https://user:pass@api.tiki.vn/integration"),
		"negative rate":     WithRateLimit(-1, 0),
		"negative burst":    WithRateLimit(10, -1),
		"nil limiter":       WithLimiter(nil),
		"zero attempts":     WithRetry(0, time.Second, time.Second),
		"min above max":     WithRetry(3, time.Second, time.Millisecond),
		"negative cap":      WithMaxRetryAfter(-time.Second),
		"nil logger":        WithLogger(nil),
		"unknown env":       WithEnvironment("staging"),
		"empty key":         WithSellerKey(" "),
		"empty token":       WithAccessToken(""),
		"nil token source":  WithTokenSource(nil),
		"unknown group":     WithAPIVersion("payments", V2),
		"unknown version":   WithAPIVersion(GroupCatalog, V21),
		"user agent CRLF":   WithUserAgent("x\r\nEvil: 1"),
		"client creds":      WithClientCredentials(ClientCredentials{ClientID: "id"}),
		"oauth app":         WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, nil),
		"negative renewal":  WithTokenRenewal(-time.Second),
		"nil option":        nil,
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(opt)
			assert.Nil(t, c)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "tiki: "), err.Error())
		})
	}
}

func TestEnvironments(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithEnvironment(Sandbox))
	require.NoError(t, err)
	assert.Equal(t, "https://api-sandbox.tiki.vn/integration", c.BaseURL())
	assert.Equal(t, Sandbox, c.Environment())
	c, err = NewClient(WithBaseURL("http://127.0.0.1:8080/integration/"))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/integration", c.BaseURL())
	assert.Equal(t, Environment(""), c.Environment())
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	c, _ := setupServer(t, s, WithUserAgent("my-oms/2.3"))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, "my-oms/2.3 tiki-go/"+Version, s.header[0].Get("User-Agent"))
}

func TestLogLinePerAttempt(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(503, ``), ok200)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := setupServer(t, s, WithLogger(logger))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "method=GET path=/prefix/integration/v2/things status=503 attempt=1 wait=")
	assert.Contains(t, lines[1], "status=200 attempt=2 wait=0s")
}

func TestNoCookieJar(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-server"})
		ok200(w, r)
	})
	c, _ := setupServer(t, s)
	for range 2 {
		_, _, err := callThing(c, http.MethodGet)
		require.NoError(t, err)
	}
	assert.Empty(t, s.header[1].Get("Cookie"), "cookies must not be stored and replayed")
}

func TestCallerHTTPClientNotMutated(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	hc := &http.Client{}
	c, err := NewClient(WithBaseURL(s.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, _, err = callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, &http.Client{}, hc)
}

func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := NewClient()
	require.NoError(t, err)
	assert.Nil(t, c.httpClient.Jar)
	assert.Equal(t, 30*time.Second, c.httpClient.Timeout)
	assert.Equal(t, "https://api.tiki.vn/integration", c.BaseURL())
	assert.Equal(t, Production, c.Environment())
}
