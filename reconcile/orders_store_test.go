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

// deliveredKey is a delivery of code in status at t0 plus sec seconds.
func deliveredKey(code string, status tiki.OrderStatus, sec int) reconcile.OrderKey {
	return reconcile.OrderKey{Code: code, Status: status, At: ordersT0.Add(time.Duration(sec) * time.Second)}
}

func TestDeliveredStoresRememberTheLatestDeliveryAndTheCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		latest, err := s.Latest(ctx, []string{"300000001", "300000002"})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{{}, {}}, latest)

		packaging := deliveredKey("300000001", tiki.OrderStatusPackaging, 60)
		require.NoError(t, s.MarkDelivered(ctx, packaging))
		require.NoError(t, s.MarkDelivered(ctx, packaging), "marking twice is not an error")
		require.NoError(t, s.MarkDelivered(ctx))
		require.NoError(t, s.MarkDelivered(ctx, deliveredKey("300000001", tiki.OrderStatusChoIn, 0)), "an older delivery")
		latest, err = s.Latest(ctx, []string{"300000001", "300000002"})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{packaging, {}}, latest, "the newest delivery stays")

		// A newer one replaces it, and so does one of the same second.
		shipping := deliveredKey("300000001", tiki.OrderStatusShipping, 120)
		require.NoError(t, s.MarkDelivered(ctx, shipping))
		canceled := deliveredKey("300000001", tiki.OrderStatusCanceled, 120)
		require.NoError(t, s.MarkDelivered(ctx, canceled))
		vn := deliveredKey("300000002", tiki.OrderStatusChoIn, 0)
		require.NoError(t, s.MarkDelivered(ctx, vn))
		latest, err = s.Latest(ctx, []string{"300000002", "300000001"})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{deliveredKey("300000002", tiki.OrderStatusQueueing, 0), canceled}, latest,
			"a status in its Vietnamese form is kept in its canonical one")
		assert.Equal(t, tiki.Vietnam(), latest[1].At.Location())

		cp, err := s.Checkpoint(ctx)
		require.NoError(t, err)
		assert.Zero(t, cp)
		require.NoError(t, s.SaveCheckpoint(ctx, ordersT0))
		cp, err = s.Checkpoint(ctx)
		require.NoError(t, err)
		assert.True(t, ordersT0.Equal(cp), "%s", cp)
	})
}

func TestDeliveredStoresCountFailuresUntilTheOrderIsDelivered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		a, b := deliveredKey("300000001", tiki.OrderStatusQueueing, 0), deliveredKey("300000002", tiki.OrderStatusQueueing, 0)
		f, err := s.RecordFailure(ctx, a, "order system down")
		require.NoError(t, err)
		assert.Equal(t, reconcile.OrderFailure{Key: a, Failures: 1, First: ordersT0, Last: ordersT0, Err: "order system down"}, f)
		clock.Advance(time.Minute)
		a2 := deliveredKey("300000001", tiki.OrderStatusPackaging, 30)
		f, err = s.RecordFailure(ctx, a2, "still down")
		require.NoError(t, err)
		want := reconcile.OrderFailure{Key: a2, Failures: 2, First: ordersT0, Last: ordersT0.Add(time.Minute), Err: "still down"}
		assert.Equal(t, want, f, "counted per order, whatever its status")
		_, err = s.RecordFailure(ctx, b, "bad address")
		require.NoError(t, err)

		failures, err := s.Failures(ctx)
		require.NoError(t, err)
		require.Len(t, failures, 2)
		assert.Equal(t, want, failures[0])
		assert.Equal(t, "300000002", failures[1].Key.Code)

		// An older delivery of the order (a late event) leaves them; one
		// at least as new as the failed key clears them.
		clock.Advance(365 * 24 * time.Hour) // failures are not forgotten
		require.NoError(t, s.MarkDelivered(ctx, deliveredKey("300000002", tiki.OrderStatusCanceled, -60)))
		failures, err = s.Failures(ctx)
		require.NoError(t, err)
		assert.Len(t, failures, 2, "an older delivery leaves the failures of a newer one")
		require.NoError(t, s.MarkDelivered(ctx, deliveredKey("300000002", tiki.OrderStatusCanceled, 0)))
		failures, err = s.Failures(ctx)
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderFailure{want}, failures)
	})
}

func TestDeliveredStoresForgetDeliveriesAfterTheirRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEachDeliveredStore(t, time.Hour, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		a := deliveredKey("300000001", tiki.OrderStatusQueueing, 0)
		require.NoError(t, s.MarkDelivered(ctx, a))
		clock.Advance(59 * time.Minute)
		latest, err := s.Latest(ctx, []string{a.Code})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{a}, latest)
		clock.Advance(time.Minute)
		latest, err = s.Latest(ctx, []string{a.Code})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{{}}, latest)
		// An older delivery marked after the newer one expired is the
		// latest again.
		older := deliveredKey("300000001", tiki.OrderStatusCanceled, -60)
		require.NoError(t, s.MarkDelivered(ctx, older))
		latest, err = s.Latest(ctx, []string{a.Code})
		require.NoError(t, err)
		assert.Equal(t, []reconcile.OrderKey{older}, latest)
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
					k := deliveredKey(fmt.Sprint(g*1000+i), tiki.OrderStatusQueueing, i)
					_, err := s.RecordFailure(ctx, k, "retry")
					assert.NoError(t, err)
					assert.NoError(t, s.MarkDelivered(ctx, k))
					latest, err := s.Latest(ctx, []string{k.Code})
					assert.NoError(t, err)
					assert.Equal(t, []reconcile.OrderKey{k}, latest)
					_, err = s.Failures(ctx)
					assert.NoError(t, err)
					assert.NoError(t, s.SaveCheckpoint(ctx, ordersT0.Add(time.Duration(i)*time.Second)))
				}
			}()
		}
		wg.Wait()
		failures, err := s.Failures(ctx)
		require.NoError(t, err)
		assert.Empty(t, failures)
	})
}

func TestDeliveredStoresRefuseBadInput(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	forEachDeliveredStore(t, 0, func(t *testing.T, s reconcile.DeliveredStore, clock *ordersClock) {
		_, err := s.Latest(nilCtx, []string{"1", ""})
		requireOrderProblems(t, err, "ctx", "codes[1]")
		requireOrderProblems(t, s.MarkDelivered(context.Background(), reconcile.OrderKey{Status: "queueing"}), "keys[0].Code", "keys[0].At")
		_, err = s.RecordFailure(nilCtx, reconcile.OrderKey{Code: "1", At: ordersT0}, "")
		requireOrderProblems(t, err, "ctx", "keys[0].Status")
		_, err = s.Failures(nilCtx)
		requireOrderProblems(t, err, "ctx")
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
		_, err := s.Latest(ctx, nil)
		assert.Error(t, err)
		k := deliveredKey("1", "queueing", 0)
		assert.Error(t, s.MarkDelivered(ctx, k))
		_, err = s.RecordFailure(ctx, k, "")
		assert.Error(t, err)
		_, err = s.Failures(ctx)
		assert.Error(t, err)
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
	a, b := deliveredKey("300000001", tiki.OrderStatusQueueing, 0), deliveredKey("300000002", tiki.OrderStatusChoIn, 0)
	c := deliveredKey("300000003", tiki.OrderStatusQueueing, 0)
	require.NoError(t, s.MarkDelivered(ctx, a, b))
	failure, err := s.RecordFailure(ctx, c, "order system down")
	require.NoError(t, err)
	require.NoError(t, s.SaveCheckpoint(ctx, ordersT0.Add(-time.Minute)))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice")
	assert.ErrorIs(t, s.MarkDelivered(ctx, a), reconcile.ErrDeliveredStore, "closed")
	_, err = s.Latest(ctx, []string{a.Code})
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")
	_, err = s.RecordFailure(ctx, c, "")
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")
	_, err = s.Failures(ctx)
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")
	_, err = s.Checkpoint(ctx)
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore, "closed")

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{"tiki_orders_delivered":2}
{"code":"300000001","status":"queueing","at":1715306400,"marked":1715306400}
{"code":"300000002","status":"queueing","at":1715306400,"marked":1715306400}
{"code":"300000003","status":"queueing","at":1715306400,"failures":1,"first":1715306400,"last":1715306400,"err":"order system down"}
{"checkpoint":"2024-05-10T08:59:00+07:00"}
`, string(raw))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	s, err = reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, clock.Now)
	latest, err := s.Latest(ctx, []string{a.Code, b.Code, "3"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{a, deliveredKey("300000002", tiki.OrderStatusQueueing, 0), {}}, latest)
	failures, err := s.Failures(ctx)
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderFailure{failure}, failures)
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, ordersT0.Add(-time.Minute).Equal(cp))
}

func TestFileDeliveredStoreDropsALastLineCutShort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orders.log")
	good := `{"tiki_orders_delivered":2}
{"code":"1","status":"queueing","at":1715306400,"marked":1715306400}
`
	require.NoError(t, os.WriteFile(path, []byte(good+`{"code":"2","sta`), 0o600))
	s, err := reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, (&ordersClock{now: ordersT0}).Now)
	latest, err := s.Latest(ctx, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{deliveredKey("1", "queueing", 0), {}}, latest)

	require.NoError(t, s.MarkDelivered(ctx, deliveredKey("3", "canceled", 0)))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, good+`{"code":"3","status":"canceled","at":1715306400,"marked":1715306400}`+"\n", string(raw))
}

func TestFileDeliveredStoreRefusesAFileItCannotRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content, message string }{
		{"damaged line", `{"tiki_orders_delivered":2}
{"code":"1","status":"queueing","at":1715306400,"marked":1715306400}
{"code":"2","status":"queueing","at":"yesterday","marked":1715306400}
{"code":"3","status":"queueing","at":1715306400,"marked":1715306400}
`, "line 3: json: cannot unmarshal string"},
		{"unknown line", `{"tiki_orders_delivered":2}
{"order":"1"}
`, "line 2: json: unknown field"},
		{"neither", `{"tiki_orders_delivered":2}
{"code":"1","status":"queueing","at":1715306400}
`, "line 2: neither a delivered order, a failed one nor a checkpoint"},
		{"an older format", `{"tiki_orders_delivered":1}
{"code":"1","status":"queueing","at":1715306400}
`, `line 1 is not {"tiki_orders_delivered":2}: not a delivered store's file`},
		{"another file", `{"queue":"q","ack_id":"a"}
`, `line 1 is not {"tiki_orders_delivered":2}: not a delivered store's file`},
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
	old := deliveredKey("1", tiki.OrderStatusQueueing, 0)
	require.NoError(t, s.MarkDelivered(ctx, old))
	failing := deliveredKey("4", tiki.OrderStatusQueueing, 0)
	failure, err := s.RecordFailure(ctx, failing, "down")
	require.NoError(t, err)
	clock.Advance(2 * time.Hour) // old expires; failures do not
	require.NoError(t, s.SaveCheckpoint(ctx, clock.Now()))
	repeated := make([]reconcile.OrderKey, reconcile.DeliveredMinCompact)
	for i := range repeated {
		repeated[i] = deliveredKey("2", tiki.OrderStatusQueueing, i)
	}
	live := repeated[len(repeated)-1]
	require.NoError(t, s.MarkDelivered(ctx, repeated...))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Less(t, strings.Count(string(raw), "\n"), 100, "rewritten with the live lines")
	assert.NotContains(t, string(raw), `"code":"1"`, "expired deliveries are dropped")
	assert.Contains(t, string(raw), `"code":"4"`, "failures are kept")
	third := deliveredKey("3", tiki.OrderStatusQueueing, 0)
	require.NoError(t, s.MarkDelivered(ctx, third), "appends to the new file")
	require.NoError(t, s.Close())

	s, err = reconcile.NewFileDeliveredStore(path, time.Hour)
	require.NoError(t, err)
	defer s.Close()
	reconcile.SetDeliveredClock(s, clock.Now)
	latest, err := s.Latest(ctx, []string{"1", "2", "3"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}, live, third}, latest)
	failures, err := s.Failures(ctx)
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderFailure{failure}, failures)
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, clock.Now().Equal(cp))
	matches, err := filepath.Glob(path + ".tmp-*")
	require.NoError(t, err)
	assert.Empty(t, matches, "no temporary file left")
}
