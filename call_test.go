package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Client.Call reaches any endpoint through the client's stack.
func TestClientCall(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	body := fixture(t, "orders_v2/order_simplified_dropship.json")
	respond(mt, http.MethodGet, "/v2/orders/613795703", 200, body, &got)

	var order Order
	resp, err := c.Call(context.Background(), http.MethodGet, "v2/orders/613795703", map[string][]string{"include": {"item.fees"}}, nil, &order)
	require.NoError(t, err)
	requireWire(t, got, http.MethodGet, "/v2/orders/613795703", map[string][]string{"include": {"item.fees"}})
	assert.Equal(t, 200, resp.StatusCode)
	requireOrder(t, simplifiedOrder(t, FulfillmentDropship), order, body)

	var raw []byte
	_, err = c.Call(context.Background(), http.MethodGet, "/v2/orders/613795703", nil, nil, &raw)
	require.NoError(t, err)
	assert.Equal(t, body, raw)
	var rm json.RawMessage
	_, err = c.Call(context.Background(), http.MethodGet, "v2/orders/613795703", nil, nil, &rm)
	require.NoError(t, err)
	assert.JSONEq(t, string(body), string(rm))
}

func TestClientCallPostIsNotResent(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodPost, "/v2/orders/1/confirm-available", 503, []byte(`{"errors":["busy"]}`), &got)
	_, err := c.Call(context.Background(), http.MethodPost, "v2/orders/1/confirm-available", nil,
		map[string]any{"available_item_ids": []int64{1}, "seller_inventory_id": 2}, nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, []string{"busy"}, apiErr.Messages)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "a POST that reached Tiki is never resent")
	requireJSONEqual(t, `{"available_item_ids": [1], "seller_inventory_id": 2}`, got.Body)
}

func TestClientCallRefusesBadArguments(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		method, path string
		want         []FieldProblem
	}{
		"method":     {"TRACE", "v2/orders", []FieldProblem{{Field: "method", Problem: "must be GET, POST, PUT, PATCH or DELETE"}}},
		"no version": {http.MethodGet, "orders", []FieldProblem{{Field: "path", Problem: `must start with an API version (v1/, v2/ or v2.1/), not "orders"`}}},
		"no endpoint": {http.MethodGet, "v2/", []FieldProblem{{Field: "path",
			Problem: "must name an endpoint after the version, without a query (pass it as query)"}}},
		"query in path": {http.MethodGet, "v2/orders?page=2", []FieldProblem{{Field: "path",
			Problem: "must name an endpoint after the version, without a query (pass it as query)"}}},
		"dot dot": {http.MethodGet, "v2/orders/../sellers/me", []FieldProblem{{Field: "path", Problem: `must not hold empty, "." or ".." segments`}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := setup(t)
			_, err := c.Call(context.Background(), tc.method, tc.path, nil, nil, nil)
			requireRefused(t, err, mt, tc.want...)
		})
	}
	c, mt := setup(t)
	var nilCtx context.Context
	_, err := c.Call(nilCtx, http.MethodGet, "v2/orders", nil, nil, nil)
	assert.ErrorIs(t, err, ErrNilContext)
	assert.Zero(t, mt.GetTotalCallCount())
}
