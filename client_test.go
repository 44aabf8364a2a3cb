package tiki

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
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
		{"WithUserAgent", WithUserAgent("shop\x00bot"), "WithUserAgent", "must not contain the control character U+0000"},
		{"WithUserAgent", WithUserAgent("shop\x7fbot"), "WithUserAgent", "must not contain the control character U+007F"},
		{"WithSellerKey", WithSellerKey(" "), "WithSellerKey", "must not be empty"},
		{"WithSellerKey", WithSellerKey("key\x01with-a-control"), "WithSellerKey", "must not contain the control character U+0001: an HTTP header cannot carry it"},
		{"WithSellerKey", WithSellerKey("key\nsecond-line"), "WithSellerKey", "must not contain a line break"},
		{"WithAccessToken", WithAccessToken(""), "WithAccessToken", "must not be empty"},
		{"WithAccessToken", WithAccessToken("\t \n"), "WithAccessToken", "must not be empty"},
		{"WithAccessToken", WithAccessToken("tok\x1ben"), "WithAccessToken", "must not contain the control character U+001B"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "id"}), "WithClientCredentials.client_secret", "is required"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "   ", ClientSecret: "s"}), "WithClientCredentials.client_id", "is required"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "\t"}), "WithClientCredentials.client_secret", "is required"},
		{"WithClientCredentials", WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "s", TokenURL: "api.tiki.vn/sc/oauth2/token"}),
			"WithClientCredentials.token_url", "must be an absolute http(s) URL"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, nil, "seller-1"), "WithOAuthApp.store", "must not be nil"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, NewMemoryTokenStore(), " "), "WithOAuthApp.sellerID", "must not be empty"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: " ", ClientSecret: "s"}, NewMemoryTokenStore(), "seller-1"), "WithOAuthApp.client_id", "is required"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s", Host: "ftp://api.tiki.vn"}, NewMemoryTokenStore(), "seller-1"),
			"WithOAuthApp.host", `must be an absolute http(s) URL, not "ftp://api.tiki.vn"`},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s", Host: "https://user:pw@api.tiki.vn"}, NewMemoryTokenStore(), "seller-1"),
			"WithOAuthApp.host", "must not carry credentials"},
		{"WithOAuthApp", WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s", Host: "https://api.tiki.vn?x=1"}, NewMemoryTokenStore(), "seller-1"),
			"WithOAuthApp.host", "must not carry credentials, a query"},
		{"WithTokenSource", WithTokenSource(nil), "WithTokenSource", "nil oauth2.TokenSource"},
		{"WithTokenRenewal", WithTokenRenewal(-time.Second), "WithTokenRenewal", "must not be negative, not -1s"},
		{"WithRateLimit", WithRateLimit(-1, 0), "WithRateLimit.perSecond", "must not be negative, not -1"},
		{"WithRateLimit", WithRateLimit(10, -1), "WithRateLimit.burst", "must not be negative, not -1"},
		{"WithLimiter", WithLimiter(nil), "WithLimiter", "nil Limiter"},
		{"WithLimiter", WithLimiter((*rate.Limiter)(nil)), "WithLimiter", "nil Limiter"},
		{"WithRetry", WithRetry(0, 0, 0), "WithRetry.maxAttempts", "must be at least 1"},
		{"WithRetry", WithRetry(3, -time.Second, time.Second), "WithRetry.minWait", "must not be negative, not -1s"},
		{"WithRetry", WithRetry(3, time.Second, time.Millisecond), "WithRetry.maxWait", "must not be less than minWait (1s), not 1ms"},
		{"WithMaxRetryAfter", WithMaxRetryAfter(-time.Second), "WithMaxRetryAfter", "must not be negative, not -1s"},
		{"WithWriteOrder", WithWriteOrder(nil), "WithWriteOrder", "must not be a nil WriteOrder"},
		{"WithWriteOrder", WithWriteOrder((*memOrder)(nil)), "WithWriteOrder", "must not be a nil WriteOrder"},
		{"WithWriteSettle", WithWriteSettle(-time.Second), "WithWriteSettle", "must not be negative, not -1s"},
		{"WithEnumValues", WithEnumValues(OrderStatus("a,b")), "WithEnumValues[tiki.OrderStatus][0]", "must be a value without commas, bars or surrounding spaces"},
		{"WithEnumValues", WithEnumValues[EventType](), "WithEnumValues[tiki.EventType]", "needs at least one value"},
		{"WithHooks", WithHooks(Hooks{}), "WithHooks", "must set at least one hook"},
		{"WithSellerID", WithSellerID(" "), "WithSellerID", "must not be empty"},
		{"WithSellerID", WithSellerID("seller\n7"), "WithSellerID", `must be printable, not "seller\n7"`},
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
		{Field: "WithSellerKey", Problem: "must not be given with WithAccessToken: choose one way to authenticate"},
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
	c, s := setup(t, WithUserAgent("my-oms/2.3"))
	s.handle("/v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, "my-oms/2.3 tiki-go/"+Version, s.last().Header.Get("User-Agent"))
}

// One WithUserAgent value builds several clients at once (go test -race),
// each sending the product trimmed.
func TestUserAgentOptionReusedForSeveralClients(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	s.handle("/v2/things", ok200)
	opt := WithUserAgent("  my-oms/2.3\n")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := callThing(s.client(t, WithSellerKey(testKey), opt), http.MethodGet)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Equal(t, 4, s.count())
	for _, got := range s.requests() {
		assert.Equal(t, "my-oms/2.3 tiki-go/"+Version, got.Header.Get("User-Agent"))
	}
}

func TestLogLinePerAttempt(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, s := setup(t, WithLogger(logger))
	s.handle("/v2/things", status(503, ``), ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "method=GET path=/prefix/integration/v2/things status=503 attempt=1 wait=")
	assert.Contains(t, lines[1], "status=200 attempt=2 wait=0s")
}

func TestNoCookieJar(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-server"})
		ok200(w, r)
	})
	for range 2 {
		_, _, err := callThing(c, http.MethodGet)
		require.NoError(t, err)
	}
	require.Equal(t, 2, s.count())
	assert.Empty(t, s.last().Header.Get("Cookie"), "cookies must not be stored and replayed")
}

func TestCallerHTTPClientNotMutated(t *testing.T) {
	t.Parallel()
	hc := &http.Client{}
	c, s := setup(t, WithHTTPClient(hc))
	s.handle("/v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet)
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

// A problem with a URL option never quotes what may hold a secret: the
// URL's user information, its query values (a token_url carrying
// ?client_secret=...), or a URL that does not parse at all. What is safe to
// show still is, so that the caller sees what is wrong.
func TestURLProblemsNeverQuoteSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55w0rd-9f8e"
	cases := []struct {
		opt   Option
		shown string // what the problem quotes, "" for nothing
	}{
		{WithBaseURL("ftp://app:" + secret + "@api.tiki.vn/integration"), `"ftp://api.tiki.vn/integration" (its credentials, query and fragment not shown)`},
		{WithBaseURL("api.tiki.vn/integration?token=" + secret), `"api.tiki.vn/integration" (its credentials, query and fragment not shown)`},
		{WithBaseURL("app:" + secret + "@api.tiki.vn"), "a URL that cannot be read as one"},
		{WithBaseURL("https://app:" + secret + "@api.tiki.vn/integration"), ""},
		{WithBaseURL("https://api.tiki.vn/integration#" + secret), ""},
		{WithBaseURL("https://[api.tiki.vn/" + secret), "a URL that cannot be read as one"},
		{WithTikiNowURL("//" + secret + "@tikinowapi.tiki.vn/business/v1"), `"//tikinowapi.tiki.vn/business/v1" (its credentials`},
		{WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: secret,
			TokenURL: "api.tiki.vn/sc/oauth2/token?client_id=" + testClientID + "&client_secret=" + secret}), `"api.tiki.vn/sc/oauth2/token" (its credentials`},
		{WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: secret,
			TokenURL: "https://api.tiki.vn/sc/oauth2/token?client_secret=" + secret}), ""},
		{WithOAuthApp(OAuthApp{ClientID: testClientID, ClientSecret: secret, Host: "mailto:" + secret + "@tiki.vn"}, NewMemoryTokenStore(), testSeller), "a URL that cannot be read as one"},
	}
	for i, tc := range cases {
		c, err := NewClient(WithSellerKey(testKey), tc.opt)
		assert.Nil(t, c)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "case %d", i)
		require.Len(t, ve.Problems, 1, "case %d: %v", i, err)
		requireNoSecret(t, errorTexts(err), testClientID, secret)
		if tc.shown != "" {
			assert.Contains(t, ve.Problems[0].Problem, tc.shown, "case %d", i)
		}
	}
}

// An access token that no HTTP header can carry (a token source handing
// out one with a control character) fails the call at once, before
// anything is sent: a request that cannot leave the process is not
// retried. The error does not hold the token.
func TestUnsendableTokenIsNotRetried(t *testing.T) {
	t.Parallel()
	const token = "access-token\x00-5ca1ab1e"
	_, s := setup(t)
	s.handle("/", status(200, `{}`))
	var fetched atomic.Int32
	source := tokenSourceFunc(func() (*oauth2.Token, error) {
		fetched.Add(1)
		return &oauth2.Token{AccessToken: token, Expiry: time.Now().Add(time.Hour)}, nil
	})
	c := s.client(t, WithTokenSource(source))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.Error(t, err)
	assert.ErrorContains(t, err, "tiki: unusable access token: the access token obtained must not contain the control character U+0000")
	assert.NotContains(t, err.Error(), "attempts")
	assert.Zero(t, s.count(), "nothing was sent")
	assert.Empty(t, s.waits(), "nothing was retried")
	assert.Equal(t, int32(1), fetched.Load(), "asked once, not once per attempt")
	for _, text := range errorTexts(err) {
		assert.NotContains(t, text, "5ca1ab1e")
	}
}

// tokenSourceFunc is an oauth2.TokenSource made of a function.
type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }
