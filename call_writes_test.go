package tiki

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request other than GET sent through Call is not repeated once it may
// have reached Tiki (a 5xx, or a connection lost after sending), unless
// the caller says it may be with WithRepeatable; a GET is repeated as
// before.
func TestClientCallRepeatsWritesOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost} {
		for name, failure := range map[string]http.HandlerFunc{
			"503":     status(http.StatusServiceUnavailable, `{"errors":["busy"]}`),
			"hang-up": hangUp,
		} {
			t.Run(method+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.handle(method+" /v2/things/1", failure, status(http.StatusOK, `{}`))
				_, err := c.Call(context.Background(), method, "v2/things/1", nil, map[string]int{"qty": 12}, nil)
				require.Error(t, err)
				assert.Equal(t, 1, s.count(), "not repeated once it may have reached Tiki")
				var re *RequestError
				if name == "hang-up" {
					require.ErrorAs(t, err, &re)
					assert.True(t, re.Sent)
				}

				c, s = setup(t)
				s.handle(method+" /v2/things/1", failure, status(http.StatusOK, `{}`))
				_, err = c.Call(context.Background(), method, "v2/things/1", nil, map[string]int{"qty": 12}, nil, WithRepeatable())
				require.NoError(t, err)
				got := s.requests()
				require.Len(t, got, 2, "repeated when the caller allows it")
				requireWire(t, got[1], method, "/v2/things/1", nil)
				requireJSONEqual(t, `{"qty":12}`, got[0].Body)
				assert.Equal(t, got[0].Body, got[1].Body)
			})
		}
	}
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		s.handle("GET /v2/things/1", hangUp, status(http.StatusServiceUnavailable, `{}`), status(http.StatusOK, `{}`))
		_, err := c.Call(context.Background(), http.MethodGet, "v2/things/1", nil, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 3, s.count())
	})
	t.Run("never reached Tiki", func(t *testing.T) {
		t.Parallel()
		// Nothing listens on port 1: every attempt's connection is refused.
		_, s := setup(t)
		c := s.client(t, WithSellerKey(testKey), WithBaseURL("http://127.0.0.1:1"+apiPath), WithRetry(3, time.Millisecond, time.Millisecond))
		_, err := c.Call(context.Background(), http.MethodPut, "v2/things/1", nil, map[string]int{"qty": 12}, nil)
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.False(t, re.Sent)
		assert.Equal(t, 3, re.Attempts, "a request that cannot have reached Tiki is repeated")
		assert.Len(t, s.waits(), 2)
	})
}

// WithProductLock makes a write sent through Call hold the product's write
// lock, in the client and in its WriteOrder, as Products.Update does: the
// two are sent one after the other.
func TestClientCallWithProductLock(t *testing.T) {
	t.Parallel()
	o := &memOrder{}
	release := make(chan struct{})
	c, s := setup(t, WithWriteOrder(o))
	s.handle("PUT /v2/things/7", func(w http.ResponseWriter, r *http.Request) {
		<-release
		status(http.StatusOK, `{"state":"approved"}`)(w, r)
	})
	s.respond(http.MethodPut, "/v2.1/products/updateSku", http.StatusOK, []byte(`{"state":"approved"}`))
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, http.MethodPut, "v2/things/7", nil, map[string]int{"qty": 12}, nil, WithProductLock(7, "S-7"))
		done <- err
	}()
	require.True(t, waitUntil(ctx, func() bool { return s.count() == 1 }))
	updated := make(chan error, 1)
	go func() {
		_, _, err := c.Products.Update(ctx, ProductUpdate{ProductID: 7, Price: 1000})
		updated <- err
	}()
	require.True(t, waitUntil(ctx, func() bool { return c.writes.Users("product:7") == 2 }), "Update waits for the Call")
	assert.Equal(t, 1, s.count(), "Update was not sent while the Call is in flight")
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, <-updated)
	got := s.requests()
	require.Len(t, got, 2)
	requireWire(t, got[0], http.MethodPut, "/v2/things/7", nil)
	requireWire(t, got[1], http.MethodPut, "/v2.1/products/updateSku", nil)
	o.mu.Lock()
	assert.Equal(t, []string{"product:7", "sku:S-7"}, o.calls[0], "the Call holds the product in the WriteOrder")
	o.mu.Unlock()
	assert.Zero(t, c.writes.Len())
}

// Call refuses a WithProductLock that names no product, and a nil option,
// before sending anything.
func TestClientCallRefusesBadOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, err := c.Call(context.Background(), http.MethodPut, "v2/things/1", nil, nil, nil, WithProductLock(0, ""), nil, WithProductLock(-1, "S"))
	requireRefused(t, err, s,
		FieldProblem{Field: "WithProductLock", Problem: "must name a product: a positive product id, an original SKU or both"},
		FieldProblem{Field: "opts[1]", Problem: "is a nil CallOption"},
		FieldProblem{Field: "WithProductLock", Problem: "must name a product: a positive product id, an original SKU or both"},
	)
}
