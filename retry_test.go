package tiki

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tikisdk/tiki/internal/backoff"
)

// The retry policy on its own: what each outcome of an attempt means for
// each method.
func TestRetryPolicyDecides(t *testing.T) {
	t.Parallel()
	p := retryPolicy{maxAttempts: 4, maxRetryAfter: time.Minute, backoff: backoff.Policy{Min: time.Second, Max: time.Second}}
	hdr := func(k, v string) http.Header { h := http.Header{}; h.Set(k, v); return h }
	transport := errors.New("connection reset")
	type outcome struct {
		res attemptResult
		st  callState
	}
	cases := map[string]struct {
		outcome
		// want per method: GET, PUT, DELETE, POST
		want [4]action
		wait time.Duration // when not zero, the wait of a repeat
	}{
		"2xx":                            {outcome{attemptResult{status: 200}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"404":                            {outcome{attemptResult{status: 404}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"never connected":                {outcome{attemptResult{err: transport}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, waitAndRepeat}, 0},
		"failed after sending":           {outcome{attemptResult{err: transport, sent: true}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, finishCall}, 0},
		"caller gave up":                 {outcome{attemptResult{err: transport, sent: true}, callState{ctxErr: context.Canceled}}, [4]action{callerGaveUp, callerGaveUp, callerGaveUp, callerGaveUp}, 0},
		"503":                            {outcome{attemptResult{status: 503, sent: true}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, finishCall}, 0},
		"501 is an answer":               {outcome{attemptResult{status: 501, sent: true}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"503 Retry-After 2s":             {outcome{attemptResult{status: 503, sent: true, header: hdr("Retry-After", "2")}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, finishCall}, 2 * time.Second},
		"503 Retry-After above cap":      {outcome{attemptResult{status: 503, sent: true, header: hdr("Retry-After", "3600")}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"429":                            {outcome{attemptResult{status: 429, sent: true}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, waitAndRepeat}, 0},
		"429 Retry-After 3s":             {outcome{attemptResult{status: 429, sent: true, header: hdr("Retry-After", "3")}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, waitAndRepeat}, 3 * time.Second},
		"429 Retry-After above cap":      {outcome{attemptResult{status: 429, sent: true, header: hdr("Retry-After", "3600")}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"429, budget spent":              {outcome{attemptResult{status: 429, sent: true}, callState{retries: 3}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"401":                            {outcome{attemptResult{status: 401, sent: true}, callState{}}, [4]action{renewAndRepeat, renewAndRepeat, renewAndRepeat, renewAndRepeat}, 0},
		"401 after renewal":              {outcome{attemptResult{status: 401, sent: true}, callState{renewed: true}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
		"TikiNOW 200 saying 429":         {outcome{attemptResult{status: 200, sent: true, failure: &bodyFailure{status: 429}}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, waitAndRepeat}, 0},
		"TikiNOW 200 saying 500":         {outcome{attemptResult{status: 200, sent: true, failure: &bodyFailure{status: 500}}, callState{}}, [4]action{waitAndRepeat, waitAndRepeat, waitAndRepeat, finishCall}, 0},
		"TikiNOW 200 saying 401":         {outcome{attemptResult{status: 200, sent: true, failure: &bodyFailure{status: 401}}, callState{}}, [4]action{renewAndRepeat, renewAndRepeat, renewAndRepeat, renewAndRepeat}, 0},
		"TikiNOW 200 failure, no status": {outcome{attemptResult{status: 200, sent: true, failure: &bodyFailure{}}, callState{}}, [4]action{finishCall, finishCall, finishCall, finishCall}, 0},
	}
	for name, tc := range cases {
		for i, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPost} {
			tc.st.now = time.Now()
			v := p.decide(&request{method: method}, tc.res, tc.st)
			assert.Equal(t, tc.want[i], v.act, "%s, %s", name, method)
			if v.act == waitAndRepeat && tc.wait != 0 {
				assert.Equal(t, tc.wait, v.wait, "%s, %s", name, method)
			}
			if v.act == waitAndRepeat && tc.wait == 0 {
				assert.True(t, v.wait >= time.Second/2 && v.wait <= time.Second, "%s, %s: the backoff's wait, got %v", name, method, v.wait)
			}
		}
	}
}

// A POST its endpoint marks repeatable (an event queue pull) is repeated
// like a GET; any other POST is not.
func TestRetryPolicyRepeatablePost(t *testing.T) {
	t.Parallel()
	p := retryPolicy{maxAttempts: 4, maxRetryAfter: time.Minute, backoff: backoff.Policy{Min: time.Millisecond, Max: time.Millisecond}}
	pull := &request{method: http.MethodPost, repeatable: true}
	plain := &request{method: http.MethodPost}
	for _, res := range []attemptResult{{status: 503, sent: true}, {status: 502, sent: true}, {err: errors.New("reset"), sent: true}} {
		assert.Equal(t, waitAndRepeat, p.decide(pull, res, callState{now: time.Now()}).act, "%+v", res)
		assert.Equal(t, finishCall, p.decide(plain, res, callState{now: time.Now()}).act, "%+v", res)
	}
	assert.Equal(t, finishCall, p.decide(pull, attemptResult{status: 400, sent: true}, callState{now: time.Now()}).act)
}

// A host that does not exist is not asked again; a resolver that timed out
// is.
func TestRetryPolicyUnknownHost(t *testing.T) {
	t.Parallel()
	p := retryPolicy{maxAttempts: 4, maxRetryAfter: time.Minute, backoff: backoff.Policy{Min: time.Millisecond, Max: time.Millisecond}}
	noSuchHost := &url.Error{Op: "Get", URL: "https://api.tiki.test", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.tiki.test", IsNotFound: true}}}
	timedOut := &url.Error{Op: "Get", URL: "https://api.tiki.test", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "api.tiki.test", IsTimeout: true}}}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := &request{method: method}
		assert.Equal(t, finishCall, p.decide(r, attemptResult{err: noSuchHost}, callState{now: time.Now()}).act, method)
		assert.Equal(t, waitAndRepeat, p.decide(r, attemptResult{err: timedOut}, callState{now: time.Now()}).act, method)
	}
}

// One attempt only: nothing is repeated except the renewal after a 401.
func TestRetryPolicySingleAttempt(t *testing.T) {
	t.Parallel()
	p := retryPolicy{maxAttempts: 1, maxRetryAfter: time.Minute}
	r := &request{method: http.MethodGet}
	assert.Equal(t, finishCall, p.decide(r, attemptResult{status: 503}, callState{}).act)
	assert.Equal(t, finishCall, p.decide(r, attemptResult{err: errors.New("x")}, callState{}).act)
	assert.Equal(t, renewAndRepeat, p.decide(r, attemptResult{status: 401}, callState{}).act)
}

func TestBackoffNeverOverflows(t *testing.T) {
	t.Parallel()
	p := backoff.Policy{Min: time.Second, Max: math.MaxInt64}
	for _, n := range []int{1, 30, 40, 64, 100, math.MaxInt32} {
		d := p.Wait(n)
		assert.Greater(t, d, time.Duration(0), n)
	}
	assert.Equal(t, time.Duration(0), backoff.Policy{}.Wait(5))
	assert.LessOrEqual(t, backoff.Policy{Min: time.Second, Max: 0}.Wait(5), time.Second)
}
