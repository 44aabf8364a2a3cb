package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shared helpers of the root package's tests (package tiki). A helper
// used by one test file only stays in that file; everything used by two or
// more lives here. Tests in package tiki_test reach the few they need
// through helpers_external_test.go.

// Constants.

// testBase is mounted under a non-root path so that absolute-path mistakes
// show up in tests.
const testBase = "https://tiki.test/prefix/integration"

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

// tikiNowBase is the TikiNOW business API of the clients that register
// webhooks (setupAuth with WithTikiNowURL).
const tikiNowBase = "https://tikinow.test/business/v1"

// Clients. A service test starts from setup (a client over a fresh httpmock
// transport) or setupAuth (the same, with another way to authenticate); a
// transport test from setupServer (a client of a scripted loopback server,
// with recorded waits); an OAuth2 test from newOAuthServer.

// setup returns a client talking to a fresh httpmock transport (never the
// global one, so tests run in parallel): Tiki's API at testBase, the seller
// key testKey, no rate limit and short retry waits. opts come last and
// override these. Every service test starts here; requireWire and
// requireRefused check what the call put on the wire.
func setup(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	return setupAuth(t, WithSellerKey(testKey), opts...)
}

// setupAuth is setup authenticated with auth instead of the seller key.
func setupAuth(t *testing.T, auth Option, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithBaseURL(testBase),
		WithHTTPClient(&http.Client{Transport: mt}),
		auth,
		WithRateLimit(0, 0),
		WithRetry(4, time.Millisecond, 5*time.Millisecond),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// setupServer returns a client of s (under /prefix/integration) with the
// seller key testKey, no rate limit, retry waits of 10 to 80 ms that are
// recorded in the returned waits instead of slept, and a 5 s cap on
// Retry-After; opts come last and override these.
func setupServer(t *testing.T, s *server, opts ...Option) (*Client, *waits) {
	t.Helper()
	base := []Option{
		WithBaseURL(s.URL + "/prefix/integration"),
		WithSellerKey(testKey),
		WithRateLimit(0, 0),
		WithRetry(4, 10*time.Millisecond, 80*time.Millisecond),
		WithMaxRetryAfter(5 * time.Second),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	w := &waits{}
	c.sleep = w.sleep
	return c, w
}

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

// server is a loopback Tiki stand-in that answers with a scripted sequence
// of handlers (the last one repeats) and counts what it received.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	script []http.HandlerFunc
	count  atomic.Int32
	bodies []string
	header []http.Header
}

// newServer starts a loopback server that records each request and answers
// it with the next handler of script (the last one repeats); it is closed
// when the test ends.
func newServer(t *testing.T, script ...http.HandlerFunc) *server {
	t.Helper()
	s := &server{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.count.Add(1))
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.header = append(s.header, r.Header.Clone())
		h := s.script[min(n, len(s.script))-1]
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b)) // h may read it too
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// waits records the waits the client asked for, without sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// oauthServer is a Tiki stand-in with a token endpoint that issues
// tok-1, tok-2, ... and an API endpoint that accepts the tokens in valid.
type oauthServer struct {
	*httptest.Server
	tokens    atomic.Int32
	apiCalls  atomic.Int32
	mu        sync.Mutex
	forms     []url.Values
	basic     []string
	apiTokens []string
	valid     func(token string) bool
	expiresIn int
	tokenFail string // a JSON body answered with 401 by the token endpoint
	tokenBody string // a JSON body answered with 200 instead of tok-N
	delay     time.Duration
}

func (s *oauthServer) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithBaseURL(s.URL + "/integration"), WithRateLimit(0, 0)}, opts...)...)
	require.NoError(t, err)
	return c
}

// newOAuthServer starts an oauthServer that accepts every token; it is
// closed when the test ends.
func newOAuthServer(t *testing.T) *oauthServer {
	t.Helper()
	s := &oauthServer{valid: func(string) bool { return true }, expiresIn: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sc/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		n := s.tokens.Add(1)
		s.mu.Lock()
		s.forms = append(s.forms, r.PostForm)
		s.basic = append(s.basic, r.Header.Get("Authorization"))
		s.mu.Unlock()
		time.Sleep(s.delay)
		w.Header().Set("Content-Type", "application/json")
		if s.tokenFail != "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, s.tokenFail)
			return
		}
		if s.tokenBody != "" {
			fmt.Fprint(w, s.tokenBody)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":%d,"refresh_token":"refresh-%d","scope":"product order","token_type":"bearer"}`, n, s.expiresIn, n)
	})
	mux.HandleFunc("/integration/", func(w http.ResponseWriter, r *http.Request) {
		s.apiCalls.Add(1)
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		s.apiTokens = append(s.apiTokens, tok)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !s.valid(tok) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":["token expired"]}`)
			return
		}
		fmt.Fprint(w, `{"data":[]}`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// clientCredentials authenticates with the test app's client credentials,
// sent in the given style.
func clientCredentials(style AuthStyle) Option {
	return WithClientCredentials(ClientCredentials{
		ClientID: testClientID, ClientSecret: testClientSecret,
		Scopes: []string{ScopeProduct, ScopeOrder}, AuthStyle: style,
	})
}

// pagedServer answers attribute values pages: 3 rows on page 1, 1 row on
// page 2 (a short page that is not the last), 2 rows on page 3 of 3. It
// records each request's query; read the record once the walk is over.
func pagedServer(t *testing.T) (*Client, *[]string) {
	t.Helper()
	c, mt := setup(t)
	var mu sync.Mutex
	var pages []string
	mt.RegisterResponder(http.MethodGet, testBase+"/v2/attributes/7/values", func(r *http.Request) (*http.Response, error) {
		p := r.URL.Query().Get("page")
		mu.Lock()
		pages = append(pages, r.URL.RawQuery)
		mu.Unlock()
		body := map[string]string{
			"1": `{"data":[{"id":1},{"id":2},{"id":3}],"paging":{"current_page":1,"last_page":3,"per_page":3,"total":6}}`,
			"2": `{"data":[{"id":4}],"paging":{"current_page":2,"last_page":3,"per_page":3,"total":6}}`,
			"3": `{"data":[{"id":5},{"id":6}],"paging":{"current_page":3,"last_page":3,"per_page":3,"total":6}}`,
		}[p]
		if body == "" {
			return responseJSON(404, `{"errors":["no such page"]}`), nil
		}
		return responseJSON(200, body), nil
	})
	return c, &pages
}

// What went over the wire: a responder records the request, requireWire
// asserts its method, path, query and standard headers, requireJSONEqual its
// body, and requireRefused that a bad option or argument is a
// *ValidationError and sends nothing.

// wire records what one request put on the wire.
type wire struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   string
}

// respond registers a responder for method and the path below testBase that
// records the request in *got (if got is not nil) and answers status with
// body.
func respond(mt *httpmock.MockTransport, method, path string, status int, body []byte, got *wire) {
	respondURL(mt, method, testBase+path, status, body, got)
}

// respondURL is respond for an absolute URL (a client not under testBase).
func respondURL(mt *httpmock.MockTransport, method, rawURL string, status int, body []byte, got *wire) {
	mt.RegisterResponder(method, rawURL, func(r *http.Request) (*http.Response, error) {
		if got != nil {
			*got = wire{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
			if r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				got.Body = string(b)
			}
		}
		resp := httpmock.NewBytesResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
}

// responseJSON is an httpmock response with a JSON body.
func responseJSON(status int, body string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// trackingSequence answers GET /v2/tracking/{id} with the given bodies in turn
// (the last one repeats) and counts the polls.
func trackingSequence(mt *httpmock.MockTransport, trackID string, bodies ...string) *int {
	var mu sync.Mutex
	n := new(int)
	mt.RegisterResponder(http.MethodGet, testBase+"/v2/tracking/"+trackID, func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		body := bodies[min(*n, len(bodies)-1)]
		*n++
		return responseJSON(200, body), nil
	})
	return n
}

// requireWire asserts the method, path, query and the SDK's standard headers.
func requireWire(t *testing.T, got wire, method, path string, query map[string][]string) {
	t.Helper()
	require.Equal(t, method, got.Method)
	require.Equal(t, "/prefix/integration"+path, got.Path)
	if query == nil {
		query = map[string][]string{}
	}
	require.Equal(t, query, got.Query)
	require.Equal(t, testKey, got.Header.Get("tiki-api"))
	require.Equal(t, "application/json", got.Header.Get("Accept"))
	require.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "tiki-go/"), got.Header.Get("User-Agent"))
}

// requireJSONEqual compares a request body with the expected JSON text.
func requireJSONEqual(t *testing.T, want string, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	require.Equal(t, w, g)
}

// requireRefused asserts that err is a *ValidationError with exactly the
// want problems and that nothing was sent.
func requireRefused(t *testing.T, err error, mt *httpmock.MockTransport, want ...FieldProblem) {
	t.Helper()
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	assert.Equal(t, 0, mt.GetTotalCallCount(), "nothing may be sent for an invalid request")
}

// captured is one request as the server saw it.
type captured struct {
	Method, Path, Query, Body string
}

// captureAll answers every request with 200 {} and records it.
func captureAll(mt *httpmock.MockTransport) func() []captured {
	var mu sync.Mutex
	var got []captured
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		c := captured{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			c.Body = string(b)
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		return httpmock.NewStringResponse(http.StatusOK, `{}`), nil
	})
	return func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
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

// requireRefusals makes each call, named by its key, with a client of its
// own from setup, and asserts with requireRefused that it is refused with
// its problems and sends nothing.
func requireRefusals(t *testing.T, cases map[string]refusal) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := setup(t)
			requireRefused(t, tc.call(c), mt, tc.want...)
		})
	}
}

// Scripted answers of a loopback server.

// status answers code with a JSON body.
func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
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

// pullQueue is a loopback event queue with the pull rules of Tiki's
// documentation and the fake: a pull acknowledges the batch of the ack id
// it sends when that is the latest answer's, ignores an older one of the
// queue, refuses one the queue never issued (400), and answers the oldest
// unacknowledged events with a new ack id.
type pullQueue struct {
	mu     sync.Mutex
	events []string // raw events, in order
	acked  int      // events[:acked] are acknowledged
	issued map[string]int
	latest string
	size   int
	n      int
}

func (q *pullQueue) pull(ack string) (int, string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ack != "" {
		end, ok := q.issued[ack]
		if !ok {
			return 400, `{"errors":["ack_id is not valid for this queue"]}`
		}
		if ack == q.latest && end > q.acked {
			q.acked = end
		}
	}
	end := min(q.acked+q.size, len(q.events))
	q.n++
	id := fmt.Sprintf("ack-%d", q.n)
	q.issued[id], q.latest = end, id
	return 200, fmt.Sprintf(`{"events":[%s],"ack_id":%q}`, strings.Join(q.events[q.acked:end], ","), id)
}

func newPullQueue(n, size int) *pullQueue {
	q := &pullQueue{issued: map[string]int{}, size: size}
	for i := range n {
		q.events = append(q.events, fmt.Sprintf(`{"id":"ev-%d","sid":"S","created_at":1740401636695,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"%d"}}`, i, i))
	}
	return q
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

// closeHook is a response body that calls onClose when it is closed (after
// the client has read it).
type closeHook struct {
	io.ReadCloser
	onClose func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.onClose()
	return err
}

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

// RequireEvidence is requireEvidence for the tests of package tiki_test,
// which cannot see this package's unexported test helpers.
func RequireEvidence(t *testing.T) {
	t.Helper()
	requireEvidence(t)
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

// testSeller is the seller id of the public-app clients of the tests.
const testSeller = "seller-1"

// storedApp returns WithOAuthApp for app and testSeller, over a fresh
// MemoryTokenStore holding tok (when not nil), and the store.
func storedApp(t testing.TB, app OAuthApp, tok *Token) (Option, *MemoryTokenStore) {
	t.Helper()
	store := NewMemoryTokenStore()
	if tok != nil {
		if err := SaveToken(context.Background(), store, testSeller, tok); err != nil {
			t.Fatal(err)
		}
	}
	return WithOAuthApp(app, store, testSeller), store
}
