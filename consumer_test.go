package tiki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// consumerRig is a Consumer wired to an in-process pullQueue (no HTTP) and
// a recorded, instant sleep; checks runs on every acknowledgement.
type consumerRig struct {
	t      *testing.T
	q      *pullQueue
	c      *Consumer
	cp     *MemoryCheckpoint
	mu     sync.Mutex
	pulls  []string // ack id sent by each pull
	waits  []time.Duration
	errs   []error
	dups   []string
	onIdle func() // called on each idle wait (the queue was empty)
}

func newConsumerRig(t *testing.T, q *pullQueue, opts ...ConsumerOption) *consumerRig {
	t.Helper()
	r := &consumerRig{t: t, q: q, cp: NewMemoryCheckpoint()}
	client, err := NewClient(WithBaseURL("https://tiki.test/integration"), WithRateLimit(0, 0))
	require.NoError(t, err)
	base := []ConsumerOption{
		WithCheckpoint(r.cp),
		WithOnError(func(_ context.Context, err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() }),
		WithOnDuplicate(func(_ context.Context, ev *Event) { r.mu.Lock(); r.dups = append(r.dups, ev.ID); r.mu.Unlock() }),
		WithIdleWait(time.Second, 4*time.Second),
		WithConsumerBackoff(time.Second, 8*time.Second),
	}
	r.c, err = NewConsumer(client, "q1", append(base, opts...)...)
	require.NoError(t, err)
	r.c.pull = func(ctx context.Context, queue, ack string) (*EventBatch, error) {
		r.mu.Lock()
		r.pulls = append(r.pulls, ack)
		r.mu.Unlock()
		code, body := q.pull(ack)
		if code != 200 {
			return nil, &APIError{StatusCode: code, Body: []byte(body)}
		}
		var b EventBatch
		require.NoError(t, b.decodeBody([]byte(body)))
		return &b, nil
	}
	r.c.sleep = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		r.waits = append(r.waits, d)
		idle := r.onIdle
		r.mu.Unlock()
		if idle != nil && q.drained() {
			idle()
		}
		return ctx.Err()
	}
	return r
}

// add appends raw events to the queue.
func (q *pullQueue) add(raw ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.events = append(q.events, raw...)
}

// drained reports whether every event was acknowledged.
func (q *pullQueue) drained() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked == len(q.events)
}

func (q *pullQueue) ackedCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked
}

// runUntilDrained runs the consumer until the queue is drained (then ends
// its context) and returns Run's error.
func (r *consumerRig) runUntilDrained() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.mu.Lock()
	r.onIdle = cancel
	r.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- r.c.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		r.t.Fatal("the consumer did not drain the queue")
		return nil
	}
}

func orderEvent(i int) string {
	return fmt.Sprintf(`{"id":"ev-%d","sid":"S%d","created_at":1740401636695,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"%d"}}`, i, i%2, i)
}

func TestConsumerHandsEventsInOrderAndAcksAfterTheBatch(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 3)
	for i := range 7 {
		q.add(orderEvent(i))
	}
	r := newConsumerRig(t, q)
	var got []string
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error {
		// Nothing of this batch is acknowledged while it is handled.
		assert.LessOrEqual(t, q.ackedCount(), int(mustIndex(e.ID))-int(mustIndex(e.ID))%3)
		got = append(got, e.OrderCode+"/"+e.SID)
		return nil
	})
	var reports []BatchReport
	r.c.onBatch = func(_ context.Context, b BatchReport) { reports = append(reports, b) }
	require.NoError(t, r.runUntilDrained())

	assert.Equal(t, []string{"0/S0", "1/S1", "2/S0", "3/S1", "4/S0", "5/S1", "6/S0"}, got)
	assert.Equal(t, []string{"", "ack-1", "ack-2", "ack-3"}, r.pulls[:4], "each pull acknowledges the previous batch")
	ack, _ := r.cp.Load(context.Background(), "q1")
	assert.Equal(t, fmt.Sprintf("ack-%d", len(r.pulls)), ack, "the checkpoint holds the last answer's ack id, its batch handled")
	require.GreaterOrEqual(t, len(reports), 3)
	assert.Equal(t, BatchReport{Queue: "q1", AckID: "ack-1", Events: 3, Handled: 3}, reports[0])
	assert.Equal(t, BatchReport{Queue: "q1", AckID: "ack-3", Events: 1, Handled: 1}, reports[2])
	assert.Empty(t, r.errs)
}

func mustIndex(id string) int64 {
	var n int64
	_, _ = fmt.Sscanf(id, "ev-%d", &n)
	return n
}

func TestConsumerHandlerErrorRedeliversTheBatchAndSkipsHandledEvents(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 4)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	r := newConsumerRig(t, q)
	var calls []string
	failed := false
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error {
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
	assert.Equal(t, []string{"", ""}, r.pulls[:2], "after a failure the next pull sends the previous ack id")
	require.Len(t, r.errs, 1)
	var he *HandlerError
	require.ErrorAs(t, r.errs[0], &he)
	assert.Equal(t, "ev-2", he.Event.ID)
	assert.EqualError(t, he.Err, "database down")
	assert.Equal(t, time.Second/2, min(r.waits[0], time.Second/2), "a backoff follows the failure")
}

func TestConsumerPanickingHandlerIsAnError(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 10)
	q.add(orderEvent(0), orderEvent(1))
	r := newConsumerRig(t, q)
	n := 0
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error {
		n++
		if n == 1 {
			panic("boom")
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	require.NotEmpty(t, r.errs)
	var pe *PanicError
	require.ErrorAs(t, r.errs[0], &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.NotEmpty(t, pe.Stack)
	assert.Equal(t, 3, n, "the event that panicked is handed out again")
	assert.True(t, q.drained())
}

func TestConsumerStopsCleanlyMidBatch(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 5)
	for i := range 5 {
		q.add(orderEvent(i))
	}
	r := newConsumerRig(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	var handled []string
	r.c.OnOrderCreated(func(hctx context.Context, e *OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID == "ev-1" {
			cancel() // the process is asked to stop during this handler
			assert.Error(t, hctx.Err(), "the handler's context ends too")
		}
		return nil
	})
	require.NoError(t, r.c.Run(ctx), "a stop through the context is not an error")
	assert.Equal(t, []string{"ev-0", "ev-1"}, handled, "the handler running finishes; no further event is handed out")
	ack, _ := r.cp.Load(context.Background(), "q1")
	assert.Equal(t, "", ack, "a half-handled batch's ack id is never saved")
	assert.Equal(t, 0, q.ackedCount())
	assert.Empty(t, r.errs)

	// A restart with the same checkpoint gets the batch again.
	r2 := newConsumerRig(t, q, WithCheckpoint(r.cp))
	var again []string
	r2.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error { again = append(again, e.ID); return nil })
	require.NoError(t, r2.runUntilDrained())
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-2", "ev-3", "ev-4"}, again)
}

func TestConsumerSavesAFullyHandledBatchEvenIfStoppedDuringItsLastEvent(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 2)
	q.add(orderEvent(0), orderEvent(1), orderEvent(2))
	r := newConsumerRig(t, q)
	ctx, cancel := context.WithCancel(context.Background())
	r.c.OnOrderCreated(func(context.Context, *OrderCreatedEvent) error { return nil })
	r.c.onBatch = func(context.Context, BatchReport) { cancel() }
	require.NoError(t, r.c.Run(ctx))
	ack, _ := r.cp.Load(context.Background(), "q1")
	assert.Equal(t, "ack-1", ack)
}

func TestConsumerBacksOffCappedWhenTikiFailsAndWhenIdle(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 5)
	r := newConsumerRig(t, q)
	var fails atomic.Int32
	inner := r.c.pull
	ctx, cancel := context.WithCancel(context.Background())
	r.c.pull = func(ctx context.Context, queue, ack string) (*EventBatch, error) {
		switch n := fails.Add(1); {
		case n <= 6:
			return nil, &APIError{StatusCode: 503}
		case n >= 12:
			cancel()
		}
		return inner(ctx, queue, ack)
	}
	r.mu.Lock()
	r.onIdle = nil
	r.mu.Unlock()
	require.NoError(t, r.c.Run(ctx))
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
	assert.Len(t, r.errs, 6)
}

func TestConsumerFallsBackWhenTikiRefusesTheAckID(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 5)
	q.add(orderEvent(0))
	r := newConsumerRig(t, q)
	require.NoError(t, r.cp.Save(context.Background(), "q1", "expired-ack"))
	var got []string
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error { got = append(got, e.ID); return nil })
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"expired-ack", ""}, r.pulls[:2])
	assert.Equal(t, []string{"ev-0"}, got)
	require.NotEmpty(t, r.errs)
}

func TestConsumerReturnsWhatRetryingCannotMend(t *testing.T) {
	t.Parallel()
	for _, code := range []int{401, 403, 404} {
		q := newPullQueue(0, 5)
		r := newConsumerRig(t, q)
		r.c.pull = func(context.Context, string, string) (*EventBatch, error) {
			return nil, &APIError{StatusCode: code}
		}
		err := r.c.Run(context.Background())
		var ae *APIError
		require.ErrorAs(t, err, &ae, code)
		assert.Equal(t, code, ae.StatusCode)
	}
}

func TestConsumerUnknownAndMalformedEventsAreNeverDropped(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 10)
	unknown := `{"id":"u1","sid":"S","type":"PRODUCT_ATTRIBUTE_UPDATED","version":"v1","payload":{"a":1}}`
	malformed := `{"id":"m1","sid":"S","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_to":"cheap"}}`
	q.add(unknown, malformed, orderEvent(1))
	r := newConsumerRig(t, q)
	var seen []string
	r.c.OnUnknown(func(ctx context.Context, e *Event) error {
		seen = append(seen, "unknown:"+string(e.Raw))
		return nil
	})
	var order []string
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error { order = append(order, e.ID); return nil })
	r.c.OnPrice(func(ctx context.Context, e *PriceUpdatedEvent) error { return nil })

	// Without OnMalformed, a malformed event of a type that has a handler
	// holds the queue: the events after it are not handed out and nothing
	// is acknowledged.
	ctx, cancel := context.WithCancel(context.Background())
	var errs atomic.Int32
	r.c.onError = func(_ context.Context, err error) {
		var de *EventDecodeError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, malformed, string(de.Event.Raw))
		if errs.Add(1) == 3 {
			cancel()
		}
	}
	require.NoError(t, r.c.Run(ctx))
	assert.Empty(t, order)
	assert.Equal(t, 0, q.ackedCount())
	assert.Equal(t, []string{"unknown:" + unknown}, seen, "the unknown event ran once; its redeliveries were duplicates")

	// With OnMalformed it gets the raw event and the queue moves on.
	var bad []string
	r.c.OnMalformed(func(ctx context.Context, e *EventDecodeError) error {
		bad = append(bad, string(e.Event.Raw))
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{malformed}, bad)
	assert.Equal(t, []string{"ev-1"}, order)
}

// A malformed event of a type nobody handles is acknowledged like a
// well-formed one would be; with only the catch-all handler, that handler
// receives it raw. Neither holds the queue back.
func TestConsumerMalformedEventsOfUnhandledTypes(t *testing.T) {
	t.Parallel()
	malformed := `{"id":"m1","sid":"S","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_to":"cheap"}}`

	q := newPullQueue(0, 10)
	q.add(malformed, orderEvent(1))
	r := newConsumerRig(t, q)
	var order []string
	r.c.OnOrderCreated(func(ctx context.Context, e *OrderCreatedEvent) error { order = append(order, e.ID); return nil })
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"ev-1"}, order)
	assert.Equal(t, 2, q.ackedCount())

	q2 := newPullQueue(0, 10)
	q2.add(malformed, orderEvent(1))
	r2 := newConsumerRig(t, q2)
	var raw []string
	r2.c.OnEvent(func(ctx context.Context, e *Event) error { raw = append(raw, e.ID); return nil })
	require.NoError(t, r2.runUntilDrained())
	assert.Equal(t, []string{"m1", "ev-1"}, raw)
}

func TestConsumerGenericHandlerAndUnhandledEvents(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 10)
	q.add(orderEvent(0), `{"id":"x1","type":"NEW_THING","version":"v1","payload":{}}`)
	var logs bytes.Buffer
	r := newConsumerRig(t, q, WithConsumerLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	var reports []BatchReport
	r.c.onBatch = func(_ context.Context, b BatchReport) { reports = append(reports, b) }
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, 2, reports[0].Unhandled)
	assert.Contains(t, logs.String(), "level=WARN msg=\"tiki: no handler for event; acknowledged\" queue=q1 event_id=x1 type=NEW_THING")

	q2 := newPullQueue(0, 10)
	q2.add(orderEvent(0), `{"id":"x1","type":"NEW_THING","version":"v1","payload":{}}`)
	r2 := newConsumerRig(t, q2)
	var all []string
	r2.c.OnEvent(func(ctx context.Context, e *Event) error {
		d, err := e.Decode()
		require.NoError(t, err)
		all = append(all, fmt.Sprintf("%s:%T", e.ID, d))
		return nil
	})
	require.NoError(t, r2.runUntilDrained())
	assert.Equal(t, []string{"ev-0:*tiki.OrderCreatedEvent", "x1:*tiki.Event"}, all)
}

func TestConsumerEveryTypedHandler(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 10)
	q.add(
		orderEvent(0),
		`{"id":"s1","type":"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"1","status":"picking"}}`,
		`{"id":"p1","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_from":"1","price_to":"2"}}`,
		`{"id":"k1","type":"PRODUCT_MARKET_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"market_price_from":"3","market_price_to":"4"}}`,
		`{"id":"i1","type":"PRODUCT_INVENTORY_UPDATED","version":"v2","payload":{"product_id":1,"quantity_sellable_to":5}}`,
	)
	r := newConsumerRig(t, q)
	var got []string
	r.c.OnOrderCreated(func(_ context.Context, e *OrderCreatedEvent) error {
		got = append(got, "created "+e.OrderCode)
		return nil
	})
	r.c.OnOrderStatus(func(_ context.Context, e *OrderStatusUpdatedEvent) error {
		got = append(got, "status "+string(e.Status))
		return nil
	})
	r.c.OnPrice(func(_ context.Context, e *PriceUpdatedEvent) error {
		got = append(got, fmt.Sprint("price ", e.PriceTo))
		return nil
	})
	r.c.OnMarketPrice(func(_ context.Context, e *MarketPriceUpdatedEvent) error {
		got = append(got, fmt.Sprint("market ", e.MarketPriceTo))
		return nil
	})
	r.c.OnInventory(func(_ context.Context, e *InventoryUpdatedEvent) error {
		got = append(got, fmt.Sprint("stock ", e.QuantitySellableTo))
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"created 0", "status picking", "price 2", "market 4", "stock 5"}, got)
}

func TestConsumerRefusesBadSetupAndSecondRun(t *testing.T) {
	t.Parallel()
	client, err := NewClient(WithBaseURL("https://tiki.test/integration"))
	require.NoError(t, err)
	_, err = NewConsumer(nil, "q")
	assert.Error(t, err)
	_, err = NewConsumer(client, " q")
	var ve *ValidationError
	assert.ErrorAs(t, err, &ve)
	_, err = NewConsumer(client, "q", nil)
	assert.Error(t, err)
	_, err = NewConsumer(client, "q", WithCheckpoint(nil))
	assert.Error(t, err)
	_, err = NewConsumer(client, "q", WithConsumerBackoff(0, time.Second))
	assert.Error(t, err)
	_, err = NewConsumer(client, "q", WithIdleWait(2*time.Second, time.Second))
	assert.Error(t, err)
	_, err = NewConsumer(client, "q", WithLease(&memLease{}), WithCheckpoint(NewMemoryCheckpoint()))
	assert.ErrorContains(t, err, "FencedCheckpoint")

	q := newPullQueue(0, 1)
	r := newConsumerRig(t, q)
	var nilCtx context.Context
	assert.ErrorIs(t, r.c.Run(nilCtx), ErrNilContext)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	r.c.pull = func(ctx context.Context, _, _ string) (*EventBatch, error) {
		select {
		case <-started:
		default:
			close(started)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	done := make(chan error, 1)
	go func() { done <- r.c.Run(ctx) }()
	<-started
	assert.ErrorIs(t, r.c.Run(context.Background()), ErrConsumerRunning)
	cancel()
	assert.NoError(t, <-done)
}

func TestConsumerCallbackPanicsAreContained(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 10)
	q.add(orderEvent(0))
	r := newConsumerRig(t, q)
	r.c.OnOrderCreated(func(context.Context, *OrderCreatedEvent) error { return nil })
	r.c.onBatch = func(context.Context, BatchReport) { panic("callback bug") }
	require.NoError(t, r.runUntilDrained())
	assert.True(t, q.drained())
}

func TestMemoryDedupeIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewMemoryDedupe(3)
	for _, k := range []string{"a", "b", "c", "a", "d"} {
		require.NoError(t, d.Done(ctx, k))
	}
	assert.Equal(t, 3, d.Len())
	for k, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true, "e": false} {
		seen, err := d.Seen(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, want, seen, k)
	}
	assert.Equal(t, DefaultDedupeSize, NewMemoryDedupe(0).size)
}

// memLease is a Lease and FencedCheckpoint in memory, for tests of the
// Consumer's side of the contract.
type memLease struct {
	mu     sync.Mutex
	fence  int64
	holder int64 // fence of the current hold, 0 when free
	lost   chan struct{}
	acks   map[string]string
	saves  []string
}

type memHold struct {
	l     *memLease
	fence int64
	lost  chan struct{}
}

func (l *memLease) Acquire(ctx context.Context, queue string) (LeaseHold, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder != 0 {
		return nil, errors.New("held")
	}
	l.fence++
	l.holder = l.fence
	l.lost = make(chan struct{})
	return &memHold{l: l, fence: l.fence, lost: l.lost}, nil
}

// takeOver makes another replica the holder: the current hold is lost.
func (l *memLease) takeOver() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fence++
	l.holder = l.fence
	close(l.lost)
}

func (h *memHold) Token() int64          { return h.fence }
func (h *memHold) Lost() <-chan struct{} { return h.lost }
func (h *memHold) Release(context.Context) error {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.l.holder == h.fence {
		h.l.holder = 0
	}
	return nil
}

func (l *memLease) Load(_ context.Context, queue string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks[queue], nil
}

func (l *memLease) Save(context.Context, string, string) error {
	return errors.New("unfenced save under a lease")
}

func (l *memLease) SaveFenced(_ context.Context, queue, ack string, fence int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fence != l.holder {
		return fmt.Errorf("fence %d is not current: %w", fence, ErrLeaseLost)
	}
	if l.acks == nil {
		l.acks = map[string]string{}
	}
	l.acks[queue] = ack
	l.saves = append(l.saves, ack)
	return nil
}

func TestConsumerUnderLeaseNeverSavesAfterLosingIt(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 2)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newConsumerRig(t, q, WithLease(l), WithCheckpoint(l))
	ctx, cancel := context.WithCancel(context.Background())
	var handled []string
	r.c.OnOrderCreated(func(hctx context.Context, e *OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID == "ev-3" {
			l.takeOver() // another replica takes the lease during this batch
			<-hctx.Done()
			cancel()
		}
		return nil
	})
	require.NoError(t, r.c.Run(ctx))
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-2", "ev-3"}, handled)
	assert.Equal(t, []string{"ack-1"}, l.saves, "the batch finished after the lease was lost is not saved")
}

func TestConsumerReacquiresTheLease(t *testing.T) {
	t.Parallel()
	q := newPullQueue(0, 2)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newConsumerRig(t, q, WithLease(l), WithCheckpoint(l))
	lostOnce := false
	r.c.OnOrderCreated(func(hctx context.Context, e *OrderCreatedEvent) error {
		if e.ID == "ev-2" && !lostOnce {
			lostOnce = true
			l.takeOver()
			l.mu.Lock()
			l.holder = 0 // the other replica died
			l.mu.Unlock()
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.True(t, q.drained())
	assert.GreaterOrEqual(t, l.fence, int64(3), "acquired again after losing it")
	assert.Equal(t, []string{"ack-1", "ack-3", "ack-4"}, l.saves[:3])
}

// TestConsumerManyEventsFailuresAndRestarts drives 2,000 events of all five
// types (the 10,000-event version runs on the fake, in
// consumer_fake_test.go) through consumers whose handlers fail 5 % of the time and that are
// killed (their context ended mid-batch) and restarted three times. The
// checkpoint outlives the runs, as a durable one does (FileCheckpoint's
// durability has tests of its own); each run has a fresh in-memory dedupe,
// as a restarted process does.
func TestConsumerManyEventsFailuresAndRestarts(t *testing.T) {
	t.Parallel()
	const total = 2_000
	q := newPullQueue(0, 20)
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
		maxFirst  = -1                 // highest event handled so far
		failures  int
		dups      int
	)
	kills := map[int]bool{234: true, 789: true, 1500: true}
	for run := 0; run < 4 && !q.drained(); run++ {
		r := newConsumerRig(t, q, WithCheckpoint(cp))
		ctx, cancel := context.WithCancel(context.Background())
		handle := func(id string) error {
			i := int(mustIndex(id))
			// In order: an event is handed out only after every earlier one
			// was handled, and never after a later one in the same run.
			if i > 0 {
				require.Positive(t, handledOK[i-1], "event %d before %d", i, i-1)
			}
			if rng.IntN(100) < 5 {
				failures++
				return errors.New("flaky")
			}
			// None acknowledged before being handled.
			require.LessOrEqual(t, q.ackedCount(), i)
			handledOK[i]++
			maxFirst = max(maxFirst, i)
			if kills[i] {
				delete(kills, i)
				cancel() // killed after the side effect, before the ack
			}
			return nil
		}
		r.c.OnOrderCreated(func(_ context.Context, e *OrderCreatedEvent) error { return handle(e.ID) })
		r.c.OnOrderStatus(func(_ context.Context, e *OrderStatusUpdatedEvent) error { return handle(e.ID) })
		r.c.OnPrice(func(_ context.Context, e *PriceUpdatedEvent) error { return handle(e.ID) })
		r.c.OnMarketPrice(func(_ context.Context, e *MarketPriceUpdatedEvent) error { return handle(e.ID) })
		r.c.OnInventory(func(_ context.Context, e *InventoryUpdatedEvent) error { return handle(e.ID) })
		r.mu.Lock()
		r.onIdle = cancel
		r.mu.Unlock()
		require.NoError(t, r.c.Run(ctx))
		for _, id := range r.dups {
			require.Positive(t, handledOK[mustIndex(id)], "a reported duplicate %s was handled before", id)
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

// TestConsumerLeavesNoGoroutine runs a consumer under a lease until the
// queue is drained and checks that nothing of it is left running. It is
// not parallel, so that other tests' goroutines do not interfere.
func TestConsumerLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	q := newPullQueue(0, 2)
	for i := range 5 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newConsumerRig(t, q, WithLease(l), WithCheckpoint(l))
	r.c.OnOrderCreated(func(context.Context, *OrderCreatedEvent) error { return nil })
	require.NoError(t, r.runUntilDrained())
	goleak.VerifyNone(t, before)
}

// A Consumer not made by NewConsumer, and an EventDecodeError without its
// event, are errors, not panics.
func TestConsumerZeroValues(t *testing.T) {
	t.Parallel()
	var c Consumer
	err := c.Run(context.Background())
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var nilConsumer *Consumer
	require.ErrorAs(t, nilConsumer.Run(context.Background()), &ve)
	assert.Contains(t, (&EventDecodeError{Err: errors.New("bad")}).Error(), "bad")
}
