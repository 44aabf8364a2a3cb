package tiki

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventQueueListQueues(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/queues", 200, fixture(t, "events/queues_list.json"))
	qs, resp, err := c.EventQueue.ListQueues(context.Background())
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/queues", nil)
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, []EventQueue{
		{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 1", Status: "ACTIVE"},
		{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 2", Status: "ACTIVE"},
	}, qs)
}

func TestEventQueueCreateQueue(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/queues", 200, fixture(t, "events/queue_create_response.json"))
	q, _, err := c.EventQueue.CreateQueue(context.Background(), "queue 1")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/queues", nil)
	requireJSONEqual(t, string(fixture(t, "events/queue_create_request.json")), s.last().Body)
	assert.Equal(t, "application/json", s.last().Header.Get("Content-Type"))
	assert.Equal(t, &EventQueue{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 1", Status: "ACTIVE"}, q)

	_, _, err = c.EventQueue.CreateQueue(context.Background(), " ")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "name", Problem: "is required"}}, ve.Problems)
	assert.Equal(t, 1, s.count(), "nothing is sent for an invalid name")
}

// A 2xx answer to a write without the code it creates is an
// *UnconfirmedError that names what is missing (not "not valid JSON"), and
// says whether the queue or subscription may exist.
func TestEventQueueAnswerWithoutCodeIsUnconfirmed(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body string
		sent bool
		text string // after "tiki: POST <the queues' URL>: 200 OK answer without a code"
	}{
		"empty object": {`{}`, true, ` (body "{}"); Tiki may have processed the request: look it up before sending it again`},
		"a message":    {`{"message":"ok"}`, true, `: ok; Tiki may have processed the request: look it up before sending it again`},
		"a refusal":    {`{"errors":["queue limit reached"]}`, false, `: queue limit reached; Tiki did not process the request`},
		"empty body":   {``, true, ` (empty body); Tiki may have processed the request: look it up before sending it again`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v1/queues", 200, []byte(tc.body))
			s.respond(http.MethodPost, "/v1/queues/q/subscriptions", 200, []byte(tc.body))
			s.respond(http.MethodPut, "/v1/queues/q/subscriptions/s", 200, []byte(tc.body))
			_, _, err := c.EventQueue.CreateQueue(context.Background(), "q")
			var ue *UnconfirmedError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "code", ue.Missing)
			assert.Equal(t, tc.sent, ue.Sent)
			assert.Equal(t, 200, ue.StatusCode)
			assert.Equal(t, "tiki: POST "+s.URL+apiPath+"/v1/queues: 200 OK answer without a code"+tc.text, err.Error())
			_, _, err = c.EventQueue.Subscribe(context.Background(), "q", EventOrderCreated)
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "code", ue.Missing)
			_, _, err = c.EventQueue.ActivateSubscription(context.Background(), "q", "s")
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, 3, s.count(), "each sent once")
		})
	}
}

func TestEventQueueSubscribe(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/queues/5a84289f/subscriptions", 200, fixture(t, "events/subscription_create_response.json"))
	sub, _, err := c.EventQueue.Subscribe(context.Background(), "5a84289f", EventOrderCreated)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/queues/5a84289f/subscriptions", nil)
	requireJSONEqual(t, string(fixture(t, "events/subscription_create_request.json")), s.last().Body)
	assert.Equal(t, &Subscription{
		Code: "38f9923b-a345-4437-a48a-d5938a4d6182", Active: true,
		EventType: EventOrderCreated, SID: "969BEA7515A1A27FF4F456C782653F854E6B5D2D",
	}, sub)
}

func TestEventQueueListAndToggleSubscriptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/queues/q1/subscriptions", 200,
		[]byte(`[{"code":"s1","active":"1","event_type":"ORDER_STATUS_UPDATED","sid":328785}]`))
	subs, _, err := c.EventQueue.ListSubscriptions(context.Background(), "q1")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/queues/q1/subscriptions", nil)
	assert.Equal(t, []Subscription{{Code: "s1", Active: true, EventType: EventOrderStatusUpdated, SID: "328785"}}, subs)

	s.respond(http.MethodPut, "/v1/queues/q1/subscriptions/s1", 200,
		[]byte(`{"code":"s1","active":false,"event_type":"ORDER_STATUS_UPDATED","sid":"328785"}`))
	sub, _, err := c.EventQueue.DeactivateSubscription(context.Background(), "q1", "s1")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPut, "/v1/queues/q1/subscriptions/s1", nil)
	requireJSONEqual(t, `{"active":false}`, s.last().Body)
	assert.False(t, sub.Active)

	s.respond(http.MethodPut, "/v1/queues/q1/subscriptions/s1", 200,
		[]byte(`{"code":"s1","active":true,"event_type":"ORDER_STATUS_UPDATED","sid":"328785"}`))
	sub, _, err = c.EventQueue.ActivateSubscription(context.Background(), "q1", "s1")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPut, "/v1/queues/q1/subscriptions/s1", nil)
	requireJSONEqual(t, `{"active":true}`, s.last().Body)
	assert.True(t, sub.Active)
}

func TestEventQueueRefusesBadArguments(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	_, _, err := c.EventQueue.Subscribe(ctx, "", "")
	requireRefused(t, err, s, FieldProblem{Field: "queue_code", Problem: "is required"}, missingValue[EventType]("event_type"))
	_, _, err = c.EventQueue.Subscribe(ctx, "q", "BOGUS")
	requireRefused(t, err, s, unknownValue[EventType]("event_type", "BOGUS"))
	_, _, err = c.EventQueue.ListSubscriptions(ctx, "..")
	requireRefused(t, err, s, []FieldProblem{{Field: "queue_code", Problem: `must not be ".."`}}...)
	_, _, err = c.EventQueue.ActivateSubscription(ctx, "q", " s")
	requireRefused(t, err, s, []FieldProblem{{Field: "subscription_code", Problem: "must not start or end with white space"}}...)
	_, _, err = c.EventQueue.DeactivateSubscription(ctx, "q", "")
	requireRefused(t, err, s, []FieldProblem{{Field: "subscription_code", Problem: "is required"}}...)
	_, _, err = c.EventQueue.Pull(ctx, "q", "ack ")
	requireRefused(t, err, s, []FieldProblem{{Field: "ack_id", Problem: "must not start or end with white space"}}...)
	_, _, err = c.EventQueue.Pull(ctx, "", "")
	requireRefused(t, err, s, []FieldProblem{{Field: "queue_code", Problem: "is required"}}...)

	var nilCtx context.Context // refused, not a panic
	_, _, err = c.EventQueue.Pull(nilCtx, "q", "")
	assert.Error(t, err)
}

func TestEventQueuePullWire(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/queues/q1/events/pull", 200, fixture(t, "events/pull_response_order_created.json"))
	b, _, err := c.EventQueue.Pull(context.Background(), "q1", "")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/queues/q1/events/pull", nil)
	assert.JSONEq(t, `{"ack_id":null}`, s.last().Body, "the first pull sends a null ack id")
	assert.Equal(t, "c068d557-35c9-4bed-9b2d-add8c199c8cb", b.AckID)
	require.Len(t, b.Events, 1)

	_, _, err = c.EventQueue.Pull(context.Background(), "q1", "c77c60d7-8a4a-4377-a852-96d249bdb42f")
	require.NoError(t, err)
	requireJSONEqual(t, string(fixture(t, "events/pull_request.json")), s.last().Body)
}

func TestEventQueuePullUnexpectedBodyIsDecodeError(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/queues/q/events/pull", 200, []byte(`{"events":[{"id":"1","type":"X"}]}`))
	_, _, err := c.EventQueue.Pull(context.Background(), "q", "")
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Error(), "no ack_id")
}

// pullQueue is an event queue with the pull rules of Tiki's
// documentation and the fake: a pull acknowledges the batch of the ack id
// it sends when that is the latest answer's, ignores an older one of the
// queue, refuses one the queue never issued (400), and answers the oldest
// unacknowledged events with a new ack id.
type pullQueue struct {
	mu     sync.Mutex
	events []string // raw events, in order
	acked  int      // events[:acked] are acknowledged
	issued map[string]int
	latest string
	size   int
	n      int
}

func (q *pullQueue) pull(ack string) (int, string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ack != "" {
		end, ok := q.issued[ack]
		if !ok {
			return 400, `{"errors":["ack_id is not valid for this queue"]}`
		}
		if ack == q.latest && end > q.acked {
			q.acked = end
		}
	}
	end := min(q.acked+q.size, len(q.events))
	q.n++
	id := fmt.Sprintf("ack-%d", q.n)
	q.issued[id], q.latest = end, id
	return 200, fmt.Sprintf(`{"events":[%s],"ack_id":%q}`, strings.Join(q.events[q.acked:end], ","), id)
}

func newPullQueue(n, size int) *pullQueue {
	q := &pullQueue{issued: map[string]int{}, size: size}
	for i := range n {
		q.events = append(q.events, fmt.Sprintf(`{"id":"ev-%d","sid":"S","created_at":1740401636695,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"%d"}}`, i, i))
	}
	return q
}

// servePulls answers the pulls of queue "q" on s from q; with hangUpFirst,
// the first pull is processed and then its connection closed without an
// answer (the answer is lost).
func servePulls(s *server, q *pullQueue, hangUpFirst bool) {
	var once sync.Once
	s.handle("POST /v1/queues/q/events/pull", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AckID *string `json:"ack_id"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		ack := ""
		if body.AckID != nil {
			ack = *body.AckID
		}
		code, out := q.pull(ack)
		lost := false
		if hangUpFirst {
			once.Do(func() { lost = true })
		}
		if lost {
			hangUp(w, r)
			return
		}
		status(code, out)(w, r)
	})
}

func TestEventQueuePullRepeatedAfterLostAnswer(t *testing.T) {
	t.Parallel()
	q := newPullQueue(5, 2)
	// The consumer handled the first batch (ack-1) before this pull.
	_, _ = q.pull("")
	c, s := setup(t)
	servePulls(s, q, true)

	b, resp, err := c.EventQueue.Pull(context.Background(), "q", "ack-1")
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	got := s.requests()
	require.Len(t, got, 2)
	assert.Equal(t, []string{`{"ack_id":"ack-1"}`, `{"ack_id":"ack-1"}`}, []string{got[0].Body, got[1].Body}, "the repeat sends the same ack id")
	assert.Len(t, s.waits(), 1, "one backoff wait")
	// The batch whose answer was lost is delivered again, nothing skipped.
	require.Len(t, b.Events, 2)
	assert.Equal(t, "ev-2", b.Events[0].ID)
	assert.Equal(t, "ev-3", b.Events[1].ID)
	assert.Equal(t, 2, q.acked, "only the batch that was handled is acknowledged")
}

func TestEventQueuePullRepeatedOn5xxNotOn4xx(t *testing.T) {
	t.Parallel()
	const pull = "POST /v1/queues/q/events/pull"
	c, s := setup(t)
	s.handle(pull, status(503, `{"errors":["busy"]}`), status(502, ``), status(200, `{"events":[],"ack_id":"a2"}`))
	b, resp, err := c.EventQueue.Pull(context.Background(), "q", "a1")
	require.NoError(t, err)
	assert.Equal(t, "a2", b.AckID)
	assert.Equal(t, 3, resp.Attempts)
	assert.Len(t, s.waits(), 2)

	c, s = setup(t)
	s.handle(pull, status(500, `{}`))
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "a1")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 4, ae.Attempts, "the client's attempt budget bounds the repeats")
	assert.Equal(t, 4, s.count())

	c, s = setup(t)
	s.handle(pull, status(400, `{"errors":["ack_id is not valid"]}`))
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "zz")
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, 1, s.count(), "a refusal is the answer")

	c, s = setup(t)
	s.handle(pull, withHeader("Retry-After", "3600", status(503, `{}`)))
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "a1")
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 1, s.count(), "a Retry-After above the cap is not waited for")
}

func TestEventQueuePullStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("POST /v1/queues/q/events/pull", status(503, `{}`))
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, _, err := c.EventQueue.Pull(ctx, "q", "a1")
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, s.count())
}
