package reconcile_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// sampleEntry is an entry with every field set.
func sampleEntry(key string) reconcile.Entry {
	at := time.Unix(1_700_000_000, 123456789)
	return reconcile.Entry{
		Key: key, ProductID: 2090002, Version: 1_700_000_000_000_000_001,
		Pushed:   reconcile.Values{Price: 120000, Active: ptr(true), Stock: []reconcile.Stock{{Warehouse: 903, Available: 4}, {Warehouse: 919, Available: 0}}},
		PushedAt: at,
		Seen: reconcile.Values{Price: 120000, Active: ptr(false), InventoryType: tiki.InventoryBackorder,
			Stock: []reconcile.Stock{{Warehouse: 903, Available: 4, Reserved: 1}, {Warehouse: 919, Available: 0, Reserved: -2}}},
		SeenAt: at.Add(time.Second),
	}
}

// An entry survives its binary encoding exactly: unknown stays unknown,
// empty stays empty.
func TestEntryEncodingRoundTrips(t *testing.T) {
	for _, en := range []reconcile.Entry{
		sampleEntry("SKU-1"),
		{Key: "#42"},
		{Key: "E", Pushed: reconcile.Values{Stock: []reconcile.Stock{}}, Seen: reconcile.Values{Active: ptr(false)}},
	} {
		b, err := en.MarshalBinary()
		require.NoError(t, err)
		var got reconcile.Entry
		require.NoError(t, got.UnmarshalBinary(b))
		assert.Equal(t, en.Key, got.Key)
		assert.Equal(t, en.Pushed, got.Pushed)
		assert.Equal(t, en.Seen, got.Seen)
		assert.True(t, en.PushedAt.Equal(got.PushedAt) && en.SeenAt.Equal(got.SeenAt))
		assert.Equal(t, en.Version, got.Version)
	}
	b, _ := sampleEntry("SKU-1").MarshalBinary()
	assert.Less(t, len(b), 80)
	var en reconcile.Entry
	assert.Error(t, en.UnmarshalBinary(nil))
	assert.Error(t, en.UnmarshalBinary(b[:len(b)-1]))
	assert.Error(t, en.UnmarshalBinary(append(b, 0)))
	assert.Error(t, en.UnmarshalBinary(append([]byte{9}, b[1:]...)))
}

// FuzzEntryUnmarshal: no input makes decoding panic, and what decodes
// encodes to the same entry.
func FuzzEntryUnmarshal(f *testing.F) {
	b, _ := sampleEntry("SKU-1").MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var en reconcile.Entry
		if en.UnmarshalBinary(b) != nil {
			return
		}
		again, err := en.MarshalBinary()
		require.NoError(t, err)
		var back reconcile.Entry
		require.NoError(t, back.UnmarshalBinary(again))
		assert.Equal(t, en.Key, back.Key)
		assert.Equal(t, en.Seen, back.Seen)
	})
}

// A FileState keeps what was saved across a reopening, drops a record cut
// short by a crash, and rewrites a file of mostly old records.
func TestFileState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state")
	s, err := reconcile.OpenFileState(path)
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("A"), sampleEntry("B")}))
	b2 := sampleEntry("B")
	b2.Version++
	require.NoError(t, s.Save(ctx, []reconcile.Entry{b2}))
	require.NoError(t, s.Close())
	assert.ErrorContains(t, s.Save(ctx, []reconcile.Entry{b2}), "closed")

	// A crash in the middle of a write.
	full, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(full, 40, 1, 2, 3), 0o600))
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Len())
	got, err := s.Load(ctx, []string{"A", "B", "C"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, en := range got {
		if en.Key == "B" {
			assert.Equal(t, b2.Version, en.Version)
		}
	}
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("C")}))
	require.NoError(t, s.Close())
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	assert.Equal(t, 3, s.Len(), "the record after the cut one is read")

	// Thousands of saves of one item: reopening rewrites the file.
	for range 1500 {
		require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("A")}))
	}
	require.NoError(t, s.Sync())
	require.NoError(t, s.Close())
	before, _ := os.Stat(path)
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	defer s.Close()
	after, _ := os.Stat(path)
	assert.Less(t, after.Size(), before.Size()/100)
	assert.Equal(t, 3, s.Len())

	_, err = reconcile.OpenFileState(filepath.Join(filepath.Dir(path), "missing-dir", "state"))
	assert.Error(t, err)
	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, os.WriteFile(other, []byte("not a state file"), 0o600))
	_, err = reconcile.OpenFileState(other)
	assert.ErrorContains(t, err, "not a state file")
}

// A restarted engine resumes from its FileState: nothing is written again,
// and stock changed behind its back while it was down is drift.
func TestRestartResumesFromTheState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state")
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	want := books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 10}})

	st, err := reconcile.OpenFileState(path)
	require.NoError(t, err)
	e := f.engine(t, reconcile.Options{State: st})
	_, err = e.Sync(ctx, want)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	require.NoError(t, f.srv.SetStock("A", whHN, 4)) // while the engine is down
	st, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	defer st.Close()
	e = f.engine(t, reconcile.Options{State: st})
	f.wire.reset()
	rep, err := e.Sync(ctx, want)
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 4->10 drift"}, lines(rep))

	// A Set of what the engine wrote needs neither a read nor a write.
	f.wire.reset()
	e = f.engine(t, reconcile.Options{State: st})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 10}}))
	rep, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep)
	assert.Zero(t, f.wire.total())
}

// A MemoryState's entries are what the engine saw and pushed.
func TestMemoryStateHoldsWhatWasSeenAndPushed(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	ids := f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5, whSGN: 1}})
	st := reconcile.NewMemoryState()
	e := f.engine(t, reconcile.Options{State: st})
	_, err := e.Sync(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}, Price: 100000, Version: 5}))
	require.NoError(t, err)
	got, err := st.Load(ctx, []string{"A"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	en := got[0]
	assert.Equal(t, ids["A"], en.ProductID)
	assert.Equal(t, int64(5), en.Version)
	assert.Equal(t, tiki.Money(100000), en.Pushed.Price)
	assert.Equal(t, []reconcile.Stock{{Warehouse: whSGN, Available: 0}, {Warehouse: whHN, Available: 3}}, en.Pushed.Stock)
	assert.Equal(t, []reconcile.Stock{{Warehouse: whSGN, Available: 0}, {Warehouse: whHN, Available: 3}}, en.Seen.Stock)
	assert.Equal(t, tiki.InventoryDropShip, en.Seen.InventoryType)
	assert.False(t, en.SeenAt.IsZero())
	assert.Equal(t, 1, st.Len())
}

// A FileState damaged before its end (a record whose bytes changed, with
// records after it) is an error, and the file is left as it is: dropping
// the damaged record would lose every record after it, and the versions
// they hold, without a word. Zeros after the last record, as a file system
// may leave after a crash, are a crash's leftovers, dropped.
func TestFileStateDamagedBeforeItsEndIsAnError(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state")
	s, err := reconcile.OpenFileState(path)
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("A")}))
	mid, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("B")}))
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("C")}))
	require.NoError(t, s.Close())

	full, err := os.ReadFile(path)
	require.NoError(t, err)
	damaged := slices.Clone(full)
	damaged[mid.Size()+3] ^= 0xff // in B's record
	require.NoError(t, os.WriteFile(path, damaged, 0o600))
	_, err = reconcile.OpenFileState(path)
	require.ErrorContains(t, err, "damaged")
	kept, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, damaged, kept, "nothing truncated")

	require.NoError(t, os.WriteFile(path, append(slices.Clone(full), make([]byte, 64)...), 0o600))
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	assert.Equal(t, 3, s.Len())
	require.NoError(t, s.Save(ctx, []reconcile.Entry{sampleEntry("D")}))
	require.NoError(t, s.Close())
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 4, s.Len())
}

// A state file is one process's at a time: a second open of it, here or
// in another process, is refused until the first is closed, instead of
// both appending over each other's records. So is a delivered store's.
func TestFileStoresAreOneOpenAtATime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	s, err := reconcile.OpenFileState(path)
	require.NoError(t, err)
	_, err = reconcile.OpenFileState(path)
	require.ErrorIs(t, err, reconcile.ErrFileInUse)
	require.ErrorContains(t, err, "open in another process")
	require.NoError(t, s.Close())
	s, err = reconcile.OpenFileState(path)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	orders := filepath.Join(dir, "orders.log")
	d, err := reconcile.NewFileDeliveredStore(orders, 0)
	require.NoError(t, err)
	_, err = reconcile.NewFileDeliveredStore(orders, 0)
	require.ErrorIs(t, err, reconcile.ErrDeliveredStore)
	require.ErrorIs(t, err, reconcile.ErrFileInUse)
	require.ErrorContains(t, err, "open in another process")
	require.NoError(t, d.Close())
	d, err = reconcile.NewFileDeliveredStore(orders, 0)
	require.NoError(t, err)
	require.NoError(t, d.Close())
}

// panickyState is a State of the caller's own whose Load panics once
// armed.
type panickyState struct {
	*reconcile.MemoryState
	armed atomic.Bool
}

func (s *panickyState) Load(ctx context.Context, keys []string) ([]reconcile.Entry, error) {
	if s.armed.Load() {
		panic("state bug")
	}
	return s.MemoryState.Load(ctx, keys)
}

// brokenGuard is a Guard of the caller's own that holds nothing and
// returns no unlock function.
type brokenGuard struct{}

func (brokenGuard) Lock(ctx context.Context, _ []string) (context.Context, func(), error) {
	return ctx, nil, nil
}

// A State or Guard of the caller's own that panics, or a Guard that
// returns no unlock function, is an error of the call: the engine's
// goroutines do not crash the process with it.
func TestCallersStateAndGuardPanicsAreErrors(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	st := &panickyState{MemoryState: reconcile.NewMemoryState()}
	e := f.engine(t, reconcile.Options{State: st})
	ctx := context.Background()
	_, err := e.Sync(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}}))
	require.NoError(t, err)

	st.armed.Store(true)
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}}))
	var pe *tiki.PanicError
	require.NotPanics(t, func() { _, err = e.Flush(ctx) })
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, e.Pending(), "not written: still pending")
	require.NotPanics(t, func() { err = e.Observe(ctx, reconcile.Observation{SKU: "A", Price: 90000}) })
	require.ErrorAs(t, err, &pe)
	require.NotPanics(t, func() { _, err = e.Plan(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}})) })
	require.ErrorAs(t, err, &pe)

	e = f.engine(t, reconcile.Options{Guard: brokenGuard{}})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}}))
	require.NotPanics(t, func() { _, err = e.Flush(ctx) })
	require.ErrorContains(t, err, "no unlock function")
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"))
}
