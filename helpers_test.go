package tiki

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
