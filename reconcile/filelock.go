package reconcile

import (
	"errors"
	"fmt"
	"os"

	"github.com/tikisdk/tiki/internal/filelock"
)

// ErrFileInUse is the error, wrapped, of OpenFileState and
// NewFileDeliveredStore for a file that another open holds, in this
// process or another: wait for it to be closed, or use another file.
var ErrFileInUse = errors.New("reconcile: the file is in use")

// lockBeside takes the exclusive lock of the file at path, held through
// path+".lock" until release: the file stores (FileState,
// FileDeliveredStore) are one process's at a time, and two processes
// appending to one file would write over each other's records. It returns
// an error naming the file when another open holds it. On a platform
// without file locks nothing is locked.
func lockBeside(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ok, err := filelock.TryLock(f)
	switch {
	case errors.Is(err, filelock.ErrUnsupported):
		return func() { f.Close() }, nil
	case err != nil:
		f.Close()
		return nil, err
	case !ok:
		f.Close()
		return nil, fmt.Errorf("%w: %s is open in another process (or another store of this one): one process at a time uses it", ErrFileInUse, path)
	}
	return func() {
		_ = filelock.Unlock(f)
		f.Close()
	}, nil
}
