package reconcile_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// followConsumer is an event-queue consumer of the env's queue whose order
// events the backfill follows.
func (e *ordersEnv) followConsumer() *eventqueue.Consumer {
	e.t.Helper()
	c, err := eventqueue.NewConsumer(e.client, e.queue, eventqueue.WithCheckpoint(eventqueue.NewMemoryCheckpoint()),
		eventqueue.WithIdleWait(time.Millisecond, 2*time.Millisecond), eventqueue.WithBackoff(time.Millisecond, 2*time.Millisecond),
		eventqueue.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(e.t, err)
	require.NoError(e.t, e.b.Follow(c))
	return c
}

// drain runs the consumer until it acknowledged every event the queue
// received, then stops it.
func (e *ordersEnv) drain(c *eventqueue.Consumer) {
	e.t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, ok := e.srv.EventQueue(e.queue)
		require.True(e.t, ok)
		if info.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			stop()
			e.t.Fatalf("the consumer did not drain the queue: %+v", info)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	require.NoError(e.t, <-done)
}

// A consumer that follows the backfill delivers the order events that
// arrive; a pass hands out what was lost; a consumer that drains its queue
// late, after a pass delivered the orders' newest statuses, hands out none
// of the older ones; and no delivery is handed out twice.
func TestOrdersBackfillFollowDeliversTheConsumersOrderEvents(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	consumer := e.followConsumer()
	lose := func(on bool) {
		if on {
			e.srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
		} else {
			e.srv.LoseOrderNotifications(nil)
		}
	}

	// Live: a, then a's packaging; c. Lost: b, and c's packaging.
	a := e.placeOrder()
	lose(true)
	b := e.placeOrder()
	lose(false)
	e.clock.Advance(time.Second)
	e.setStatus(a, tiki.OrderStatusPackaging)
	c := e.placeOrder()
	e.clock.Advance(time.Second)
	lose(true)
	e.setStatus(c, tiki.OrderStatusPackaging)
	lose(false)
	// The handler fails the first delivery of a's packaging: the consumer
	// does not acknowledge the event and hands it out again.
	var failed atomic.Bool
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		if d.Code == a && d.Status == tiki.OrderStatusPackaging && failed.CompareAndSwap(false, true) {
			return errors.New("order system busy")
		}
		return nil
	})
	e.drain(consumer)
	live, backfilled := e.handler.delivered()
	assert.Equal(t, sortedOrderKeys([]reconcile.OrderKey{orderKey(a, tiki.OrderStatusQueueing), orderKey(a, tiki.OrderStatusPackaging),
		orderKey(c, tiki.OrderStatusQueueing)}), live)
	assert.Empty(t, backfilled)
	assert.True(t, failed.Load())

	report, err := e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(b, tiki.OrderStatusQueueing), orderKey(c, tiki.OrderStatusPackaging)}, statusKeys(report.Lost))

	// The consumer is down while d goes through three statuses; the pass
	// finds d's newest, then the consumer drains the three older events.
	d := e.placeOrder()
	for _, s := range []tiki.OrderStatus{tiki.OrderStatusPackaging, tiki.OrderStatusShipping} {
		e.clock.Advance(time.Second)
		e.setStatus(d, s)
	}
	report, err = e.once()
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{orderKey(d, tiki.OrderStatusShipping)}, statusKeys(report.Lost))
	calls := len(e.handler.calls)
	e.drain(consumer)
	assert.Len(t, e.handler.calls, calls, "the late events are older than what the handler has")
	assert.Equal(t, tiki.OrderStatusShipping, e.handler.last().d.Status)

	report, err = e.once()
	require.NoError(t, err)
	assert.Empty(t, report.Lost)
	e.handler.requireOnceInOrder(t)
}

func TestOrdersBackfillFollowRefusesANilConsumer(t *testing.T) {
	t.Parallel()
	e := newOrdersEnv(t, reconcile.OrdersOptions{})
	requireOrderProblems(t, e.b.Follow(nil), "consumer")
	var none *reconcile.OrdersBackfill
	requireOrderProblems(t, none.Follow(nil), "backfill", "consumer")
}

func TestDeliveryOfTurnsOrderEventsIntoDeliveries(t *testing.T) {
	t.Parallel()
	at := tiki.NewTime(ordersT0)
	d, ok := reconcile.DeliveryOf(&tiki.OrderStatusUpdatedEvent{Event: tiki.Event{CreatedAt: at}, OrderCode: "300000001", Status: tiki.OrderStatusCanceled})
	assert.True(t, ok)
	assert.Equal(t, reconcile.OrderDelivery{Code: "300000001", Status: tiki.OrderStatusCanceled, At: ordersT0}, d)
	d, ok = reconcile.DeliveryOf(&tiki.OrderCreatedEvent{Event: tiki.Event{CreatedAt: at}, OrderCode: "300000002"})
	assert.True(t, ok)
	assert.Equal(t, reconcile.OrderDelivery{Code: "300000002", At: ordersT0}, d, "no status: Deliver reads the order")
	for _, ev := range []any{&tiki.PriceUpdatedEvent{}, (*tiki.OrderCreatedEvent)(nil), &tiki.OrderStatusUpdatedEvent{}, nil} {
		_, ok := reconcile.DeliveryOf(ev)
		assert.False(t, ok, "%T", ev)
	}
}
