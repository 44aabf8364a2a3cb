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
// moves orders on the fake at random, losing 30 % of their notifications,
// with a live path that hands the others to the backfill, a handler that
// fails the first attempt of one delivery in six (live or backfilled),
// processes that crash in the middle of a pass and restart from their
// file, and windows of random size. After every round's pass, the orders
// the pass reports lost are exactly the ones whose current status was
// notified by nothing but the backfill, less the ones whose handler failed
// (reported as failed, and delivered by a later pass). At the end every
// order was delivered in its current status exactly once.
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
	e := newOrdersEnv(t, reconcile.OrdersOptions{
		Window:  time.Duration(1+rng.IntN(30)) * time.Minute,
		Workers: 1 + rng.IntN(4),
		Start:   ordersT0,
	})
	e.restart(store)
	defer func() { store.Close() }()

	// pending are the orders in a status whose notification was lost and
	// that no pass delivered yet: what the next pass must find.
	status := map[string]tiki.OrderStatus{}
	pending := map[reconcile.OrderKey]bool{}
	lostChanges := map[reconcile.OrderKey]bool{}
	e.srv.LoseOrderNotifications(func(c tikitest.OrderChange) bool {
		if prev, ok := status[c.Code]; ok {
			delete(pending, orderKey(c.Code, prev)) // never visible again
		}
		status[c.Code] = c.Status
		lose := rng.Float64() < 0.3
		if lose {
			pending[orderKey(c.Code, c.Status)] = true
			lostChanges[orderKey(c.Code, c.Status)] = true
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

	var codes []string
	totalLost, crashes, failures := 0, 0, 0
	for round := range 16 {
		for range 2 + rng.IntN(8) {
			e.clock.Advance(time.Duration(1+rng.IntN(240)) * time.Second)
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
		for !e.live() {
		}

		var lost, failed []reconcile.OrderKey
		ctx, cancel := context.WithCancel(context.Background())
		if rng.IntN(4) == 0 {
			// The process dies after n handler calls of this pass.
			n := rng.IntN(len(pending) + 1)
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
		report, err := e.once()
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

		want := sortedOrderKeys(orderMapKeys(pending))
		assert.Equal(t, want, sortedOrderKeys(slices.Concat(lost, failed)), "round %d: lost or failed", round)
		for _, k := range lost {
			assert.NotContains(t, failed, k, "round %d", round)
			delete(pending, k)
		}
		totalLost += len(lost)
	}

	// A last pass with nothing failing delivers what is left.
	e.handler.setFail(nil)
	report, err := e.once()
	require.NoError(t, err)
	assert.Equal(t, sortedOrderKeys(orderMapKeys(pending)), statusKeys(report.Lost))
	totalLost += len(report.Lost)

	live, backfilled := e.handler.delivered()
	assert.Len(t, backfilled, totalLost, "the lost count is what the backfill delivered")
	for _, k := range backfilled {
		assert.True(t, lostChanges[k], "%s was backfilled but its notification was not lost", k)
	}
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
	t.Logf("seed %d: %d orders, %d changes lost, %d delivered live, %d through the backfill; %d crashes, %d failed deliveries",
		seed, len(codes), len(lostChanges), len(live), totalLost, crashes, failures)
}

func orderMapKeys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
