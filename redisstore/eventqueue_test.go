package redisstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikitest"
)

// quiet is a logger that drops every record.
var quiet = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))

// queueStores returns a lease and a checkpoint sharing prefix, over rdb.
func queueStores(t *testing.T, rdb redis.UniversalClient, prefix string, ttl time.Duration) (*redisstore.Lease, *redisstore.Checkpoint) {
	t.Helper()
	l, err := redisstore.NewLease(rdb, redisstore.WithQueuePrefix(prefix), redisstore.WithLeaseTTL(ttl), redisstore.WithAcquireInterval(10*time.Millisecond))
	require.NoError(t, err)
	cp, err := redisstore.NewCheckpoint(rdb, redisstore.WithQueuePrefix(prefix))
	require.NoError(t, err)
	return l, cp
}

func TestEventQueueLeaseOneHolderAtATimeAndFencedSaves(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	ra, rb := steadyClient(t, addr), steadyClient(t, addr)
	deleteKeys(t, ra, prefix)
	// A's lease must last until its fenced save, however long a starved
	// process goes without renewing it: a long TTL, on queues known to
	// Redis so that their first holder does not wait it out.
	primeLease(t, ra, prefix, "q1")
	primeLease(t, ra, prefix, "q2")
	la, cpa := queueStores(t, ra, prefix, holdTTL)
	lb, cpb := queueStores(t, rb, prefix, holdTTL)
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q1")
	require.NoError(t, err)
	// B waits while A holds the lease.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = lb.Acquire(short, "q1")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Another queue has a lease of its own.
	hq2, err := lb.Acquire(ctx, "q2")
	require.NoError(t, err)
	require.NoError(t, hq2.Release(ctx))

	require.NoError(t, cpa.SaveFenced(ctx, "q1", "ack-1", ha.Token()))
	require.NoError(t, ha.Release(ctx))
	select {
	case <-ha.Lost():
	default:
		t.Fatal("a released hold reports itself ended")
	}

	// B takes it at once, with a larger fence token.
	hb, err := lb.Acquire(ctx, "q1")
	require.NoError(t, err)
	defer hb.Release(ctx)
	assert.Greater(t, hb.Token(), ha.Token())
	// A, no longer the holder, cannot save; B can.
	err = cpa.SaveFenced(ctx, "q1", "ack-stale", ha.Token())
	require.ErrorIs(t, err, eventqueue.ErrLeaseLost)
	require.NoError(t, cpb.SaveFenced(ctx, "q1", "ack-2", hb.Token()))
	ack, err := cpa.Load(ctx, "q1")
	require.NoError(t, err)
	assert.Equal(t, "ack-2", ack)

	// An unfenced save cannot overwrite a fenced one either.
	require.ErrorIs(t, cpa.Save(ctx, "q1", "ack-unfenced"), eventqueue.ErrLeaseLost)
	// Without any lease, Save works (a single consumer).
	require.NoError(t, cpa.Save(ctx, "q3", "ack-x"))
	ack, err = cpa.Load(ctx, "q3")
	require.NoError(t, err)
	assert.Equal(t, "ack-x", ack)
	ack, err = cpa.Load(ctx, "never-saved")
	require.NoError(t, err)
	assert.Equal(t, "", ack)
}

func TestEventQueueLeaseRenewedWhileHeldAndTakenOverWhenTheHolderDies(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	ra, rb := steadyClient(t, addr), steadyClient(t, addr)
	deleteKeys(t, rb, prefix)
	// The holder gives the lease up when no renewal succeeded for two
	// thirds of the TTL: on a loaded machine a race-detector process can
	// go a second without running its renewals. A TTL of two seconds
	// leaves them room.
	const ttl = 2 * time.Second
	primeLease(t, rb, prefix, "q1")
	la, _ := queueStores(t, ra, prefix, ttl)
	lb, cpb := queueStores(t, rb, prefix, ttl)
	ctx := context.Background()

	ha, err := la.Acquire(ctx, "q1")
	require.NoError(t, err)
	// Renewals keep it past its TTL: B cannot take it within one and a
	// half TTLs.
	short, cancel := context.WithTimeout(ctx, ttl+ttl/2)
	_, err = lb.Acquire(short, "q1")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-ha.Lost():
		t.Fatal("a renewed lease is not lost")
	default:
	}

	// A dies: its connection to Redis is gone, so are its renewals.
	require.NoError(t, ra.Close())
	start := time.Now()
	hb, err := lb.Acquire(ctx, "q1")
	require.NoError(t, err)
	took := time.Since(start)
	t.Logf("taken over %v after the holder died (TTL %v)", took, ttl)
	if evidence() {
		// Timing evidence (make evidence): within the TTL and an acquire
		// interval, with room for scheduling.
		assert.Less(t, took, ttl+ttl/2, "taken over within the TTL")
	}
	// A notices it lost the lease, and cannot save.
	select {
	case <-ha.Lost():
	case <-time.After(5 * ttl):
		t.Fatal("the dead holder's lease is not reported lost")
	}
	require.ErrorIs(t, cpb.SaveFenced(ctx, "q1", "ack", ha.Token()), eventqueue.ErrLeaseLost)
	require.NoError(t, cpb.SaveFenced(ctx, "q1", "ack", hb.Token()))
	require.NoError(t, hb.Release(ctx))
	assert.Error(t, ha.Release(ctx), "releasing through a closed client fails")
}

func TestEventQueueStoresRefuseBadArguments(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	_, err := redisstore.NewLease(nil)
	assert.Error(t, err)
	_, err = redisstore.NewLease(rdb, redisstore.WithLeaseTTL(time.Millisecond))
	assert.Error(t, err)
	_, err = redisstore.NewLease(rdb, redisstore.WithAcquireInterval(0))
	assert.Error(t, err)
	_, err = redisstore.NewCheckpoint(nil)
	assert.Error(t, err)

	l, err := redisstore.NewLease(rdb)
	require.NoError(t, err)
	cp, err := redisstore.NewCheckpoint(rdb)
	require.NoError(t, err)
	var nilCtx context.Context
	ctx := context.Background()
	_, err = l.Acquire(nilCtx, "q")
	assert.Error(t, err)
	_, err = l.Acquire(ctx, "")
	assert.Error(t, err)
	_, err = cp.Load(nilCtx, "q")
	assert.Error(t, err)
	assert.Error(t, cp.Save(ctx, "", "a"))
	assert.Error(t, cp.SaveFenced(ctx, "q", "a", 0))
	assert.Error(t, cp.SaveFenced(nilCtx, "q", "a", 1))
	// Redis unreachable: errors, not panics.
	_, err = l.Acquire(ctx, "q")
	assert.Error(t, err)
	_, err = cp.Load(ctx, "q")
	assert.Error(t, err)
}

// Two consumers of one queue sharing a DedupeStore: while one runs an
// event's handler, the other, receiving the same event, neither runs it nor
// acknowledges it (dedupe.ErrInProgress), and recognises it as a duplicate
// once the first run completed it. This is what keeps a replica that took
// the lease over from running an event that the replica which lost it is
// still handling.
func TestEventQueueConsumersShareTheDedupeStore(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	store, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix(prefix))
	require.NoError(t, err)

	s := tikitest.NewServer(t)
	client, err := s.Client(tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	ctx := context.Background()
	q, _, err := client.EventQueue.CreateQueue(ctx, "shared")
	require.NoError(t, err)
	_, _, err = client.EventQueue.Subscribe(ctx, q.Code, tiki.EventOrderCreated)
	require.NoError(t, err)
	id, err := s.EmitEvent(s.DefaultSellerID(), "ORDER_CREATED_SUCCESSFULLY", "v1", map[string]any{"order_code": "1"})
	require.NoError(t, err)

	newConsumer := func(onError func(error), onBatch func(eventqueue.BatchReport)) *eventqueue.Consumer {
		c, err := eventqueue.NewConsumer(client, q.Code, eventqueue.WithDedupe(store), eventqueue.WithLogger(quiet),
			eventqueue.WithBackoff(time.Millisecond, 2*time.Millisecond), eventqueue.WithIdleWait(time.Millisecond, 2*time.Millisecond),
			eventqueue.WithOnError(func(_ context.Context, err error) { onError(err) }),
			eventqueue.WithOnBatch(func(_ context.Context, b eventqueue.BatchReport) { onBatch(b) }))
		require.NoError(t, err)
		return c
	}
	// A starts handling the event and holds it until told.
	started, finish := make(chan struct{}), make(chan struct{})
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	a := newConsumer(func(error) {}, func(b eventqueue.BatchReport) {
		if b.Events == 1 {
			stopA()
		}
	})
	a.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error {
		close(started)
		<-finish
		return nil
	})
	aDone := make(chan error, 1)
	go func() { aDone <- a.Run(actx) }()
	<-started

	// B pulls the same event meanwhile: in progress, twice; then A
	// completes it, and B skips it as a duplicate.
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	var inProgress int
	var ran bool
	var report eventqueue.BatchReport
	b := newConsumer(func(err error) {
		require.ErrorIs(t, err, dedupe.ErrInProgress)
		if inProgress++; inProgress == 2 {
			close(finish)
			require.NoError(t, <-aDone)
		}
	}, func(r eventqueue.BatchReport) {
		report = r
		stopB()
	})
	b.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { ran = true; return nil })
	require.NoError(t, b.Run(bctx))
	assert.False(t, ran, "B never ran the event")
	assert.Equal(t, 2, inProgress)
	assert.Equal(t, 1, report.Duplicates)
	val, err := rdb.Get(ctx, prefix+"eventqueue:"+q.Code+":"+id).Result()
	require.NoError(t, err)
	assert.Equal(t, "done", val)
}

// pullRecorder is an http.RoundTripper that records, for every pull
// answer, the position its ack id acknowledges up to (one past the last
// event it carried), and how many pulls are in flight at once.
type pullRecorder struct {
	base     http.RoundTripper
	mu       *sync.Mutex
	position map[string]int // ack id -> position
	index    map[string]int // event id -> position in the queue
	total    int
	inFlight *atomic.Int32
	overlap  *atomic.Int32 // the most pulls seen in flight at once
}

func (p *pullRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/events/pull") {
		return p.base.RoundTrip(r)
	}
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.overlap.Load()
		if n <= m || p.overlap.CompareAndSwap(m, n) {
			break
		}
	}
	resp, err := p.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var answer struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
		AckID string `json:"ack_id"`
	}
	if json.Unmarshal(body, &answer) == nil {
		p.mu.Lock()
		end := p.total // an empty answer: every event was acknowledged
		if k := len(answer.Events); k > 0 {
			end = p.index[answer.Events[k-1].ID] + 1
		}
		p.position[answer.AckID] = end
		p.mu.Unlock()
	}
	return resp, nil
}

// recordingCheckpoint records the position of every ack id a fenced save
// stored, in the order Redis applied them.
type recordingCheckpoint struct {
	*redisstore.Checkpoint
	rec   *pullRecorder
	mu    *sync.Mutex
	saved *[]int
}

func (c recordingCheckpoint) SaveFenced(ctx context.Context, queue, ack string, fence int64) error {
	// One lock around the save and the record keeps the record in Redis's
	// order; fenced saves of one queue are serialised by the lease anyway.
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.Checkpoint.SaveFenced(ctx, queue, ack, fence)
	if err == nil {
		c.rec.mu.Lock()
		pos, ok := c.rec.position[ack]
		c.rec.mu.Unlock()
		if !ok {
			pos = -1
		}
		*c.saved = append(*c.saved, pos)
	}
	return err
}

// TestEventQueueScaleOutThreeConsumers runs three replicas of a consumer
// against one queue of the fake, with a Redis lease, checkpoint and dedupe
// store,
// and kills the one pulling in the middle of a batch (its Redis connection
// and its loop end at once, without releasing anything): every event is
// handled, the replicas take over, and the stored ack id never moves
// backwards.
func TestEventQueueScaleOutThreeConsumers(t *testing.T) {
	t.Parallel()
	const total, batch = 1500, 25
	// A lease that lapses whenever a loaded machine starves its holder's
	// renewals hands the queue from replica to replica, each waiting out
	// the last one: a TTL of two seconds keeps one puller at a time. The
	// killed replica's lease is taken over when it expired.
	const ttl = 2 * time.Second
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)

	s := tikitest.NewServer(t)
	s.SetEventBatchSize(batch)
	setup, err := s.Client(tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	ctx := context.Background()
	q, _, err := setup.EventQueue.CreateQueue(ctx, "scale-out")
	require.NoError(t, err)
	primeLease(t, steadyClient(t, addr), prefix, q.Code)
	for _, typ := range []tiki.EventType{tiki.EventOrderCreated, tiki.EventProductInventoryUpdated} {
		_, _, err = setup.EventQueue.Subscribe(ctx, q.Code, typ)
		require.NoError(t, err)
	}
	rec := &pullRecorder{mu: &sync.Mutex{}, position: map[string]int{}, index: map[string]int{}, total: total,
		inFlight: &atomic.Int32{}, overlap: &atomic.Int32{}}
	for i := range total {
		var id string
		if i%2 == 0 {
			id, err = s.EmitEvent(s.DefaultSellerID(), tiki.EventOrderCreated, "v1", map[string]any{"order_code": fmt.Sprint(i)})
		} else {
			id, err = s.EmitEvent(s.DefaultSellerID(), tiki.EventProductInventoryUpdated, "v2", map[string]any{"product_id": i, "quantity_sellable_to": 1})
		}
		require.NoError(t, err)
		rec.index[id] = i
	}

	var (
		mu       sync.Mutex
		handled  = make([]int, total)
		byWho    = make([]map[int]bool, 3)
		saved    []int
		saveMu   sync.Mutex
		killed   atomic.Bool
		killOnce sync.Once
	)
	allDone, finish := context.WithCancel(ctx)
	defer finish()
	errs := make(chan error, 3)
	for r := range 3 {
		byWho[r] = map[int]bool{}
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 5 * time.Second})
		t.Cleanup(func() { _ = rdb.Close() })
		lease, cp := queueStores(t, rdb, prefix, ttl)
		store, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix(prefix+"dedupe:"))
		require.NoError(t, err)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		pr := *rec
		pr.base = tr
		client, err := s.Client(tiki.WithRateLimit(0, 0), tiki.WithHTTPClient(&http.Client{Transport: &pr}),
			tiki.WithRetry(4, time.Millisecond, 2*time.Millisecond))
		require.NoError(t, err)
		runCtx, kill := context.WithCancel(allDone)
		c, err := eventqueue.NewConsumer(client, q.Code,
			eventqueue.WithLease(lease),
			eventqueue.WithCheckpoint(recordingCheckpoint{Checkpoint: cp, rec: rec, mu: &saveMu, saved: &saved}),
			eventqueue.WithDedupe(store),
			eventqueue.WithLogger(quiet),
			// The killed replica's claim outlives it (its Redis connection
			// is gone before it completes the event): a short handler time
			// limit bounds the wait of the replica that takes over.
			eventqueue.WithHandlerTimeout(200*time.Millisecond),
			eventqueue.WithBackoff(time.Millisecond, 5*time.Millisecond),
			eventqueue.WithIdleWait(time.Millisecond, 5*time.Millisecond),
			eventqueue.WithOnBatch(func(context.Context, eventqueue.BatchReport) {
				if info, _ := s.EventQueue(q.Code); info.Pending == 0 {
					finish()
				}
			}),
		)
		require.NoError(t, err)
		handle := func(id string) error {
			mu.Lock()
			i := rec.index[id]
			handled[i]++
			byWho[r][i] = true
			mu.Unlock()
			if i == total/3 && !killed.Load() {
				// The process dies in the middle of a batch: no release,
				// no save, its Redis connection gone.
				killOnce.Do(func() {
					killed.Store(true)
					_ = rdb.Close()
					kill()
				})
			}
			return nil
		}
		c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error { return handle(e.ID) })
		c.OnInventory(func(_ context.Context, e *tiki.InventoryUpdatedEvent) error { return handle(e.ID) })
		go func() { errs <- c.Run(runCtx) }()
	}
	for range 3 {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(60 * time.Second):
			t.Fatal("the consumers did not drain the queue")
		}
	}

	require.True(t, killed.Load(), "one replica was killed mid-batch")
	info, _ := s.EventQueue(q.Code)
	assert.EqualValues(t, total, info.Acknowledged)
	mu.Lock()
	defer mu.Unlock()
	again := 0
	for i, n := range handled {
		require.Positive(t, n, "event %d handled", i)
		again += n - 1
	}
	pullers := 0
	for _, m := range byWho {
		if len(m) > 0 {
			pullers++
		}
	}
	saveMu.Lock()
	defer saveMu.Unlock()
	require.NotEmpty(t, saved)
	for i := 1; i < len(saved); i++ {
		require.GreaterOrEqual(t, saved[i], saved[i-1], "the stored ack id never moves backwards (save %d)", i)
	}
	require.NotContains(t, saved, -1)
	assert.Equal(t, total, saved[len(saved)-1])
	assert.GreaterOrEqual(t, pullers, 2, "another replica took over")
	t.Logf("%d events, %d saves, %d handled twice, %d replicas handled events, at most %d pulls in flight at once",
		total, len(saved), again, pullers, rec.overlap.Load())
	assert.LessOrEqual(t, again, batch, "at most the killed replica's batch is handled again")
}
