package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikitest"
)

// handlingLog records, in the order they happen, the start and the end of
// every handler run of every replica, and finds runs of two replicas that
// overlap.
type handlingLog struct {
	mu       sync.Mutex
	active   map[int]int // replica -> event it is handling
	runs     []int       // runs per event
	byWho    []map[int]bool
	overlaps []string // a replica started while another was handling
	same     int      // of which on the same event
}

func newHandlingLog(replicas, events int) *handlingLog {
	l := &handlingLog{active: map[int]int{}, runs: make([]int, events), byWho: make([]map[int]bool, replicas)}
	for r := range l.byWho {
		l.byWho[r] = map[int]bool{}
	}
	return l
}

func (l *handlingLog) start(replica, event int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for other, ev := range l.active {
		if other != replica {
			l.overlaps = append(l.overlaps, fmt.Sprintf("replica %d started event %d while replica %d was handling event %d",
				replica, event, other, ev))
			if ev == event {
				l.same++
			}
		}
	}
	l.active[replica] = event
	l.runs[event]++
	l.byWho[replica][event] = true
}

func (l *handlingLog) end(replica int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.active, replica)
}

// TestScaleOutAcrossRedisRestartsAndPauses runs three replicas of a
// consumer of one queue of the fake, each with its own Redis connection, a
// Redis lease and a Redis checkpoint, against a redis-server of the test's
// own that is, in the middle of the run, restarted empty (its data lost),
// restarted with its data (append-only file, fsync always), and paused
// (SIGSTOP) until the replica holding the lease gives it up. Each
// disruption is made by the handler of the replica pulling at that moment,
// at a fixed event, so that it always falls inside a batch. Throughout: no
// two replicas ever handle events at the same time (so never the same
// event), every event is handled, and the stored ack id never moves
// backwards.
//
// Timing rests on the lease TTL only: a replica that lost the lease stops
// within a third of the TTL (its next renewal) while the next holder waits
// a whole TTL after a restart; the pause lasts until the holder reports the
// loss, however long that takes.
func TestScaleOutAcrossRedisRestartsAndPauses(t *testing.T) {
	t.Parallel()
	const (
		replicas = 3
		total    = 600
		batch    = 20
		ttl      = 1500 * time.Millisecond
		queue    = "scale-out"
	)
	srv := startRedisWith(t, "--save", "", "--appendonly", "yes", "--appendfsync", "always")
	probe := newRedisClient(t, srv.addr())
	prefix := "test:scale-out:"

	fake := tikitest.NewServer(t)
	fake.SetEventBatchSize(batch)
	setup, err := fake.Client(tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	ctx := context.Background()
	q, _, err := setup.EventQueue.CreateQueue(ctx, queue)
	require.NoError(t, err)
	_, _, err = setup.EventQueue.Subscribe(ctx, q.Code, tiki.EventProductInventoryUpdated)
	require.NoError(t, err)
	rec := &pullRecorder{mu: &sync.Mutex{}, position: map[string]int{}, index: map[string]int{}, total: total,
		inFlight: &atomic.Int32{}, overlap: &atomic.Int32{}}
	for i := range total {
		id, err := fake.EmitEvent(fake.DefaultSellerID(), tiki.EventProductInventoryUpdated, "v2",
			map[string]any{"product_id": i + 1, "quantity_sellable_to": 1})
		require.NoError(t, err)
		rec.index[id] = i
	}
	leaseKey := prefix + "{" + q.Code + "}:lease"

	var (
		log     = newHandlingLog(replicas, total)
		phase   atomic.Int32
		saveMu  sync.Mutex
		saved   []int
		waitErr = make(chan error, 3)
	)
	// await waits, from a handler, until cond holds; a timeout is reported
	// once the run ends.
	await := func(what string, cond func() bool) {
		for deadline := time.Now().Add(20 * ttl); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				waitErr <- fmt.Errorf("%s: not within %v", what, 20*ttl)
				return
			}
		}
	}
	disrupt := func(ctx context.Context, event int) {
		switch {
		case event == total/4 && phase.CompareAndSwap(0, 1):
			t.Log("redis-server restarted empty")
			srv.stop()
			srv.startEmpty()
			// Another replica takes the empty lease at once (it may act
			// only a TTL later); this one goes on with its batch.
			// (The handler's context ends when this replica notices.)
			await("another replica taking the lease", func() bool {
				return probe.Exists(context.Background(), leaseKey).Val() == 1
			})
		case event == total/2 && phase.CompareAndSwap(1, 2):
			t.Log("redis-server restarted with its data")
			srv.stop()
			srv.start()
		case event == 3*total/4 && phase.CompareAndSwap(2, 3):
			t.Log("redis-server paused until the holder gives the lease up")
			srv.pause()
			select {
			case <-ctx.Done(): // the lease was lost
			case <-time.After(20 * ttl):
				waitErr <- fmt.Errorf("the holder did not give up the lease of a paused Redis within %v", 20*ttl)
			}
			srv.resume()
		}
	}

	allDone, finish := context.WithCancel(ctx)
	defer finish()
	errs := make(chan error, replicas)
	for r := range replicas {
		rdb := newRedisClient(t, srv.addr())
		lease, err := redisstore.NewLease(rdb, redisstore.WithQueuePrefix(prefix), redisstore.WithLeaseTTL(ttl),
			redisstore.WithAcquireInterval(10*time.Millisecond))
		require.NoError(t, err)
		cp, err := redisstore.NewCheckpoint(rdb, redisstore.WithQueuePrefix(prefix))
		require.NoError(t, err)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		pr := *rec
		pr.base = tr
		client, err := fake.Client(tiki.WithRateLimit(0, 0), tiki.WithRetry(4, time.Millisecond, 2*time.Millisecond),
			tiki.WithHTTPClient(&http.Client{Transport: &pr}))
		require.NoError(t, err)
		c, err := eventqueue.NewConsumer(client, q.Code,
			eventqueue.WithLease(lease),
			eventqueue.WithCheckpoint(recordingCheckpoint{Checkpoint: cp, rec: rec, mu: &saveMu, saved: &saved}),
			eventqueue.WithLogger(quiet),
			eventqueue.WithBackoff(time.Millisecond, 5*time.Millisecond),
			eventqueue.WithIdleWait(time.Millisecond, 5*time.Millisecond),
			eventqueue.WithOnBatch(func(context.Context, eventqueue.BatchReport) {
				if info, _ := fake.EventQueue(q.Code); info.Pending == 0 && phase.Load() == 3 {
					finish()
				}
			}),
		)
		require.NoError(t, err)
		c.OnEvent(func(ctx context.Context, e *tiki.Event) error {
			event := rec.index[e.ID]
			log.start(r, event)
			time.Sleep(time.Millisecond) // handling takes a moment
			log.end(r)
			disrupt(ctx, event)
			return nil
		})
		go func() { errs <- c.Run(allDone) }()
	}
	for range replicas {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(2 * time.Minute):
			t.Fatal("the consumers did not drain the queue")
		}
	}
	close(waitErr)
	for err := range waitErr {
		t.Error(err)
	}

	require.EqualValues(t, 3, phase.Load(), "every disruption happened")
	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Zero(t, len(log.overlaps), "runs of two replicas overlapped (%d on the same event); the first: %s",
		log.same, strings.Join(log.overlaps[:min(3, len(log.overlaps))], "; "))
	again, holders := 0, 0
	for i, n := range log.runs {
		require.Positive(t, n, "event %d handled", i)
		again += n - 1
	}
	for _, m := range log.byWho {
		if len(m) > 0 {
			holders++
		}
	}
	saveMu.Lock()
	defer saveMu.Unlock()
	require.NotEmpty(t, saved)
	require.NotContains(t, saved, -1, "every stored ack id is one a pull answered")
	for i := 1; i < len(saved); i++ {
		require.GreaterOrEqual(t, saved[i], saved[i-1], "the stored ack id never moves backwards (save %d)", i)
	}
	assert.Equal(t, total, saved[len(saved)-1])
	info, _ := fake.EventQueue(q.Code)
	assert.EqualValues(t, total, info.Acknowledged)
	t.Logf("%d events, %d saves, %d handled again after a disruption, %d replicas pulled, %d overlapping runs",
		total, len(saved), again, holders, len(log.overlaps))
}
