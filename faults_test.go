package tiki

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaultMatrix drives GET, PUT and POST through every failure Tiki or the
// network can produce and checks the outcome (success after a retry, or the
// right typed error), how many requests the server received (a POST that may
// have been applied is never sent twice) and the total time waited.
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
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}
	retryAfterDate := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
		status(429, `{"errors":["Too Many Requests"]}`)(w, r)
	}

	type want struct {
		ok       bool
		err      any // pointer to the expected error type
		requests int32
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
		{"500", status(500, `{"errors":["boom"]}`), retried, retried, notResent(new(*APIError))},
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
		{"429 without Retry-After", status(429, `{}`), retried, retried, retried},
		{"connection reset", hangUp, retried, retried, notResent(new(*RequestError))},
		{"timeout after send", slow, retried, retried, notResent(new(*RequestError))},
		{"truncated body", truncated, retried, retried, notResent(new(*RequestError))},
		{"HTML with 200", withHeader("Content-Type", "text/html", status(200, `<html>maintenance</html>`)),
			once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
		{"empty body with 200", status(200, ``), once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
		{"invalid JSON with 200", status(200, `{"data": [}`), once(new(*DecodeError)), once(new(*DecodeError)), once(new(*DecodeError))},
		{"400", status(400, `{"errors":["bad"]}`), once(new(*APIError)), once(new(*APIError)), once(new(*APIError))},
		{"422", status(422, `{"errors":["invalid body"]}`), once(new(*APIError)), once(new(*APIError)), once(new(*APIError))},
	}
	for _, tc := range cases {
		for method, w := range map[string]want{http.MethodGet: tc.get, http.MethodPut: tc.put, http.MethodPost: tc.post} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tc.fault, ok200)
				c, waits := setupServer(t, s, WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
				out, _, err := callThing(c, method)
				if w.ok {
					require.NoError(t, err)
					assert.Equal(t, true, out["ok"])
				} else {
					require.Error(t, err)
					assert.ErrorAs(t, err, w.err)
				}
				assert.Equal(t, w.requests, s.count.Load(), "requests received")
				var total time.Duration
				for _, d := range waits.all() {
					total += d
				}
				assert.GreaterOrEqual(t, total, w.minWait, "total wait")
				assert.LessOrEqual(t, total, w.maxWait, "total wait")
			})
		}
	}
}

// TestFaultMatrixUnauthorizedOAuth: a 401 on an OAuth2 token renews it and
// repeats the call once, for every method.
func TestFaultMatrixUnauthorizedOAuth(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			s := newOAuthServer(t)
			s.valid = func(tok string) bool { return tok != "tok-1" }
			c := s.client(t, clientCredentials(AuthStyleBasic))
			resp, err := c.do(context.Background(), &request{method: method, group: GroupCatalog, path: "x", body: map[string]string{"a": strconv.Itoa(1)}}, nil)
			require.NoError(t, err)
			assert.Equal(t, 2, resp.Attempts)
			assert.EqualValues(t, 2, s.apiCalls.Load())
			assert.Equal(t, []string{"tok-1", "tok-2"}, s.apiTokens, fmt.Sprint(method))
		})
	}
}
