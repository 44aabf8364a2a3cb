package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/redisstore"
)

// lostAt records when a hold reports its loss.
type lostAt struct {
	done chan struct{}
	at   time.Time
}

// watchLost starts recording when lost is closed.
func watchLost(lost <-chan struct{}) *lostAt {
	w := &lostAt{done: make(chan struct{})}
	go func() {
		<-lost
		w.at = time.Now()
		close(w.done)
	}()
	return w
}

// wait returns when the loss was reported, failing t after limit.
func (w *lostAt) wait(t *testing.T, limit time.Duration) time.Time {
	t.Helper()
	select {
	case <-w.done:
		return w.at
	case <-time.After(limit):
		t.Fatalf("the hold was not reported lost within %v", limit)
		return time.Time{}
	}
}

// patientClient returns a Redis client that waits 30 s for an answer and
// never retries: a renewal through it outlasts any lease TTL of the tests.
func patientClient(t *testing.T, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 30 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// leaseWith returns a lease and a checkpoint over a client of their own
// to addr (steadyClient).
func leaseWith(t *testing.T, addr, prefix string, ttl time.Duration) (*redisstore.Lease, *redisstore.Checkpoint) {
	t.Helper()
	return queueStores(t, steadyClient(t, addr), prefix, ttl)
}

// restartTTL is the lock TTL of the tests in which Redis forgets a holder
// or stops answering it: long enough that the holder keeps its lock until
// then on a loaded machine, short enough that the next holder's wait (a
// TTL) keeps the test short.
const restartTTL = 2 * time.Second

// assertForgottenHolderGaveUp checks that the next holder proceeded
// (proceeded) only once a holder that Redis forgot when it stopped
// (stopped) had given up, and that it did. A holder gives up two thirds of
// a TTL after its last successful renewal, which it sent before Redis
// stopped: by stopped plus two thirds of the TTL it has given up, and the
// next holder must not proceed earlier. Both holders run in this one
// process, whose scheduler may run the next holder's goroutine before the
// forgotten one's after a stall: which of the two a loaded machine runs
// first is not what the SDK promises (replicas are processes of their
// own), so the order the test observes is evidence, checked only with
// TIKI_EVIDENCE=1.
func assertForgottenHolderGaveUp(t *testing.T, lost *lostAt, stopped, proceeded time.Time, ttl time.Duration) {
	t.Helper()
	gaveUp := lost.wait(t, 10*time.Second)
	t.Logf("Redis stopped at 0; the forgotten holder gave up at %v, the next one proceeded at %v (TTL %v)",
		gaveUp.Sub(stopped), proceeded.Sub(stopped), ttl)
	assert.GreaterOrEqual(t, proceeded.Sub(stopped), ttl*2/3,
		"the next holder proceeded before the forgotten one had to give up (two thirds of a TTL after its last renewal, before Redis stopped)")
	if evidence() {
		assert.True(t, gaveUp.Before(proceeded), "the forgotten holder gave up before the next one proceeded")
	}
}

// After Redis restarts empty, it has forgotten the lease and every token:
// the next holder still gets a larger token than the forgotten one, the
// forgotten holder learns it lost the lease, and the new holder acts only
// once the forgotten one has given up. Neither can save under the other's
// token.
func TestLeaseAcrossARestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	srv := startRedis(t)
	la, cpa := leaseWith(t, srv.addr(), "p:", ttl)
	lb, cpb := leaseWith(t, srv.addr(), "p:", ttl)
	primeLease(t, steadyClient(t, srv.addr()), "p:", "q")
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q")
	require.NoError(t, err)
	defer ha.Release(ctx)
	require.NoError(t, cpa.SaveFenced(ctx, "q", "ack-a", ha.Token()))
	aLost := watchLost(ha.Lost())

	srv.stop()
	stopped := time.Now()
	srv.start() // empty

	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	defer hb.Release(ctx)
	assertForgottenHolderGaveUp(t, aLost, stopped, time.Now(), ttl)
	assert.Greater(t, hb.Token(), ha.Token(), "a token Redis forgot is never handed out again")
	require.ErrorIs(t, cpa.SaveFenced(ctx, "q", "ack-stale", ha.Token()), eventqueue.ErrLeaseLost)
	require.NoError(t, cpb.SaveFenced(ctx, "q", "ack-b", hb.Token()))
	ack, err := cpb.Load(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, "ack-b", ack)
}

// A failover to a server that misses the last writes: here the server is
// restarted from a snapshot taken after A released the lease, so it has
// forgotten that B took it since. The snapshot says the lease was released
// cleanly, but it is another life of the server: C waits out B, which
// gives up when its renewal finds the lease gone, and gets a larger token.
func TestLeaseAcrossAFailoverThatLosesTheLastWrites(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	srv := startRedis(t)
	la, _ := leaseWith(t, srv.addr(), "p:", ttl)
	lb, cpb := leaseWith(t, srv.addr(), "p:", ttl)
	lc, cpc := leaseWith(t, srv.addr(), "p:", ttl)
	primeLease(t, steadyClient(t, srv.addr()), "p:", "q")
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q")
	require.NoError(t, err)
	require.NoError(t, ha.Release(ctx))
	snapshot := steadyClient(t, srv.addr())
	require.NoError(t, snapshot.Save(ctx).Err())

	// Released in the same life of the server: B takes over (at once, see
	// TestLeaseReleasedIsTakenOverAtOnce).
	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	defer hb.Release(ctx)
	require.NoError(t, cpb.SaveFenced(ctx, "q", "ack-b", hb.Token()))
	bLost := watchLost(hb.Lost())

	srv.stop()
	stopped := time.Now()
	srv.start() // from the snapshot: A released, B never happened

	hc, err := lc.Acquire(ctx, "q")
	require.NoError(t, err)
	defer hc.Release(ctx)
	assertForgottenHolderGaveUp(t, bLost, stopped, time.Now(), ttl)
	assert.Greater(t, hc.Token(), hb.Token())
	require.ErrorIs(t, cpb.SaveFenced(ctx, "q", "ack-stale", hb.Token()), eventqueue.ErrLeaseLost)
	require.NoError(t, cpc.SaveFenced(ctx, "q", "ack-c", hc.Token()))
}

// A holder cut off from Redis (a partition: its connections stay open,
// nothing gets through) gives the lease up two thirds of a TTL after its
// last renewal, although its renewal is still waiting for an answer (its
// client's read timeout is far longer than the TTL); the lease expires in
// Redis only a third of a TTL later, and the next holder takes it then.
func TestLeasePartitionedHolderGivesUpBeforeAnotherTakesOver(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	primeLease(t, rdb, prefix, "q")
	proxy := newReplyDropper(t, addr)
	la, _ := queueStores(t, patientClient(t, proxy.addr()), prefix, ttl)
	lb, cpb := leaseWith(t, addr, prefix, ttl)
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q")
	require.NoError(t, err)
	aLost := watchLost(ha.Lost())
	proxy.cut()
	cut := time.Now()

	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	defer hb.Release(ctx)
	acquired := time.Now()
	gaveUp := isClosed(ha.Lost())
	lost := aLost.wait(t, 10*time.Second)
	t.Logf("cut off at 0, gave up at %v, taken over at %v (TTL %v)", lost.Sub(cut), acquired.Sub(cut), ttl)
	// Which of the two holders this one process runs first after a stall
	// is up to its scheduler: the order is timing evidence.
	if evidence() {
		assert.True(t, gaveUp, "the cut-off holder gave up before another took over")
	}
	require.ErrorIs(t, cpb.SaveFenced(ctx, "q", "ack-stale", ha.Token()), eventqueue.ErrLeaseLost)
	require.NoError(t, cpb.SaveFenced(ctx, "q", "ack-b", hb.Token()))
}

// While Redis is paused (SIGSTOP) the holder's renewal hangs; the holder
// still gives the lease up within two thirds of a TTL of its last renewal,
// before Redis could expire it, and after Redis resumes the next holder,
// whom Redis tells the lease expired in its current life, acts at once.
func TestLeaseHolderOfAPausedRedisGivesUpInTime(t *testing.T) {
	t.Parallel()
	const ttl = restartTTL
	srv := startRedis(t)
	la, _ := queueStores(t, patientClient(t, srv.addr()), "p:", ttl)
	lb, _ := leaseWith(t, srv.addr(), "p:", ttl)
	primeLease(t, steadyClient(t, srv.addr()), "p:", "q")
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q")
	require.NoError(t, err)
	aLost := watchLost(ha.Lost())
	srv.pause()
	paused := time.Now()
	// Its renewal hangs (its client waits 30 s for an answer): the holder
	// gives up on its own, while Redis is still paused.
	lost := aLost.wait(t, 10*time.Second)
	srv.resume()
	t.Logf("gave up %v after the pause (TTL %v)", lost.Sub(paused), ttl)
	// Before Redis could expire the lease, a TTL after its last renewal:
	// a loaded machine may run the holder's goroutine late, so the band is
	// timing evidence.
	if evidence() {
		assert.Less(t, lost.Sub(paused), ttl, "the holder gave up before Redis could expire its lease")
	}

	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	defer hb.Release(ctx)
	assert.Greater(t, hb.Token(), ha.Token())
}

// Acquire stopped while it waits for a forgotten holder frees the lease
// without letting the next one act earlier.
func TestLeaseAcquireStoppedWhileWaitingKeepsTheWait(t *testing.T) {
	t.Parallel()
	// A fresh server: the first holder waits a TTL less the server's
	// uptime, less its first second. The TTL leaves A a wait however long
	// a loaded machine took to start the server and reach Redis.
	const ttl = 3 * time.Second
	srv := startRedis(t)
	la, _ := leaseWith(t, srv.addr(), "p:", ttl)
	lb, _ := leaseWith(t, srv.addr(), "p:", ttl)
	rdb := steadyClient(t, srv.addr())
	ctx := context.Background()

	// A takes the lease and waits; it is stopped then.
	short, cancel := context.WithCancel(ctx)
	defer cancel()
	errA := make(chan error, 1)
	go func() {
		h, err := la.Acquire(short, "q")
		if err == nil {
			_ = h.Release(ctx)
		}
		errA <- err
	}()
	waitFor(t, "A taking the lease", func() bool { return rdb.Exists(ctx, "p:{q}:lease").Val() == 1 })
	cancel()
	require.ErrorIs(t, <-errA, context.Canceled, "A was stopped while it waited")
	safeAt, err := rdb.HGet(ctx, "p:{q}:holder", "safe_at").Int64()
	require.NoError(t, err)

	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	// Redis's clock, which computed the waits: B acts no earlier than A
	// could have.
	now, err := rdb.Time(ctx).Result()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, now.UnixMilli(), safeAt, "the wait A gave up still applies to B")
	require.NoError(t, hb.Release(ctx))
}

// A lease released within one life of the server passes to the next
// holder at once, not when its key would have expired. The holders' TTL
// is 30 s, so that the alternative is far from the bound; a lease with a
// short TTL takes the queue first, so that Redis knows its holders in its
// current life without a first holder waiting 30 s.
func TestLeaseReleasedIsTakenOverAtOnce(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)
	ctx := context.Background()
	primer, _ := leaseWith(t, addr, prefix, 100*time.Millisecond)
	h, err := primer.Acquire(ctx, "q")
	require.NoError(t, err)
	require.NoError(t, h.Release(ctx))

	la, _ := leaseWith(t, addr, prefix, ttl)
	lb, _ := leaseWith(t, addr, prefix, ttl)
	ha, err := la.Acquire(ctx, "q")
	require.NoError(t, err)
	require.NoError(t, ha.Release(ctx))
	start := time.Now()
	hb, err := lb.Acquire(ctx, "q")
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "taken over at once, not when A's key expires (30 s)")
	assert.Greater(t, hb.Token(), ha.Token())
	require.NoError(t, hb.Release(ctx))
}
