package tiki

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// Option configures a Client. An option records what is wrong with its
// arguments instead of failing at once: NewClient applies every option and
// returns all the problems together in one *ValidationError, each naming
// the option (and, for options with several arguments, the argument:
// "WithRetry.maxAttempts").
type Option func(*config)

// config is what the options set; NewClient turns it into a Client.
type config struct {
	baseURL    *url.URL
	env        Environment
	tikiNowURL *url.URL
	tikiNowSet bool
	httpClient *http.Client
	logger     *slog.Logger
	userAgent  string
	enums      enumValues // WithEnumValues

	auth      authenticator
	authName  string
	authGiven bool            // a credential option was given, valid or not
	authSetup func(c *Client) // completes OAuth set-up once the HTTP client exists

	ratePerSecond float64
	burst         int
	limiter       Limiter

	writeOrder  WriteOrder
	writeSettle time.Duration

	hooks    []Hooks
	sellerID string

	maxAttempts   int
	backoffMin    time.Duration
	backoffMax    time.Duration
	maxRetryAfter time.Duration
	tokenEarly    time.Duration

	// problems collects what the options found wrong; NewClient reports
	// them all.
	problems validator
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
	return func(c *config) {
		if env.URL() == "" {
			c.problems.add("WithEnvironment", "must be %q or %q, not %q", Production, Sandbox, env)
			return
		}
		u, _ := url.Parse(env.URL())
		c.baseURL, c.env = u, env
	}
}

// WithBaseURL points the client at any integration API base URL, for example
// a proxy or the fake server of package tikitest. The URL includes the path
// prefix that comes before the API version ("https://api.tiki.vn/integration"
// for production).
func WithBaseURL(rawURL string) Option {
	return func(c *config) {
		if u := parseBaseURL(&c.problems, "WithBaseURL", rawURL); u != nil {
			c.baseURL, c.env = u, ""
		}
	}
}

// WithTikiNowURL sets the base URL of the TikiNOW business API used for
// webhook registration (default DefaultTikiNowURL).
func WithTikiNowURL(rawURL string) Option {
	return func(c *config) {
		if u := parseBaseURL(&c.problems, "WithTikiNowURL", rawURL); u != nil {
			c.tikiNowURL, c.tikiNowSet = u, true
		}
	}
}

// parseBaseURL parses an absolute http(s) URL without credentials, query
// or fragment, and trims its trailing slashes. A URL that is not one adds
// a problem to v under field and gives nil. The problem never quotes the
// URL's user information nor its query or fragment, where secrets go.
func parseBaseURL(v *validator, field, rawURL string) *url.URL {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		v.add(field, "must be an absolute http(s) URL, not %s", describeURL(rawURL))
		return nil
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		v.add(field, "must not carry credentials, a query or a fragment")
		return nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u
}

// describeURL quotes rawURL for a problem without what may hold a secret:
// its user information, query and fragment are left out (and said to be),
// and a URL that does not parse, or whose scheme is followed by no "//"
// (where "user:password@host" would read as a scheme and its data), is
// not quoted at all.
func describeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" {
		return "a URL that cannot be read as one (not shown: it may hold credentials)"
	}
	hidden := u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != ""
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	if hidden {
		return fmt.Sprintf("%q (its credentials, query and fragment not shown)", u.String())
	}
	return strconv.Quote(u.String())
}

// checkHeaderValue reports why s cannot be sent as an HTTP header value, as
// net/http's rules have it (RFC 9110, section 5.5): a control character
// other than a tab, DEL included. It says nothing of s itself, which may be
// a secret.
func checkHeaderValue(s string) (problem string, ok bool) {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' && b != '\t' || b == 0x7f {
			if b == '\r' || b == '\n' {
				return "must not contain a line break: an HTTP header cannot carry it", false
			}
			return fmt.Sprintf("must not contain the control character %U: an HTTP header cannot carry it", rune(b)), false
		}
	}
	return "", true
}

// WithHTTPClient sets the *http.Client used for every request, token
// requests included. The client is copied, never modified; its Timeout bounds
// each attempt. The default client has a 30 s timeout and no cookie jar.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.problems.add("WithHTTPClient", "must not be a nil *http.Client")
			return
		}
		c.httpClient = hc
	}
}

// WithLogger makes the client log one debug line per attempt (method, path,
// status, attempt, wait, duration) to logger. Credentials never appear in
// log lines.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) {
		if logger == nil {
			c.problems.add("WithLogger", "must not be a nil *slog.Logger")
			return
		}
		c.logger = logger
	}
}

// WithUserAgent adds product to the User-Agent header, before the SDK's own
// "tiki-go/VERSION", so Tiki can tell integrations apart. Surrounding white
// space is trimmed; a control character (a line break, NUL, ...) is a
// problem, since no header can carry it.
func WithUserAgent(product string) Option {
	return func(c *config) {
		product := strings.TrimSpace(product) // one Option may build several clients at once: each trims its own copy
		if problem, ok := checkHeaderValue(product); !ok {
			c.problems.add("WithUserAgent", "%s", problem)
			return
		}
		c.userAgent = product
	}
}

// credentialOptions names the options that give a client its credentials.
const credentialOptions = "WithClientCredentials (in-house app), WithOAuthApp (public app), WithTokenSource, WithAccessToken or WithSellerKey"

// report adds the problems of v to the options' problems, each field
// prefixed with prefix (the option's name); it reports whether there were
// any.
func (c *config) report(prefix string, v *validator) bool {
	for _, p := range v.problems {
		c.problems.add(prefix+p.Field, "%s", p.Problem)
	}
	return len(v.problems) > 0
}

// setAuth records the client's way to authenticate; a second one is a
// problem of the option that gives it.
func (c *config) setAuth(name string, a authenticator, setup func(*Client)) {
	if c.authName != "" {
		c.problems.add(name, "must not be given with %s: choose one way to authenticate", c.authName)
		return
	}
	c.auth, c.authName, c.authSetup = a, name, setup
}

// WithSellerKey authenticates with a legacy seller key, sent in the tiki-api
// header. Tiki has announced the retirement of seller keys; prefer OAuth2.
// Surrounding white space is trimmed (a key read from a file with its line
// break), as from every credential; a control character inside the key is
// a problem, since no header can carry it.
func WithSellerKey(key string) Option {
	return func(c *config) {
		c.authGiven = true
		key, ok := headerCredential(&c.problems, "WithSellerKey", key)
		if !ok {
			return
		}
		c.setAuth("WithSellerKey", sellerKeyAuth{key: key}, nil)
	}
}

// WithAccessToken authenticates with a fixed OAuth2 access token, sent as
// "Authorization: Bearer <token>". The client cannot renew it: when it
// expires, calls fail with ErrUnauthorized. Surrounding white space is
// trimmed; a control character inside the token is a problem.
func WithAccessToken(token string) Option {
	return func(c *config) {
		c.authGiven = true
		token, ok := headerCredential(&c.problems, "WithAccessToken", token)
		if !ok {
			return
		}
		c.setAuth("WithAccessToken", bearerAuth{token: token}, nil)
	}
}

// headerCredential trims a credential sent in a header and checks that it
// is not empty and that a header can carry it; a problem goes to v under
// field, without the credential.
func headerCredential(v *validator, field, credential string) (string, bool) {
	credential = strings.TrimSpace(credential)
	if credential == "" {
		v.add(field, "must not be empty")
		return "", false
	}
	if problem, ok := checkHeaderValue(credential); !ok {
		v.add(field, "%s", problem)
		return "", false
	}
	return credential, true
}

// WithClientCredentials authenticates an in-house app with the OAuth2 client
// credentials grant against {host}/sc/oauth2/token. The token is cached,
// renewed shortly before it expires, and renewed once when Tiki answers 401.
// Surrounding white space is trimmed from the client id and secret.
func WithClientCredentials(cc ClientCredentials) Option {
	return func(c *config) {
		c.authGiven = true
		cc := cc // one Option may build several clients at once: each trims its own copy
		cc.ClientID, cc.ClientSecret = strings.TrimSpace(cc.ClientID), strings.TrimSpace(cc.ClientSecret)
		var v validator
		v.check(cc.ClientID != "", "client_id", "is required")
		v.check(cc.ClientSecret != "", "client_secret", "is required")
		v.check(cc.AuthStyle.valid(), "auth_style", "must be AuthStyleBasic or AuthStylePost")
		if cc.TokenURL != "" {
			parseBaseURL(&v, "token_url", cc.TokenURL)
		}
		if c.report("WithClientCredentials.", &v) {
			return
		}
		// The set-up runs once per client; it works on copies, so that one
		// Option value can build several clients (even concurrently).
		c.setAuth("WithClientCredentials", nil, func(cl *Client) {
			creds := cc
			creds.Scopes = append([]string(nil), cc.Scopes...)
			if creds.TokenURL == "" {
				creds.TokenURL = cl.host() + tokenPath
			}
			cl.initTokenCache(&tokenCache{}, clientCredentialsFetch(creds, cl.httpClient))
			cl.redactor.AddStatic(creds.ClientSecret)
		})
	}
}

// WithOAuthApp authenticates a public app's client of one seller with the
// token store holds under sellerID (package sellers' Onboarding stores it
// when the seller authorizes the app; SaveToken stores one the app got
// otherwise). The client reads the token from the store on its first call,
// and renews it through the store shortly before it expires or when Tiki
// answers 401, so that every client of the seller, in this process or in
// any replica sharing the store, uses one token and renews it once:
//
//   - The client that renews holds the seller's renewal lock in the store
//     (TokenStore.Lock) and saves the new token, with Tiki's new refresh
//     token, before releasing it. The others wait for the lock, then find
//     the renewed token and use it: Tiki's refresh tokens are single use,
//     and a spent one sent again can make Tiki revoke the grant.
//   - Before sending a renewal the client records it in the store
//     (Token.RenewalsInDoubt), so that a renewal whose answer never reaches
//     the store (the connection broke after the request was sent, the
//     process died) is known. Its refresh token may be spent: the client
//     sends it again only once nothing can be lost by it, that is once the
//     access token has expired or Tiki refused it, and until then uses the
//     access token. If Tiki had not acted on the lost request, or accepts a
//     refresh token again shortly after its use (Ory Hydra's rotation grace
//     period), the grant goes on; otherwise the lost answer held the only
//     usable refresh token, Tiki refuses the old one, and the seller must
//     authorize the app again. A renewal that provably never reached Tiki
//     (no connection was made, or Tiki answered an error) did not spend the
//     refresh token and is not in doubt.
//   - When Tiki refuses the refresh token (invalid_grant), the store
//     records the grant as revoked and every call of the seller, in every
//     replica, fails with *GrantRevokedError naming the seller, without
//     contacting Tiki, until a new token is stored.
//
// A nil store, an empty or malformed seller id and a wrong app are refused
// with the NewClient's *ValidationError.
func WithOAuthApp(app OAuthApp, store TokenStore, sellerID string) Option {
	return func(c *config) {
		c.authGiven = true
		app := app.trimmed()
		var v validator
		app.validate(&v)
		v.check(store != nil, "store", "must not be nil")
		checkSellerID(&v, "sellerID", sellerID)
		if c.report("WithOAuthApp.", &v) {
			return
		}
		c.setAuth("WithOAuthApp", nil, func(cl *Client) {
			a := app
			a.Scopes = append([]string(nil), app.Scopes...)
			if a.Host == "" {
				a.Host = cl.host()
			}
			r := &storeRenewal{store: store, sellerID: sellerID, refresh: appRefresh(a, cl.httpClient), now: time.Now}
			cl.initTokenCache(&tokenCache{ownRetries: true}, r.fetch)
			cl.redactor.AddStatic(a.ClientSecret)
		})
	}
}

// WithTokenSource authenticates with tokens from any oauth2.TokenSource.
// Tokens are cached and renewed shortly before they expire. After a 401 the
// source is asked again once; a source that keeps its own cache (such as
// oauth2.ReuseTokenSource) may hand back the refused token, and the call then
// fails with ErrUnauthorized.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) {
		c.authGiven = true
		if ts == nil {
			c.problems.add("WithTokenSource", "must not be a nil oauth2.TokenSource")
			return
		}
		c.setAuth("WithTokenSource", nil, func(cl *Client) {
			cl.initTokenCache(&tokenCache{}, sourceFetch(ts))
		})
	}
}

// WithTokenRenewal sets how long before expiry an OAuth2 token is renewed
// (default one minute; at most half of the token's lifetime).
func WithTokenRenewal(early time.Duration) Option {
	return func(c *config) {
		if early < 0 {
			c.problems.add("WithTokenRenewal", "must not be negative, not %s", early)
			return
		}
		c.tokenEarly = early
	}
}

// WithRateLimit paces requests to perSecond with the given burst. The
// default is DefaultRateLimit (Tiki's 200 requests per second per seller)
// with a burst of 20. A rate of zero switches limiting off. Of WithRateLimit
// and WithLimiter, the last given wins.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) {
		var v validator
		v.check(perSecond >= 0, "perSecond", "must not be negative, not %v", perSecond)
		v.check(burst >= 0, "burst", "must not be negative, not %d", burst)
		if c.report("WithRateLimit.", &v) {
			return
		}
		c.ratePerSecond, c.burst, c.limiter = perSecond, burst, nil
	}
}

// WithLimiter replaces the built-in limiter, for example with one that
// several processes share. Of WithRateLimit and WithLimiter, the last given
// wins.
func WithLimiter(l Limiter) Option {
	return func(c *config) {
		if isNil(l) {
			c.problems.add("WithLimiter", "must not be a nil Limiter")
			return
		}
		if rl, ok := l.(*rate.Limiter); ok {
			// Report a wait that would pass the deadline as
			// context.DeadlineExceeded, as the built-in limiter does.
			l = tokenBucket{rl}
		}
		c.limiter = l
	}
}

// WithRetry sets the retry policy: at most maxAttempts requests per call
// (default 4; 1 disables retries), with waits between them growing
// exponentially from minWait to maxWait (defaults 500 ms and 30 s), each
// with random jitter.
func WithRetry(maxAttempts int, minWait, maxWait time.Duration) Option {
	return func(c *config) {
		var v validator
		v.check(maxAttempts >= 1, "maxAttempts", "must be at least 1 (1 disables retries), not %d", maxAttempts)
		v.check(minWait >= 0, "minWait", "must not be negative, not %s", minWait)
		v.check(maxWait >= minWait, "maxWait", "must not be less than minWait (%s), not %s", minWait, maxWait)
		if c.report("WithRetry.", &v) {
			return
		}
		c.maxAttempts, c.backoffMin, c.backoffMax = maxAttempts, minWait, maxWait
	}
}

// WithMaxRetryAfter caps how long the client waits when Tiki answers with a
// Retry-After header (default 60 s). A longer requested wait fails the call
// at once with a *RateLimitError carrying the requested wait.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.problems.add("WithMaxRetryAfter", "must not be negative, not %s", d)
			return
		}
		c.maxRetryAfter = d
	}
}

func defaultConfig() *config {
	c := &config{
		ratePerSecond: DefaultRateLimit,
		maxAttempts:   4,
		backoffMin:    500 * time.Millisecond,
		backoffMax:    30 * time.Second,
		maxRetryAfter: time.Minute,
		tokenEarly:    time.Minute,
		writeSettle:   DefaultWriteSettle,
	}
	c.baseURL, _ = url.Parse(Production.URL())
	c.env = Production
	c.tikiNowURL, _ = url.Parse(DefaultTikiNowURL)
	return c
}
