package tiki

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/tikisdk/tiki/internal/redact"
)

func TestAccessTokenHeader(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, WithAccessToken("static-token-123"))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"static-token-123"}, o.apiTokens())
	assert.EqualValues(t, 0, o.issued())
}

func TestClientCredentialsBasic(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, clientCredentials(AuthStyleBasic))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)

	require.Len(t, o.forms(), 1)
	assert.Equal(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"product order"}}, o.forms()[0])
	user, pass, ok := (&http.Request{Header: http.Header{"Authorization": {o.basic()[0]}}}).BasicAuth()
	require.True(t, ok)
	assert.Equal(t, testClientID, user)
	assert.Equal(t, testClientSecret, pass)
	assert.Equal(t, []string{"tok-1"}, o.apiTokens())

	// Cached: a second call makes no token request.
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, o.issued())
}

func TestClientCredentialsPost(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, clientCredentials(AuthStylePost))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, o.forms(), 1)
	assert.Equal(t, url.Values{
		"grant_type": {"client_credentials"}, "scope": {"product order"},
		"client_id": {testClientID}, "client_secret": {testClientSecret},
	}, o.forms()[0])
	assert.Empty(t, o.basic()[0])
}

func TestOneTokenRequestForManyCallers(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.delay = 50 * time.Millisecond
	c := s.client(t, clientCredentials(AuthStyleBasic))
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Catalog.ListCategories(context.Background(), nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, o.issued())
	assert.EqualValues(t, 100, o.apiCalls())
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, clientCredentials(AuthStyleBasic))
	now := time.Now()
	var mu sync.Mutex
	tc := c.auth.(*tokenCache)
	tc.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	ctx := context.Background()
	_, _, err := c.Catalog.ListCategories(ctx, nil)
	require.NoError(t, err)
	advance(3500 * time.Second) // 100 s before expiry: still fine
	_, _, err = c.Catalog.ListCategories(ctx, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, o.issued())
	advance(50 * time.Second) // 50 s before expiry: renewed (one minute ahead)
	_, _, err = c.Catalog.ListCategories(ctx, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 2, o.issued())
	assert.Equal(t, []string{"tok-1", "tok-1", "tok-2"}, o.apiTokens())
}

func TestUnauthorizedRenewsOnceAndRepeats(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.valid = func(tok string) bool { return tok != "tok-1" }
	c := s.client(t, clientCredentials(AuthStyleBasic))
	// A POST too: a 401 means Tiki refused it before doing anything.
	resp, err := c.do(context.Background(), &request{method: http.MethodPost, version: apiV2, path: "things", body: map[string]int{"a": 1}}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, []string{"tok-1", "tok-2"}, o.apiTokens())
	assert.EqualValues(t, 2, o.issued())
}

// TestFaultMatrixUnauthorizedOAuth: a 401 on an OAuth2 token renews it and
// repeats the call once, for every method.
func TestFaultMatrixUnauthorizedOAuth(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			_, s := setup(t)
			o := s.oauth()
			o.valid = func(tok string) bool { return tok != "tok-1" }
			c := s.client(t, clientCredentials(AuthStyleBasic))
			resp, err := c.do(context.Background(), &request{method: method, version: apiV2, path: "x", body: map[string]string{"a": strconv.Itoa(1)}}, nil)
			require.NoError(t, err)
			assert.Equal(t, 2, resp.Attempts)
			assert.EqualValues(t, 2, o.apiCalls())
			assert.Equal(t, []string{"tok-1", "tok-2"}, o.apiTokens(), fmt.Sprint(method))
		})
	}
}

func TestSecondUnauthorizedIsAnError(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.valid = func(string) bool { return false }
	c := s.client(t, clientCredentials(AuthStyleBasic))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.ErrorIs(t, err, ErrUnauthorized)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 2, apiErr.Attempts)
	assert.Equal(t, []string{"token expired"}, apiErr.Messages)
	assert.Equal(t, []string{"tok-1", "tok-2"}, o.apiTokens())
	assert.EqualValues(t, 2, o.issued())
}

func TestConcurrentUnauthorizedRenewsOnce(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.valid = func(tok string) bool { return tok != "tok-1" }
	c := s.client(t, clientCredentials(AuthStyleBasic))
	// Everyone gets tok-1 first.
	tc := c.auth.(*tokenCache)
	_, err := tc.token(context.Background())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Catalog.ListCategories(context.Background(), nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 2, o.issued(), "100 refusals of one token make one renewal")
}

func TestTokenEndpointError(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.fail = `{"error":"invalid_client","error_description":"Client authentication failed"}`
	c := s.client(t, clientCredentials(AuthStylePost))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 401, te.StatusCode)
	assert.Equal(t, "invalid_client", te.Code)
	assert.Equal(t, "Client authentication failed", te.Description)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, "tiki: OAuth2 token request failed: 401: invalid_client: Client authentication failed", err.Error())
	assert.EqualValues(t, 0, o.apiCalls())
}

// A token request that reaches no server says so once, naming what failed.
func TestTokenEndpointUnreachable(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := "http://" + ln.Addr().String() + "/token"
	require.NoError(t, ln.Close())
	c := s.client(t, WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "secret-123", TokenURL: gone}),
		WithRetry(1, 0, 0))
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "OAuth2 token request failed"), err.Error())
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "secret-123")
}

func TestTokenEndpointOutage(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	tokens := s.handleRoot("POST /token", status(503, `{"error":"temporarily_unavailable"}`))
	c := s.client(t, WithClientCredentials(ClientCredentials{ClientID: "id", ClientSecret: "secret-123", TokenURL: s.URL + "/token"}))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 503, te.StatusCode)
	assert.False(t, errors.Is(err, ErrUnauthorized), "an outage is not a credential problem")
	assert.Equal(t, 2, tokens.count(), "one retry of the token request")
	assert.Equal(t, 2, s.count(), "no API call")
	assert.True(t, (&TokenError{StatusCode: 400, Code: "invalid_grant"}).Is(ErrUnauthorized))
}

func TestTokenWaitHonoursContext(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.delay = 80 * time.Millisecond
	c := s.client(t, clientCredentials(AuthStyleBasic))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, _, err := c.Catalog.ListCategories(ctx, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The shared token request still completes for the next caller.
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, o.issued())
}

func TestAuthOptionsConflict(t *testing.T) {
	t.Parallel()
	_, err := NewClient(WithSellerKey("k-123456"), WithAccessToken("t-123456"), WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{
		{Field: "WithAccessToken", Problem: "must not be given with WithSellerKey: choose one way to authenticate"},
		{Field: "WithTokenSource", Problem: "must not be given with WithSellerKey: choose one way to authenticate"},
	}, ve.Problems)
}

func TestAuthOptionReusedForSeveralClients(t *testing.T) {
	t.Parallel()
	_, a := setup(t)
	_, b := setup(t)
	oa, ob := a.oauth(), b.oauth()
	opt := clientCredentials(AuthStyleBasic)
	var wg sync.WaitGroup
	for _, s := range []*server{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.client(t, opt)
			_, _, err := c.Catalog.ListCategories(context.Background(), nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, oa.issued(), "each client asks its own host")
	assert.Equal(t, 2, ob.issued())
}

func TestOAuthAppAuthCodeURL(t *testing.T) {
	t.Parallel()
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: "https://seller.example/callback",
		Scopes: []string{ScopeProduct, ScopeOrder, ScopeOffline}}

	_, err := app.AuthCodeURL("short")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "state", Problem: "must be at least 8 characters"}}, ve.Problems)

	raw, err := app.AuthCodeURL("state-1234")
	require.NoError(t, err)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "https://api.tiki.vn/sc/oauth2/auth", u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, url.Values{
		"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {"https://seller.example/callback"},
		"scope": {"product order offline"}, "state": {"state-1234"},
	}, u.Query())

	app.Host = "https://api-sandbox.tiki.vn"
	raw, err = app.AuthCodeURL("state-1234")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(raw, "https://api-sandbox.tiki.vn/sc/oauth2/auth?"), raw)
}

func TestOAuthAppExchangeAndRefresh(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: "https://seller.example/callback",
		Host: s.URL, Scopes: []string{ScopeOrder, ScopeOffline}}

	tok, err := app.Exchange(context.Background(), nil, "the-code")
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.AccessToken)
	assert.Equal(t, "refresh-1", tok.RefreshToken)
	assert.Equal(t, "product order", tok.Scope, "the scopes Tiki granted")
	assert.Equal(t, url.Values{"grant_type": {"authorization_code"}, "code": {"the-code"}, "redirect_uri": {"https://seller.example/callback"}}, o.forms()[0])

	// Tiki refuses tok-1: the client refreshes with refresh-1, stores the
	// new token with its new refresh token, and repeats.
	o.valid = func(t string) bool { return t != "tok-1" }
	opt, store := storedApp(t, app, tok)
	c := s.client(t, opt)
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"tok-1", "tok-2"}, o.apiTokens())
	require.Len(t, o.forms(), 2)
	assert.Equal(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"refresh-1"}}, o.forms()[1])
	stored, err := store.Load(context.Background(), testSeller)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", stored.AccessToken)
	assert.Equal(t, "refresh-2", stored.RefreshToken)
	assert.Zero(t, stored.RenewalsInDoubt, "the renewal's answer was stored")
}

func TestOAuthAppExpiredWithoutRefreshToken(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
	opt, _ := storedApp(t, app, &Token{AccessToken: "old", Expiry: time.Now().Add(-time.Hour)})
	c := s.client(t, opt)
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.ErrorContains(t, err, "has no refresh token")
	assert.EqualValues(t, 0, o.apiCalls())
}

type countingSource struct{ n atomic.Int32 }

func (s *countingSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
}

func TestTokenSource(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.valid = func(t string) bool { return t != "tok-1" }
	src := &countingSource{}
	c := s.client(t, WithTokenSource(src))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"tok-1", "tok-2", "tok-2"}, o.apiTokens())
	assert.EqualValues(t, 2, src.n.Load())
}

func TestTokenSourceError(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, WithTokenSource(oauth2.TokenSource(errSource{})))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.ErrorContains(t, err, "source broke")
	assert.True(t, errors.Is(err, errBroken))
	assert.Zero(t, o.apiCalls(), "nothing sent without a token")
}

var errBroken = errors.New("source broke")

type errSource struct{}

func (errSource) Token() (*oauth2.Token, error) { return nil, errBroken }

func TestTokenResponseFixture(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.body = string(fixture(t, "oauth_token.json"))
	var doc struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(o.body), &doc))
	c := s.client(t, clientCredentials(AuthStyleBasic))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{doc.AccessToken}, o.apiTokens())
	tok, err := c.auth.(*tokenCache).token(context.Background())
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
}

// testSecret returns a secret of n characters drawn from a set that URL,
// JSON, Go quoting and Basic encoding all treat specially.
func testSecret(n int) string {
	const chars = `a+b/c=d&e%f"g\h<i>j é:k?l#m~n'o;p@q`
	r := []rune(chars)
	out := make([]rune, n)
	for i := range out {
		out[i] = r[(i*7+n)%len(r)]
	}
	return string(out)
}

// echoTokens answers a token request with a failure that echoes the
// request: the Authorization header, the form as sent, and the client
// secret and code as the server decoded them, in one of three shapes.
func echoTokens(shape string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		secret := form.Get("client_secret")
		if _, p, ok := r.BasicAuth(); ok {
			secret, _ = url.QueryUnescape(p)
		}
		echo := "<<hdr:" + r.Header.Get("Authorization") + ">> <<body:" + string(raw) + ">> <<raw:" + secret + ">> <<code:" + form.Get("code") + ">>"
		switch shape {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": echo})
		case "code":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": echo})
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, echo)
		}
	}
}

// requireNoSecret fails if any text holds the secret in any encoding next
// to the markers the echo put around it, or (for secrets long enough not
// to occur in ordinary text) anywhere.
func requireNoSecret(t *testing.T, texts []string, id, secret string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	var needles []string
	for _, f := range redact.Encodings(secret) {
		needles = append(needles, "raw:"+f+">>", "code:"+f+">>", "client_secret="+f+"&", "client_secret="+f+">>")
		if len(secret) >= 6 {
			needles = append(needles, f)
		}
	}
	needles = append(needles, redact.Encodings(basic)...)
	for _, text := range texts {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Fatalf("secret %q leaks as %q in %q", secret, n, text)
			}
		}
	}
}

func TestTokenErrorsNeverHoldTheSecret(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{"json", "code", "text"} {
		_, srv := setup(t)
		srv.handleRoot("POST /token", echoTokens(shape))
		for _, style := range []AuthStyle{AuthStyleBasic, AuthStylePost} {
			for n := 1; n <= 40; n++ {
				secret := testSecret(n)
				t.Run(fmt.Sprintf("%s/%d/%d", shape, style, n), func(t *testing.T) {
					t.Parallel()
					c := srv.client(t, WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: secret, AuthStyle: style, TokenURL: srv.URL + "/token"}))
					_, _, err := c.Catalog.ListCategories(context.Background(), nil)
					var te *TokenError
					require.ErrorAs(t, err, &te)
					require.NotEmpty(t, te.Body)
					requireNoSecret(t, errorTexts(err), testClientID, secret)
				})
			}
		}
	}
}

// The authorization code and the secret are masked from Exchange's errors
// too.
func TestExchangeErrorsNeverHoldTheSecret(t *testing.T) {
	t.Parallel()
	_, srv := setup(t)
	srv.handleRoot("POST "+tokenPath, echoTokens("json"))
	for _, n := range []int{1, 3, 5, 8, 33} {
		secret, code := testSecret(n), testSecret(n+1)
		for _, style := range []AuthStyle{AuthStyleBasic, AuthStylePost} {
			app := OAuthApp{ClientID: testClientID, ClientSecret: secret, RedirectURL: "https://app.example/cb", Host: srv.URL, AuthStyle: style}
			_, err := app.Exchange(context.Background(), nil, code)
			var te *TokenError
			require.ErrorAs(t, err, &te)
			texts := errorTexts(err)
			requireNoSecret(t, texts, testClientID, secret)
			for _, text := range texts {
				for _, f := range redact.Encodings(code) {
					require.NotContains(t, text, "code:"+f+">>")
				}
			}
		}
	}
}

// panicSource is a token source that panics.
type panicSource struct{ v any }

func (p panicSource) Token() (*oauth2.Token, error) { panic(p.v) }

// A panicking token source fails the calls waiting for it with a
// *PanicError; the process lives on and the next call asks again.
func TestTokenSourcePanicIsAnError(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	c := s.client(t, WithTokenSource(panicSource{v: errors.New("vault down")}))
	for range 2 {
		_, _, err := c.Catalog.ListCategories(context.Background(), nil)
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, fmt.Sprint(pe.Value), "vault down")
		assert.NotEmpty(t, pe.Stack)
	}
	assert.Zero(t, o.apiCalls(), "nothing sent without a token")
}

// A panicking TokenStore is an error for the callers waiting for the
// token, with the secrets it printed masked; the process lives on.
func TestTokenStorePanicIsAnError(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
	store := panicStore{NewMemoryTokenStore()}
	require.NoError(t, SaveToken(context.Background(), store.MemoryTokenStore, testSeller,
		&Token{AccessToken: "old-access", RefreshToken: "refresh-0", Expiry: time.Now().Add(-time.Hour)}))
	c := s.client(t, WithOAuthApp(app, store, testSeller))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	for _, text := range errorTexts(err) {
		assert.NotContains(t, text, testClientSecret)
	}
	assert.Contains(t, fmt.Sprint(pe.Value), "cannot lock for [REDACTED]")
	assert.Zero(t, o.issued(), "nothing renewed without the lock")
}

// panicStore panics when asked for a lock.
type panicStore struct{ *MemoryTokenStore }

func (panicStore) Lock(context.Context, string) (TokenLock, error) {
	panic("cannot lock for " + testClientSecret)
}

// TestSecretsNeverLogged runs a debug-logged session with every way of
// authenticating, failures included, and checks that no credential appears
// in any log line or error string.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	o.valid = func(tok string) bool { return tok != "tok-1" }
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
	oauthApp, _ := storedApp(t, app, &Token{AccessToken: "tok-1", RefreshToken: "refresh-secret-0", Expiry: time.Now().Add(time.Hour)})
	modes := map[string]Option{
		"seller key":         WithSellerKey("tok-1"), // refused: error path
		"access token":       WithAccessToken("tok-1"),
		"client credentials": clientCredentials(AuthStylePost),
		"oauth app":          oauthApp,
		"token source":       WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-1"})),
	}
	var errs []string
	for name, opt := range modes {
		c := s.client(t, opt, WithLogger(logger), WithRetry(2, time.Millisecond, time.Millisecond))
		_, _, err := c.Catalog.ListCategories(context.Background(), nil)
		if err != nil {
			errs = append(errs, name+": "+err.Error())
		}
	}
	// A failing token endpoint too.
	_, bad := setup(t)
	bad.oauth().fail = `{"error":"invalid_client","error_description":"bad secret ` + testClientSecret + `"}`
	c := bad.client(t, clientCredentials(AuthStyleBasic), WithLogger(logger))
	_, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.Error(t, err)
	errs = append(errs, err.Error())

	mu.Lock()
	out := logs.String() + strings.Join(errs, "\n")
	mu.Unlock()
	require.Contains(t, out, "tiki: request", "the session was logged")
	require.Contains(t, out, "status=401")
	for _, secret := range []string{"tok-1", "tok-2", "refresh-1", "refresh-2", "refresh-secret-0", testClientSecret} {
		assert.NotContains(t, out, secret)
	}
}

// Tiki's token endpoint may write expires_in in any JSON number form; the
// oauth2 package reads integers only. Any whole number of seconds works,
// for the client credentials grant, a refresh and an exchange; a fraction
// or a negative lifetime is a *TokenError that says so, and no API call is
// made with a token whose lifetime is unknown.
func TestTokenLifetimeInAnyNumberForm(t *testing.T) {
	t.Parallel()
	accepted := map[string]time.Duration{
		`1e3`: 1000 * time.Second, `3600.0`: time.Hour, `"3600.0"`: time.Hour, `3.6e3`: time.Hour, `36000e-1`: time.Hour,
		`1E3`: 1000 * time.Second, `0.36E+4`: time.Hour, `"7200"`: 2 * time.Hour, `3600`: time.Hour,
		`1e400`: math.MaxInt32 * time.Second, `99999999999999999999`: math.MaxInt32 * time.Second,
	}
	grants := map[string]func(t *testing.T, s *server) *Client{
		"client credentials": func(t *testing.T, s *server) *Client {
			return s.client(t, clientCredentials(AuthStyleBasic))
		},
		"refresh": func(t *testing.T, s *server) *Client {
			app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
			opt, _ := storedApp(t, app, &Token{AccessToken: "old", RefreshToken: "refresh-0", Expiry: time.Now().Add(-time.Hour)})
			return s.client(t, opt)
		},
	}
	for name, grant := range grants {
		for expiresIn, want := range accepted {
			t.Run(name+"/"+expiresIn, func(t *testing.T) {
				t.Parallel()
				_, s := setup(t)
				o := s.oauth()
				o.body = `{"access_token":"tok-x","expires_in":` + expiresIn + `,"refresh_token":"refresh-x","token_type":"bearer"}`
				c := grant(t, s)
				_, _, err := c.Catalog.ListCategories(context.Background(), nil)
				require.NoError(t, err)
				assert.Equal(t, []string{"tok-x"}, o.apiTokens())
				tok, err := c.auth.(*tokenCache).token(context.Background())
				require.NoError(t, err)
				assert.WithinDuration(t, time.Now().Add(want), tok.Expiry, time.Minute)
			})
		}
	}
	refused := map[string]string{
		`3600.5`: "expires_in is 3600.5, which has a fraction: a token lifetime is a whole number of seconds, not negative",
		`1e-3`:   "expires_in is 1e-3, which has a fraction: a token lifetime is a whole number of seconds, not negative",
		`-60`:    "expires_in is -60, which is negative: a token lifetime is a whole number of seconds, not negative",
		`"-1e3"`: "expires_in is -1e3, which is negative: a token lifetime is a whole number of seconds, not negative",
	}
	for name, grant := range grants {
		for expiresIn, want := range refused {
			t.Run(name+"/refused "+expiresIn, func(t *testing.T) {
				t.Parallel()
				_, s := setup(t)
				o := s.oauth()
				o.body = `{"access_token":"tok-secret-x","expires_in":` + expiresIn + `,"token_type":"bearer"}`
				c := grant(t, s)
				_, _, err := c.Catalog.ListCategories(context.Background(), nil)
				var te *TokenError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, 200, te.StatusCode)
				assert.Equal(t, want, te.Description)
				assert.Equal(t, "tiki: OAuth2 token request failed: 200: "+want, err.Error())
				assert.False(t, errors.Is(err, ErrUnauthorized), "not a refusal of the credentials")
				for _, text := range errorTexts(err) {
					assert.NotContains(t, text, "tok-secret-x")
				}
				assert.Zero(t, o.apiCalls())
				assert.EqualValues(t, 1, o.issued(), "not retried: the answer will not change")
			})
		}
	}
	t.Run("exchange", func(t *testing.T) {
		t.Parallel()
		_, s := setup(t)
		o := s.oauth()
		o.body = `{"access_token":"tok-x","expires_in":3.6e3,"refresh_token":"refresh-x","token_type":"bearer"}`
		app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: "https://seller.example/cb", Host: s.URL}
		tok, err := app.Exchange(context.Background(), nil, "the-code")
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
		o.body = `{"access_token":"tok-x","expires_in":0.5}`
		_, err = app.Exchange(context.Background(), nil, "the-code")
		var te *TokenError
		require.ErrorAs(t, err, &te)
		assert.Contains(t, te.Description, "expires_in is 0.5, which has a fraction")
	})
}
