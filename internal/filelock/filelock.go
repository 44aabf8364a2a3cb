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
