package eventqueue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// A batch's report names when its oldest event happened, whatever the
// order the events come in and skipping events without a time; the empty
// batch that follows (the Consumer has caught up) names none.
func TestBatchReportNamesItsOldestEvent(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(
		`{"id":"a","sid":"S","created_at":1740401700000,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"1"}}`,
		`{"id":"b","sid":"S","type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"2"}}`,
		`{"id":"c","sid":"S","created_at":1740401600000,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"3"}}`,
	)
	r := newRig(t, q)
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	require.NoError(t, r.runUntilDrained())
	r.mu.Lock()
	defer r.mu.Unlock()
	require.GreaterOrEqual(t, len(r.reports), 2)
	assert.Equal(t, tiki.NewTime(time.UnixMilli(1740401600000).In(tiki.Vietnam())), r.reports[0].Oldest)
	assert.Equal(t, 0, r.reports[1].Events)
	assert.True(t, r.reports[1].Oldest.IsZero(), "an empty batch has no oldest event")
}
