package tiki

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapLimiter lets every call through and counts the waits.
type mapLimiter struct{ waits atomic.Int64 }

func (l *mapLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return ctx.Err()
}

// Map returns one Result per input, in input order, each with its own
// outcome; every call goes through the client's limiter.
func TestMapGetsManyProductsInInputOrder(t *testing.T) {
	t.Parallel()
	lim := &mapLimiter{}
	c, s := setup(t, WithLimiter(lim))
	s.handle("GET /v2.1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if n, _ := strconv.Atoi(id); n%7 == 0 {
			status(404, `{"errors":["product not found"]}`)(w, r)
			return
		}
		status(200, `{"product_id":`+id+`,"sku":"T`+id+`","original_sku":"S-`+id+`"}`)(w, r)
	})
	ids := make([]int64, 60)
	for i := range ids {
		ids[i] = int64(60 - i) // descending: order is the input's, not the ids'
	}
	results, err := Map(context.Background(), ids, 8, func(ctx context.Context, id int64) (*Product, error) {
		p, _, err := c.Products.Get(ctx, id)
		return p, err
	})
	require.NoError(t, err)
	require.Len(t, results, len(ids))
	for i, r := range results {
		if ids[i]%7 == 0 {
			assert.ErrorIs(t, r.Err, ErrNotFound, "input %d", i)
			assert.Nil(t, r.Value)
			continue
		}
		require.NoError(t, r.Err, "input %d", i)
		assert.Equal(t, ids[i], r.Value.ProductID)
		assert.Equal(t, fmt.Sprintf("S-%d", ids[i]), r.Value.OriginalSKU)
	}
	assert.EqualValues(t, 60, lim.waits.Load(), "every call waited for the client's limiter")
	assert.Equal(t, 60, s.count())
}

// At most concurrency calls run at once, and Map does start that many.
func TestMapBoundsConcurrency(t *testing.T) {
	t.Parallel()
	const concurrency = 4
	var running, peak atomic.Int64
	full := make(chan struct{})
	var once sync.Once
	results, err := Map(context.Background(), make([]int, 40), concurrency, func(ctx context.Context, _ int) (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n == concurrency {
			once.Do(func() { close(full) })
		}
		<-full // the first calls wait until concurrency of them run
		return int(n), nil
	})
	require.NoError(t, err)
	require.Len(t, results, 40)
	assert.EqualValues(t, concurrency, peak.Load())
	for _, r := range results {
		assert.NoError(t, r.Err)
	}
}

// When ctx ends, the inputs not started are marked, never called.
func TestMapStopsStartingWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var called []int
	results, err := Map(ctx, []int{0, 1, 2, 3, 4, 5}, 1, func(ctx context.Context, in int) (string, error) {
		called = append(called, in) // one worker: no race
		if in == 2 {
			cancel() // stop at the first failure
			return "", errors.New("input 2 failed")
		}
		return strconv.Itoa(in), nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2}, called)
	assert.Equal(t, "0", results[0].Value)
	assert.Equal(t, "1", results[1].Value)
	assert.EqualError(t, results[2].Err, "input 2 failed")
	for _, r := range results[3:] {
		assert.ErrorIs(t, r.Err, ErrNotStarted)
		assert.ErrorIs(t, r.Err, context.Canceled)
	}
}

// A panic in fn fails its own input only.
func TestMapPanicBecomesError(t *testing.T) {
	t.Parallel()
	results, err := Map(context.Background(), []int{1, 2, 3}, 0, func(_ context.Context, in int) (int, error) {
		if in == 2 {
			panic("two")
		}
		return in * 10, nil
	})
	require.NoError(t, err)
	assert.Equal(t, Result[int]{Value: 10}, results[0])
	var pe *PanicError
	require.ErrorAs(t, results[1].Err, &pe)
	assert.Equal(t, "two", pe.Value)
	assert.Zero(t, results[1].Value)
	assert.Equal(t, Result[int]{Value: 30}, results[2])
}

func TestMapRefusesBadArguments(t *testing.T) {
	t.Parallel()
	called := false
	fn := func(context.Context, int) (int, error) { called = true; return 0, nil }
	var nilCtx context.Context
	_, err := Map(nilCtx, []int{1}, 0, fn)
	assert.ErrorIs(t, err, ErrNilContext)
	for _, tc := range []struct {
		concurrency int
		fn          func(context.Context, int) (int, error)
		want        FieldProblem
	}{
		{0, nil, FieldProblem{"fn", "is required"}},
		{-1, fn, FieldProblem{"concurrency", "must not be negative"}},
		{MaxConcurrency + 1, fn, FieldProblem{"concurrency", "must be at most 256"}},
	} {
		results, err := Map(context.Background(), []int{1}, tc.concurrency, tc.fn)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, []FieldProblem{tc.want}, ve.Problems)
		assert.Nil(t, results)
	}
	assert.False(t, called)

	results, err := Map(context.Background(), nil, 0, fn)
	require.NoError(t, err)
	assert.Empty(t, results)
}
