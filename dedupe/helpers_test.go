package dedupe_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/dedupe"
)

// newMemoryStore returns a MemoryStore built with opts, which must be
// valid.
func newMemoryStore(t testing.TB, opts ...dedupe.MemoryOption) *dedupe.MemoryStore {
	t.Helper()
	m, err := dedupe.NewMemoryStore(opts...)
	require.NoError(t, err)
	return m
}
