package reconcile

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// FileState is a State kept in a file, so that a restarted process resumes
// where it stopped. Every Save appends its entries to the file in one
// write, which reaches the operating system before Save returns: a crash of
// the process loses nothing. Sync and Close also flush the file to the
// disk; after a crash of the machine the engine at worst writes to Tiki
// again what it wrote since the last flush. Opening the file replays it
// (a record cut short by a crash is dropped; a file damaged before its end
// is an error, and left as it is) and, when old records make up
// most of it, rewrites it with the latest entry of each item. The entries
// are also kept in memory, as in a MemoryState. One process at a time may
// open a file: OpenFileState takes a lock (a file beside it, path+".lock")
// that Close releases, and refuses a file another open holds.
type FileState struct {
	mem  *MemoryState
	path string

	mu      sync.Mutex // guards the file and records
	f       *os.File
	unlock  func() // releases the file's lock
	size    int64  // bytes of the file
	records int    // records in the file, old ones included
	broken  error  // a write failed and could not be undone
}

// fileMagic starts every state file.
const fileMagic = "tikirec1"

// compactAfter is how many records a file must hold before opening it
// rewrites it (when fewer than half of them are the latest of their item).
const compactAfter = 1024

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenFileState opens the state file at path, creating it when it does not
// exist.
func OpenFileState(path string) (*FileState, error) {
	if path == "" {
		return nil, invalid("path", "is required")
	}
	s := &FileState{mem: NewMemoryState(), path: path}
	unlock, err := lockBeside(path)
	if err != nil {
		return nil, fmt.Errorf("reconcile: state file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("reconcile: state file: %w", err)
	}
	s.unlock = unlock
	good, err := s.replay(f)
	if err != nil {
		f.Close()
		unlock()
		return nil, err
	}
	// Drop a record cut short by a crash, so that appends follow the last
	// whole one.
	if err := f.Truncate(good); err != nil {
		f.Close()
		unlock()
		return nil, fmt.Errorf("reconcile: state file: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		unlock()
		return nil, fmt.Errorf("reconcile: state file: %w", err)
	}
	s.f, s.size = f, good
	if good == 0 {
		if _, err := f.WriteString(fileMagic); err != nil {
			f.Close()
			unlock()
			return nil, fmt.Errorf("reconcile: state file: %w", err)
		}
		s.size = int64(len(fileMagic))
	}
	if s.records > compactAfter && s.records > 2*s.mem.Len() {
		if err := s.compact(); err != nil {
			s.f.Close()
			unlock()
			return nil, err
		}
	}
	return s, nil
}

// replay loads the records of f into memory and returns the offset after
// the last whole one.
func (s *FileState) replay(f *os.File) (int64, error) {
	r := bufio.NewReaderSize(f, 1<<16)
	magic := make([]byte, len(fileMagic))
	n, err := io.ReadFull(r, magic)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return 0, nil // a new file
	case err != nil || string(magic) != fileMagic:
		return 0, fmt.Errorf("reconcile: %s is not a state file", s.path)
	}
	good := int64(len(fileMagic))
	for {
		size, err := binary.ReadUvarint(r)
		if errors.Is(err, io.EOF) {
			return good, nil // the end
		}
		if err != nil || size > 1<<20 {
			return good, s.tail(f, good)
		}
		rec := make([]byte, size+4)
		if _, err := io.ReadFull(r, rec); err != nil {
			return good, s.tail(f, good)
		}
		payload := rec[:size]
		var en Entry
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(rec[size:]) || en.UnmarshalBinary(payload) != nil {
			return good, s.tail(f, good)
		}
		s.mem.put(en.Key, payload)
		s.records++
		good += int64(uvarintLen(size)) + int64(size) + 4
	}
}

// tail reports whether what follows the last whole record, at offset good,
// is what a crash leaves behind: a last record cut short by the end of the
// file, or zeros (a file system that grew the file before writing it).
// Anything else is damage in the middle of the file, which dropping would
// lose the records after it with: an error, and nothing is truncated.
func (s *FileState) tail(f *os.File, good int64) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reconcile: state file: %w", err)
	}
	rest := make([]byte, info.Size()-good)
	if _, err := f.ReadAt(rest, good); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reconcile: state file: %w", err)
	}
	if size, n := binary.Uvarint(rest); n == 0 || n > 0 && uint64(len(rest)-n) < size+4 {
		return nil // a record cut short, in its size or after it
	}
	if !slices.ContainsFunc(rest, func(b byte) bool { return b != 0 }) {
		return nil // zeros
	}
	return fmt.Errorf("reconcile: state file %s is damaged at byte %d, before %d more bytes: "+
		"move it aside to start afresh (the engine then reads Tiki again and reports no drift until it has pushed)", s.path, good, len(rest))
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// appendRecord appends one record of payload to b.
func appendRecord(b, payload []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(payload)))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, crcTable))
}

// compact rewrites the file with the latest entry of each item, through a
// new file renamed over the old one. s.f is the open file; it is replaced.
func (s *FileState) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("reconcile: state file: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	_, _ = w.WriteString(fileMagic)
	n, size := 0, int64(len(fileMagic))
	var rec []byte
	err = s.mem.each(func(_ string, b []byte) error {
		rec = appendRecord(rec[:0], b)
		n++
		size += int64(len(rec))
		_, err := w.Write(rec)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("reconcile: state file: compacting: %w", err)
	}
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	s.f.Close()
	s.f, s.size, s.records = f, size, n
	return nil
}

// Load returns the entries saved under keys.
func (s *FileState) Load(ctx context.Context, keys []string) ([]Entry, error) {
	return s.mem.Load(ctx, keys)
}

// Save appends entries to the file, then keeps them in memory.
func (s *FileState) Save(ctx context.Context, entries []Entry) error {
	if ctx == nil {
		return nilContext()
	}
	var buf []byte
	payloads := make([][]byte, len(entries))
	for i, en := range entries {
		payloads[i], _ = en.MarshalBinary()
		buf = appendRecord(buf, payloads[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errClosed
	}
	if s.broken != nil {
		return s.broken
	}
	if _, err := s.f.Write(buf); err != nil {
		// Cut off what reached the file, so that the next record does not
		// follow half of this one (which would end the replay there).
		if _, serr := s.f.Seek(s.size, io.SeekStart); serr != nil || s.f.Truncate(s.size) != nil {
			s.broken = fmt.Errorf("reconcile: state file: a write failed (%v) and could not be undone: reopen the state", err)
		}
		return fmt.Errorf("reconcile: state file: %w", err)
	}
	s.size += int64(len(buf))
	s.records += len(entries)
	for i, en := range entries {
		s.mem.put(en.Key, payloads[i])
	}
	return nil
}

// Len returns the number of items saved.
func (s *FileState) Len() int { return s.mem.Len() }

// errClosed is the error of a FileState used after Close.
var errClosed = errors.New("reconcile: state file closed")

// Sync flushes the file to the disk.
func (s *FileState) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errClosed
	}
	return s.f.Sync()
}

// Close flushes the file to the disk and closes it.
func (s *FileState) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	s.unlock()
	return err
}
