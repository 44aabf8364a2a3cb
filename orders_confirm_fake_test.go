package tiki_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// placeOrder places a v2 order in the fake through its sandbox endpoint
// (POST /v2/orders) and returns it as Orders.Get reads it.
func placeOrder(t *testing.T, c *tiki.Client, body string) *tiki.Order {
	t.Helper()
	ctx := context.Background()
	var placed tiki.Order
	_, err := c.Call(ctx, http.MethodPost, "v2/orders", nil, rawJSON(body), &placed)
	require.NoError(t, err)
	o, _, err := c.Orders.Get(ctx, placed.Code, nil)
	require.NoError(t, err)
	return o
}

// rawJSON is a request body sent as it is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// statuses returns the confirmation status of each item of the order, as
// the fake now has it.
func statuses(t *testing.T, c *tiki.Client, code string) []tiki.ConfirmationStatus {
	t.Helper()
	o, _, err := c.Orders.Get(context.Background(), code, nil)
	require.NoError(t, err)
	out := make([]tiki.ConfirmationStatus, len(o.Items))
	for i, it := range o.Items {
		out[i] = it.Confirmation.Status
	}
	return out
}

// Against the fake, which applies Tiki's rule (the waiting items a
// confirmation leaves out are canceled; items that do not wait keep their
// state): confirming an order whose instock item Tiki confirmed itself
// confirms the waiting items and leaves the instock item as it is; a
// waiting item is canceled only when the caller names it, and a
// confirmation that would cancel one the caller did not name is refused
// before anything is sent.
func TestConfirmCancelsOnlyNamedItemsInTheFake(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	const odf = `{"fulfillment_type":"tiki_delivery","items":[{"price":10000},{"price":20000},{"price":30000,"inventory_type":"instock"}]}`
	waiting, confirmed := tiki.ConfirmationWaiting, tiki.ConfirmationConfirmed
	sellerConfirmed, sellerCanceled := tiki.ConfirmationSellerConfirmed, tiki.ConfirmationSellerCanceled

	t.Run("every waiting item", func(t *testing.T) {
		o := placeOrder(t, c, odf)
		require.Equal(t, []tiki.ConfirmationStatus{waiting, waiting, confirmed}, statuses(t, c, o.Code))
		done, _, err := c.Orders.Confirm(ctx, o, nil)
		require.NoError(t, err)
		assert.Equal(t, []int64{o.Items[0].ID, o.Items[1].ID}, done.AvailableItemIDs)
		assert.Equal(t, []tiki.ConfirmationStatus{sellerConfirmed, sellerConfirmed, confirmed}, statuses(t, c, o.Code))
	})

	t.Run("a waiting item left out is refused, one named is canceled", func(t *testing.T) {
		o := placeOrder(t, c, odf)
		before := srv.Requests()
		_, _, err := c.Orders.Confirm(ctx, o, &tiki.ConfirmOptions{AvailableItemIDs: []int64{o.Items[0].ID}})
		var ve *tiki.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "available_item_ids", ve.Problems[0].Field)
		assert.Equal(t, before, srv.Requests(), "nothing sent")
		assert.Equal(t, []tiki.ConfirmationStatus{waiting, waiting, confirmed}, statuses(t, c, o.Code))

		_, _, err = c.Orders.Confirm(ctx, o, &tiki.ConfirmOptions{AvailableItemIDs: []int64{o.Items[0].ID}, CancelItemIDs: []int64{o.Items[1].ID}})
		require.NoError(t, err)
		assert.Equal(t, []tiki.ConfirmationStatus{sellerConfirmed, sellerCanceled, confirmed}, statuses(t, c, o.Code))
		got, _, err := c.Orders.Get(ctx, o.Code, nil)
		require.NoError(t, err)
		assert.Equal(t, tiki.OrderStatusQueueing, got.Status, "the order goes on")
	})

	t.Run("the instock item is never named", func(t *testing.T) {
		o := placeOrder(t, c, odf)
		before := srv.Requests()
		_, _, err := c.Orders.Confirm(ctx, o, &tiki.ConfirmOptions{AvailableItemIDs: []int64{o.Items[0].ID, o.Items[1].ID, o.Items[2].ID}})
		var ve *tiki.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "available_item_ids[2]", ve.Problems[0].Field)
		_, _, err = c.Orders.Confirm(ctx, o, &tiki.ConfirmOptions{CancelItemIDs: []int64{o.Items[2].ID}})
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "cancel_item_ids[0]", ve.Problems[0].Field)
		assert.Equal(t, before, srv.Requests(), "nothing sent")
	})

	t.Run("RejectAll cancels the waiting items only", func(t *testing.T) {
		o := placeOrder(t, c, odf)
		_, _, err := c.Orders.RejectAll(ctx, o, 919)
		require.NoError(t, err)
		assert.Equal(t, []tiki.ConfirmationStatus{sellerCanceled, sellerCanceled, confirmed}, statuses(t, c, o.Code))
	})

	t.Run("seller delivery, one item named canceled", func(t *testing.T) {
		o := placeOrder(t, c, `{"fulfillment_type":"seller_delivery","items":[{"price":10000},{"price":20000}]}`)
		done, _, err := c.Orders.Confirm(ctx, o, &tiki.ConfirmOptions{CancelItemIDs: []int64{o.Items[1].ID}})
		require.NoError(t, err)
		assert.Equal(t, []int64{o.Items[0].ID}, done.AvailableItemIDs)
		assert.Equal(t, []int64{o.Items[1].ID}, done.CanceledItemIDs)
		assert.Equal(t, []tiki.ConfirmationStatus{sellerConfirmed, sellerCanceled}, statuses(t, c, o.Code))
	})
}
