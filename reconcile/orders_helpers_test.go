package reconcile_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/deliveredtest"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// The helpers of the order backfill's tests.

// ordersT0 is when the fake's clock starts in the tests: a Friday morning
// in Vietnam.
var ordersT0 = deliveredtest.T0

// ordersClock is a clock that moves only when told to, shared by the fake
// and the backfill; newOrdersClock starts one at ordersT0.
type ordersClock = deliveredtest.Clock

// newOrdersClock returns a clock at ordersT0.
func newOrdersClock() *ordersClock { return deliveredtest.NewClock() }

// ordersCall is one order list request as it went over the wire.
type ordersCall struct {
	query url.Values
}

// window returns the request's updated_from_date and updated_to_date.
func (c ordersCall) window() [2]string {
	return [2]string{c.query.Get("updated_from_date"), c.query.Get("updated_to_date")}
}

// ordersWire records the order list requests a client sends.
type ordersWire struct {
	mu    sync.Mutex
	calls []ordersCall
	// before, when set, runs before each list request is sent.
	before func(q url.Values)
	next   http.RoundTripper
	// inFlight and maxInFlight count the list requests under way.
	inFlight, maxInFlight int
}

func (w *ordersWire) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && filepath.Base(r.URL.Path) == "orders" {
		w.mu.Lock()
		w.calls = append(w.calls, ordersCall{query: r.URL.Query()})
		w.inFlight++
		w.maxInFlight = max(w.maxInFlight, w.inFlight)
		before := w.before
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			w.inFlight--
			w.mu.Unlock()
		}()
		if before != nil {
			before(r.URL.Query())
		}
	}
	return w.next.RoundTrip(r)
}

// take returns the list requests sent since the last call.
func (w *ordersWire) take() []ordersCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.calls
	w.calls = nil
	return out
}

// ordersHandler is a seller's order handler that records what it was
// given. fail, when set, decides per delivery whether it fails.
type ordersHandler struct {
	mu          sync.Mutex
	calls       []ordersHandlerCall
	fail        func(d reconcile.OrderDelivery) error
	inFlight    int
	maxInFlight int
}

// ordersHandlerCall is one call of the handler and what it returned.
type ordersHandlerCall struct {
	d   reconcile.OrderDelivery
	err error
}

func (h *ordersHandler) handle(_ context.Context, d reconcile.OrderDelivery) error {
	h.mu.Lock()
	h.inFlight++
	h.maxInFlight = max(h.maxInFlight, h.inFlight)
	fail := h.fail
	h.mu.Unlock()
	var err error
	if fail != nil {
		err = fail(d)
	}
	h.mu.Lock()
	h.inFlight--
	h.calls = append(h.calls, ordersHandlerCall{d, err})
	h.mu.Unlock()
	return err
}

// setFail replaces the handler's failure rule.
func (h *ordersHandler) setFail(fail func(d reconcile.OrderDelivery) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = fail
}

// delivered returns the orders and statuses the handler accepted (keys
// without their At), by whether the backfill found them, sorted.
func (h *ordersHandler) delivered() (live, backfilled []reconcile.OrderKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.calls {
		switch {
		case c.err != nil:
		case c.d.Backfilled:
			backfilled = append(backfilled, statusKey(c.d.Key()))
		default:
			live = append(live, statusKey(c.d.Key()))
		}
	}
	return sortedOrderKeys(live), sortedOrderKeys(backfilled)
}

// count returns how many times the handler was called with k's order and
// status (whatever their At).
func (h *ordersHandler) count(k reconcile.OrderKey) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.calls {
		if statusKey(c.d.Key()) == statusKey(k) {
			n++
		}
	}
	return n
}

// statusKey is k without its At: the order and status.
func statusKey(k reconcile.OrderKey) reconcile.OrderKey {
	return reconcile.OrderKey{Code: k.Code, Status: k.Status}
}

// statusKeys are keys without their At, sorted.
func statusKeys(keys []reconcile.OrderKey) []reconcile.OrderKey {
	out := make([]reconcile.OrderKey, len(keys))
	for i, k := range keys {
		out[i] = statusKey(k)
	}
	return sortedOrderKeys(out)
}

// last returns the handler's last call.
func (h *ordersHandler) last() ordersHandlerCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[len(h.calls)-1]
}

// sortedOrderKeys returns keys sorted, never nil.
func sortedOrderKeys(keys []reconcile.OrderKey) []reconcile.OrderKey {
	keys = append([]reconcile.OrderKey{}, keys...)
	slices.SortFunc(keys, func(a, b reconcile.OrderKey) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), a.At.Compare(b.At), cmp.Compare(a.Status, b.Status))
	})
	return keys
}

// ordersEnv is a seller on the fake: orders, an event queue subscribed to
// the order events, a live path that hands them to the backfill, and the
// backfill.
type ordersEnv struct {
	t       *testing.T
	clock   *ordersClock
	srv     *tikitest.Server
	client  *tiki.Client
	wire    *ordersWire
	queue   string
	ack     string
	handler *ordersHandler
	store   reconcile.DeliveredStore
	opts    reconcile.OrdersOptions
	b       *reconcile.OrdersBackfill
	logs    *ordersLogBuffer // the backfill's log
}

// ordersLogBuffer is a bytes.Buffer safe for concurrent use.
type ordersLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *ordersLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *ordersLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Options of the tests' backfills: small windows and a short lag on the
// fake's clock.
const (
	ordersTestLag     = time.Minute
	ordersTestOverlap = 10 * time.Minute
)

// newOrdersEnv starts a fake and a backfill with a memory store; opts
// override the tests' options where set.
func newOrdersEnv(t *testing.T, opts reconcile.OrdersOptions) *ordersEnv {
	t.Helper()
	e := &ordersEnv{t: t, clock: newOrdersClock(), handler: &ordersHandler{}}
	e.srv = tikitest.NewServer(t, tikitest.WithClock(e.clock.Now))
	e.wire = &ordersWire{next: http.DefaultTransport}
	var err error
	e.client, err = e.srv.Client(tiki.WithHTTPClient(&http.Client{Transport: e.wire}),
		tiki.WithRetry(2, time.Millisecond, time.Millisecond), tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	ctx := context.Background()
	q, _, err := e.client.EventQueue.CreateQueue(ctx, "orders")
	require.NoError(t, err)
	e.queue = q.Code
	for _, typ := range []tiki.EventType{tiki.EventOrderCreated, tiki.EventOrderStatusUpdated} {
		_, _, err := e.client.EventQueue.Subscribe(ctx, e.queue, typ)
		require.NoError(t, err)
	}
	e.store, err = reconcile.NewMemoryDeliveredStore(0)
	require.NoError(t, err)
	e.opts = opts
	e.opts.Lag = ordersDefault(opts.Lag, ordersTestLag)
	e.opts.Overlap = ordersDefault(opts.Overlap, ordersTestOverlap)
	e.opts.Start = ordersDefault(opts.Start, ordersT0.Add(-time.Hour))
	e.opts.Now = e.clock.Now
	if e.opts.Logger == nil {
		e.logs = &ordersLogBuffer{}
		e.opts.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	}
	e.restart(e.store)
	return e
}

func ordersDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// restart makes a new backfill over store, as a restarted process does.
func (e *ordersEnv) restart(store reconcile.DeliveredStore) {
	e.t.Helper()
	e.store = store
	b, err := reconcile.NewOrdersBackfill(e.client, store, e.handler.handle, e.opts)
	require.NoError(e.t, err)
	e.b = b
}

// placeOrder places an order on the fake at the clock's time and returns
// its code.
func (e *ordersEnv) placeOrder() string {
	e.t.Helper()
	o, err := e.srv.CreateOrder(tikitest.OrderSpec{})
	require.NoError(e.t, err)
	return o.Code
}

// setStatus moves an order on the fake at the clock's time.
func (e *ordersEnv) setStatus(code string, status tiki.OrderStatus) {
	e.t.Helper()
	require.NoError(e.t, e.srv.SetOrderStatus(code, status))
}

// live pulls the order events waiting in the queue and hands each to the
// backfill's Deliver, as the event-queue consumer's handlers do, until the
// queue is empty or a delivery fails; the event whose delivery failed, and
// those after it, are pulled again by the next call. It reports whether
// the queue is empty.
func (e *ordersEnv) live() bool {
	e.t.Helper()
	ctx := context.Background()
	for {
		batch, _, err := e.client.EventQueue.Pull(ctx, e.queue, e.ack)
		require.NoError(e.t, err)
		if len(batch.Events) == 0 {
			return true
		}
		for _, ev := range batch.Events {
			d, err := ev.Decode()
			require.NoError(e.t, err)
			switch d := d.(type) {
			case *tiki.OrderCreatedEvent:
				err = e.b.Deliver(ctx, reconcile.OrderDelivery{Code: d.OrderCode, Status: d.Status, At: d.CreatedAt.Time})
			case *tiki.OrderStatusUpdatedEvent:
				err = e.b.Deliver(ctx, reconcile.OrderDelivery{Code: d.OrderCode, Status: d.Status, At: d.CreatedAt.Time})
			default:
				e.t.Fatalf("unexpected event %T", d)
			}
			var de *reconcile.OrderDeliveryError
			if errors.As(err, &de) {
				return false // not acknowledged: pulled again next time
			}
			require.NoError(e.t, err)
		}
		e.ack = batch.AckID
	}
}

// once runs a pass after the clock moved past the lag.
func (e *ordersEnv) once() (*reconcile.OrdersReport, error) {
	e.t.Helper()
	return e.onceWith(context.Background())
}

// orderKey is an order and status: a key without its At.
func orderKey(code string, status tiki.OrderStatus) reconcile.OrderKey {
	return reconcile.OrderKey{Code: code, Status: status}
}

// ordersVN formats t as the order list's query does.
func ordersVN(t time.Time) string { return t.In(tiki.Vietnam()).Format(tiki.TimeLayout) }

// requireOnceInOrder checks the deliveries the handler accepted: no key
// (order, status and At) accepted twice, and of each order no delivery
// accepted after a newer one.
func (h *ordersHandler) requireOnceInOrder(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[reconcile.OrderKey]bool{}
	newest := map[string]reconcile.OrderKey{}
	for _, c := range h.calls {
		if c.err != nil {
			continue
		}
		k := c.d.Key()
		require.False(t, seen[k], "%s accepted twice", k)
		seen[k] = true
		if n, ok := newest[k.Code]; ok {
			require.False(t, k.At.Before(n.At), "%s accepted after the newer %s", k, n)
		}
		newest[k.Code] = k
	}
}

// newestStatuses returns the status of each order's newest delivery the
// handler accepted.
func (h *ordersHandler) newestStatuses() map[string]tiki.OrderStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	at := map[string]time.Time{}
	out := map[string]tiki.OrderStatus{}
	for _, c := range h.calls {
		if c.err != nil {
			continue
		}
		k := c.d.Key()
		if prev, ok := at[k.Code]; !ok || !k.At.Before(prev) {
			at[k.Code], out[k.Code] = k.At, k.Status
		}
	}
	return out
}

// onceWith runs a pass with ctx after the clock moved past the lag.
func (e *ordersEnv) onceWith(ctx context.Context) (*reconcile.OrdersReport, error) {
	e.t.Helper()
	e.clock.Advance(e.opts.Lag + time.Second)
	return e.b.Once(ctx)
}
