package reconcile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/deliveredtest"
	"github.com/tikisdk/tiki/reconcile"
)

// The package's stores pass the contract of every DeliveredStore.
func TestDeliveredStores(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		deliveredtest.Run(t, func(t *testing.T, retention time.Duration, clock *deliveredtest.Clock) reconcile.DeliveredStore {
			s, err := reconcile.NewMemoryDeliveredStore(retention)
			require.NoError(t, err)
			reconcile.SetDeliveredClock(s, clock.Now)
			return s
		})
	})
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		deliveredtest.Run(t, func(t *testing.T, retention time.Duration, clock *deliveredtest.Clock) reconcile.DeliveredStore {
			s, err := reconcile.NewFileDeliveredStore(filepath.Join(t.TempDir(), "state", "orders.log"), retention)
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			reconcile.SetDeliveredClock(s, clock.Now)
			return s
		})
	})
}

// deliveredKey is a delivery of code in status at t0 plus sec seconds.
var deliveredKey = deliveredtest.Key

// Constructors refuse bad arguments, and stores not made by their
// constructor fail instead of panicking.
func TestDeliveredStoresRefuseBadConstruction(t *testing.T) {
	t.Parallel()
	_, err := reconcile.NewMemoryDeliveredStore(-time.Hour)
	requireOrderProblems(t, err, "retention")
	_, err = reconcile.NewFileDeliveredStore("", time.Millisecond)
	requireOrderProblems(t, err, "path", "retention")

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
	clock := newOrdersClock()
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
	reconcile.SetDeliveredClock(s, newOrdersClock().Now)
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
	clock := newOrdersClock()
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
