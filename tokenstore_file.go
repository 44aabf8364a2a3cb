package tiki

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/filelock"
)

// FileTokenStore is a TokenStore in a directory: the processes of one
// machine (several workers, a cron job beside a server) share each seller's
// token and renew it once. Each seller has two files: <name>.token, the
// token as JSON, replaced atomically (written aside, synced, renamed), and
// <name>.lock, whose operating-system lock (flock on Unix, LockFileEx on
// Windows) is the seller's renewal lock. The operating system frees a lock
// when the process holding it ends, however it ends, so a process killed
// while renewing never blocks the others. <name> is the seller id when it
// is made of letters, digits, '-' and '_' (at most 100), else "~" and the
// id in hexadecimal.
//
// The directory must be on a local file system: network file systems (NFS,
// SMB) may not honour the locks. Tokens are secrets: the directory is
// created readable by its owner only, and so are the files. Create it with
// NewFileTokenStore.
type FileTokenStore struct {
	dir string
	// poll is the longest wait between two tries of a lock held by
	// another process.
	poll time.Duration
}

var _ TokenStore = (*FileTokenStore)(nil)

// NewFileTokenStore returns a store in dir, creating the directory (mode
// 0700) if it does not exist. An empty dir is refused with a
// *ValidationError.
func NewFileTokenStore(dir string) (*FileTokenStore, error) {
	if dir == "" {
		return nil, &ValidationError{Problems: []FieldProblem{{Field: "dir", Problem: "must not be empty"}}}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tiki: token store: %w", err)
	}
	return &FileTokenStore{dir: dir, poll: 20 * time.Millisecond}, nil
}

// plainName is a seller id used as it is in file names.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

// path returns the path of one of the seller's files.
func (s *FileTokenStore) path(sellerID, ext string) string {
	name := sellerID
	if !plainName.MatchString(name) {
		name = "~" + hex.EncodeToString([]byte(sellerID))
	}
	return filepath.Join(s.dir, name+ext)
}

// Load implements TokenStore.
func (s *FileTokenStore) Load(ctx context.Context, sellerID string) (*Token, error) {
	if err := checkStoreArgs(ctx, sellerID); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path(sellerID, ".token"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("seller %q: %w", sellerID, ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("tiki: token store: %w", err)
	}
	var tok Token
	if err := json.Unmarshal(b, &tok); err != nil {
		return nil, fmt.Errorf("tiki: token store: seller %q's token file is not a token: %w", sellerID, err)
	}
	return &tok, nil
}

// Lock implements TokenStore: it tries the seller's lock file, then again
// after a growing pause (at most 20 ms) while another process, or another
// Lock of this process, holds it.
func (s *FileTokenStore) Lock(ctx context.Context, sellerID string) (TokenLock, error) {
	if err := checkStoreArgs(ctx, sellerID); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.path(sellerID, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tiki: token store: %w", err)
	}
	for pause := time.Millisecond; ; pause = min(2*pause, s.poll) {
		ok, err := filelock.TryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("tiki: token store: %w", err)
		}
		if ok {
			return &fileLock{store: s, sellerID: sellerID, f: f}, nil
		}
		if err := backoff.Sleep(ctx, pause); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// fileLock is a held lock of a FileTokenStore.
type fileLock struct {
	store    *FileTokenStore
	sellerID string
	mu       sync.Mutex
	f        *os.File // nil once unlocked
}

func (l *fileLock) Save(ctx context.Context, tok *Token) error {
	var v validator
	v.check(ctx != nil, "ctx", "must not be nil")
	checkToken(&v, "token", tok)
	if err := v.err(); err != nil {
		return err
	}
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return ErrTokenLockLost
	}
	if err := writeFileAtomic(l.store.path(l.sellerID, ".token"), b); err != nil {
		return fmt.Errorf("tiki: token store: %w", err)
	}
	return nil
}

func (l *fileLock) Unlock(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := filelock.Unlock(l.f)
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}

// writeFileAtomic replaces the file at path with b: a reader sees the old
// content or the new one, never a mix, and a crash leaves one of them.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // makes the rename durable where the system supports it
		d.Close()
	}
	return nil
}
