package tiki_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

func TestEventQueueOnFakeAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := tikitest.NewServer(t)
	client, err := s.Client(tiki.WithRateLimit(0, 0), tiki.WithRetry(4, time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders and stock")
	require.NoError(t, err)
	code := q.Code
	for _, typ := range tiki.EventTypes() {
		sub, _, err := client.EventQueue.Subscribe(ctx, code, typ)
		require.NoError(t, err)
		assert.True(t, sub.Active)
		assert.Equal(t, typ, sub.EventType)
	}

	qs, _, err := client.EventQueue.ListQueues(ctx)
	require.NoError(t, err)
	require.Len(t, qs, 1)
	assert.Equal(t, tiki.EventQueue{Code: code, Name: "orders and stock", Status: "ACTIVE"}, qs[0])

	subs, _, err := client.EventQueue.ListSubscriptions(ctx, code)
	require.NoError(t, err)
	require.Len(t, subs, 5)
	sub, _, err := client.EventQueue.DeactivateSubscription(ctx, code, subs[0].Code)
	require.NoError(t, err)
	assert.False(t, sub.Active)
	sub, _, err = client.EventQueue.ActivateSubscription(ctx, code, subs[0].Code)
	require.NoError(t, err)
	assert.True(t, sub.Active)

	// A pull whose answer is lost is repeated with the same ack id, and
	// the batch comes again: nothing lost, nothing acknowledged unhandled.
	for i := range 3 {
		_, err := s.EmitEvent(s.DefaultSellerID(), "ORDER_CREATED_SUCCESSFULLY", "v1", map[string]any{"order_code": 800000 + i})
		require.NoError(t, err)
	}
	b, _, err := client.EventQueue.Pull(ctx, code, "")
	require.NoError(t, err)
	require.Len(t, b.Events, 3)
	s.DropPullAnswers(1)
	b2, resp, err := client.EventQueue.Pull(ctx, code, b.AckID)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Empty(t, b2.Events)
	info, _ := s.EventQueue(code)
	assert.EqualValues(t, 3, info.Acknowledged)
	assert.Equal(t, 3, info.Pulls)

	// Faults on the pull path are retried like any idempotent call.
	s.Inject(tikitest.Fault{Method: http.MethodPost, Path: "/integration/v1/queues/" + code + "/events/pull", Status: 503, Times: 2})
	_, resp, err = client.EventQueue.Pull(ctx, code, b2.AckID)
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)
}
