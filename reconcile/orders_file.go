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
// lines, one per delivery, per failed hand-out and per checkpoint,
// appended and flushed to disk (fsync) before MarkDelivered,
// RecordFailure and SaveCheckpoint return, so a crash at any moment loses
// nothing that was reported stored; a line cut short by a crash is dropped
// when the file is opened. When most lines are expired or superseded, the
// file is rewritten with the live ones (a temporary file, flushed, renamed
// over the log).
//
// One process uses a file at a time (NewFileDeliveredStore takes a lock,
// a file beside it, path+".lock", that Close releases, and refuses a file
// another open holds): replicas that share deliveries need a shared store
// (see DeliveredStore). Make it with NewFileDeliveredStore
// and Close it when done; it is safe for concurrent use.
type FileDeliveredStore struct {
	path string
	set  deliveredSet // and its lock, which guards the fields below

	f         *os.File // nil once closed or broken
	unlock    func()   // releases the file's lock; nil once released
	broken    error    // why the file can no longer be written
	size      int64    // bytes of the file
	records   int      // lines after the header
	compactAt int      // records that trigger the next rewrite
}

// deliveredFormat is the first line of a store's file.
const deliveredFormat = `{"tiki_orders_delivered":2}`

// deliveredMinCompact is the fewest lines a store's file has before it is
// rewritten: small files are left alone.
const deliveredMinCompact = 4096

// deliveredLine is one line of a store's file: a delivery (its key, At in
// Unix seconds, and the Unix time it was marked at), an order's failures
// (the whole record), or a checkpoint.
type deliveredLine struct {
	Code       string     `json:"code,omitempty"`
	Status     string     `json:"status,omitempty"`
	At         int64      `json:"at,omitempty"`
	Marked     int64      `json:"marked,omitempty"`
	Failures   int        `json:"failures,omitempty"`
	First      int64      `json:"first,omitempty"`
	Last       int64      `json:"last,omitempty"`
	Err        string     `json:"err,omitempty"`
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
	unlock, err := lockBeside(s.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDeliveredStore, err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		unlock()
		return s.fail("%v", err)
	}
	if err := s.read(f); err != nil {
		f.Close()
		unlock()
		return err
	}
	s.f, s.unlock = f, unlock
	if s.size == 0 {
		if err := s.append([]byte(deliveredFormat + "\n")); err != nil {
			if s.f != nil {
				s.f.Close()
				s.f = nil
			}
			s.release()
			return err
		}
	}
	s.compactAt = s.liveLines()
	return nil
}

// liveLines is how many lines a rewritten file holds (and four times that,
// at least deliveredMinCompact, is when it is rewritten next).
func (s *FileDeliveredStore) liveLines() int {
	return max(deliveredMinCompact, 4*(len(s.set.latest)+len(s.set.failures)+1))
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
	delivery := l.Code != "" && l.Status != "" && l.At > 0
	switch {
	case l.Checkpoint != nil && l.Code == "":
		s.set.checkpoint = *l.Checkpoint
	case l.Checkpoint == nil && delivery && l.Marked > 0 && l.Failures == 0:
		s.set.put(l.Code, deliveredRecord{status: tiki.OrderStatus(l.Status), at: l.At, marked: l.Marked}, l.Marked)
	case l.Checkpoint == nil && delivery && l.Marked == 0 && l.Failures > 0 && l.First > 0 && l.Last > 0:
		s.set.failures[l.Code] = OrderFailure{Key: OrderKey{Code: l.Code, Status: tiki.OrderStatus(l.Status), At: unixVN(l.At)},
			Failures: l.Failures, First: unixVN(l.First), Last: unixVN(l.Last), Err: l.Err}
	default:
		return errors.New("neither a delivered order, a failed one nor a checkpoint")
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

// deliveredLines encodes keys marked at, or a checkpoint, as lines of the
// file.
func deliveredLines(keys []OrderKey, marked int64, checkpoint *time.Time) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, k := range keys {
		_ = enc.Encode(deliveredLine{Code: k.Code, Status: string(k.Status.Canonical()), At: k.At.Unix(), Marked: marked})
	}
	if checkpoint != nil {
		_ = enc.Encode(deliveredLine{Checkpoint: checkpoint})
	}
	return buf.Bytes()
}

// failureLine encodes an order's failures as a line of the file.
func failureLine(f OrderFailure) []byte {
	b, _ := json.Marshal(deliveredLine{Code: f.Key.Code, Status: string(f.Key.Status), At: f.Key.At.Unix(),
		Failures: f.Failures, First: f.First.Unix(), Last: f.Last.Unix(), Err: f.Err})
	return append(b, '\n')
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

// Latest returns the latest delivery of each order marked within the
// retention.
func (s *FileDeliveredStore) Latest(ctx context.Context, codes []string) (keys []OrderKey, err error) {
	err = s.state().do(ctx, checkOrderCodes(codes), func() error {
		if err := s.usable(); err != nil {
			return err
		}
		keys = s.set.latestOf(codes)
		return nil
	})
	return keys, err
}

// MarkDelivered appends keys to the file, flushes it to disk and records
// them.
func (s *FileDeliveredStore) MarkDelivered(ctx context.Context, keys ...OrderKey) error {
	return s.state().do(ctx, checkOrderKeys(keys...), func() error {
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

// RecordFailure appends the order's failures, counting this one, to the
// file, flushes it to disk and returns them.
func (s *FileDeliveredStore) RecordFailure(ctx context.Context, key OrderKey, cause string) (f OrderFailure, err error) {
	err = s.state().do(ctx, checkOrderKeys(key), func() error {
		if err := s.usable(); err != nil {
			return err
		}
		prev, had := s.set.failures[key.Code]
		f = s.set.fail(key, cause)
		if err := s.append(failureLine(f)); err != nil {
			if had {
				s.set.failures[key.Code] = prev
			} else {
				delete(s.set.failures, key.Code)
			}
			return err
		}
		s.records++
		s.maybeCompact()
		return nil
	})
	return f, err
}

// Failures returns the orders with failures since their last delivery.
func (s *FileDeliveredStore) Failures(ctx context.Context) (out []OrderFailure, err error) {
	err = s.state().do(ctx, nil, func() error {
		if err := s.usable(); err != nil {
			return err
		}
		out = s.set.failuresList()
		return nil
	})
	return out, err
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
	defer s.release()
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

// release releases the file's lock, once.
func (s *FileDeliveredStore) release() {
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
}

// maybeCompact rewrites the file with its live lines when most of its
// lines are expired or superseded. A rewrite that fails leaves the log as it
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
	s.compactAt = s.liveLines()
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
	for code, r := range s.set.latest {
		if !s.set.live(r.marked, now) {
			continue
		}
		_ = enc.Encode(deliveredLine{Code: code, Status: string(r.status), At: r.at, Marked: r.marked})
		records++
	}
	for _, f := range s.set.failures {
		_, _ = w.Write(failureLine(f))
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
