// Package tikitest runs a fake Tiki seller API in-process, for tests and
// examples that must work without network access or credentials.
//
// In a test:
//
//	srv := tikitest.NewServer(t)
//	client, err := srv.Client()
//	cats, _, err := client.Catalog.Categories(ctx, nil)
//
// The fake checks credentials like Tiki does (seller key in the tiki-api
// header, Bearer tokens, and an OAuth2 client credentials token endpoint),
// answers unknown routes and bad parameters with Tiki's error shape
// {"errors": [...]}, and serves the catalog and Tiki's warehouses from the
// examples in Tiki's API documentation.
package tikitest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tikisdk/tiki"
)

// Default credentials the fake accepts. Options can change them.
const (
	DefaultSellerKey    = "tikitest-seller-key"
	DefaultAccessToken  = "tikitest-access-token"
	DefaultClientID     = "tikitest-client-id"
	DefaultClientSecret = "tikitest-client-secret"
)

// Server is a running fake Tiki API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the integration API base URL, for tiki.WithBaseURL
	// (http://127.0.0.1:PORT/integration).
	URL string
	// Host is the scheme and host, where the OAuth2 endpoints live.
	Host string

	cfg      config
	catalog  *catalog
	handler  http.Handler
	listener net.Listener
	http     *http.Server

	mu       sync.Mutex
	tokens   map[string]time.Time // issued access token -> expiry
	requests int
}

// Option configures a Server.
type Option func(*config)

type config struct {
	sellerKey, accessToken, clientID, clientSecret string
	tokenTTL                                       time.Duration
	now                                            func() time.Time
}

// WithSellerKey sets the seller key accepted in the tiki-api header.
func WithSellerKey(key string) Option { return func(c *config) { c.sellerKey = key } }

// WithAccessToken sets a Bearer token the fake accepts without issuing it.
func WithAccessToken(token string) Option { return func(c *config) { c.accessToken = token } }

// WithClientCredentials sets the OAuth2 client id and secret the token
// endpoint accepts.
func WithClientCredentials(id, secret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = id, secret }
}

// WithTokenTTL sets the lifetime of issued access tokens (default one hour).
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithClock sets the clock that decides token expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// NewHandler returns the fake API as an http.Handler, for mounting in a
// server of the caller's own. Its base URL is {host}/integration.
func NewHandler(opts ...Option) http.Handler { return newServer(opts...).handler }

func newServer(opts ...Option) *Server {
	cfg := config{
		sellerKey:    DefaultSellerKey,
		accessToken:  DefaultAccessToken,
		clientID:     DefaultClientID,
		clientSecret: DefaultClientSecret,
		tokenTTL:     time.Hour,
		now:          time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg, catalog: mustLoadCatalog(), tokens: map[string]time.Time{}}
	s.handler = s.routes()
	return s
}

// Start starts a fake on a loopback port. Close it when done.
func Start(opts ...Option) (*Server, error) { return Listen("127.0.0.1:0", opts...) }

// Listen starts a fake on addr (for example "127.0.0.1:8080").
func Listen(addr string, opts ...Option) (*Server, error) {
	s := newServer(opts...)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tikitest: %w", err)
	}
	s.listener = l
	s.Host = "http://" + l.Addr().String()
	s.URL = s.Host + "/integration"
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(l) //nolint:errcheck // returns http.ErrServerClosed on Close
	return s, nil
}

// NewServer starts a fake for the test and stops it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("tikitest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Client returns a client for the fake, authenticated with the seller key,
// with the given options applied after the fake's own.
func (s *Server) Client(opts ...tiki.Option) (*tiki.Client, error) {
	return tiki.NewClient(append([]tiki.Option{tiki.WithBaseURL(s.URL), tiki.WithSellerKey(s.cfg.sellerKey)}, opts...)...)
}

// SellerKey, AccessToken and ClientCredentials return the credentials the
// fake accepts.
func (s *Server) SellerKey() string   { return s.cfg.sellerKey }
func (s *Server) AccessToken() string { return s.cfg.accessToken }

// ClientCredentials returns the OAuth2 client id and secret the fake accepts,
// ready for tiki.WithClientCredentials.
func (s *Server) ClientCredentials() tiki.ClientCredentials {
	return tiki.ClientCredentials{ClientID: s.cfg.clientID, ClientSecret: s.cfg.clientSecret}
}

// Requests returns how many API requests (token requests excluded) the fake
// has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ExpireTokens makes every issued access token expire now, so the next call
// with one gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.tokens {
		s.tokens[tok] = time.Time{}
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sc/oauth2/token", s.token)
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.Handle(pattern, s.authenticated(http.HandlerFunc(h)))
	}
	api("GET /integration/v2/categories", s.categories)
	api("GET /integration/v2/categories/{id}", s.category)
	api("GET /integration/v2/categories/{id}/attributes", s.attributes)
	api("GET /integration/v2/categories/{id}/optionLabels", s.optionLabels)
	api("GET /integration/v2/attributes/{id}/values", s.attributeValues)
	api("GET /integration/v2/brands", s.brands)
	api("GET /integration/v2/requests/requiredDocs", s.requiredDocs)
	api("GET /integration/v2/warehouses/tiki", s.tikiWarehouses)
	api("/integration/", func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, http.StatusNotFound, "No route found for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// authenticated checks the seller key or Bearer token like Tiki does.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		s.mu.Unlock()
		if key := r.Header.Get("tiki-api"); key != "" {
			if key != s.cfg.sellerKey {
				writeErrors(w, http.StatusUnauthorized, "Your tiki-api token is not valid")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			writeErrors(w, http.StatusUnauthorized, "Token is missing")
			return
		}
		if !s.validToken(tok) {
			writeErrors(w, http.StatusUnauthorized, "Token is expired or not linked to a seller")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) validToken(tok string) bool {
	if tok == s.cfg.accessToken {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.cfg.now().Before(exp)
}

// token is the OAuth2 token endpoint for the client credentials grant, with
// client_secret_basic or client_secret_post.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.cfg.clientID || secret != s.cfg.clientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant "+g+" is not supported by this server")
		return
	}
	s.mu.Lock()
	tok := randomToken(len(s.tokens))
	s.tokens[tok] = s.cfg.now().Add(s.cfg.tokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"expires_in":   int(s.cfg.tokenTTL / time.Second),
		"scope":        r.PostForm.Get("scope"),
		"token_type":   "bearer",
	})
}

// randomToken returns an unguessable token; n keeps it unique even if the
// system's random source failed.
func randomToken(n int) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + strconv.Itoa(n)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// writeErrors answers with Tiki's integration API error shape.
func writeErrors(w http.ResponseWriter, status int, messages ...string) {
	writeJSON(w, status, map[string][]string{"errors": messages})
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// errBadParam is returned by the parameter helpers.
var errBadParam = errors.New("bad parameter")

// intParam parses an optional positive integer query parameter or path value.
func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errBadParam
	}
	return n, nil
}
