package deliveredtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// T0 is when a Clock starts: a Friday morning in Vietnam.
var T0 = time.Date(2024, 5, 10, 9, 0, 0, 0, tiki.Vietnam())

// Clock is a clock that moves only when told to. A store under test
// dates its deliveries and failures with Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at T0.
func NewClock() *Clock { return &Clock{now: T0} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Opener makes an empty store for a test: one that remembers a delivery
// for retention (0: reconcile.DefaultDeliveredRetention) as told by
// clock.Now, and is closed when the test ends.
type Opener func(t *testing.T, retention time.Duration, clock *Clock) reconcile.DeliveredStore

// Key is a delivery of code in status at T0 plus sec seconds.
func Key(code string, status tiki.OrderStatus, sec int) reconcile.OrderKey {
	return reconcile.OrderKey{Code: code, Status: status, At: T0.Add(time.Duration(sec) * time.Second)}
}

// Run runs every case of the contract, in parallel, on stores made by
// open.
func Run(t *testing.T, open Opener) {
	t.Helper()
	for _, c := range []struct {
		name      string
		retention time.Duration
		test      func(t *testing.T, s reconcile.DeliveredStore, clock *Clock)
	}{
		{"RemembersTheLatestDeliveryAndTheCheckpoint", 0, latestAndCheckpoint},
		{"CountsFailuresUntilTheOrderIsDelivered", 0, failuresUntilDelivered},
		{"ForgetsDeliveriesAfterTheirRetention", time.Hour, retention},
		{"KeepsTheNewestOfConcurrentMarks", 0, concurrentMarks},
		{"IsSafeForConcurrentUse", 0, concurrentUse},
		{"RefusesBadInput", 0, badInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock()
			c.test(t, open(t, c.retention, clock), clock)
		})
	}
}

func latestAndCheckpoint(t *testing.T, s reconcile.DeliveredStore, _ *Clock) {
	ctx := context.Background()
	latest, err := s.Latest(ctx, []string{"300000001", "300000002"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}, {}}, latest)

	packaging := Key("300000001", tiki.OrderStatusPackaging, 60)
	require.NoError(t, s.MarkDelivered(ctx, packaging))
	require.NoError(t, s.MarkDelivered(ctx, packaging), "marking twice is not an error")
	require.NoError(t, s.MarkDelivered(ctx))
	require.NoError(t, s.MarkDelivered(ctx, Key("300000001", tiki.OrderStatusChoIn, 0)), "an older delivery")
	latest, err = s.Latest(ctx, []string{"300000001", "300000002"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{packaging, {}}, latest, "the newest delivery stays")

	// A newer one replaces it, and so does one of the same second; of the
	// keys of one call, the newest stays.
	shipping := Key("300000001", tiki.OrderStatusShipping, 120)
	require.NoError(t, s.MarkDelivered(ctx, shipping))
	canceled := Key("300000001", tiki.OrderStatusCanceled, 120)
	require.NoError(t, s.MarkDelivered(ctx, canceled))
	vn := Key("300000002", tiki.OrderStatusChoIn, 0)
	third := Key("300000003", tiki.OrderStatusShipping, 30)
	require.NoError(t, s.MarkDelivered(ctx, vn, third, Key("300000003", tiki.OrderStatusQueueing, 10)))
	latest, err = s.Latest(ctx, []string{"300000002", "300000001", "300000003", "300000002"})
	require.NoError(t, err)
	queueing := Key("300000002", tiki.OrderStatusQueueing, 0)
	assert.Equal(t, []reconcile.OrderKey{queueing, canceled, third, queueing}, latest,
		"a status in its Vietnamese form is kept in its canonical one")
	assert.Equal(t, tiki.Vietnam(), latest[1].At.Location())
	latest, err = s.Latest(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, latest)

	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.Zero(t, cp)
	require.NoError(t, s.SaveCheckpoint(ctx, T0))
	cp, err = s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, T0.Equal(cp), "%s", cp)
	require.NoError(t, s.SaveCheckpoint(ctx, T0.Add(time.Hour+time.Second)))
	cp, err = s.Checkpoint(ctx)
	require.NoError(t, err)
	assert.True(t, T0.Add(time.Hour+time.Second).Equal(cp), "%s", cp)
}

func failuresUntilDelivered(t *testing.T, s reconcile.DeliveredStore, clock *Clock) {
	ctx := context.Background()
	failures, err := s.Failures(ctx)
	require.NoError(t, err)
	assert.Empty(t, failures)
	a, b := Key("300000001", tiki.OrderStatusQueueing, 0), Key("300000002", tiki.OrderStatusQueueing, 0)
	f, err := s.RecordFailure(ctx, a, "order system down")
	require.NoError(t, err)
	assert.Equal(t, reconcile.OrderFailure{Key: a, Failures: 1, First: T0, Last: T0, Err: "order system down"}, f)
	clock.Advance(time.Minute)
	a2 := Key("300000001", tiki.OrderStatusPackaging, 30)
	f, err = s.RecordFailure(ctx, a2, "still down: \"quoted\", ünïcode\nand a new line")
	require.NoError(t, err)
	want := reconcile.OrderFailure{Key: a2, Failures: 2, First: T0, Last: T0.Add(time.Minute), Err: "still down: \"quoted\", ünïcode\nand a new line"}
	assert.Equal(t, want, f, "counted per order, whatever its status")
	_, err = s.RecordFailure(ctx, b, "bad address")
	require.NoError(t, err)

	failures, err = s.Failures(ctx)
	require.NoError(t, err)
	require.Len(t, failures, 2)
	assert.Equal(t, want, failures[0])
	assert.Equal(t, "300000002", failures[1].Key.Code)
	assert.Equal(t, tiki.Vietnam(), failures[0].Last.Location())

	// An older delivery of the order (a late event) leaves them; one at
	// least as new as the failed key clears them.
	clock.Advance(365 * 24 * time.Hour) // failures are not forgotten
	require.NoError(t, s.MarkDelivered(ctx, Key("300000002", tiki.OrderStatusCanceled, -60)))
	failures, err = s.Failures(ctx)
	require.NoError(t, err)
	assert.Len(t, failures, 2, "an older delivery leaves the failures of a newer one")
	require.NoError(t, s.MarkDelivered(ctx, Key("300000002", tiki.OrderStatusCanceled, 0)))
	failures, err = s.Failures(ctx)
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderFailure{want}, failures)
}

func retention(t *testing.T, s reconcile.DeliveredStore, clock *Clock) {
	ctx := context.Background()
	a := Key("300000001", tiki.OrderStatusQueueing, 0)
	require.NoError(t, s.MarkDelivered(ctx, a))
	clock.Advance(59 * time.Minute)
	latest, err := s.Latest(ctx, []string{a.Code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{a}, latest)
	clock.Advance(time.Minute)
	latest, err = s.Latest(ctx, []string{a.Code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}}, latest)
	// An older delivery marked after the newer one expired is the latest
	// again.
	older := Key("300000001", tiki.OrderStatusCanceled, -60)
	require.NoError(t, s.MarkDelivered(ctx, older))
	latest, err = s.Latest(ctx, []string{a.Code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{older}, latest)
}

func concurrentMarks(t *testing.T, s reconcile.DeliveredStore, _ *Clock) {
	ctx := context.Background()
	statuses := []tiki.OrderStatus{tiki.OrderStatusQueueing, tiki.OrderStatusPackaging, tiki.OrderStatusShipping}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				sec := (g*7 + i*13) % 100
				assert.NoError(t, s.MarkDelivered(ctx, Key("300000001", statuses[sec%3], sec)))
			}
		}()
	}
	wg.Wait()
	latest, err := s.Latest(ctx, []string{"300000001"})
	require.NoError(t, err)
	newest := 0
	for g := range 8 {
		for i := range 20 {
			newest = max(newest, (g*7+i*13)%100)
		}
	}
	assert.Equal(t, []reconcile.OrderKey{Key("300000001", statuses[newest%3], newest)}, latest, "the newest wins")
}

func concurrentUse(t *testing.T, s reconcile.DeliveredStore, _ *Clock) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				k := Key(fmt.Sprint(g*1000+i), tiki.OrderStatusQueueing, i)
				_, err := s.RecordFailure(ctx, k, "retry")
				assert.NoError(t, err)
				assert.NoError(t, s.MarkDelivered(ctx, k))
				latest, err := s.Latest(ctx, []string{k.Code})
				assert.NoError(t, err)
				assert.Equal(t, []reconcile.OrderKey{k}, latest)
				_, err = s.Failures(ctx)
				assert.NoError(t, err)
				assert.NoError(t, s.SaveCheckpoint(ctx, T0.Add(time.Duration(i)*time.Second)))
			}
		}()
	}
	wg.Wait()
	failures, err := s.Failures(ctx)
	require.NoError(t, err)
	assert.Empty(t, failures)
}

func badInput(t *testing.T, s reconcile.DeliveredStore, _ *Clock) {
	var nilCtx context.Context
	_, err := s.Latest(nilCtx, []string{"1", ""})
	RequireProblems(t, err, "ctx", "codes[1]")
	RequireProblems(t, s.MarkDelivered(context.Background(), reconcile.OrderKey{Status: "queueing"}), "keys[0].Code", "keys[0].At")
	_, err = s.RecordFailure(nilCtx, reconcile.OrderKey{Code: "1", At: T0}, "")
	RequireProblems(t, err, "ctx", "keys[0].Status")
	_, err = s.Failures(nilCtx)
	RequireProblems(t, err, "ctx")
	_, err = s.Checkpoint(nilCtx)
	RequireProblems(t, err, "ctx")
	RequireProblems(t, s.SaveCheckpoint(nilCtx, T0), "ctx")
}

// RequireProblems checks that err is a *tiki.ValidationError naming
// exactly fields, in order.
func RequireProblems(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
	}
	assert.Equal(t, fields, got, err.Error())
}
