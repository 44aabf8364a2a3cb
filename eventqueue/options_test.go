package eventqueue

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
)

// Every Option, with a good value and with each bad one: a bad value is a
// *tiki.ValidationError naming the option.
func TestEveryOptionValidatesItsValue(t *testing.T) {
	t.Parallel()
	client := newClient(t, httpmock.NewMockTransport())
	fenced := &memLease{}
	cases := []struct {
		option string
		good   []Option
		bad    []Option
	}{
		{"WithCheckpoint", []Option{WithCheckpoint(NewMemoryCheckpoint())}, []Option{WithCheckpoint(nil)}},
		{"WithDedupe", []Option{WithDedupe(new(dedupe.MemoryStore)), WithDedupe(nil)}, nil},
		{"WithLease", []Option{WithLease(fenced), WithCheckpoint(fenced)}, []Option{WithLease(nil)}},
		{"WithLogger", []Option{WithLogger(slog.Default())}, []Option{WithLogger(nil)}},
		{"WithOnBatch", []Option{WithOnBatch(func(context.Context, BatchReport) {}), WithOnBatch(nil)}, nil},
		{"WithOnError", []Option{WithOnError(func(context.Context, error) {}), WithOnError(nil)}, nil},
		{"WithOnDuplicate", []Option{WithOnDuplicate(func(context.Context, *tiki.Event) {}), WithOnDuplicate(nil)}, nil},
		{"WithBackoff", []Option{WithBackoff(time.Millisecond, time.Millisecond)},
			[]Option{WithBackoff(0, time.Second), WithBackoff(-time.Second, time.Second), WithBackoff(2*time.Second, time.Second)}},
		{"WithIdleWait", []Option{WithIdleWait(time.Millisecond, time.Hour)},
			[]Option{WithIdleWait(0, time.Second), WithIdleWait(2*time.Second, time.Second)}},
		{"WithHandlerTimeout", []Option{WithHandlerTimeout(time.Millisecond)}, []Option{WithHandlerTimeout(0), WithHandlerTimeout(-time.Second)}},
		{"WithIgnore", []Option{WithIgnore(tiki.EventTypes()...), WithIgnore("PRODUCT_ATTRIBUTE_UPDATED")},
			[]Option{WithIgnore(), WithIgnore(tiki.EventOrderCreated, ""), WithIgnore(" " + tiki.EventOrderCreated), WithIgnore("\t")}},
		{"WithIgnoreUnknown", []Option{WithIgnoreUnknown()}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.option, func(t *testing.T) {
			c, err := NewConsumer(client, testQueue, tc.good...)
			require.NoError(t, err)
			require.NotNil(t, c)
			for i, opt := range tc.bad {
				c, err := NewConsumer(client, testQueue, opt)
				var ve *tiki.ValidationError
				require.ErrorAs(t, err, &ve, "bad value %d", i)
				assert.Nil(t, c)
				require.Len(t, ve.Problems, 1, "bad value %d: %v", i, err)
				assert.Equal(t, tc.option, ve.Problems[0].Field, "bad value %d", i)
			}
		})
	}
}

// NewConsumer lists every problem of its arguments and options at once.
func TestNewConsumerListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := NewConsumer(nil, " q",
		WithBackoff(0, 0),
		nil,
		WithIgnore(""),
		WithLease(&memLease{}), WithCheckpoint(NewMemoryCheckpoint()),
		WithHandlerTimeout(0),
	)
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	assert.Equal(t, []string{"client", "queue_code", "WithBackoff", "opts[1]", "WithIgnore", "WithHandlerTimeout", "WithLease"}, fields)
	assert.Contains(t, err.Error(), "WithLease needs a FencedCheckpoint")
	assert.Contains(t, err.Error(), `"" is not an event type: it must be non-empty, without surrounding white space (the types this package knows are "ORDER_CREATED_SUCCESSFULLY", `)

	client := newClient(t, httpmock.NewMockTransport())
	for _, code := range []string{"", " ", "q ", ".", ".."} {
		_, err := NewConsumer(client, code)
		require.ErrorAs(t, err, &ve, "%q", code)
		assert.Equal(t, "queue_code", ve.Problems[0].Field)
	}
	c, err := NewConsumer(client, "5a84289f-ed78-4285-9670-9a34508fb4a7")
	require.NoError(t, err)
	assert.Equal(t, "5a84289f-ed78-4285-9670-9a34508fb4a7", c.Queue())
}

// The defaults: an in-memory checkpoint and dedupe store, claims for twice
// the handler time limit, handled events remembered for Tiki's seven days.
func TestConsumerDefaults(t *testing.T) {
	t.Parallel()
	c, err := NewConsumer(newClient(t, httpmock.NewMockTransport()), testQueue)
	require.NoError(t, err)
	assert.IsType(t, &MemoryCheckpoint{}, c.checkpoint)
	assert.IsType(t, &dedupe.MemoryStore{}, c.dedupe.Store)
	assert.Equal(t, 2*DefaultHandlerTimeout, c.dedupe.Lease)
	assert.Equal(t, 7*24*time.Hour, c.dedupe.Retention)
	assert.Nil(t, c.logger, "slog.Default() at the time of logging")

	c, err = NewConsumer(newClient(t, httpmock.NewMockTransport()), testQueue, WithHandlerTimeout(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, c.dedupe.Lease)

	// A limit too long to double claims for the longest Duration, not for
	// a negative one.
	for _, d := range []time.Duration{math.MaxInt64, math.MaxInt64/2 + 1} {
		c, err = NewConsumer(newClient(t, httpmock.NewMockTransport()), testQueue, WithHandlerTimeout(d))
		require.NoError(t, err)
		assert.Equal(t, time.Duration(math.MaxInt64), c.dedupe.Lease, "%v", d)
	}
}
