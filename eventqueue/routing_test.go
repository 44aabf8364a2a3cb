package eventqueue

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// The no-handler rule: an event is handed to a handler or acknowledged
// because the caller said so; otherwise it stops its batch.

func TestRunRefusesAConsumerWithoutAnyHandler(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0))
	r := newRig(t, q, WithIgnore(tiki.EventTypes()...), WithIgnoreUnknown())
	err := r.c.Run(context.Background())
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "handlers", ve.Problems[0].Field)
	assert.Contains(t, err.Error(), "none is registered")
	assert.Empty(t, q.sentAcks(), "nothing was pulled")

	// A handler removed again is no handler either.
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	r.c.OnOrderCreated(nil)
	require.ErrorAs(t, r.c.Run(context.Background()), &ve)
	assert.Empty(t, q.sentAcks())
}

// An event of a type nothing takes is not acknowledged: its batch stops
// with a *HandlerError wrapping ErrNoHandler, reported and retried with
// backoff, and the events after it wait.
func TestEventWithoutHandlerIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"documented type": `{"id":"s1","type":"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"1","status":"picking"}}`,
		"unknown type":    unknownEvent,
		"unknown version": newVersion,
		"malformed":       malformedPrice,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			q := newWireQueue(10)
			q.add(orderEvent(0), raw, orderEvent(2))
			r := newRig(t, q)
			var got []string
			r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
				if e.Version == "v1" {
					got = append(got, e.ID)
				}
				return nil
			})
			ctx, cancel := context.WithCancel(context.Background())
			var reported []error
			r.c.onError = func(_ context.Context, err error) {
				if reported = append(reported, err); len(reported) == 3 {
					cancel()
				}
			}
			require.NoError(t, r.run(ctx))
			assert.Equal(t, []string{"ev-0"}, got, "the events after it wait")
			assert.Equal(t, []string{"", "", ""}, q.sentAcks(), "the batch is never acknowledged")
			assert.Zero(t, q.ackedCount())
			assert.Len(t, r.waits, 3, "each failure is followed by a backoff")
			assert.Empty(t, r.reports)
			for _, err := range reported {
				var he *HandlerError
				require.ErrorAs(t, err, &he)
				assert.ErrorIs(t, err, ErrNoHandler)
				assert.NotEqual(t, "ev-0", he.Event.ID)
			}
			assert.Contains(t, r.logs.String(), "no handler for the event")
		})
	}
}

// Each explicit decision lets the events through: a handler of the kind,
// the type ignored, unknown events ignored, or the catch-all.
func TestEventsAcknowledgedWithoutAHandlerOnlyWhenTheCallerSaidSo(t *testing.T) {
	t.Parallel()
	status := `{"id":"s1","type":"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"1","status":"picking"}}`
	cases := []struct {
		name    string
		opts    []Option
		set     func(c *Consumer, got *[]string)
		handled []string // events that reached a handler other than OnOrderCreated
		ignored int
	}{
		{name: "WithIgnore: every version, decoded or not, before OnEvent",
			opts: []Option{WithIgnore(tiki.EventOrderStatusUpdated, tiki.EventProductPriceUpdated, tiki.EventOrderCreated)},
			set: func(c *Consumer, got *[]string) {
				c.OnEvent(func(_ context.Context, e *tiki.Event) error { *got = append(*got, "any:"+e.ID); return nil })
			}, handled: []string{"any:u1"}, ignored: 3},
		{name: "WithIgnore of a type this package does not know",
			opts: []Option{WithIgnore("PRODUCT_ATTRIBUTE_UPDATED", tiki.EventOrderStatusUpdated, tiki.EventProductPriceUpdated)},
			set: func(c *Consumer, got *[]string) {
				c.OnEvent(func(_ context.Context, e *tiki.Event) error { *got = append(*got, "any:"+e.ID); return nil })
			}, handled: []string{"any:v9"}, ignored: 3},
		{name: "WithIgnoreUnknown and WithIgnore", opts: []Option{WithIgnoreUnknown(), WithIgnore(tiki.EventOrderStatusUpdated, tiki.EventProductPriceUpdated)}, ignored: 4},
		{name: "OnEvent takes the rest", set: func(c *Consumer, got *[]string) {
			c.OnEvent(func(_ context.Context, e *tiki.Event) error { *got = append(*got, "any:"+e.ID); return nil })
		}, handled: []string{"any:s1", "any:u1", "any:v9", "any:m1"}},
		{name: "handlers of each kind win over ignore", opts: []Option{WithIgnore(tiki.EventOrderStatusUpdated, tiki.EventProductPriceUpdated), WithIgnoreUnknown()},
			set: func(c *Consumer, got *[]string) {
				c.OnOrderStatus(func(_ context.Context, e *tiki.OrderStatusUpdatedEvent) error {
					*got = append(*got, "status:"+e.ID)
					return nil
				})
				c.OnUnknown(func(_ context.Context, e *tiki.Event) error { *got = append(*got, "unknown:"+e.ID); return nil })
				c.OnMalformed(func(_ context.Context, e *tiki.EventDecodeError) error {
					*got = append(*got, "malformed:"+e.Event.ID)
					return nil
				})
			}, handled: []string{"status:s1", "unknown:u1", "unknown:v9", "malformed:m1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := newWireQueue(10)
			q.add(orderEvent(0), status, unknownEvent, newVersion, malformedPrice, orderEvent(5))
			r := newRig(t, q, tc.opts...)
			var got, orders []string
			r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error { orders = append(orders, e.ID); return nil })
			if tc.set != nil {
				tc.set(r.c, &got)
			}
			require.NoError(t, r.runUntilDrained())
			assert.Equal(t, tc.handled, got)
			assert.Equal(t, []string{"ev-0", "ev-5"}, orders, "a typed handler wins over WithIgnore of its type")
			assert.Empty(t, r.errors())
			require.NotEmpty(t, r.reports)
			assert.Equal(t, BatchReport{Queue: testQueue, AckID: "ack-1", Events: 6, Handled: 6 - tc.ignored, Ignored: tc.ignored, Oldest: orderEventTime}, r.reports[0])
		})
	}
}

// Without OnMalformed, a malformed event of a type that has a typed
// handler holds the queue (never acknowledged unseen); OnMalformed gets it
// raw and the queue moves on.
func TestMalformedEventOfAHandledTypeHoldsTheQueue(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(unknownEvent, malformedPrice, orderEvent(2))
	r := newRig(t, q, WithIgnore(tiki.EventProductPriceUpdated))
	var seen []string
	r.c.OnUnknown(func(ctx context.Context, e *tiki.Event) error {
		seen = append(seen, "unknown:"+string(e.Raw))
		return nil
	})
	var order []string
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error { order = append(order, e.ID); return nil })
	r.c.OnPrice(func(ctx context.Context, e *tiki.PriceUpdatedEvent) error { return nil })

	ctx, cancel := context.WithCancel(context.Background())
	errs := 0
	r.c.onError = func(_ context.Context, err error) {
		var de *tiki.EventDecodeError
		if assert.ErrorAs(t, err, &de) {
			assert.Equal(t, malformedPrice, string(de.Event.Raw))
		}
		if errs++; errs == 3 {
			cancel()
		}
	}
	require.NoError(t, r.run(ctx))
	assert.Empty(t, order)
	assert.Equal(t, 0, q.ackedCount())
	assert.Equal(t, []string{"unknown:" + unknownEvent}, seen, "the unknown event ran once; its redeliveries were duplicates")

	var bad []string
	r.c.OnMalformed(func(ctx context.Context, e *tiki.EventDecodeError) error {
		bad = append(bad, string(e.Event.Raw))
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{malformedPrice}, bad)
	assert.Equal(t, []string{"ev-2"}, order)
}

func TestCatchAllHandlerGetsEveryEventRaw(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0), `{"id":"x1","type":"NEW_THING","version":"v1","payload":{}}`, malformedPrice)
	r := newRig(t, q)
	var all []string
	r.c.OnEvent(func(ctx context.Context, e *tiki.Event) error {
		d, err := e.Decode()
		all = append(all, fmt.Sprintf("%s:%T:%v", e.ID, d, err != nil))
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"ev-0:*tiki.OrderCreatedEvent:false", "x1:*tiki.Event:false", "m1:<nil>:true"}, all)
}

// Ignored events are logged: unknown ones at Info, documented ones at
// Debug.
func TestIgnoredEventsAreLogged(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0), unknownEvent)
	r := newRig(t, q, WithIgnore(tiki.EventOrderCreated), WithIgnoreUnknown())
	r.c.OnPrice(func(context.Context, *tiki.PriceUpdatedEvent) error { return nil })
	require.NoError(t, r.runUntilDrained())
	logs := r.logs.String()
	assert.Contains(t, logs, `level=DEBUG msg="eventqueue: event ignored; acknowledged" queue=q1 event_id=ev-0 type=ORDER_CREATED_SUCCESSFULLY`)
	assert.Contains(t, logs, `level=INFO msg="eventqueue: event ignored; acknowledged" queue=q1 event_id=u1 type=PRODUCT_ATTRIBUTE_UPDATED`)
}
