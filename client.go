package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/keylock"
	"github.com/tikisdk/tiki/internal/redact"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

// maxResponseBody bounds how much of a successful response is read.
const maxResponseBody = 64 << 20

// requestIDHeaders are the response headers that may carry a request id.
var requestIDHeaders = []string{"X-Request-Id", "X-Request-ID", "Request-Id", "X-Trace-Id", "X-Amzn-Trace-Id"}

// Client talks to the Tiki seller APIs. Create it with NewClient; it is safe
// for concurrent use by multiple goroutines.
type Client struct {
	common service

	// Catalog reads Tiki's categories, attributes, brands and required
	// documents.
	Catalog *CatalogService
	// Warehouses lists Tiki's warehouses and the seller inventories that
	// order confirmations name.
	Warehouses *WarehousesService
	// ProductRequests creates and manages requests to list products.
	ProductRequests *ProductRequestsService
	// Tracking follows product requests through Tiki's approval.
	Tracking *TrackingService
	// Products reads and updates the seller's approved products.
	Products *ProductsService
	// Orders pulls, confirms and hands over the seller's orders through
	// Tiki's current order API (v2).
	Orders *OrdersService
	// EventQueue creates event queues and subscriptions and pulls events
	// (Tiki's pull-based notifications).
	EventQueue *EventQueueService
	// Sellers reads the seller's own account.
	Sellers *SellersService
	// Webhooks registers TikiNOW webhooks.
	Webhooks *WebhooksService

	// V1 reaches the endpoints of Tiki's 2019 API (v1) that Tiki still
	// documents, the v1 order API among them, under the names of today's
	// services and methods: client.V1.Orders.List.
	V1 V1Services
	// V2 reaches the product endpoints of API v2 that v2.1 replaced, under
	// the names of today's services and methods: client.V2.Products.List.
	V2 V2Services

	rc         *resty.Client
	httpClient *http.Client
	baseURL    *url.URL
	env        Environment
	tikiNowURL *url.URL
	tikiNowSet bool       // WithTikiNowURL was given
	enums      enumValues // allowed with WithEnumValues
	userAgent  string
	auth       authenticator
	limiter    Limiter
	logger     *slog.Logger
	redactor   *redact.Redactor
	retry      retryPolicy
	writes     keylock.Locks // product writes, see lockWrites
	writeOrder WriteOrder    // nil: the client orders only its own writes
	walks      walkLengths
	hooks      []Hooks // WithHooks; nil when none
	sellerID   string  // WithSellerID

	tokenEarly time.Duration

	// writeSettle is how long a product write in doubt keeps its locks
	// (WithWriteSettle).
	writeSettle time.Duration

	// sleep waits between attempts; tests replace it to observe waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// service is shared by every endpoint group; each group's type is a
// conversion of it, so all share the client's stack at no cost.
type service struct{ client *Client }

// NewClient returns a client configured by opts. It needs credentials:
// one of WithClientCredentials (in-house app), WithOAuthApp (public app),
// WithTokenSource, WithAccessToken or WithSellerKey. Without other options
// it talks to production (WithEnvironment, WithBaseURL).
//
// Every option is applied, whatever the others hold: the error, when any
// option's arguments are wrong, is one *ValidationError listing every
// problem, each named after its option ("WithRetry.maxAttempts").
func NewClient(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for i, opt := range opts {
		if opt == nil {
			cfg.problems.add("opts["+strconv.Itoa(i)+"]", "is a nil Option")
			continue
		}
		opt(cfg)
	}
	if !cfg.authGiven {
		cfg.problems.add("credentials", "are missing: give one of %s", credentialOptions)
	}
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}

	// The caller's *http.Client is copied: resty (and this package) may set
	// fields on the client it is given.
	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
	} else {
		hc = *defaultHTTPClient()
	}
	// Tiki's APIs never redirect. Following a redirect would send the
	// tiki-api header (which Go, unlike Authorization, keeps across hosts)
	// wherever the redirect points: a 3xx is returned as an *APIError.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	c := &Client{
		httpClient: &hc,
		baseURL:    cfg.baseURL,
		env:        cfg.env,
		tikiNowURL: cfg.tikiNowURL,
		tikiNowSet: cfg.tikiNowSet,
		enums:      cfg.enums,
		auth:       cfg.auth,
		logger:     cfg.logger,
		redactor:   &redact.Redactor{},
		retry: retryPolicy{
			maxAttempts:   cfg.maxAttempts,
			maxRetryAfter: cfg.maxRetryAfter,
			backoff:       backoff.Policy{Min: cfg.backoffMin, Max: cfg.backoffMax},
		},
		tokenEarly: cfg.tokenEarly,
		hooks:      cfg.hooks,
		sellerID:   cfg.sellerID,
		sleep:      backoff.Sleep,
	}
	c.userAgent = "tiki-go/" + Version
	if cfg.userAgent != "" {
		c.userAgent = cfg.userAgent + " " + c.userAgent
	}
	c.writeOrder, c.writeSettle = cfg.writeOrder, cfg.writeSettle
	c.limiter = cfg.limiter
	if c.limiter == nil {
		c.limiter = newLimiter(cfg.ratePerSecond, cfg.burst)
	}
	switch a := c.auth.(type) {
	case sellerKeyAuth:
		c.redactor.AddStatic(a.key)
	case bearerAuth:
		c.redactor.AddStatic(a.token)
	}
	if cfg.authSetup != nil {
		cfg.authSetup(c)
	}

	// resty sends single attempts only: its retries, rate limiter, error
	// parsing and debug output are left off, because this package retries,
	// paces, decodes and logs itself (see do).
	c.rc = resty.NewWithClient(c.httpClient).
		SetRetryCount(0).
		SetLogger(restyLogger{}).
		SetDisableWarn(true)

	c.common.client = c
	c.Catalog = (*CatalogService)(&c.common)
	c.Warehouses = (*WarehousesService)(&c.common)
	c.ProductRequests = (*ProductRequestsService)(&c.common)
	c.Tracking = (*TrackingService)(&c.common)
	c.Products = (*ProductsService)(&c.common)
	c.Orders = (*OrdersService)(&c.common)
	c.EventQueue = (*EventQueueService)(&c.common)
	c.Sellers = (*SellersService)(&c.common)
	c.Webhooks = (*WebhooksService)(&c.common)
	c.V1 = V1Services{
		Catalog:         (*CatalogV1Service)(&c.common),
		ProductRequests: (*ProductRequestsV1Service)(&c.common),
		Tracking:        (*TrackingV1Service)(&c.common),
		Products:        (*ProductsV1Service)(&c.common),
		Orders:          (*OrdersV1Service)(&c.common),
		Warehouses:      (*WarehousesV1Service)(&c.common),
	}
	c.V2 = V2Services{
		ProductRequests: (*ProductRequestsV2Service)(&c.common),
		Products:        (*ProductsV2Service)(&c.common),
	}
	return c, nil
}

// defaultHTTPClient has a timeout and no cookie jar, and keeps enough idle
// connections to sustain Tiki's rate limit against one host.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// host returns the scheme and host of the integration API base URL.
func (c *Client) host() string {
	return c.baseURL.Scheme + "://" + c.baseURL.Host
}

// CloseIdleConnections closes the idle keep-alive connections of the
// client's HTTP transport, for example before a program or test ends.
func (c *Client) CloseIdleConnections() { c.httpClient.CloseIdleConnections() }

// onProduction reports whether the client talks to Tiki's production host,
// whichever option pointed it there.
func (c *Client) onProduction() bool {
	return c.env == Production || strings.EqualFold(c.baseURL.Hostname(), "api.tiki.vn")
}

// Environment returns the environment the client talks to, or "" when it was
// given a custom base URL.
func (c *Client) Environment() Environment { return c.env }

// BaseURL returns the integration API base URL the client talks to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// Response describes the HTTP exchange behind a successful call.
type Response struct {
	// StatusCode is the HTTP status of the last response.
	StatusCode int
	// Header holds the headers of the last response.
	Header http.Header
	// RequestID is Tiki's request id, when a header carries one.
	RequestID string
	// Attempts is how many requests the call made.
	Attempts int
}

// apiVersion is the version segment of an integration API path. Every
// request names the version of its endpoint; which endpoints are reached in
// which version is the rule of the package documentation.
type apiVersion string

// The versions of Tiki's integration API.
const (
	apiV1  apiVersion = "v1"
	apiV2  apiVersion = "v2"
	apiV21 apiVersion = "v2.1"
)

// request is one API call, built by an endpoint method and sent by do.
type request struct {
	method string
	// version is the version segment of the endpoint's path; path follows
	// it.
	version apiVersion
	path    string
	// route is path's template, each value in it replaced by its name in
	// braces ("orders/{code}"), for the hooks (CallInfo.Template); empty
	// when path holds no value.
	route string
	// base overrides the integration API base URL (TikiNOW).
	base  *url.URL
	query url.Values
	body  any
	// repeatable marks a request that is safe to repeat although its
	// method is not idempotent (see request.idempotent in retry.go).
	repeatable bool
	// once marks a request that is never repeated once it may have
	// reached Tiki, whatever its method (Client.Call's writes).
	once bool
	// lockKeys name the products the request writes (see productLockKeys):
	// the call holds their write locks for its whole life, retries
	// included, so writes to one product through one client land in the
	// order they were made.
	lockKeys []string
}

func (c *Client) url(r *request) *url.URL {
	var u url.URL
	var escaped string
	if r.base != nil {
		u = *r.base
		escaped = u.EscapedPath() + "/" + r.path
	} else {
		u = *c.baseURL
		escaped = u.EscapedPath() + "/" + string(r.version) + "/" + r.path
	}
	// r.path holds escaped segments (see pathEscape).
	u.Path, _ = url.PathUnescape(escaped)
	u.RawPath = escaped
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	return &u
}

// attemptResult is the outcome of one attempt.
type attemptResult struct {
	status int
	header http.Header
	body   []byte
	err    error // transport error or body read error
	sent   bool  // a connection was obtained: the server may have seen it
	// failure is TikiNOW's {"success": false, ...} in a 2xx body, probed
	// once per response and only for TikiNOW endpoints (see probeFailure).
	failure *bodyFailure
}

// bodyFailure is a failure that TikiNOW reported inside a 2xx body.
type bodyFailure struct {
	status    int // the body's error.status_code (may be 0)
	requestID string
}

// probeFailure records in res whether its 2xx body is TikiNOW's
// {"success": false, ...}. Only TikiNOW endpoints use that convention; the
// integration API's 2xx bodies are decoded as each endpoint documents.
func (res *attemptResult) probeFailure() {
	if res.err != nil || res.status < 200 || res.status > 299 {
		return
	}
	if failed, status, reqID := reportsFailure(res.body); failed {
		res.failure = &bodyFailure{status: status, requestID: reqID}
	}
}

// effectiveStatus is the HTTP status, or the 4xx/5xx status TikiNOW
// reported inside a 2xx body.
func (res attemptResult) effectiveStatus() int {
	if f := res.failure; f != nil && f.status >= 400 && f.status <= 599 {
		return f.status
	}
	return res.status
}

// do sends r, retrying what retryPolicy allows, and decodes a successful
// response into out (when out is non-nil). It is the one place where
// requests are sent and responses become results or typed errors. A product
// write (r.lockKeys) holds its products' write locks from before its first
// attempt until do returns. A client with hooks (WithHooks) reports the
// call to them (see observed).
//
// Each attempt is: wait for the limiter (waitForLimiter), apply the credential
// (authorize), send and read the answer (sendAttempt), ask the retry policy
// what the outcome means (classify), then either finish, renew the
// credential and repeat, or wait (backoff) and repeat. What is repeated is
// decided in retry.go only.
func (c *Client) do(ctx context.Context, r *request, out any) (*Response, error) {
	if ctx == nil {
		return nil, nilContextError()
	}
	if c.hooks != nil {
		return c.observed(ctx, r, out)
	}
	return c.run(ctx, r, out, nil)
}

// run is do's loop of attempts; obs, when not nil, reports each attempt and
// limiter wait to the client's hooks.
func (c *Client) run(ctx context.Context, r *request, out any, obs *callObserver) (*Response, error) {
	cr, err := c.newCallRun(r)
	if err != nil {
		return nil, err
	}
	cr.obs = obs
	held, err := c.lockWrites(ctx, r.lockKeys)
	if err != nil {
		return nil, cr.requestError(0, false, contextErr(ctx, err))
	}
	defer func() { c.unlockWrites(ctx, held, cr.doubtAt) }()

	for attempt := 1; ; attempt++ {
		if err := c.waitForLimiter(ctx, cr, attempt); err != nil {
			return nil, err
		}
		header, used, err := c.authorize(ctx)
		if err != nil {
			return nil, err
		}
		if err := held.check(); err != nil {
			return nil, cr.requestError(attempt-1, false, err)
		}
		res, elapsed := c.sendAttempt(ctx, cr, header)
		cr.sent = cr.sent || res.sent
		v := c.classify(ctx, cr, res)
		if v.act == renewAndRepeat && !c.auth.renew(used) {
			v.act = finishCall
		}
		status := res.effectiveStatus()
		c.logAttempt(ctx, r.method, cr.u, status, attempt, v.wait, elapsed, res.err)
		if obs != nil {
			obs.attempt(ctx, attempt, status, elapsed, res.err, v)
		}
		switch v.act {
		case callerGaveUp:
			return nil, cr.requestError(attempt, res.sent, cr.st.ctxErr)
		case renewAndRepeat:
			cr.st.renewed = true
			continue
		case waitAndRepeat:
			cr.st.retries++
			if err := c.backoff(ctx, cr, attempt, res, v.wait); err != nil {
				return nil, err
			}
			continue
		}
		return c.finish(cr, res, attempt, out)
	}
}

// callRun is what do keeps across the attempts of one call.
type callRun struct {
	r       *request
	u       *url.URL
	safeURL string // u with secrets masked, for errors
	fullURL string // u as sent
	payload []byte // the JSON body, nil for none
	tikiNow bool   // the endpoint may report failures in a 2xx body
	sent    bool   // an attempt may have reached Tiki
	st      callState
	obs     *callObserver // nil: the client has no hooks

	// doubtAt is when the last attempt in doubt was given up (see
	// attemptResult.inDoubt); zero when none was.
	doubtAt time.Time
}

// newCallRun encodes r's body and URL once for all attempts.
func (c *Client) newCallRun(r *request) (*callRun, error) {
	cr := &callRun{r: r, u: c.url(r), tikiNow: c.isTikiNow(r)}
	if r.body != nil {
		var err error
		if cr.payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("tiki: encoding request body: %w", err)
		}
	}
	cr.safeURL = c.redactor.URL(cr.u)
	cr.fullURL = cr.u.String()
	return cr, nil
}

// requestError is the *RequestError of a call that ended without an answer
// after attempts attempts. Sent is true when this or any earlier attempt
// may have reached Tiki.
func (cr *callRun) requestError(attempts int, sent bool, err error) *RequestError {
	return &RequestError{Method: cr.r.method, URL: cr.safeURL, Attempts: attempts, Sent: sent || cr.sent, Err: err}
}

// waitForLimiter waits for the limiter before attempt number attempt.
func (c *Client) waitForLimiter(ctx context.Context, cr *callRun, attempt int) error {
	var start time.Time
	if cr.obs != nil {
		start = time.Now()
	}
	err := c.limiter.Wait(ctx)
	if cr.obs != nil {
		cr.obs.limiterWaited(ctx, attempt, time.Since(start), err)
	}
	if err != nil {
		return cr.requestError(attempt-1, false, contextErr(ctx, err))
	}
	return nil
}

// authorize returns the headers of one attempt with the credential applied,
// and the credential used (for renewal after a 401).
func (c *Client) authorize(ctx context.Context) (http.Header, string, error) {
	header := http.Header{}
	used, err := c.auth.apply(ctx, header)
	if err != nil {
		return nil, "", c.scrubError(err)
	}
	return header, used, nil
}

// sendAttempt sends one attempt and reads its answer. A TikiNOW answer's
// 2xx body is probed for a failure here, once per response.
func (c *Client) sendAttempt(ctx context.Context, cr *callRun, header http.Header) (attemptResult, time.Duration) {
	start := time.Now()
	res := c.send(ctx, cr.r.method, cr.fullURL, header, cr.payload)
	elapsed := time.Since(start)
	if res.inDoubt() {
		cr.doubtAt = time.Now()
	}
	if cr.tikiNow {
		res.probeFailure()
	}
	return res, elapsed
}

// classify asks the retry policy what the attempt's outcome means.
func (c *Client) classify(ctx context.Context, cr *callRun, res attemptResult) verdict {
	cr.st.ctxErr, cr.st.now = ctx.Err(), time.Now()
	return c.retry.decide(cr.r, res, cr.st)
}

// backoff waits before the next attempt; it fails when ctx ends first.
func (c *Client) backoff(ctx context.Context, cr *callRun, attempt int, res attemptResult, wait time.Duration) error {
	if err := c.sleep(ctx, wait); err != nil {
		return cr.requestError(attempt, res.sent, contextErr(ctx, err))
	}
	return nil
}

// isTikiNow reports whether r goes to the TikiNOW business API, whose 2xx
// answers may report a failure in the body.
func (c *Client) isTikiNow(r *request) bool {
	return r.base != nil && c.tikiNowURL != nil && r.base.String() == c.tikiNowURL.String()
}

// finish turns the last attempt into the call's result.
func (c *Client) finish(cr *callRun, res attemptResult, attempts int, out any) (*Response, error) {
	r, u := cr.r, cr.u
	if res.err != nil {
		return nil, cr.requestError(attempts, res.sent, c.scrubError(res.err))
	}
	resp := &Response{StatusCode: res.status, Header: res.header, RequestID: requestID(res.header), Attempts: attempts}
	if status := res.effectiveStatus(); status != res.status {
		// TikiNOW's status inside a 2xx body decides, as if it were the
		// HTTP status.
		res.status = status
		resp.StatusCode = status
	}
	if res.status < 200 || res.status > 299 {
		apiErr := c.apiError(r, u, res, attempts)
		if res.status == http.StatusTooManyRequests {
			ra, _ := backoff.RetryAfter(res.header.Get("Retry-After"), time.Now())
			return resp, &RateLimitError{APIError: apiErr, RetryAfter: ra}
		}
		return resp, apiErr
	}
	// TikiNOW answers some failures with a 2xx status and success:false.
	if f := res.failure; f != nil {
		apiErr := c.apiError(r, u, res, attempts)
		if apiErr.RequestID == "" {
			apiErr.RequestID = f.requestID
		}
		return resp, apiErr
	}
	if out == nil {
		return resp, nil
	}
	if a, ok := out.(confirmedAnswer); ok && r.method != http.MethodGet {
		if missing := a.missingIn(res.body); missing != "" {
			return resp, c.unconfirmed(r, u, res, attempts, missing)
		}
	}
	decode := json.Unmarshal
	if d, ok := out.(bodyDecoder); ok {
		decode = func(b []byte, _ any) error { return d.decodeBody(b) }
	}
	if err := decode(res.body, out); err != nil {
		if errors.Is(err, errListRefused) {
			return resp, notAppliedError(c, r, resp, res.body)
		}
		return resp, c.decodeError(r, u, res.status, res.header, res.body, withAmountPath(err, res.body, "", decodeAnew(out)))
	}
	return resp, nil
}

// bodyDecoder is implemented by results that decode a whole body
// themselves. json.Unmarshal would scan the body once to validate it before
// calling their UnmarshalJSON, which then parses it again.
type bodyDecoder interface {
	decodeBody([]byte) error
}

// reportsFailure reports whether a 2xx body is TikiNOW's
// {"success": false, ...}, with the status code and request id it carries.
func reportsFailure(body []byte) (failed bool, status int, requestID string) {
	if !bytes.Contains(body, []byte(`"success"`)) {
		return false, 0, ""
	}
	var probe struct {
		Success *bool `json:"success"`
		Error   struct {
			StatusCode int `json:"status_code"`
		} `json:"error"`
		MetaData struct {
			RequestID string `json:"request_id"`
		} `json:"meta_data"`
	}
	if json.Unmarshal(body, &probe) != nil || probe.Success == nil || *probe.Success {
		return false, 0, ""
	}
	return true, probe.Error.StatusCode, probe.MetaData.RequestID
}

func (c *Client) apiError(r *request, u *url.URL, res attemptResult, attempts int) *APIError {
	e := &APIError{
		StatusCode: res.status,
		Method:     r.method,
		URL:        c.redactor.URL(u),
		Header:     redact.Header(res.header),
		Body:       c.redactor.Bytes(res.body),
		Attempts:   attempts,
		RequestID:  requestID(res.header),
	}
	e.parseErrorBody()
	for i, m := range e.Messages {
		e.Messages[i] = c.redactor.String(m)
	}
	if res.status == http.StatusNotFound && r.base == nil && c.env == "" && !strings.HasSuffix(strings.TrimRight(c.baseURL.Path, "/"), "/integration") {
		e.Hint = "the base URL " + c.redactor.URL(c.baseURL) + " does not end in /integration, where Tiki's API lives: check WithBaseURL"
	}
	return e
}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// send makes one HTTP attempt through resty and reads the body through a
// bound (1 MiB for errors, 64 MiB for successes).
func (c *Client) send(ctx context.Context, method, rawURL string, header http.Header, payload []byte) attemptResult {
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { sent.Store(true) }}
	req := c.rc.R().
		SetContext(httptrace.WithClientTrace(ctx, trace)).
		SetDoNotParseResponse(true).
		SetHeader("User-Agent", c.userAgent).
		SetHeader("Accept", "application/json")
	for k, v := range header {
		req.SetHeader(k, v[0])
	}
	if payload != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(payload)
	}
	resp, err := req.Execute(method, rawURL)
	if resp != nil && resp.RawBody() != nil {
		defer resp.RawBody().Close()
	}
	if err != nil {
		return attemptResult{err: err, sent: sent.Load() || !neverConnected(err)}
	}
	raw := resp.RawResponse
	if raw == nil {
		return attemptResult{err: errors.New("no response"), sent: true}
	}
	limit := int64(maxResponseBody)
	if raw.StatusCode < 200 || raw.StatusCode > 299 {
		limit = maxErrorBody
	}
	body, err := io.ReadAll(io.LimitReader(raw.Body, limit))
	if err != nil {
		// The response was cut off: treat it as a transport failure, so
		// idempotent requests are retried; the server did see the request.
		return attemptResult{err: fmt.Errorf("reading response body: %w", err), sent: true}
	}
	if raw.StatusCode >= 200 && raw.StatusCode <= 299 && int64(len(body)) == limit {
		return attemptResult{err: fmt.Errorf("response body exceeds %d bytes", limit), sent: true}
	}
	return attemptResult{status: raw.StatusCode, header: raw.Header, body: body, sent: true}
}

// neverConnected reports whether a transport error proves that no
// connection was made, so the request cannot have reached Tiki: a failed
// dial or name lookup. net/http's transport also reports a connection
// through httptrace; a transport that does not (a custom RoundTripper) gets
// the benefit of the doubt only for these errors: anything else counts as
// sent, and a POST is then not repeated.
func neverConnected(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// scrubError returns err with any known secret masked from its text.
func (c *Client) scrubError(err error) error { return scrubWith(c.redactor, err) }

// scrubWith returns err as it is when its text holds no secret red knows.
// Otherwise it returns an error with the secrets masked from its text,
// whose chain keeps only what errors.Is and errors.As need and cannot
// hold the secret: the context's error, or an SDK error that was built
// with its secrets masked (*TokenError, *PanicError). The original error,
// which holds the secret, is dropped.
func scrubWith(red *redact.Redactor, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := red.String(msg)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: safeCause(err)}
}

// safeCause returns the part of err's chain that callers match on and that
// holds no secret, or nil.
func safeCause(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe
	}
	for _, target := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, target) {
			return target
		}
	}
	return nil
}

// scrubbedError is an error whose text had secrets masked; err is the
// part of the original chain that is safe to keep (may be nil).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// contextErr prefers the context's own error over a limiter's wrapping of it.
func contextErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *Client) logAttempt(ctx context.Context, method string, u *url.URL, status, attempt int, wait, elapsed time.Duration, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("path", c.redactor.String(u.EscapedPath())),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait),
		slog.Duration("duration", elapsed),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redactor.String(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "tiki: request", attrs...)
}

// restyLogger silences resty's own logging: it would print warnings and
// debug output (with credentials) to stderr.
type restyLogger struct{}

func (restyLogger) Errorf(string, ...any) {}
func (restyLogger) Warnf(string, ...any)  {}
func (restyLogger) Debugf(string, ...any) {}
