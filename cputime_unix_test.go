//go:build unix

package tiki

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used so far.
// Benchmarks report it per operation next to wall time: on a shared
// machine it moves far less with other processes' load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
