package eventqueue

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

// A handler that ignores its context past the time limit is reported, again
// and again while it runs, and nothing after its event is handed out or
// acknowledged until it returns; its result then decides.
func TestHandlerPastItsTimeLimitIsReportedAndHoldsTheQueue(t *testing.T) {
	t.Parallel()
	const limit = 10 * time.Millisecond
	q := newWireQueue(10)
	q.add(orderEvent(0), orderEvent(1))
	r := newRig(t, q, WithHandlerTimeout(limit))
	timeouts := make(chan *HandlerTimeoutError, 10)
	r.c.onError = func(_ context.Context, err error) {
		var te *HandlerTimeoutError
		if errors.As(err, &te) {
			select {
			case timeouts <- te:
			default: // the handler has seen enough
			}
		}
	}
	started := time.Now()
	var handled []string
	var ctxErr error
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID != "ev-0" {
			return nil
		}
		// The context was made, with its deadline limit later, after the
		// test started and before the handler was called.
		deadline, ok := ctx.Deadline()
		assert.True(t, ok)
		assert.False(t, deadline.Before(started.Add(limit)), "deadline %v, test started %v", deadline, started)
		assert.False(t, deadline.After(time.Now().Add(limit)), "deadline %v", deadline)
		// The handler ignores its context: it returns only after the
		// consumer reported it three times.
		var seen []*HandlerTimeoutError
		for len(seen) < 3 {
			seen = append(seen, <-timeouts)
		}
		ctxErr = ctx.Err()
		for i, te := range seen {
			assert.Equal(t, "ev-0", te.Event.ID)
			assert.Equal(t, limit, te.Limit)
			assert.GreaterOrEqual(t, te.Running, time.Duration(i+1)*limit)
		}
		assert.Equal(t, []string{""}, q.sentAcks(), "nothing pulled, nothing acknowledged meanwhile")
		assert.Empty(t, r.reports)
		return nil // it did its work: the event is handled
	})
	require.NoError(t, r.runUntilDrained())
	assert.ErrorIs(t, ctxErr, context.DeadlineExceeded, "the handler's context ended at the limit")
	assert.Equal(t, []string{"ev-0", "ev-1"}, handled, "the next event only after it returned")
	assert.Equal(t, []string{"", "ack-1"}, q.sentAcks())
	assert.Contains(t, r.logs.String(), `level=ERROR msg="eventqueue: handler past its time limit" queue=q1 error="eventqueue: the handler of event \"ev-0\"`)
}

// A handler that gives up when its context ends fails like any other: its
// event comes again.
func TestHandlerThatStopsAtItsTimeLimitFails(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0))
	r := newRig(t, q, WithHandlerTimeout(time.Millisecond))
	calls := 0
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		if calls++; calls == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, 2, calls)
	var failures []error
	for _, err := range r.errors() {
		var te *HandlerTimeoutError
		if !errors.As(err, &te) { // on a loaded machine the handler may return late
			failures = append(failures, err)
		}
	}
	require.Len(t, failures, 1)
	var he *HandlerError
	require.ErrorAs(t, failures[0], &he)
	assert.ErrorIs(t, he, context.DeadlineExceeded)
}

// Without any option, a consumer that cannot make progress says so through
// slog.Default(). Not parallel: it replaces the default logger.
func TestFailuresAreLoggedThroughTheDefaultLogger(t *testing.T) {
	logs := webhooktest.DefaultLog(t)

	q := newWireQueue(10)
	q.fail(503, 503, 503)
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, pullURL, q.respond)
	c, err := NewConsumer(newClient(t, mt), testQueue)
	require.NoError(t, err)
	c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	waits := 0
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if waits++; waits == 3 {
			cancel()
		}
		return ctx.Err()
	}
	require.NoError(t, c.Run(ctx))
	got := logs.String()
	assert.Contains(t, got, `level=WARN msg="eventqueue: consumer failure; retrying" queue=q1 error="tiki: POST`)
	assert.Contains(t, got, "consecutive_failures=3")
}
