package ikitech_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ikitech"
)

const testToken = "ikitech-test-token"

// ict is Vietnam time, in which IKITECH writes times without a zone.
var ict = time.FixedZone("ICT", 7*60*60)

// vnTime is the Time a zone-less IKITECH time decodes to.
func vnTime(raw string, y int, mo time.Month, d, h, mi, s int) ikitech.Time {
	return ikitech.Time{Time: time.Date(y, mo, d, h, mi, s, 0, ict), Raw: raw}
}

// fixture returns the content of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fixtureData returns the "data" member of testdata/name.
func fixtureData(t testing.TB, name string) json.RawMessage {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, name), &env))
	return env.Data
}

// parseAs parses testdata/name and asserts the type of the event.
func parseAs[E ikitech.Event](t *testing.T, name string) E {
	t.Helper()
	ev, err := ikitech.Parse(fixture(t, name))
	require.NoError(t, err)
	e, ok := ev.(E)
	require.Truef(t, ok, "Parse returned %T", ev)
	return e
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
