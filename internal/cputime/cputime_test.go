package cputime

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The CPU time grows with work the process does.
func TestProcessGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the CPU time is not measured on this system")
	}
	before := Process()
	x := 0
	for i := range 20_000_000 {
		x += i % 7
	}
	assert.NotZero(t, x)
	assert.Greater(t, Process(), before)
}
