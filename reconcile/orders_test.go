package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/deliveredtest"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// --- What is handed out -------------------------------------------------

func TestOrdersBackfillHandsOutWhatTheLivePathLost(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	a := e.placeOrder()
	e.srv.LoseOrderNotifications(func(c tikitest.OrderChange) bool { return c.Code != a })
	e.clock.Advance(time.Minute)
	b := e.placeOrder()
	c := e.placeOrder()
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusCanceled) // delivered live: not lost
	e.setStatus(c, tiki.OrderStatusPackaging)
	require.True(t, e.live())

	report, err := e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(b, tiki.OrderStatusQueueing), orderKey(c, tiki.OrderStatusPackaging)}, statusKeys(report.Lost))
	assert.Empty(t, report.Failed)
	assert.Equal(t, 3, report.Listed)
	live, backfilled := e.handler.delivered()
	assert.Equal(t, []reconcile.OrderKey{orderKey(a, tiki.OrderStatusCanceled), orderKey(a, tiki.OrderStatusQueueing)}, live)
	assert.Equal(t, statusKeys(report.Lost), backfilled)

	// The backfill hands the order over as it read it.
	d := e.handler.last().d
	assert.True(t, d.Backfilled)
	require.NotNil(t, d.Order)
	assert.Equal(t, d.Code, d.Order.Code)
	assert.Equal(t, d.Status, d.Order.Status)

	// Delivered orders are not handed out again, neither by the next pass
	// nor by a late event.
	report, err = e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Lost)
	assert.Equal(t, 3, report.Listed, "the overlap lists them again")
	require.NoError(t, e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: b, Status: tiki.OrderStatusQueueing}))
	assert.Equal(t, 1, e.handler.count(orderKey(b, tiki.OrderStatusQueueing)))
}

func TestOrdersBackfillHandsOutTheCurrentStatusOnly(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	a := e.placeOrder()
	e.setStatus(a, tiki.OrderStatusPackaging)
	e.setStatus(a, tiki.OrderStatusShipping)

	report, err := e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(a, tiki.OrderStatusShipping)}, statusKeys(report.Lost),
		"the statuses the order left before the pass are not handed out")
}

func TestOrdersBackfillKeysStatusesByTheirCanonicalForm(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	a := e.placeOrder()
	// A live path that reports the Vietnamese value of queueing.
	require.NoError(t, e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusChoIn, At: e.clock.Now()}))

	report, err := e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Lost)
	assert.Equal(t, 1, e.handler.count(orderKey(a, tiki.OrderStatusQueueing)))
}

// --- Windows and bounds -------------------------------------------------

func TestOrdersBackfillWindowsShareTheirBounds(t *testing.T) {
	t.Parallel()
	start := ordersT0.Add(-time.Hour)
	e := newOrdersEnv(t, reconcile.OrdersOptions{Window: 20 * time.Minute, Requests: 1, Start: start})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	// An order updated exactly on the bound of the first two windows,
	// and one exactly at the end of the pass.
	e.clock.Advance(-40 * time.Minute)
	onBound := e.placeOrder()
	e.clock.Advance(40*time.Minute - ordersTestLag)
	atEnd := e.placeOrder()
	e.clock.Advance(-time.Second) // the pass below ends at atEnd's update time

	report, err := e.once()
	require.NoError(t, err)
	end := ordersT0.Add(-ordersTestLag)
	var windows [][2]string
	for _, c := range e.wire.take() {
		windows = append(windows, c.window())
		assert.Equal(t, "created_at|asc", c.query.Get("order_by"))
		assert.Equal(t, "100", c.query.Get("limit"))
	}
	assert.Equal(t, [][2]string{
		{ordersVN(start), ordersVN(start.Add(20 * time.Minute))},
		{ordersVN(start.Add(20 * time.Minute)), ordersVN(start.Add(40 * time.Minute))},
		{ordersVN(start.Add(40 * time.Minute)), ordersVN(end)},
	}, windows, "each window starts where the previous one ends")
	assert.Equal(t, []reconcile.OrderKey{orderKey(onBound, tiki.OrderStatusQueueing), orderKey(atEnd, tiki.OrderStatusQueueing)},
		statusKeys(report.Lost), "listed by two windows, handed out once")
	assert.Equal(t, 1, e.handler.count(orderKey(onBound, tiki.OrderStatusQueueing)))
	assert.Equal(t, end, report.Checkpoint)

	// The next pass starts Overlap before the checkpoint and sees the
	// order at the end again, without handing it out.
	e.clock.Advance(time.Minute)
	report, err = e.once()
	require.NoError(t, err)
	calls := e.wire.take()
	require.NotEmpty(t, calls)
	assert.Equal(t, ordersVN(end.Add(-ordersTestOverlap)), calls[0].window()[0])
	assert.Empty(t, report.Lost)
	assert.Equal(t, 1, report.Listed)
	assert.Equal(t, 1, e.handler.count(orderKey(atEnd, tiki.OrderStatusQueueing)))
}

func TestOrdersBackfillLeavesTheLagToTheLivePath(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	e.clock.Advance(ordersTestLag) // the pass ends at the time the order is placed
	e.clock.Advance(time.Second)
	late := e.placeOrder()

	report, err := e.b.Once(context.Background())
	require.NoError(t, err)
	assert.Empty(t, report.Lost, "changed less than Lag ago: its event may still come")
	assert.Equal(t, ordersT0.Add(time.Second), report.To)

	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(late, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
}

func TestOrdersBackfillSplitsAWindowThatDoesNotFitOnAPage(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Start: ordersT0})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	var codes []string
	for range 250 {
		codes = append(codes, e.placeOrder())
		e.clock.Advance(7 * time.Second)
	}

	report, err := e.once()
	require.NoError(t, err)
	assert.Len(t, report.Lost, 250)
	for _, code := range codes {
		assert.Equal(t, 1, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)))
	}
	calls := e.wire.take()
	assert.Equal(t, 6, report.Requests, "the window, then its five parts")
	assert.Equal(t, report.Requests, len(calls))
	assert.Equal(t, 5, report.Windows)
	for _, c := range calls {
		assert.Equal(t, "1", c.query.Get("page"), "every window is read with one request")
	}
	assert.Equal(t, report.To, report.Checkpoint)
}

// denseOrdersEnv places n orders in the same second, with their notifications
// lost.
func denseOrdersEnv(t *testing.T, n int) (*ordersEnv, []string) {
	e := newOrdersEnv(t, reconcile.OrdersOptions{Start: ordersT0})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	var codes []string
	for range n {
		codes = append(codes, e.placeOrder())
	}
	return e, codes
}

func TestOrdersBackfillWalksTheSecondsItCannotSplit(t *testing.T) {
	t.Parallel()
	e, codes := denseOrdersEnv(t, 230)

	report, err := e.once()
	require.NoError(t, err)
	assert.Len(t, report.Lost, 230)
	for _, code := range codes {
		assert.Equal(t, 1, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)))
	}
	var pages []string
	for _, c := range e.wire.take() {
		assert.Equal(t, [2]string{ordersVN(ordersT0), ordersVN(ordersT0.Add(time.Second))}, c.window())
		pages = append(pages, c.query.Get("page")+"/"+c.query.Get("limit"))
	}
	requireDenseWalk(t, pages)
}

// requireDenseWalk checks the requests of a walk of a dense second of
// three pages: the first page, the two others one at a time, then the
// total again.
func requireDenseWalk(t *testing.T, pages []string) {
	t.Helper()
	assert.Equal(t, []string{"1/100", "2/100", "3/100", "1/1"}, pages)
}

func TestOrdersBackfillReadsASecondAgainWhenItChangedDuringTheWalk(t *testing.T) {
	t.Parallel()
	e, codes := denseOrdersEnv(t, 230)
	// While the second page is requested, an order of the first page
	// changes: it leaves the window and the orders after it move up by
	// one, so the walk skips the first order of the second page.
	var once sync.Once
	e.wire.before = func(q url.Values) {
		if q.Get("page") == "2" {
			once.Do(func() { e.setStatus(codes[4], tiki.OrderStatusCanceled) })
		}
	}

	report, err := e.once()
	require.NoError(t, err)
	assert.Len(t, report.Lost, 229)
	for _, code := range codes[5:] {
		assert.Equal(t, 1, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)), code)
	}
	var pages []string
	for _, c := range e.wire.take() {
		pages = append(pages, c.query.Get("page")+"/"+c.query.Get("limit"))
	}
	require.Len(t, pages, 8, "the second, then the second read again: %v", pages)
	requireDenseWalk(t, pages[:4])
	requireDenseWalk(t, pages[4:])

	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(codes[4], tiki.OrderStatusCanceled)}, statusKeys(report.Lost))
}

// --- Failures -----------------------------------------------------------

func TestOrdersBackfillHandlerFailsThenSucceeds(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Window: 10 * time.Minute, Start: ordersT0})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	first := e.placeOrder()
	e.clock.Advance(25 * time.Minute)
	failing := e.placeOrder()
	failedAt := e.clock.Now()
	e.clock.Advance(10 * time.Minute)
	after := e.placeOrder()
	boom := errors.New("order system unavailable")
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		if d.Code == failing {
			return boom
		}
		return nil
	})

	report, err := e.once()
	var de *reconcile.OrderDeliveryError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, orderKey(failing, tiki.OrderStatusQueueing), statusKey(de.Key))
	assert.Equal(t, []*reconcile.OrderDeliveryError{de}, report.Failed)
	assert.Equal(t, []reconcile.OrderKey{orderKey(first, tiki.OrderStatusQueueing), orderKey(after, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	assert.Equal(t, ordersT0.Add(20*time.Minute), report.Checkpoint, "the checkpoint stops before the failed order's window")
	assert.True(t, report.Checkpoint.Before(failedAt))
	latest, err := e.store.Latest(context.Background(), []string{failing})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}}, latest, "never marked delivered")

	e.handler.setFail(nil)
	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(failing, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	assert.Equal(t, report.To, report.Checkpoint)
	assert.Equal(t, 2, e.handler.count(orderKey(failing, tiki.OrderStatusQueueing)))
	assert.Equal(t, 1, e.handler.count(orderKey(after, tiki.OrderStatusQueueing)))
}

func TestOrdersBackfillHandlerPanicIsAnError(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	code := e.placeOrder()
	e.handler.setFail(func(reconcile.OrderDelivery) error { panic("nil map") })

	report, err := e.once()
	var pe *tiki.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "nil map", pe.Value)
	require.Len(t, report.Failed, 1)
	assert.Equal(t, orderKey(code, tiki.OrderStatusQueueing), statusKey(report.Failed[0].Key))
	assert.Empty(t, report.Lost)

	e.handler.setFail(nil)
	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(code, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
}

func TestOrdersBackfillStopsWhenTheListFailsAndKeepsItsCheckpoint(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Window: 20 * time.Minute, Requests: 1})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	code := e.placeOrder()
	report, err := e.once()
	require.NoError(t, err)
	checkpoint := report.Checkpoint
	e.wire.take()

	e.clock.Advance(time.Hour)
	e.setStatus(code, tiki.OrderStatusCanceled)
	e.srv.Inject(tikitest.Fault{Method: "GET", Path: "/integration/v2/orders", Status: 503, Times: 2})
	report, err = e.once()
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Len(t, e.wire.take(), 2, "one window, tried twice; the pass stops")
	assert.Empty(t, report.Lost)
	assert.Equal(t, checkpoint, report.Checkpoint)

	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(code, tiki.OrderStatusCanceled)}, statusKeys(report.Lost))
}

func TestOrdersBackfillBoundsHandlerCallsAndRequests(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Workers: 3, Requests: 2, Window: time.Minute, Start: ordersT0})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	for range 60 {
		e.placeOrder()
		e.clock.Advance(10 * time.Second)
	}
	e.handler.setFail(func(reconcile.OrderDelivery) error {
		time.Sleep(time.Millisecond)
		return nil
	})

	report, err := e.once()
	require.NoError(t, err)
	assert.Len(t, report.Lost, 60)
	assert.LessOrEqual(t, e.handler.maxInFlight, 3)
	assert.Greater(t, report.Requests, 10)
	assert.LessOrEqual(t, e.wire.maxInFlight, 2)
}

// --- Checkpoint and restart ---------------------------------------------

func TestOrdersBackfillResumesFromItsCheckpointAfterARestart(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/orders.log"
	store, err := reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	e := newOrdersEnv(t, reconcile.OrdersOptions{Window: 10 * time.Minute, Workers: 1, Start: ordersT0})
	e.restart(store)
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	var codes []string
	e.clock.Advance(150 * time.Second)
	for range 12 {
		codes = append(codes, e.placeOrder()) // at 09:02:30, 09:07:30, ...
		e.clock.Advance(5 * time.Minute)
	}
	// The process dies while handling the seventh order (09:32:30): its
	// context ends.
	ctx, crash := context.WithCancel(context.Background())
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		if d.Code == codes[6] {
			crash()
			return ctx.Err()
		}
		return nil
	})
	e.clock.Advance(ordersTestLag)
	first, err := e.b.Once(ctx)
	require.ErrorIs(t, err, context.Canceled)
	checkpoint := first.Checkpoint
	assert.False(t, checkpoint.After(ordersT0.Add(30*time.Minute)), "not past the seventh order's window: %s", checkpoint)
	require.NoError(t, store.Close())

	// The restarted process reads the checkpoint and the deliveries from
	// the file and starts Overlap before the checkpoint (or at Start).
	store, err = reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	e.restart(store)
	e.handler.setFail(nil)
	e.wire.take()
	second, err := e.b.Once(context.Background())
	require.NoError(t, err)
	calls := e.wire.take()
	require.NotEmpty(t, calls)
	from := ordersT0
	if !checkpoint.IsZero() {
		from = checkpoint.Add(-ordersTestOverlap)
	}
	assert.Equal(t, ordersVN(from), slices.MinFunc(calls, func(a, b ordersCall) int {
		return strings.Compare(a.window()[0], b.window()[0])
	}).window()[0])
	assert.Len(t, append(first.Lost, second.Lost...), 12, "each order counted once")
	assert.Contains(t, statusKeys(second.Lost), orderKey(codes[6], tiki.OrderStatusQueueing))
	for i, code := range codes {
		want := 1
		if i == 6 {
			want = 2
		}
		assert.Equal(t, want, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)), "order %d", i)
	}
	assert.Equal(t, second.To, second.Checkpoint)
	cp, err := store.Checkpoint(context.Background())
	require.NoError(t, err)
	assert.True(t, second.To.Equal(cp), "%s", cp)
}

func TestOrdersBackfillRangeLeavesTheCheckpointAlone(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	code := e.placeOrder()
	e.clock.Advance(time.Hour)

	from, to := ordersT0.Add(-time.Minute), ordersT0.Add(time.Minute)
	report, err := e.b.Range(context.Background(), from, to)
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(code, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	assert.Zero(t, report.Checkpoint)
	assert.Equal(t, [][2]string{{ordersVN(from), ordersVN(to)}}, [][2]string{e.wire.take()[0].window()})
	cp, err := e.store.Checkpoint(context.Background())
	require.NoError(t, err)
	assert.Zero(t, cp)
}

// --- The live path ------------------------------------------------------

func TestOrdersBackfillDeliverRecordsTheLivePath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	code := e.placeOrder()
	d := reconcile.OrderDelivery{Code: code, Status: tiki.OrderStatusQueueing, At: e.clock.Now()}
	k := d.Key()

	// A failed handler leaves the delivery to the live path's retry.
	boom := errors.New("database down")
	e.handler.setFail(func(reconcile.OrderDelivery) error { return boom })
	err := e.b.Deliver(ctx, d)
	var de *reconcile.OrderDeliveryError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, k, de.Key)
	latest, err := e.store.Latest(ctx, []string{code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}}, latest)
	failures, err := e.store.Failures(ctx)
	require.NoError(t, err)
	assert.Empty(t, failures, "the live path's failures are its own to retry")

	e.handler.setFail(nil)
	require.NoError(t, e.b.Deliver(ctx, d))
	require.NoError(t, e.b.Deliver(ctx, d), "a duplicate")
	assert.Equal(t, 2, e.handler.count(k), "one failure, one success, no duplicate")
	assert.False(t, e.handler.last().d.Backfilled)
	assert.Nil(t, e.handler.last().d.Order, "not read")
	latest, err = e.store.Latest(ctx, []string{code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{k}, latest)

	report, err := e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Lost)
}

func TestOrdersBackfillDeliverReadsTheStatusItIsNotGiven(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	code := e.placeOrder()
	e.setStatus(code, tiki.OrderStatusPackaging)

	require.NoError(t, e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: code}))
	d := e.handler.last().d
	assert.Equal(t, tiki.OrderStatusPackaging, d.Status)
	require.NotNil(t, d.Order)
	assert.Equal(t, code, d.Order.Code)
	assert.Equal(t, d.Order.UpdatedAt.Time, d.At, "versioned by the order's update time")

	// A status without its time is read too: the order's current status
	// is delivered.
	e.clock.Advance(time.Second)
	e.setStatus(code, tiki.OrderStatusShipping)
	require.NoError(t, e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: code, Status: tiki.OrderStatusPackaging}))
	assert.Equal(t, tiki.OrderStatusShipping, e.handler.last().d.Status)

	err := e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: "999999999"})
	assert.ErrorIs(t, err, tiki.ErrNotFound)
}

func TestOrdersBackfillDeliverWaitsForTheSameOrderBeingHandedOut(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	code := e.placeOrder()
	at := e.clock.Now()
	release := make(chan struct{})
	var calls atomic.Int32
	e.handler.setFail(func(reconcile.OrderDelivery) error {
		calls.Add(1)
		<-release
		return nil
	})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: code, Status: tiki.OrderStatusQueueing, At: at})
		}()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // the other calls reach the wait
	close(release)
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.EqualValues(t, 1, calls.Load())
}

func TestOrdersBackfillDeliverHandledButNotRecordedIsLogged(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	code := e.placeOrder()
	store := &failingDeliveredStore{DeliveredStore: e.store, failMark: true}
	e.restart(store)

	err := e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: code, Status: tiki.OrderStatusQueueing, At: e.clock.Now()})
	assert.NoError(t, err, "the handler succeeded: the live path acknowledges")
	assert.Equal(t, 1, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)))
	assert.Contains(t, e.logs.String(), "level=WARN msg=\"reconcile: order handled but not recorded as delivered\" order="+code)
	assert.Contains(t, e.logs.String(), "disk full")

	// The backfill hands it out again, and reports that it cannot record it.
	report, err := e.once()
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore)
	require.Len(t, report.Failed, 1)
	assert.Empty(t, report.Lost)
	assert.Zero(t, report.Checkpoint)
}

// failingDeliveredStore is a DeliveredStore whose writes or reads fail on demand.
type failingDeliveredStore struct {
	reconcile.DeliveredStore
	failMark, failRead bool
}

func (s *failingDeliveredStore) MarkDelivered(ctx context.Context, keys ...reconcile.OrderKey) error {
	if s.failMark {
		return errors.New("disk full")
	}
	return s.DeliveredStore.MarkDelivered(ctx, keys...)
}

func (s *failingDeliveredStore) Latest(ctx context.Context, codes []string) ([]reconcile.OrderKey, error) {
	if s.failRead {
		return nil, errors.New("connection refused")
	}
	return s.DeliveredStore.Latest(ctx, codes)
}

func TestOrdersBackfillTurnsAStorePanicIntoAnError(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.placeOrder()
	e.restart(&panickingDeliveredStore{})

	_, err := e.once()
	var pe *tiki.PanicError
	assert.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore)
}

// panickingDeliveredStore is a DeliveredStore with a bug.
type panickingDeliveredStore struct{ reconcile.DeliveredStore }

func (panickingDeliveredStore) Checkpoint(context.Context) (time.Time, error) {
	return time.Time{}, nil
}

func (panickingDeliveredStore) Failures(context.Context) ([]reconcile.OrderFailure, error) {
	return nil, nil
}

func (panickingDeliveredStore) Latest(context.Context, []string) ([]reconcile.OrderKey, error) {
	panic("index out of range")
}

func TestOrdersBackfillStoreReadFailureStopsThePassWithoutCallingTheHandler(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	code := e.placeOrder()
	e.restart(&failingDeliveredStore{DeliveredStore: e.store, failRead: true})

	err := e.b.Deliver(context.Background(), reconcile.OrderDelivery{Code: code, Status: tiki.OrderStatusQueueing})
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore)
	report, err := e.once()
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore)
	assert.Empty(t, report.Lost)
	assert.Zero(t, e.handler.count(orderKey(code, tiki.OrderStatusQueueing)))
}

// --- Run ----------------------------------------------------------------

func TestOrdersBackfillRunPassesEveryInterval(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var reports []*reconcile.OrdersReport
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Interval: time.Millisecond,
		OnPass: func(_ context.Context, r *reconcile.OrdersReport, err error) {
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			reports = append(reports, r)
			if len(reports) == 1 {
				panic("a broken callback does not stop the loop")
			}
			if len(reports) == 3 {
				cancel()
			}
		}})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	code := e.placeOrder()
	e.clock.Advance(ordersTestLag + time.Second)

	done := make(chan error, 1)
	go func() { done <- e.b.Run(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reports, 3)
	assert.Equal(t, []reconcile.OrderKey{orderKey(code, tiki.OrderStatusQueueing)}, statusKeys(reports[0].Lost))
	assert.Empty(t, reports[1].Lost)
}

func TestOrdersBackfillRunReturnsWhatAnotherPassCannotMend(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Interval: time.Millisecond})
	client, err := tiki.NewClient(tiki.WithBaseURL(e.srv.URL), tiki.WithAccessToken("revoked"), tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	b, err := reconcile.NewOrdersBackfill(client, e.store, e.handler.handle, e.opts)
	require.NoError(t, err)

	err = b.Run(context.Background())
	assert.ErrorIs(t, err, tiki.ErrUnauthorized)
}

// A handler whose own error wraps a *tiki.ValidationError or Tiki's 401
// (the seller's system calling the SDK with a bad value, or with another
// credential) fails that order only: Run goes on passing, and the other
// orders are still delivered.
func TestOrdersBackfillRunGoesOnWhenAHandlerFailsWithAnSDKError(t *testing.T) {
	t.Parallel()
	for name, cause := range map[string]error{
		"validation":   &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "sku", Problem: "is required"}}},
		"unauthorized": fmt.Errorf("the ERP's call: %w", tiki.ErrUnauthorized),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			var errs []error
			e := newOrdersEnv(t, reconcile.OrdersOptions{Interval: time.Millisecond,
				OnPass: func(_ context.Context, _ *reconcile.OrdersReport, err error) {
					mu.Lock()
					defer mu.Unlock()
					if errs = append(errs, err); len(errs) == 3 {
						cancel()
					}
				}})
			e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
			bad := e.placeOrder()
			good := e.placeOrder()
			e.clock.Advance(ordersTestLag + time.Second)
			e.handler.setFail(func(d reconcile.OrderDelivery) error {
				if d.Code == bad {
					return cause
				}
				return nil
			})

			done := make(chan error, 1)
			go func() { done <- e.b.Run(ctx) }()
			select {
			case err := <-done:
				require.NoError(t, err, "a handler's error is no reason to stop every later pass")
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not stop")
			}
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, errs, 3)
			var de *reconcile.OrderDeliveryError
			require.ErrorAs(t, errs[0], &de)
			assert.Equal(t, bad, de.Key.Code)
			assert.Equal(t, 1, e.handler.count(orderKey(good, tiki.OrderStatusQueueing)))
		})
	}
}

func TestOrdersBackfillRunsOneLoop(t *testing.T) {
	t.Parallel()
	passed := make(chan struct{}, 1)
	e := newOrdersEnv(t, reconcile.OrdersOptions{Interval: time.Hour,
		OnPass: func(context.Context, *reconcile.OrdersReport, error) { passed <- struct{}{} }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.b.Run(ctx) }()
	<-passed
	assert.ErrorIs(t, e.b.Run(ctx), reconcile.ErrOrdersRunning)
	cancel()
	assert.NoError(t, <-done)
}

// --- Bad input ----------------------------------------------------------

func requireOrderProblems(t *testing.T, err error, fields ...string) {
	t.Helper()
	deliveredtest.RequireProblems(t, err, fields...)
}

// NewOrdersBackfill reports every problem at once, named and worded as New
// names and words the Engine's: the option's type and field, what is
// accepted (the default when it is 0) and the value given.
func TestNewOrdersBackfillRefusesBadArgumentsAtOnce(t *testing.T) {
	t.Parallel()
	start := time.Date(2124, 5, 10, 9, 0, 0, 0, time.UTC)
	_, err := reconcile.NewOrdersBackfill(nil, nil, nil, reconcile.OrdersOptions{
		Window: 1500 * time.Millisecond, Lag: -1, Overlap: -time.Second, Interval: -time.Minute,
		Start: start, Workers: -1, Requests: reconcile.MaxOrdersConcurrency + 1, ParkAfter: -1,
	})
	requireOrderProblems(t, err, "client", "store", "handler", "OrdersOptions.Window", "OrdersOptions.Lag", "OrdersOptions.Overlap",
		"OrdersOptions.Interval", "OrdersOptions.Start", "OrdersOptions.Workers", "OrdersOptions.Requests", "OrdersOptions.ParkAfter")
	assert.Equal(t, map[string]string{
		"client":                  "must not be nil",
		"store":                   "must not be nil",
		"handler":                 "must not be nil",
		"OrdersOptions.Window":    "must be 0 (the default, 1h0m0s) or a whole number of seconds, not 1.5s",
		"OrdersOptions.Lag":       "must be 0 (the default, 5m0s) or positive, not -1ns",
		"OrdersOptions.Overlap":   "must be 0 (the default, 1h0m0s) or positive, not -1s",
		"OrdersOptions.Interval":  "must be 0 (the default, 5m0s) or positive, not -1m0s",
		"OrdersOptions.Start":     "must not be in the future, not 2124-05-10T09:00:00Z",
		"OrdersOptions.Workers":   "must be from 0 (the default, 4) to 256, not -1",
		"OrdersOptions.Requests":  "must be from 0 (the default, 32) to 256, not 257",
		"OrdersOptions.ParkAfter": "must be 0 (the default, 5) or positive, not -1",
	}, problemsOf(t, err))
}

func TestOrdersBackfillRefusesBadCallsBeforeSending(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	sent := e.srv.Requests()
	var nilCtx context.Context

	_, err := e.b.Once(nilCtx)
	requireOrderProblems(t, err, "ctx")
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	requireOrderProblems(t, e.b.Run(nilCtx), "ctx")
	_, err = e.b.Parked(nilCtx)
	requireOrderProblems(t, err, "ctx")
	requireOrderProblems(t, e.b.Deliver(nilCtx, reconcile.OrderDelivery{}), "ctx", "OrderDelivery.Code")
	_, err = e.b.Range(nilCtx, time.Time{}, time.Time{})
	requireOrderProblems(t, err, "ctx", "from", "to")
	_, err = e.b.Range(context.Background(), ordersT0, ordersT0.Add(-time.Second))
	requireOrderProblems(t, err, "from")
	_, err = e.b.Range(context.Background(), ordersT0, ordersT0.Add(time.Second))
	requireOrderProblems(t, err, "to")

	var zero reconcile.OrdersBackfill
	_, err = zero.Once(context.Background())
	requireOrderProblems(t, err, "backfill")
	requireOrderProblems(t, zero.Deliver(context.Background(), reconcile.OrderDelivery{Code: "1"}), "backfill")
	_, err = zero.Parked(context.Background())
	requireOrderProblems(t, err, "backfill")
	var none *reconcile.OrdersBackfill
	requireOrderProblems(t, none.Run(context.Background()), "backfill")
	assert.Equal(t, sent, e.srv.Requests(), "nothing sent")
}
