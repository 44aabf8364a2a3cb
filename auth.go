package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/redact"
	"github.com/tikisdk/tiki/internal/safe"
)

// OAuth2 scopes Tiki grants to apps.
const (
	// ScopeProduct grants the product APIs.
	ScopeProduct = "product"
	// ScopeOrder grants the order APIs; they refuse a token without it.
	ScopeOrder = "order"
	// ScopeInventory grants the inventory (stock) APIs.
	ScopeInventory = "inventory"
	// ScopeMultichannel is a scope some apps are also granted.
	ScopeMultichannel = "multichannel"
	// ScopeOffline is needed for a refresh token.
	ScopeOffline = "offline"
)

// Paths of Tiki's OAuth2 endpoints, relative to the API host.
const (
	authorizePath = "/sc/oauth2/auth"
	tokenPath     = "/sc/oauth2/token"
)

// minStateLen is the shortest OAuth2 state Tiki accepts.
const minStateLen = 8

// tokenRetryWait is the pause before the one retry of a token request that
// failed for the endpoint's own reasons.
const tokenRetryWait = 200 * time.Millisecond

// tokenFetchTimeout bounds one token request, whatever the HTTP client's own
// timeout is, so waiting callers are never stuck behind a hung request.
const tokenFetchTimeout = time.Minute

// AuthStyle is how an OAuth2 app authenticates itself to Tiki's token
// endpoint. Each Tiki app is set up for exactly one style; the other fails.
type AuthStyle int

const (
	// AuthStyleBasic sends the client id and secret in an HTTP Basic
	// Authorization header (client_secret_basic). It is the default.
	AuthStyleBasic AuthStyle = iota
	// AuthStylePost sends the client id and secret in the form body
	// (client_secret_post).
	AuthStylePost
)

func (s AuthStyle) oauth2() oauth2.AuthStyle {
	if s == AuthStylePost {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

func (s AuthStyle) valid() bool { return s == AuthStyleBasic || s == AuthStylePost }

// ClientCredentials configures the OAuth2 client credentials grant used by
// in-house apps: the client fetches an access token with the app's id and
// secret, caches it, and fetches a new one shortly before it expires (the
// grant has no refresh token).
type ClientCredentials struct {
	// ClientID is the in-house app's client id, from Tiki's seller center.
	// Required.
	ClientID string
	// ClientSecret is the app's client secret. Required; token errors mask
	// it (see TokenError).
	ClientSecret string
	// Scopes to request, for example ScopeProduct and ScopeOrder. Empty
	// requests the app's default scopes.
	Scopes []string
	// AuthStyle selects client_secret_basic (default) or client_secret_post.
	AuthStyle AuthStyle
	// TokenURL overrides the token endpoint, which is otherwise
	// {scheme://host of the base URL}/sc/oauth2/token.
	TokenURL string
}

// OAuthApp is a public Tiki app using the authorization code grant: the
// seller approves the app in Tiki's seller center, Tiki redirects back with
// a code, and the app exchanges it for an access and refresh token, which
// it keeps in a TokenStore under the seller's id.
//
// Package sellers runs the flow (Onboarding: the consent URL with its
// state, the callback, the exchange, the seller's id, the store) and hands
// out each seller's client (Pool). WithOAuthApp builds one seller's client
// from the store.
type OAuthApp struct {
	// ClientID is the public app's client id, from Tiki's seller center.
	// Required.
	ClientID string
	// ClientSecret is the app's client secret. Required; token errors mask
	// it (see TokenError).
	ClientSecret string
	// RedirectURL is where Tiki sends the seller back; it must match the
	// URL registered for the app.
	RedirectURL string
	// Scopes to request. Include ScopeOffline to receive a refresh token.
	Scopes []string
	// AuthStyle selects client_secret_basic (default) or client_secret_post.
	AuthStyle AuthStyle
	// Host is the scheme and host of Tiki's API, for example
	// "https://api-sandbox.tiki.vn": an absolute http(s) URL without
	// credentials, query or fragment, as ClientCredentials.TokenURL. Empty
	// means production, or the client's host when the app is given to
	// WithOAuthApp.
	Host string
}

func (a *OAuthApp) config() *oauth2.Config {
	host := strings.TrimRight(a.Host, "/")
	if host == "" {
		host = productionHost
	}
	return &oauth2.Config{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret,
		RedirectURL:  a.RedirectURL,
		Scopes:       a.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   host + authorizePath,
			TokenURL:  host + tokenPath,
			AuthStyle: a.AuthStyle.oauth2(),
		},
	}
}

// trimmed returns a copy of a whose client id and secret have no
// surrounding white space, as every credential is used.
func (a OAuthApp) trimmed() OAuthApp {
	a.ClientID, a.ClientSecret = strings.TrimSpace(a.ClientID), strings.TrimSpace(a.ClientSecret)
	return a
}

func (a *OAuthApp) validate(v *validator) {
	v.check(strings.TrimSpace(a.ClientID) != "", "client_id", "is required")
	v.check(strings.TrimSpace(a.ClientSecret) != "", "client_secret", "is required")
	v.check(a.AuthStyle.valid(), "auth_style", "must be AuthStyleBasic or AuthStylePost")
	if a.Host != "" {
		parseBaseURL(v, "host", a.Host)
	}
}

// AuthCodeURL returns the URL of Tiki's consent page
// (GET {host}/sc/oauth2/auth) to which the seller is sent to approve the app.
// state protects the redirect against forgery: it must be unpredictable,
// checked when the seller comes back and at least 8 characters long, as
// Tiki requires. Package sellers' Onboarding makes, binds and checks the
// state; use it rather than this building block.
func (a *OAuthApp) AuthCodeURL(state string) (string, error) {
	app := a.trimmed()
	a = &app
	var v validator
	a.validate(&v)
	v.check(a.RedirectURL != "", "redirect_uri", "is required")
	v.check(len(state) >= minStateLen, "state", "must be at least %d characters", minStateLen)
	if err := v.err(); err != nil {
		return "", err
	}
	return a.config().AuthCodeURL(state), nil
}

// AuthorizationError is Tiki's refusal of an authorization request, read from
// the redirect back to the app (?error=access_denied&error_code=403&...).
type AuthorizationError struct {
	// Code is the OAuth2 error, for example "access_denied".
	Code string
	// StatusCode is Tiki's error_code parameter, for example 403.
	StatusCode string
	// Description is Tiki's error_description parameter, when given.
	Description string
	// Hint is Tiki's error_hint parameter, when given.
	Hint string
}

// Error describes the refusal.
func (e *AuthorizationError) Error() string {
	s := "tiki: authorization refused: " + e.Code
	if e.StatusCode != "" {
		s += " (" + e.StatusCode + ")"
	}
	for _, d := range []string{e.Description, e.Hint} {
		if d != "" {
			s += ": " + d
		}
	}
	return s
}

// Exchange trades an authorization code for a token
// (POST {host}/sc/oauth2/token, grant_type=authorization_code). httpClient
// may be nil for a default client with a timeout. Failures from the token
// endpoint are returned as *TokenError. Package sellers' Onboarding calls
// it and stores the token under the seller's id.
func (a *OAuthApp) Exchange(ctx context.Context, httpClient *http.Client, code string) (*Token, error) {
	app := a.trimmed()
	a = &app
	var v validator
	a.validate(&v)
	v.check(a.RedirectURL != "", "redirect_uri", "is required")
	v.check(code != "", "code", "is required")
	if err := v.err(); err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = defaultHTTPClient()
	}
	red := credentialRedactor(a.ClientID, a.ClientSecret)
	red.AddStatic(code)
	tok, err := a.config().Exchange(context.WithValue(ctx, oauth2.HTTPClient, tokenHTTPClient(httpClient)), code)
	if err != nil {
		return nil, tokenError(err, red)
	}
	return tokenOf(tok, a.Scopes), nil
}

// TokenError is a failure of Tiki's OAuth2 token endpoint: wrong client
// credentials, an expired or revoked refresh token, a used code (these match
// ErrUnauthorized with errors.Is), the endpoint's own failure (5xx, 429), or
// a token answer the SDK cannot use (an expires_in that is not a whole,
// non-negative number of seconds; Description says which, and the answer's
// body, which holds the token, is not kept).
//
// Its text fields never hold a credential: the client secret, the
// authorization code, and the access and refresh tokens are masked in
// every form an endpoint may echo them (as sent, URL-encoded, JSON-escaped,
// inside the Basic Authorization header), whatever their length.
type TokenError struct {
	// StatusCode is the token endpoint's HTTP status.
	StatusCode int
	// Code is the endpoint's error, for example "invalid_client".
	Code string
	// Description is the endpoint's error_description.
	Description string
	// Body is the start of the endpoint's response body.
	Body string
}

// Error describes the failure with the endpoint's message.
func (e *TokenError) Error() string {
	s := fmt.Sprintf("tiki: OAuth2 token request failed: %d", e.StatusCode)
	switch {
	case e.Code != "" && e.Description != "":
		s += ": " + e.Code + ": " + e.Description
	case e.Code != "":
		s += ": " + e.Code
	case e.Description != "":
		s += ": " + e.Description
	case e.Body != "":
		s += ": " + e.Body
	}
	return s
}

// Is reports true for ErrUnauthorized when the endpoint refused the
// credentials or the grant (401, or 400 with invalid_client, invalid_grant
// or unauthorized_client), not when it failed for its own reasons.
func (e *TokenError) Is(target error) bool {
	if target != ErrUnauthorized {
		return false
	}
	switch e.Code {
	case "invalid_client", "invalid_grant", "unauthorized_client":
		return true
	}
	return e.StatusCode == http.StatusUnauthorized
}

// transientTokenError reports whether a token request may succeed if made
// again.
func transientTokenError(err error) bool {
	var te *TokenError
	if errors.As(err, &te) {
		return te.StatusCode >= 500 || te.StatusCode == http.StatusTooManyRequests
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests)
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// credentialRedactor returns a redactor that knows an app's secret, alone
// and inside the Basic Authorization header its id and secret make.
func credentialRedactor(clientID, clientSecret string) *redact.Redactor {
	red := &redact.Redactor{}
	red.AddStatic(clientSecret)
	red.AddBasic(clientID, clientSecret)
	return red
}

// tokenError converts a token request's failure into *TokenError (the
// oauth2 package's *RetrieveError), masking what red knows in its text
// fields; other errors (network, context) are wrapped, and when their text
// held a secret it is masked and their chain is cut (see scrubWith).
func tokenError(err error, red *redact.Redactor) error {
	if err == nil {
		return nil
	}
	var te *TokenError
	if errors.As(err, &te) {
		c := *te
		c.Code, c.Description, c.Body = red.String(c.Code), red.String(c.Description), red.String(c.Body)
		return &c
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{
			Code:        red.String(re.ErrorCode),
			Description: red.String(re.ErrorDescription),
			Body:        red.String(snippet(red.Bytes(re.Body))),
		}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		return te
	}
	if strings.HasPrefix(err.Error(), tokenFailure) {
		return err // converted already (a fetch's error, reported by the cache)
	}
	return scrubWith(red, fmt.Errorf(tokenFailure+"%w", err))
}

// tokenFailure begins the text of a token request's failure that is not an
// answer of Tiki's authorization server.
const tokenFailure = "tiki: OAuth2 token request failed: "

// authenticator puts credentials on requests.
type authenticator interface {
	// apply sets the credential headers on h and returns the credential
	// used, to be handed to renew if Tiki refuses it.
	apply(ctx context.Context, h http.Header) (used string, err error)
	// renew drops the credential that got 401 and reports whether the call
	// may be repeated with a new one.
	renew(used string) bool
}

// noAuth sends no credentials: Tiki's catalog endpoints are public.
type noAuth struct{}

func (noAuth) apply(context.Context, http.Header) (string, error) { return "", nil }
func (noAuth) renew(string) bool                                  { return false }

// sellerKeyAuth sends the legacy seller key in the tiki-api header.
type sellerKeyAuth struct{ key string }

func (a sellerKeyAuth) apply(_ context.Context, h http.Header) (string, error) {
	h.Set("tiki-api", a.key)
	return a.key, nil
}
func (sellerKeyAuth) renew(string) bool { return false }

// bearerAuth sends a fixed access token.
type bearerAuth struct{ token string }

func (a bearerAuth) apply(_ context.Context, h http.Header) (string, error) {
	h.Set("Authorization", "Bearer "+a.token)
	return a.token, nil
}
func (bearerAuth) renew(string) bool { return false }

// tokenCache is the OAuth2 authenticator. It caches the token, renews it
// shortly before it expires or when Tiki refuses it, and makes one token
// request at a time however many goroutines ask: the others wait for that
// request (or for their own context to end).
type tokenCache struct {
	// fetch obtains a new token (see fetchFunc).
	fetch fetchFunc
	// ownRetries is set when fetch decides itself what to repeat: the
	// cache then never repeats a failed fetch.
	ownRetries bool
	// onToken sees every new token (redaction).
	onToken func(*oauth2.Token)
	// observe, when not nil, is told about every renewal (the client's
	// hooks).
	observe func(context.Context, TokenRenewalInfo)
	// redactor masks the client's known secrets in token errors.
	redactor *redact.Redactor
	// early is the most a token is renewed ahead of its expiry.
	early time.Duration
	now   func() time.Time

	mu       sync.Mutex
	tok      *oauth2.Token
	renewAt  time.Time // zero: the token does not expire
	stale    bool      // refused by Tiki: renew before the next use
	inflight *tokenCall
}

// fetchFunc obtains a token: prev is the last token held (nil at first),
// refused reports that Tiki refused prev (401).
type fetchFunc func(ctx context.Context, prev *oauth2.Token, refused bool) (fetched, error)

// fetched is a token a fetch obtained.
type fetched struct {
	tok *oauth2.Token
	// keep asks the cache to use tok until it expires, without renewing it
	// early: a renewal of it is in doubt (see storeRenewal).
	keep bool
}

type tokenCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

func (c *tokenCache) usable() bool {
	return c.tok != nil && c.tok.AccessToken != "" && !c.stale &&
		(c.renewAt.IsZero() || c.now().Before(c.renewAt))
}

// token returns a valid token, fetching one if needed.
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	if c.usable() {
		tok := c.tok
		c.mu.Unlock()
		return tok, nil
	}
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		prev, refused, reason := c.tok, c.stale, renewalReason(c.tok, c.stale)
		// The request runs detached from this caller's context so that one
		// caller giving up does not fail the others waiting for it; it is
		// bounded by tokenFetchTimeout.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		go func() {
			defer cancel()
			c.finish(fctx, call, prev, refused, reason)
		}()
	}
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-call.done:
		return call.tok, call.err
	}
}

// finish runs on its own goroutine: it makes the token request for call
// and hands the outcome to every caller waiting for it. A panic in the
// token source (the caller's code) does not crash the process: it becomes
// a *PanicError, with secrets masked, for the callers waiting. The renewal
// is reported to observe (the client's hooks) before the waiting callers
// get its outcome.
func (c *tokenCache) finish(ctx context.Context, call *tokenCall, prev *oauth2.Token, refused bool, reason TokenRenewalReason) {
	start := time.Now()
	res, err := c.fetchGuarded(ctx, prev, refused)
	if err != nil && !c.ownRetries && transientTokenError(err) {
		// One more try after a short pause: the endpoint's own hiccup
		// (5xx, 429, a reset connection) should not fail every waiting call.
		if backoff.Sleep(ctx, tokenRetryWait) == nil {
			res, err = c.fetchGuarded(ctx, prev, refused)
		}
	}
	tok := res.tok
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("tiki: OAuth2 token source returned no access token")
	}
	c.mu.Lock()
	if err == nil {
		c.tok, c.stale = tok, false
		c.renewAt = time.Time{}
		if !tok.Expiry.IsZero() {
			lifetime := tok.Expiry.Sub(c.now())
			c.renewAt = tok.Expiry.Add(-min(c.early, lifetime/2))
			if res.keep {
				c.renewAt = tok.Expiry
			}
		}
	}
	c.inflight = nil
	c.mu.Unlock()
	if err == nil && c.onToken != nil {
		if perr := c.guard(func() { c.onToken(tok) }); perr != nil {
			tok, err = nil, perr
		}
	}
	call.tok, call.err = tok, tokenError(err, c.redactor)
	if c.ownRetries {
		// The fetch's errors say what failed themselves (a store, a
		// revoked grant, a *TokenError already converted).
		call.err = scrubWith(c.redactor, err)
	}
	if c.observe != nil {
		c.observe(ctx, TokenRenewalInfo{Reason: reason, Duration: time.Since(start), Err: call.err})
	}
	close(call.done)
}

// guard runs fn, turning a panic into a *PanicError without secrets.
func (c *tokenCache) guard(fn func()) error {
	return c.masked(safe.Do(func() error { fn(); return nil }))
}

// fetchGuarded is fetch with a panic turned into a *PanicError without
// secrets.
func (c *tokenCache) fetchGuarded(ctx context.Context, prev *oauth2.Token, refused bool) (fetched, error) {
	res, err := safe.Get(func() (fetched, error) { return c.fetch(ctx, prev, refused) })
	return res, c.masked(err)
}

// masked masks the secrets the client knows in the value of a recovered
// panic (it may be an error or a string that holds one).
func (c *tokenCache) masked(err error) error {
	var pe *PanicError
	if errors.As(err, &pe) {
		pe.Value = c.redactor.String(fmt.Sprint(pe.Value))
	}
	return err
}

func (c *tokenCache) apply(ctx context.Context, h http.Header) (string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return "", err
	}
	if problem, ok := checkHeaderValue(tok.AccessToken); !ok {
		// No attempt could send it: the call fails here, not after
		// retries of a request that never leaves the process.
		return "", fmt.Errorf("%w: the access token obtained %s", errUnsendableToken, problem)
	}
	h.Set("Authorization", "Bearer "+tok.AccessToken)
	return tok.AccessToken, nil
}

// errUnsendableToken is the error of a call whose access token no HTTP
// header can carry.
var errUnsendableToken = errors.New("tiki: unusable access token")

// renew marks the refused token stale; when several calls were refused with
// the same token, only one renewal happens.
func (c *tokenCache) renew(used string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && c.tok.AccessToken == used {
		c.stale = true
	}
	return true
}

// clientCredentialsFetch returns a fetch function for the client credentials
// grant; each fetch is a new token request (the grant has no refresh token).
func clientCredentialsFetch(cc ClientCredentials, hc *http.Client) fetchFunc {
	cfg := &clientcredentials.Config{
		ClientID:     cc.ClientID,
		ClientSecret: cc.ClientSecret,
		TokenURL:     cc.TokenURL,
		Scopes:       cc.Scopes,
		AuthStyle:    cc.AuthStyle.oauth2(),
	}
	red := credentialRedactor(cc.ClientID, cc.ClientSecret)
	hc = tokenHTTPClient(hc)
	return func(ctx context.Context, _ *oauth2.Token, _ bool) (fetched, error) {
		tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
		return fetched{tok: tok}, tokenError(err, red)
	}
}

// sourceFetch adapts a caller's oauth2.TokenSource.
func sourceFetch(ts oauth2.TokenSource) fetchFunc {
	return func(context.Context, *oauth2.Token, bool) (fetched, error) {
		tok, err := ts.Token()
		return fetched{tok: tok}, err
	}
}

// initTokenCache makes tc the client's authenticator, fetching with fetch.
// Every token it obtains is masked from the client's errors and logs.
func (c *Client) initTokenCache(tc *tokenCache, fetch fetchFunc) {
	tc.fetch = fetch
	tc.redactor = c.redactor
	tc.early = c.tokenEarly
	tc.now = time.Now
	if c.hooks != nil {
		tc.observe = c.tokenRenewed
	}
	tc.onToken = func(t *oauth2.Token) {
		c.redactor.AddDynamic(t.AccessToken)
		c.redactor.AddDynamic(t.RefreshToken)
		if s, ok := t.Extra("id_token").(string); ok {
			c.redactor.AddDynamic(s)
		}
	}
	c.auth = tc
}

// tokenHTTPClient returns a copy of hc for token requests, whose successful
// answers reach the oauth2 package with expires_in as an integer: Tiki's
// token endpoint may write it in any JSON number form (3600, 3600.0, 1e3,
// or such a number in a string), and the oauth2 package reads integers
// only, failing every call otherwise.
func tokenHTTPClient(hc *http.Client) *http.Client {
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = expiresInTransport{base: base}
	return &c
}

// expiresInTransport rewrites the expires_in of a successful JSON token
// answer as an integer (see tokenHTTPClient), and refuses an answer whose
// expires_in is not a whole, non-negative number of seconds with a
// *TokenError.
type expiresInTransport struct{ base http.RoundTripper }

// maxTokenAnswer bounds how much of a token answer is read, as the oauth2
// package does.
const maxTokenAnswer = 1 << 20

func (t expiresInTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
		return resp, nil // not JSON: the oauth2 package reads it as a form
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	fixed, problem := integerExpiresIn(body)
	if problem != "" {
		return nil, &TokenError{StatusCode: resp.StatusCode, Description: problem}
	}
	resp.Body = io.NopCloser(bytes.NewReader(fixed))
	resp.ContentLength = int64(len(fixed))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// jsonNumber is the grammar of a JSON number.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// integerExpiresIn returns body with its expires_in written as an integer
// when it is any other JSON number form (or a string holding one) of a
// whole number of seconds; body itself when there is nothing to rewrite
// or body is not a JSON object (the oauth2 package reports that). problem
// says why an expires_in cannot be used: it has a fraction or is negative.
func integerExpiresIn(body []byte) (out []byte, problem string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return body, ""
	}
	raw := bytes.TrimSpace(fields["expires_in"])
	if len(raw) == 0 || string(raw) == "null" {
		return body, ""
	}
	num := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &num) != nil {
			return body, ""
		}
	}
	if !jsonNumber.MatchString(num) {
		return body, "" // not a number: the oauth2 package reports it
	}
	secs, problem := wholeSeconds(num)
	if problem != "" {
		return nil, fmt.Sprintf("expires_in is %s, %s: a token lifetime is a whole number of seconds, not negative", num, problem)
	}
	if string(raw) == strconv.FormatInt(secs, 10) {
		return body, ""
	}
	fields["expires_in"] = json.RawMessage(strconv.FormatInt(secs, 10))
	out, err := json.Marshal(fields)
	if err != nil {
		return body, ""
	}
	return out, ""
}

// wholeSeconds returns the value of a JSON number that is a whole,
// non-negative number (capped at math.MaxInt32, as the oauth2 package caps
// it), or what is wrong with it: "which has a fraction" or "which is
// negative". It works on the digits, so that no exponent, however large,
// costs more than the text's length.
func wholeSeconds(num string) (int64, string) {
	neg := strings.HasPrefix(num, "-")
	mant, exp := strings.TrimPrefix(num, "-"), 0
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		e, err := strconv.Atoi(mant[i+1:])
		switch {
		case err == nil:
			exp = e
		case strings.HasPrefix(mant[i+1:], "-"):
			exp = math.MinInt32 // out of int range: vanishingly small
		default:
			exp = math.MaxInt32
		}
		mant = mant[:i]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	shift := exp - len(frac) // value = digits × 10^shift
	if digits == "" {
		return 0, ""
	}
	if neg {
		return 0, "which is negative"
	}
	if shift < 0 {
		cut := -shift
		if cut > len(digits) || strings.TrimRight(digits[len(digits)-cut:], "0") != "" {
			return 0, "which has a fraction"
		}
		digits, shift = digits[:len(digits)-cut], 0
	}
	if len(digits)+shift > 10 {
		return math.MaxInt32, ""
	}
	n, _ := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	return min(n, math.MaxInt32), ""
}
