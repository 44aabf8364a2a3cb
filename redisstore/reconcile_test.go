package redisstore_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikitest"
)

// sampleEntry is an entry with every field set.
func sampleEntry(key string, version int64) reconcile.Entry {
	on := true
	at := time.Unix(1_700_000_000, 123_456_789)
	v := reconcile.Values{Price: 150000, Active: &on, Stock: []reconcile.Stock{{Warehouse: 903, Available: 7}, {Warehouse: 919, Available: 5, Reserved: 1}},
		InventoryType: tiki.InventoryBackorder}
	return reconcile.Entry{Key: key, ProductID: 42, Version: version, Pushed: v, PushedAt: at, Seen: v, SeenAt: at}
}

// The State keeps one key per item under the seller's prefix: Load is what
// Save stored, a key never saved has no entry, sellers do not see each
// other's items, and a value that is not an entry of its key fails Load.
func TestReconcileStateInRedis(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	rdb := steadyClient(t, addr)
	prefix := uniqueName(t)
	deleteKeys(t, rdb, prefix)
	ctx := context.Background()
	state, err := redisstore.NewReconcileState(rdb, "seller-1", redisstore.WithStatePrefix(prefix))
	require.NoError(t, err)
	other, err := redisstore.NewReconcileState(steadyClient(t, addr), "seller-2", redisstore.WithStatePrefix(prefix))
	require.NoError(t, err)

	a, b := sampleEntry("A", 1), sampleEntry("#42", 2)
	require.NoError(t, state.Save(ctx, []reconcile.Entry{a, b}))
	got, err := state.Load(ctx, []string{"#42", "NEVER", "A"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, en := range got {
		want := map[string]reconcile.Entry{"A": a, "#42": b}[en.Key]
		wantBytes, _ := want.MarshalBinary()
		gotBytes, _ := en.MarshalBinary()
		assert.Equal(t, wantBytes, gotBytes, en.Key)
	}
	raw, err := rdb.Get(ctx, prefix+"{seller-1}:A").Bytes()
	require.NoError(t, err)
	enc, _ := a.MarshalBinary()
	assert.Equal(t, enc, raw, "the value is Entry.MarshalBinary()")

	got, err = other.Load(ctx, []string{"A", "#42"})
	require.NoError(t, err)
	assert.Empty(t, got, "another seller's items are not this seller's")
	got, err = state.Load(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	// A newer save replaces the entry.
	require.NoError(t, state.Save(ctx, []reconcile.Entry{sampleEntry("A", 9)}))
	got, err = state.Load(ctx, []string{"A"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, int64(9), got[0].Version)

	// Never a guess: bytes that are not an entry, or another key's entry.
	require.NoError(t, rdb.Set(ctx, prefix+"{seller-1}:BAD", "not an entry", 0).Err())
	_, err = state.Load(ctx, []string{"A", "BAD"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `reconcile state key "`+prefix+`{seller-1}:BAD"`)
	require.NoError(t, rdb.Set(ctx, prefix+"{seller-1}:C", enc, 0).Err())
	_, err = state.Load(ctx, []string{"C"})
	require.ErrorContains(t, err, `holds the entry of "A"`)

	var nilCtx context.Context
	_, err = state.Load(nilCtx, []string{"A"})
	assert.Error(t, err)
	assert.Error(t, state.Save(nilCtx, []reconcile.Entry{a}))
	assert.Error(t, state.Save(ctx, []reconcile.Entry{{}}), "an entry without a key")
}

// NewReconcileState and NewReconcileGuard report every problem at once.
func TestReconcileConstructorsReportEveryProblem(t *testing.T) {
	t.Parallel()
	var typedNil *redis.Client
	_, err := redisstore.NewReconcileState(typedNil, "a{b}", nil)
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "rdb", Problem: "must not be a nil Redis client"},
		{Field: "seller", Problem: `must be a non-empty seller id or code without { or }, not "a{b}"`},
		{Field: "opts[0]", Problem: "is a nil StateOption"},
	}, ve.Problems)
	_, err = redisstore.NewReconcileGuard(nil, "", redisstore.WithWriteLockTTL(time.Millisecond), nil)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "rdb", Problem: "must not be a nil Redis client"},
		{Field: "seller", Problem: `must be a non-empty seller id or code without { or }, not ""`},
		{Field: "WithWriteLockTTL", Problem: "must be at least 30ms, not 1ms"},
		{Field: "opts[1]", Problem: "is a nil WriteOrderOption"},
	}, ve.Problems)
}

// reconcileGuards returns n guards of one seller sharing prefix, each over
// a client of its own.
func reconcileGuards(t *testing.T, addr, prefix string, ttl time.Duration, n int) []*redisstore.ReconcileGuard {
	t.Helper()
	var out []*redisstore.ReconcileGuard
	for range n {
		g, err := redisstore.NewReconcileGuard(steadyClient(t, addr), "seller-1", redisstore.WithWritePrefix(prefix),
			redisstore.WithWriteLockTTL(ttl), redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(testSettle))
		require.NoError(t, err)
		out = append(out, g)
	}
	return out
}

// One holder of an item at a time across replicas; a Lock takes all its
// keys or none; unlock hands the items over at once and ends the held
// context.
func TestReconcileGuardOneHolderAtATime(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	// The first hold must last until its unlock, however long a starved
	// process goes without renewing it: a long TTL. The items are known to
	// Redis, so that their first holder does not wait out that TTL (a
	// holder Redis may have forgotten).
	primeGuardKeys(t, rdb, prefix, "seller-1", "A", "B", "C")
	guards := reconcileGuards(t, addr, prefix, holdTTL, 3)
	ctx := context.Background()

	held, unlock, err := guards[0].Lock(ctx, []string{"B", "A", "B"})
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, _, err = guards[1].Lock(short, []string{"C", "A"})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "an item held by another replica waits")
	// All or nothing: the Lock that waited for A holds nothing now.
	_, unlockC, err := guards[2].Lock(ctx, []string{"C"})
	require.NoError(t, err)
	unlockC()

	require.NoError(t, held.Err())
	unlock()
	unlock() // safe twice
	require.Error(t, held.Err(), "the held context ends with the unlock")
	start := time.Now()
	_, unlock2, err := guards[1].Lock(ctx, []string{"A", "C"})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), holdTTL/2, "a released item is taken at once, not when its lock expires")
	unlock2()

	var nilCtx context.Context
	_, _, err = guards[0].Lock(nilCtx, []string{"A"})
	assert.Error(t, err)
	_, _, err = guards[0].Lock(ctx, []string{""})
	assert.Error(t, err)
}

// After Redis restarts empty, the holder of an item learns it lost it (its
// held context ends, with ErrGuardLost) before another replica's Lock of
// the item returns.
func TestReconcileGuardAcrossARestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	srv := startRedis(t)
	guards := reconcileGuards(t, srv.addr(), "g:", ttl, 2)
	primeGuardKeys(t, steadyClient(t, srv.addr()), "g:", "seller-1", "A", "B")
	ctx := context.Background()

	held, unlock, err := guards[0].Lock(ctx, []string{"A", "B"})
	require.NoError(t, err)
	defer unlock()
	lost := watchLost(held.Done())
	srv.stop()
	stopped := time.Now()
	srv.startEmpty()
	_, unlock2, err := guards[1].Lock(ctx, []string{"B"})
	require.NoError(t, err)
	defer unlock2()
	assertForgottenHolderGaveUp(t, lost, stopped, time.Now(), ttl)
	assert.ErrorIs(t, context.Cause(held), redisstore.ErrGuardLost)
}

// replicaBooks are the books the replicas of the test share: the newest
// value of each SKU, by version. A value of version v is v units in
// warehouse 919 at the price 20,000 + 10·v, so that what Tiki holds tells
// which version was written last.
type replicaBooks struct {
	mu     sync.Mutex
	clock  atomic.Int64
	latest map[string]int64
}

func (b *replicaBooks) item(sku string, v int64) reconcile.Item {
	return reconcile.Item{SKU: sku, Quantities: map[int64]int{919: int(v)}, Price: tiki.Money(20000 + 10*v), Version: v}
}

// next makes a new value of sku, newer than every value before it.
func (b *replicaBooks) next(sku string) reconcile.Item {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.clock.Add(1)
	b.latest[sku] = v
	return b.item(sku, v)
}

// snapshot is the books as they are now.
func (b *replicaBooks) snapshot(skus []string) []reconcile.Item {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]reconcile.Item, len(skus))
	for i, s := range skus {
		out[i] = b.item(s, b.latest[s])
	}
	return out
}

// Two replicas, each an Engine with its own client and Redis connection,
// share a ReconcileState and a ReconcileGuard and race Sets, Flushes and
// Syncs of the same SKUs: Tiki never applies an older value after a newer
// one (the fake's log of applied changes), and ends at the newest values.
func TestReconcileReplicasNeverWriteAStaleValue(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)
	srv := tikitest.NewServer(t, tikitest.WithApprovalDelay(0))
	skus := []string{"R-1", "R-2", "R-3", "R-4"}
	for _, sku := range skus {
		_, err := srv.SeedProduct(tiki.NewProduct{CategoryID: 218, Name: "Sách " + sku, Description: "<p>Sách</p>", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "NXB Trẻ"}, Image: "https://example.com/a.jpg", Images: []string{},
			MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{{SKU: sku, Price: 20000, SellerWarehouse: "919",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 0}}}}})
		require.NoError(t, err)
	}
	bk := &replicaBooks{latest: map[string]int64{}}
	engines := make([]*reconcile.Engine, 2)
	// The first Sync must not lose its leases on a loaded machine (its
	// save would be cancelled): a TTL long enough, the items known to
	// Redis so that their first holder does not wait it out.
	primeGuardKeys(t, steadyClient(t, addr), prefix+"guard:", "seller-1", skus...)
	guards := reconcileGuards(t, addr, prefix+"guard:", 5*time.Second, len(engines))
	for i := range engines {
		client, err := srv.Client(tiki.WithRateLimit(0, 0))
		require.NoError(t, err)
		state, err := redisstore.NewReconcileState(steadyClient(t, addr), "seller-1", redisstore.WithStatePrefix(prefix+"state:"))
		require.NoError(t, err)
		engines[i], err = reconcile.New(client, reconcile.Options{Warehouses: []int64{919}, State: state, Guard: guards[i], Concurrency: 2})
		require.NoError(t, err)
	}
	ctx := context.Background()
	for _, sku := range skus {
		bk.next(sku)
	}
	_, err := engines[0].Sync(ctx, seqOf(bk.snapshot(skus)))
	require.NoError(t, err)

	// A run may fail while racing (a lease lapsing on a loaded machine
	// cancels the write under it): its items stay pending, and the
	// invariant below holds whatever failed.
	var wg sync.WaitGroup
	var superseded, failures atomic.Int64
	count := func(rep *reconcile.Report, err error) {
		if rep != nil {
			superseded.Add(int64(rep.Superseded))
		}
		if err != nil {
			failures.Add(1)
		}
	}
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 22))
			for range 60 {
				switch n := rng.IntN(10); {
				case n < 6:
					assert.NoError(t, e.Set(bk.next(skus[rng.IntN(len(skus))])))
				case n < 9:
					count(e.Flush(ctx))
				default:
					count(e.Sync(ctx, seqOf(bk.snapshot(skus))))
				}
			}
			for try := 0; e.Pending() > 0; try++ {
				if !assert.Less(t, try, 10, "the pending Sets are never written") {
					return
				}
				count(e.Flush(ctx))
			}
		}()
	}
	wg.Wait()
	t.Logf("%d runs failed while racing", failures.Load())
	t.Logf("%d values superseded by a newer one written by either replica", superseded.Load())

	writes := 0
	for _, sku := range skus {
		changes, err := srv.ProductChanges(sku)
		require.NoError(t, err)
		last := int64(-1)
		for _, c := range changes {
			require.Equal(t, tikitest.ByAPI, c.By)
			v := int64(c.Stock[0].Available)
			require.Equal(t, tiki.Money(20000+10*v), c.Price, "%s: one version's values per write", sku)
			require.GreaterOrEqual(t, v, last, "%s: version %d applied after version %d", sku, v, last)
			last = v
			writes++
		}
		p, ok := srv.Product(sku)
		require.True(t, ok)
		want := bk.snapshot([]string{sku})[0]
		assert.Equal(t, want.Price, p.Price, "%s ends at the newest price", sku)
		levels, err := srv.Stock(sku)
		require.NoError(t, err)
		assert.Equal(t, want.Quantities[919], levels[0].Available, "%s ends at the newest stock", sku)
	}
	t.Logf("%d writes applied, in version order", writes)
}

// seqOf iterates over items, as a snapshot of the books.
func seqOf(items []reconcile.Item) func(func(reconcile.Item, error) bool) {
	return func(yield func(reconcile.Item, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}
