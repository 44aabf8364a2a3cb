package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
)

// pullEvents returns the decoded events of the fake's queue code.
func pullEvents(t *testing.T, f *fake, code string) []any {
	t.Helper()
	b, _, err := f.client.EventQueue.Pull(context.Background(), code, "")
	require.NoError(t, err)
	var out []any
	for _, ev := range b.Events {
		typed, err := ev.Decode()
		require.NoError(t, err)
		out = append(out, typed)
	}
	return out
}

// observing returns a fake, an engine synced with its products A and B,
// and the code of a queue subscribed to the product events from then on.
func observing(t *testing.T) (*fake, *reconcile.Engine, string) {
	t.Helper()
	f := newFake(t)
	code := productQueue(t, f)
	e := synced(t, f, reconcile.Options{})
	pullEvents(t, f, code) // the events of the seeding
	return f, e, code
}

// productQueue makes a queue of the fake subscribed to the product
// events and returns its code.
func productQueue(t *testing.T, f *fake) string {
	t.Helper()
	ctx := context.Background()
	q, _, err := f.client.EventQueue.CreateQueue(ctx, "stock")
	require.NoError(t, err)
	for _, typ := range []tiki.EventType{tiki.EventProductInventoryUpdated, tiki.EventProductPriceUpdated} {
		_, _, err := f.client.EventQueue.Subscribe(ctx, q.Code, typ)
		require.NoError(t, err)
	}
	return q.Code
}

// Tiki's product events keep the engine's picture of Tiki fresh: a Set
// compares with what they reported, without reading Tiki.
func TestProductEventsKeepTheActualStateFresh(t *testing.T) {
	f, e, code := observing(t)
	ctx := context.Background()

	// Behind the engine's back: 3 units left in hn, a new price.
	require.NoError(t, f.srv.SetStock("A", whHN, 3))
	require.NoError(t, f.srv.SetPrice("A", 90000))
	events := pullEvents(t, f, code)
	require.Len(t, events, 2)
	for _, ev := range events {
		o, ok := reconcile.ObservationOf(ev)
		require.True(t, ok, "%T", ev)
		require.NoError(t, e.Observe(ctx, o))
	}

	// The books still say 5 at 100,000: the Set is written, with no read.
	f.wire.reset()
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}, Price: 100000}))
	rep, err := e.Flush(ctx)
	require.NoError(t, err)
	// The price was not managed before: only the stock is drift.
	assert.Equal(t, []string{"A changed price 90000->100000", "A changed quantity 919 3->5 drift"}, lines(rep))
	assert.Zero(t, rep.Reads)
	assert.Equal(t, 1, f.wire.total())
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"))
}

// Without the events, the same Set is taken as in step; an observation
// older than what the engine saw changes nothing; a stale one makes the
// next Set read the product first.
func TestObservationsOrderAndStaleness(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	e := synced(t, f, reconcile.Options{})
	require.NoError(t, f.srv.SetStock("A", whHN, 3))

	require.NoError(t, e.Observe(ctx, reconcile.Observation{SKU: "A", At: time.Now().Add(-time.Hour), Warehouse: whHN, Available: 1}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}}))
	rep, err := e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep, "the engine believes Tiki holds 5")
	assert.Zero(t, f.wire.total())

	require.NoError(t, e.Observe(ctx, reconcile.Observation{SKU: "A", Stale: true}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}}))
	rep, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 3->5 drift"}, lines(rep))
	assert.Equal(t, 1, rep.Reads)

	// A product the engine never saw is not recorded.
	require.NoError(t, e.Observe(ctx, reconcile.Observation{SKU: "UNKNOWN", Price: 1}))
	_, ok := reconcile.ObservationOf(&tiki.OrderCreatedEvent{})
	assert.False(t, ok)
}

// The event-queue consumer keeps the engine fresh with two lines: a Seller
// Center edit reaches the engine through the queue, and the next Set of
// the item reports it as drift and corrects it without reading Tiki.
func TestConsumerKeepsTheEngineFresh(t *testing.T) {
	f, e, code := observing(t)
	ctx := context.Background()

	// Seller Center: 3 units left in hn (with an order holding 1 of them).
	require.NoError(t, f.srv.SetStock("A", whHN, 3))
	f.order(t, "A", 1)

	run, stop := context.WithCancel(ctx)
	defer stop()
	var handled int
	consumer, err := eventqueue.NewConsumer(f.client, code,
		eventqueue.WithIdleWait(5*time.Millisecond, 10*time.Millisecond),
		eventqueue.WithOnBatch(func(_ context.Context, b eventqueue.BatchReport) {
			if handled += b.Handled; b.Events == 0 {
				stop() // caught up
			}
		}))
	require.NoError(t, err)
	consumer.OnPrice(e.ObservePrice)
	consumer.OnInventory(e.ObserveInventory)
	require.NoError(t, consumer.Run(run))
	require.Equal(t, 2, handled, "the edit and the order's reservation")

	f.wire.reset()
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}}))
	rep, err := e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 3->5 drift"}, lines(rep))
	assert.Zero(t, rep.Reads, "no read of Tiki: the queue told the engine")
	assert.Equal(t, 1, f.wire.total(), "one batch update")
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"))

	// Events that name no product are skipped; a nil context is refused.
	require.NoError(t, e.ObservePrice(ctx, &tiki.PriceUpdatedEvent{}))
	require.NoError(t, e.ObserveInventory(ctx, &tiki.InventoryUpdatedEvent{ProductID: 1}))
	var ve *tiki.ValidationError
	var nilCtx context.Context
	require.ErrorAs(t, e.ObservePrice(nilCtx, &tiki.PriceUpdatedEvent{ProductID: 1}), &ve)
	require.ErrorAs(t, e.ObserveInventory(nilCtx, &tiki.InventoryUpdatedEvent{}), &ve)
}

// A nil event of a product type, as a consumer or a caller may hand one
// over, is skipped: no panic.
func TestObserveNilEventsAreSkipped(t *testing.T) {
	f := newFake(t)
	e := f.engine(t, reconcile.Options{})
	ctx := context.Background()
	require.NotPanics(t, func() {
		assert.NoError(t, e.ObservePrice(ctx, nil))
		assert.NoError(t, e.ObserveInventory(ctx, nil))
		_, ok := reconcile.ObservationOf((*tiki.PriceUpdatedEvent)(nil))
		assert.False(t, ok)
		_, ok = reconcile.ObservationOf((*tiki.InventoryUpdatedEvent)(nil))
		assert.False(t, ok)
	})
}
