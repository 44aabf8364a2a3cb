package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki"
)

func TestConsumerHandsEventsInOrderAndAcksAfterTheBatch(t *testing.T) {
	t.Parallel()
	q := newWireQueue(3)
	for i := range 7 {
		q.add(orderEvent(i))
	}
	r := newRig(t, q)
	var got []string
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		// Nothing of this batch is acknowledged while it is handled.
		assert.LessOrEqual(t, q.ackedCount(), index(e.ID)-index(e.ID)%3)
		got = append(got, e.OrderCode+"/"+e.SID)
		return nil
	})
	require.NoError(t, r.runUntilDrained())

	assert.Equal(t, []string{"0/S0", "1/S1", "2/S0", "3/S1", "4/S0", "5/S1", "6/S0"}, got)
	sent := q.sentAcks()
	assert.Equal(t, []string{"", "ack-1", "ack-2", "ack-3"}, sent[:4], "each pull acknowledges the previous batch")
	ack, _ := r.cp.Load(context.Background(), testQueue)
	assert.Equal(t, fmt.Sprintf("ack-%d", len(sent)), ack, "the checkpoint holds the last answer's ack id, its batch handled")
	require.GreaterOrEqual(t, len(r.reports), 3)
	assert.Equal(t, BatchReport{Queue: testQueue, AckID: "ack-1", Events: 3, Handled: 3, Oldest: orderEventTime}, r.reports[0])
	assert.Equal(t, BatchReport{Queue: testQueue, AckID: "ack-3", Events: 1, Handled: 1, Oldest: orderEventTime}, r.reports[2])
	assert.Empty(t, r.errors())
}

func TestConsumerHandlerErrorRedeliversTheBatchAndSkipsHandledEvents(t *testing.T) {
	t.Parallel()
	q := newWireQueue(4)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	r := newRig(t, q)
	var calls []string
	failed := false
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		calls = append(calls, e.ID)
		if e.ID == "ev-2" && !failed {
			failed = true
			return errors.New("database down")
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())

	assert.Equal(t, []string{"ev-0", "ev-1", "ev-2", "ev-2", "ev-3"}, calls, "the failed event comes again; the rest in order")
	assert.Equal(t, []string{"ev-0", "ev-1"}, r.dups, "redelivered handled events are reported as duplicates")
	assert.Equal(t, []string{"", ""}, q.sentAcks()[:2], "after a failure the next pull sends the previous ack id")
	errs := r.errors()
	require.Len(t, errs, 1)
	var he *HandlerError
	require.ErrorAs(t, errs[0], &he)
	assert.Equal(t, "ev-2", he.Event.ID)
	assert.EqualError(t, he.Err, "database down")
	assert.Equal(t, time.Second/2, min(r.waits[0], time.Second/2), "a backoff follows the failure")
}

func TestConsumerPanickingHandlerIsAnError(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0), orderEvent(1))
	r := newRig(t, q)
	n := 0
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		n++
		if n == 1 {
			panic("boom")
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	errs := r.errors()
	require.NotEmpty(t, errs)
	var pe *tiki.PanicError
	require.ErrorAs(t, errs[0], &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.NotEmpty(t, pe.Stack)
	assert.Equal(t, 3, n, "the event that panicked is handed out again")
	assert.True(t, q.drained())
}

func TestConsumerStopsCleanlyMidBatch(t *testing.T) {
	t.Parallel()
	q := newWireQueue(5)
	for i := range 5 {
		q.add(orderEvent(i))
	}
	r := newRig(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	var handled []string
	r.c.OnOrderCreated(func(hctx context.Context, e *tiki.OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID == "ev-1" {
			cancel() // the process is asked to stop during this handler
			assert.Error(t, hctx.Err(), "the handler's context ends too")
		}
		return nil
	})
	require.NoError(t, r.run(ctx), "a stop through the context is not an error")
	assert.Equal(t, []string{"ev-0", "ev-1"}, handled, "the handler running finishes; no further event is handed out")
	ack, _ := r.cp.Load(context.Background(), testQueue)
	assert.Equal(t, "", ack, "a half-handled batch's ack id is never saved")
	assert.Equal(t, 0, q.ackedCount())
	assert.Empty(t, r.errors())
	assert.Empty(t, r.reports)

	// A restart with the same checkpoint gets the batch again.
	r2 := newRig(t, q, WithCheckpoint(r.cp))
	var again []string
	r2.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error { again = append(again, e.ID); return nil })
	require.NoError(t, r2.runUntilDrained())
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-2", "ev-3", "ev-4"}, again)
}

func TestConsumerSavesAFullyHandledBatchEvenIfStoppedDuringItsLastEvent(t *testing.T) {
	t.Parallel()
	q := newWireQueue(2)
	q.add(orderEvent(0), orderEvent(1), orderEvent(2))
	r := newRig(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		if e.ID == "ev-1" {
			cancel()
		}
		return nil
	})
	require.NoError(t, r.run(ctx))
	ack, _ := r.cp.Load(context.Background(), testQueue)
	assert.Equal(t, "ack-1", ack)
	require.Len(t, r.reports, 1)
	assert.Equal(t, "ack-1", r.reports[0].AckID)
}

func TestConsumerBacksOffCappedWhenTikiFailsAndWhenIdle(t *testing.T) {
	t.Parallel()
	q := newWireQueue(5)
	q.fail(503, 503, 503, 503, 503, 503)
	r := newRig(t, q)
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	r.onIdle = func() { // the queue is empty: called on every wait
		if len(r.waits) >= 10 {
			cancel()
		}
	}
	require.NoError(t, r.run(ctx))
	require.GreaterOrEqual(t, len(r.waits), 10)
	// Failure waits: jittered in [d/2, d], d doubling from 1s, capped at 8s.
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
		assert.GreaterOrEqual(t, r.waits[i], d/2, i)
		assert.LessOrEqual(t, r.waits[i], d, i)
	}
	// Idle waits after the failures: the backoff restarted from 1s, capped
	// at 4s.
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		assert.GreaterOrEqual(t, r.waits[6+i], d/2, i)
		assert.LessOrEqual(t, r.waits[6+i], d, i)
	}
	assert.Len(t, r.errors(), 6)
	assert.Contains(t, r.logs.String(), "consecutive_failures=6", "the log counts the failures that followed each other")
}

func TestConsumerFallsBackWhenTikiRefusesTheAckID(t *testing.T) {
	t.Parallel()
	q := newWireQueue(5)
	q.add(orderEvent(0))
	r := newRig(t, q)
	require.NoError(t, r.cp.Save(context.Background(), testQueue, "expired-ack"))
	var got []string
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error { got = append(got, e.ID); return nil })
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"expired-ack", ""}, q.sentAcks()[:2])
	assert.Equal(t, []string{"ev-0"}, got)
	require.NotEmpty(t, r.errors())
}

func TestConsumerReturnsWhatRetryingCannotMend(t *testing.T) {
	t.Parallel()
	for _, code := range []int{401, 403, 404} {
		q := newWireQueue(5)
		q.fail(code)
		r := newRig(t, q)
		r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
		err := r.run(context.Background())
		var ae *tiki.APIError
		require.ErrorAs(t, err, &ae, code)
		assert.Equal(t, code, ae.StatusCode)
		assert.Len(t, q.sentAcks(), 1, "not retried")
	}
}

func TestConsumerEveryTypedHandler(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(
		orderEvent(0),
		`{"id":"s1","type":"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"1","status":"picking"}}`,
		`{"id":"p1","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_from":"1","price_to":"2"}}`,
		`{"id":"k1","type":"PRODUCT_MARKET_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"market_price_from":"3","market_price_to":"4"}}`,
		`{"id":"i1","type":"PRODUCT_INVENTORY_UPDATED","version":"v2","payload":{"product_id":1,"quantity_sellable_to":5}}`,
	)
	r := newRig(t, q)
	var got []string
	r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		got = append(got, "created "+e.OrderCode)
		return nil
	})
	r.c.OnOrderStatus(func(_ context.Context, e *tiki.OrderStatusUpdatedEvent) error {
		got = append(got, "status "+string(e.Status))
		return nil
	})
	r.c.OnPrice(func(_ context.Context, e *tiki.PriceUpdatedEvent) error {
		got = append(got, fmt.Sprint("price ", e.PriceTo))
		return nil
	})
	r.c.OnMarketPrice(func(_ context.Context, e *tiki.MarketPriceUpdatedEvent) error {
		got = append(got, fmt.Sprint("market ", e.MarketPriceTo))
		return nil
	})
	r.c.OnInventory(func(_ context.Context, e *tiki.InventoryUpdatedEvent) error {
		got = append(got, fmt.Sprint("stock ", e.QuantitySellableTo))
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"created 0", "status picking", "price 2", "market 4", "stock 5"}, got)
}

func TestConsumerRunsOneLoopAtATime(t *testing.T) {
	t.Parallel()
	q := newWireQueue(1)
	r := newRig(t, q)
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	started := make(chan struct{})
	var once atomic.Bool
	r.mt.RegisterResponder(http.MethodPost, pullURL, func(req *http.Request) (*http.Response, error) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.c.Run(ctx) }()
	<-started
	assert.ErrorIs(t, r.c.Run(context.Background()), ErrRunning)
	cancel()
	assert.NoError(t, <-done)
}

func TestConsumerCallbackPanicsAreContained(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0))
	r := newRig(t, q)
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	r.onBatch = func(context.Context, BatchReport) { panic("callback bug") }
	require.NoError(t, r.runUntilDrained())
	assert.True(t, q.drained())
	assert.Contains(t, r.logs.String(), "callback panicked")
}

// TestConsumerManyEventsFailuresAndRestarts drives 2,000 events of all five
// types (the 10,000-event version runs on the fake, in fake_test.go)
// through consumers whose handlers fail 5 % of the time and that are
// killed (their context ended mid-batch) and restarted three times. The
// checkpoint outlives the runs, as a durable one does (FileCheckpoint's
// durability has tests of its own); each run has a fresh in-memory dedupe,
// as a restarted process does.
func TestConsumerManyEventsFailuresAndRestarts(t *testing.T) {
	t.Parallel()
	const total = 2_000
	q := newWireQueue(20)
	types := []string{
		`"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"%d"}`,
		`"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"%d","orderCode":"1","status":"picking"}`,
		`"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":%d,"price_from":"100","price_to":"90"}`,
		`"PRODUCT_MARKET_PRICE_UPDATED","version":"v1","payload":{"product_id":%d,"market_price_from":"100","market_price_to":"90"}`,
		`"PRODUCT_INVENTORY_UPDATED","version":"v2","payload":{"product_id":%d,"warehouse_id":1,"quantity_sellable_to":"5"}`,
	}
	for i := range total {
		q.add(fmt.Sprintf(`{"id":"ev-%d","sid":"S","created_at":1740401636695,"type":`+types[i%5]+`}`, i, i+1))
	}
	cp := NewMemoryCheckpoint()
	rng := rand.New(rand.NewPCG(1, 2))

	var (
		handledOK = make([]int, total) // successful handlings per event
		failures  int
		dups      int
	)
	kills := map[int]bool{234: true, 789: true, 1500: true}
	for run := 0; run < 4 && !q.drained(); run++ {
		r := newRig(t, q, WithCheckpoint(cp))
		ctx, cancel := context.WithCancel(context.Background())
		handle := func(id string) error {
			i := index(id)
			// In order: an event is handed out only after every earlier one
			// was handled.
			if i > 0 {
				assert.Positive(t, handledOK[i-1], "event %d before %d", i, i-1)
			}
			if rng.IntN(100) < 5 {
				failures++
				return errors.New("flaky")
			}
			// None acknowledged before being handled.
			assert.LessOrEqual(t, q.ackedCount(), i)
			handledOK[i]++
			if kills[i] {
				delete(kills, i)
				cancel() // killed after the side effect, before the ack
			}
			return nil
		}
		r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error { return handle(e.ID) })
		r.c.OnOrderStatus(func(_ context.Context, e *tiki.OrderStatusUpdatedEvent) error { return handle(e.ID) })
		r.c.OnPrice(func(_ context.Context, e *tiki.PriceUpdatedEvent) error { return handle(e.ID) })
		r.c.OnMarketPrice(func(_ context.Context, e *tiki.MarketPriceUpdatedEvent) error { return handle(e.ID) })
		r.c.OnInventory(func(_ context.Context, e *tiki.InventoryUpdatedEvent) error { return handle(e.ID) })
		r.onIdle = cancel
		require.NoError(t, r.run(ctx))
		for _, id := range r.dups {
			require.Positive(t, handledOK[index(id)], "a reported duplicate %s was handled before", id)
		}
		dups += len(r.dups)
	}
	require.True(t, q.drained(), "every event acknowledged")
	require.Empty(t, kills, "three kills happened")
	again := 0
	for i, n := range handledOK {
		require.Positive(t, n, "event %d handled", i)
		again += n - 1
	}
	t.Logf("%d events, %d handler failures, %d duplicates recognised, %d handled again after a kill", total, failures, dups, again)
	assert.Greater(t, failures, 50)
	assert.Greater(t, dups, 50)
	assert.LessOrEqual(t, again, 3*20, "only the batches in flight at a kill are handled twice")
}

// TestConsumerLeavesNoGoroutine runs a consumer under a lease, with a
// handler past its time limit, until the queue is drained and checks that
// nothing of it is left running. It is not parallel, so that other tests'
// goroutines do not interfere.
func TestConsumerLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	q := newWireQueue(2)
	for i := range 5 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l), WithHandlerTimeout(time.Millisecond))
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		if e.ID == "ev-3" {
			<-ctx.Done()
			time.Sleep(5 * time.Millisecond) // past the limit
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	goleak.VerifyNone(t, before)
}

// A Consumer not made by NewConsumer is an error, not a panic; so is a nil
// context.
func TestConsumerZeroValuesAndNilContext(t *testing.T) {
	t.Parallel()
	var c Consumer
	var ve *tiki.ValidationError
	require.ErrorAs(t, c.Run(context.Background()), &ve)
	var nilConsumer *Consumer
	require.ErrorAs(t, nilConsumer.Run(context.Background()), &ve)
	assert.Contains(t, (&HandlerError{Err: errors.New("bad")}).Error(), "bad")
	assert.Contains(t, (&HandlerTimeoutError{Limit: time.Second}).Error(), "1s")

	r := newRig(t, newWireQueue(1))
	r.c.OnEvent(func(context.Context, *tiki.Event) error { return nil })
	var nilCtx context.Context
	err := r.c.Run(nilCtx)
	require.ErrorIs(t, err, tiki.ErrNilContext)
	require.ErrorAs(t, err, &ve)
	assert.Empty(t, r.q.sentAcks(), "nothing was sent")
}
