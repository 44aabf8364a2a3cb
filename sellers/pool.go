package sellers

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/tikisdk/tiki"
)

// DefaultIdleTimeout is how long a Pool keeps the client of a seller it
// has not handed out, unless WithIdleTimeout says otherwise.
const DefaultIdleTimeout = 30 * time.Minute

// Pool hands out the client of each seller of a public app by the seller's
// id: it makes the client on first use (tiki.WithOAuthApp over the pool's
// token store), hands the same client out while it is in use, and drops
// the clients of sellers it has not handed out for the idle timeout. A
// dropped client keeps working for whoever holds it; the next request for
// its seller makes a new one, which reads the token from the store.
//
// Every client shares one HTTP transport (Tiki's API is one host: a few
// dozen connections serve any number of sellers), and each has its own
// rate limit of Tiki's 200 requests per second per seller, local to the
// process unless WithLimiters shares it (through redisstore's Limiter).
// An idle client costs a few kilobytes of heap and no goroutine:
// docs/performance.md has the measures. Making a client sends nothing; its first
// call reads the seller's token from the store.
//
// Create it with NewPool; it is safe for concurrent use.
type Pool struct {
	app      tiki.OAuthApp
	store    tiki.TokenStore
	http     *http.Client
	opts     []tiki.Option
	limiters func(sellerID string) (tiki.Limiter, error)
	idle     time.Duration
	now      func() time.Time

	mu        sync.Mutex
	clients   map[string]*pooled
	lastSweep time.Time
}

// pooled is one seller's client and when it was last handed out.
type pooled struct {
	client   *tiki.Client
	lastUsed atomic.Int64 // Unix nanoseconds
}

// Option configures a Pool.
type Option func(*poolConfig)

type poolConfig struct {
	httpClient *http.Client
	clientOpts []tiki.Option
	limiters   func(string) (tiki.Limiter, error)
	idle       time.Duration
	problems   []tiki.FieldProblem
}

func (c *poolConfig) add(field, problem string) {
	c.problems = append(c.problems, tiki.FieldProblem{Field: field, Problem: problem})
}

// WithHTTPClient sets the HTTP client every seller's client shares, token
// requests and onboarding included (default: a client with a 30 s timeout
// and a transport keeping 64 idle connections to Tiki). Give it here
// rather than in WithClientOptions.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *poolConfig) {
		if hc == nil {
			c.add("WithHTTPClient", "must not be a nil *http.Client")
			return
		}
		c.httpClient = hc
	}
}

// WithClientOptions adds options to every seller's client, for example
// tiki.WithEnvironment(tiki.Sandbox), tiki.WithRetry or tiki.WithLogger.
// The pool gives the authentication (tiki.WithOAuthApp), the HTTP client
// and, with WithLimiters, the limiter itself.
func WithClientOptions(opts ...tiki.Option) Option {
	return func(c *poolConfig) { c.clientOpts = append(c.clientOpts, opts...) }
}

// WithLimiters makes the pool give each seller's client the limiter
// newLimiter returns for the seller's id, when it makes the client: a
// redisstore.Limiter keyed by the seller shares the seller's budget of 200
// requests per second across every replica:
//
//	sellers.WithLimiters(func(sellerID string) (tiki.Limiter, error) {
//		return redisstore.NewLimiter(rdb, redisstore.LimiterConfig{Key: sellerID,
//			PerSecond: tiki.DefaultRateLimit, OnRedisError: redisstore.FallbackLocal})
//	})
//
// Without it each client paces its own calls (tiki.WithRateLimit's
// default), which is right for a single replica.
func WithLimiters(newLimiter func(sellerID string) (tiki.Limiter, error)) Option {
	return func(c *poolConfig) {
		if newLimiter == nil {
			c.add("WithLimiters", "must not be a nil function")
			return
		}
		c.limiters = newLimiter
	}
}

// WithIdleTimeout sets how long the pool keeps the client of a seller it
// has not handed out (DefaultIdleTimeout unless set; it must be positive).
func WithIdleTimeout(d time.Duration) Option {
	return func(c *poolConfig) {
		if d <= 0 {
			c.add("WithIdleTimeout", "must be positive, not "+d.String())
			return
		}
		c.idle = d
	}
}

// NewPool returns a pool of the clients of app's sellers, whose tokens
// store keeps. A nil store, an app without a client id or secret, and a
// wrong option are refused with one *tiki.ValidationError listing every
// problem.
func NewPool(app tiki.OAuthApp, store tiki.TokenStore, opts ...Option) (*Pool, error) {
	cfg := poolConfig{idle: DefaultIdleTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if store == nil {
		cfg.add("store", "must not be nil")
	}
	if cfg.httpClient == nil {
		cfg.httpClient = defaultHTTPClient()
	}
	p := &Pool{app: app, store: store, http: cfg.httpClient, opts: cfg.clientOpts, limiters: cfg.limiters,
		idle: cfg.idle, now: time.Now, clients: map[string]*pooled{}}
	// The options are checked once, by making a client of no one.
	if store != nil {
		if _, err := tiki.NewClient(p.options("pool-check")...); err != nil {
			cfg.problems = append(cfg.problems, problemsOf(err)...)
		}
	}
	if len(cfg.problems) > 0 {
		return nil, &tiki.ValidationError{Problems: cfg.problems}
	}
	p.lastSweep = p.now()
	return p, nil
}

// defaultHTTPClient has a timeout and no cookie jar, and keeps enough idle
// connections to Tiki for every seller's calls.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// problemsOf returns the problems of a *tiki.ValidationError, or err as
// one problem.
func problemsOf(err error) []tiki.FieldProblem {
	if ve, ok := err.(*tiki.ValidationError); ok {
		return ve.Problems
	}
	return []tiki.FieldProblem{{Field: "options", Problem: err.Error()}}
}

// options are the options of the client of sellerID.
func (p *Pool) options(sellerID string) []tiki.Option {
	opts := append([]tiki.Option(nil), p.opts...)
	return append(opts, tiki.WithHTTPClient(p.http), tiki.WithOAuthApp(p.app, p.store, sellerID))
}

// checkSellerID refuses an id that cannot name a seller.
func checkSellerID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "sellerID", Problem: "must not be empty"}}}
	case strings.ContainsFunc(id, unicode.IsControl):
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "sellerID", Problem: "must not contain control characters"}}}
	}
	return nil
}

// Client returns the client of the seller sellerID, making it if the pool
// holds none. It sends nothing: the client's first call reads the seller's
// token from the store, and fails naming the seller when there is none
// (tiki.ErrNoToken) or Tiki revoked the grant (*tiki.GrantRevokedError).
// An empty sellerID is refused with a *tiki.ValidationError. For an event
// of the app's queue, pass its Event.SID.
func (p *Pool) Client(sellerID string) (*tiki.Client, error) {
	if err := checkSellerID(sellerID); err != nil {
		return nil, err
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	if e := p.clients[sellerID]; e != nil {
		e.lastUsed.Store(now.UnixNano())
		return e.client, nil
	}
	opts := p.options(sellerID)
	if p.limiters != nil {
		l, err := p.limiters(sellerID)
		if err != nil {
			return nil, err
		}
		opts = append(opts, tiki.WithLimiter(l))
	}
	c, err := tiki.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	e := &pooled{client: c}
	e.lastUsed.Store(now.UnixNano())
	p.clients[sellerID] = e
	return c, nil
}

// sweep drops the clients idle for the idle timeout, at most once per half
// of it. p.mu is held.
func (p *Pool) sweep(now time.Time) {
	if now.Sub(p.lastSweep) < p.idle/2 {
		return
	}
	p.lastSweep = now
	cut := now.Add(-p.idle).UnixNano()
	for id, e := range p.clients {
		if e.lastUsed.Load() <= cut {
			delete(p.clients, id)
		}
	}
}

// Forget drops the client of sellerID, if the pool holds one: for example
// once the seller has withdrawn the app. The client keeps working for
// whoever holds it.
func (p *Pool) Forget(sellerID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.clients, sellerID)
}

// Len returns how many sellers' clients the pool holds.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// CloseIdleConnections closes the idle keep-alive connections of the
// shared HTTP transport, for example before the program ends.
func (p *Pool) CloseIdleConnections() { p.http.CloseIdleConnections() }
