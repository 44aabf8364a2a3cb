package tikitest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
)

func TestEmitDeliversSignedWebhooks(t *testing.T) {
	t.Parallel()
	secret, err := tikinow.NewSecret()
	require.NoError(t, err)
	var mu sync.Mutex
	var got []tikinow.Event
	receiver, err := tikinow.NewReceiver([]string{secret})
	require.NoError(t, err)
	receiver.OnStock(func(_ context.Context, e *tikinow.StockEvent) error {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		return nil
	})
	receiver.OnOrderStatus(func(_ context.Context, e *tikinow.OrderStatusEvent) error {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		return nil
	})
	hook := httptest.NewServer(receiver)
	defer hook.Close()

	srv := NewServer(t)
	c, err := srv.Client()
	require.NoError(t, err)
	_, _, err = c.Webhooks.Register(context.Background(), &tiki.RegisterWebhooksRequest{
		InventoryLocations: []string{"sgn"},
		Webhooks: tiki.WebhookTargets{
			Order: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret},
			Stock: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret},
		},
		ExternalPartnerID: "shop-1",
	})
	require.NoError(t, err)

	srv.mu.Lock()
	srv.emit("stock", map[string]any{"sku": "SKU-1", "warehouse": "sgn", "qty_salable": 7, "seller_product_code": "S1"})
	srv.emit("stock", map[string]any{"sku": "SKU-1", "warehouse": "hn", "qty_salable": 7}) // not registered: not sent
	srv.emit("order", map[string]any{"order_code": "100", "ref_code": "R", "main_state": "processing"})
	srv.emit("aftersale", map[string]any{"order_code": "100"}) // no URL: not sent
	srv.mu.Unlock()

	deliveries := srv.WebhookDeliveries()
	require.Len(t, deliveries, 2)
	for _, d := range deliveries {
		assert.Equal(t, http.StatusOK, d.Status)
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, tikinow.Sign(d.Body, secret), d.Signature)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2)
	for _, e := range got {
		switch e := e.(type) {
		case *tikinow.StockEvent:
			assert.Equal(t, "SKU-1", e.SKU)
			assert.EqualValues(t, 7, e.QtySalable)
			assert.Equal(t, "shop-1", e.PartnerID)
			assert.False(t, e.Date.IsZero())
		case *tikinow.OrderStatusEvent:
			assert.Equal(t, "100", e.OrderCode)
			assert.Equal(t, "processing", e.MainState)
		}
	}
}

func TestEmitRetriesFailedDelivery(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(200)
	}))
	defer hook.Close()
	srv := NewServer(t)
	secret, _ := tikinow.NewSecret()
	srv.mu.Lock()
	srv.hooks.reg = &tiki.RegisterWebhooksRequest{InventoryLocations: []string{"sgn"},
		Webhooks: tiki.WebhookTargets{Order: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret}}}
	srv.emit("order", map[string]any{"order_code": "1", "main_state": "canceled"})
	srv.mu.Unlock()
	d := srv.WebhookDeliveries()
	require.Len(t, d, 1)
	assert.Equal(t, 2, d[0].Attempts)
	assert.Equal(t, 200, d[0].Status)
}
