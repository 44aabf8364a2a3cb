//go:build !unix

package reconcile_test

import "time"

// cpuTime is not measured on this system: the evidence reports 0.
func cpuTime() time.Duration { return 0 }
