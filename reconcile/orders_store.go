package reconcile

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// DeliveredStore remembers, for each order, the latest delivery the
// seller's order handler accepted (its status and version, OrderKey),
// the orders whose hand-outs failed since, and where the backfill's
// checkpoint is. An OrdersBackfill reads and writes it; a live path that
// does not hand its orders over through OrdersBackfill.Deliver records its
// own deliveries with MarkDelivered. Use one store per seller.
//
// # Contract
//
//   - Latest returns, for each code, the latest delivery marked and not
//     forgotten since, or a zero OrderKey; one value per code, in order.
//   - MarkDelivered returns only once the keys are stored durably (as far
//     as the store is durable at all): the backfill saves a checkpoint
//     that covers them right after. Each key becomes its order's latest
//     delivery unless the latest already stored is newer (a later At; of
//     the same second, the key replaces it), and clears its order's
//     failures unless they are of a newer delivery (a later At than the
//     key's): a late event delivered after the backfill parked the order's
//     next status leaves it parked. Marking a key twice is not an error.
//   - A delivery is remembered for the store's retention after it was
//     marked, then may be forgotten. Retention must be longer than the
//     backfill reaches back (OrdersOptions.Overlap, plus the longest time
//     the backfill may not run): an order whose delivery was forgotten and
//     that a pass lists again is handed out again, a duplicate but never a
//     loss.
//   - RecordFailure counts a failed hand-out of an order, durably, and
//     returns the order's failures since its last delivery: the count, the
//     last key and error, when the first and the last failed. Failures
//     lists every order with such a count. They are kept until a delivery
//     of the order at least as new as the last failed key is marked (they
//     are not forgotten with the retention).
//   - Checkpoint returns the time SaveCheckpoint last stored, or the zero
//     time when none was stored; SaveCheckpoint returns once it is stored
//     durably. The backfill saves only checkpoints that move forward.
//   - Implementations must be safe for concurrent use, and return an error
//     when they cannot answer (never a guess). The backfill wraps their
//     errors in ErrDeliveredStore.
//
// NewMemoryDeliveredStore keeps the deliveries in memory (tests, or a
// process that accepts handing out a day of orders again after a
// restart), NewFileDeliveredStore in a file (one process). Replicas share
// one kept in Redis: the redisstore module's DeliveredStore.
type DeliveredStore interface {
	// Latest returns the latest delivery recorded for each of codes.
	Latest(ctx context.Context, codes []string) ([]OrderKey, error)
	// MarkDelivered records keys as delivered, durably.
	MarkDelivered(ctx context.Context, keys ...OrderKey) error
	// RecordFailure records a failed hand-out of key, durably, and
	// returns its order's failures since its last delivery.
	RecordFailure(ctx context.Context, key OrderKey, cause string) (OrderFailure, error)
	// Failures returns every order with failures since its last delivery.
	Failures(ctx context.Context) ([]OrderFailure, error)
	// Checkpoint returns the checkpoint last saved, or the zero time.
	Checkpoint(ctx context.Context) (time.Time, error)
	// SaveCheckpoint stores t as the checkpoint, durably.
	SaveCheckpoint(ctx context.Context, t time.Time) error
}

// DefaultDeliveredRetention is how long a store made with a retention of
// 0 remembers a delivery: a backfill that does not run for up to a week
// resumes without handing out again what the live path delivered.
const DefaultDeliveredRetention = 7 * 24 * time.Hour

// deliveredRecord is an order's latest delivery in the memory and file
// stores.
type deliveredRecord struct {
	status tiki.OrderStatus
	at     int64 // the delivery's At, Unix seconds
	marked int64 // Unix seconds it was marked at
}

// unixVN is a time of the stores, Unix seconds, as the stores return it:
// in Vietnam time.
func unixVN(sec int64) time.Time { return time.Unix(sec, 0).In(tiki.Vietnam()) }

// deliveredSet is the in-memory state of the memory and file stores: the
// latest delivery and the failures of each order and the checkpoint,
// behind a lock.
type deliveredSet struct {
	mu         sync.Mutex
	retention  time.Duration
	now        func() time.Time
	latest     map[string]deliveredRecord // order code -> its latest delivery
	failures   map[string]OrderFailure    // order code -> its failures since
	checkpoint time.Time
	sweepAt    int64 // Unix seconds of the next sweep of expired deliveries
}

// init makes an empty set that remembers deliveries for retention (0: the
// default).
func (s *deliveredSet) init(retention time.Duration) {
	s.retention = ordersDefault(retention, DefaultDeliveredRetention)
	s.now = time.Now
	s.latest = map[string]deliveredRecord{}
	s.failures = map[string]OrderFailure{}
}

// do checks a store call's context, runs check (when set) and then fn with
// the set locked. A nil set, or one that was never initialised, is a store
// that was not made by its constructor.
func (s *deliveredSet) do(ctx context.Context, check func(*problems), fn func() error) error {
	var v problems
	v.check(ctx != nil, "ctx", "must not be nil")
	if check != nil {
		check(&v)
	}
	if err := v.err(); err != nil {
		return err
	}
	if s == nil || s.latest == nil {
		return errors.New("reconcile: the store must be made with its constructor")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// live reports whether a delivery marked at is still remembered at now.
func (s *deliveredSet) live(at, now int64) bool {
	return now-at < int64(s.retention/time.Second)
}

// latestOf returns the latest delivery of each code. s.mu must be held.
func (s *deliveredSet) latestOf(codes []string) []OrderKey {
	now := s.now().Unix()
	out := make([]OrderKey, len(codes))
	for i, c := range codes {
		if r, ok := s.latest[c]; ok && s.live(r.marked, now) {
			out[i] = OrderKey{Code: c, Status: r.status, At: unixVN(r.at)}
		}
	}
	return out
}

// put makes r the latest delivery of code unless a newer one is
// remembered, and clears the order's failures unless they are of a newer
// delivery. s.mu must be held.
func (s *deliveredSet) put(code string, r deliveredRecord, now int64) {
	if cur, ok := s.latest[code]; !ok || !s.live(cur.marked, now) || cur.at <= r.at {
		s.latest[code] = r
	}
	if f, ok := s.failures[code]; ok && f.Key.At.Unix() <= r.at {
		delete(s.failures, code)
	}
}

// mark records keys at the present and, now and then, forgets the expired
// deliveries. s.mu must be held.
func (s *deliveredSet) mark(keys []OrderKey) {
	now := s.now().Unix()
	for _, k := range keys {
		s.put(k.Code, deliveredRecord{status: k.Status.Canonical(), at: k.At.Unix(), marked: now}, now)
	}
	if now >= s.sweepAt {
		for code, r := range s.latest {
			if !s.live(r.marked, now) {
				delete(s.latest, code)
			}
		}
		s.sweepAt = now + max(int64(s.retention/time.Second)/8, 1)
	}
}

// fail counts a failed hand-out of key and returns the order's failures.
// s.mu must be held.
func (s *deliveredSet) fail(key OrderKey, cause string) OrderFailure {
	now := unixVN(s.now().Unix())
	f := s.failures[key.Code]
	if f.Failures == 0 {
		f.First = now
	}
	f.Key = OrderKey{Code: key.Code, Status: key.Status.Canonical(), At: deliveryTime(key.At)}
	f.Failures++
	f.Last, f.Err = now, cause
	s.failures[key.Code] = f
	return f
}

// failuresList returns the orders with failures, by code. s.mu must be
// held.
func (s *deliveredSet) failuresList() []OrderFailure {
	out := make([]OrderFailure, 0, len(s.failures))
	for _, f := range s.failures {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b OrderFailure) int { return strings.Compare(a.Key.Code, b.Key.Code) })
	return out
}

// checkOrderCodes refuses codes the stores cannot look up.
func checkOrderCodes(codes []string) func(*problems) {
	return func(v *problems) {
		for i, c := range codes {
			v.check(c != "", "codes["+strconv.Itoa(i)+"]", "is required")
		}
	}
}

// checkOrderKeys refuses keys the stores cannot hold.
func checkOrderKeys(keys ...OrderKey) func(*problems) {
	return func(v *problems) {
		for i, k := range keys {
			v.check(k.Code != "", orderKeyField(i, "Code"), "is required")
			v.check(k.Status != "", orderKeyField(i, "Status"), "is required")
			v.check(!k.At.IsZero(), orderKeyField(i, "At"), "is required")
		}
	}
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
// delivery for retention (0 means DefaultDeliveredRetention). A negative
// retention is refused with a *tiki.ValidationError.
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

// Latest returns the latest delivery of each order marked within the
// retention.
func (m *MemoryDeliveredStore) Latest(ctx context.Context, codes []string) (keys []OrderKey, err error) {
	err = m.state().do(ctx, checkOrderCodes(codes), func() error {
		keys = m.set.latestOf(codes)
		return nil
	})
	return keys, err
}

// MarkDelivered records keys as delivered now.
func (m *MemoryDeliveredStore) MarkDelivered(ctx context.Context, keys ...OrderKey) error {
	return m.state().do(ctx, checkOrderKeys(keys...), func() error {
		m.set.mark(keys)
		return nil
	})
}

// RecordFailure counts a failed hand-out of key.
func (m *MemoryDeliveredStore) RecordFailure(ctx context.Context, key OrderKey, cause string) (f OrderFailure, err error) {
	err = m.state().do(ctx, checkOrderKeys(key), func() error {
		f = m.set.fail(key, cause)
		return nil
	})
	return f, err
}

// Failures returns the orders with failures since their last delivery.
func (m *MemoryDeliveredStore) Failures(ctx context.Context) (out []OrderFailure, err error) {
	err = m.state().do(ctx, nil, func() error {
		out = m.set.failuresList()
		return nil
	})
	return out, err
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
