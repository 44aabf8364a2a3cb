package tiki_test

import (
	"testing"

	"github.com/tikisdk/tiki"
)

// The tests of package tiki_test cannot see the helpers of package tiki
// (helpers_test.go); the few they share are forwarded here.

// requireEvidence skips the test unless the evidence run (make evidence)
// asked for it.
func requireEvidence(t *testing.T) {
	t.Helper()
	tiki.RequireEvidence(t)
}
