package tiki

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// Option configures a Client. Options check their arguments; NewClient
// returns the first error found.
type Option func(*config) error

// config is what the options set; NewClient turns it into a Client.
type config struct {
	baseURL    *url.URL
	env        Environment
	tikiNowURL *url.URL
	tikiNowSet bool
	httpClient *http.Client
	logger     *slog.Logger
	userAgent  string
	versions   map[APIGroup]APIVersion

	auth      authenticator
	authName  string
	authSetup func(c *Client) // completes OAuth set-up once the HTTP client exists

	ratePerSecond float64
	burst         int
	limiter       Limiter

	writeOrder WriteOrder

	maxAttempts   int
	backoffMin    time.Duration
	backoffMax    time.Duration
	maxRetryAfter time.Duration
	tokenEarly    time.Duration
}

// Environment names one of Tiki's hosted APIs.
type Environment string

const (
	// Production is https://api.tiki.vn/integration.
	Production Environment = "production"
	// Sandbox is https://api-sandbox.tiki.vn/integration. Product requests
	// there are approved automatically and mock orders can be created.
	Sandbox Environment = "sandbox"
)

const (
	productionHost = "https://api.tiki.vn"
	sandboxHost    = "https://api-sandbox.tiki.vn"
	integrationAPI = "/integration"
	// DefaultTikiNowURL is the base URL of the TikiNOW business API, which
	// registers webhooks.
	DefaultTikiNowURL = "https://tikinowapi.tiki.vn/business/v1"
)

// URL returns the environment's integration API base URL.
func (e Environment) URL() string {
	switch e {
	case Sandbox:
		return sandboxHost + integrationAPI
	case Production:
		return productionHost + integrationAPI
	}
	return ""
}

// WithEnvironment selects Production (the default) or Sandbox.
func WithEnvironment(env Environment) Option {
	return func(c *config) error {
		if env.URL() == "" {
			return fmt.Errorf("tiki: unknown environment %q (want %q or %q)", env, Production, Sandbox)
		}
		u, _ := url.Parse(env.URL())
		c.baseURL, c.env = u, env
		return nil
	}
}

// WithBaseURL points the client at any integration API base URL, for example
// a proxy or the fake server of package tikitest. The URL includes the path
// prefix that comes before the API version ("https://api.tiki.vn/integration"
// for production).
func WithBaseURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(rawURL)
		if err != nil {
			return err
		}
		c.baseURL, c.env = u, ""
		return nil
	}
}

// WithTikiNowURL sets the base URL of the TikiNOW business API used for
// webhook registration (default DefaultTikiNowURL).
func WithTikiNowURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(rawURL)
		if err != nil {
			return err
		}
		c.tikiNowURL, c.tikiNowSet = u, true
		return nil
	}
}

func parseBaseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("tiki: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("tiki: base URL %q must be an absolute http(s) URL", rawURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("tiki: base URL must not carry credentials, a query or a fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// WithHTTPClient sets the *http.Client used for every request, token
// requests included. The client is copied, never modified; its Timeout bounds
// each attempt. The default client has a 30 s timeout and no cookie jar.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("tiki: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger makes the client log one debug line per attempt (method, path,
// status, attempt, wait, duration) to logger. Credentials never appear in
// log lines.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) error {
		if logger == nil {
			return errors.New("tiki: WithLogger: nil *slog.Logger")
		}
		c.logger = logger
		return nil
	}
}

// WithUserAgent adds product to the User-Agent header, before the SDK's own
// "tiki-go/VERSION", so Tiki can tell integrations apart.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		if strings.ContainsAny(product, "\r\n") {
			return errors.New("tiki: WithUserAgent: value contains a line break")
		}
		c.userAgent = strings.TrimSpace(product)
		return nil
	}
}

func (c *config) setAuth(name string, a authenticator, setup func(*Client)) error {
	if c.authName != "" {
		return fmt.Errorf("tiki: %s conflicts with %s: choose one way to authenticate", name, c.authName)
	}
	c.auth, c.authName, c.authSetup = a, name, setup
	return nil
}

// WithSellerKey authenticates with a legacy seller key, sent in the tiki-api
// header. Tiki has announced the retirement of seller keys; prefer OAuth2.
func WithSellerKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("tiki: WithSellerKey: empty key")
		}
		return c.setAuth("WithSellerKey", sellerKeyAuth{key: key}, nil)
	}
}

// WithAccessToken authenticates with a fixed OAuth2 access token, sent as
// "Authorization: Bearer <token>". The client cannot renew it: when it
// expires, calls fail with ErrUnauthorized.
func WithAccessToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("tiki: WithAccessToken: empty token")
		}
		return c.setAuth("WithAccessToken", bearerAuth{token: token}, nil)
	}
}

// WithClientCredentials authenticates an in-house app with the OAuth2 client
// credentials grant against {host}/sc/oauth2/token. The token is cached,
// renewed shortly before it expires, and renewed once when Tiki answers 401.
func WithClientCredentials(cc ClientCredentials) Option {
	return func(c *config) error {
		var v validator
		v.check(cc.ClientID != "", "client_id", "is required")
		v.check(cc.ClientSecret != "", "client_secret", "is required")
		v.check(cc.AuthStyle.valid(), "auth_style", "must be AuthStyleBasic or AuthStylePost")
		if cc.TokenURL != "" {
			if _, err := parseBaseURL(cc.TokenURL); err != nil {
				v.add("token_url", "must be an absolute http(s) URL")
			}
		}
		if err := v.err(); err != nil {
			return err
		}
		// The set-up runs once per client; it works on copies, so that one
		// Option value can build several clients (even concurrently).
		return c.setAuth("WithClientCredentials", nil, func(cl *Client) {
			creds := cc
			creds.Scopes = append([]string(nil), cc.Scopes...)
			if creds.TokenURL == "" {
				creds.TokenURL = cl.host() + tokenPath
			}
			cache := &tokenCache{}
			cl.auth = cache
			cl.initTokenCache(cache, clientCredentialsFetch(creds, cl.httpClient), nil)
			cl.redactor.AddStatic(creds.ClientSecret)
		})
	}
}

// WithOAuthApp authenticates a public app with a token obtained through
// app.Exchange (authorization code grant). The client refreshes the token
// with its refresh token when it expires or when Tiki answers 401, and hands
// each refreshed token to app.OnRefresh so it can be stored.
func WithOAuthApp(app OAuthApp, tok *oauth2.Token) Option {
	return func(c *config) error {
		var v validator
		app.validate(&v)
		v.check(tok != nil && (tok.AccessToken != "" || tok.RefreshToken != ""), "token", "must hold an access or refresh token")
		if err := v.err(); err != nil {
			return err
		}
		return c.setAuth("WithOAuthApp", nil, func(cl *Client) {
			a := app
			a.Scopes = append([]string(nil), app.Scopes...)
			if a.Host == "" {
				a.Host = cl.host()
			}
			cache := &tokenCache{}
			cl.auth = cache
			cl.initTokenCache(cache, refreshFetch(a, tok, cl.httpClient), func(t *oauth2.Token) {
				if t != tok && a.OnRefresh != nil {
					a.OnRefresh(t)
				}
			})
			cl.redactor.AddStatic(a.ClientSecret)
			cl.redactor.AddDynamic(tok.AccessToken)
			cl.redactor.AddDynamic(tok.RefreshToken)
		})
	}
}

// WithTokenSource authenticates with tokens from any oauth2.TokenSource.
// Tokens are cached and renewed shortly before they expire. After a 401 the
// source is asked again once; a source that keeps its own cache (such as
// oauth2.ReuseTokenSource) may hand back the refused token, and the call then
// fails with ErrUnauthorized.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("tiki: WithTokenSource: nil oauth2.TokenSource")
		}
		return c.setAuth("WithTokenSource", nil, func(cl *Client) {
			cache := &tokenCache{}
			cl.auth = cache
			cl.initTokenCache(cache, sourceFetch(ts), nil)
		})
	}
}

// WithTokenRenewal sets how long before expiry an OAuth2 token is renewed
// (default one minute; at most half of the token's lifetime).
func WithTokenRenewal(early time.Duration) Option {
	return func(c *config) error {
		if early < 0 {
			return errors.New("tiki: WithTokenRenewal: negative duration")
		}
		c.tokenEarly = early
		return nil
	}
}

// WithRateLimit paces requests to perSecond with the given burst. The
// default is DefaultRateLimit (Tiki's 200 requests per second per seller)
// with a burst of 20. A rate of zero switches limiting off. Of WithRateLimit
// and WithLimiter, the last given wins.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) error {
		if perSecond < 0 || burst < 0 {
			return errors.New("tiki: WithRateLimit: rate and burst must not be negative")
		}
		c.ratePerSecond, c.burst, c.limiter = perSecond, burst, nil
		return nil
	}
}

// WithLimiter replaces the built-in limiter, for example with one that
// several processes share. Of WithRateLimit and WithLimiter, the last given
// wins.
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("tiki: WithLimiter: nil Limiter")
		}
		if rl, ok := l.(*rate.Limiter); ok {
			// Report a wait that would pass the deadline as
			// context.DeadlineExceeded, as the built-in limiter does.
			l = tokenBucket{rl}
		}
		c.limiter = l
		return nil
	}
}

// WithRetry sets the retry policy: at most maxAttempts requests per call
// (default 4; 1 disables retries), with waits between them growing
// exponentially from minWait to maxWait (defaults 500 ms and 30 s), each
// with random jitter.
func WithRetry(maxAttempts int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if maxAttempts < 1 {
			return errors.New("tiki: WithRetry: maxAttempts must be at least 1")
		}
		if minWait < 0 || maxWait < minWait {
			return errors.New("tiki: WithRetry: need 0 <= minWait <= maxWait")
		}
		c.maxAttempts, c.backoffMin, c.backoffMax = maxAttempts, minWait, maxWait
		return nil
	}
}

// WithMaxRetryAfter caps how long the client waits when Tiki answers with a
// Retry-After header (default 60 s). A longer requested wait fails the call
// at once with a *RateLimitError carrying the requested wait.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("tiki: WithMaxRetryAfter: negative duration")
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithAPIVersion overrides the API version used for one group of endpoints.
// Each group defaults to the newest version Tiki documents for it.
func WithAPIVersion(group APIGroup, version APIVersion) Option {
	return func(c *config) error {
		if group == GroupOrders && version == V1 {
			// v1 and v2 are different order APIs with different shapes,
			// not one API under two version segments.
			return errors.New("tiki: WithAPIVersion: the v1 order API has its own shapes and endpoints: call it through client.OrdersV1")
		}
		allowed, ok := apiVersions[group]
		if !ok {
			return fmt.Errorf("tiki: WithAPIVersion: unknown API group %q", group)
		}
		for _, v := range allowed {
			if v == version {
				c.versions[group] = version
				return nil
			}
		}
		return fmt.Errorf("tiki: WithAPIVersion: %s has no version %q (have %v)", group, version, allowed)
	}
}

// APIGroup names a group of endpoints that share an API version.
type APIGroup string

// APIVersion is a version segment of Tiki's integration API paths.
type APIVersion string

// API versions Tiki documents.
const (
	// V1 is the v1 API: {base URL}/v1/...
	V1 APIVersion = "v1"
	// V2 is the v2 API: {base URL}/v2/...
	V2 APIVersion = "v2"
	// V21 is the v2.1 API: {base URL}/v2.1/...
	V21 APIVersion = "v2.1"
)

// Endpoint groups, each with its own API version.
const (
	// GroupCatalog: categories and category detail (v2 default; v1 also
	// documented). The other catalog endpoints exist in v2 only and always
	// use it.
	GroupCatalog APIGroup = "catalog"
	// GroupWarehouses: Tiki's and the seller's warehouses (v2).
	GroupWarehouses APIGroup = "warehouses"
	// GroupOrders: Tiki's current order API (v2, the only version of
	// client.Orders). The older v1 order API is a different API with its
	// own types: it is client.OrdersV1, always at /v1.
	GroupOrders APIGroup = "orders"
)

// apiVersions lists, per group, the versions Tiki documents; the first is
// the default.
var apiVersions = map[APIGroup][]APIVersion{
	GroupCatalog:    {V2, V1},
	GroupWarehouses: {V2},
	GroupOrders:     {V2},
}

func defaultConfig() *config {
	c := &config{
		ratePerSecond: DefaultRateLimit,
		maxAttempts:   4,
		backoffMin:    500 * time.Millisecond,
		backoffMax:    30 * time.Second,
		maxRetryAfter: time.Minute,
		tokenEarly:    time.Minute,
		versions:      make(map[APIGroup]APIVersion, len(apiVersions)),
	}
	c.baseURL, _ = url.Parse(Production.URL())
	c.env = Production
	c.tikiNowURL, _ = url.Parse(DefaultTikiNowURL)
	for g, vs := range apiVersions {
		c.versions[g] = vs[0]
	}
	return c
}
