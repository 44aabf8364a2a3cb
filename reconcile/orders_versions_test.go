package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// tikiStatus returns an order's status on the fake.
func (e *ordersEnv) tikiStatus(code string) tiki.OrderStatus {
	e.t.Helper()
	o, ok := e.srv.Order(code)
	require.True(e.t, ok, "no order %s", code)
	return o.Status
}

// A consumer that was down longer than Lag drains its queue after the
// backfill delivered the order's newest status: the older events it then
// hands over do not overwrite it.
func TestOrdersBackfillLateEventsDoNotOverwriteANewerStatus(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	a := e.placeOrder()
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusPackaging)
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusShipping)

	report, err := e.once()
	require.NoError(t, err)
	require.Len(t, report.Lost, 1)
	assert.Equal(t, tiki.OrderStatusShipping, report.Lost[0].Status)

	require.True(t, e.live(), "the consumer drains queueing, packaging and shipping")
	assert.Equal(t, e.tikiStatus(a), e.handler.last().d.Status, "the handler's last word is Tiki's status")
}

// An order that returns to a status it was in is handed out again in it.
func TestOrdersBackfillAnOrderReturningToAStatusIsANewDelivery(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	a := e.placeOrder()
	for _, s := range []tiki.OrderStatus{tiki.OrderStatusProcessing, tiki.OrderStatusHolded, tiki.OrderStatusProcessing} {
		e.clock.Advance(10 * time.Second)
		e.setStatus(a, s)
		require.True(t, e.live())
	}
	assert.Equal(t, e.tikiStatus(a), e.handler.last().d.Status, "the live path hands out the return to processing")

	// The same, with the return's event lost: the backfill finds it.
	b := e.placeOrder()
	for _, s := range []tiki.OrderStatus{tiki.OrderStatusProcessing, tiki.OrderStatusHolded} {
		e.clock.Advance(10 * time.Second)
		e.setStatus(b, s)
		require.True(t, e.live())
	}
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	e.clock.Advance(10 * time.Second)
	e.setStatus(b, tiki.OrderStatusProcessing)
	report, err := e.once()
	require.NoError(t, err)
	require.Len(t, report.Lost, 1)
	assert.Equal(t, b, report.Lost[0].Code)
	assert.Equal(t, e.tikiStatus(b), e.handler.last().d.Status, "the backfill hands out the return to processing")
}

// Two statuses of one order in the same second cannot be ordered by their
// time: the order is read, and its current status is what is handed out.
func TestOrdersBackfillSettlesTwoStatusesOfOneSecondByReadingTheOrder(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	a := e.placeOrder()
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusPackaging)
	e.setStatus(a, tiki.OrderStatusShipping) // the same second
	ctx := context.Background()
	at := e.clock.Now()
	require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusShipping, At: at}))
	sent := e.srv.Requests()
	require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusPackaging, At: at.Add(300 * time.Millisecond)}))
	assert.Equal(t, sent+1, e.srv.Requests(), "the order is read")
	assert.Equal(t, 1, e.handler.count(orderKey(a, tiki.OrderStatusShipping)))
	assert.Zero(t, e.handler.count(orderKey(a, tiki.OrderStatusPackaging)), "the order is not in packaging any more")

	// The other way round: the current status after the older one.
	b := e.placeOrder()
	e.setStatus(b, tiki.OrderStatusCanceled)
	require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: b, Status: tiki.OrderStatusQueueing, At: at}))
	require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: b, Status: tiki.OrderStatusCanceled, At: at}))
	assert.Equal(t, tiki.OrderStatusCanceled, e.handler.last().d.Status)
	require.NotNil(t, e.handler.last().d.Order, "handed out as read")
	latest, err := e.store.Latest(ctx, []string{a, b})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{
		{Code: a, Status: tiki.OrderStatusShipping, At: at},
		{Code: b, Status: tiki.OrderStatusCanceled, At: at},
	}, latest)
}

// failing makes the tests' handler fail every delivery of code.
func (e *ordersEnv) failing(code string) {
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		if d.Code == code {
			return errors.New("the order system refuses order " + code)
		}
		return nil
	})
}

// parkOne places an order whose notifications are lost and whose handler
// fails, and runs a pass that parks it (the env's ParkAfter is 1). It
// returns the order's code and the pass's report.
func (e *ordersEnv) parkOne() (string, *reconcile.OrdersReport) {
	e.t.Helper()
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	bad := e.placeOrder()
	e.failing(bad)
	report, err := e.once()
	require.Error(e.t, err)
	require.Len(e.t, report.Parked, 1)
	return bad, report
}

// An order whose handler keeps failing is parked after ParkAfter passes:
// the checkpoint moves on, and each pass hands the order out again on its
// own, until the handler takes it.
func TestOrdersBackfillParksAnOrderWhoseHandlerKeepsFailing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOrdersEnv(t, reconcile.OrdersOptions{Window: 10 * time.Minute, Start: ordersT0, ParkAfter: 3})
	reconcile.SetDeliveredClock(e.store, e.clock.Now)
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	bad := e.placeOrder()
	e.clock.Advance(30 * time.Minute)
	good := e.placeOrder()
	e.failing(bad)

	for pass := 1; pass <= 2; pass++ {
		report, err := e.once()
		require.Error(t, err, "pass %d", pass)
		require.Len(t, report.Failed, 1)
		assert.Equal(t, bad, report.Failed[0].Key.Code)
		assert.Zero(t, report.Checkpoint, "pass %d: held before the failing order's window", pass)
		assert.Empty(t, report.Parked)
	}
	e.clock.Advance(time.Hour)
	report, err := e.once()
	require.Error(t, err)
	assert.Equal(t, report.To, report.Checkpoint, "the third failure parks the order: the checkpoint moves on")
	require.Len(t, report.Parked, 1)
	parked := report.Parked[0]
	assert.Equal(t, bad, parked.Key.Code)
	assert.Equal(t, 3, parked.Failures)
	assert.Contains(t, parked.Err, "the order system refuses order "+bad)
	assert.Equal(t, ordersT0.Add(30*time.Minute+ordersTestLag+time.Second), parked.First, "when the first pass failed")
	listed, err := e.b.Parked(ctx)
	require.NoError(t, err)
	assert.Equal(t, report.Parked, listed)
	assert.Equal(t, 1, e.handler.count(orderKey(good, tiki.OrderStatusQueueing)))

	// The next pass starts Overlap before the new checkpoint, not at the
	// parked order's window, and hands the parked order out on its own.
	checkpoint := report.Checkpoint
	e.wire.take()
	e.clock.Advance(time.Hour)
	report, err = e.once()
	require.Error(t, err)
	calls := e.wire.take()
	require.NotEmpty(t, calls)
	assert.Equal(t, ordersVN(checkpoint.Add(-ordersTestOverlap)), slices.MinFunc(calls, func(a, b ordersCall) int {
		return strings.Compare(a.window()[0], b.window()[0])
	}).window()[0])
	assert.Equal(t, 4, e.handler.count(orderKey(bad, tiki.OrderStatusQueueing)))
	require.Len(t, report.Parked, 1)
	assert.Equal(t, 4, report.Parked[0].Failures)
	assert.Equal(t, report.To, report.Checkpoint)

	// Once the handler takes it, it is delivered (a lost notification) and
	// no longer parked.
	e.handler.setFail(nil)
	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(bad, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	assert.Empty(t, report.Parked)
	listed, err = e.b.Parked(ctx)
	require.NoError(t, err)
	assert.Empty(t, listed)
	assert.True(t, e.handler.last().d.Backfilled)
	require.NotNil(t, e.handler.last().d.Order)
}

// A parked order that the live path delivers is no longer parked.
func TestOrdersBackfillUnparksAnOrderTheLivePathDelivers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOrdersEnv(t, reconcile.OrdersOptions{ParkAfter: 1})
	bad, report := e.parkOne()
	assert.Equal(t, report.To, report.Checkpoint)

	e.handler.setFail(nil)
	e.srv.LoseOrderNotifications(nil)
	e.clock.Advance(time.Second)
	e.setStatus(bad, tiki.OrderStatusCanceled)
	require.True(t, e.live())
	listed, err := e.b.Parked(ctx)
	require.NoError(t, err)
	assert.Empty(t, listed)
	report, err = e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Lost)
	assert.Empty(t, report.Parked)
	assert.Equal(t, 2, len(e.handler.calls), "the failed hand-out and the live delivery")

	// A parked order whose current status the handler already has is
	// unparked by the next pass without calling the handler.
	other := e.placeOrder()
	require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: other, Status: tiki.OrderStatusQueueing, At: e.clock.Now()}))
	_, err = e.store.RecordFailure(ctx, reconcile.OrderKey{Code: other, Status: tiki.OrderStatusQueueing, At: e.clock.Now()}, "down")
	require.NoError(t, err)
	calls := len(e.handler.calls)
	report, err = e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Parked)
	assert.Len(t, e.handler.calls, calls)
}

// A consumer that drains its queue late delivers an older status of an
// order whose newer status the backfill parked: the order stays parked,
// and the next pass hands its newer status out.
func TestOrdersBackfillKeepsAnOrderParkedWhenALateEventDeliversAnOlderStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOrdersEnv(t, reconcile.OrdersOptions{ParkAfter: 1})
	a := e.placeOrder()
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusPackaging)
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	e.clock.Advance(time.Minute)
	e.setStatus(a, tiki.OrderStatusShipping)
	e.failing(a)
	report, err := e.once()
	require.Error(t, err)
	require.Len(t, report.Parked, 1)
	assert.Equal(t, tiki.OrderStatusShipping, report.Parked[0].Key.Status)

	e.handler.setFail(nil)
	require.True(t, e.live(), "the consumer drains queueing and packaging, late")
	assert.Equal(t, tiki.OrderStatusPackaging, e.handler.last().d.Status)
	parked, err := e.b.Parked(ctx)
	require.NoError(t, err)
	require.Len(t, parked, 1, "an older delivery does not settle the parked newer one")

	e.clock.Advance(time.Hour) // the order's window is behind the next pass's overlap
	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(a, tiki.OrderStatusShipping)}, statusKeys(report.Lost))
	assert.Empty(t, report.Parked)
	assert.Equal(t, tiki.OrderStatusShipping, e.handler.last().d.Status, "the handler's last word is Tiki's status")
}

// A parked order that cannot be read again is a failed hand-out of that
// order: the pass goes on with the others and the checkpoint moves.
func TestOrdersBackfillAParkedOrderThatCannotBeReadDoesNotStopThePass(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{ParkAfter: 1})
	bad, _ := e.parkOne()

	e.handler.setFail(nil)
	e.clock.Advance(time.Hour)
	good := e.placeOrder()
	require.NoError(t, e.srv.Inject(tikitest.Fault{Method: http.MethodGet, Path: "/integration/v2/orders/" + bad, Status: http.StatusNotFound}))
	report, err := e.once()
	require.ErrorIs(t, err, tiki.ErrNotFound)
	assert.Equal(t, []reconcile.OrderKey{orderKey(good, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	require.Len(t, report.Failed, 1)
	assert.Equal(t, bad, report.Failed[0].Key.Code)
	assert.Equal(t, report.To, report.Checkpoint)
	require.Len(t, report.Parked, 1)
	assert.Equal(t, 2, report.Parked[0].Failures)
	assert.Contains(t, report.Parked[0].Err, "reading order "+bad)

	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(bad, tiki.OrderStatusQueueing)}, statusKeys(report.Lost))
	assert.Empty(t, report.Parked)
}

// Two windows that share a bound both list an order updated on it; while
// one window hands it out, the other waits for the outcome instead of
// handing it out again, so a failing handler is called once per pass and
// the order's failures count passes.
func TestOrdersBackfillHandsAFailingOrderOnASharedBoundOutOncePerPass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	bad := e.placeOrder() // at ordersT0: the bound of the pass's first two windows
	listed := func() int {
		e.wire.mu.Lock()
		defer e.wire.mu.Unlock()
		return len(e.wire.calls)
	}
	var calls atomic.Int32
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		calls.Add(1)
		for deadline := time.Now().Add(time.Second); listed() < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // the other window reaches the order meanwhile
		return errors.New("the order system refuses order " + d.Code)
	})
	report, err := e.once()
	require.Error(t, err)
	assert.Equal(t, 2, report.Windows)
	require.Len(t, report.Failed, 1)
	assert.Equal(t, int32(1), calls.Load(), "handed out once")
	failures, err := e.store.Failures(ctx)
	require.NoError(t, err)
	require.Len(t, failures, 1)
	assert.Equal(t, 1, failures[0].Failures)
	assert.Zero(t, report.Checkpoint, "neither window is complete")
	assert.Equal(t, bad, report.Failed[0].Key.Code)
}

// A delivery in the status the handler has, newer than the one recorded
// (the order left the status and returned to it, with the event of the
// status between lost or late), moves the order's latest delivery to its
// time: the late event of the status between is then older, and not handed
// out after it. Both the live path and the backfill record it.
func TestOrdersBackfillAKnownStatusSeenLaterMovesTheLatestDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("live", func(t *testing.T) {
		t.Parallel()
		e := newOrdersEnv(t, reconcile.OrdersOptions{})
		a := e.placeOrder()
		t0 := e.clock.Now()
		require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusProcessing, At: t0}))
		// The hold at t0+10s is late; the return to processing at t0+20s comes first.
		require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusProcessing, At: t0.Add(20 * time.Second)}))
		require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusHolded, At: t0.Add(10 * time.Second)}))
		assert.Equal(t, tiki.OrderStatusProcessing, e.handler.last().d.Status, "the late hold is older than the return to processing")
		assert.Zero(t, e.handler.count(orderKey(a, tiki.OrderStatusHolded)))
	})
	t.Run("backfill", func(t *testing.T) {
		t.Parallel()
		e := newOrdersEnv(t, reconcile.OrdersOptions{})
		e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
		a := e.placeOrder()
		placed := e.clock.Now()
		// The handler has the order queueing as of an earlier event.
		require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusQueueing, At: placed.Add(-20 * time.Second)}))
		_, err := e.once() // lists it queueing as of placed: known, and newer
		require.NoError(t, err)
		require.NoError(t, e.b.Deliver(ctx, reconcile.OrderDelivery{Code: a, Status: tiki.OrderStatusProcessing, At: placed.Add(-10 * time.Second)}))
		assert.Equal(t, tiki.OrderStatusQueueing, e.handler.last().d.Status, "a status older than the one the pass saw is not handed out")
		latest, err := e.store.Latest(ctx, []string{a})
		require.NoError(t, err)
		assert.True(t, latest[0].At.Equal(placed.Truncate(time.Second)), "latest at %v", latest[0].At)
	})
}
