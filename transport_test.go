package tiki

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/backoff"
)

var methods = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPost}

func TestRetryMatrix5xx(t *testing.T) {
	t.Parallel()
	for _, code := range []int{500, 502, 503, 504} {
		for _, method := range methods {
			t.Run(fmt.Sprintf("%s/%d", method, code), func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.handle("/v2/things", status(code, `{"errors":["temporarily unavailable"]}`), ok200)
				out, resp, err := callThing(c, method)
				if method == http.MethodPost {
					// The server may have applied the POST: never resent.
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, code, apiErr.StatusCode)
					assert.Equal(t, []string{"temporarily unavailable"}, apiErr.Messages)
					assert.Equal(t, 1, apiErr.Attempts)
					assert.EqualValues(t, 1, s.count())
					assert.Empty(t, s.waits())
					return
				}
				require.NoError(t, err)
				assert.Equal(t, true, out["ok"])
				assert.Equal(t, 2, resp.Attempts)
				assert.EqualValues(t, 2, s.count())
				require.Len(t, s.waits(), 1)
				assert.GreaterOrEqual(t, s.waits()[0], 5*time.Millisecond)
				assert.LessOrEqual(t, s.waits()[0], 10*time.Millisecond)
			})
		}
	}
}

func TestRetryBodyReplayed(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", status(503, ``), status(502, ``), ok200)
	_, resp, err := callThing(c, http.MethodPut)
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)
	got := s.requests()
	require.Len(t, got, 3)
	for _, g := range got {
		requireJSONEqual(t, `{"sku":"A-1","price":1000}`, g.Body)
		assert.Equal(t, testKey, g.Header.Get("tiki-api"))
		assert.Equal(t, "application/json", g.Header.Get("Content-Type"))
	}
}

func TestRetryGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", status(503, `<html><body>Service Unavailable</body></html>`))
	_, _, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, 4, apiErr.Attempts)
	assert.Empty(t, apiErr.Messages)
	assert.Contains(t, apiErr.Error(), `<html><body>Service Unavailable</body></html>`)
	assert.Contains(t, apiErr.Error(), "after 4 attempts")
	assert.EqualValues(t, 4, s.count())
	// Exponential: 10 ms, 20 ms, 40 ms, each with up to half of jitter.
	got := s.waits()
	require.Len(t, got, 3)
	for i, d := range got {
		top := 10 * time.Millisecond << i
		assert.GreaterOrEqual(t, d, top/2, i)
		assert.LessOrEqual(t, d, top, i)
	}
}

func TestBackoffCapped(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithRetry(8, 10*time.Millisecond, 25*time.Millisecond))
	s.handle("/v2/things", status(500, ``))
	_, _, err := callThing(c, http.MethodGet)
	require.Error(t, err)
	got := s.waits()
	require.Len(t, got, 7)
	for _, d := range got {
		assert.LessOrEqual(t, d, 25*time.Millisecond)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 403, 404, 405, 406, 422} {
		for _, method := range methods {
			t.Run(fmt.Sprintf("%s/%d", method, code), func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.handle("/v2/things", status(code, `{"errors":["bad","worse"]}`))
				out, _, err := callThing(c, method)
				assert.Nil(t, out)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, "a 4xx must be a Go error")
				assert.Equal(t, code, apiErr.StatusCode)
				assert.Equal(t, []string{"bad", "worse"}, apiErr.Messages)
				assert.Equal(t, method, apiErr.Method)
				assert.Equal(t, s.URL+apiPath+"/v2/things", apiErr.URL)
				assert.Equal(t, 1, apiErr.Attempts)
				assert.EqualValues(t, 1, s.count())
				assert.Equal(t, code == 404, errors.Is(err, ErrNotFound))
				assert.Equal(t, code == 403, errors.Is(err, ErrForbidden))
			})
		}
	}
}

func TestRetry429EveryMethod(t *testing.T) {
	t.Parallel()
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			// A 429 means Tiki did not process the request: even a POST is
			// retried.
			c, s := setup(t)
			s.handle("/v2/things", status(429, `{"errors":["Too Many Requests"]}`), ok200)
			_, resp, err := callThing(c, method)
			require.NoError(t, err)
			assert.Equal(t, 2, resp.Attempts)
			assert.EqualValues(t, 2, s.count())
			require.Len(t, s.waits(), 1)
			assert.LessOrEqual(t, s.waits()[0], 10*time.Millisecond, "no Retry-After: backoff")
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", "3", status(429, `{}`)), ok200)
	_, _, err := callThing(c, http.MethodPost)
	require.NoError(t, err)
	// Exactly what Tiki asked for: not clamped to a 2 s maximum.
	assert.Equal(t, []time.Duration{3 * time.Second}, s.waits())
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	date := time.Now().Add(4 * time.Second).UTC().Format(http.TimeFormat)
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", date, status(429, `{}`)), ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	got := s.waits()
	require.Len(t, got, 1)
	// HTTP dates have one-second resolution.
	assert.Greater(t, got[0], 2*time.Second)
	assert.LessOrEqual(t, got[0], 4*time.Second)
}

func TestRetryAfterOnServiceUnavailable(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", "2", status(503, `{}`)), ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, s.waits())
}

func TestRetryAfterAboveCapFailsFast(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", "120", status(429, `{"errors":["Too Many Requests"]}`)))
	_, _, err := callThing(c, http.MethodGet)
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 120*time.Second, rl.RetryAfter)
	assert.Equal(t, 429, rl.StatusCode)
	assert.Equal(t, 1, rl.Attempts)
	assert.ErrorIs(t, err, ErrRateLimited)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, err.Error(), "retry after 2m0s")
	assert.EqualValues(t, 1, s.count())
	assert.Empty(t, s.waits(), "no wait: fail at once")
}

func TestServiceUnavailableWithLongRetryAfter(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", "3600", status(503, `{"errors":["maintenance"]}`)))
	_, _, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.EqualValues(t, 1, s.count(), "an hour's wait is not shortened into retries")
	assert.Empty(t, s.waits())
}

func TestRateLimitedAfterRetries(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("Retry-After", "1", status(429, `{"errors":["Too Many Requests"]}`)))
	_, _, err := callThing(c, http.MethodPost)
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 4, rl.Attempts)
	assert.Equal(t, time.Second, rl.RetryAfter)
	assert.Equal(t, []string{"Too Many Requests"}, rl.Messages)
	assert.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, s.waits())
	assert.EqualValues(t, 4, s.count())
}

func TestConnectionResetRetriedOnlyWhenIdempotent(t *testing.T) {
	t.Parallel()
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("/v2/things", hangUp, ok200)
			_, resp, err := callThing(c, method)
			requireSentFailureRetriedUnlessPost(t, method, s, resp, err, "a POST that reached the server is never resent")
		})
	}
}

// requireSentFailureRetriedUnlessPost asserts the outcome of a call whose
// first attempt reached the server and then failed without an answer: a
// POST is a *RequestError with Sent set, sent once (why says why) and never
// waited for; any other method succeeds on its second attempt after one
// backoff wait.
func requireSentFailureRetriedUnlessPost(t *testing.T, method string, s *server, resp *Response, err error, why string) {
	t.Helper()
	if method == http.MethodPost {
		var reqErr *RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.True(t, reqErr.Sent)
		assert.Equal(t, 1, reqErr.Attempts)
		assert.EqualValues(t, 1, s.count(), why)
		assert.Empty(t, s.waits(), "no wait: nothing is retried")
		return
	}
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.EqualValues(t, 2, s.count())
	require.Len(t, s.waits(), 1)
	assert.LessOrEqual(t, s.waits()[0], 10*time.Millisecond, "one backoff wait")
}

// An attempt that reached Tiki and then timed out (the client stopped
// waiting) is retried for idempotent methods, never for a POST. The
// timeout is simulated once the server has the request, without timers.
func TestTimeoutAfterSend(t *testing.T) {
	t.Parallel()
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			received := make(chan struct{})
			slow := func(w http.ResponseWriter, r *http.Request) {
				close(received)
				<-r.Context().Done()
			}
			c, s := setup(t, WithHTTPClient(&http.Client{Transport: newTimeoutFirstTransport(t, received)}))
			s.handle("/v2/things", slow, ok200)
			_, resp, err := callThing(c, method)
			requireSentFailureRetriedUnlessPost(t, method, s, resp, err, "a POST that timed out is sent exactly once")
		})
	}
}

func TestConnectionRefusedRetriesPost(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	c, s := setup(t, WithBaseURL("http://"+addr+"/integration"), WithRetry(3, time.Millisecond, time.Millisecond))
	_, _, err = callThing(c, http.MethodPost)
	var reqErr *RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.False(t, reqErr.Sent)
	assert.Equal(t, 3, reqErr.Attempts, "a POST that never connected is safe to retry")
	assert.Len(t, s.waits(), 2)
	assert.Contains(t, err.Error(), "after 3 attempts")
}

func TestCancelledContextStopsRetries(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithRetry(10, time.Hour, time.Hour))
	s.handle("GET /v2/x", status(503, ``))
	ctx, cancel := context.WithCancel(context.Background())
	// The client sleeps for real: its first backoff wait of an hour ends
	// when the context does, which happens once the wait has begun.
	c.sleep = func(ctx context.Context, d time.Duration) error {
		go cancel()
		return backoff.Sleep(ctx, d)
	}
	start := time.Now()
	_, err := c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second, "the backoff wait must end with the context")
	assert.EqualValues(t, 1, s.count())
}

func TestCancelledContextNotRetried(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/x", ok200)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 0, s.count())
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		contentType, body string
	}{
		"html":      {"text/html", "<html><body>Bad Gateway</body></html>"},
		"empty":     {"application/json", ""},
		"truncated": {"application/json", `{"data": [{"id": 1,`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("GET /v2/categories", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				io.WriteString(w, tc.body)
			})
			_, _, err := c.Catalog.ListCategories(context.Background(), nil)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, 200, de.StatusCode)
			assert.Equal(t, tc.contentType, de.ContentType)
			assert.Equal(t, tc.body, de.Snippet)
			assert.Equal(t, http.MethodGet, de.Method)
			assert.Error(t, de.Err)
			assert.EqualValues(t, 1, s.count())
		})
	}
}

// callTikiNow is callThing against the TikiNOW business API's "things"
// path.
func callTikiNow(c *Client, method string) (map[string]any, *Response, error) {
	var out map[string]any
	resp, err := c.do(context.Background(), &request{method: method, base: c.tikiNowURL, path: "things", body: map[string]any{"sku": "A-1"}}, &out)
	return out, resp, err
}

func TestSuccessFalseIsAnError(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handleRoot("POST "+tikiNowPath+"/things", status(200, string(fixture(t, "tikinow_register_webhooks_response_error.json"))))
	_, _, err := callTikiNow(c, http.MethodPost)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
	assert.Equal(t, []string{"Unauthorized"}, apiErr.Messages)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", apiErr.RequestID)
}

// TikiNOW's {"success": false, "error": {"status_code": 429}} inside a 200 is
// TikiNOW's convention only: on the integration API a 200 is a 200, and a
// write is sent once. On TikiNOW the inner 429 is a refusal and is retried.
func TestSuccessFalseConventionOnlyOnTikiNow(t *testing.T) {
	t.Parallel()
	const body = `{"success":false,"error":{"status_code":429,"message":"Too Many Requests"}}`
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("/v2/things", status(200, body))
			out, resp, err := callThing(c, method)
			require.NoError(t, err, "the integration API's 200 is not reinterpreted")
			assert.Equal(t, false, out["success"])
			assert.Equal(t, 1, resp.Attempts)
			assert.EqualValues(t, 1, s.count(), "sent exactly once")
			assert.Empty(t, s.waits())

			s.handleRoot(tikiNowPath+"/things", status(200, body), status(200, `{"success":true}`))
			_, resp, err = callTikiNow(c, method)
			require.NoError(t, err)
			assert.Equal(t, 2, resp.Attempts, "TikiNOW's inner 429 is a refusal: retried")
		})
	}
}

func TestTikiNowErrorShape(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("X-Request-Id", "hdr-id", status(401, string(fixture(t, "tikinow_register_webhooks_response_error.json")))))
	_, _, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", apiErr.RequestID, "the body's request id wins over a header")
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Contains(t, apiErr.Error(), "(code INVALID_TOKEN)")
}

func TestTikiNowFailureInsideSuccessStatus(t *testing.T) {
	t.Parallel()
	// 200 with success:false and status_code 401: renewed and repeated like
	// a real 401.
	_, s := setup(t)
	o := s.oauth()
	script := []http.HandlerFunc{
		status(200, `{"success":false,"error":{"status_code":401,"message":"Unauthorized","message_code":"INVALID_TOKEN"},"meta_data":{"request_id":"r1"}}`),
		status(200, `{"success":true,"meta_data":{"request_id":"r2"}}`),
	}
	s.handleRoot("POST "+tikiNowPath+"/x", script...)
	c := s.client(t, clientCredentials(AuthStyleBasic))
	res, resp, err := call[RegisterWebhooksResult](context.Background(), c, &request{method: http.MethodPost, base: c.tikiNowURL, path: "x", body: map[string]int{}})
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, 2, o.issued())

	// Without a renewable token it is an *APIError with the inner status.
	c2 := s.client(t, WithAccessToken("static-token"))
	s.handleRoot("POST "+tikiNowPath+"/x", script...)
	_, _, err = call[RegisterWebhooksResult](context.Background(), c2, &request{method: http.MethodPost, base: c2.tikiNowURL, path: "x", body: map[string]int{}})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
}

func TestRequestIDOnSuccess(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/things", withHeader("X-Request-Id", "abc-123", ok200))
	_, resp, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, "abc-123", resp.RequestID)
	assert.Equal(t, "abc-123", resp.Header.Get("X-Request-Id"))
	assert.Equal(t, 200, resp.StatusCode)
}

func TestErrorBodyBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 3<<20)
	c, s := setup(t)
	s.handle("/v2/things", status(400, big))
	_, _, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, maxErrorBody)
	assert.Less(t, len(apiErr.Error()), 1000, "the message holds a snippet, not the body")
}

// cutAfterSending is a RoundTripper of its own (it reports no connection
// through httptrace): it counts each request as received, then fails as a
// connection cut after sending would.
type cutAfterSending struct{ n atomic.Int32 }

func (c *cutAfterSending) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, io.ErrUnexpectedEOF
}

// With a transport that does not report its connections, a failure is
// taken as after sending unless it proves no connection was made: a POST
// is sent once, a GET is retried.
func TestCustomTransportFailureCountsAsSent(t *testing.T) {
	t.Parallel()
	for method, want := range map[string]int32{http.MethodPost: 1, http.MethodGet: 3} {
		tr := &cutAfterSending{}
		c, _ := setup(t, WithRetry(3, time.Millisecond, time.Millisecond), WithHTTPClient(&http.Client{Transport: tr}))
		_, err := c.Call(context.Background(), method, "v2/orders/1/confirm-available", nil, nil, nil)
		var reqErr *RequestError
		require.ErrorAs(t, err, &reqErr, method)
		assert.True(t, reqErr.Sent, method)
		assert.Equal(t, want, tr.n.Load(), method)
	}
	assert.True(t, neverConnected(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	assert.True(t, neverConnected(&url.Error{Op: "Post", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}))
	assert.False(t, neverConnected(io.ErrUnexpectedEOF))
	assert.False(t, neverConnected(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}))
}

// A transport failure names the method and URL once.
func TestRequestErrorNamesTheURLOnce(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithRetry(1, time.Millisecond, time.Millisecond), WithHTTPClient(&http.Client{Transport: &cutAfterSending{}}))
	_, err := c.Call(context.Background(), http.MethodGet, "v2/orders/1", nil, nil, nil)
	var reqErr *RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, "tiki: GET "+s.URL+apiPath+"/v2/orders/1: unexpected EOF", err.Error())
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// A 404 from a custom base URL without /integration carries a hint.
func TestNotFoundHintsAtTheBaseURL(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	s.handleRoot("/", status(404, `<html>not found</html>`))
	for path, hinted := range map[string]bool{"": true, "/integration": false} {
		base := s.URL + path
		c := s.client(t, WithSellerKey(testKey), WithBaseURL(base))
		_, _, err := c.Sellers.Get(context.Background())
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, base)
		assert.Equal(t, hinted, apiErr.Hint != "", base)
		if hinted {
			assert.Contains(t, err.Error(), "does not end in /integration")
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	elsewhere := s.handleRoot("/steal", ok200)
	s.handle("/v2/things", withHeader("Location", s.URL+"/steal", status(http.StatusFound, ``)))
	_, resp, err := callThing(c, http.MethodGet)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.Equal(t, http.StatusFound, resp.StatusCode, "the response is returned with the error")
	assert.Zero(t, elsewhere.count(), "the seller key must never follow a redirect")
}

// TestFaultMatrix drives GET, PUT and POST through the failures Tiki or the
// network can produce that no test above covers for every method, and checks
// the outcome (success after a retry, or the right typed error), how many
// requests the server received (a POST that may have been applied is never
// sent twice) and the total time waited. A 5xx with a JSON body, a 429
// without Retry-After, a 4xx, a connection reset and a timeout after send
// are covered, with more assertions, by TestRetryMatrix5xx,
// TestRetry429EveryMethod, TestNoRetryOn4xx,
// TestConnectionResetRetriedOnlyWhenIdempotent and TestTimeoutAfterSend.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	truncated := func(w http.ResponseWriter, r *http.Request) {
		// Promise more than is sent, then hang up: the body is cut off.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, `{"data": [{"id": 1,`)
		w.(http.Flusher).Flush()
		hangUp(w, r)
	}
	retryAfterDate := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
		status(429, `{"errors":["Too Many Requests"]}`)(w, r)
	}

	type want struct {
		ok       bool
		err      any // pointer to the expected error type
		requests int
		minWait  time.Duration
		maxWait  time.Duration
	}
	retried := want{ok: true, requests: 2, maxWait: 10 * time.Millisecond}
	notResent := func(err any) want { return want{err: err, requests: 1} }
	once := func(err any) want { return want{err: err, requests: 1} }

	cases := []struct {
		name  string
		fault http.HandlerFunc
		get   want
		put   want
		post  want
	}{
		{"502", status(502, `<html>Bad Gateway</html>`), retried, retried, notResent(new(*APIError))},
		{"503", status(503, ``), retried, retried, notResent(new(*APIError))},
		{"504", status(504, ``), retried, retried, notResent(new(*APIError))},
		{"429 Retry-After seconds", withHeader("Retry-After", "1", status(429, `{}`)),
			want{ok: true, requests: 2, minWait: time.Second, maxWait: time.Second},
			want{ok: true, requests: 2, minWait: time.Second, maxWait: time.Second},
			want{ok: true, requests: 2, minWait: time.Second, maxWait: time.Second}},
		{"429 Retry-After date", retryAfterDate,
			want{ok: true, requests: 2, minWait: 500 * time.Millisecond, maxWait: 2 * time.Second},
			want{ok: true, requests: 2, minWait: 500 * time.Millisecond, maxWait: 2 * time.Second},
			want{ok: true, requests: 2, minWait: 500 * time.Millisecond, maxWait: 2 * time.Second}},
		{"truncated body", truncated, retried, retried, notResent(new(*RequestError))},
		{"HTML with 200", withHeader("Content-Type", "text/html", status(200, `<html>maintenance</html>`)),
			once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
		{"empty body with 200", status(200, ``), once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
		{"invalid JSON with 200", status(200, `{"data": [}`), once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
	}
	for _, tc := range cases {
		for method, w := range map[string]want{http.MethodGet: tc.get, http.MethodPut: tc.put, http.MethodPost: tc.post} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.handle("/v2/things", tc.fault, ok200)
				out, _, err := callThing(c, method)
				if w.ok {
					require.NoError(t, err)
					assert.Equal(t, true, out["ok"])
				} else {
					require.Error(t, err)
					assert.ErrorAs(t, err, w.err)
				}
				assert.Equal(t, w.requests, s.count(), "requests received")
				var total time.Duration
				for _, d := range s.waits() {
					total += d
				}
				assert.GreaterOrEqual(t, total, w.minWait, "total wait")
				assert.LessOrEqual(t, total, w.maxWait, "total wait")
			})
		}
	}
}

// A call whose first attempt was answered (503) and whose next attempt
// never starts (its context ends in the backoff wait, or in the limiter's)
// reports Sent: the answered attempt reached Tiki, so a write may have
// been applied, whatever the last step was.
func TestSentCoversEarlierAttempts(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"backoff", "limiter"} {
		for _, method := range []string{http.MethodGet, http.MethodPut} {
			lim := &secondWaitFails{}
			c, s := setup(t, WithLimiter(lim))
			s.handle("/v2/things", status(503, `{"errors":["busy"]}`))
			c.sleep = func(context.Context, time.Duration) error {
				if where == "backoff" {
					return context.Canceled
				}
				return nil
			}
			_, _, err := callThing(c, method)
			var re *RequestError
			require.ErrorAs(t, err, &re, "%s %s", where, method)
			assert.Equal(t, 1, re.Attempts, "%s %s", where, method)
			assert.True(t, re.Sent, "%s %s: the 503 attempt reached Tiki", where, method)
			assert.ErrorIs(t, err, context.Canceled, "%s %s", where, method)
			assert.EqualValues(t, 1, s.count(), "%s %s", where, method)
		}
	}
}

// secondWaitFails lets the first request through and refuses every later
// one, as a limiter whose context ended.
type secondWaitFails struct{ n atomic.Int32 }

func (l *secondWaitFails) Wait(context.Context) error {
	if l.n.Add(1) > 1 {
		return context.Canceled
	}
	return nil
}
