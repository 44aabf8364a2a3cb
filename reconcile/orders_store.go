package reconcile

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// DeliveredStore remembers which orders were delivered to the seller's
// order handler, by order code and status, and where the backfill's
// checkpoint is. An OrdersBackfill reads and writes it; a live path that
// does not hand its orders over through OrdersBackfill.Deliver records its
// own deliveries with MarkDelivered. Use one store per seller.
//
// # Contract
//
//   - Delivered reports, for each key, whether it was marked delivered
//     and not forgotten since; the answer has one value per key, in order.
//   - MarkDelivered returns only once the keys are stored durably (as far
//     as the store is durable at all): the backfill saves a checkpoint
//     that covers them right after. Marking a key twice is not an error.
//   - A key is remembered for the store's retention after it was marked,
//     then may be forgotten. Retention must be longer than the backfill
//     reaches back (OrdersOptions.Overlap, plus the longest time the
//     backfill may not run): an order of a forgotten key that a pass lists
//     again is handed out again, a duplicate but never a loss.
//   - Checkpoint returns the time SaveCheckpoint last stored, or the zero
//     time when none was stored; SaveCheckpoint returns once it is stored
//     durably. The backfill saves only checkpoints that move forward.
//   - Implementations must be safe for concurrent use, and return an error
//     when they cannot answer (never a guess). The backfill wraps their
//     errors in ErrDeliveredStore.
//
// NewMemoryDeliveredStore keeps the deliveries in memory (tests, or a
// process that accepts handing out a day of orders again after a
// restart), NewFileDeliveredStore in a file (one process).
//
// # Redis
//
// A Redis implementation shared by several processes stores each key as
// its own Redis key, prefix + "d:" + code + ":" + status, set with SET key
// 1 PX retention (a pipeline for several keys); Delivered is one MGET;
// the checkpoint is the string key prefix + "checkpoint" holding the Unix
// time, read with GET and written with SET. Redis must persist (AOF with
// fsync every second or always) for MarkDelivered to be durable.
type DeliveredStore interface {
	// Delivered reports whether each of keys is recorded as delivered.
	Delivered(ctx context.Context, keys []OrderKey) ([]bool, error)
	// MarkDelivered records keys as delivered, durably.
	MarkDelivered(ctx context.Context, keys ...OrderKey) error
	// Checkpoint returns the checkpoint last saved, or the zero time.
	Checkpoint(ctx context.Context) (time.Time, error)
	// SaveCheckpoint stores t as the checkpoint, durably.
	SaveCheckpoint(ctx context.Context, t time.Time) error
}

// DefaultDeliveredRetention is how long a store made with a retention of
// 0 remembers a delivered key: a backfill that does not run for up to a
// week resumes without handing out again what the live path delivered.
const DefaultDeliveredRetention = 7 * 24 * time.Hour

// orderKeyID is the form of a key in the stores' maps.
func orderKeyID(k OrderKey) string { return k.Code + "\x00" + string(k.Status.Canonical()) }

// orderKeyFromID is the key of an orderKeyID.
func orderKeyFromID(id string) OrderKey {
	i := strings.LastIndexByte(id, 0)
	return OrderKey{Code: id[:i], Status: tiki.OrderStatus(id[i+1:])}
}

// deliveredSet is the in-memory state of the memory and file stores: when
// each key was marked and the checkpoint, behind a lock.
type deliveredSet struct {
	mu         sync.Mutex
	retention  time.Duration
	now        func() time.Time
	marked     map[string]int64 // key id -> Unix seconds it was marked at
	checkpoint time.Time
	sweepAt    int64 // Unix seconds of the next sweep of expired keys
}

// init makes an empty set that remembers keys for retention (0: the
// default).
func (s *deliveredSet) init(retention time.Duration) {
	s.retention = ordersDefault(retention, DefaultDeliveredRetention)
	s.now = time.Now
	s.marked = map[string]int64{}
}

// do checks a store call's context and keys and runs fn with the set
// locked. A nil set, or one that was never initialised, is a store that
// was not made by its constructor.
func (s *deliveredSet) do(ctx context.Context, keys []OrderKey, fn func() error) error {
	if err := checkOrderKeys(ctx, keys); err != nil {
		return err
	}
	if s == nil || s.marked == nil {
		return errors.New("reconcile: the store must be made with its constructor")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// live reports whether a key marked at is still remembered at now.
func (s *deliveredSet) live(at, now int64) bool {
	return now-at < int64(s.retention/time.Second)
}

// delivered reports whether each key is remembered. s.mu must be held.
func (s *deliveredSet) delivered(keys []OrderKey) []bool {
	now := s.now().Unix()
	out := make([]bool, len(keys))
	for i, k := range keys {
		at, ok := s.marked[orderKeyID(k)]
		out[i] = ok && s.live(at, now)
	}
	return out
}

// mark records keys at the present and, now and then, forgets the expired
// ones. s.mu must be held.
func (s *deliveredSet) mark(keys []OrderKey) {
	now := s.now().Unix()
	for _, k := range keys {
		s.marked[orderKeyID(k)] = now
	}
	if now >= s.sweepAt {
		for id, at := range s.marked {
			if !s.live(at, now) {
				delete(s.marked, id)
			}
		}
		s.sweepAt = now + max(int64(s.retention/time.Second)/8, 1)
	}
}

// checkOrderKeys refuses a nil context and keys the stores cannot hold.
func checkOrderKeys(ctx context.Context, keys []OrderKey) error {
	var v problems
	v.check(ctx != nil, "ctx", "must not be nil")
	for i, k := range keys {
		v.check(k.Code != "", orderKeyField(i, "Code"), "is required")
		v.check(k.Status != "", orderKeyField(i, "Status"), "is required")
	}
	return v.err()
}

func orderKeyField(i int, name string) string { return "keys[" + strconv.Itoa(i) + "]." + name }

// checkDeliveredRetention refuses a retention the stores cannot keep.
func checkDeliveredRetention(v *problems, retention time.Duration) {
	v.check(retention == 0 || retention >= time.Second, "retention",
		"must be 0 (the default, %v) or at least 1s, not %v", DefaultDeliveredRetention, retention)
}

// MemoryDeliveredStore is a DeliveredStore kept in memory: it does not
// survive a restart, after which the backfill hands out again every order
// of its first pass. Use it in tests, or where that is acceptable. Make it
// with NewMemoryDeliveredStore; it is safe for concurrent use.
type MemoryDeliveredStore struct {
	set deliveredSet
}

// NewMemoryDeliveredStore returns an empty store that remembers a
// delivered key for retention (0 means DefaultDeliveredRetention). A
// negative retention is refused with a *tiki.ValidationError.
func NewMemoryDeliveredStore(retention time.Duration) (*MemoryDeliveredStore, error) {
	var v problems
	checkDeliveredRetention(&v, retention)
	if err := v.err(); err != nil {
		return nil, err
	}
	m := &MemoryDeliveredStore{}
	m.set.init(retention)
	return m, nil
}

// state returns the store's set; nil for a nil store.
func (m *MemoryDeliveredStore) state() *deliveredSet {
	if m == nil {
		return nil
	}
	return &m.set
}

// Delivered reports whether each key was marked delivered within the
// retention.
func (m *MemoryDeliveredStore) Delivered(ctx context.Context, keys []OrderKey) (done []bool, err error) {
	err = m.state().do(ctx, keys, func() error {
		done = m.set.delivered(keys)
		return nil
	})
	return done, err
}

// MarkDelivered records keys as delivered now.
func (m *MemoryDeliveredStore) MarkDelivered(ctx context.Context, keys ...OrderKey) error {
	return m.state().do(ctx, keys, func() error {
		m.set.mark(keys)
		return nil
	})
}

// Checkpoint returns the checkpoint last saved, or the zero time.
func (m *MemoryDeliveredStore) Checkpoint(ctx context.Context) (t time.Time, err error) {
	err = m.state().do(ctx, nil, func() error {
		t = m.set.checkpoint
		return nil
	})
	return t, err
}

// SaveCheckpoint stores t as the checkpoint.
func (m *MemoryDeliveredStore) SaveCheckpoint(ctx context.Context, t time.Time) error {
	return m.state().do(ctx, nil, func() error {
		m.set.checkpoint = t
		return nil
	})
}
