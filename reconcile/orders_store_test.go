package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// deliveredStores are the package's stores, each made fresh for a test
// with a retention and a clock.
var deliveredStores = []struct {
	name string
	open func(t *testing.T, retention time.Duration, clock *ordersClock) reconcile.DeliveredStore
}{
	{"memory", func(t *testing.T, retention time.Duration, clock *ordersClock) reconcile.DeliveredStore {
		s, err := reconcile.NewMemoryDeliveredStore(retention)
		require.NoError(t, err)
		reconcile.SetDeliveredClock(s, clock.Now)
		return s
	}},
	{"file", func(t *testing.T, retention time.Duration, clock *ordersClock) reconcile.DeliveredStore {
		s, err := reconcile.NewFileDeliveredStore(filepath.Join(t.TempDir(), "state", "orders.log"), retention)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		reconcile.SetDeliveredClock(s, clock.Now)
		return s
	}},
}

// forEachDeliveredStore runs test, in parallel, on each of the package's stores.
func forEachDeliveredStore(t *testing.T, retention time.Duration, test func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock)) {
	t.Helper()
	for _, st := range deliveredStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			clock := &ordersClock{now: ordersT0}
			test(t, st.open(t, retention, clock), clock)
		})
	}
}

func TestDeliveredStoresRememberDeliveriesAndTheCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		a, b := orderKey("300000001", tiki.OrderStatusQueueing), orderKey("300000001", tiki.OrderStatusCanceled)
		done, err := s.Delivered(ctx, []reconcile.OrderKey{a, b})
		require.NoError(t, err)
		assert.Equal(t, []bool{false, false}, done)

		require.NoError(t, s.MarkDelivered(ctx, a))
		require.NoError(t, s.MarkDelivered(ctx, a), "marking twice is not an error")
		require.NoError(t, s.MarkDelivered(ctx))
		done, err = s.Delivered(ctx, []reconcile.OrderKey{a, b, orderKey("300000001", tiki.OrderStatusChoIn)})
		require.NoError(t, err)
		assert.Equal(t, []bool{true, false, true}, done, "a status in its Vietnamese form is the same delivery")

		cp, err := s.Checkpoint(ctx)
		require.NoError(t, err)
		assert.Zero(t, cp)
		require.NoError(t, s.SaveCheckpoint(ctx, ordersT0))
		cp, err = s.Checkpoint(ctx)
		require.NoError(t, err)
		assert.True(t, ordersT0.Equal(cp), "%s", cp)
	})
}

func TestDeliveredStoresForgetKeysAfterTheirRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, time.Hour, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		a := orderKey("300000001", tiki.OrderStatusQueueing)
		require.NoError(t, s.MarkDelivered(ctx, a))
		clock.Advance(59 * time.Minute)
		done, err := s.Delivered(ctx, []reconcile.OrderKey{a})
		require.NoError(t, err)
		assert.Equal(t, []bool{true}, done)
		clock.Advance(time.Minute)
		done, err = s.Delivered(ctx, []reconcile.OrderKey{a})
		require.NoError(t, err)
		assert.Equal(t, []bool{false}, done)
	})
}

func TestDeliveredStoresAreSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					k := orderKey(fmt.Sprint(g*1000+i), tiki.OrderStatusQueueing)
					assert.NoError(t, s.MarkDelivered(ctx, k))
					done, err := s.Delivered(ctx, []reconcile.OrderKey{k})
					assert.NoError(t, err)
					assert.Equal(t, []bool{true}, done)
					assert.NoError(t, s.SaveCheckpoint(ctx, ordersT0.Add(time.Duration(i)*time.Second)))
				}
			}()
		}
		wg.Wait()
	})
}

func TestDeliveredStoresRefuseBadInput(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		_, err := s.Delivered(nilCtx, []reconcile.OrderKey{{Code: "1"}})
		requireOrderProblems(t, err, "ctx", "keys[0].Status")
		requireOrderProblems(t, s.MarkDelivered(context.Background(), reconcile.OrderKey{Status: "queueing"}), "keys[0].Code")
		_, err = s.Checkpoint(nilCtx)
		requireOrderProblems(t, err, "ctx")
		requireOrderProblems(t, s.SaveCheckpoint(nilCtx, ordersT0), "ctx")
	})
	_, err := reconcile.NewMemoryDeliveredStore(-time.Hour)
	requireOrderProblems(t, err, "retention")
	_, err = reconcile.NewFileDeliveredStore("", time.Millisecond)
	requireOrderProblems(t, err, "path", "retention")

	// Stores not made by their constructor fail instead of panicking.
	ctx := context.Background()
	for _, s := range []reconcile.DeliveredStore{&reconcile.MemoryDeliveredStore{}, (*reconcile.MemoryDeliveredStore)(nil),
		&reconcile.FileDeliveredStore{}, (*reconcile.FileDeliveredStore)(nil)} {
		_, err := s.Delivered(ctx, nil)
		assert.Error(t, err)
		assert.Error(t, s.MarkDelivered(ctx, orderKey("1", "queueing")))
		_, err = s.Checkpoint(ctx)
		assert.Error(t, err)
		assert.Error(t, s.SaveCheckpoint(ctx, ordersT0))
	}
}

// --- The file store -----------------------------------------------------

func TestFileDeliveredStoreSurvivesARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orders.log")
	s, err := reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	clock := &ordersClock{now: ordersT0}
	reconcile.SetDeliveredClock(s, clock.Now)
	a, b := orderKey("300000001", tiki.OrderStatusQueueing), orderKey("300000002", tiki.OrderStatusChoIn)
	require.NoError(t, s.MarkDelivered(ctx, a, b))
	require.NoError(t, s.SaveCheckpoint(ctx, ordersT0.Add(-time.Minute)))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice")
	assert.ErrorIs(t, s.MarkDelivered(ctx, a), reconcile.ErrDeliveredStore, "closed")
	_, err = s.Delivered(ctx, []reconcile.OrderKey{a})
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")
	_, err = s.Checkpoint(ctx)
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{"tiki_orders_delivered":1}
{"code":"300000001","status":"queueing","at":1715306400}
{"code":"300000002","status":"queueing","at":1715306400}
{"checkpoint":"2024-05-10T08:59:00+07:00"}
`, string(raw))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	s, err = reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, clock.Now)
	done, err := s.Delivered(ctx, []reconcile.OrderKey{a, orderKey("300000002", tiki.OrderStatusQueueing), orderKey("3", "queueing")})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, false}, done)
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, ordersT0.Add(-time.Minute).Equal(cp))
}

func TestFileDeliveredStoreDropsALastLineCutShort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orders.log")
	good := `{"tiki_orders_delivered":1}
{"code":"1","status":"queueing","at":1715306400}
`
	require.NoError(t, os.WriteFile(path, []byte(good+`{"code":"2","sta`), 0o600))
	s, err := reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, (&ordersClock{now: ordersT0}).Now)
	done, err := s.Delivered(ctx, []reconcile.OrderKey{orderKey("1", "queueing"), orderKey("2", "queueing")})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false}, done)

	require.NoError(t, s.MarkDelivered(ctx, orderKey("3", "canceled")))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, good+`{"code":"3","status":"canceled","at":1715306400}`+"\n", string(raw))
}

func TestFileDeliveredStoreRefusesAFileItCannotRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content, message string }{
		{"damaged line", `{"tiki_orders_delivered":1}
{"code":"1","status":"queueing","at":1715306400}
{"code":"2","status":"queueing","at":"yesterday"}
{"code":"3","status":"queueing","at":1715306400}
`, "line 3: json: cannot unmarshal string"},
		{"unknown line", `{"tiki_orders_delivered":1}
{"order":"1"}
`, "line 2: json: unknown field"},
		{"neither", `{"tiki_orders_delivered":1}
{"code":"1"}
`, "line 2: neither a delivered order nor a checkpoint"},
		{"another file", `{"queue":"q","ack_id":"a"}
`, `line 1 is not {"tiki_orders_delivered":1}: not a delivered store's file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "orders.log")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			_, err := reconcile.NewFileDeliveredStore(path, 0)
			require.ErrorIs(t, err, reconcile.ErrDeliveredStore)
			assert.Contains(t, err.Error(), path+": "+tc.message)
			raw, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, tc.content, string(raw), "left as it was")
		})
	}
}

func TestFileDeliveredStoreRewritesALogOfMostlyDeadLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orders.log")
	s, err := reconcile.NewFileDeliveredStore(path, time.Hour)
	require.NoError(t, err)
	clock := &ordersClock{now: ordersT0}
	reconcile.SetDeliveredClock(s, clock.Now)
	old := orderKey("1", tiki.OrderStatusQueueing)
	require.NoError(t, s.MarkDelivered(ctx, old))
	clock.Advance(2 * time.Hour) // old expires
	live := orderKey("2", tiki.OrderStatusQueueing)
	require.NoError(t, s.SaveCheckpoint(ctx, clock.Now()))
	repeated := make([]reconcile.OrderKey, reconcile.DeliveredMinCompact)
	for i := range repeated {
		repeated[i] = live
	}
	require.NoError(t, s.MarkDelivered(ctx, repeated...))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Less(t, strings.Count(string(raw), "\n"), 100, "rewritten with the live lines")
	assert.NotContains(t, string(raw), `"code":"1"`, "expired keys are dropped")
	require.NoError(t, s.MarkDelivered(ctx, orderKey("3", tiki.OrderStatusQueueing)), "appends to the new file")
	require.NoError(t, s.Close())

	s, err = reconcile.NewFileDeliveredStore(path, time.Hour)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, clock.Now)
	done, err := s.Delivered(ctx, []reconcile.OrderKey{old, live, orderKey("3", tiki.OrderStatusQueueing)})
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true, true}, done)
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, clock.Now().Equal(cp))
	matches, err := filepath.Glob(path + ".tmp-*")
	require.NoError(t, err)
	assert.Empty(t, matches, "no temporary file left")
}
