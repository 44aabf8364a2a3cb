package ginee_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ginee"
)

// fixture returns the content of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fixturePayload returns the "payload" member of testdata/name.
func fixturePayload(t testing.TB, name string) json.RawMessage {
	t.Helper()
	var env struct {
		Payload json.RawMessage `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, name), &env))
	return env.Payload
}

// utc is the Time a Ginee timestamp decodes to.
func utc(raw string) ginee.Time {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		panic(err)
	}
	return ginee.Time{Time: t, Raw: raw}
}

// parseAs parses testdata/name and asserts the type of the event.
func parseAs[E ginee.Event](t *testing.T, name string) E {
	t.Helper()
	ev, err := ginee.Parse(fixture(t, name))
	require.NoError(t, err)
	e, ok := ev.(E)
	require.Truef(t, ok, "Parse returned %T", ev)
	return e
}

// post sends body to h at path, with optional headers as name, value pairs.
func post(h http.Handler, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// recorder registers every handler and records the events they get.
type recorder struct {
	mu     sync.Mutex
	events []ginee.Event
}

func (rec *recorder) add(ev ginee.Event) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, ev)
	return nil
}

func (rec *recorder) got() []ginee.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]ginee.Event(nil), rec.events...)
}

func (rec *recorder) registerAll(rc *ginee.Receiver) {
	rc.OnOrder(func(_ context.Context, ev *ginee.OrderEvent) error { return rec.add(ev) })
	rc.OnDeliveryOrder(func(_ context.Context, ev *ginee.DeliveryOrderEvent) error { return rec.add(ev) })
	rc.OnUnknown(func(_ context.Context, ev *ginee.UnknownEvent) error { return rec.add(ev) })
}

// spawn runs fn in a goroutine tracked by wg, like sync.WaitGroup.Go, which
// needs Go 1.25.
func spawn(wg *sync.WaitGroup, fn func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		fn()
	}()
}
