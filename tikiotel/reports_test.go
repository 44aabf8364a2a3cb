package tikiotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// A consumer given RecordBatch counts its batches and their events by
// outcome, and sets the queue's lag: how long ago the oldest event of the
// batch happened, 0 once an empty batch shows it caught up. Its pulls are
// spans named after the pull endpoint, without the queue's code.
func TestConsumerBatchesAndLag(t *testing.T) {
	t.Parallel()
	// The fake's clock runs 90 minutes behind: its events happened 90
	// minutes before the consumer handles them.
	const behind = 90 * time.Minute
	r := newRig(t, tikitest.WithClock(func() time.Time { return time.Now().Add(-behind) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := r.client(tiki.WithRateLimit(0, 0))
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders")
	require.NoError(t, err)
	_, _, err = client.EventQueue.Subscribe(ctx, q.Code, tiki.EventOrderCreated)
	require.NoError(t, err)
	for _, code := range []string{"800001", "800002", "800003"} {
		_, err := r.fake.EmitEvent(r.fake.DefaultSellerID(), tiki.EventOrderCreated, "v1", map[string]string{"order_code": code})
		require.NoError(t, err)
	}

	var lags []float64
	consumer, err := eventqueue.NewConsumer(client, q.Code, eventqueue.WithOnBatch(func(ctx context.Context, b eventqueue.BatchReport) {
		r.tel.RecordBatch(ctx, b)
		lags = append(lags, r.collect()["tiki.eventqueue.lag"]["tiki.queue.code="+q.Code])
		if b.Events == 0 {
			cancel()
		}
	}), eventqueue.WithIdleWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	consumer.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	require.NoError(t, consumer.Run(ctx))

	require.Len(t, lags, 2)
	assert.InDelta(t, behind.Seconds(), lags[0], 60, "the first batch's oldest event happened 90 minutes before")
	assert.Zero(t, lags[1], "an empty batch: caught up")
	m := r.collect()
	assert.Equal(t, map[string]float64{"tiki.queue.code=" + q.Code: 1}, m["tiki.eventqueue.batches"])
	assert.Equal(t, map[string]float64{"tiki.event.outcome=handled,tiki.queue.code=" + q.Code: 3}, m["tiki.eventqueue.events"])
	assert.Equal(t, map[string]float64{"tiki.queue.code=" + q.Code: 0}, m["tiki.eventqueue.lag"])
	pulls := 0
	for _, s := range r.ended() {
		if s.Name == "POST /v1/queues/{queueCode}/events/pull" {
			pulls++
			for _, a := range s.Attrs {
				assert.NotContains(t, a, q.Code)
			}
		}
	}
	assert.Equal(t, 2, pulls)
}

// Duplicates and ignored events are counted apart from handled ones.
func TestRecordBatchCountsEventsByOutcome(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.tel.RecordBatch(context.Background(), eventqueue.BatchReport{Queue: "q1", Events: 6, Handled: 3, Duplicates: 2, Ignored: 1})
	assert.Equal(t, map[string]float64{
		"tiki.event.outcome=handled,tiki.queue.code=q1":   3,
		"tiki.event.outcome=duplicate,tiki.queue.code=q1": 2,
		"tiki.event.outcome=ignored,tiki.queue.code=q1":   1,
	}, r.collect()["tiki.eventqueue.events"])
}

// A backfill pass given RecordOrdersPass counts the orders that only the
// backfill delivered as drift of kind "orders" (0 for a pass that found
// none); a pass that could not start records nothing. The orders' codes
// are recorded nowhere.
func TestOrdersPassDrift(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.tel.RecordOrdersPass(ctx, &reconcile.OrdersReport{Lost: []reconcile.OrderKey{
		{Code: "929231617", Status: tiki.OrderStatusQueueing},
		{Code: "929231618", Status: tiki.OrderStatusCanceled},
	}}, nil)
	r.tel.RecordOrdersPass(ctx, &reconcile.OrdersReport{}, nil)
	r.tel.RecordOrdersPass(ctx, nil, context.Canceled)
	assert.Equal(t, map[string]map[string]float64{
		"tiki.reconcile.drift": {"tiki.reconcile.kind=orders": 2},
	}, r.collect())
}
