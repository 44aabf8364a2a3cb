package tiki

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testBase is mounted under a non-root path so that absolute-path mistakes
// show up in tests.
const testBase = "https://tiki.test/prefix/integration"

const testKey = "seller-key-0123456789"

// setup returns a client talking to a fresh httpmock transport (never the
// global one, so tests run in parallel) with the seller key, no rate limit
// and short retry waits.
func setup(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithBaseURL(testBase),
		WithHTTPClient(&http.Client{Transport: mt}),
		WithSellerKey(testKey),
		WithRateLimit(0, 0),
		WithRetry(4, time.Millisecond, 5*time.Millisecond),
	}
	c, err := NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// wire records what one request put on the wire.
type wire struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   string
}

// respond registers a responder for method and the path below testBase that
// records the request in *got and answers status with body.
func respond(mt *httpmock.MockTransport, method, path string, status int, body []byte, got *wire) {
	mt.RegisterResponder(method, testBase+path, func(r *http.Request) (*http.Response, error) {
		if got != nil {
			*got = wire{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
			if r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				got.Body = string(b)
			}
		}
		resp := httpmock.NewBytesResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
}

// requireWire asserts the method, path, query and the SDK's standard headers.
func requireWire(t *testing.T, got wire, method, path string, query map[string][]string) {
	t.Helper()
	require.Equal(t, method, got.Method)
	require.Equal(t, "/prefix/integration"+path, got.Path)
	if query == nil {
		query = map[string][]string{}
	}
	require.Equal(t, query, got.Query)
	require.Equal(t, testKey, got.Header.Get("tiki-api"))
	require.Equal(t, "application/json", got.Header.Get("Accept"))
	require.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "tiki-go/"), got.Header.Get("User-Agent"))
}

// requireJSONEqual compares a request body with the expected JSON text.
func requireJSONEqual(t *testing.T, want string, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	require.Equal(t, w, g)
}

// requireRefused asserts that err is a *ValidationError with exactly the
// want problems and that nothing was sent.
func requireRefused(t *testing.T, err error, mt *httpmock.MockTransport, want []FieldProblem) {
	t.Helper()
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	assert.Equal(t, 0, mt.GetTotalCallCount(), "nothing may be sent for an invalid request")
}

// timeoutFirst is an http.RoundTripper that lets the first request reach
// the server and then abandons it, as a client timeout would, as soon as
// received is closed (the server has seen it): the attempt fails with Sent
// set, without any timer. Later requests go through base unchanged.
type timeoutFirst struct {
	base     http.RoundTripper
	received <-chan struct{}
	n        atomic.Int32
}

func (f *timeoutFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) != 1 {
		return f.base.RoundTrip(r)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-f.received:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, err := f.base.RoundTrip(r.WithContext(ctx))
	if err == nil {
		// The answer raced the abandonment: drop it, as a timed-out
		// client does.
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	return nil, fmt.Errorf("attempt abandoned (client timeout): %w", err)
}

// newTimeoutFirstTransport returns a timeoutFirst over a fresh transport
// (closed when the test ends).
func newTimeoutFirstTransport(t *testing.T, received <-chan struct{}) *timeoutFirst {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &timeoutFirst{base: tr, received: received}
}

// closeHook is a response body that calls onClose when it is closed (after
// the client has read it).
type closeHook struct {
	io.ReadCloser
	onClose func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.onClose()
	return err
}

// waitUntil polls cond every millisecond until it holds or ctx ends, and
// reports whether it held.
func waitUntil(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// reachableStrings collects every string and byte slice reachable from v,
// unexported fields included.
func reachableStrings(v reflect.Value, seen map[uintptr]bool, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*out = append(*out, string(v.Bytes()))
			return
		}
		for i := range v.Len() {
			reachableStrings(v.Index(i), seen, out)
		}
	case reflect.Array:
		for i := range v.Len() {
			reachableStrings(v.Index(i), seen, out)
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		reachableStrings(v.Elem(), seen, out)
	case reflect.Interface:
		if !v.IsNil() {
			reachableStrings(v.Elem(), seen, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			reachableStrings(v.Field(i), seen, out)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			reachableStrings(it.Key(), seen, out)
			reachableStrings(it.Value(), seen, out)
		}
	}
}

// errorTexts is everything a caller can read from err: its text, its %+v
// and %#v forms, and every string reachable from it.
func errorTexts(err error) []string {
	out := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%v", err)}
	reachableStrings(reflect.ValueOf(&err).Elem(), map[uintptr]bool{}, &out)
	return out
}
