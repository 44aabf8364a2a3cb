package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/redisstore"
)

// startCluster starts a Redis Cluster of one node owning every slot and
// returns a Cluster client of it. A script touching keys of two slots
// fails there (CROSSSLOT) as on a cluster of many nodes.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	srv := startRedisWith(t, "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf")
	ctx := context.Background()
	node := steadyClient(t, srv.addr())
	require.NoError(t, node.ClusterAddSlotsRange(ctx, 0, 16383).Err())
	require.True(t, waitUntil(t, 10*time.Second, func() bool {
		info, err := node.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	}), "the cluster does not come up")
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.addr()}, DialTimeout: 5 * time.Second,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// On a Cluster, a call's locks are taken, renewed and released one script
// per hash slot: a batch call's keys, spread over many slots, are held
// together, exclusively; a lease and its checkpoint work as on one server.
func TestWriteOrderAndLeaseOnACluster(t *testing.T) {
	t.Parallel()
	rdb := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The locks must stay held while the test watches them renewed: a TTL
	// long enough for a starved process. The keys and the queue are known
	// to Redis first, so that their first holder does not wait it out.
	// A renewal round takes one script per slot (40 here), so that under
	// the race detector on one CPU it can take a good part of a second.
	const ttl = 5 * time.Second
	keys := productKeys(40)
	primeWriteKeys(t, rdb, redisstore.DefaultWritePrefix, keys...)
	primeLease(t, rdb, redisstore.DefaultQueuePrefix, "q1")
	newOrder := func() *redisstore.WriteOrder {
		o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWriteLockTTL(ttl),
			redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(0))
		require.NoError(t, err)
		return o
	}
	a, b := newOrder(), newOrder()
	l, err := a.Lock(ctx, keys)
	require.NoError(t, err, "40 keys over many slots")
	// Each lock, whatever its slot, is renewed: its time to live goes up
	// again.
	for _, k := range []string{keys[0], keys[39]} {
		lock := redisstore.DefaultWritePrefix + "{" + k + "}:lock"
		least := rdb.PTTL(ctx, lock).Val()
		var last time.Duration
		var lastErr error
		require.True(t, waitUntil(t, 4*ttl, func() bool {
			last, lastErr = rdb.PTTL(ctx, lock).Result()
			least = min(least, last)
			return last > least+20*time.Millisecond
		}), "%s is renewed (time to live %v, least %v, %v; hold lost: %v)", lock, last, least, lastErr, isClosed(l.Lost()))
	}
	select {
	case <-l.Lost():
		t.Fatal("the locks were lost")
	default:
	}
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = b.Lock(short, keys[17:18])
	stop()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a held key waits")
	require.NoError(t, l.Unlock(ctx))
	l2, err := b.Lock(ctx, keys[10:30])
	require.NoError(t, err, "released keys are taken")
	require.NoError(t, l2.Unlock(ctx))

	lease, err := redisstore.NewLease(rdb, redisstore.WithLeaseTTL(ttl), redisstore.WithAcquireInterval(5*time.Millisecond))
	require.NoError(t, err)
	cp, err := redisstore.NewCheckpoint(rdb)
	require.NoError(t, err)
	h, err := lease.Acquire(ctx, "q1")
	require.NoError(t, err)
	require.NoError(t, cp.SaveFenced(ctx, "q1", "ack-1", h.Token()))
	ack, err := cp.Load(ctx, "q1")
	require.NoError(t, err)
	assert.Equal(t, "ack-1", ack)
	require.NoError(t, h.Release(ctx))
}
