package webhooktest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/webhook"
)

// Receiver describes a webhook receiver to [Run] and [CheckDelivery].
type Receiver struct {
	// New returns a receiver built with opts and no handler registered.
	New func(opts ...webhook.Option) (http.Handler, error)

	// Zero returns the zero value of the receiver's type.
	Zero func() http.Handler

	// HandleAll registers fn as the handler of every kind of delivery rc
	// has a registration method for, its handler of unknown deliveries
	// included; nil removes them.
	HandleAll func(rc http.Handler, fn func(context.Context) error)

	// Request returns a request delivering body with method, authenticated
	// as the sender would (token, signature) for a receiver built by New.
	Request func(method string, body []byte) *http.Request

	// OnUnknown registers fn as the receiver's handler of deliveries it
	// does not recognise, alone; nil removes it.
	OnUnknown func(rc http.Handler, fn func(context.Context) error)

	// Body is a valid delivery and Key the dedupe key it is claimed under.
	Body []byte
	Key  string

	// Unrecognised are valid deliveries of kinds the receiver does not
	// recognise: only OnUnknown takes them.
	Unrecognised []string

	// Malformed are bodies, besides a few the sender never sends, that the
	// receiver must answer with 400.
	Malformed []string

	// Reply returns the reply body expected with status.
	Reply func(status int) string
}

// HandleAll returns a [Receiver.HandleAll] for receivers of type R made
// from registerAll, which registers its argument as the handler of every
// event (Ev being the interface of the receiver's events), nil removing
// them.
func HandleAll[R, Ev any](registerAll func(R, func(context.Context, Ev) error)) func(http.Handler, func(context.Context) error) {
	return func(h http.Handler, fn func(context.Context) error) {
		rc, ok := h.(R)
		if !ok {
			return // registers nothing: the tests that need a handler fail
		}
		var all func(context.Context, Ev) error
		if fn != nil {
			all = func(ctx context.Context, _ Ev) error { return fn(ctx) }
		}
		registerAll(rc, all)
	}
}

// Serve sends the request Request(method, body) to h and returns the
// response.
func (rc Receiver) Serve(h http.Handler, method string, body []byte) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, rc.Request(method, body))
	return w
}

// build returns a receiver built with opts whose every handler counts its
// runs and returns what fail returns (nil when fail is nil).
func (rc Receiver) build(t *testing.T, runs *atomic.Int32, fail func() error, opts ...webhook.Option) http.Handler {
	t.Helper()
	h, err := rc.New(opts...)
	require.NoError(t, err)
	rc.HandleAll(h, func(context.Context) error {
		runs.Add(1)
		if fail != nil {
			return fail()
		}
		return nil
	})
	return h
}

// Run runs the tests every receiver must pass: the options of package
// webhook are applied, and the request pipeline behaves as documented.
func Run(t *testing.T, rc Receiver) {
	t.Run("Options", func(t *testing.T) { t.Parallel(); testOptions(t, rc) })
	t.Run("InvalidOptions", func(t *testing.T) { t.Parallel(); testInvalidOptions(t, rc) })
	t.Run("HandlerErrorIsRetried", func(t *testing.T) { t.Parallel(); testHandlerError(t, rc) })
	t.Run("MethodNotAllowed", func(t *testing.T) { t.Parallel(); testMethodNotAllowed(t, rc) })
	t.Run("Malformed", func(t *testing.T) { t.Parallel(); testMalformed(t, rc) })
	t.Run("RequestContext", func(t *testing.T) { t.Parallel(); testRequestContext(t, rc) })
	t.Run("ConcurrentDuplicates", func(t *testing.T) { t.Parallel(); testConcurrentDuplicates(t, rc) })
	t.Run("NoHandler", func(t *testing.T) { t.Parallel(); testNoHandler(t, rc) })
	t.Run("UnrecognisedWithoutOnUnknown", func(t *testing.T) { t.Parallel(); testUnrecognised(t, rc) })
	t.Run("SlowBody", func(t *testing.T) { t.Parallel(); testSlowBody(t, rc) })
	t.Run("RegistrationWhileServing", func(t *testing.T) { t.Parallel(); testRegistrationWhileServing(t, rc) })
	t.Run("ZeroValueFailsClosed", func(t *testing.T) { t.Parallel(); testZeroValue(t, rc) })
}

// testOptions checks that each option of package webhook reaches the
// receiver's Endpoint, and the defaults without them.
func testOptions(t *testing.T, rc Receiver) {
	t.Run("defaults", func(t *testing.T) {
		var runs atomic.Int32
		h := rc.build(t, &runs, nil)
		for range 2 {
			w := rc.Serve(h, http.MethodPost, rc.Body)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, rc.Reply(http.StatusOK), w.Body.String())
		}
		assert.Equal(t, int32(1), runs.Load(), "deduplicated in memory by default")

		w := rc.Serve(h, http.MethodPost, Pad(rc.Body, 1<<20+1))
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "1 MiB is the default limit")
		assert.JSONEq(t, rc.Reply(http.StatusRequestEntityTooLarge), w.Body.String())
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, Pad(rc.Body, 1<<20)).Code, "1 MiB is accepted")
	})
	t.Run("WithMaxBodyBytes and WithOnError", func(t *testing.T) {
		var runs atomic.Int32
		var errs Errors
		limit := len(rc.Body) + 10
		h := rc.build(t, &runs, nil, webhook.WithMaxBodyBytes(int64(limit)), webhook.WithDedupe(nil), errs.Option())
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, Pad(rc.Body, limit)).Code)
		assert.Equal(t, http.StatusRequestEntityTooLarge, rc.Serve(h, http.MethodPost, Pad(rc.Body, limit+1)).Code)
		assert.Equal(t, int32(1), runs.Load())
		assert.ErrorIs(t, errs.Last(), webhook.ErrBodyTooLarge)
	})
	t.Run("WithDedupe and WithDedupeTTL", func(t *testing.T) {
		var runs atomic.Int32
		store := NewRecordingStore()
		h := rc.build(t, &runs, nil, webhook.WithDedupe(store), webhook.WithDedupeTTL(time.Minute, 2*time.Hour))
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code)
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code)
		assert.Equal(t, int32(1), runs.Load())
		assert.Equal(t, []string{"claim " + rc.Key + " 1m0s", "complete " + rc.Key + " 2h0m0s", "claim " + rc.Key + " 1m0s"}, store.Calls())
	})
	t.Run("WithDedupe(nil)", func(t *testing.T) {
		var runs atomic.Int32
		h := rc.build(t, &runs, nil, webhook.WithDedupe(nil))
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code)
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code)
		assert.Equal(t, int32(2), runs.Load(), "deduplication disabled")
	})
}

// testInvalidOptions checks that each invalid option of package webhook
// makes the constructor return no receiver and a *tiki.ValidationError, and
// that several invalid options are all listed in one.
func testInvalidOptions(t *testing.T, rc Receiver) {
	invalid := []webhook.Option{
		nil, // a nil option is a problem, as in NewClient and NewConsumer
		webhook.WithMaxBodyBytes(0),
		webhook.WithMaxBodyBytes(-1),
		webhook.WithDedupeTTL(0, time.Hour),
		webhook.WithDedupeTTL(time.Minute, -time.Hour),
		webhook.WithBodyTimeout(0),
		webhook.WithBodyTimeout(-time.Second),
	}
	for i, opt := range invalid {
		h, err := rc.New(opt)
		var ve *tiki.ValidationError
		require.ErrorAs(t, err, &ve, "option %d", i)
		assert.Len(t, ve.Problems, 1, "option %d", i)
		assert.Nil(t, h, "option %d", i)
	}
	h, err := rc.New(invalid...)
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, len(invalid), "every invalid option is listed: %v", err)
	assert.Nil(t, h)

	h, err = rc.New(webhook.WithOnError(nil))
	require.NoError(t, err, "a nil error function is allowed")
	assert.Equal(t, http.StatusMethodNotAllowed, rc.Serve(h, http.MethodGet, rc.Body).Code)
}

// testHandlerError checks that a failed delivery answers 500 without
// leaking the error, is reported, and is handled when delivered again.
func testHandlerError(t *testing.T, rc Receiver) {
	var runs atomic.Int32
	var errs Errors
	dbDown := errors.New("pq: password authentication failed for user app")
	h := rc.build(t, &runs, func() error {
		if runs.Load() == 1 {
			return dbDown
		}
		return nil
	}, errs.Option())

	w := rc.Serve(h, http.MethodPost, rc.Body)
	assert.Equal(t, http.StatusInternalServerError, w.Code, "a failed handler makes the sender retry")
	assert.JSONEq(t, rc.Reply(http.StatusInternalServerError), w.Body.String())
	assert.NotContains(t, w.Body.String(), "password", "handler errors stay on the server")
	reported := errs.Got()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], dedupe.ErrHandlerFailed)
	assert.ErrorIs(t, reported[0], dbDown)

	w = rc.Serve(h, http.MethodPost, rc.Body)
	assert.Equal(t, http.StatusOK, w.Code, "the redelivery is handled")
	assert.JSONEq(t, rc.Reply(http.StatusOK), w.Body.String())
	assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code, "and then remembered")
	assert.Equal(t, int32(2), runs.Load())
}

func testMethodNotAllowed(t *testing.T, rc Receiver) {
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		var runs atomic.Int32
		var errs Errors
		h := rc.build(t, &runs, nil, errs.Option())
		w := rc.Serve(h, method, rc.Body)
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, method)
		assert.Equal(t, http.MethodPost, w.Header().Get("Allow"), method)
		assert.JSONEq(t, rc.Reply(http.StatusMethodNotAllowed), w.Body.String(), method)
		assert.ErrorIs(t, errs.Last(), webhook.ErrMethodNotAllowed, method)
		assert.Zero(t, runs.Load(), method)
	}
}

func testMalformed(t *testing.T, rc Receiver) {
	for _, body := range append([]string{``, `not JSON`, `{"truncated": `, `[]`}, rc.Malformed...) {
		var runs atomic.Int32
		var errs Errors
		h := rc.build(t, &runs, nil, errs.Option())
		w := rc.Serve(h, http.MethodPost, []byte(body))
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assert.JSONEq(t, rc.Reply(http.StatusBadRequest), w.Body.String(), body)
		assert.ErrorIs(t, errs.Last(), webhook.ErrMalformedPayload, body)
		assert.Zero(t, runs.Load(), body)
	}
}

func testRequestContext(t *testing.T, rc Receiver) {
	type ctxKey struct{}
	h, err := rc.New()
	require.NoError(t, err)
	var got atomic.Value
	rc.HandleAll(h, func(ctx context.Context) error {
		got.Store(ctx.Value(ctxKey{}))
		return nil
	})
	r := rc.Request(http.MethodPost, rc.Body)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request-scoped"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "request-scoped", got.Load())
}

// testConcurrentDuplicates checks that copies of a delivery arriving while
// its handler runs are not acknowledged (503, so that the sender delivers
// them again) and do not run it: that run may still fail. Once it
// succeeded, a copy is a duplicate (200); when it failed, not one copy was
// acknowledged, and the next runs the handler.
func testConcurrentDuplicates(t *testing.T, rc Receiver) {
	for _, fail := range []bool{false, true} {
		var runs atomic.Int32
		running, finish := make(chan struct{}), make(chan struct{})
		var errs Errors
		h := rc.build(t, &runs, func() error {
			if runs.Load() > 1 {
				return nil
			}
			close(running)
			<-finish // hold the claim until every copy has been answered
			if fail {
				return errors.New("database unavailable")
			}
			return nil
		}, errs.Option())

		first := make(chan *httptest.ResponseRecorder, 1)
		go func() { first <- rc.Serve(h, http.MethodPost, rc.Body) }()
		<-running
		const copies = 32
		var wg sync.WaitGroup
		replies := make([]*httptest.ResponseRecorder, copies)
		for i := range copies {
			Spawn(&wg, func() { replies[i] = rc.Serve(h, http.MethodPost, rc.Body) })
		}
		wg.Wait()
		close(finish)
		for i, w := range replies {
			assert.Equal(t, http.StatusServiceUnavailable, w.Code, "copy %d, while the first run goes on (it fails: %v)", i, fail)
			assert.JSONEq(t, rc.Reply(http.StatusServiceUnavailable), w.Body.String())
		}
		w := <-first
		inProgress := 0
		for _, err := range errs.Got() {
			if errors.Is(err, dedupe.ErrInProgress) {
				inProgress++
			}
		}
		assert.Equal(t, copies, inProgress, "every copy turned away is reported")
		assert.Equal(t, int32(1), runs.Load())
		if fail {
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code, "the redelivery runs the handler")
			assert.Equal(t, int32(2), runs.Load())
			continue
		}
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code, "a copy after the run succeeded is a duplicate")
		assert.Equal(t, int32(1), runs.Load())
	}
}

// testNoHandler checks that a documented delivery for which no handler is
// registered is not acknowledged: it is answered 501, so that the sender
// delivers it again, and reported; a handler registered since handles the
// redelivery.
func testNoHandler(t *testing.T, rc Receiver) {
	var errs Errors
	h, err := rc.New(errs.Option())
	require.NoError(t, err)
	w := rc.Serve(h, http.MethodPost, rc.Body)
	assert.Equal(t, http.StatusNotImplemented, w.Code)
	assert.JSONEq(t, rc.Reply(http.StatusNotImplemented), w.Body.String())
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)

	var runs atomic.Int32
	rc.HandleAll(h, func(context.Context) error { runs.Add(1); return nil })
	assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, rc.Body).Code)
	assert.Equal(t, int32(1), runs.Load())
}

// testUnrecognised checks that a delivery the receiver does not recognise,
// with every other handler registered but not OnUnknown, is not
// acknowledged: it is answered 501, so that the sender delivers it again,
// and reported. Only OnUnknown, with a handler that returns nil (as
// webhook.Ignore does), acknowledges it.
func testUnrecognised(t *testing.T, rc Receiver) {
	require.NotEmpty(t, rc.Unrecognised)
	var errs Errors
	var runs atomic.Int32
	h := rc.build(t, &runs, nil, errs.Option())
	rc.OnUnknown(h, nil)
	for i, body := range rc.Unrecognised {
		w := rc.Serve(h, http.MethodPost, []byte(body))
		assert.Equal(t, http.StatusNotImplemented, w.Code, body)
		assert.JSONEq(t, rc.Reply(http.StatusNotImplemented), w.Body.String())
		assert.Len(t, errs.Got(), i+1, body)
		assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler, body)
	}
	assert.Zero(t, runs.Load())

	rc.OnUnknown(h, func(context.Context) error { runs.Add(1); return nil })
	for _, body := range rc.Unrecognised {
		assert.Equal(t, http.StatusOK, rc.Serve(h, http.MethodPost, []byte(body)).Code, body)
	}
	assert.Equal(t, int32(len(rc.Unrecognised)), runs.Load(), "each ran OnUnknown")
	assert.Len(t, errs.Got(), len(rc.Unrecognised), "nothing more to report")
}

// testSlowBody sends a valid, authenticated delivery, on a raw connection
// to the receiver served by net/http, whose body then comes one byte every
// 20 ms, with a body timeout of 100 ms: it is answered 408 without running
// the handler, long before the body would be complete.
func testSlowBody(t *testing.T, rc Receiver) {
	var runs atomic.Int32
	var errs Errors
	h := rc.build(t, &runs, nil, webhook.WithBodyTimeout(100*time.Millisecond), errs.Option())
	srv := httptest.NewServer(h)
	defer srv.Close()

	model := rc.Request(http.MethodPost, rc.Body)
	body := Pad(rc.Body, len(rc.Body)+500) // 10 s at one byte per 20 ms
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: receiver\r\n", model.URL.RequestURI())
	require.NoError(t, model.Header.Write(&head))
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(body))
	_, err = conn.Write(head.Bytes())
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for _, b := range body {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}()

	require.NoError(t, conn.SetReadDeadline(start.Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no reply")
	reply, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.JSONEq(t, rc.Reply(http.StatusRequestTimeout), string(reply))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Zero(t, runs.Load())
	assert.ErrorIs(t, errs.Last(), webhook.ErrBodyTimeout)
}

func testRegistrationWhileServing(t *testing.T, rc Receiver) {
	h, err := rc.New(webhook.WithDedupe(nil))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		Spawn(&wg, func() { rc.Serve(h, http.MethodPost, rc.Body) })
		Spawn(&wg, func() { rc.HandleAll(h, func(context.Context) error { return nil }) })
		Spawn(&wg, func() { rc.HandleAll(h, nil) })
	}
	wg.Wait()
}

func testZeroValue(t *testing.T, rc Receiver) {
	h := rc.Zero()
	var runs atomic.Int32
	rc.HandleAll(h, func(context.Context) error { runs.Add(1); return nil })
	w := rc.Serve(h, http.MethodPost, rc.Body)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Zero(t, runs.Load())
}

// CheckDelivery sends an arbitrary body, as a fuzz target does, to a
// receiver with every handler registered: it must answer 200 after running
// exactly one handler, or 400 or 413 without running any, with the reply
// body of that status.
func CheckDelivery(t *testing.T, rc Receiver, body []byte) {
	var runs atomic.Int32
	h := rc.build(t, &runs, nil, webhook.WithMaxBodyBytes(1<<16))
	w := rc.Serve(h, http.MethodPost, body)
	switch w.Code {
	case http.StatusOK:
		if n := runs.Load(); n != 1 {
			t.Fatalf("200 after %d handler runs", n)
		}
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		if n := runs.Load(); n != 0 {
			t.Fatalf("%d after %d handler runs", w.Code, n)
		}
	default:
		t.Fatalf("unexpected status %d", w.Code)
	}
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("reply of type %q", w.Header().Get("Content-Type"))
	}
	assert.JSONEq(t, rc.Reply(w.Code), w.Body.String())
}
