package tiki

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// Every wrong argument of every Option is a *ValidationError from
// NewClient whose one problem names the option (and the argument, for
// options with several).
func TestOptionProblemsAreValidationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		option  string // the Option constructor under test
		opt     Option
		field   string // the FieldProblem's Field
		problem string // a part of its Problem
	}{
		{"WithEnvironment", WithEnvironment("staging"), "WithEnvironment", `must be "production" or "sandbox", not "staging"`},
		{"WithBaseURL", WithBaseURL("api.tiki.vn/integration"), "WithBaseURL", `must be an absolute http(s) URL`},
		{"WithBaseURL", WithBaseURL("/integration"), "WithBaseURL", `must be an absolute http(s) URL`},
		{"WithBaseURL", WithBaseURL("ftp://api.tiki.vn"), "WithBaseURL", `must be an absolute http(s) URL`},
		{"WithBaseURL", WithBaseURL("https://user:pass@api.tiki.vn/integration"), "WithBaseURL", "must not carry credentials"},
		{"WithBaseURL", WithBaseURL("https://api.tiki.vn/integration?x=1"), "WithBaseURL", "must not carry credentials, a query"},
		{"WithTikiNowURL", WithTikiNowURL("tikinowapi.tiki.vn/business/v1"), "WithTikiNowURL", `must be an absolute http(s) URL`},
		{"WithHTTPClient", WithHTTPClient(nil), "WithHTTPClient", "nil *http.Client"},
		{"WithLogger", WithLogger(nil), "WithLogger", "nil *slog.Logger"},
		{"WithUserAgent", WithUserAgent("x\r\nEvil: 1"), "WithUserAgent", "line break"},
		{"WithSellerKey", WithSellerKey(" "), "WithSellerKey", "must not be empty"},
		{"WithAccessToken", WithAccessToken(""), "WithAccessToken", "must not be empty"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "id"}), "WithClientCredentials.client_secret", "is required"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "s", TokenURL: "api.tiki.vn/sc/oauth2/token"}),
			"WithClientCredentials.token_url", "must be an absolute http(s) URL"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, nil, "seller-1"), "WithOAuthApp.store", "must not be nil"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, NewMemoryTokenStore(), " "), "WithOAuthApp.sellerID", "must not be empty"},
		{"WithTokenSource", WithTokenSource(nil), "WithTokenSource", "nil oauth2.TokenSource"},
		{"WithTokenRenewal", WithTokenRenewal(-time.Second), "WithTokenRenewal", "must not be negative, not -1s"},
		{"WithRateLimit", WithRateLimit(-1, 0), "WithRateLimit.perSecond", "must not be negative, not -1"},
		{"WithRateLimit", WithRateLimit(10, -1), "WithRateLimit.burst", "must not be negative, not -1"},
		{"WithLimiter", WithLimiter(nil), "WithLimiter", "nil Limiter"},
		{"WithRetry", WithRetry(0, 0, 0), "WithRetry.maxAttempts", "must be at least 1"},
		{"WithRetry", WithRetry(3, -time.Second, time.Second), "WithRetry.minWait", "must not be negative, not -1s"},
		{"WithRetry", WithRetry(3, time.Second, time.Millisecond), "WithRetry.maxWait", "must not be less than minWait (1s), not 1ms"},
		{"WithMaxRetryAfter", WithMaxRetryAfter(-time.Second), "WithMaxRetryAfter", "must not be negative, not -1s"},
		{"WithWriteOrder", WithWriteOrder(nil), "WithWriteOrder", "must not be a nil WriteOrder"},
		{"WithEnumValues", WithEnumValues(OrderStatusQueueing), "WithEnumValues[tiki.OrderStatus][0]", `is "queueing", which the SDK already knows`},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.option] = true
		t.Run(tc.field+" "+tc.problem, func(t *testing.T) {
			t.Parallel()
			// With valid credentials, the wrong option is the one problem
			// (a wrong credential option sets no credentials, so it does
			// not conflict with them either).
			c, err := NewClient(WithSellerKey(testKey), tc.opt)
			assert.Nil(t, c)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, 1, err.Error())
			assert.Equal(t, tc.field, ve.Problems[0].Field)
			assert.Contains(t, ve.Problems[0].Problem, tc.problem)
		})
	}
	for _, name := range optionConstructors(t) {
		assert.True(t, covered[name], "%s has no case: give it one with a wrong argument", name)
	}
}

// optionConstructors lists the package's exported functions that return an
// Option.
func optionConstructors(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
				continue
			}
			if id, ok := fn.Type.Results.List[0].Type.(*ast.Ident); ok && id.Name == "Option" {
				names = append(names, fn.Name.Name)
			}
		}
	}
	require.NotEmpty(t, names)
	return names
}

// NewClient applies every option and reports every problem together, in
// the order of the options, in one *ValidationError.
func TestNewClientReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c, err := NewClient(
		WithAccessToken("token-1"),
		WithSellerKey(testKey),
		WithRetry(0, 0, 0),
		WithRateLimit(-1, 0),
		WithEnvironment("staging"),
		WithBaseURL("api.tiki.vn/integration"),
		nil,
	)
	assert.Nil(t, c)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{
		{Field: "WithSellerKey", Problem: "is a second way to authenticate, beside WithAccessToken: choose one"},
		{Field: "WithRetry.maxAttempts", Problem: "must be at least 1 (1 disables retries), not 0"},
		{Field: "WithRateLimit.perSecond", Problem: "must not be negative, not -1"},
		{Field: "WithEnvironment", Problem: `must be "production" or "sandbox", not "staging"`},
		{Field: "WithBaseURL", Problem: `must be an absolute http(s) URL, not "api.tiki.vn/integration"`},
		{Field: "opts[6]", Problem: "is a nil Option"},
	}, ve.Problems)
	for _, p := range ve.Problems {
		assert.Contains(t, err.Error(), p.Field+" "+p.Problem)
	}
}

// A client without credentials is refused, with the options that give
// them; other problems are reported beside it.
func TestNewClientNeedsCredentials(t *testing.T) {
	t.Parallel()
	const want = "are missing: give one of WithClientCredentials (in-house app), WithOAuthApp (public app), " +
		"WithTokenSource, WithAccessToken or WithSellerKey"
	c, err := NewClient()
	assert.Nil(t, c)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "credentials", Problem: want}}, ve.Problems)

	_, err = NewClient(WithEnvironment(Sandbox), WithRetry(0, 0, 0))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{
		{Field: "WithRetry.maxAttempts", Problem: "must be at least 1 (1 disables retries), not 0"},
		{Field: "credentials", Problem: want},
	}, ve.Problems)

	// Each credential option is enough.
	for _, auth := range []Option{
		WithSellerKey(testKey),
		WithAccessToken("token-1"),
		WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token-1"})),
		WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: testClientSecret}),
		WithOAuthApp(OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret}, NewMemoryTokenStore(), testSeller),
	} {
		c, err := NewClient(auth)
		require.NoError(t, err)
		assert.NotNil(t, c)
	}
}

// One Option value can build several clients: what an option records is
// per NewClient.
func TestOptionsBuildSeveralClients(t *testing.T) {
	t.Parallel()
	key, retry := WithSellerKey(testKey), WithRetry(2, time.Millisecond, time.Second)
	for range 2 {
		c, err := NewClient(key, retry)
		require.NoError(t, err)
		assert.Equal(t, 2, c.retry.maxAttempts)
	}
	bad := WithRetry(0, 0, 0)
	for range 2 {
		_, err := NewClient(key, bad)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Len(t, ve.Problems, 1)
	}
}

func TestEnvironments(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithSellerKey(testKey), WithEnvironment(Sandbox))
	require.NoError(t, err)
	assert.Equal(t, "https://api-sandbox.tiki.vn/integration", c.BaseURL())
	assert.Equal(t, Sandbox, c.Environment())
	c, err = NewClient(WithSellerKey(testKey), WithBaseURL("http://127.0.0.1:8080/integration/"))
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
	c, err := NewClient(WithSellerKey(testKey), WithBaseURL(s.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, _, err = callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, &http.Client{}, hc)
}

func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithSellerKey(testKey))
	require.NoError(t, err)
	assert.Nil(t, c.httpClient.Jar)
	assert.Equal(t, 30*time.Second, c.httpClient.Timeout)
	assert.Equal(t, "https://api.tiki.vn/integration", c.BaseURL())
	assert.Equal(t, Production, c.Environment())
}
