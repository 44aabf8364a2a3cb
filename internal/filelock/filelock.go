// Package filelock takes exclusive locks on open files that other processes
// of the machine respect: flock(2) on Unix, LockFileEx on Windows. A lock
// belongs to the open file: closing the file, or the end of the process
// that opened it (a crash, a kill), releases it. Two opens of one file, in
// one process or in two, exclude each other.
package filelock

import (
	"errors"
	"os"
)

// ErrUnsupported is returned on a platform without file locks.
var ErrUnsupported = errors.New("filelock: file locks are not supported on this platform")

// TryLock takes an exclusive lock on f without waiting. It reports false,
// with a nil error, when another open of the file holds it.
func TryLock(f *os.File) (bool, error) { return tryLock(f) }

// Unlock releases the lock taken on f.
func Unlock(f *os.File) error { return unlock(f) }
