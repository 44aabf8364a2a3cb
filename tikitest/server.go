package tikitest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// TikiNowURL is the TikiNOW business API base URL, for
	// tiki.WithTikiNowURL (http://127.0.0.1:PORT/business/v1).
	TikiNowURL string
	// Host is the scheme and host, where the OAuth2 endpoints live.
	Host string

	cfg      config
	catalog  *catalog
	handler  http.Handler
	listener net.Listener
	http     *http.Server
	served   chan struct{} // closed when the server goroutine has returned

	// mu guards everything below and the state of every endpoint family.
	logMu sync.Mutex // serialises request log lines

	mu            sync.Mutex
	tokens        map[string]time.Time     // issued access token -> expiry
	tokenGrant    map[string]*grant        // issued access token -> its grant
	refresh       map[string]*refreshToken // issued refresh tokens
	codes         map[string]authCode      // authorization code -> grant
	grants        []*grant                 // sellers' grants, in order
	tokenRequests int
	dropTokens    int           // refresh answers still to lose
	tokenHold     chan struct{} // token requests wait until it is closed
	tokenHeld     int           // token requests waiting on tokenHold
	requests      int
	faults        []*Fault
	window        []time.Time // arrival times in the last second (rate limit)
	hooks         webhookHub
	state         state
	events        eventState
}

// Option configures a Server. NewServer, Start, Listen and NewHandler
// check the options together and refuse a bad value (an empty credential, a
// nil clock, a token lifetime that is not positive, ...) with one
// *tiki.ValidationError listing every problem.
type Option func(*config)

type config struct {
	sellerKey, accessToken, clientID, clientSecret string
	tokenTTL                                       time.Duration
	now                                            func() time.Time
	rateLimit                                      int
	webhookClient                                  *http.Client
	approvalDelay                                  *time.Duration
	authStyle                                      tiki.AuthStyle
	lenientQuery                                   bool
	requestLog                                     io.Writer
	refreshGrace                                   time.Duration
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

// WithClientAuthStyle sets how the app authenticates itself at the token
// endpoint, as an OAuth2 app on Tiki is set up for exactly one method:
// tiki.AuthStyleBasic (client_secret_basic, an Authorization: Basic
// header; the default, as in Tiki's documentation) or tiki.AuthStylePost
// (client_secret_post, client_id and client_secret in the form body). A
// token request using the other method is refused with 401 invalid_client,
// as Tiki refuses it. In the Basic header the id and secret are
// form-URL-encoded before the Basic encoding (RFC 6749 section 2.3.1), as
// the SDK and golang.org/x/oauth2 send them: the fake decodes them, and
// refuses a client that sends a secret with "+" or "%" unencoded, as an
// RFC 6749 server (Ory Hydra, which Tiki's appears to be) does.
func WithClientAuthStyle(style tiki.AuthStyle) Option {
	return func(c *config) { c.authStyle = style }
}

// WithTokenTTL sets the lifetime of issued access tokens (default one hour).
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithClock sets the clock of the fake: token expiry, timestamps of orders
// and products, and the progress of product requests.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRateLimit makes the fake answer 429 Too Many Requests, as Tiki does,
// to requests beyond perSecond in any one-second window (0, the default,
// means no limit). Token requests are not counted.
func WithRateLimit(perSecond int) Option { return func(c *config) { c.rateLimit = perSecond } }

// WithApprovalDelay sets how long each step of a product request takes on
// the fake's clock (default DefaultApprovalDelay; 0 or less means requests
// move only when a test steps them). Server.SetApprovalDelay changes it
// later.
func WithApprovalDelay(d time.Duration) Option { return func(c *config) { c.approvalDelay = &d } }

// WithWebhookClient sets the HTTP client that delivers webhooks (default:
// 5 s timeout).
func WithWebhookClient(hc *http.Client) Option { return func(c *config) { c.webhookClient = hc } }

// NewHandler returns the fake API as an http.Handler, for mounting in a
// server of the caller's own. Its base URL is {host}/integration.
func NewHandler(opts ...Option) (http.Handler, error) {
	s, err := newServer(opts...)
	if err != nil {
		return nil, err
	}
	return s.handler, nil
}

// check returns what is wrong with the options that made c, each named by
// its option.
func (c *config) check() error {
	var bad problems
	bad.check(c.sellerKey != "", "WithSellerKey", "must not be empty")
	bad.check(c.accessToken != "", "WithAccessToken", "must not be empty")
	bad.check(c.clientID != "" && c.clientSecret != "", "WithClientCredentials", "must have a client id and a client secret")
	bad.check(c.authStyle == tiki.AuthStyleBasic || c.authStyle == tiki.AuthStylePost, "WithClientAuthStyle",
		"must be tiki.AuthStyleBasic or tiki.AuthStylePost")
	bad.check(c.tokenTTL > 0, "WithTokenTTL", fmt.Sprintf("must be positive, not %v", c.tokenTTL))
	bad.check(c.now != nil, "WithClock", "must not be nil")
	bad.check(c.rateLimit >= 0, "WithRateLimit", fmt.Sprintf("must not be negative (0 means no limit), not %d", c.rateLimit))
	bad.check(c.webhookClient != nil, "WithWebhookClient", "must not be nil")
	return bad.err()
}

func newServer(opts ...Option) (*Server, error) {
	cfg := config{
		sellerKey:     DefaultSellerKey,
		accessToken:   DefaultAccessToken,
		clientID:      DefaultClientID,
		clientSecret:  DefaultClientSecret,
		tokenTTL:      time.Hour,
		now:           time.Now,
		webhookClient: &http.Client{Timeout: 5 * time.Second},
		authStyle:     tiki.AuthStyleBasic,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		catalog:    mustLoadCatalog(),
		tokens:     map[string]time.Time{},
		tokenGrant: map[string]*grant{},
		refresh:    map[string]*refreshToken{},
		codes:      map[string]authCode{},
	}
	s.initState()
	s.handler = s.routes()
	return s, nil
}

// Start starts a fake on a loopback port. Close it when done.
func Start(opts ...Option) (*Server, error) { return Listen("127.0.0.1:0", opts...) }

// Listen starts a fake on addr (for example "127.0.0.1:8080").
func Listen(addr string, opts ...Option) (*Server, error) {
	s, err := newServer(opts...)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tikitest: %w", err)
	}
	s.listener = l
	s.Host = "http://" + l.Addr().String()
	s.URL = s.Host + "/integration"
	s.TikiNowURL = s.Host + "/business/v1"
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.http.Serve(l) // http.ErrServerClosed once Close is called
	}()
	return s, nil
}

// NewServer starts a fake for the test and stops it when the test ends. It
// fails the test when the fake cannot start (a refused option, no free
// port).
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("tikitest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server: when it returns, the address is free again,
// the connections are closed and the webhook deliveries under way are
// over. Closing a server twice is harmless.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
		// A server closed right after Start may not have begun serving:
		// http.Server.Close then leaves the listener to the serving
		// goroutine, which would free the address some time later.
		s.listener.Close()
		<-s.served
	}
	s.hooks.wait()
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Client returns a client for the fake, authenticated with the fake's
// access token (so that every API, TikiNOW's included, accepts it), with
// the given options applied after the fake's own.
func (s *Server) Client(opts ...tiki.Option) (*tiki.Client, error) {
	base := []tiki.Option{tiki.WithBaseURL(s.URL), tiki.WithTikiNowURL(s.TikiNowURL), tiki.WithAccessToken(s.cfg.accessToken)}
	return tiki.NewClient(append(base, opts...)...)
}

// SellerKey returns the seller key the fake accepts in the tiki-api header.
func (s *Server) SellerKey() string { return s.cfg.sellerKey }

// AccessToken returns the Bearer token the fake accepts without issuing it.
func (s *Server) AccessToken() string { return s.cfg.accessToken }

// ClientCredentials returns the OAuth2 client id and secret the fake accepts
// and the auth style it expects (see WithClientAuthStyle), ready for
// tiki.WithClientCredentials.
func (s *Server) ClientCredentials() tiki.ClientCredentials {
	return tiki.ClientCredentials{ClientID: s.cfg.clientID, ClientSecret: s.cfg.clientSecret, AuthStyle: s.cfg.authStyle}
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

// apiFunc registers an authenticated API route.
type apiFunc func(pattern string, h func(w http.ResponseWriter, r *http.Request))

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sc/oauth2/token", s.token)
	mux.HandleFunc("GET /sc/oauth2/auth", s.authorize)
	mux.Handle("GET /ts/print/{file}", s.queryChecked("GET /ts/print/{file}", http.HandlerFunc(s.labelFile))) // printed labels are public links
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.Handle(pattern, s.guarded(s.authenticated(s.queryChecked(pattern, http.HandlerFunc(h)))))
	}
	mux.Handle("POST /business/v1/register-webhooks", s.guarded(http.HandlerFunc(s.registerWebhooks)))
	s.orderRoutes(api)
	s.productRoutes(api)
	s.eventRoutes(api)
	api("GET /integration/v2/categories", s.categories)
	api("GET /integration/v2/categories/{id}", s.category)
	api("GET /integration/v1/categories", s.categoriesV1)
	api("GET /integration/v1/categories/{id}", s.categoryV1)
	api("GET /integration/v2/categories/{id}/attributes", s.attributes)
	api("GET /integration/v2/categories/{id}/optionLabels", s.optionLabels)
	api("GET /integration/v2/attributes/{id}/values", s.attributeValues)
	api("GET /integration/v2/brands", s.brands)
	api("GET /integration/v2/requests/requiredDocs", s.requiredDocs)
	api("GET /integration/v2/warehouses/tiki", s.tikiWarehouses)
	api("/integration/", func(w http.ResponseWriter, r *http.Request) {
		noteReason(r, "unknown route")
		writeErrors(w, http.StatusNotFound, "No route found for "+r.Method+" "+r.URL.Path)
	})
	return s.logged(mux)
}

// guarded counts a request, then applies armed faults and the rate limit.
func (s *Server) guarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		fault := s.takeFault(r)
		limited := s.overLimit()
		s.mu.Unlock()
		if fault != nil && fault.apply(w, r) {
			noteReason(r, "injected fault")
			return
		}
		if limited {
			noteReason(r, "rate limit")
			writeErrors(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// overLimit records an arrival and reports whether it exceeds the rate
// limit. s.mu must be held.
func (s *Server) overLimit() bool {
	if s.cfg.rateLimit <= 0 {
		return false
	}
	now := s.cfg.now()
	cut := 0
	for cut < len(s.window) && now.Sub(s.window[cut]) >= time.Second {
		cut++
	}
	s.window = append(s.window[:0], s.window[cut:]...)
	if len(s.window) >= s.cfg.rateLimit {
		return true
	}
	s.window = append(s.window, now)
	return false
}

// authenticated checks the seller key or Bearer token like Tiki does.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := r.Header.Get("tiki-api"); key != "" {
			if key != s.cfg.sellerKey {
				noteReason(r, "bad auth: wrong seller key in the tiki-api header")
				writeErrors(w, http.StatusUnauthorized, "Your tiki-api token is not valid")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			noteReason(r, "bad auth: no tiki-api header and no Bearer token")
			writeErrors(w, http.StatusUnauthorized, "Token is missing")
			return
		}
		if !s.validToken(tok) {
			noteReason(r, "bad auth: unknown or expired Bearer token")
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
