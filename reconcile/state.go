package reconcile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// State keeps, per item, what the engine last pushed to Tiki and what it
// last saw there, so that a restarted engine resumes where it stopped:
// it writes only what changed, tells drift (Tiki changed behind its back)
// from the books' own changes, and never writes a value older than one it
// already wrote.
//
// Around each batch call the engine saves twice: before it, each item's
// new version with its sight of Tiki cleared (a save that fails sends
// nothing), and after it, what Tiki applied. So a failed save after the
// call cannot let an older value be written after the one Tiki may hold.
//
// The engine calls Load and Save while it holds the items' Guard, so an
// implementation needs no locking of its own beyond being safe for
// concurrent calls on different keys. Entries encode with
// Entry.MarshalBinary, for stores that keep bytes (a file, Redis).
// MemoryState keeps them in the process, FileState in a file; several
// replicas share one kept in a shared store (Redis, a database), which
// implements the two calls.
type State interface {
	// Load returns the entries saved under keys, in any order; a key
	// never saved has none. An error fails the run.
	Load(ctx context.Context, keys []string) ([]Entry, error)
	// Save stores entries, each replacing the one saved under its key. An
	// error fails the run.
	Save(ctx context.Context, entries []Entry) error
}

// Entry is what the engine knows of one item.
type Entry struct {
	// Key is the item's key (Item.Key).
	Key string
	// ProductID is Tiki's id of the product, once the engine has seen it.
	ProductID int64
	// Version is the version of the books' value the engine last wrote,
	// sent in a write whose outcome is unknown (Tiki may have applied it),
	// or found on Tiki already; a value with a lower one is stale.
	Version int64
	// Pushed is what the engine last wrote to Tiki, or found there equal
	// to the books: a field Tiki later shows otherwise was changed behind
	// the engine's back (drift).
	Pushed Values
	// PushedAt is when Pushed was last changed.
	PushedAt time.Time
	// Seen is Tiki's state as the engine last saw it: read in a page
	// walk, set by its own write, or reported by an event.
	Seen Values
	// SeenAt is when Tiki's state was as Seen says; zero when unknown (the
	// next Set of the item reads it from Tiki first).
	SeenAt time.Time
}

// Values are a product's stock, price and status, as far as known.
type Values struct {
	// Price is the selling price; 0 when unknown.
	Price tiki.Money
	// Active is whether the product is on sale; nil when unknown.
	Active *bool
	// Stock is the stock per seller warehouse, by warehouse id; nil when
	// unknown.
	Stock []Stock
	// InventoryType is Tiki's inventory type of the product (in Seen).
	InventoryType tiki.InventoryType
}

// Stock is a product's stock in one seller warehouse.
type Stock struct {
	// Warehouse is the seller warehouse's id.
	Warehouse int64
	// Available is Tiki's quantity_available: the units in the warehouse,
	// those held by open orders included.
	Available int
	// Reserved is Tiki's quantity_reserved: the units open orders hold.
	Reserved int
}

// stock returns the stock in warehouse wh and whether v lists it.
func (v *Values) stock(wh int64) (Stock, bool) {
	i, ok := slices.BinarySearchFunc(v.Stock, wh, func(s Stock, id int64) int { return cmpInt64(s.Warehouse, id) })
	if !ok {
		return Stock{Warehouse: wh}, false
	}
	return v.Stock[i], true
}

// setStock sets the stock of s.Warehouse, keeping Stock sorted.
func (v *Values) setStock(s Stock) {
	i, ok := slices.BinarySearchFunc(v.Stock, s.Warehouse, func(x Stock, id int64) int { return cmpInt64(x.Warehouse, id) })
	if ok {
		v.Stock[i] = s
		return
	}
	v.Stock = slices.Insert(v.Stock, i, s)
}

// entryFormat is the first byte of an encoded Entry.
const entryFormat = 1

// Bits of an encoded Values' flags byte.
const (
	flagActiveKnown = 1 << iota
	flagActive
	flagStockKnown
)

// MarshalBinary encodes the entry compactly (about 50 bytes for an item in
// two warehouses), for a State that keeps bytes.
func (en Entry) MarshalBinary() ([]byte, error) {
	var buf [128]byte
	b := append(buf[:0], entryFormat)
	b = binary.AppendUvarint(b, uint64(len(en.Key)))
	b = append(b, en.Key...)
	b = binary.AppendVarint(b, en.ProductID)
	b = binary.AppendVarint(b, en.Version)
	b = appendTime(b, en.PushedAt)
	b = appendTime(b, en.SeenAt)
	b = appendValues(b, &en.Pushed)
	b = appendValues(b, &en.Seen)
	return slices.Clone(b), nil // exactly its length: MemoryState keeps it
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func appendValues(b []byte, v *Values) []byte {
	var flags byte
	if v.Active != nil {
		flags |= flagActiveKnown
		if *v.Active {
			flags |= flagActive
		}
	}
	if v.Stock != nil {
		flags |= flagStockKnown
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(v.Price))
	b = binary.AppendUvarint(b, uint64(len(v.InventoryType)))
	b = append(b, v.InventoryType...)
	b = binary.AppendUvarint(b, uint64(len(v.Stock)))
	for _, s := range v.Stock {
		b = binary.AppendVarint(b, s.Warehouse)
		b = binary.AppendVarint(b, int64(s.Available))
		b = binary.AppendVarint(b, int64(s.Reserved))
	}
	return b
}

// errEntry reports bytes that are not an encoded Entry.
var errEntry = errors.New("reconcile: not an encoded state entry")

// UnmarshalBinary decodes an entry encoded by MarshalBinary.
func (en *Entry) UnmarshalBinary(b []byte) error {
	r := entryReader{b: b}
	if r.byte() != entryFormat {
		return fmt.Errorf("%w: unknown format", errEntry)
	}
	var out Entry
	out.Key = r.string()
	out.ProductID = r.varint()
	out.Version = r.varint()
	out.PushedAt = r.time()
	out.SeenAt = r.time()
	r.values(&out.Pushed)
	r.values(&out.Seen)
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes left over", errEntry, len(r.b))
	}
	*en = out
	return nil
}

// entryReader reads an encoded Entry; the first problem sticks in err.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated", errEntry)
	}
	r.b = nil
}

func (r *entryReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *entryReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *entryReader) time() time.Time {
	ns := r.varint()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (r *entryReader) values(v *Values) {
	flags := r.byte()
	v.Price = tiki.Money(r.varint())
	v.InventoryType = tiki.InventoryType(r.string())
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every stock takes at least three bytes
		r.fail()
		return
	}
	if flags&flagActiveKnown != 0 {
		active := flags&flagActive != 0
		v.Active = &active
	}
	if flags&flagStockKnown != 0 {
		v.Stock = make([]Stock, n)
	}
	for i := range int(n) {
		s := Stock{Warehouse: r.varint(), Available: int(r.varint()), Reserved: int(r.varint())}
		if v.Stock != nil {
			v.Stock[i] = s
		}
	}
}

// MemoryState is a State kept in the process: a restart forgets it. Each
// entry is kept encoded (see Entry.MarshalBinary), about 150 bytes of heap
// per item in two warehouses. The zero value is not ready: use
// NewMemoryState.
type MemoryState struct {
	mu      sync.RWMutex
	entries map[string][]byte
}

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{entries: map[string][]byte{}} }

// Load returns the entries saved under keys.
func (m *MemoryState) Load(ctx context.Context, keys []string) ([]Entry, error) {
	if ctx == nil {
		return nil, nilContext()
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		b, ok := m.entries[k]
		if !ok {
			continue
		}
		var en Entry
		if err := en.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		out = append(out, en)
	}
	return out, nil
}

// Save stores entries.
func (m *MemoryState) Save(ctx context.Context, entries []Entry) error {
	if ctx == nil {
		return nilContext()
	}
	enc := make([][]byte, len(entries))
	for i, en := range entries {
		enc[i], _ = en.MarshalBinary()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, en := range entries {
		m.entries[en.Key] = enc[i]
	}
	return nil
}

// Len returns the number of items saved.
func (m *MemoryState) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}

// put stores an encoded entry (for FileState's replay).
func (m *MemoryState) put(key string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = b
}

// each calls fn with every key and encoded entry (for FileState's
// compaction), under the read lock.
func (m *MemoryState) each(fn func(key string, b []byte) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for k, b := range m.entries {
		if err := fn(k, b); err != nil {
			return err
		}
	}
	return nil
}
