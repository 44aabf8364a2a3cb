package tiki

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventQueueListQueues(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodGet, "/v1/queues", 200, fixture(t, "events/queues_list.json"), &got)
	qs, resp, err := c.EventQueue.ListQueues(context.Background())
	require.NoError(t, err)
	requireWire(t, got, http.MethodGet, "/v1/queues", nil)
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, []EventQueue{
		{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 1", Status: "ACTIVE"},
		{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 2", Status: "ACTIVE"},
	}, qs)
}

func TestEventQueueCreateQueue(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodPost, "/v1/queues", 200, fixture(t, "events/queue_create_response.json"), &got)
	q, _, err := c.EventQueue.CreateQueue(context.Background(), "queue 1")
	require.NoError(t, err)
	requireWire(t, got, http.MethodPost, "/v1/queues", nil)
	requireJSONEqual(t, string(fixture(t, "events/queue_create_request.json")), got.Body)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, &EventQueue{Code: "5a84289f-ed78-4285-9670-9a34508fb4a7", Name: "queue 1", Status: "ACTIVE"}, q)

	_, _, err = c.EventQueue.CreateQueue(context.Background(), " ")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "name", Problem: "is required"}}, ve.Problems)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "nothing is sent for an invalid name")
}

// A 2xx answer to a write without the code it creates is an
// *UnconfirmedError that names what is missing (not "not valid JSON"), and
// says whether the queue or subscription may exist.
func TestEventQueueAnswerWithoutCodeIsUnconfirmed(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body string
		sent bool
		text string
	}{
		"empty object": {`{}`, true, `tiki: POST ` + testBase + `/v1/queues: 200 OK answer without a code (body "{}"); ` +
			`Tiki may have processed the request: look it up before sending it again`},
		"a message": {`{"message":"ok"}`, false, `tiki: POST ` + testBase + `/v1/queues: 200 OK answer without a code: ok; ` +
			`Tiki did not process the request`},
		"empty body": {``, true, `tiki: POST ` + testBase + `/v1/queues: 200 OK answer without a code (empty body); ` +
			`Tiki may have processed the request: look it up before sending it again`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := setup(t)
			respond(mt, http.MethodPost, "/v1/queues", 200, []byte(tc.body), nil)
			respond(mt, http.MethodPost, "/v1/queues/q/subscriptions", 200, []byte(tc.body), nil)
			respond(mt, http.MethodPut, "/v1/queues/q/subscriptions/s", 200, []byte(tc.body), nil)
			_, _, err := c.EventQueue.CreateQueue(context.Background(), "q")
			var ue *UnconfirmedError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "code", ue.Missing)
			assert.Equal(t, tc.sent, ue.Sent)
			assert.Equal(t, 200, ue.StatusCode)
			assert.Equal(t, tc.text, err.Error())
			_, _, err = c.EventQueue.Subscribe(context.Background(), "q", EventOrderCreated)
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "code", ue.Missing)
			_, _, err = c.EventQueue.ActivateSubscription(context.Background(), "q", "s")
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, 3, mt.GetTotalCallCount(), "each sent once")
		})
	}
}

func TestEventQueueSubscribe(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodPost, "/v1/queues/5a84289f/subscriptions", 200, fixture(t, "events/subscription_create_response.json"), &got)
	sub, _, err := c.EventQueue.Subscribe(context.Background(), "5a84289f", EventOrderCreated)
	require.NoError(t, err)
	requireWire(t, got, http.MethodPost, "/v1/queues/5a84289f/subscriptions", nil)
	requireJSONEqual(t, string(fixture(t, "events/subscription_create_request.json")), got.Body)
	assert.Equal(t, &Subscription{
		Code: "38f9923b-a345-4437-a48a-d5938a4d6182", Active: true,
		EventType: EventOrderCreated, SID: "969BEA7515A1A27FF4F456C782653F854E6B5D2D",
	}, sub)
}

func TestEventQueueListAndToggleSubscriptions(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var list, put wire
	respond(mt, http.MethodGet, "/v1/queues/q1/subscriptions", 200,
		[]byte(`[{"code":"s1","active":"1","event_type":"ORDER_STATUS_UPDATED","sid":328785}]`), &list)
	subs, _, err := c.EventQueue.ListSubscriptions(context.Background(), "q1")
	require.NoError(t, err)
	requireWire(t, list, http.MethodGet, "/v1/queues/q1/subscriptions", nil)
	assert.Equal(t, []Subscription{{Code: "s1", Active: true, EventType: EventOrderStatusUpdated, SID: "328785"}}, subs)

	respond(mt, http.MethodPut, "/v1/queues/q1/subscriptions/s1", 200,
		[]byte(`{"code":"s1","active":false,"event_type":"ORDER_STATUS_UPDATED","sid":"328785"}`), &put)
	sub, _, err := c.EventQueue.DeactivateSubscription(context.Background(), "q1", "s1")
	require.NoError(t, err)
	requireWire(t, put, http.MethodPut, "/v1/queues/q1/subscriptions/s1", nil)
	requireJSONEqual(t, `{"active":false}`, put.Body)
	assert.False(t, sub.Active)

	respond(mt, http.MethodPut, "/v1/queues/q1/subscriptions/s1", 200,
		[]byte(`{"code":"s1","active":true,"event_type":"ORDER_STATUS_UPDATED","sid":"328785"}`), &put)
	sub, _, err = c.EventQueue.ActivateSubscription(context.Background(), "q1", "s1")
	require.NoError(t, err)
	requireJSONEqual(t, `{"active":true}`, put.Body)
	assert.True(t, sub.Active)
}

func TestEventQueueRefusesBadArguments(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	ctx := context.Background()
	_, _, err := c.EventQueue.Subscribe(ctx, "", "")
	requireRefused(t, err, mt, FieldProblem{Field: "queue_code", Problem: "is required"}, missingValue[EventType]("event_type"))
	_, _, err = c.EventQueue.Subscribe(ctx, "q", "BOGUS")
	requireRefused(t, err, mt, unknownValue[EventType]("event_type", "BOGUS"))
	_, _, err = c.EventQueue.ListSubscriptions(ctx, "..")
	requireRefused(t, err, mt, []FieldProblem{{Field: "queue_code", Problem: `must not be ".."`}}...)
	_, _, err = c.EventQueue.ActivateSubscription(ctx, "q", " s")
	requireRefused(t, err, mt, []FieldProblem{{Field: "subscription_code", Problem: "must not start or end with white space"}}...)
	_, _, err = c.EventQueue.DeactivateSubscription(ctx, "q", "")
	requireRefused(t, err, mt, []FieldProblem{{Field: "subscription_code", Problem: "is required"}}...)
	_, _, err = c.EventQueue.Pull(ctx, "q", "ack ")
	requireRefused(t, err, mt, []FieldProblem{{Field: "ack_id", Problem: "must not start or end with white space"}}...)
	_, _, err = c.EventQueue.Pull(ctx, "", "")
	requireRefused(t, err, mt, []FieldProblem{{Field: "queue_code", Problem: "is required"}}...)

	var nilCtx context.Context // refused, not a panic
	_, _, err = c.EventQueue.Pull(nilCtx, "q", "")
	assert.Error(t, err)
}

func TestEventQueuePullWire(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodPost, "/v1/queues/q1/events/pull", 200, fixture(t, "events/pull_response_order_created.json"), &got)
	b, _, err := c.EventQueue.Pull(context.Background(), "q1", "")
	require.NoError(t, err)
	requireWire(t, got, http.MethodPost, "/v1/queues/q1/events/pull", nil)
	assert.JSONEq(t, `{"ack_id":null}`, got.Body, "the first pull sends a null ack id")
	assert.Equal(t, "c068d557-35c9-4bed-9b2d-add8c199c8cb", b.AckID)
	require.Len(t, b.Events, 1)

	_, _, err = c.EventQueue.Pull(context.Background(), "q1", "c77c60d7-8a4a-4377-a852-96d249bdb42f")
	require.NoError(t, err)
	requireJSONEqual(t, string(fixture(t, "events/pull_request.json")), got.Body)
}

func TestEventQueuePullUnexpectedBodyIsDecodeError(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	respond(mt, http.MethodPost, "/v1/queues/q/events/pull", 200, []byte(`{"events":[{"id":"1","type":"X"}]}`), nil)
	_, _, err := c.EventQueue.Pull(context.Background(), "q", "")
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Error(), "no ack_id")
}

// newPullServer serves q's pulls on loopback, counting requests and
// recording their bodies like newServer; with hangUpFirst, the first pull
// is processed and then its connection closed without an answer (the
// answer is lost).
func newPullServer(t *testing.T, q *pullQueue, hangUpFirst bool) *server {
	t.Helper()
	var once sync.Once
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
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
	s := newPullServer(t, q, true)
	c, w := setupServer(t, s)

	b, resp, err := c.EventQueue.Pull(context.Background(), "q", "ack-1")
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.EqualValues(t, 2, s.count.Load())
	assert.Equal(t, []string{`{"ack_id":"ack-1"}`, `{"ack_id":"ack-1"}`}, s.bodies, "the repeat sends the same ack id")
	assert.Len(t, w.all(), 1, "one backoff wait")
	// The batch whose answer was lost is delivered again, nothing skipped.
	require.Len(t, b.Events, 2)
	assert.Equal(t, "ev-2", b.Events[0].ID)
	assert.Equal(t, "ev-3", b.Events[1].ID)
	assert.Equal(t, 2, q.acked, "only the batch that was handled is acknowledged")
}

func TestEventQueuePullRepeatedOn5xxNotOn4xx(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(503, `{"errors":["busy"]}`), status(502, ``), status(200, `{"events":[],"ack_id":"a2"}`))
	c, w := setupServer(t, s)
	b, resp, err := c.EventQueue.Pull(context.Background(), "q", "a1")
	require.NoError(t, err)
	assert.Equal(t, "a2", b.AckID)
	assert.Equal(t, 3, resp.Attempts)
	assert.Len(t, w.all(), 2)

	s = newServer(t, status(500, `{}`))
	c, _ = setupServer(t, s)
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "a1")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 4, ae.Attempts, "the client's attempt budget bounds the repeats")
	assert.EqualValues(t, 4, s.count.Load())

	s = newServer(t, status(400, `{"errors":["ack_id is not valid"]}`))
	c, _ = setupServer(t, s)
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "zz")
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.EqualValues(t, 1, s.count.Load(), "a refusal is the answer")

	s = newServer(t, withHeader("Retry-After", "3600", status(503, `{}`)))
	c, _ = setupServer(t, s)
	_, _, err = c.EventQueue.Pull(context.Background(), "q", "a1")
	require.ErrorAs(t, err, &ae)
	assert.EqualValues(t, 1, s.count.Load(), "a Retry-After above the cap is not waited for")
}

func TestEventQueuePullStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(503, `{}`))
	c, _ := setupServer(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, _, err := c.EventQueue.Pull(ctx, "q", "a1")
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 1, s.count.Load())
}
