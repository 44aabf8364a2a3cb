package tikitest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

func TestLostOrderNotificationsAreNeitherQueuedNorPosted(t *testing.T) {
	t.Parallel()
	clock := ordNewClock("2024-05-10 09:00:00")
	srv, c := ordSetup(t, tikitest.WithClock(clock.Now))
	hooks := ordRegisterHooks(t, srv, c)
	q := evCreateQueue(t, srv, "orders")
	for _, typ := range []string{"ORDER_CREATED_SUCCESSFULLY", "ORDER_STATUS_UPDATED"} {
		evSubscribe(t, srv, "", q, typ)
	}
	kept, err := srv.CreateOrder(tikitest.OrderSpec{})
	require.NoError(t, err)

	// Lose the creation of the next order and its cancellation, and keep
	// everything else.
	var seen []tikitest.OrderChange
	srv.LoseOrderNotifications(func(c tikitest.OrderChange) bool {
		seen = append(seen, c)
		return c.Created || c.Status == tiki.OrderStatusCanceled
	})
	clock.Advance(90 * time.Second)
	lost, err := srv.CreateOrder(tikitest.OrderSpec{})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	require.NoError(t, srv.SetOrderStatus(lost.Code, tiki.OrderStatus("packaging")))
	require.NoError(t, srv.SetOrderStatus(kept.Code, tiki.OrderStatus("canceled")))
	srv.LoseOrderNotifications(nil)
	require.NoError(t, srv.SetOrderStatus(lost.Code, tiki.OrderStatus("canceled")))

	created := clock.Now().Add(-time.Minute)
	wantLost := []tikitest.OrderChange{
		{Code: lost.Code, Status: tiki.OrderStatusQueueing, Created: true, At: created},
		{Code: kept.Code, Status: tiki.OrderStatusCanceled, At: clock.Now()},
	}
	assert.Equal(t, wantLost, srv.LostOrderNotifications())
	assert.Equal(t, []tikitest.OrderChange{
		wantLost[0],
		{Code: lost.Code, Status: tiki.OrderStatusPackaging, At: clock.Now()},
		wantLost[1],
	}, seen, "the predicate sees every change while it is set, in order")

	// The queue and the webhooks carry the changes that were not lost.
	var events []string
	for _, e := range evPull(t, srv, q, "").Events {
		events = append(events, e.Type+" "+string(e.Payload))
	}
	assert.Equal(t, []string{
		`ORDER_CREATED_SUCCESSFULLY {"order_code":"` + kept.Code + `","status":"queueing"}`,
		`ORDER_STATUS_UPDATED {"order_code":"` + lost.Code + `","orderCode":"` + lost.Code + `","status":"packaging"}`,
		`ORDER_STATUS_UPDATED {"order_code":"` + lost.Code + `","orderCode":"` + lost.Code + `","status":"canceled"}`,
	}, events)
	hooks.expect(t, "queueing:", "packaging:", "canceled:")

	// The orders changed all the same: the order list shows them.
	page, _, err := c.Orders.List(context.Background(), &tiki.OrderListOptions{
		UpdatedFrom: tiki.NewTime(clock.Now()), UpdatedTo: tiki.NewTime(clock.Now()), OrderBy: tiki.OrderByCreatedAtAsc,
	})
	require.NoError(t, err)
	require.Len(t, page.Data, 2)
	assert.Equal(t, []string{kept.Code, lost.Code}, []string{page.Data[0].Code, page.Data[1].Code})
	assert.Equal(t, []tiki.OrderStatus{tiki.OrderStatusCanceled, tiki.OrderStatusCanceled},
		[]tiki.OrderStatus{page.Data[0].Status, page.Data[1].Status})
}
