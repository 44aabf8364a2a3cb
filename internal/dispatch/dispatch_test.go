package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/dispatch"
)

type event interface{ name() string }

type a struct{}

func (*a) name() string { return "a" }

type b struct{}

func (*b) name() string { return "b" }

func TestTable(t *testing.T) {
	t.Parallel()
	var table dispatch.Table[string, event]
	assert.Nil(t, table.Get("a"), "the zero Table is empty")

	var got []string
	table.Set("a", dispatch.Adapt[event](func(_ context.Context, e *a) error {
		got = append(got, e.name())
		return nil
	}))
	h := table.Get("a")
	require.NotNil(t, h)
	require.NoError(t, h(context.Background(), &a{}))
	assert.Equal(t, []string{"a"}, got)
	assert.Nil(t, table.Get("b"))

	table.Set("a", dispatch.Adapt[event]((func(context.Context, *a) error)(nil)))
	assert.Nil(t, table.Get("a"), "a nil handler removes the registration")
	table.Set("b", nil)
	assert.Nil(t, table.Get("b"), "removing a missing handler is allowed")
}

func TestAdapt(t *testing.T) {
	t.Parallel()
	assert.Nil(t, dispatch.Adapt[event]((func(context.Context, *a) error)(nil)))

	boom := errors.New("boom")
	h := dispatch.Adapt[event](func(context.Context, *a) error { return boom })
	assert.ErrorIs(t, h(context.Background(), &a{}), boom)

	err := h(context.Background(), &b{})
	require.Error(t, err)
	assert.NotErrorIs(t, err, boom, "fn does not run for an event of another type")
	assert.Contains(t, err.Error(), "*dispatch_test.a")
	assert.Contains(t, err.Error(), "*dispatch_test.b")
}

func TestTableConcurrentUse(t *testing.T) {
	t.Parallel()
	var table dispatch.Table[int, event]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			table.Set(i%2, func(context.Context, event) error { return nil })
		}()
		go func() {
			defer wg.Done()
			if h := table.Get(i % 2); h != nil {
				_ = h(context.Background(), &a{})
			}
		}()
	}
	wg.Wait()
}
