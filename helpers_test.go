package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shared helpers of the root package's tests (package tiki). A helper
// used by one test file only stays in that file; everything used by two or
// more lives here. The examples and end-to-end tests of package tiki_test
// run against tikitest, the fake Tiki the SDK ships.

// Constants.

// testKey is the seller key of setup's clients.
const testKey = "seller-key-0123456789"

// testClientID and testClientSecret are an OAuth2 app's credentials.
const (
	testClientID     = "app-client-id"
	testClientSecret = "app-client-secret-9f8e7d6c"
)

// hookSecret and hookSecret2 are webhook secret keys (two, for rotation).
const (
	hookSecret  = "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0"
	hookSecret2 = "Zm9vYmFyYmF6cXV4cXV1eHF1dXp6enp6"
)

// The fake Tiki. Every test that talks to Tiki starts from setup: a real
// HTTP server on loopback (httptest) that answers the routes the test
// writes, and a client of it. The API is mounted below the root (apiPath),
// so that a path the SDK built absolute instead of relative to its base
// URL misses every route. A route answers its requests with a script of
// answers (a 503, then a 200, ...); an answer is any http.HandlerFunc, so
// a test's own answer sees each request as it arrives. The server records
// every request it receives, so that a test asserts what went over the
// wire, and its clients record the waits they ask for between attempts
// instead of sleeping them. The OAuth2 token endpoint (oauth) and TikiNOW
// (tikiNowPath) are on the same server.

// apiPath is where setup's server serves Tiki's integration API.
const apiPath = "/prefix/integration"

// tikiNowPath is where it serves the TikiNOW business API.
const tikiNowPath = "/tikinow/business/v1"

// setup starts a fake Tiki for one test and returns a client of it: the
// API at apiPath and TikiNOW at tikiNowPath, the seller key testKey, no
// rate limit, at most 4 attempts with backoff waits of 10 to 80 ms and a
// Retry-After honoured up to 5 s, each wait recorded in the server
// (waits) and not slept, its HTTP client reaching loopback only
// (loopbackOnly). opts come last and override these. The server answers the routes the test writes with
// handle, handleRoot and respond (anything else is a 404 naming the
// request), and is closed when the test ends (a test that checks for
// leaked goroutines closes it first: Close waits for the requests it is
// answering and closes its clients' idle connections).
func setup(tb testing.TB, opts ...Option) (*Client, *server) {
	tb.Helper()
	s := &server{tb: tb, mux: http.NewServeMux(), routes: map[string]*route{}}
	s.handleRoot("/", func(w http.ResponseWriter, r *http.Request) {
		status(http.StatusNotFound, fmt.Sprintf(`{"errors":[%q]}`, "the fake Tiki has no route for "+r.Method+" "+r.URL.Path))(w, r)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s.client(tb, WithSellerKey(testKey), opts...), s
}

// server is the fake Tiki of setup.
type server struct {
	*httptest.Server
	tb  testing.TB
	mux *http.ServeMux

	mu       sync.Mutex
	routes   map[string]*route // by their ServeMux pattern
	got      []wire            // every request received, in order
	slept    []time.Duration   // every wait of its clients, in order
	unlogged bool              // the requests are not recorded
}

// client returns another client of s, authenticated with auth, with
// setup's other settings; opts come last and override them. Its waits are
// recorded in s too.
func (s *server) client(tb testing.TB, auth Option, opts ...Option) *Client {
	tb.Helper()
	base := []Option{
		WithBaseURL(s.URL + apiPath),
		WithTikiNowURL(s.URL + tikiNowPath),
		WithHTTPClient(&http.Client{Transport: loopbackOnly{tb: tb, next: s.transport()}}),
		auth,
		WithRateLimit(0, 0),
		WithRetry(4, 10*time.Millisecond, 80*time.Millisecond),
		WithMaxRetryAfter(5 * time.Second),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(tb, err)
	c.sleep = s.sleep
	return c
}

// transport is the HTTP transport of s's clients, for a test that wraps
// it in a RoundTripper of its own (which then may reach any host).
func (s *server) transport() http.RoundTripper { return s.Client().Transport }

// everyHost is an HTTP client that sends every request to s, whatever its
// URL's host (Tiki's production hosts among them), keeping the path and
// the Host header.
func (s *server) everyHost() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", s.Listener.Addr().String()
		return s.transport().RoundTrip(r)
	})}
}

// loopbackOnly is the transport of the fake's clients: a request to a host
// off loopback (Tiki's real hosts) fails the test and is not sent, so that
// no test reaches the network; any other goes through next.
type loopbackOnly struct {
	tb   testing.TB
	next http.RoundTripper
}

// CloseIdleConnections closes next's idle connections
// (Client.CloseIdleConnections).
func (l loopbackOnly) CloseIdleConnections() {
	if c, ok := l.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		l.tb.Errorf("a client of the fake Tiki sent %s %s, off loopback: give it the HTTP client everyHost", r.Method, r.URL.Redacted())
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("%s is off loopback: not sent", r.URL.Host)
	}
	return l.next.RoundTrip(r)
}

// serve records the request (unless s is unrecorded), then hands it to the
// routes.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	unlogged := s.unlogged
	s.mu.Unlock()
	if unlogged {
		s.mux.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body)) // an answer may read it too
	got := wire{
		Method: r.Method, Host: r.Host, Path: r.URL.Path, URI: r.RequestURI, RawQuery: r.URL.RawQuery,
		Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body),
	}
	s.mu.Lock()
	s.got = append(s.got, got)
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wireKey{}, got)))
}

// wireKey is the context key of the request's record, for its route.
type wireKey struct{}

// handle routes pattern to answers and returns the route: the route's
// first request is answered by the first of answers, the next by the next,
// and the last answers every request after it. pattern is an
// http.ServeMux pattern whose path is below the API base:
// "GET /v2/products/{id}" (an answer reads r.PathValue("id")), "/v2/things"
// for every method, "/" for every path. Handling a pattern again gives its
// route new answers, starting from the first; the route keeps its record.
func (s *server) handle(pattern string, answers ...http.HandlerFunc) *route {
	s.tb.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	return s.handleRoot(strings.TrimSpace(method+" "+apiPath+path), answers...)
}

// handleRoot is handle for a pattern whose path is from the server's
// root: TikiNOW's routes (below tikiNowPath), the OAuth2 token endpoint
// (tokenPath), a token URL of the test's own.
func (s *server) handleRoot(pattern string, answers ...http.HandlerFunc) *route {
	s.tb.Helper()
	require.NotEmpty(s.tb, answers, "a route needs an answer")
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.routes[pattern]; ok {
		rt.mu.Lock()
		rt.answers, rt.next = answers, 0
		rt.mu.Unlock()
		return rt
	}
	rt := &route{tb: s.tb, answers: answers}
	s.routes[pattern] = rt
	s.mux.HandleFunc(pattern, rt.serve)
	return rt
}

// respond routes method and path (below the API base) to an answer of
// code with the JSON body, for every request, and returns the route.
func (s *server) respond(method, path string, code int, body []byte) *route {
	s.tb.Helper()
	return s.handle(method+" "+path, status(code, string(body)))
}

// requests returns the requests s received, in order of arrival.
func (s *server) requests() []wire {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// count is the number of requests s received.
func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// last returns the last request s received; it fails the test if there
// is none.
func (s *server) last() wire {
	s.tb.Helper()
	got := s.requests()
	require.NotEmpty(s.tb, got, "nothing was sent")
	return got[len(got)-1]
}

// forget clears the record of s (not its routes'): requests and count
// start again from none.
func (s *server) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = nil
}

// unrecorded stops recording requests, in s and in its routes, for
// benchmarks and measurements of the heap, where a record of every request
// would weigh.
func (s *server) unrecorded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unlogged = true
}

// sleep is the wait of s's clients: it records d and returns at once, with
// the context's error.
func (s *server) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.slept = append(s.slept, d)
	s.mu.Unlock()
	return ctx.Err()
}

// waits returns the waits s's clients asked for, in order.
func (s *server) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.slept)
}

// route is one route of the fake: its answers and what it received.
type route struct {
	tb      testing.TB
	mu      sync.Mutex
	answers []http.HandlerFunc
	next    int    // the answer of the next request
	got     []wire // the requests received, in order
}

func (rt *route) serve(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	answer := rt.answers[min(rt.next, len(rt.answers)-1)]
	rt.next++
	if got, ok := r.Context().Value(wireKey{}).(wire); ok {
		rt.got = append(rt.got, got)
	}
	rt.mu.Unlock()
	answer(w, r)
}

// requests returns the requests the route received, in order of arrival.
func (rt *route) requests() []wire {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.got)
}

// last returns the last request the route received; it fails the test
// if there is none.
func (rt *route) last() wire {
	rt.tb.Helper()
	got := rt.requests()
	require.NotEmpty(rt.tb, got, "the route received nothing")
	return got[len(got)-1]
}

// count is the number of requests the route received.
func (rt *route) count() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return len(rt.got)
}

// The fake serves the API below the root only: a client whose paths miss
// the base (as a path built absolute would) reaches no route, and the 404
// names the request.
func TestFakeTikiServesTheAPIBelowTheRoot(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)

	rooted := s.client(t, WithSellerKey(testKey), WithBaseURL(s.URL))
	_, _, err = callThing(rooted, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Equal(t, []string{"the fake Tiki has no route for GET /v2/things"}, apiErr.Messages)
	assert.Equal(t, []string{apiPath + "/v2/things", "/v2/things"}, []string{s.requests()[0].Path, s.last().Path})
}

// Answers of the fake's routes.

// status answers code with body, as JSON unless the answer's Content-Type
// is already set (withHeader).
func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// withHeader sets the header k to v, then answers with h.
func withHeader(k, v string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(k, v)
		h(w, r)
	}
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// ok200 is a successful JSON answer.
var ok200 = status(200, `{"ok":true}`)

// The OAuth2 side of the fake.

// tokens is Tiki's OAuth2 token endpoint on the fake (oauth): it issues
// tok-1, tok-2, ... with refresh-1, refresh-2, ... and records each token
// request. Set its fields before the requests they concern.
type tokens struct {
	s     *server
	route *route
	n     atomic.Int32 // token requests received
	// valid reports whether the API accepts a bearer token (every token
	// unless set).
	valid func(token string) bool
	// expiresIn is the issued tokens' lifetime in seconds (3600).
	expiresIn int
	// fail, when set, is a JSON body answered with 401 instead of a token.
	fail string
	// body, when set, is a JSON body answered with 200 instead of tok-N.
	body string
	// delay holds each token answer back.
	delay time.Duration
}

// oauth serves Tiki's OAuth2 token endpoint on s, where clients find it
// (tokenPath at the host's root), and answers every request to the API
// with {"data":[]} when its bearer token is valid, and 401 {"errors":
// ["token expired"]} otherwise.
func (s *server) oauth() *tokens {
	s.tb.Helper()
	o := &tokens{s: s, valid: func(string) bool { return true }, expiresIn: 3600}
	o.route = s.handleRoot(http.MethodPost+" "+tokenPath, o.token)
	s.handle("/", o.api)
	return o
}

func (o *tokens) token(w http.ResponseWriter, r *http.Request) {
	n := o.n.Add(1)
	time.Sleep(o.delay)
	switch {
	case o.fail != "":
		status(http.StatusUnauthorized, o.fail)(w, r)
	case o.body != "":
		status(http.StatusOK, o.body)(w, r)
	default:
		status(http.StatusOK, fmt.Sprintf(`{"access_token":"tok-%d","expires_in":%d,"refresh_token":"refresh-%d","scope":"product order","token_type":"bearer"}`,
			n, o.expiresIn, n))(w, r)
	}
}

func (o *tokens) api(w http.ResponseWriter, r *http.Request) {
	if !o.valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		status(http.StatusUnauthorized, `{"errors":["token expired"]}`)(w, r)
		return
	}
	status(http.StatusOK, `{"data":[]}`)(w, r)
}

// issued is the number of token requests received.
func (o *tokens) issued() int { return int(o.n.Load()) }

// forms returns the form of each token request, in order.
func (o *tokens) forms() []url.Values {
	var out []url.Values
	for _, got := range o.route.requests() {
		form, _ := url.ParseQuery(got.Body)
		out = append(out, form)
	}
	return out
}

// basic returns the Authorization header of each token request, in order.
func (o *tokens) basic() []string {
	var out []string
	for _, got := range o.route.requests() {
		out = append(out, got.Header.Get("Authorization"))
	}
	return out
}

// apiTokens returns the bearer token of each request to the API, in order.
func (o *tokens) apiTokens() []string {
	var out []string
	for _, got := range o.s.requests() {
		if strings.HasPrefix(got.Path, apiPath+"/") {
			out = append(out, strings.TrimPrefix(got.Header.Get("Authorization"), "Bearer "))
		}
	}
	return out
}

// apiCalls is the number of requests to the API.
func (o *tokens) apiCalls() int { return len(o.apiTokens()) }

// callThing sends method to the catalog group's "things" path through
// c.do (with a small JSON body for POST and PUT) and decodes the answer.
func callThing(c *Client, method string) (map[string]any, *Response, error) {
	var out map[string]any
	var body any
	if method == http.MethodPost || method == http.MethodPut {
		body = map[string]any{"sku": "A-1", "price": 1000}
	}
	resp, err := c.do(context.Background(), &request{method: method, version: apiV2, path: "things", body: body}, &out)
	return out, resp, err
}

// clientCredentials authenticates with the test app's client credentials,
// sent in the given style.
func clientCredentials(style AuthStyle) Option {
	return WithClientCredentials(ClientCredentials{
		ClientID: testClientID, ClientSecret: testClientSecret,
		Scopes: []string{ScopeProduct, ScopeOrder}, AuthStyle: style,
	})
}

// testSeller is the seller id of the public-app clients of the tests.
const testSeller = "seller-1"

// storedApp returns WithOAuthApp for app and testSeller, over a fresh
// MemoryTokenStore holding tok (when not nil), and the store.
func storedApp(t testing.TB, app OAuthApp, tok *Token) (Option, *MemoryTokenStore) {
	t.Helper()
	store := NewMemoryTokenStore()
	if tok != nil {
		require.NoError(t, SaveToken(context.Background(), store, testSeller, tok))
	}
	return WithOAuthApp(app, store, testSeller), store
}

// pagedServer is setup with the values of attribute 7 served in pages: 3
// rows on page 1, 1 row on page 2 (a short page that is not the last), 2
// rows on page 3 of 3, and a 404 for any other page.
func pagedServer(t *testing.T) (*Client, *server) {
	t.Helper()
	c, s := setup(t)
	pages := map[string]string{
		"1": `{"data":[{"id":1},{"id":2},{"id":3}],"paging":{"current_page":1,"last_page":3,"per_page":3,"total":6}}`,
		"2": `{"data":[{"id":4}],"paging":{"current_page":2,"last_page":3,"per_page":3,"total":6}}`,
		"3": `{"data":[{"id":5},{"id":6}],"paging":{"current_page":3,"last_page":3,"per_page":3,"total":6}}`,
	}
	s.handle("GET /v2/attributes/7/values", func(w http.ResponseWriter, r *http.Request) {
		if body, ok := pages[r.URL.Query().Get("page")]; ok {
			status(200, body)(w, r)
			return
		}
		status(404, `{"errors":["no such page"]}`)(w, r)
	})
	return c, s
}

// What went over the wire: the fake records each request as a wire;
// requireWire asserts its method, path, query and standard headers,
// requireJSONEqual its body, and requireRefused that a bad option or
// argument is a *ValidationError and sends nothing.

// wire records what one request put on the wire.
type wire struct {
	Method   string
	Host     string // the Host header
	Path     string // from the server's root, unescaped
	URI      string // the request target as sent: escaped path and query
	RawQuery string
	Query    map[string][]string
	Header   http.Header
	Body     string
}

// requireWire asserts that got has the method, the path (below the API
// base), exactly the query (nil for none), and the SDK's standard headers
// with setup's seller key.
func requireWire(t *testing.T, got wire, method, path string, query map[string][]string) {
	t.Helper()
	require.Equal(t, method, got.Method)
	require.Equal(t, apiPath+path, got.Path)
	if query == nil {
		query = map[string][]string{}
	}
	require.Equal(t, query, got.Query)
	require.Equal(t, testKey, got.Header.Get("tiki-api"))
	require.Equal(t, "application/json", got.Header.Get("Accept"))
	require.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "tiki-go/"), got.Header.Get("User-Agent"))
}

// requireJSONEqual asserts that the JSON text got (a request body) holds
// the same value as the JSON text want.
func requireJSONEqual(t *testing.T, want string, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	require.Equal(t, w, g)
}

// requireRefused asserts that err is a *ValidationError with exactly the
// want problems and that s received nothing.
func requireRefused(t *testing.T, err error, s *server, want ...FieldProblem) {
	t.Helper()
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	assert.Zero(t, s.count(), "nothing may be sent for an invalid request")
}

// requireRefusals makes each call, named by its key, with a client of its
// own from setup, and asserts with requireRefused that it is refused with
// its problems and sends nothing.
func requireRefusals(t *testing.T, cases map[string]refusal) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			requireRefused(t, tc.call(c), s, tc.want...)
		})
	}
}

// first takes the first row (or error) of an iterator.
func first[T any](seq func(yield func(T, error) bool)) error {
	for _, err := range seq {
		return err
	}
	return nil
}

// refusal is a call that must be refused with exactly want.
type refusal struct {
	call func(c *Client) error
	want []FieldProblem
}

// Expected values: fixtures and what they decode to.

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// rawRows decodes a fixture's rows (a bare array, or under "data") as
// generic maps, to check every decoded field against the document.
func rawRows(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if json.Unmarshal(b, &rows) == nil {
		return rows
	}
	var wrapped struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &wrapped))
	return wrapped.Data
}

// str is v as a string ("" if it is not one).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// num is v as an integer: a JSON number, or 1 for true.
func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case bool:
		if n {
			return 1
		}
	}
	return 0
}

// boolean is v as a boolean: a JSON boolean, or a non-zero number.
func boolean(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case float64:
		return b != 0
	}
	return false
}

// vnTime is a time in Vietnam time, as Tiki's timestamps decode.
func vnTime(t *testing.T, s string) Time {
	t.Helper()
	tm, err := ParseTime(s)
	require.NoError(t, err)
	return tm
}

// requireOrder compares an order with want, field by field, and its raw
// form with the fixture it came from.
func requireOrder(t *testing.T, want Order, got Order, raw []byte) {
	t.Helper()
	requireJSONEqual(t, string(raw), string(got.Raw))
	got.Raw = nil
	if want.Store == nil {
		want.Store = got.Store
	}
	assert.Equal(t, want, got)
}

// simplifiedOrder is the short order of Tiki's confirmation guides
// (testdata/orders_v2/order_simplified_*.json) with the given model.
func simplifiedOrder(t *testing.T, model FulfillmentType) Order {
	return Order{
		Code: "613795703", FulfillmentType: model, Status: OrderStatusQueueing,
		CreatedAt: vnTime(t, "2021-06-02 10:39:45"), UpdatedAt: vnTime(t, "2021-06-02 10:39:46"),
		TikiWarehouse: TikiWarehouseInfo{Name: "Sài Gòn", Code: "sgn"},
		Items: []OrderItem{{
			ID:           191564100,
			Product:      OrderItemProduct{SKU: "SKU3754244478", Name: "Vịt xiêm nguyên con Organicfood - 1,5kg - 1.7-2kg", InventoryType: InventoryBackorder},
			Seller:       OrderItemSeller{ID: 46262, Name: "Organicfood"},
			Confirmation: ItemConfirmation{Status: ConfirmationWaiting, AvailableConfirmSLA: vnTime(t, "2021-06-02 14:40:00")},
		}},
		Customer: CustomerInfo{ID: 14492840, FullName: "Nguyễn Yin"},
	}
}

// orderOf returns the guides' simplified order with another model and,
// when given, another confirmation status for its item.
func orderOf(t *testing.T, model FulfillmentType, status ConfirmationStatus) *Order {
	o := simplifiedOrder(t, model)
	if status != "" {
		o.Items[0].Confirmation.Status = status
	}
	return &o
}

// validNewProduct is a configurable product (two options, two variants)
// that passes validation for the given API version.
func validNewProduct(version apiVersion) NewProduct {
	p := NewProduct{
		CategoryID:       1846,
		Name:             "Samsung Galaxy Note 10+",
		Description:      "this is description",
		MarketPrice:      10000000,
		Attributes:       map[string]any{"brand": "Samsung", "ram": "16GB"},
		Image:            "http://cdn.example/note10.jpg",
		Images:           []string{"http://cdn.example/note10-1.jpg"},
		OptionAttributes: []string{"color", "storage"},
		Variants: []Variant{
			{SKU: "sku1", Price: 10000001, Option1: "Black", Option2: "32GB", InventoryType: InventoryCrossBorder,
				SellerWarehouse: "1054,1233", Images: []string{"http://cdn.example/black.jpg"}},
			{SKU: "sku2", Price: 10000002, Option1: "White", Option2: "32GB", InventoryType: InventoryCrossBorder,
				SellerWarehouse: "1054, 1233"},
		},
		CertificateFiles: []CertificateFile{
			{URL: "http://cdn.example/brand.jpg", Type: CertificateBrand},
			{URL: "http://cdn.example/doc17.jpg", Type: CertificateCategory, DocumentID: 17},
		},
		MetaData: &ProductMetaData{IsAutoTurnOn: true},
	}
	for i := range p.Variants {
		switch version {
		case apiV21:
			p.Variants[i].WarehouseStocks = []WarehouseStock{{WarehouseID: 1054, QtyAvailable: 3}, {WarehouseID: 1233, QtyAvailable: 5}}
		case apiV2:
			p.Variants[i].Quantity = Ptr(21)
		case apiV1:
			p.Variants[i].Quantity = Ptr(21)
			p.Variants[i].Supplier = 239091
		}
	}
	return p
}

// batchItems returns n valid batch updates, by product id 1000, 1001, ...
func batchItems(n int) []BatchUpdateItem {
	items := make([]BatchUpdateItem, n)
	for i := range items {
		items[i] = BatchUpdateItem{ProductID: int64(1000 + i), Price: Money(10000 + i)}
	}
	return items
}

// Transports, limiters and writers that tests drive.

// timeoutFirst is an http.RoundTripper that lets the first request reach
// the server and then abandons it, as a client timeout would, as soon as
// received is closed (the server has seen it): the attempt fails with Sent
// set, without any timer. Later requests go through base unchanged.
type timeoutFirst struct {
	base     http.RoundTripper
	received <-chan struct{}
	n        atomic.Int32
}

func (f *timeoutFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) != 1 {
		return f.base.RoundTrip(r)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-f.received:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, err := f.base.RoundTrip(r.WithContext(ctx))
	if err == nil {
		// The answer raced the abandonment: drop it, as a timed-out
		// client does.
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	return nil, fmt.Errorf("attempt abandoned (client timeout): %w", err)
}

// newTimeoutFirstTransport returns a timeoutFirst over a fresh transport
// (closed when the test ends).
func newTimeoutFirstTransport(t *testing.T, received <-chan struct{}) *timeoutFirst {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &timeoutFirst{base: tr, received: received}
}

// roundTripFunc is a function as an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingLimiter counts Wait calls.
type countingLimiter struct{ n atomic.Int32 }

func (l *countingLimiter) Wait(ctx context.Context) error { l.n.Add(1); return ctx.Err() }

// lockedWriter is an io.Writer over w that many goroutines may share.
type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitUntil polls cond every millisecond until it holds or ctx ends, and
// reports whether it held.
func waitUntil(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// Secret hygiene: everything a caller can read from an error.

// reachableStrings collects every string and byte slice reachable from v,
// unexported fields included.
func reachableStrings(v reflect.Value, seen map[uintptr]bool, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*out = append(*out, string(v.Bytes()))
			return
		}
		for i := range v.Len() {
			reachableStrings(v.Index(i), seen, out)
		}
	case reflect.Array:
		for i := range v.Len() {
			reachableStrings(v.Index(i), seen, out)
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		reachableStrings(v.Elem(), seen, out)
	case reflect.Interface:
		if !v.IsNil() {
			reachableStrings(v.Elem(), seen, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			reachableStrings(v.Field(i), seen, out)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			reachableStrings(it.Key(), seen, out)
			reachableStrings(it.Value(), seen, out)
		}
	}
}

// errorTexts is everything a caller can read from err: its text, its %+v
// and %#v forms, and every string reachable from it.
func errorTexts(err error) []string {
	out := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%v", err)}
	reachableStrings(reflect.ValueOf(&err).Elem(), map[uintptr]bool{}, &out)
	return out
}

// Timing and throughput evidence, run by make evidence only.

// evidenceEnv names the environment variable that turns on the timing and
// throughput evidence (make evidence). Plain go test and make test skip
// it: its figures depend on the machine's load, and it takes seconds.
const evidenceEnv = "TIKI_EVIDENCE"

// requireEvidence skips the test unless the evidence run asked for it.
func requireEvidence(t *testing.T) {
	t.Helper()
	if os.Getenv(evidenceEnv) != "1" {
		t.Skipf("timing evidence: runs with %s=1 (make evidence)", evidenceEnv)
	}
}

// Refusals of enumeration values.

// unknownValue is the problem of a value of E that is neither documented
// nor allowed with WithEnumValues; known narrows the values to those a
// call takes (enums_test.go checks the text itself).
func unknownValue[E ~string](field string, value E, known ...E) FieldProblem {
	list := enumTable[reflect.TypeFor[E]()]
	if len(known) > 0 {
		list = names(known)
		if slices.Contains(enumTable[reflect.TypeFor[E]()], string(value)) {
			return FieldProblem{field, fmt.Sprintf("is %q, which this call does not take: it takes %s", string(value), joinQuoted(list...))}
		}
	}
	return FieldProblem{field, fmt.Sprintf("is %q, not one of the known %s values %s (a value Tiki added later is sent once allowed with tiki.WithEnumValues)",
		string(value), reflect.TypeFor[E]().Name(), joinQuoted(list...))}
}

// missingValue is the problem of a required enumeration field left empty.
func missingValue[E ~string](field string) FieldProblem {
	return FieldProblem{field, fmt.Sprintf("is required: one of the %s values %s", reflect.TypeFor[E]().Name(), joinQuoted(enumTable[reflect.TypeFor[E]()]...))}
}
