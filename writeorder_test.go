package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/keylock"
)

// stockServer is the fake Tiki of two writers of one product's stock: it
// applies every update it receives, in order; the first one's answer never
// comes (the client abandons that attempt).
type stockServer struct {
	srv      *server
	mu       sync.Mutex
	applied  []int
	aApplied chan struct{} // the first update was applied
	bApplied chan struct{} // qty 10 was applied
}

func newStockServer(t *testing.T) *stockServer {
	_, srv := setup(t)
	s := &stockServer{srv: srv, aApplied: make(chan struct{}), bApplied: make(chan struct{})}
	srv.handle("PUT /v2.1/products/updateSku", func(w http.ResponseWriter, r *http.Request) {
		var u ProductUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil || len(u.WarehouseQuantities) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		qty := u.WarehouseQuantities[0].QtyAvailable
		s.mu.Lock()
		s.applied = append(s.applied, qty)
		first := len(s.applied) == 1
		s.mu.Unlock()
		if first {
			// Applied, but the answer never comes in time.
			close(s.aApplied)
			<-r.Context().Done()
			return
		}
		if qty == 10 {
			close(s.bApplied)
		}
		status(200, `{"state":"approved"}`)(w, r)
	})
	return s
}

// client returns a client of s; for writer A, its first attempt is
// abandoned once s applied it.
func (s *stockServer) client(t *testing.T, writerA bool, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithWriteSettle(20 * time.Millisecond)}
	if writerA {
		base = append(base, WithHTTPClient(&http.Client{Transport: newTimeoutFirstTransport(t, s.aApplied)}))
	}
	return s.srv.client(t, WithSellerKey(testKey), append(base, opts...)...)
}

// setStock runs the two writers: A (client a) sets qty 12, which s applies
// without answering; B (client b) then sets 10; A retries once B has
// written, or once queued reports B waiting for the product behind A. It
// returns the quantities in the order s applied them, and A's response.
func (s *stockServer) setStock(t *testing.T, a, b *Client, queued func() bool) ([]int, *Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bWaiting := make(chan struct{})
	a.sleep = func(ctx context.Context, _ time.Duration) error {
		select {
		case <-s.bApplied:
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
		_, respA, errA = a.Products.Update(ctx, update(12))
	}()
	go func() {
		defer wg.Done()
		<-s.aApplied
		go func() {
			if waitUntil(ctx, queued) {
				close(bWaiting)
			}
		}()
		_, _, errB = b.Products.Update(ctx, update(10))
	}()
	wg.Wait()
	require.NoError(t, errA)
	require.NoError(t, errB)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied, respA
}

// Writer A sets qty 12; Tiki applies it but answers too late (A's attempt
// is abandoned as a client timeout would); writer B, through the same
// client, then sets qty 10. A's retry must not land after B's write: the
// final stock is 10.
func TestRetriedStockWriteNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	s := newStockServer(t)
	c := s.client(t, true)
	applied, respA := s.setStock(t, c, c, func() bool { return c.writes.Users("sku:SKU-1") >= 2 })
	assert.Equal(t, 2, respA.Attempts, "A was retried")
	assert.Equal(t, []int{12, 12, 10}, applied, "the newer write lands last")
	assert.Zero(t, c.writes.Len(), "no lock state is kept after the calls")
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
			c, s := setup(t)
			inFlight := make(chan struct{})
			var mu sync.Mutex
			var overtaken bool
			firstDone := false
			s.handle(tc.method+" "+tc.path, func(w http.ResponseWriter, r *http.Request) {
				close(inFlight)
				// Answer once the second writer is queued behind this call
				// (or has reached Tiki anyway: the failure).
				waitUntil(ctx, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return c.writes.Users(tc.key) >= 2 || overtaken
				})
				mu.Lock()
				firstDone = true
				mu.Unlock()
				status(200, tc.answer)(w, r)
			})
			second := func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				if !firstDone {
					overtaken = true
				}
				mu.Unlock()
				status(200, `{"state":"approved"}`)(w, r)
			}
			done := make(chan error, 1)
			go func() { done <- tc.write(ctx, c) }()
			<-inFlight
			// The second writer's endpoint (for Update, the same one: the
			// first call has already picked its answer).
			s.handle("PUT /v2.1/products/updateSku", second)
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
			assert.Zero(t, c.writes.Len())
		})
	}
}

// A shared write order (WithWriteOrder): what the client holds in it, and
// when it stops sending.

// memOrder is a WriteOrder that several clients of one test share: a
// keylock.Locks, recording the keys of every Lock call; the test may make
// Lock fail or panic, and mark holds lost.
type memOrder struct {
	locks     keylock.Locks
	mu        sync.Mutex
	calls     [][]string
	held      []*memLock
	err       error
	panicWith any
}

func (o *memOrder) Lock(ctx context.Context, keys []string) (WriteLock, error) {
	o.mu.Lock()
	o.calls = append(o.calls, keys)
	err, p := o.err, o.panicWith
	o.mu.Unlock()
	if p != nil {
		panic(p)
	}
	if err != nil {
		return nil, err
	}
	unlock, err := o.locks.Lock(ctx, keys)
	if err != nil {
		return nil, err
	}
	l := &memLock{lost: make(chan struct{}), unlock: unlock}
	o.mu.Lock()
	o.held = append(o.held, l)
	o.mu.Unlock()
	return l, nil
}

// loseAll marks every hold taken so far lost.
func (o *memOrder) loseAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.held {
		l.once.Do(func() { close(l.lost) })
	}
}

type memLock struct {
	lost     chan struct{}
	once     sync.Once
	unlock   func()
	unlocked atomic.Int32
}

func (l *memLock) Lost() <-chan struct{} { return l.lost }

func (l *memLock) Unlock(context.Context) error {
	l.unlocked.Add(1)
	l.unlock()
	return nil
}

// Two clients (two replicas) writing one product: each orders only its own
// writes, so A's retry lands after B's newer write; sharing a WriteOrder,
// B waits for A's whole call and its write lands last.
func TestSharedWriteOrderOrdersWritesOfSeveralClients(t *testing.T) {
	t.Parallel()
	t.Run("without", func(t *testing.T) {
		t.Parallel()
		s := newStockServer(t)
		applied, _ := s.setStock(t, s.client(t, true), s.client(t, false), func() bool { return false })
		assert.Equal(t, []int{12, 10, 12}, applied, "A's retry lands last")
	})
	t.Run("shared", func(t *testing.T) {
		t.Parallel()
		s := newStockServer(t)
		o := &memOrder{}
		a, b := s.client(t, true, WithWriteOrder(o)), s.client(t, false, WithWriteOrder(o))
		applied, _ := s.setStock(t, a, b, func() bool { return o.locks.Users("sku:SKU-1") >= 2 })
		assert.Equal(t, []int{12, 12, 10}, applied, "the newer write lands last")
		assert.Zero(t, o.locks.Len(), "every hold was released")
	})
}

// A product write takes its keys in the shared order, sorted and without
// repeats, once per call; other calls take none.
func TestSharedWriteOrderKeys(t *testing.T) {
	t.Parallel()
	o := &memOrder{}
	c, s := setup(t, WithWriteOrder(o))
	s.respond(http.MethodPut, "/v2.1/products/updateSku", 200, []byte(`{"state":"approved"}`))
	s.respond(http.MethodPut, "/v2.1/products/updateSkus", 200, []byte(`[]`))
	s.respond(http.MethodGet, "/v2/warehouses/tiki", 200, []byte(`[]`))
	ctx := context.Background()
	_, _, err := c.Products.Update(ctx, ProductUpdate{ProductID: 7, OriginalSKU: "S-1", Price: 1000})
	require.NoError(t, err)
	_, _, err = c.Products.UpdateBatch(ctx, []BatchUpdateItem{{ProductID: 9, Price: 1000}, {ProductID: 5, OriginalSKU: "S-5", Price: 1000}})
	require.NoError(t, err)
	_, _, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"product:7", "sku:S-1"}, {"product:5", "product:9", "sku:S-5"}}, o.calls)
	for _, l := range o.held {
		assert.EqualValues(t, 1, l.unlocked.Load(), "each hold is unlocked once")
	}
	assert.Zero(t, o.locks.Len())
	assert.Zero(t, c.writes.Len())
	assert.Equal(t, 3, s.count())

	_, err = NewClient(WithWriteOrder(nil))
	assert.Error(t, err)
}

// A hold lost during the call (the order's store stopped answering, or
// another client took the product over) stops the call before its next
// attempt: nothing more is sent, the error matches ErrWriteLockLost, and
// says the first attempt may have reached Tiki.
func TestSharedWriteOrderLostHoldSendsNothingMore(t *testing.T) {
	t.Parallel()
	o := &memOrder{}
	c, s := setup(t, WithWriteOrder(o))
	s.handle("PUT /v2.1/products/updateSku", func(w http.ResponseWriter, r *http.Request) {
		o.loseAll()
		status(http.StatusServiceUnavailable, `{"error":"busy"}`)(w, r)
	})
	_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 7, Price: 1000})
	require.ErrorIs(t, err, ErrWriteLockLost)
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.True(t, re.Sent, "the first attempt may have reached Tiki")
	assert.Equal(t, 1, s.count(), "no retry was sent")
	require.Len(t, o.held, 1)
	assert.EqualValues(t, 1, o.held[0].unlocked.Load())
	assert.Zero(t, c.writes.Len())
}

// A shared order that fails (or panics) keeps the write from being sent.
func TestSharedWriteOrderFailureSendsNothing(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]*memOrder{
		"error": {err: errors.New("redis: connection refused")},
		"panic": {panicWith: "boom"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t, WithWriteOrder(o))
			s.handle("PUT /v2.1/products/updateSku", status(http.StatusOK, `{"state":"approved"}`))
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 7, Price: 1000})
			var re *RequestError
			require.ErrorAs(t, err, &re)
			assert.False(t, re.Sent)
			assert.Contains(t, err.Error(), "write order")
			assert.Zero(t, s.count(), "nothing was sent")
			assert.Zero(t, c.writes.Len(), "the client's own lock was given back")
		})
	}
}
