package reconcile_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// ordersNext are the statuses an order moves to from each status, in the
// randomized test; a status an order reached is never reached again.
var ordersNext = map[tiki.OrderStatus][]tiki.OrderStatus{
	tiki.OrderStatusQueueing:  {tiki.OrderStatusPackaging, tiki.OrderStatusCanceled},
	tiki.OrderStatusPackaging: {tiki.OrderStatusShipping, tiki.OrderStatusCanceled},
	tiki.OrderStatusShipping:  {tiki.OrderStatusSuccessfulDelivery, tiki.OrderStatusReturned},
}

// TestOrdersBackfillDeliversEveryOrderWithEventsLostAtRandom places and
// moves orders on the fake at random (now and then twice in one second),
// losing 30 % of their notifications, with a live path that hands the
// others to the backfill but is down one round in three (its events then
// arrive late, after a pass delivered newer statuses), a handler that
// fails the first attempt of one delivery in six (live or backfilled),
// orders parked after one or two failed passes in some runs, processes
// that crash in the middle of a pass and restart from their file, and
// windows of random size. After every round's pass, the orders the pass
// reports lost or failed are exactly the ones whose current status the
// handler did not have. At the end every order was delivered in its
// current status exactly once, no delivery was accepted twice, and of each
// order no delivery was handed out after a newer one.
func TestOrdersBackfillDeliversEveryOrderWithEventsLostAtRandom(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			ordersRandomRun(t, seed)
		})
	}
}

func ordersRandomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x0d3))
	path := t.TempDir() + "/orders.log"
	store, err := reconcile.NewFileDeliveredStore(path, 0)
	require.NoError(t, err)
	opts := reconcile.OrdersOptions{
		Window:    time.Duration(1+rng.IntN(30)) * time.Minute,
		Workers:   1 + rng.IntN(4),
		Start:     ordersT0,
		ParkAfter: []int{1, 2, 5}[rng.IntN(3)],
	}
	e := newOrdersEnv(t, opts)
	e.restart(store)
	defer func() { store.Close() }()

	status := map[string]tiki.OrderStatus{}
	lostChanges := 0
	e.srv.LoseOrderNotifications(func(c tikitest.OrderChange) bool {
		status[c.Code] = c.Status
		lose := rng.Float64() < 0.3
		if lose {
			lostChanges++
		}
		return lose
	})
	// The handler fails the first attempt of one delivery in six; the
	// crash of a round fails the call it happens in.
	var mu sync.Mutex // handler calls run at once (Workers)
	attempts := map[reconcile.OrderKey]int{}
	var crash func(reconcile.OrderDelivery) error
	e.handler.setFail(func(d reconcile.OrderDelivery) error {
		mu.Lock()
		defer mu.Unlock()
		k := d.Key()
		attempts[k]++
		if crash != nil {
			if err := crash(d); err != nil {
				return err
			}
		}
		h := fnv.New32a()
		fmt.Fprint(h, seed, k)
		if attempts[k] == 1 && h.Sum32()%6 == 0 {
			return fmt.Errorf("first attempt of %s fails", k)
		}
		return nil
	})

	// missing are the orders, in their current status, whose status the
	// handler does not have: what the next pass must hand out.
	var codes []string
	missing := func() []reconcile.OrderKey {
		newest := e.handler.newestStatuses()
		var out []reconcile.OrderKey
		for _, c := range codes {
			if newest[c] != status[c] {
				out = append(out, orderKey(c, status[c]))
			}
		}
		return sortedOrderKeys(out)
	}
	totalLost, crashes, failures, downs := 0, 0, 0, 0
	for round := range 16 {
		for range 2 + rng.IntN(8) {
			e.clock.Advance(time.Duration(rng.IntN(240)) * time.Second) // 0: two changes in one second
			var open []string
			for _, c := range codes {
				if len(ordersNext[status[c]]) > 0 {
					open = append(open, c)
				}
			}
			if len(open) == 0 || rng.IntN(10) < 4 {
				codes = append(codes, e.placeOrder())
				continue
			}
			c := open[rng.IntN(len(open))]
			next := ordersNext[status[c]]
			e.setStatus(c, next[rng.IntN(len(next))])
		}
		if rng.IntN(3) == 0 {
			downs++ // the live path is down: its events come after the pass
		} else {
			for !e.live() {
			}
		}
		want := missing()

		var lost, failed []reconcile.OrderKey
		ctx, cancel := context.WithCancel(context.Background())
		if rng.IntN(4) == 0 {
			// The process dies after n handler calls of this pass.
			n := rng.IntN(len(want) + 1)
			mu.Lock()
			crash = func(reconcile.OrderDelivery) error {
				if n == 0 {
					cancel()
					return ctx.Err()
				}
				n--
				return nil
			}
			mu.Unlock()
		}
		report, err := e.onceWith(ctx)
		cancel()
		mu.Lock()
		crashed := crash != nil
		crash = nil
		mu.Unlock()
		if crashed {
			crashes++
			lost = append(lost, statusKeys(report.Lost)...)
			require.NoError(t, store.Close())
			store, err = reconcile.NewFileDeliveredStore(path, 0)
			require.NoError(t, err)
			e.restart(store)
			report, err = e.b.Once(context.Background())
		}
		lost = append(lost, statusKeys(report.Lost)...)
		for _, f := range report.Failed {
			failed = append(failed, statusKey(f.Key))
		}
		failures += len(failed)
		if len(failed) == 0 {
			require.NoError(t, err, "round %d", round)
			assert.Equal(t, report.To, report.Checkpoint, "round %d", round)
		} else {
			require.Error(t, err, "round %d", round)
		}
		assert.Equal(t, want, sortedOrderKeys(slices.Concat(lost, failed)), "round %d: lost or failed", round)
		for _, k := range lost {
			assert.NotContains(t, failed, k, "round %d", round)
		}
		totalLost += len(lost)
	}

	// The live path catches up, and a last pass with nothing failing
	// delivers what is left.
	for !e.live() {
	}
	e.handler.setFail(nil)
	want := missing()
	report, err := e.once()
	require.NoError(t, err)
	assert.Equal(t, want, statusKeys(report.Lost))
	assert.Empty(t, report.Parked)
	totalLost += len(report.Lost)
	assert.Empty(t, missing())

	live, backfilled := e.handler.delivered()
	assert.Len(t, backfilled, totalLost, "the lost count is what the backfill delivered")
	e.handler.requireOnceInOrder(t)
	seen := map[reconcile.OrderKey]int{}
	for _, k := range slices.Concat(live, backfilled) {
		seen[k]++
	}
	for k, n := range seen {
		assert.Equal(t, 1, n, "%s delivered %d times", k, n)
	}
	for _, c := range codes {
		assert.Equal(t, 1, seen[orderKey(c, status[c])], "order %s in its current status %s", c, status[c])
	}
	t.Logf("seed %d (window %v, %d workers, parked after %d): %d orders, %d changes lost, live path down %d rounds, %d delivered live, %d through the backfill; %d crashes, %d failed deliveries",
		seed, opts.Window, opts.Workers, opts.ParkAfter, len(codes), lostChanges, downs, len(live), totalLost, crashes, failures)
}
