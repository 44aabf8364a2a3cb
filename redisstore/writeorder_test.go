package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikitest"
)

// lateAnswer is a RoundTripper whose first product update reaches Tiki
// (the fake applies it) but whose answer is lost: the call sees a failed
// attempt once release is closed, and retries.
type lateAnswer struct {
	base    http.RoundTripper
	once    sync.Once
	applied chan struct{} // closed once the first update was applied
	release chan struct{} // the lost answer fails the attempt after this
}

func (l *lateAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	if strings.HasSuffix(r.URL.Path, "/products/updateSku") {
		l.once.Do(func() { first = true })
	}
	resp, err := l.base.RoundTrip(r)
	if !first || err != nil {
		return resp, err
	}
	resp.Body.Close()
	close(l.applied)
	<-l.release
	return nil, errors.New("the answer was lost")
}

// enteringOrder is a WriteOrder that reports when a call starts waiting
// for it.
type enteringOrder struct {
	tiki.WriteOrder
	entered chan struct{}
	once    sync.Once
}

func (o *enteringOrder) Lock(ctx context.Context, keys []string) (tiki.WriteLock, error) {
	o.once.Do(func() { close(o.entered) })
	return o.WriteOrder.Lock(ctx, keys)
}

// twoReplicasSetStock runs the scenario of two replicas writing one
// product's stock through the fake, each with its own client: replica A
// sets 12, the fake applies it but A's answer is lost; replica B then sets
// 10; A retries. order returns each replica's WriteOrder (nil for none).
// It returns the stock the fake ends with.
func twoReplicasSetStock(t *testing.T, order func() tiki.WriteOrder) int {
	t.Helper()
	fake := tikitest.NewServer(t)
	_, err := fake.SeedProduct(tiki.NewProduct{
		CategoryID: 6445, Name: "Bút bi", Description: "Bút bi xanh", MarketPrice: 20000,
		Attributes: map[string]any{"brand": "Thiên Long"}, Image: "https://cdn.example.com/pen.jpg",
		Variants: []tiki.Variant{{SKU: "PEN-1", Price: 15000, InventoryType: tiki.InventorySellerBackorder,
			SellerWarehouse: "903", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 903, QtyAvailable: 5}}}},
	})
	require.NoError(t, err)

	late := &lateAnswer{base: http.DefaultTransport, applied: make(chan struct{}), release: make(chan struct{})}
	bApplied := make(chan struct{})
	bEntered := make(chan struct{})
	client := func(rt http.RoundTripper, o tiki.WriteOrder) *tiki.Client {
		// A's lost answer leaves its call in doubt: it keeps the product
		// for a settle period, short here.
		opts := []tiki.Option{tiki.WithRateLimit(0, 0), tiki.WithRetry(3, time.Millisecond, time.Millisecond),
			tiki.WithHTTPClient(&http.Client{Transport: rt}), tiki.WithWriteSettle(testSettle)}
		if o != nil {
			opts = append(opts, tiki.WithWriteOrder(o))
		}
		c, err := fake.Client(opts...)
		require.NoError(t, err)
		return c
	}
	a := client(late, order())
	var bOrder tiki.WriteOrder
	if o := order(); o != nil {
		bOrder = &enteringOrder{WriteOrder: o, entered: bEntered}
	}
	b := client(http.DefaultTransport, bOrder)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stock := func(qty int) tiki.ProductUpdate {
		return tiki.ProductUpdate{OriginalSKU: "PEN-1", WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 903, QtyAvailable: qty}}}
	}
	var wg sync.WaitGroup
	var errA, errB error
	var respA *tiki.Response
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, respA, errA = a.Products.Update(ctx, stock(12))
	}()
	go func() {
		defer wg.Done()
		<-late.applied
		go func() {
			// A's lost answer fails its attempt only once B has written,
			// or is waiting for the product: A's retry comes after B's
			// write was made.
			select {
			case <-bApplied:
			case <-bEntered:
			case <-ctx.Done():
			}
			close(late.release)
		}()
		_, _, errB = b.Products.Update(ctx, stock(10))
		close(bApplied)
	}()
	wg.Wait()
	require.NoError(t, errA)
	require.NoError(t, errB)
	assert.Equal(t, 2, respA.Attempts, "A's write was retried")
	p, ok := fake.Product("PEN-1")
	require.True(t, ok)
	require.NotNil(t, p.Inventory)
	for _, s := range p.Inventory.WarehouseStocks {
		if s.WarehouseID == 903 {
			return s.QuantityAvailable
		}
	}
	t.Fatal("no stock in warehouse 903")
	return 0
}

// Two replicas write one product's stock. Without a shared order A's
// retry lands after B's newer write and Tiki keeps 12; with a
// redisstore.WriteOrder on every replica, B waits for A's call, retry
// included, and Tiki keeps B's 10.
func TestWriteOrderAcrossReplicas(t *testing.T) {
	t.Parallel()
	t.Run("each replica orders only its own writes", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, 12, twoReplicasSetStock(t, func() tiki.WriteOrder { return nil }),
			"the retry of the older write landed last")
	})
	t.Run("replicas share a redisstore.WriteOrder", func(t *testing.T) {
		t.Parallel()
		addr := sharedRedisAddr(t)
		prefix := uniqueName(t)
		rdb := steadyClient(t, addr)
		deleteKeys(t, rdb, prefix)
		// A's hold lasts through its lost answer, its settle period and
		// its retry, B's through its write: neither may lapse while a
		// starved process does not renew it. The TTL is long, and the
		// product known to Redis, so that its first holder does not wait
		// out that TTL.
		primeWriteKeys(t, rdb, prefix, "sku:PEN-1")
		order := func() tiki.WriteOrder {
			o, err := redisstore.NewWriteOrder(steadyClient(t, addr), redisstore.WithWritePrefix(prefix),
				redisstore.WithWriteLockTTL(holdTTL), redisstore.WithWriteSettle(testSettle))
			require.NoError(t, err)
			return o
		}
		assert.Equal(t, 10, twoReplicasSetStock(t, order), "the newer write landed last")
	})
}

// testSettle is the settle period of the write orders and clients of the
// tests (tiki.DefaultWriteSettle is 10 s).
const testSettle = 50 * time.Millisecond

// holdTTL is the lock TTL of the tests' holds that must not be lost: a
// holder gives its locks up when no renewal succeeded for two thirds of
// the TTL, and a race-detector process on a loaded machine can go seconds
// without a successful renewal. The tests prime such keys (primeWriteKeys)
// so that their first holder does not wait the TTL out. A test that
// measures a takeover after a holder died or was forgotten keeps a short
// TTL, and bounds the takeover loosely or only as timing evidence.
const holdTTL = 20 * time.Second

// writeOrders returns n write orders sharing prefix, each over a client of
// its own (steadyClient), with the settle period testSettle.
func writeOrders(t *testing.T, addr, prefix string, ttl time.Duration, n int) ([]*redisstore.WriteOrder, []*redis.Client) {
	t.Helper()
	var orders []*redisstore.WriteOrder
	var clients []*redis.Client
	for range n {
		rdb := steadyClient(t, addr)
		o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix(prefix), redisstore.WithWriteLockTTL(ttl),
			redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(testSettle))
		require.NoError(t, err)
		orders = append(orders, o)
		clients = append(clients, rdb)
	}
	return orders, clients
}

// One call at a time holds a product, whatever keys name it in the call;
// an unlocked product is taken at once; a replica that dies holding one
// blocks the others until its lock expired and the settle period passed,
// not longer.
func TestWriteOrderOneHolderAtATime(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)
	orders, clients := writeOrders(t, addr, prefix, ttl, 3)
	ctx := context.Background()

	l1, err := orders[0].Lock(ctx, []string{"sku:A", "product:1", "sku:A"})
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = orders[1].Lock(short, []string{"product:1"})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a product held by another call waits")
	other, err := orders[1].Lock(ctx, []string{"product:2"})
	require.NoError(t, err, "another product is free")
	require.NoError(t, other.Unlock(ctx))

	require.NoError(t, l1.Unlock(ctx))
	select {
	case <-l1.Lost():
	default:
		t.Fatal("an unlocked hold reports itself ended")
	}
	// An unlocked product is taken at once: see
	// TestWriteOrderSettlesAfterAHolderThatDidNotRelease.
	l2, err := orders[1].Lock(ctx, []string{"sku:A"})
	require.NoError(t, err)

	// The holder dies: no unlock, no renewal.
	require.NoError(t, clients[1].Close())
	start := time.Now()
	l3, err := orders[2].Lock(ctx, []string{"sku:A", "product:1"})
	require.NoError(t, err)
	took := time.Since(start)
	t.Logf("taken %v after its holder died (TTL %v, settle %v)", took, ttl, testSettle)
	// About a TTL and the settle period; the alternative is the holder
	// record's day. A loaded machine may add seconds: the tight band is
	// timing evidence.
	assert.Less(t, took, 10*ttl, "a dead holder blocks the product until its lock expired, not for good")
	if evidence() {
		assert.Less(t, took, 3*ttl, "a dead holder blocks the product for about a TTL and the settle period")
	}
	select {
	case <-l2.Lost():
	case <-time.After(5 * ttl):
		t.Fatal("the dead holder's lock is not reported lost")
	}
	require.NoError(t, l3.Unlock(ctx))
}

// After Redis restarts empty a call holding a product learns it lost it,
// and the next call for the product proceeds only once it has.
func TestWriteOrderAcrossARestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	srv := startRedis(t)
	orders, _ := writeOrders(t, srv.addr(), "w:", ttl, 2)
	primeWriteKeys(t, steadyClient(t, srv.addr()), "w:", "product:1", "product:2")
	ctx := context.Background()

	l1, err := orders[0].Lock(ctx, []string{"product:1", "product:2"})
	require.NoError(t, err)
	lost := watchLost(l1.Lost())
	srv.stop()
	stopped := time.Now()
	srv.start()
	l2, err := orders[1].Lock(ctx, []string{"product:2"})
	require.NoError(t, err)
	proceeded := time.Now()
	assertForgottenHolderGaveUp(t, lost, stopped, proceeded, ttl)
	require.NoError(t, l2.Unlock(ctx))
	require.NoError(t, l1.Unlock(ctx), "unlocking a lost hold frees nothing and is no error")
}

func TestWriteOrderRefusesBadArguments(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	_, err := redisstore.NewWriteOrder(nil)
	assert.Error(t, err)
	_, err = redisstore.NewWriteOrder(rdb, redisstore.WithWriteLockTTL(time.Millisecond))
	assert.Error(t, err)
	_, err = redisstore.NewWriteOrder(rdb, redisstore.WithWritePollInterval(0))
	assert.Error(t, err)
	_, err = redisstore.NewWriteOrder(rdb, nil)
	assert.Error(t, err)
	o, err := redisstore.NewWriteOrder(rdb)
	require.NoError(t, err)
	var nilCtx context.Context
	_, err = o.Lock(nilCtx, []string{"product:1"})
	assert.Error(t, err)
	_, err = o.Lock(context.Background(), []string{""})
	assert.Error(t, err)
	// Redis unreachable: an error, not a hold.
	_, err = o.Lock(context.Background(), []string{"product:1"})
	assert.Error(t, err)
}
