package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var trkRejection = &Rejection{
	Errors: []RejectionError{{
		Code:        420,
		Description: "Product code B0055QD0EC2 is not unique",
		Message:     "Mã seller product không duy nhất",
		MessageEN:   "Seller product code is not unique",
	}},
	Message: "Mã seller product không duy nhất",
}

const trkRejectedReason = `{"errors":[{"code":420,"data":null,"description":"Product code B0055QD0EC2 is not unique","msg":"Mã seller product không duy nhất","msg_eng":"Seller product code is not unique"}],"message":"Mã seller product không duy nhất","trace_id":null}`

func TestTrackingLatest(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/tracking", 200, fixture(t, "tracking_latest.json"))

	recs, _, err := c.Tracking.Latest(context.Background(), &TrackingOptions{
		Limit:      50,
		CreatedMin: vnTime(t, "2019-06-27 10:47:34"), CreatedMax: vnTime(t, "2019-06-28 10:47:34"),
		UpdatedMin: vnTime(t, "2019-06-27 11:00:00"), UpdatedMax: NewTime(time.Date(2019, 6, 28, 5, 0, 0, 0, time.UTC)),
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/tracking", map[string][]string{
		"limit":          {"50"},
		"created_at_min": {"2019-06-27 10:47:34"}, "created_at_max": {"2019-06-28 10:47:34"},
		"updated_at_min": {"2019-06-27 11:00:00"}, "updated_at_max": {"2019-06-28 12:00:00"},
	})
	assert.Equal(t, []TrackedRequest{
		{TrackID: "097c43fb664448eba4dfb410b323b615", State: RequestApproved, RequestID: "1121456196340384958"},
		{TrackID: "06e9fffedf3b4a179ccca85d2aa6f70b", State: RequestAwaitingApprove, RequestID: "1121448919994696893"},
		{TrackID: "4cd90cf9294047c9984c1a7f6a1c67de", State: RequestApproved, RequestID: "1121447935453136060"},
		{TrackID: "8c526ef8f8504f30ad330682d07a10a7", State: RequestRejected, Reason: trkRejectedReason, Rejection: trkRejection},
	}, recs)
	assert.Equal(t, "Seller product code is not unique", recs[3].ReasonText())
	assert.Equal(t, []int{420}, recs[3].Rejection.Codes())
	assert.Equal(t, "Mã seller product không duy nhất", recs[3].Rejection.Vietnamese())
	assert.Equal(t, "", recs[0].ReasonText())
}

func TestTrackingLatestNoOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/tracking", 200, []byte(`[]`))
	recs, _, err := c.Tracking.Latest(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, recs)
	requireWire(t, s.last(), http.MethodGet, "/v2/tracking", nil)
}

func TestTrackingLatestV1(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/tracking", 200, fixture(t, "tracking_latest_v1.json"))

	recs, _, err := c.V1.Tracking.Latest(context.Background(), &TrackingOptions{Limit: 3})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/tracking", map[string][]string{"limit": {"3"}})
	assert.Equal(t, []TrackedRequest{
		{TrackID: "c3587ec50976497f837461e0c2ea3da5", State: RequestProcessing},
		{TrackID: "c3587ec50976497f83edfgsdfgsdfgf5", State: RequestRejected, Reason: "Image does not match product name"},
		{TrackID: "c3587ec50976497f837463gfsdfgbsfg", State: RequestApproved, TikiSKU: "2150725160607"},
	}, recs)
	assert.Equal(t, "Image does not match product name", recs[1].ReasonText(), "plain-text reasons stay as they are")
}

func TestTrackingGet(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/tracking/4cd90cf9294047c9984c1a7f6a1c67de", 200, fixture(t, "tracking_one.json"))

	rec, _, err := c.Tracking.Get(context.Background(), "4cd90cf9294047c9984c1a7f6a1c67de")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/tracking/4cd90cf9294047c9984c1a7f6a1c67de", nil)
	assert.Equal(t, &TrackedRequest{TrackID: "4cd90cf9294047c9984c1a7f6a1c67de", RequestID: "1121447935453136060", State: RequestApproved}, rec)
}

func TestTrackingGetV1(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/tracking/c3587ec50976497f837461e0c2ea3da5", 200, fixture(t, "tracking_one_v1.json"))

	rec, _, err := c.V1.Tracking.Get(context.Background(), "c3587ec50976497f837461e0c2ea3da5")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/tracking/c3587ec50976497f837461e0c2ea3da5", nil)
	assert.Equal(t, &TrackedRequest{TrackID: "c3587ec50976497f837461e0c2ea3da5", State: RequestRejected, Reason: "Image does not match product name"}, rec)
	assert.Nil(t, rec.Rejection)
}

func TestTrackingGetNotFound(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/tracking/nope", 404, []byte(`{"errors":["track_id is invalid"]}`))
	_, _, err := c.Tracking.Get(context.Background(), "nope")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestTrackingReplay(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/tracking/4cd90cf9294047c9984c1a7f6a1c67de/replay", 200, fixture(t, "tracking_replay_response.json"))

	rec, _, err := c.Tracking.Replay(context.Background(), "4cd90cf9294047c9984c1a7f6a1c67de")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2/tracking/4cd90cf9294047c9984c1a7f6a1c67de/replay", nil)
	assert.Empty(t, s.last().Body)
	assert.Equal(t, &TrackedRequest{TrackID: "4cd90cf9294047c9984c1a7f6a1c67de", State: RequestQueuing}, rec)
}

func TestTrackingReplayNotResent(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("POST /v2/tracking/4cd90cf9294047c9984c1a7f6a1c67de/replay",
		status(503, `{"errors":["unavailable"]}`), status(200, string(fixture(t, "tracking_replay_response.json"))))
	_, _, err := c.Tracking.Replay(context.Background(), "4cd90cf9294047c9984c1a7f6a1c67de")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, 1, s.count())
	assert.Empty(t, s.waits())
}

func TestTrackingValidation(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/tracking", 200, []byte(`[]`))
	ctx := context.Background()
	t0 := vnTime(t, "2019-06-27 10:47:34")
	t1 := vnTime(t, "2019-06-28 10:47:34")

	// Passing: equal bounds, open ranges, zero limit.
	for _, o := range []*TrackingOptions{
		{CreatedMin: t0, CreatedMax: t0}, {CreatedMin: t1}, {UpdatedMax: t0}, {Limit: 0}, {Limit: 1000},
	} {
		_, _, err := c.Tracking.Latest(ctx, o)
		require.NoError(t, err)
	}
	assert.Equal(t, 5, s.count())
	s.forget() // from here on, nothing may be sent

	var ve *ValidationError
	_, _, err := c.Tracking.Latest(ctx, &TrackingOptions{Limit: -1, CreatedMin: t1, CreatedMax: t0, UpdatedMin: t1, UpdatedMax: t0})
	requireRefused(t, err, s, []FieldProblem{
		{"limit", "must not be negative"},
		{"created_at_max", "must not be before created_at_min"},
		{"updated_at_max", "must not be before updated_at_min"},
	}...)
	_, _, err = c.V1.Tracking.Latest(ctx, &TrackingOptions{Limit: -1})
	require.ErrorAs(t, err, &ve)
	calls := map[string]func(id string) error{
		"track_id":        func(id string) error { _, _, err := c.Tracking.Get(ctx, id); return err },
		"trace_id":        func(id string) error { _, _, err := c.V1.Tracking.Get(ctx, id); return err },
		"track_id replay": func(id string) error { _, _, err := c.Tracking.Replay(ctx, id); return err },
		"track_id wait":   func(id string) error { _, _, err := c.Tracking.Wait(ctx, id, nil); return err },
	}
	for name, f := range calls {
		field, _, _ := strings.Cut(name, " ")
		for id, problem := range map[string]string{
			"":      "is required",
			" ":     "is required",
			".":     `must not be "."`,
			"..":    `must not be ".."`,
			" abc":  "must not start or end with white space",
			"abc\t": "must not start or end with white space",
		} {
			require.ErrorAs(t, f(id), &ve, name, id)
			assert.Equal(t, []FieldProblem{{field, problem}}, ve.Problems, name, id)
		}
	}
	_, _, err = c.Tracking.Wait(ctx, "abc", &WaitOptions{Interval: -1, MaxInterval: -1})
	requireRefused(t, err, s, []FieldProblem{{"interval", "must not be negative"}, {"max_interval", "must not be negative"}}...)
	_, _, err = c.Tracking.Wait(ctx, "abc", &WaitOptions{Interval: time.Minute, MaxInterval: time.Second})
	requireRefused(t, err, s, []FieldProblem{{"max_interval", "must not be less than interval"}}...)
	assert.Equal(t, 0, s.count(), "nothing sent for invalid calls")
}

func TestTrackingRequestStates(t *testing.T) {
	t.Parallel()
	terminal := map[RequestState]bool{
		RequestQueuing: false, RequestProcessing: false, RequestDrafted: false, RequestBotAwaitingApprove: false,
		RequestMDAwaitingApprove: false, RequestAwaitingApprove: false,
		RequestApproved: true, RequestRejected: true, RequestDeleted: true,
	}
	for s, want := range terminal {
		assert.Equal(t, want, s.IsTerminal(), s)
		assert.True(t, s.Valid(), s)
	}
	assert.False(t, RequestState("someday").IsTerminal())
	assert.False(t, RequestState("someday").Valid())
	assert.False(t, RequestState("").Valid())
}

func TestTrackingParseRejection(t *testing.T) {
	t.Parallel()
	assert.Equal(t, trkRejection, ParseRejection(trkRejectedReason))
	assert.Nil(t, ParseRejection(""))
	assert.Nil(t, ParseRejection("Image does not match product name"))
	assert.Nil(t, ParseRejection(`{"foo":1}`), "JSON without errors or message is not a rejection")
	assert.Nil(t, ParseRejection(`{"errors":[`), "malformed JSON stays plain text")
	assert.Nil(t, ParseRejection(`{"errors":"x"}`))

	r := ParseRejection(` {"errors":[{"code":"421","description":"Image is too small","data":{"min":500}},{"code":422,"msg":"Thiếu ảnh"}],"message":"Lỗi","trace_id":"abc"}`)
	require.NotNil(t, r)
	assert.Equal(t, []int{421, 422}, r.Codes())
	assert.Equal(t, "Image is too small; Thiếu ảnh", r.English(), "falls back to the description, then msg")
	assert.Equal(t, "Thiếu ảnh", r.Vietnamese())
	assert.Equal(t, "abc", r.TraceID)
	assert.JSONEq(t, `{"min":500}`, string(r.Errors[0].Data))

	r = ParseRejection(`{"message":"Sản phẩm bị từ chối"}`)
	require.NotNil(t, r)
	assert.Equal(t, "Sản phẩm bị từ chối", r.English())
	assert.Equal(t, "Sản phẩm bị từ chối", r.Vietnamese())

	var nilR *Rejection
	assert.Nil(t, nilR.Codes())
	assert.Equal(t, "", nilR.English())
	assert.Equal(t, "", nilR.Vietnamese())
}

func TestTrackingDecodesEveryReasonShape(t *testing.T) {
	t.Parallel()
	cases := map[string]TrackedRequest{
		`{"track_id":"a","state":"rejected","reason":null}`:            {TrackID: "a", State: RequestRejected},
		`{"track_id":"a","state":"rejected","reason":"Too dark"}`:      {TrackID: "a", State: RequestRejected, Reason: "Too dark"},
		`{"trace_id":"b","state":"approved","tiki_sku":2150725160607}`: {TrackID: "b", State: RequestApproved, TikiSKU: "2150725160607"},
		`{"track_id":"a","request_id":1121447935453136060}`:            {TrackID: "a", RequestID: "1121447935453136060"},
		// A reason sent as an object rather than a string is kept as its text and parsed.
		`{"track_id":"a","reason":{"errors":[{"code":420,"msg_eng":"dup"}]}}`: {TrackID: "a",
			Reason:    `{"errors":[{"code":420,"msg_eng":"dup"}]}`,
			Rejection: &Rejection{Errors: []RejectionError{{Code: 420, MessageEN: "dup"}}}},
	}
	for in, want := range cases {
		var got TrackedRequest
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	var got TrackedRequest
	assert.Error(t, json.Unmarshal([]byte(`{"track_id":["x"]}`), &got))
	assert.Error(t, json.Unmarshal([]byte(`[]`), &got))
}

// trkPolls answers the polls of trackID with bodies in turn, the last one
// answering every poll after it.
func trkPolls(s *server, trackID string, bodies ...string) *route {
	var answers []http.HandlerFunc
	for _, b := range bodies {
		answers = append(answers, status(200, b))
	}
	return s.handle("GET /v2/tracking/"+trackID, answers...)
}

func trkBody(state RequestState) string {
	return `{"track_id":"4cd90cf9294047c9984c1a7f6a1c67de","state":"` + string(state) + `","reason":""}`
}

func TestTrackingWaitApproved(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	polls := trkPolls(s, "4cd90cf9294047c9984c1a7f6a1c67de",
		trkBody(RequestQueuing), trkBody(RequestProcessing), trkBody(RequestBotAwaitingApprove),
		trkBody(RequestAwaitingApprove), string(fixture(t, "tracking_one.json")))

	var seen []RequestState
	rec, resp, err := c.Tracking.Wait(context.Background(), "4cd90cf9294047c9984c1a7f6a1c67de", &WaitOptions{
		Interval: time.Second, MaxInterval: 3 * time.Second,
		OnPoll: func(r *TrackedRequest) { seen = append(seen, r.State) },
	})
	require.NoError(t, err)
	assert.Equal(t, &TrackedRequest{TrackID: "4cd90cf9294047c9984c1a7f6a1c67de", RequestID: "1121447935453136060", State: RequestApproved}, rec)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 5, polls.count())
	assert.Equal(t, []RequestState{RequestQueuing, RequestProcessing, RequestBotAwaitingApprove, RequestAwaitingApprove, RequestApproved}, seen)
	// Backoff: 1 s, 2 s, then capped at 3 s, each in its upper half.
	got := s.waits()
	require.Len(t, got, 4)
	for i, top := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		assert.GreaterOrEqual(t, got[i], top/2, i)
		assert.LessOrEqual(t, got[i], top, i)
	}
}

func TestTrackingWaitDefaults(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	trkPolls(s, "t1", trkBody(RequestQueuing), trkBody(RequestQueuing), trkBody(RequestApproved))
	_, _, err := c.Tracking.Wait(context.Background(), "t1", nil)
	require.NoError(t, err)
	got := s.waits()
	require.Len(t, got, 2)
	assert.GreaterOrEqual(t, got[0], DefaultWaitInterval/2)
	assert.LessOrEqual(t, got[0], DefaultWaitInterval)
	assert.LessOrEqual(t, got[1], 2*DefaultWaitInterval)

	// Only a small MaxInterval: the first wait fits under it.
	c2, s2 := setup(t)
	trkPolls(s2, "t1", trkBody(RequestQueuing), trkBody(RequestDeleted))
	rec, _, err := c2.Tracking.Wait(context.Background(), "t1", &WaitOptions{MaxInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, RequestDeleted, rec.State, "deleted is terminal too")
	require.Len(t, s2.waits(), 1)
	assert.LessOrEqual(t, s2.waits()[0], 100*time.Millisecond)
}

func TestTrackingWaitAlreadyTerminal(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	polls := trkPolls(s, "4cd90cf9294047c9984c1a7f6a1c67de", string(fixture(t, "tracking_one.json")))
	rec, _, err := c.Tracking.Wait(context.Background(), "4cd90cf9294047c9984c1a7f6a1c67de", nil)
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, rec.State)
	assert.Equal(t, 1, polls.count())
	assert.Empty(t, s.waits(), "no wait when the first poll is final")
}

func TestTrackingWaitRejected(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	// The rejected row of the documentation's tracking example.
	var rows []json.RawMessage
	require.NoError(t, json.Unmarshal(fixture(t, "tracking_latest.json"), &rows))
	rejected := string(rows[3])
	polls := trkPolls(s, "8c526ef8f8504f30ad330682d07a10a7",
		`{"track_id":"8c526ef8f8504f30ad330682d07a10a7","state":"processing","reason":""}`, rejected)

	rec, _, err := c.Tracking.Wait(context.Background(), "8c526ef8f8504f30ad330682d07a10a7", nil)
	require.NoError(t, err, "a rejection is a result, not an error")
	assert.Equal(t, 2, polls.count())
	assert.Equal(t, &TrackedRequest{TrackID: "8c526ef8f8504f30ad330682d07a10a7", State: RequestRejected,
		Reason: trkRejectedReason, Rejection: trkRejection}, rec)
	assert.Equal(t, "Seller product code is not unique", rec.ReasonText())
	assert.Equal(t, 420, rec.Rejection.Errors[0].Code)
	assert.Len(t, s.waits(), 1)
}

func TestTrackingWaitContextTimeout(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := newExpiring()
	var mu sync.Mutex
	var asked []time.Duration
	// The context's deadline passes during the third wait: Wait must give
	// up then, without really sleeping for the requested backoff.
	c.sleep = func(ctx2 context.Context, d time.Duration) error {
		mu.Lock()
		asked = append(asked, d)
		n := len(asked)
		mu.Unlock()
		if n < 3 {
			return ctx2.Err()
		}
		ctx.expire()
		<-ctx2.Done()
		return ctx2.Err()
	}
	polls := trkPolls(s, "t1", trkBody(RequestQueuing), trkBody(RequestAwaitingApprove))
	start := time.Now()
	rec, _, err := c.Tracking.Wait(ctx, "t1", &WaitOptions{Interval: time.Hour, MaxInterval: 10 * time.Hour})
	assert.Less(t, time.Since(start), time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var we *WaitError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "t1", we.TrackID)
	require.NotNil(t, we.Last)
	assert.Equal(t, RequestAwaitingApprove, we.Last.State)
	assert.Equal(t, we.Last, rec, "the last record polled is returned with the error")
	assert.Contains(t, err.Error(), "last state awaiting_approve")
	assert.Equal(t, 3, polls.count())
	assert.Len(t, asked, 3)
}

// expiring is a context whose deadline passes when the test calls expire,
// however long the calls before took.
type expiring struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiring() *expiring {
	return &expiring{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiring) expire()               { c.once.Do(func() { close(c.done) }) }
func (c *expiring) Done() <-chan struct{} { return c.done }

func (c *expiring) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestTrackingWaitCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec, _, err := c.Tracking.Wait(ctx, "t1", nil)
	assert.Nil(t, rec)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "last state unknown")
	assert.Equal(t, 0, s.count())
}

func TestTrackingWaitPollFails(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	polls := s.handle("GET /v2/tracking/t1", status(200, trkBody(RequestProcessing)), status(404, `{"errors":["track_id is invalid"]}`))
	rec, _, err := c.Tracking.Wait(context.Background(), "t1", nil)
	require.ErrorIs(t, err, ErrNotFound)
	var we *WaitError
	require.ErrorAs(t, err, &we)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, RequestProcessing, rec.State)
	assert.Equal(t, 2, polls.count())
}

func TestRejectionErrorIsAnError(t *testing.T) {
	t.Parallel()
	r := ParseRejection(`{"errors":[{"code":420,"description":"duplicated","msg":"Mã seller product không duy nhất","msg_eng":"Seller product code is not unique"},` +
		`{"code":421,"msg":"Thiếu ảnh"}],"message":"Mã seller product không duy nhất"}`)
	require.NotNil(t, r)
	require.Len(t, r.Errors, 2)

	var err error = r.Errors[0]
	assert.Equal(t, "tiki: rejected (code 420): Seller product code is not unique", err.Error())
	// Without an English message, the Vietnamese one is used.
	assert.Equal(t, "tiki: rejected (code 421): Thiếu ảnh", r.Errors[1].Error())

	wrapped := fmt.Errorf("listing SKU-1: %w", r.Errors[0])
	var re RejectionError
	require.True(t, errors.As(wrapped, &re))
	assert.Equal(t, 420, re.Code)
	var rp *RejectionError
	require.True(t, errors.As(fmt.Errorf("listing: %w", &r.Errors[1]), &rp))
	assert.Equal(t, 421, rp.Code)
}
