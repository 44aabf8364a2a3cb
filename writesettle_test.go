package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lateServer is the fake Tiki of a product's stock whose update of qty
// late is applied lateBy after it was received, whether or not the client
// still waits (it answers only once the client went away), and every other
// update at once, answering it.
type lateServer struct {
	srv      *server
	late     int
	lateBy   time.Duration
	mu       sync.Mutex
	applied  []int
	lateDone chan struct{} // closed once the late update is applied
}

func newLateServer(t *testing.T, late int, lateBy time.Duration) *lateServer {
	t.Helper()
	_, srv := setup(t)
	s := &lateServer{srv: srv, late: late, lateBy: lateBy, lateDone: make(chan struct{})}
	apply := func(qty int) {
		s.mu.Lock()
		s.applied = append(s.applied, qty)
		s.mu.Unlock()
	}
	srv.handle("PUT /v2.1/products/updateSku", func(w http.ResponseWriter, r *http.Request) {
		var u ProductUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil || len(u.WarehouseQuantities) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		qty := u.WarehouseQuantities[0].QtyAvailable
		if qty == s.late {
			time.AfterFunc(s.lateBy, func() { apply(qty); close(s.lateDone) })
			<-r.Context().Done()
			return
		}
		apply(qty)
		status(200, `{"state":"approved"}`)(w, r)
	})
	return s
}

// client returns a client of s.
func (s *lateServer) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	return s.srv.client(t, WithSellerKey(testKey), opts...)
}

// final waits for the late update and returns the quantities in the order
// they were applied.
func (s *lateServer) final(t *testing.T) []int {
	t.Helper()
	select {
	case <-s.lateDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the late update was never applied")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.applied...)
}

func stockUpdate(qty int) ProductUpdate {
	return ProductUpdate{OriginalSKU: "SKU-1", WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1, QtyAvailable: qty}}}
}

// giveUpOn12 makes writer A set qty 12 with a context that ends before Tiki
// (s) applies it: A's call ends in doubt.
func giveUpOn12(t *testing.T, a *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, _, err := a.Products.Update(ctx, stockUpdate(12))
	var re *RequestError
	require.ErrorAs(t, err, &re)
	require.True(t, re.Sent, "A's attempt reached Tiki")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// Writer A sets qty 12 with a 30 ms context; Tiki applies it 50 ms later.
// Writer B then sets 10 through the same client, or through another client
// sharing a WriteOrder, and succeeds. The product is kept for the settle
// period after A gave up, so B's write is sent after A's late one landed:
// Tiki keeps 10. Without settling, B's write lands first and Tiki keeps 12.
func TestWriteInDoubtKeepsItsProductForTheSettlePeriod(t *testing.T) {
	t.Parallel()
	const lateBy, settle = 50 * time.Millisecond, 500 * time.Millisecond
	for name, clients := range map[string]func(s *lateServer) (a, b *Client){
		"one client": func(s *lateServer) (*Client, *Client) {
			c := s.client(t, WithWriteSettle(settle))
			return c, c
		},
		"two clients sharing a WriteOrder": func(s *lateServer) (*Client, *Client) {
			o := &memOrder{}
			return s.client(t, WithWriteSettle(settle), WithWriteOrder(o)), s.client(t, WithWriteSettle(settle), WithWriteOrder(o))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newLateServer(t, 12, lateBy)
			a, b := clients(s)
			started := time.Now()
			giveUpOn12(t, a)
			_, _, err := b.Products.Update(context.Background(), stockUpdate(10))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, time.Since(started), settle, "B waited for A's settle period")
			assert.Equal(t, []int{12, 10}, s.final(t), "Tiki keeps the later write")
			require.True(t, waitUntil(context.Background(), func() bool { return a.writes.Len() == 0 && b.writes.Len() == 0 }))
		})
	}
	t.Run("settling off", func(t *testing.T) {
		t.Parallel()
		// B's write is sent at once: Tiki applies A's half a second
		// later.
		s := newLateServer(t, 12, 500*time.Millisecond)
		c := s.client(t, WithWriteSettle(0))
		giveUpOn12(t, c)
		_, _, err := c.Products.Update(context.Background(), stockUpdate(10))
		require.NoError(t, err)
		assert.Equal(t, []int{10, 12}, s.final(t), "A's late write overwrites B's")
	})
}

// The shared hold of a write in doubt is kept for the settle period too,
// and released once it is over.
func TestWriteInDoubtKeepsItsSharedHold(t *testing.T) {
	t.Parallel()
	s := newLateServer(t, 12, 10*time.Millisecond)
	o := &memOrder{}
	c := s.client(t, WithWriteSettle(time.Second), WithWriteOrder(o))
	giveUpOn12(t, c)
	o.mu.Lock()
	require.Len(t, o.held, 1)
	l := o.held[0]
	o.mu.Unlock()
	assert.Zero(t, l.unlocked.Load(), "the shared hold is kept while the write settles")
	assert.Equal(t, 1, c.writes.Users("sku:SKU-1"), "so is the client's own")
	require.True(t, waitUntil(context.Background(), func() bool { return l.unlocked.Load() == 1 }))
	require.True(t, waitUntil(context.Background(), func() bool { return c.writes.Len() == 0 }))
	assert.Zero(t, o.locks.Len())
}

// A write to a settling product whose context would end before the settle
// period does fails at once, sending nothing: when it comes during the
// settle period, and when it was already waiting as the earlier write
// began to settle. Its error matches context.DeadlineExceeded.
func TestWriteToSettlingProductFailsFast(t *testing.T) {
	t.Parallel()
	const settle = 10 * time.Second
	requireFast := func(t *testing.T, err error, started time.Time) {
		t.Helper()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.False(t, re.Sent)
		assert.Contains(t, err.Error(), "settles for")
		// The alternative is waiting out the 2 s deadline.
		assert.Less(t, time.Since(started), time.Second, "failed at once")
	}
	t.Run("comes during the settle period", func(t *testing.T) {
		t.Parallel()
		s := newLateServer(t, 12, 10*time.Millisecond)
		c := s.client(t, WithWriteSettle(settle))
		giveUpOn12(t, c)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		started := time.Now()
		_, _, err := c.Products.Update(ctx, stockUpdate(10))
		requireFast(t, err, started)
		assert.Equal(t, 1, s.srv.count(), "nothing was sent")
		requireWire(t, s.srv.last(), http.MethodPut, "/v2.1/products/updateSku", nil)
	})
	t.Run("waits as the earlier write begins to settle", func(t *testing.T) {
		t.Parallel()
		s := newLateServer(t, 12, 10*time.Millisecond)
		c := s.client(t, WithWriteSettle(settle))
		aCtx, aCancel := context.WithCancel(context.Background())
		aDone := make(chan error, 1)
		go func() {
			_, _, err := c.Products.Update(aCtx, stockUpdate(12))
			aDone <- err
		}()
		require.True(t, waitUntil(context.Background(), func() bool { return s.srv.count() == 1 }))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		started := time.Now()
		bDone := make(chan error, 1)
		go func() {
			_, _, err := c.Products.Update(ctx, stockUpdate(10))
			bDone <- err
		}()
		require.True(t, waitUntil(context.Background(), func() bool { return c.writes.Users("sku:SKU-1") == 2 }))
		aCancel() // A gives up: in doubt, it settles
		require.ErrorIs(t, <-aDone, context.Canceled)
		requireFast(t, <-bDone, started)
		assert.Equal(t, 1, s.srv.count(), "nothing was sent")
	})
}

// A call that is not in doubt releases its products at once: an answer
// came back (even an error), or the request never reached Tiki.
func TestWriteNotInDoubtReleasesAtOnce(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithWriteSettle(time.Hour))
	s.respond(http.MethodPut, "/v2.1/products/updateSku", http.StatusBadRequest, []byte(`{"errors":["bad"]}`))
	_, _, err := c.Products.Update(context.Background(), stockUpdate(10))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	requireWire(t, s.last(), http.MethodPut, "/v2.1/products/updateSku", nil)
	assert.Zero(t, c.writes.Len(), "an answered write settles nothing")

	// Nothing listens on port 1: the connection is refused.
	refused := s.client(t, WithSellerKey(testKey), WithBaseURL("http://127.0.0.1:1"+apiPath), WithRetry(1, 0, 0), WithWriteSettle(time.Hour))
	_, _, err = refused.Products.Update(context.Background(), stockUpdate(10))
	var re *RequestError
	require.ErrorAs(t, err, &re)
	require.False(t, re.Sent)
	assert.Zero(t, refused.writes.Len(), "a write that never reached Tiki settles nothing")
}
