package webhook_test

import (
	"bufio"
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
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

// testEndpoint is an Endpoint that authorizes by an "X-Key: k" header,
// verifies that the body does not start with "forged", decodes the body
// "fail" as a failing handler, "bad" as malformed, "ignore" as no handler,
// and anything else as a handler that counts its runs.
type testEndpoint struct {
	webhook.Endpoint
	runs atomic.Int32

	mu     sync.Mutex
	errs   []error
	ctxVal any
}

type ctxKey struct{}

func newTestEndpoint() *testEndpoint {
	e := &testEndpoint{}
	e.Endpoint = webhook.Endpoint{
		Authorize: func(r *http.Request) error {
			if !webhook.SecretEqual(r.Header.Get("X-Key"), "k") {
				return errors.New("bad key")
			}
			return nil
		},
		Verify: func(_ *http.Request, body []byte) error {
			if strings.HasPrefix(string(body), "forged") {
				return errors.New("bad signature")
			}
			return nil
		},
		Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
			switch string(body) {
			case "bad":
				return webhook.Delivery{}, errors.New("not JSON")
			case "ignore":
				return webhook.Delivery{Key: "test:" + webhook.BodyKey(body)}, nil
			case "fail":
				return webhook.Delivery{Key: "test:fail", Handle: func(context.Context) error {
					e.runs.Add(1)
					return errors.New("boom")
				}}, nil
			}
			return webhook.Delivery{Key: "test:" + webhook.BodyKey(body), Handle: func(ctx context.Context) error {
				e.runs.Add(1)
				e.mu.Lock()
				e.ctxVal = ctx.Value(ctxKey{})
				e.mu.Unlock()
				return nil
			}}, nil
		},
		MaxBodyBytes: 16,
		Dedupe:       dedupe.Runner{Store: new(dedupe.MemoryStore)},
		OnError: func(_ *http.Request, err error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.errs = append(e.errs, err)
		},
	}
	return e
}

func (e *testEndpoint) post(body string, mutate ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("X-Key", "k")
	for _, m := range mutate {
		m(r)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func (e *testEndpoint) lastErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) == 0 {
		return nil
	}
	return e.errs[len(e.errs)-1]
}

func TestEndpointHandles(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()

	w := e.post("hello", func(r *http.Request) {
		*r = *r.WithContext(context.WithValue(r.Context(), ctxKey{}, "from request"))
	})
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"success": true}`, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, int32(1), e.runs.Load())
	assert.Equal(t, "from request", e.ctxVal, "the handler gets the request's context")
	assert.NoError(t, e.lastErr())
}

func TestEndpointRejects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		body     string
		mutate   func(*http.Request)
		status   int
		sentinel error
	}{
		{"GET", "hello", func(r *http.Request) { r.Method = http.MethodGet }, http.StatusMethodNotAllowed, webhook.ErrMethodNotAllowed},
		{"PUT", "hello", func(r *http.Request) { r.Method = http.MethodPut }, http.StatusMethodNotAllowed, webhook.ErrMethodNotAllowed},
		{"missing key", "hello", func(r *http.Request) { r.Header.Del("X-Key") }, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"wrong key", "hello", func(r *http.Request) { r.Header.Set("X-Key", "K") }, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"forged body", "forged", nil, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"too large", strings.Repeat("x", 17), nil, http.StatusRequestEntityTooLarge, webhook.ErrBodyTooLarge},
		{"malformed", "bad", nil, http.StatusBadRequest, webhook.ErrMalformedPayload},
		{"handler error", "fail", nil, http.StatusInternalServerError, dedupe.ErrHandlerFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEndpoint()
			var mutate []func(*http.Request)
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			w := e.post(tt.body, mutate...)
			assert.Equal(t, tt.status, w.Code)
			assert.JSONEq(t, `{"success": false, "error": "`+http.StatusText(tt.status)+`"}`, w.Body.String())
			assert.ErrorIs(t, e.lastErr(), tt.sentinel)
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			if tt.sentinel != dedupe.ErrHandlerFailed {
				assert.Zero(t, e.runs.Load(), "no handler runs for a rejected request")
			}
		})
	}
}

func TestEndpointNoHandlerAcknowledges(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := new(dedupe.MemoryStore)
	e.Dedupe.Store = store

	w := e.post("ignore")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 0, store.Len(), "nothing is claimed for a delivery without handler")
}

func TestEndpointDuplicatesAndRedelivery(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()

	assert.Equal(t, http.StatusOK, e.post("hello").Code)
	assert.Equal(t, http.StatusOK, e.post("hello").Code, "a duplicate is acknowledged")
	assert.Equal(t, int32(1), e.runs.Load())

	assert.Equal(t, http.StatusInternalServerError, e.post("fail").Code)
	assert.Equal(t, http.StatusInternalServerError, e.post("fail").Code, "a failed delivery is not marked as seen")
	assert.Equal(t, int32(3), e.runs.Load())
}

func TestEndpointEmptyKeyDisablesDedupe(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	e := &webhook.Endpoint{
		Decode: func(*http.Request, []byte) (webhook.Delivery, error) {
			return webhook.Delivery{Handle: func(context.Context) error { runs.Add(1); return nil }}, nil
		},
		Dedupe: dedupe.Runner{Store: new(dedupe.MemoryStore)},
	}
	for range 2 {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
		assert.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int32(2), runs.Load())
}

func TestEndpointCustomReplyAndMissingDecode(t *testing.T) {
	t.Parallel()
	e := &webhook.Endpoint{
		Reply: func(w http.ResponseWriter, status int) {
			_ = webhook.WriteJSON(w, status, map[string]bool{"status": status == http.StatusOK})
		},
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "an Endpoint without Decode fails closed")
	assert.JSONEq(t, `{"status": false}`, w.Body.String())
}

func TestEndpointStoreFailures(t *testing.T) {
	t.Parallel()
	storeDown := errors.New("store down")

	e := newTestEndpoint()
	e.Dedupe.Store = &webhooktest.StubStore{ClaimErr: storeDown}
	w := e.post("hello")
	assert.Equal(t, http.StatusInternalServerError, w.Code, "no claim, no run: the sender retries later")
	assert.Zero(t, e.runs.Load())
	assert.ErrorIs(t, e.lastErr(), storeDown)

	e = newTestEndpoint()
	e.Dedupe.Store = &webhooktest.StubStore{State: dedupe.Claimed, CompleteErr: storeDown}
	w = e.post("hello")
	assert.Equal(t, http.StatusOK, w.Code, "the handler succeeded: acknowledge even if the key was not recorded")
	assert.Equal(t, int32(1), e.runs.Load())
	require.ErrorIs(t, e.lastErr(), dedupe.ErrStore)
}

// A MemoryStore full of running claims turns a new delivery away with 503,
// without running its handler, and reports it; once a run finished, the
// sender's next attempt is handled.
func TestEndpointFullStoreAnswers503(t *testing.T) {
	t.Parallel()
	running, finish := make(chan struct{}), make(chan struct{})
	e := newTestEndpoint()
	store, err := dedupe.NewMemoryStore(dedupe.WithMaxKeys(1))
	require.NoError(t, err)
	e.Dedupe.Store = store
	decode := e.Decode
	e.Decode = func(r *http.Request, body []byte) (webhook.Delivery, error) {
		d, err := decode(r, body)
		if string(body) == "slow" {
			handle := d.Handle
			d.Handle = func(ctx context.Context) error {
				close(running)
				<-finish
				return handle(ctx)
			}
		}
		return d, err
	}
	first := make(chan int, 1)
	go func() { first <- e.post("slow").Code }()
	<-running

	w := e.post("hello")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "retry later, not a failure")
	assert.JSONEq(t, `{"success": false, "error": "Service Unavailable"}`, w.Body.String())
	assert.ErrorIs(t, e.lastErr(), dedupe.ErrFull)
	assert.ErrorIs(t, e.lastErr(), dedupe.ErrStore)
	assert.Zero(t, e.runs.Load(), "nothing ran")

	close(finish)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, e.post("hello").Code, "the next attempt is handled")
	assert.Equal(t, int32(2), e.runs.Load())
}

// TestEndpointCopiesWhileRunningAreNotAcknowledged sends 100 copies of a
// delivery at once while its first run is still going: no copy is answered
// 2xx before a run succeeded. With a failing handler no copy at all is
// answered 2xx, and the next redelivery runs the handler; with a succeeding
// one, the copies that came during the run get 503 and later ones 200.
func TestEndpointCopiesWhileRunningAreNotAcknowledged(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{true, false} {
		t.Run(fmt.Sprint("handler fails: ", fail), func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			running, finish := make(chan struct{}), make(chan struct{})
			var errs webhooktest.Errors
			e := &webhook.Endpoint{
				Decode: func(*http.Request, []byte) (webhook.Delivery, error) {
					return webhook.Delivery{Key: "test:same", Handle: func(context.Context) error {
						if runs.Add(1) == 1 {
							close(running)
							<-finish // hold the claim until every copy has been answered
						}
						if fail {
							return errors.New("database unavailable")
						}
						return nil
					}}, nil
				},
				Dedupe:  dedupe.Runner{Store: new(dedupe.MemoryStore)},
				OnError: func(_ *http.Request, err error) { _ = errs.Add(err) },
			}
			post := func() *httptest.ResponseRecorder {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
				return w
			}

			first := make(chan *httptest.ResponseRecorder, 1)
			go func() { first <- post() }()
			<-running
			const copies = 100
			var wg sync.WaitGroup
			codes := make([]int, copies)
			for i := range copies {
				webhooktest.Spawn(&wg, func() { codes[i] = post().Code })
			}
			wg.Wait()
			close(finish)
			firstCode := (<-first).Code

			for i, code := range codes {
				assert.Equal(t, http.StatusServiceUnavailable, code, "copy %d, answered while the first run went on", i)
			}
			assert.Equal(t, int32(1), runs.Load())
			inProgress := 0
			for _, err := range errs.Got() {
				if errors.Is(err, dedupe.ErrInProgress) {
					inProgress++
				}
			}
			assert.Equal(t, copies, inProgress, "each copy turned away is reported")

			if fail {
				assert.Equal(t, http.StatusInternalServerError, firstCode)
				// The redelivery runs the handler again (and succeeds on
				// this second run).
				fail = false
				assert.Equal(t, http.StatusOK, post().Code)
				assert.Equal(t, int32(2), runs.Load())
				return
			}
			assert.Equal(t, http.StatusOK, firstCode)
			assert.Equal(t, http.StatusOK, post().Code, "a copy after the successful run is a duplicate")
			assert.Equal(t, int32(1), runs.Load())
		})
	}
}

func TestEndpointNoHandlerIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	var errs webhooktest.Errors
	e := &webhook.Endpoint{
		Decode: func(*http.Request, []byte) (webhook.Delivery, error) {
			return webhook.Delivery{}, fmt.Errorf("%w: stock", webhook.ErrNoHandler)
		},
		OnError: func(_ *http.Request, err error) { _ = errs.Add(err) },
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusNotImplemented, w.Code, "a 5xx: the sender delivers it again")
	assert.JSONEq(t, `{"success": false, "error": "Not Implemented"}`, w.Body.String())
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	assert.NotErrorIs(t, errs.Last(), webhook.ErrMalformedPayload)
}

func TestIgnore(t *testing.T) {
	t.Parallel()
	var handler func(context.Context, *http.Request) error = webhook.Ignore
	assert.NoError(t, handler(context.Background(), nil))
}

func TestEndpointBrokenBody(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	r := httptest.NewRequest(http.MethodPost, "/hook", io.NopCloser(failingReader{}))
	r.Header.Set("X-Key", "k")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.ErrorIs(t, e.lastErr(), webhook.ErrMalformedPayload)
	assert.Zero(t, e.runs.Load())
}

// slowPost sends, on a raw connection to addr, the headers of a POST whose
// body of 1000 bytes then comes one byte every interval, and returns the
// status line of the reply and how long it took to come. It gives up after
// 5 s, long before the body would be complete (50 s).
func slowPost(addr string, interval time.Duration) (string, time.Duration, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /hook HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		return "", 0, err
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("{")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(start.Add(5 * time.Second))
	status, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(status), time.Since(start), err
}

// TestEndpointBodyTimeout sends bodies one byte every 20 ms to a receiver
// served by net/http, as a client holding connections open would: each is
// answered 408 once the body timeout passes, without running the handler,
// and no goroutine is left behind.
func TestEndpointBodyTimeout(t *testing.T) {
	var runs atomic.Int32
	var errs webhooktest.Errors
	e := &webhook.Endpoint{
		Decode: func(*http.Request, []byte) (webhook.Delivery, error) {
			return webhook.Delivery{Handle: func(context.Context) error { runs.Add(1); return nil }}, nil
		},
		OnError: func(_ *http.Request, err error) { _ = errs.Add(err) },
	}
	const timeout = 200 * time.Millisecond
	require.NoError(t, e.Configure(nil, webhook.WithBodyTimeout(timeout)))
	srv := httptest.NewServer(e)
	defer srv.Close()
	baseline := goleak.IgnoreCurrent()
	addr := srv.Listener.Addr().String()

	const clients = 50
	var wg sync.WaitGroup
	statuses := make([]string, clients)
	took := make([]time.Duration, clients)
	for i := range clients {
		webhooktest.Spawn(&wg, func() {
			var err error
			statuses[i], took[i], err = slowPost(addr, 20*time.Millisecond)
			assert.NoError(t, err, "client %d got no reply", i)
		})
	}
	wg.Wait()
	slowest := time.Duration(0)
	for i := range clients {
		assert.Equal(t, "HTTP/1.1 408 Request Timeout", statuses[i], "client %d", i)
		slowest = max(slowest, took[i])
	}
	t.Logf("%d clients sending 1 byte per 20 ms, body timeout %v: slowest answered after %v", clients, timeout, slowest)
	assert.Zero(t, runs.Load())
	assert.ErrorIs(t, errs.Last(), webhook.ErrBodyTimeout)
	goleak.VerifyNone(t, baseline)

	// A body that arrives in time is handled, and the deadline does not
	// reach the handler, which may run longer than the body timeout.
	e2 := &webhook.Endpoint{
		Decode: func(r *http.Request, _ []byte) (webhook.Delivery, error) {
			return webhook.Delivery{Handle: func(ctx context.Context) error {
				select {
				case <-time.After(120 * time.Millisecond):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}}, nil
		},
		BodyTimeout: 30 * time.Millisecond,
	}
	srv2 := httptest.NewServer(e2)
	defer srv2.Close()
	for range 2 { // twice on one connection: the next request is not affected either
		resp, err := srv2.Client().Post(srv2.URL, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

// TestEndpointBodyTimeoutWithoutDeadlineSupport reads the body of a
// ResponseWriter that cannot set deadlines, such as a recorder, as before.
func TestEndpointBodyTimeoutWithoutDeadlineSupport(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	e.BodyTimeout = time.Nanosecond
	assert.Equal(t, http.StatusOK, e.post("hello").Code)
}

// Without OnError, every error the Endpoint meets, and what a receiver
// passes to Report, is logged through slog.Default(): at Error level when
// the answer is 5xx, at Warn otherwise, without the request's path (a
// receiver may take a secret in it). Not parallel: it replaces the default
// logger.
func TestEndpointWithoutOnErrorLogsThroughTheDefaultLogger(t *testing.T) {
	logs := webhooktest.DefaultLog(t)

	e := newTestEndpoint()
	e.OnError = nil
	decode := e.Decode
	e.Decode = func(r *http.Request, body []byte) (webhook.Delivery, error) {
		if string(body) == "odd" {
			e.Report(r, errors.New("odd, but handled"))
		}
		return decode(r, body)
	}
	post := func(body string) int {
		r := httptest.NewRequest(http.MethodPost, "/hook/path-secret", strings.NewReader(body))
		r.Header.Set("X-Key", "k")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, http.StatusInternalServerError, post("fail"))
	assert.Equal(t, http.StatusBadRequest, post("bad"))
	assert.Equal(t, http.StatusOK, post("odd"))
	got := logs.String()
	assert.Contains(t, got, `level=ERROR msg="webhook: receiver error" method=POST error="dedupe: handler failed: boom" status=500`)
	assert.Contains(t, got, `level=WARN msg="webhook: receiver error" method=POST error="webhook: malformed payload: not JSON" status=400`)
	assert.Contains(t, got, `level=WARN msg="webhook: receiver error" method=POST error="odd, but handled"`+"\n")
	assert.NotContains(t, got, "path-secret")
}
