package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Writer A sets qty 12; Tiki applies it but answers too late (A's attempt
// is abandoned as a client timeout would); writer B then sets qty 10.
// A's retry must not land after B's write: the final stock is 10.
func TestRetriedStockWriteNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		applied  []int
		aApplied = make(chan struct{})
		bApplied = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u ProductUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil || len(u.WarehouseQuantities) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		qty := u.WarehouseQuantities[0].QtyAvailable
		mu.Lock()
		applied = append(applied, qty)
		first := len(applied) == 1
		mu.Unlock()
		if first {
			// Applied, but the answer never comes in time.
			close(aApplied)
			<-r.Context().Done()
			return
		}
		if qty == 10 {
			close(bApplied)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"state":"approved"}`))
	}))
	defer srv.Close()
	c, err := NewClient(WithBaseURL(srv.URL+"/integration"), WithSellerKey(testKey), WithRateLimit(0, 0),
		WithHTTPClient(&http.Client{Transport: newTimeoutFirstTransport(t, aApplied)}))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// B is waiting for the product: either blocked behind A (the fix) or
	// already applied (the failure this test reproduces). A's backoff ends
	// only then, so its retry comes after B's write was made.
	bWaiting := make(chan struct{})
	c.sleep = func(ctx context.Context, _ time.Duration) error {
		select {
		case <-bApplied:
		case <-bWaiting:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	update := func(qty int) ProductUpdate {
		return ProductUpdate{OriginalSKU: "SKU-1", WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1, QtyAvailable: qty}}}
	}
	var wg sync.WaitGroup
	var respA *Response
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, respA, errA = c.Products.Update(ctx, update(12))
	}()
	go func() {
		defer wg.Done()
		<-aApplied
		go func() {
			if waitUntil(ctx, func() bool { return c.writes.users("sku:SKU-1") >= 2 }) {
				close(bWaiting)
			}
		}()
		_, _, errB = c.Products.Update(ctx, update(10))
	}()
	wg.Wait()
	require.NoError(t, errA)
	require.NoError(t, errB)
	assert.Equal(t, 2, respA.Attempts, "A was retried")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int{12, 12, 10}, applied, "the newer write lands last")
	assert.Zero(t, c.writes.size(), "no lock state is kept after the calls")
}

// Every product write holds its product's key for the whole call: a second
// write to the same product is sent only after the first one returned.
func TestEveryProductWriteHoldsItsKey(t *testing.T) {
	t.Parallel()
	qty := 3
	cases := []struct {
		name   string
		method string
		path   string
		answer string
		key    string
		write  func(ctx context.Context, c *Client) error
	}{
		{"Update", http.MethodPut, "/v2.1/products/updateSku", `{"state":"approved"}`, "product:7", func(ctx context.Context, c *Client) error {
			_, _, err := c.Products.Update(ctx, ProductUpdate{ProductID: 7, OriginalSKU: "S-1", Price: 1000})
			return err
		}},
		{"V2.Products.Update", http.MethodPost, "/v2/products/updateSku", `{"state":"approved"}`, "sku:S-1", func(ctx context.Context, c *Client) error {
			_, _, err := c.V2.Products.Update(ctx, ProductUpdateV2{OriginalSKU: "S-1", Quantity: &qty})
			return err
		}},
		{"V1.Products.Update", http.MethodPost, "/v1/products/S-1/updateSku", `{"state":"approved"}`, "sku:S-1", func(ctx context.Context, c *Client) error {
			_, _, err := c.V1.Products.Update(ctx, "S-1", ProductUpdateV1{Quantity: &qty})
			return err
		}},
		{"UpdateOriginalSKU", http.MethodPost, "/v2/products/updateOriginalSku", `{"state":"approved"}`, "product:7", func(ctx context.Context, c *Client) error {
			_, _, err := c.Products.UpdateOriginalSKU(ctx, 7, "S-2")
			return err
		}},
		{"UpdateBatch", http.MethodPut, "/v2.1/products/updateSkus", `[]`, "product:7", func(ctx context.Context, c *Client) error {
			_, _, err := c.Products.UpdateBatch(ctx, []BatchUpdateItem{{ProductID: 5, Price: 1000}, {ProductID: 7, Price: 1000}})
			return err
		}},
		{"V2.Products.UpdateBatch", http.MethodPut, "/v2/products/updateSkus", `[]`, "sku:S-1", func(ctx context.Context, c *Client) error {
			_, _, err := c.V2.Products.UpdateBatch(ctx, []BatchUpdateItemV2{{OriginalSKU: "S-1", Quantity: &qty}})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, mt := setup(t)
			inFlight := make(chan struct{})
			var mu sync.Mutex
			var overtaken bool
			firstDone := false
			mt.RegisterResponder(tc.method, testBase+tc.path, func(r *http.Request) (*http.Response, error) {
				close(inFlight)
				// Answer once the second writer is queued behind this call
				// (or has reached Tiki anyway: the failure).
				waitUntil(ctx, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return c.writes.users(tc.key) >= 2 || overtaken
				})
				mu.Lock()
				firstDone = true
				mu.Unlock()
				return httpmock.NewStringResponse(200, tc.answer), nil
			})
			second := func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				defer mu.Unlock()
				if !firstDone {
					overtaken = true
				}
				return httpmock.NewStringResponse(200, `{"state":"approved"}`), nil
			}
			done := make(chan error, 1)
			go func() { done <- tc.write(ctx, c) }()
			<-inFlight
			// The second writer's endpoint (for Update, the same one: the
			// first call has already picked its responder).
			mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSku", second)
			u := ProductUpdate{Price: 2000}
			if tc.key == "sku:S-1" {
				u.OriginalSKU = "S-1"
			} else {
				u.ProductID = 7
			}
			_, _, err := c.Products.Update(ctx, u)
			require.NoError(t, err)
			require.NoError(t, <-done)
			mu.Lock()
			defer mu.Unlock()
			assert.False(t, overtaken, "the second write reached Tiki while the first was in flight")
			assert.Zero(t, c.writes.size())
		})
	}
}

func TestWriteLocksServeInOrder(t *testing.T) {
	t.Parallel()
	var w writeLocks
	ctx := context.Background()
	unlock, err := w.lock(ctx, []string{"k"})
	require.NoError(t, err)
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		// Each waiter queues only after the previous one is queued.
		require.True(t, waitUntil(ctx, func() bool { return w.users("k") == i+1 }))
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := w.lock(ctx, []string{"k"})
			assert.NoError(t, err)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			u()
		}()
	}
	require.True(t, waitUntil(ctx, func() bool { return w.users("k") == 6 }))
	unlock()
	unlock() // a second call is harmless
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
	assert.Zero(t, w.size())
}

func TestWriteLocksCancelledWaiterHoldsNothing(t *testing.T) {
	t.Parallel()
	var w writeLocks
	unlock, err := w.lock(context.Background(), []string{"b"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := w.lock(ctx, []string{"a", "b", "c"})
		errc <- err
	}()
	require.True(t, waitUntil(context.Background(), func() bool { return w.users("b") == 2 }))
	assert.Equal(t, 1, w.users("a"), "keys are taken in sorted order: a is held while b is awaited")
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Zero(t, w.users("a"), "a was given back")
	unlock()
	assert.Zero(t, w.size())
	// No keys: nothing to hold.
	u, err := w.lock(context.Background(), nil)
	require.NoError(t, err)
	u()
}

// Overlapping key sets locked in opposite orders never deadlock.
func TestWriteLocksNoDeadlock(t *testing.T) {
	t.Parallel()
	var w writeLocks
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := []string{"a", "b", "c"}
			if i%2 == 1 {
				keys = []string{"c", "b", "a", "a"}
			}
			for range 200 {
				u, err := w.lock(ctx, keys)
				if !assert.NoError(t, err) {
					return
				}
				u()
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, w.size())
}
