package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/internal/deliveredtest"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikitest"
)

// newDeliveredStore returns a store of seller under a prefix of the
// test's own, dated by clock (time.Now when nil).
func newDeliveredStore(t *testing.T, rdb redis.UniversalClient, prefix, seller string, clock func() time.Time, opts ...redisstore.DeliveredOption) *redisstore.DeliveredStore {
	t.Helper()
	s, err := redisstore.NewDeliveredStore(rdb, seller, append([]redisstore.DeliveredOption{redisstore.WithDeliveredPrefix(prefix)}, opts...)...)
	require.NoError(t, err)
	if clock != nil {
		redisstore.SetDeliveredClock(s, clock)
	}
	return s
}

// The Redis store passes the contract of every reconcile.DeliveredStore.
func TestDeliveredStoreContract(t *testing.T) {
	t.Parallel()
	rdb := steadyClient(t, sharedRedisAddr(t))
	deliveredtest.Run(t, func(t *testing.T, retention time.Duration, clock *deliveredtest.Clock) reconcile.DeliveredStore {
		prefix := uniqueName(t)
		deleteKeys(t, rdb, prefix)
		var opts []redisstore.DeliveredOption
		if retention != 0 {
			opts = append(opts, redisstore.WithDeliveredRetention(retention))
		}
		return newDeliveredStore(t, rdb, prefix, "328785", clock.Now, opts...)
	})
}

// The keys are the documented ones, a seller's own, with the retention as
// their expiry; the failures and the checkpoint do not expire.
func TestDeliveredStoreKeepsEachSellersKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := steadyClient(t, sharedRedisAddr(t))
	prefix := uniqueName(t)
	deleteKeys(t, rdb, prefix)
	clock := deliveredtest.NewClock()
	a := newDeliveredStore(t, rdb, prefix, "328785", clock.Now, redisstore.WithDeliveredRetention(48*time.Hour))
	b := newDeliveredStore(t, rdb, prefix, "100200", clock.Now)

	k := deliveredtest.Key("300000001", tiki.OrderStatusChoIn, 60)
	require.NoError(t, a.MarkDelivered(ctx, k))
	_, err := a.RecordFailure(ctx, deliveredtest.Key("300000002", tiki.OrderStatusQueueing, 0), "down")
	require.NoError(t, err)
	require.NoError(t, a.SaveCheckpoint(ctx, deliveredtest.T0))

	base := prefix + "{328785}:"
	v, err := rdb.Get(ctx, base+"order:300000001").Result()
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d:%d:queueing", k.At.Unix(), deliveredtest.T0.Unix()), v)
	ttl, err := rdb.PTTL(ctx, base+"order:300000001").Result()
	require.NoError(t, err)
	assert.InDelta(t, float64(48*time.Hour), float64(ttl), float64(time.Minute), "expires with the retention")
	f, err := rdb.HGet(ctx, base+"failures", "300000002").Result()
	require.NoError(t, err)
	assert.JSONEq(t, fmt.Sprintf(`{"status":"queueing","at":%d,"failures":1,"first":%[1]d,"last":%[1]d,"err":"down"}`, deliveredtest.T0.Unix()), f)
	cp, err := rdb.Get(ctx, base+"checkpoint").Result()
	require.NoError(t, err)
	assert.Equal(t, "2024-05-10T09:00:00+07:00", cp)
	for _, key := range []string{base + "failures", base + "checkpoint"} {
		ttl, err := rdb.PTTL(ctx, key).Result()
		require.NoError(t, err)
		assert.Equal(t, time.Duration(-1), ttl, "%s does not expire", key)
	}

	// Another seller's store sees none of it.
	latest, err := b.Latest(ctx, []string{k.Code})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{{}}, latest)
	failures, err := b.Failures(ctx)
	require.NoError(t, err)
	assert.Empty(t, failures)
	t0, err := b.Checkpoint(ctx)
	require.NoError(t, err)
	assert.Zero(t, t0)
}

// Replicas marking one order at once, each with its own client: the
// newest delivery wins, whichever replica marks last.
func TestDeliveredStoreNewestWinsAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	var wg sync.WaitGroup
	for r := range 4 {
		s := newDeliveredStore(t, steadyClient(t, addr), prefix, "328785", nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				sec := (r*37 + i*11) % 200
				assert.NoError(t, s.MarkDelivered(ctx, deliveredtest.Key("300000001", tiki.OrderStatusPackaging, sec)))
			}
		}()
	}
	wg.Wait()
	latest, err := newDeliveredStore(t, rdb, prefix, "328785", nil).Latest(ctx, []string{"300000001"})
	require.NoError(t, err)
	assert.Equal(t, []reconcile.OrderKey{deliveredtest.Key("300000001", tiki.OrderStatusPackaging, 199)}, latest)
}

// Values the store did not write are errors naming the key, never
// guesses.
func TestDeliveredStoreRefusesValuesItDidNotWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := steadyClient(t, sharedRedisAddr(t))
	prefix := uniqueName(t)
	deleteKeys(t, rdb, prefix)
	s := newDeliveredStore(t, rdb, prefix, "328785", nil)
	base := prefix + "{328785}:"
	require.NoError(t, rdb.Set(ctx, base+"order:1", "queueing", 0).Err())
	require.NoError(t, rdb.HSet(ctx, base+"failures", "2", "[]").Err())
	require.NoError(t, rdb.Set(ctx, base+"checkpoint", "yesterday", 0).Err())

	_, err := s.Latest(ctx, []string{"1"})
	assert.ErrorContains(t, err, base+`order:1 holds "queueing", not a delivery`)
	_, err = s.Failures(ctx)
	assert.ErrorContains(t, err, "field 2 of "+base+"failures")
	_, err = s.Checkpoint(ctx)
	assert.ErrorContains(t, err, base+`checkpoint holds "yesterday", not a time`)
	f, err := s.RecordFailure(ctx, deliveredtest.Key("2", tiki.OrderStatusQueueing, 0), "down")
	require.NoError(t, err, "a record that does not read is started afresh")
	assert.Equal(t, 1, f.Failures)
}

func TestNewDeliveredStoreReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := redisstore.NewDeliveredStore(nil, "", redisstore.WithDeliveredRetention(time.Millisecond), nil,
		redisstore.WithDeliveredRetention(1500*time.Millisecond))
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "rdb", Problem: "must not be a nil Redis client"},
		{Field: "seller", Problem: "must not be empty"},
		{Field: "WithDeliveredRetention", Problem: "must be a whole number of seconds, at least 1s, not 1ms"},
		{Field: "opts[1]", Problem: "is a nil DeliveredOption"},
		{Field: "WithDeliveredRetention", Problem: "must be a whole number of seconds, at least 1s, not 1.5s"},
	}, ve.Problems)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	_, err = redisstore.NewDeliveredStore(rdb, "{328785}")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{{Field: "seller", Problem: `must not contain { or }, not "{328785}"`}}, ve.Problems)

	// A store not made by NewDeliveredStore fails instead of panicking.
	ctx := context.Background()
	for _, s := range []*redisstore.DeliveredStore{nil, {}} {
		_, err := s.Latest(ctx, []string{"1"})
		assert.Error(t, err)
		assert.Error(t, s.MarkDelivered(ctx, deliveredtest.Key("1", tiki.OrderStatusQueueing, 0)))
		_, err = s.Failures(ctx)
		assert.Error(t, err)
		_, err = s.Checkpoint(ctx)
		assert.Error(t, err)
	}
}

// A Redis that does not answer is an error, and the backfill hands
// nothing out on its account.
func TestDeliveredStoreReportsARedisThatDoesNotAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s, err := redisstore.NewDeliveredStore(rdb, "328785")
	require.NoError(t, err)
	_, err = s.Latest(ctx, []string{"1"})
	assert.ErrorContains(t, err, "redisstore: reading deliveries")
	assert.ErrorContains(t, s.MarkDelivered(ctx, deliveredtest.Key("1", tiki.OrderStatusQueueing, 0)), "redisstore: recording deliveries")
	_, err = s.RecordFailure(ctx, deliveredtest.Key("1", tiki.OrderStatusQueueing, 0), "down")
	assert.ErrorContains(t, err, "redisstore: recording a failed delivery")
	_, err = s.Failures(ctx)
	assert.ErrorContains(t, err, "redisstore: reading failed deliveries")
	_, err = s.Checkpoint(ctx)
	assert.ErrorContains(t, err, "redisstore: reading the checkpoint")
	assert.ErrorContains(t, s.SaveCheckpoint(ctx, deliveredtest.T0), "redisstore: saving the checkpoint")

	srv := tikitest.NewServer(t)
	client, err := srv.Client()
	require.NoError(t, err)
	called := false
	b, err := reconcile.NewOrdersBackfill(client, s, func(context.Context, reconcile.OrderDelivery) error {
		called = true
		return nil
	}, reconcile.OrdersOptions{})
	require.NoError(t, err)
	err = b.Deliver(ctx, reconcile.OrderDelivery{Code: "1", Status: tiki.OrderStatusQueueing, At: deliveredtest.T0})
	assert.ErrorIs(t, err, reconcile.ErrDeliveredStore)
	assert.False(t, called)
}

// Two replicas of a seller's backend share one Redis store: the live path
// of one (an event-queue consumer following its backfill) delivers the
// orders whose events arrived, and the backfill on the other hands out
// only the lost one, once.
func TestDeliveredStoreIsSharedByReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)

	// The fake's orders were placed ten minutes ago, past the backfill's
	// lag.
	srv := tikitest.NewServer(t, tikitest.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
	client, err := srv.Client()
	require.NoError(t, err)
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders")
	require.NoError(t, err)
	for _, typ := range []tiki.EventType{tiki.EventOrderCreated, tiki.EventOrderStatusUpdated} {
		_, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ)
		require.NoError(t, err)
	}

	var mu sync.Mutex
	handled := map[string][]string{} // replica -> "code status"
	replica := func(name string) *reconcile.OrdersBackfill {
		store := newDeliveredStore(t, steadyClient(t, addr), prefix, "328785", nil)
		b, err := reconcile.NewOrdersBackfill(client, store, func(_ context.Context, d reconcile.OrderDelivery) error {
			mu.Lock()
			defer mu.Unlock()
			handled[name] = append(handled[name], d.Code+" "+string(d.Status))
			return nil
		}, reconcile.OrdersOptions{Start: time.Now().Add(-time.Hour)})
		require.NoError(t, err)
		return b
	}
	live, backfill := replica("live"), replica("backfill")

	first, err := srv.CreateOrder(tikitest.OrderSpec{})
	require.NoError(t, err)
	srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	lost, err := srv.CreateOrder(tikitest.OrderSpec{})
	require.NoError(t, err)
	srv.LoseOrderNotifications(nil)
	require.NoError(t, srv.SetOrderStatus(first.Code, tiki.OrderStatusCanceled))

	consumer, err := eventqueue.NewConsumer(client, q.Code, eventqueue.WithIdleWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, live.Follow(consumer))
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(run) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		info, _ := srv.EventQueue(q.Code)
		if info.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer did not drain the queue: %+v", info)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	require.NoError(t, <-done)

	report, err := backfill.Once(ctx)
	require.NoError(t, err)
	require.Len(t, report.Lost, 1)
	assert.Equal(t, lost.Code, report.Lost[0].Code)
	report, err = backfill.Once(ctx)
	require.NoError(t, err)
	assert.Empty(t, report.Lost, "nothing twice")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{lost.Code + " queueing"}, handled["backfill"])
	assert.Contains(t, handled["live"], first.Code+" canceled")
	assert.NotContains(t, handled["live"], lost.Code+" queueing")
}
