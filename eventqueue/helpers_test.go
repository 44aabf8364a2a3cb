package eventqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// The shared helpers of the package's tests. A consumer under test talks
// to a wireQueue through a real *tiki.Client over an httpmock transport, so
// tests assert the ack ids that went over the wire; its waits are recorded
// and instant.

// testQueue is the code of the queue the rigs consume, at pullURL.
const (
	testQueue = "q1"
	pullURL   = "https://tiki.test/integration/v1/queues/" + testQueue + "/events/pull"
)

// wireQueue is Tiki's pull endpoint for one queue, with the rules of Tiki's
// documentation and of the fake: a pull acknowledges the batch of the ack
// id it sends when that is the latest answer's, ignores an older one,
// refuses one the queue never issued (400), and answers the oldest
// unacknowledged events with a new ack id.
type wireQueue struct {
	mu     sync.Mutex
	events []string // raw events, in order
	acked  int      // events[:acked] are acknowledged
	issued map[string]int
	latest string
	size   int
	sent   []string // the ack id each pull sent; "" for null
	faults []int    // statuses answered, in order, to the next pulls
}

// newWireQueue returns an empty queue answering at most size events a pull.
func newWireQueue(size int) *wireQueue {
	return &wireQueue{issued: map[string]int{}, size: size}
}

// add appends raw events to the queue.
func (q *wireQueue) add(raw ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.events = append(q.events, raw...)
}

// fail makes the next pulls answer these statuses instead, one each.
func (q *wireQueue) fail(statuses ...int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.faults = append(q.faults, statuses...)
}

// drained reports whether every event was acknowledged.
func (q *wireQueue) drained() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked == len(q.events)
}

// ackedCount returns how many events were acknowledged.
func (q *wireQueue) ackedCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked
}

// sentAcks returns the ack id each pull sent, in order.
func (q *wireQueue) sentAcks() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.sent...)
}

// respond answers POST /v1/queues/q1/events/pull.
func (q *wireQueue) respond(r *http.Request) (*http.Response, error) {
	var body struct {
		AckID *string `json:"ack_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return httpmock.NewStringResponse(400, `{"errors":["body is not JSON"]}`), nil
	}
	ack := ""
	if body.AckID != nil {
		ack = *body.AckID
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, ack)
	if len(q.faults) > 0 {
		status := q.faults[0]
		q.faults = q.faults[1:]
		return httpmock.NewStringResponse(status, `{"errors":["injected"]}`), nil
	}
	if ack != "" {
		end, ok := q.issued[ack]
		if !ok {
			return httpmock.NewStringResponse(400, `{"errors":["ack_id is not valid for this queue"]}`), nil
		}
		if ack == q.latest {
			q.acked = max(q.acked, end)
		}
	}
	end := min(q.acked+q.size, len(q.events))
	id := fmt.Sprintf("ack-%d", len(q.issued)+1)
	q.issued[id], q.latest = end, id
	resp := httpmock.NewStringResponse(200, fmt.Sprintf(`{"events":[%s],"ack_id":%q}`, strings.Join(q.events[q.acked:end], ","), id))
	resp.Header.Set("Content-Type", "application/json")
	return resp, nil
}

// rig is a Consumer of testQueue on a wireQueue, with recorded callbacks
// and instant, recorded waits.
type rig struct {
	t    *testing.T
	q    *wireQueue
	c    *Consumer
	mt   *httpmock.MockTransport // Tiki's API; tests may register other answers
	cp   *MemoryCheckpoint
	logs *bytes.Buffer // the Consumer's log; slog's handler serialises writes

	mu      sync.Mutex
	waits   []time.Duration
	errs    []error
	dups    []string
	reports []BatchReport
	onIdle  func()                             // called on each wait once the queue is drained
	onBatch func(context.Context, BatchReport) // called after each recorded report
}

// newClient returns a client of Tiki's API whose transport is mt: no rate
// limit, no retries (the consumer's own retries are under test).
func newClient(t *testing.T, mt http.RoundTripper) *tiki.Client {
	t.Helper()
	client, err := tiki.NewClient(tiki.WithBaseURL("https://tiki.test/integration"), tiki.WithAccessToken("app-token"),
		tiki.WithRateLimit(0, 0), tiki.WithRetry(1, 0, 0), tiki.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	return client
}

// newRig returns a rig; opts come after its own options and override them.
func newRig(t *testing.T, q *wireQueue, opts ...Option) *rig {
	t.Helper()
	r := &rig{t: t, q: q, mt: httpmock.NewMockTransport(), cp: NewMemoryCheckpoint(), logs: &bytes.Buffer{}}
	r.mt.RegisterResponder(http.MethodPost, pullURL, q.respond)
	base := []Option{
		WithCheckpoint(r.cp),
		WithLogger(slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithOnError(func(_ context.Context, err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() }),
		WithOnDuplicate(func(_ context.Context, ev *tiki.Event) { r.mu.Lock(); r.dups = append(r.dups, ev.ID); r.mu.Unlock() }),
		WithOnBatch(func(ctx context.Context, b BatchReport) {
			r.mu.Lock()
			r.reports = append(r.reports, b)
			fn := r.onBatch
			r.mu.Unlock()
			if fn != nil {
				fn(ctx, b)
			}
		}),
		WithIdleWait(time.Second, 4*time.Second),
		WithBackoff(time.Second, 8*time.Second),
	}
	var err error
	r.c, err = NewConsumer(newClient(t, r.mt), testQueue, append(base, opts...)...)
	require.NoError(t, err)
	r.c.sleep = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		r.waits = append(r.waits, d)
		idle := r.onIdle
		r.mu.Unlock()
		if idle != nil && q.drained() {
			idle()
		}
		return ctx.Err()
	}
	return r
}

// errors returns the errors reported so far.
func (r *rig) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// runUntilDrained runs the consumer until the queue is drained (then ends
// its context) and returns Run's error.
func (r *rig) runUntilDrained() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.mu.Lock()
	r.onIdle = cancel
	r.mu.Unlock()
	return r.run(ctx)
}

// run runs the consumer until ctx ends, failing the test if Run has not
// returned after 20 s.
func (r *rig) run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- r.c.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		r.t.Fatal("Run did not return")
		return nil
	}
}

// orderEvent is the i-th event of a queue: an order created at
// orderEventTime, of seller S0 or S1.
func orderEvent(i int) string {
	return fmt.Sprintf(`{"id":"ev-%d","sid":"S%d","created_at":1740401636695,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"%d"}}`, i, i%2, i)
}

// orderEventTime is when every orderEvent happened.
var orderEventTime = tiki.NewTime(time.UnixMilli(1740401636695).In(tiki.Vietnam()))

// Events that this package does not decode, or that do not decode.
const (
	unknownEvent   = `{"id":"u1","sid":"S","type":"PRODUCT_ATTRIBUTE_UPDATED","version":"v1","payload":{"a":1}}`
	newVersion     = `{"id":"v9","sid":"S","type":"ORDER_CREATED_SUCCESSFULLY","version":"v9","payload":{"order":{"code":"1"}}}`
	malformedPrice = `{"id":"m1","sid":"S","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_to":"cheap"}}`
)

// index returns the position of an event made by orderEvent.
func index(id string) int {
	var n int
	_, _ = fmt.Sscanf(id, "ev-%d", &n)
	return n
}

// readOnlyDir returns a directory in which no file can be created, or
// skips the test where there is none (permissions do not bind root, and
// /proc is not everywhere).
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if os.Geteuid() == 0 {
		dir = "/proc/self" // a directory not even root can create files in
	}
	if f, err := os.CreateTemp(dir, "probe-*"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("%s accepts new files here", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "tiki-queue-"+testQueue+".json")); err == nil {
		t.Skipf("%s already holds a checkpoint", dir)
	}
	return dir
}
