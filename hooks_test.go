package tiki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the hooks see (WithHooks): every step of a call in order, with the
// context CallStart returned; the endpoint as a template holding none of
// the call's values; token renewals with their reason; several sets of
// hooks adding up; a panicking hook that does not fail the call.

// hookEvent is one hook call as a hookRecorder saw it.
type hookEvent struct {
	Hook string
	Call CallInfo
	Info any // LimiterWaitInfo, AttemptInfo, CallDoneInfo, TokenRenewalInfo; nil for CallStart
}

// hookRecorder records its hooks' calls in order. Durations are zeroed
// (checked non-negative) so that events compare exactly; ctxValue is the
// value of ctxKey in each hook's context.
type hookRecorder struct {
	mu       sync.Mutex
	events   []hookEvent
	ctxValue []any
}

// ctxKey marks the context a test's CallStart returns.
type ctxKey struct{}

func (r *hookRecorder) add(t *testing.T, ctx context.Context, e hookEvent) {
	switch i := e.Info.(type) {
	case LimiterWaitInfo:
		assert.GreaterOrEqual(t, i.Wait, time.Duration(0))
		i.Wait = 0
		e.Info = i
	case AttemptInfo:
		assert.Greater(t, i.Duration, time.Duration(0))
		i.Duration = 0
		e.Info = i
	case CallDoneInfo:
		assert.Greater(t, i.Duration, time.Duration(0))
		i.Duration = 0
		e.Info = i
	case TokenRenewalInfo:
		assert.Greater(t, i.Duration, time.Duration(0))
		i.Duration = 0
		e.Info = i
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.ctxValue = append(r.ctxValue, ctx.Value(ctxKey{}))
}

// hooks returns hooks that record every call; CallStart returns a context
// holding ctxKey = mark (when mark is not nil).
func (r *hookRecorder) hooks(t *testing.T, mark any) Hooks {
	return Hooks{
		CallStart: func(ctx context.Context, call CallInfo) context.Context {
			r.add(t, ctx, hookEvent{Hook: "CallStart", Call: call})
			if mark == nil {
				return nil
			}
			return context.WithValue(ctx, ctxKey{}, mark)
		},
		LimiterWait: func(ctx context.Context, call CallInfo, w LimiterWaitInfo) {
			r.add(t, ctx, hookEvent{Hook: "LimiterWait", Call: call, Info: w})
		},
		Attempt: func(ctx context.Context, call CallInfo, a AttemptInfo) {
			r.add(t, ctx, hookEvent{Hook: "Attempt", Call: call, Info: a})
		},
		CallDone: func(ctx context.Context, call CallInfo, d CallDoneInfo) {
			r.add(t, ctx, hookEvent{Hook: "CallDone", Call: call, Info: d})
		},
		TokenRenewal: func(ctx context.Context, tr TokenRenewalInfo) {
			r.add(t, ctx, hookEvent{Hook: "TokenRenewal", Info: tr})
		},
	}
}

func (r *hookRecorder) all() []hookEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookEvent(nil), r.events...)
}

func (r *hookRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.ctxValue = nil, nil
}

// ctxLimiter lets every request through and records the value of ctxKey
// in the contexts it is given.
type ctxLimiter struct {
	mu   sync.Mutex
	seen []any
}

func (l *ctxLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, ctx.Value(ctxKey{}))
	return ctx.Err()
}

// ctxTransport sends requests through next and records the value of
// ctxKey in their contexts.
type ctxTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []any
}

func (tr *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.mu.Lock()
	tr.seen = append(tr.seen, r.Context().Value(ctxKey{}))
	tr.mu.Unlock()
	return tr.next.RoundTrip(r)
}

// A call retried after a 429 and a 503 reports its start, each limiter
// wait and attempt with the client's next step, and its outcome with
// Tiki's request id; the context CallStart returned reaches the limiter,
// the HTTP requests and every later hook.
func TestHooksFollowACallThroughItsAttempts(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	things := s.handle("GET /v2/things",
		withHeader("Retry-After", "2", status(429, `{"errors":["too many requests"]}`)),
		withHeader("Retry-After", "1", status(503, `{}`)),
		withHeader("X-Request-Id", "req-42", ok200),
	)
	rec := &hookRecorder{}
	lim := &ctxLimiter{}
	tr := &ctxTransport{next: s.transport()}
	c := s.client(t, WithSellerKey(testKey), WithHooks(rec.hooks(t, "call-1")), WithLimiter(lim), WithHTTPClient(&http.Client{Transport: tr}), WithSellerID("seller-7"))
	_, resp, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, "req-42", resp.RequestID)
	assert.Equal(t, 3, things.count())
	assert.Equal(t, []time.Duration{2 * time.Second, time.Second}, s.waits())

	call := CallInfo{Method: "GET", Template: "/v2/things", Host: "127.0.0.1", SellerID: "seller-7"}
	assert.Equal(t, []hookEvent{
		{"CallStart", call, nil},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 1}},
		{"Attempt", call, AttemptInfo{Attempt: 1, Status: 429, Retry: true, Wait: 2 * time.Second}},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 2}},
		{"Attempt", call, AttemptInfo{Attempt: 2, Status: 503, Retry: true, Wait: time.Second}},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 3}},
		{"Attempt", call, AttemptInfo{Attempt: 3, Status: 200}},
		{"CallDone", call, CallDoneInfo{Status: 200, Attempts: 3, RequestID: "req-42"}},
	}, rec.all())
	assert.Equal(t, []any{nil, "call-1", "call-1", "call-1", "call-1", "call-1", "call-1", "call-1"}, rec.ctxValue,
		"every hook after CallStart gets its context")
	assert.Equal(t, []any{"call-1", "call-1", "call-1"}, lim.seen, "the limiter gets CallStart's context")
	assert.Equal(t, []any{"call-1", "call-1", "call-1"}, tr.seen, "the HTTP requests carry CallStart's context")
}

// A call that gets no answer, one that Tiki refuses and one whose context
// ends in the limiter's queue report what they did: the error, the status,
// how many requests were sent (none for the last).
func TestHooksReportCallsThatFail(t *testing.T) {
	t.Parallel()
	t.Run("no answer", func(t *testing.T) {
		t.Parallel()
		rec := &hookRecorder{}
		c, s := setup(t, WithHooks(rec.hooks(t, nil)))
		s.handle("POST /v2/things", hangUp)
		_, _, err := callThing(c, http.MethodPost) // a POST that may have reached Tiki is not resent
		var re *RequestError
		require.ErrorAs(t, err, &re)
		events := rec.all()
		require.Len(t, events, 4)
		a := events[2].Info.(AttemptInfo)
		assert.Equal(t, AttemptInfo{Attempt: 1, Err: a.Err}, a)
		require.Error(t, a.Err)
		assert.Equal(t, CallDoneInfo{Attempts: 1, Err: err}, events[3].Info)
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		rec := &hookRecorder{}
		c, s := setup(t, WithHooks(rec.hooks(t, nil)))
		s.handle("GET /v2/things", withHeader("X-Request-Id", "req-404", status(404, `{"errors":["order 929231617 not found"]}`)))
		_, _, err := callThing(c, http.MethodGet)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		events := rec.all()
		require.Len(t, events, 4)
		assert.Equal(t, AttemptInfo{Attempt: 1, Status: 404}, events[2].Info)
		assert.Equal(t, CallDoneInfo{Status: 404, Attempts: 1, RequestID: "req-404", Err: err}, events[3].Info)
	})
	t.Run("context ends in the limiter", func(t *testing.T) {
		t.Parallel()
		rec := &hookRecorder{}
		c, s := setup(t, WithHooks(rec.hooks(t, nil)), WithLimiter(limiterFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})))
		s.handle("GET /v2/things", ok200)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		_, err := c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "things"}, nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		events := rec.all()
		require.Len(t, events, 3)
		assert.Equal(t, LimiterWaitInfo{Attempt: 1, Err: context.DeadlineExceeded}, events[1].Info)
		assert.Equal(t, CallDoneInfo{Err: err}, events[2].Info)
		assert.Zero(t, s.count())
	})
}

// limiterFunc is a Limiter made of a function.
type limiterFunc func(ctx context.Context) error

func (f limiterFunc) Wait(ctx context.Context) error { return f(ctx) }

// Each token request is reported once, with the seller and why it was
// made: the first, one after Tiki refused the token (the refused attempt
// is retried at once), one before the token expires, and a failed one
// with the error the waiting call returns.
func TestHooksReportTokenRenewals(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	o := s.oauth()
	rec := &hookRecorder{}
	c := s.client(t, clientCredentials(AuthStyleBasic), WithHooks(rec.hooks(t, "call")), WithSellerID("seller-7"))
	get := func() error {
		_, _, err := c.Catalog.ListCategories(context.Background(), nil)
		return err
	}
	call := CallInfo{Method: "GET", Template: "/v2/categories", Host: "127.0.0.1", SellerID: "seller-7"}

	require.NoError(t, get())
	assert.Equal(t, []hookEvent{
		{"CallStart", call, nil},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 1}},
		{"TokenRenewal", CallInfo{}, TokenRenewalInfo{SellerID: "seller-7", Reason: TokenFirst}},
		{"Attempt", call, AttemptInfo{Attempt: 1, Status: 200}},
		{"CallDone", call, CallDoneInfo{Status: 200, Attempts: 1}},
	}, rec.all())
	assert.Equal(t, "call", rec.ctxValue[2], "the renewal gets the context of the call that needed it")

	rec.reset()
	o.valid = func(tok string) bool { return tok != "tok-1" }
	require.NoError(t, get())
	assert.Equal(t, []hookEvent{
		{"CallStart", call, nil},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 1}},
		{"Attempt", call, AttemptInfo{Attempt: 1, Status: 401, Retry: true}},
		{"LimiterWait", call, LimiterWaitInfo{Attempt: 2}},
		{"TokenRenewal", CallInfo{}, TokenRenewalInfo{SellerID: "seller-7", Reason: TokenRefused}},
		{"Attempt", call, AttemptInfo{Attempt: 2, Status: 200}},
		{"CallDone", call, CallDoneInfo{Status: 200, Attempts: 2}},
	}, rec.all())

	rec.reset()
	cache := c.auth.(*tokenCache)
	cache.mu.Lock()
	cache.now = func() time.Time { return time.Now().Add(time.Hour) }
	cache.mu.Unlock()
	require.NoError(t, get())
	assert.Equal(t, TokenRenewalInfo{SellerID: "seller-7", Reason: TokenExpiring}, rec.all()[2].Info)

	rec.reset()
	o.fail = `{"error":"invalid_client"}`
	cache.mu.Lock()
	cache.now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	cache.mu.Unlock()
	err := get()
	var te *TokenError
	require.ErrorAs(t, err, &te)
	events := rec.all()
	require.Len(t, events, 4)
	assert.Equal(t, TokenRenewalInfo{SellerID: "seller-7", Reason: TokenExpiring, Err: events[2].Info.(TokenRenewalInfo).Err}, events[2].Info)
	require.ErrorAs(t, events[2].Info.(TokenRenewalInfo).Err, &te)
	assert.Equal(t, CallDoneInfo{Err: err}, events[3].Info)
}

// Every endpoint is named by its path template: the API version and the
// literal segments, each value of the path (order code, product id, SKU,
// queue code...) replaced by its name. The template fits the path that
// went over the wire, and holds none of the call's values.
func TestHooksNameTheEndpointByItsTemplate(t *testing.T) {
	t.Parallel()
	order := func(ft FulfillmentType) *Order {
		return &Order{Code: "929231617", FulfillmentType: ft}
	}
	cases := []struct {
		template string
		call     func(ctx context.Context, c *Client) error
	}{
		{"/v2/orders", func(ctx context.Context, c *Client) error {
			_, _, err := c.Orders.List(ctx, &OrderListOptions{})
			return err
		}},
		{"/v2/orders/{code}", func(ctx context.Context, c *Client) error {
			_, _, err := c.Orders.Get(ctx, "929231617", nil)
			return err
		}},
		{"/v1/queues/{queueCode}/subscriptions", func(ctx context.Context, c *Client) error {
			_, _, err := c.EventQueue.Subscribe(ctx, "queue-a1b2c3", EventOrderCreated)
			return err
		}},
		{"/v2/orders/{code}/tiki-delivery/labels", func(ctx context.Context, c *Client) error {
			_, _, err := c.Orders.Label(ctx, order(FulfillmentTikiDelivery), nil)
			return err
		}},
		{"/v2/orders/{code}/dropship/labels", func(ctx context.Context, c *Client) error {
			_, _, err := c.Orders.Label(ctx, order(FulfillmentDropship), nil)
			return err
		}},
		{"/v1/orders/{order_code}", func(ctx context.Context, c *Client) error {
			_, _, err := c.V1.Orders.Get(ctx, "929231617")
			return err
		}},
		{"/v2.1/products/{productId}", func(ctx context.Context, c *Client) error {
			_, _, err := c.Products.Get(ctx, 2147483647)
			return err
		}},
		{"/v2/products/{productId}", func(ctx context.Context, c *Client) error {
			_, _, err := c.V2.Products.Get(ctx, 2147483647)
			return err
		}},
		{"/v1/products/{sku}/updateSku", func(ctx context.Context, c *Client) error {
			_, _, err := c.V1.Products.Update(ctx, "SHIRT-RED-XL", ProductUpdateV1{Quantity: Ptr(3)})
			return err
		}},
		{"/v2/tracking/{id}", func(ctx context.Context, c *Client) error {
			_, _, err := c.Tracking.Get(ctx, "track-0a1b2c")
			return err
		}},
		{"/v1/tracking/{id}", func(ctx context.Context, c *Client) error {
			_, _, err := c.V1.Tracking.Get(ctx, "trace-0a1b2c")
			return err
		}},
		{"/v2/categories/{categoryId}/attributes", func(ctx context.Context, c *Client) error {
			_, _, err := c.Catalog.ListAttributes(ctx, 8322)
			return err
		}},
		{"/v1/queues/{queueCode}/events/pull", func(ctx context.Context, c *Client) error {
			_, _, err := c.EventQueue.Pull(ctx, "queue-a1b2c3", "ack-9")
			return err
		}},
		{"/v2/{path}", func(ctx context.Context, c *Client) error {
			_, err := c.Call(ctx, http.MethodGet, "v2/orders/929231617/history", nil, nil, nil)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.template, func(t *testing.T) {
			t.Parallel()
			var got CallInfo
			_, s := setup(t)
			s.handle("/", status(200, `{}`))
			c := s.client(t, WithSellerKey(testKey), WithBaseURL("https://tiki.test"+apiPath), WithHTTPClient(s.everyHost()),
				WithRetry(1, 0, 0), recordStart(&got))
			_ = tc.call(context.Background(), c) // the answer does not matter
			require.NotZero(t, s.count(), "the call was sent")
			sent, _, _ := strings.Cut(s.last().URI, "?")
			assert.Equal(t, CallInfo{Method: got.Method, Template: tc.template, Host: "tiki.test"}, got)
			fitsPath(t, tc.template, strings.TrimPrefix(sent, apiPath))
			for _, value := range []string{"929231617", "2147483647", "SHIRT", "track-", "trace-", "8322", "queue-", "history"} {
				assert.NotContains(t, got.Template, value)
			}
		})
	}

	t.Run("TikiNOW", func(t *testing.T) {
		t.Parallel()
		var got CallInfo
		_, s := setup(t)
		s.handleRoot("POST "+tikiNowPath+"/register-webhooks", status(200, `{"success":true}`))
		c := s.client(t, WithAccessToken("bearer-token-1"), WithTikiNowURL("https://tikinow.test"+tikiNowPath), WithHTTPClient(s.everyHost()),
			recordStart(&got))
		_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
		require.NoError(t, err)
		assert.Equal(t, "tikinow.test", s.last().Host)
		assert.Equal(t, CallInfo{Method: "POST", Template: "/register-webhooks", Host: "tikinow.test"}, got)
	})
}

// recordStart is a hook that keeps the CallInfo of the last call in got.
func recordStart(got *CallInfo) Option {
	return WithHooks(Hooks{CallStart: func(ctx context.Context, call CallInfo) context.Context {
		*got = call
		return nil
	}})
}

// fitsPath asserts that the escaped path fits the template: the same
// number of segments, the same literal ones, any value where the template
// has a {name}; "{path}" stands for the rest of the path.
func fitsPath(t *testing.T, template, path string) {
	t.Helper()
	tseg, pseg := strings.Split(template, "/"), strings.Split(path, "/")
	for i, s := range tseg {
		if s == "{path}" && i == len(tseg)-1 {
			require.Greater(t, len(pseg), i, "%s does not fit %s", path, template)
			return
		}
		require.Less(t, i, len(pseg), "%s does not fit %s", path, template)
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			require.NotEmpty(t, pseg[i], "%s does not fit %s", path, template)
			continue
		}
		require.Equal(t, s, pseg[i], "%s does not fit %s", path, template)
	}
	require.Len(t, pseg, len(tseg), "%s does not fit %s", path, template)
}

// Hooks given twice both run, in the order given, each CallStart getting
// the context the one before returned.
func TestHooksAddUp(t *testing.T) {
	t.Parallel()
	var order []string
	first := Hooks{
		CallStart: func(ctx context.Context, call CallInfo) context.Context {
			order = append(order, "first start")
			return context.WithValue(ctx, ctxKey{}, "first")
		},
		CallDone: func(ctx context.Context, call CallInfo, done CallDoneInfo) {
			order = append(order, fmt.Sprintf("first done %v", ctx.Value(ctxKey{})))
		},
	}
	second := Hooks{
		CallStart: func(ctx context.Context, call CallInfo) context.Context {
			order = append(order, fmt.Sprintf("second start %v", ctx.Value(ctxKey{})))
			return nil
		},
		Attempt: func(ctx context.Context, call CallInfo, a AttemptInfo) {
			order = append(order, fmt.Sprintf("second attempt %d", a.Status))
		},
	}
	c, s := setup(t, WithHooks(first), WithHooks(second))
	s.handle("GET /v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, []string{"first start", "second start first", "second attempt 200", "first done first"}, order)
}

// A hook that panics does not fail the call, nor keep the other hooks
// from running: the panic is logged, with the client's secrets masked.
func TestHookPanicIsLoggedAndTheCallGoesOn(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	done := 0
	c, s := setup(t, WithLogger(logger), WithHooks(Hooks{
		CallStart: func(ctx context.Context, call CallInfo) context.Context { panic("no span for " + testKey) },
		Attempt:   func(ctx context.Context, call CallInfo, a AttemptInfo) { panic(errors.New("attempt hook")) },
	}), WithHooks(Hooks{CallDone: func(ctx context.Context, call CallInfo, d CallDoneInfo) { done++ }}))
	s.handle("GET /v2/things", ok200)
	out, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ok": true}, out)
	assert.Equal(t, 1, done)
	mu.Lock()
	text := logs.String()
	mu.Unlock()
	assert.Contains(t, text, `msg="tiki: a hook panicked; the call goes on" hook=CallStart panic="no span for `)
	assert.Contains(t, text, `hook=Attempt panic="attempt hook"`)
	assert.NotContains(t, text, testKey)
}
