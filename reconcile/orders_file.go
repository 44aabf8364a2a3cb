package reconcile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tikisdk/tiki"
)

// FileDeliveredStore is a DeliveredStore kept in one file: it survives
// restarts of the process and of the machine. The file is a log of JSON
// lines, one per delivered key and per checkpoint, appended and flushed to
// disk (fsync) before MarkDelivered and SaveCheckpoint return, so a crash
// at any moment loses nothing that was reported stored; a line cut short by
// a crash is dropped when the file is opened. When most lines are expired
// or repeated, the file is rewritten with the live ones (a temporary file,
// flushed, renamed over the log).
//
// One process uses a file at a time: replicas that share deliveries need a
// shared store (see DeliveredStore). Make it with NewFileDeliveredStore
// and Close it when done; it is safe for concurrent use.
type FileDeliveredStore struct {
	path string
	set  deliveredSet // and its lock, which guards the fields below

	f         *os.File // nil once closed or broken
	broken    error    // why the file can no longer be written
	size      int64    // bytes of the file
	records   int      // lines after the header
	compactAt int      // records that trigger the next rewrite
}

// deliveredFormat is the first line of a store's file.
const deliveredFormat = `{"tiki_orders_delivered":1}`

// deliveredMinCompact is the fewest lines a store's file has before it is
// rewritten: small files are left alone.
const deliveredMinCompact = 4096

// deliveredLine is one line of a store's file: a delivered key with the
// Unix time it was marked at, or a checkpoint.
type deliveredLine struct {
	Code       string     `json:"code,omitempty"`
	Status     string     `json:"status,omitempty"`
	At         int64      `json:"at,omitempty"`
	Checkpoint *time.Time `json:"checkpoint,omitempty"`
}

// NewFileDeliveredStore opens the store kept in the file at path, creating
// the file (mode 0600) and its directory (mode 0700) when they do not
// exist, and reads it. A key is remembered for retention after it was
// marked (0 means DefaultDeliveredRetention).
//
// An empty path or a negative retention is refused with a
// *tiki.ValidationError. A file that is not a store's, or whose lines
// (other than a last line cut short by a crash) do not read, is an error
// wrapping ErrDeliveredStore that names the file and the line: nothing is
// written to it. Moving such a file aside starts afresh: the backfill
// then hands out again, once, every order since OrdersOptions.Start.
func NewFileDeliveredStore(path string, retention time.Duration) (*FileDeliveredStore, error) {
	var v problems
	v.check(path != "", "path", "is required")
	checkDeliveredRetention(&v, retention)
	if err := v.err(); err != nil {
		return nil, err
	}
	s := &FileDeliveredStore{path: path}
	s.set.init(retention)
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// fail wraps an error of the file with the store's error and the path.
func (s *FileDeliveredStore) fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrDeliveredStore, s.path, fmt.Sprintf(format, args...))
}

// open reads the file, drops a last line cut short and opens it for
// appending.
func (s *FileDeliveredStore) open() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return s.fail("creating its directory: %v", err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return s.fail("%v", err)
	}
	if err := s.read(f); err != nil {
		f.Close()
		return err
	}
	s.f = f
	if s.size == 0 {
		if err := s.append([]byte(deliveredFormat + "\n")); err != nil {
			return err
		}
	}
	s.compactAt = max(deliveredMinCompact, 4*(len(s.set.marked)+1))
	return nil
}

// read loads the file's lines into the set and truncates a last line cut
// short by a crash.
func (s *FileDeliveredStore) read(f *os.File) error {
	r := bufio.NewReader(f)
	var good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				// A line cut short by a crash: the write it belongs to
				// never returned, so nothing relied on it.
				if err := f.Truncate(good); err != nil {
					return s.fail("dropping a last line cut short: %v", err)
				}
			}
			break
		}
		if err != nil {
			return s.fail("%v", err)
		}
		if n == 1 {
			if string(bytes.TrimSpace(line)) != deliveredFormat {
				return s.fail("line 1 is not %s: not a delivered store's file; nothing was written to it", deliveredFormat)
			}
		} else if err := s.load(line); err != nil {
			return s.fail("line %d: %v: the file is damaged; move it aside to start afresh (the backfill then hands out again, once, every order since OrdersOptions.Start)", n, err)
		}
		good += int64(len(line))
		s.records = n - 1
	}
	s.size = good
	return nil
}

// load applies one line of the file to the set.
func (s *FileDeliveredStore) load(line []byte) error {
	var l deliveredLine
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		return err
	}
	switch {
	case l.Checkpoint != nil && l.Code == "":
		s.set.checkpoint = *l.Checkpoint
	case l.Checkpoint == nil && l.Code != "" && l.Status != "" && l.At > 0:
		id := orderKeyID(OrderKey{Code: l.Code, Status: tiki.OrderStatus(l.Status)})
		if l.At > s.set.marked[id] {
			s.set.marked[id] = l.At
		}
	default:
		return errors.New("neither a delivered order nor a checkpoint")
	}
	return nil
}

// append writes b at the end of the file and flushes it to disk. A failed
// write is cut off, so that the next one starts on a line of its own; when
// that fails too, the store refuses every later write.
func (s *FileDeliveredStore) append(b []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	_, err := s.f.Write(b)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		if terr := s.f.Truncate(s.size); terr != nil {
			s.broken = s.fail("a write failed (%v) and could not be undone (%v): reopen the store", err, terr)
			s.f.Close()
			s.f = nil
		}
		return s.fail("%v", err)
	}
	s.size += int64(len(b))
	return nil
}

// deliveredLines encodes keys marked at, or a checkpoint, as lines of the file.
func deliveredLines(keys []OrderKey, at int64, checkpoint *time.Time) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, k := range keys {
		_ = enc.Encode(deliveredLine{Code: k.Code, Status: string(k.Status.Canonical()), At: at})
	}
	if checkpoint != nil {
		_ = enc.Encode(deliveredLine{Checkpoint: checkpoint})
	}
	return buf.Bytes()
}

// state returns the store's set; nil for a nil store.
func (s *FileDeliveredStore) state() *deliveredSet {
	if s == nil {
		return nil
	}
	return &s.set
}

// usable returns the error of a store that cannot be used: closed, or
// broken by a write it could not undo. s.set.mu must be held.
func (s *FileDeliveredStore) usable() error {
	switch {
	case s.broken != nil:
		return s.broken
	case s.f == nil:
		return s.fail("the store is closed")
	}
	return nil
}

// Delivered reports whether each key was marked delivered within the
// retention.
func (s *FileDeliveredStore) Delivered(ctx context.Context, keys []OrderKey) (done []bool, err error) {
	err = s.state().do(ctx, keys, func() error {
		if err := s.usable(); err != nil {
			return err
		}
		done = s.set.delivered(keys)
		return nil
	})
	return done, err
}

// MarkDelivered appends keys to the file, flushes it to disk and records
// them.
func (s *FileDeliveredStore) MarkDelivered(ctx context.Context, keys ...OrderKey) error {
	return s.state().do(ctx, keys, func() error {
		if len(keys) == 0 {
			return s.usable()
		}
		if err := s.append(deliveredLines(keys, s.set.now().Unix(), nil)); err != nil {
			return err
		}
		s.records += len(keys)
		s.set.mark(keys)
		s.maybeCompact()
		return nil
	})
}

// Checkpoint returns the checkpoint last saved, or the zero time.
func (s *FileDeliveredStore) Checkpoint(ctx context.Context) (t time.Time, err error) {
	err = s.state().do(ctx, nil, func() error {
		t = s.set.checkpoint
		return s.usable()
	})
	return t, err
}

// SaveCheckpoint appends t to the file and flushes it to disk.
func (s *FileDeliveredStore) SaveCheckpoint(ctx context.Context, t time.Time) error {
	return s.state().do(ctx, nil, func() error {
		if err := s.append(deliveredLines(nil, 0, &t)); err != nil {
			return err
		}
		s.records++
		s.set.checkpoint = t
		s.maybeCompact()
		return nil
	})
}

// Close closes the file; later calls fail. Closing twice is not an
// error.
func (s *FileDeliveredStore) Close() error {
	if s == nil {
		return nil
	}
	s.set.mu.Lock()
	defer s.set.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return s.fail("%v", err)
	}
	return nil
}

// maybeCompact rewrites the file with its live lines when most of its
// lines are expired or repeated. A rewrite that fails leaves the log as it
// was (it stays correct, only longer) and is tried again once the log has
// doubled.
func (s *FileDeliveredStore) maybeCompact() {
	if s.records < s.compactAt {
		return
	}
	if err := s.compact(); err != nil {
		s.compactAt = 2 * s.records
		return
	}
	s.compactAt = max(deliveredMinCompact, 4*(len(s.set.marked)+1))
}

// compact writes the live keys and the checkpoint to a temporary file,
// flushes it and renames it over the log, then appends to the new file.
func (s *FileDeliveredStore) compact() (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	_, _ = w.WriteString(deliveredFormat + "\n")
	now := s.set.now().Unix()
	records := 0
	for id, at := range s.set.marked {
		if !s.set.live(at, now) {
			continue
		}
		k := orderKeyFromID(id)
		_ = enc.Encode(deliveredLine{Code: k.Code, Status: string(k.Status), At: at})
		records++
	}
	if cp := s.set.checkpoint; !cp.IsZero() {
		_ = enc.Encode(deliveredLine{Checkpoint: &cp})
		records++
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	info, err := tmp.Stat()
	if err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	f, err := os.OpenFile(tmp.Name(), os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), s.path); err != nil {
		f.Close()
		return err
	}
	if dir, derr := os.Open(filepath.Dir(s.path)); derr == nil {
		_ = dir.Sync() // not every file system can sync a directory
		dir.Close()
	}
	s.f.Close()
	s.f, s.size, s.records = f, info.Size(), records
	return nil
}
