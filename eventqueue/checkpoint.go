package eventqueue

import (
	"bytes"
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

	"github.com/tikisdk/tiki"
)

// Checkpoint stores, per event queue, the ack id of the last batch whose
// events were all handled: the ack id the next pull sends, which tells Tiki
// that batch may be forgotten. A Consumer loads it when it starts and saves
// it after each batch it handled completely, never before; a checkpoint
// that survives restarts is what keeps a restarted consumer from handling
// a whole batch twice. Losing it loses no event: the first pull without an
// ack id receives the oldest unacknowledged batch again.
//
// Implementations must be safe for concurrent use. Load returns an error
// matching ErrCorruptCheckpoint when what it holds cannot be trusted and
// waiting will not mend it (Run then returns at once); any other error is
// taken for a passing failure and retried. NewFileCheckpoint keeps the ack
// ids in files, NewMemoryCheckpoint in memory (for tests), and the
// redisstore module in Redis, shared by the replicas of a service.
type Checkpoint interface {
	// Load returns the ack id stored for queue, or "" when there is none.
	Load(ctx context.Context, queue string) (ackID string, err error)
	// Save stores ackID for queue, replacing the previous one. It returns
	// only once the ack id is stored durably: the Consumer pulls with it
	// next, acknowledging the batch it covers.
	Save(ctx context.Context, queue, ackID string) error
}

// FencedCheckpoint is a Checkpoint that a Consumer running under a Lease
// saves through: SaveFenced stores ackID only while fence is the token of
// the lease currently held on queue, atomically with that check, and fails
// with ErrLeaseLost otherwise. A replica that lost its lease, even one that
// does not know it yet, can then never overwrite the ack id of the replica
// that took over.
type FencedCheckpoint interface {
	Checkpoint
	// SaveFenced stores ackID for queue if fence is the current lease
	// token of queue; otherwise it stores nothing and returns an error
	// matching ErrLeaseLost.
	SaveFenced(ctx context.Context, queue, ackID string, fence int64) error
}

// ErrLeaseLost is returned (wrapped) by FencedCheckpoint.SaveFenced when the
// caller's lease is no longer the current one, and reported by a Consumer
// that stopped pulling because it lost its lease.
var ErrLeaseLost = errors.New("eventqueue: lease lost")

// ErrCorruptCheckpoint is matched by the error of a Checkpoint's Load when
// what the checkpoint holds cannot be trusted (a FileCheckpoint file that is
// empty, torn or not JSON, or that names another queue; an ack id that no
// pull could send). Waiting does not mend it, so Run returns the error at
// once instead of retrying; the error names what to remove. Removing it is
// safe: the consumer then pulls without an ack id, which acknowledges
// nothing, and Tiki delivers the oldest unacknowledged batch again. A
// dedupe store that outlived the checkpoint (shared, in Redis) recognises
// the events of it that were handled already; with the default in-memory
// store of a restarted process they are handed out again, so handlers
// should tolerate a repeat.
var ErrCorruptCheckpoint = errors.New("eventqueue: checkpoint cannot be trusted")

// MemoryCheckpoint is a Checkpoint kept in memory: it does not survive a
// restart. Use it in tests, or where redelivering the last batch after a
// restart is acceptable. The zero value is ready to use; it is safe for
// concurrent use.
type MemoryCheckpoint struct {
	mu   sync.Mutex
	acks map[string]string
}

// NewMemoryCheckpoint returns an empty MemoryCheckpoint.
func NewMemoryCheckpoint() *MemoryCheckpoint { return &MemoryCheckpoint{} }

// Load returns the ack id stored for queue, or "".
func (m *MemoryCheckpoint) Load(ctx context.Context, queue string) (string, error) {
	if err := usable(ctx); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.acks[queue], nil
}

// Save stores ackID for queue.
func (m *MemoryCheckpoint) Save(ctx context.Context, queue, ackID string) error {
	if err := usable(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.acks == nil {
		m.acks = make(map[string]string)
	}
	m.acks[queue] = ackID
	return nil
}

// FileCheckpoint is a Checkpoint kept in files, one per queue, in a
// directory: it survives restarts of the process and of the machine. Each
// save writes a temporary file, flushes it to disk, renames it over the
// previous one and flushes the directory, so a crash at any moment leaves
// either the old ack id or the new one, never a torn file.
//
// A file that is nevertheless empty, torn or foreign (a disk that lost
// writes, a hand edit, a copy from another queue) makes Load fail with an
// error matching ErrCorruptCheckpoint that names the file: Run returns it at
// once. Deleting the file is then safe (see ErrCorruptCheckpoint).
//
// One process should use a directory for a given queue at a time (several
// replicas sharing a queue need a shared checkpoint and a Lease: see the
// redisstore module). Create it with NewFileCheckpoint; it is safe for
// concurrent use.
type FileCheckpoint struct {
	dir string
	mu  sync.Mutex
}

// NewFileCheckpoint returns a checkpoint that keeps its files in dir,
// creating the directory (mode 0700) when it does not exist.
func NewFileCheckpoint(dir string) (*FileCheckpoint, error) {
	if dir == "" {
		return nil, invalid("dir", "is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("eventqueue: checkpoint directory: %w", err)
	}
	return &FileCheckpoint{dir: dir}, nil
}

// checkpointFile is what a FileCheckpoint file holds.
type checkpointFile struct {
	Queue   string    `json:"queue"`
	AckID   string    `json:"ack_id"`
	SavedAt time.Time `json:"saved_at"`
}

// safeName matches queue codes that can be file names as they are.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// path returns the file that holds the ack id of queue: the queue code
// itself when it is made of letters, digits, '-' and '_' (Tiki's codes are
// UUIDs), hex-encoded otherwise.
func (f *FileCheckpoint) path(queue string) string {
	name := queue
	if !safeName.MatchString(queue) {
		name = "x" + hex.EncodeToString([]byte(queue))
	}
	return filepath.Join(f.dir, "tiki-queue-"+name+".json")
}

// Load returns the ack id stored for queue, or "" when no file exists. A
// file that exists but cannot be trusted is an error matching
// ErrCorruptCheckpoint.
func (f *FileCheckpoint) Load(ctx context.Context, queue string) (string, error) {
	if err := usable(ctx); err != nil {
		return "", err
	}
	if queue == "" {
		return "", invalid("queue", "is required")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.path(queue)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("eventqueue: loading checkpoint: %w", err)
	}
	var c checkpointFile
	switch err := json.Unmarshal(b, &c); {
	case len(bytes.TrimSpace(b)) == 0:
		return "", corruptFile(path, "is empty")
	case err != nil:
		return "", corruptFile(path, "is not a checkpoint ("+err.Error()+")")
	case c.Queue != queue:
		return "", corruptFile(path, fmt.Sprintf("belongs to queue %q, not %q", c.Queue, queue))
	}
	return c.AckID, nil
}

// corruptFile is the error of a checkpoint file that cannot be trusted: it
// names the file and the way out.
func corruptFile(path, problem string) error {
	return fmt.Errorf("%w: the file %s %s; delete it to start again from Tiki's oldest unacknowledged batch (a shared dedupe store recognises the events of it handled already; the default in-memory one, after a restart, does not)",
		ErrCorruptCheckpoint, path, problem)
}

// Save stores ackID for queue: temporary file, fsync, rename, fsync of the
// directory.
func (f *FileCheckpoint) Save(ctx context.Context, queue, ackID string) error {
	if err := usable(ctx); err != nil {
		return err
	}
	if queue == "" {
		return invalid("queue", "is required")
	}
	b, err := json.Marshal(checkpointFile{Queue: queue, AckID: ackID, SavedAt: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("eventqueue: saving checkpoint: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := writeFileAtomic(f.path(queue), b); err != nil {
		return fmt.Errorf("eventqueue: saving checkpoint: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with b so that a crash leaves the old or
// the new content.
func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // the rename is done; some systems cannot open directories
	}
	defer d.Close()
	_ = d.Sync() // not every file system can sync a directory
	return nil
}

// usable refuses a nil context (an error matching tiki.ErrNilContext) and
// reports a context that already ended.
func usable(ctx context.Context) error {
	if ctx == nil {
		return nilContext()
	}
	return ctx.Err()
}

// nilContext is the error of a call given a nil context: a
// *tiki.ValidationError matching tiki.ErrNilContext.
func nilContext() error { return invalid("ctx", "must not be nil") }

// invalid is a *tiki.ValidationError with one problem.
func invalid(field, format string, args ...any) *tiki.ValidationError {
	return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: field, Problem: fmt.Sprintf(format, args...)}}}
}
