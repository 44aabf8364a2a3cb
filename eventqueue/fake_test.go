package eventqueue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/tikitest"
)

// eventPayloads are one payload per documented event type, as Tiki sends
// them (prices as strings).
var eventPayloads = []struct {
	typ     tiki.EventType
	version string
	payload func(i int) any
}{
	{tiki.EventOrderCreated, "v1", func(i int) any { return map[string]any{"order_code": fmt.Sprint(800000 + i)} }},
	{tiki.EventOrderStatusUpdated, "v1", func(i int) any {
		return map[string]any{"order_code": fmt.Sprint(800000 + i), "orderCode": fmt.Sprint(800000 + i), "status": "picking"}
	}},
	{tiki.EventProductPriceUpdated, "v1", func(i int) any {
		return map[string]any{"product_id": 1000 + i, "original_sku": "sku", "price_from": "120000", "price_to": fmt.Sprint(100000 + i)}
	}},
	{tiki.EventProductMarketPriceUpdated, "v1", func(i int) any {
		return map[string]any{"product_id": 1000 + i, "original_sku": "sku", "market_price_from": "150000", "market_price_to": "140000"}
	}},
	{tiki.EventProductInventoryUpdated, "v2", func(i int) any {
		return map[string]any{"product_id": 1000 + i, "original_sku": "", "warehouse_id": 387453, "quantity_sellable_from": 10, "quantity_sellable_to": i % 10}
	}},
}

// quiet is a logger that drops every record.
var quiet = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))

// fakeQueue creates a queue on the fake, subscribes it to every documented
// type for the fake's seller, and returns the app's client and the code.
func fakeQueue(t *testing.T, s *tikitest.Server) (*tiki.Client, string) {
	t.Helper()
	ctx := context.Background()
	client, err := s.Client(tiki.WithRateLimit(0, 0), tiki.WithRetry(4, time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders and stock")
	require.NoError(t, err)
	for _, typ := range tiki.EventTypes() {
		_, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ)
		require.NoError(t, err)
	}
	return client, q.Code
}

// emit publishes an event of the seller sid on the fake and returns its id.
func emit(t *testing.T, s *tikitest.Server, sid int64, typ tiki.EventType, version string, payload any) string {
	t.Helper()
	id, err := s.EmitEvent(sid, typ, version, payload)
	require.NoError(t, err)
	return id
}

func TestConsumerOnFakeTellsSellersApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := tikitest.NewServer(t)
	app, code := fakeQueue(t, s)
	// A public app subscribes another seller with that seller's token.
	tok, err := s.AddSeller(4242)
	require.NoError(t, err)
	seller, err := tiki.NewClient(tiki.WithBaseURL(s.URL), tiki.WithAccessToken(tok), tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	sub, _, err := seller.EventQueue.Subscribe(ctx, code, tiki.EventOrderCreated)
	require.NoError(t, err)
	assert.Equal(t, "4242", sub.SID)
	_, _, err = seller.EventQueue.Pull(ctx, code, "")
	assert.ErrorIs(t, err, tiki.ErrForbidden, "the queue belongs to the app")

	emit(t, s, s.DefaultSellerID(), tiki.EventOrderCreated, "v1", map[string]any{"order_code": "1"})
	emit(t, s, 4242, tiki.EventOrderCreated, "v1", map[string]any{"order_code": "2"})

	c, err := eventqueue.NewConsumer(app, code, eventqueue.WithIdleWait(time.Millisecond, 2*time.Millisecond), eventqueue.WithLogger(quiet))
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got []string
	c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		got = append(got, e.SID+":"+e.OrderCode)
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	require.NoError(t, c.Run(runCtx))
	assert.Equal(t, []string{fmt.Sprint(s.DefaultSellerID()) + ":1", "4242:2"}, got)
}

// TestConsumerOnFakeTenThousandEvents is the end-to-end proof of the
// delivery guarantee on the fake: 10,000 events of all five types, handlers
// that fail 5 % of the time, lost pull answers and 503s on the pull path,
// and a consumer killed and restarted three times.
// Every event is handled at least once, first handlings come in the
// queue's order, no event is acknowledged before it was handled, and
// redeliveries are reported as duplicates.
func TestConsumerOnFakeTenThousandEvents(t *testing.T) {
	t.Parallel()
	const total = 10_000
	s := tikitest.NewServer(t)
	s.SetEventBatchSize(20)
	client, code := fakeQueue(t, s)
	index := make(map[string]int, total) // event id -> position in the queue
	for i := range total {
		p := eventPayloads[i%len(eventPayloads)]
		index[emit(t, s, s.DefaultSellerID(), p.typ, p.version, p.payload(i))] = i
	}
	info, _ := s.EventQueue(code)
	require.Equal(t, total, info.Pending)

	// The checkpoint outlives the runs, as a durable one does; a memory
	// one keeps the test fast (FileCheckpoint's fsyncs have tests of their
	// own, and the event-consumer example restarts from one).
	cp := eventqueue.NewMemoryCheckpoint()
	rng := rand.New(rand.NewPCG(7, 11))
	var (
		mu         sync.Mutex
		handled    = make([]int, total)
		next       = 0 // the first event never handled
		failures   int
		duplicates int
		problems   []string
	)
	kills := map[int]bool{2345: true, 5432: true, 8765: true}
	for run := 0; run < 4; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		handle := func(id string) error {
			mu.Lock()
			defer mu.Unlock()
			i, ok := index[id]
			if !ok {
				problems = append(problems, "unknown event "+id)
				return nil
			}
			if i > next {
				problems = append(problems, fmt.Sprintf("event %d handed out before event %d", i, next))
			}
			if info, _ := s.EventQueue(code); info.Acknowledged > int64(i) {
				problems = append(problems, fmt.Sprintf("event %d acknowledged before it was handled", i))
			}
			if rng.IntN(100) < 5 {
				failures++
				return errors.New("flaky handler")
			}
			handled[i]++
			if i == next {
				next++
			}
			if kills[i] {
				delete(kills, i)
				cancel() // killed after the work, before the ack id is saved
			}
			return nil
		}
		c, err := eventqueue.NewConsumer(client, code,
			eventqueue.WithCheckpoint(cp),
			eventqueue.WithLogger(quiet),
			eventqueue.WithBackoff(time.Millisecond, 2*time.Millisecond),
			eventqueue.WithIdleWait(time.Millisecond, 2*time.Millisecond),
			eventqueue.WithOnDuplicate(func(_ context.Context, e *tiki.Event) {
				mu.Lock()
				defer mu.Unlock()
				duplicates++
				if handled[index[e.ID]] == 0 {
					problems = append(problems, "duplicate of an event never handled: "+e.ID)
				}
			}),
			eventqueue.WithOnBatch(func(context.Context, eventqueue.BatchReport) {
				if info, _ := s.EventQueue(code); info.Pending == 0 {
					cancel()
				}
			}),
		)
		require.NoError(t, err)
		c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error { return handle(e.ID) })
		c.OnOrderStatus(func(_ context.Context, e *tiki.OrderStatusUpdatedEvent) error { return handle(e.ID) })
		c.OnPrice(func(_ context.Context, e *tiki.PriceUpdatedEvent) error { return handle(e.ID) })
		c.OnMarketPrice(func(_ context.Context, e *tiki.MarketPriceUpdatedEvent) error { return handle(e.ID) })
		c.OnInventory(func(_ context.Context, e *tiki.InventoryUpdatedEvent) error { return handle(e.ID) })
		if run == 1 {
			s.DropPullAnswers(3)
			s.Inject(tikitest.Fault{Method: http.MethodPost, Path: "/integration/v1/queues/" + code + "/events/pull", Status: 503, Times: 3})
		}
		require.NoError(t, c.Run(ctx))
		cancel()
		if info, _ := s.EventQueue(code); info.Pending == 0 && len(kills) == 0 {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, problems)
	require.Empty(t, kills, "three kills happened")
	info, _ = s.EventQueue(code)
	assert.EqualValues(t, total, info.Acknowledged)
	again := 0
	for i, n := range handled {
		require.Positive(t, n, "event %d handled", i)
		again += n - 1
	}
	t.Logf("%d events in %d pulls: %d handler failures, %d duplicates recognised, %d handled again after a kill", total, info.Pulls, failures, duplicates, again)
	assert.Greater(t, failures, 300)
	assert.Greater(t, duplicates, 300)
	assert.LessOrEqual(t, again, 3*20, "only the batches in flight at a kill are handled twice")
}
