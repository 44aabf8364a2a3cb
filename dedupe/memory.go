package dedupe

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// ErrFull reports that a [MemoryStore] holds as many keys as it may, all
// of them claims whose handlers are still running: it cannot remember a new
// key without evicting one of them. Claim fails (a webhook receiver answers
// 503, so that the sender delivers again later); nothing runs twice.
var ErrFull = errors.New("dedupe: memory store full of running claims")

// DefaultMaxKeys is how many keys a [MemoryStore] holds unless configured
// otherwise. At roughly 200 bytes a key it bounds the store to a few tens of
// megabytes.
const DefaultMaxKeys = 100_000

// MemoryStore is an in-memory [Store] for a service that runs as a
// single instance. Several instances need a shared store (Redis, a database)
// instead: each would otherwise handle its own copy of a delivery.
//
// Memory stays bounded without a background goroutine: every call first
// drops the keys whose ttl elapsed, and the store holds at most MaxKeys
// keys. A claim that is still running is never evicted: evicting it would
// let a copy of its delivery run the handler a second time, beside the
// first run. When the store is full, making room for a new key evicts the
// completed key closest to expiry, which only weakens deduplication (a copy
// of that delivery would run again); when every key held is a running
// claim, Claim refuses the new key with an error wrapping [ErrFull] (a
// webhook receiver answers 503, so that the sender delivers it again once
// a run has finished), and Complete of a key it does not hold returns such
// an error too.
//
// The zero value is an empty store with DefaultMaxKeys that reads
// [time.Now]; [NewMemoryStore] sets either. A MemoryStore is safe for
// concurrent use.
type MemoryStore struct {
	now     func() time.Time // nil: time.Now
	maxKeys int              // 0: DefaultMaxKeys

	mu   sync.Mutex
	keys map[string]*memoryKey
	// The same keys, ordered by expiry: the running claims and the
	// completed keys apart, so that only completed ones are evicted.
	running, completed expiryHeap
	seq                uint64 // orders keys of the same expiry by when they got it
}

// MemoryOption configures a [MemoryStore]. An option whose value is invalid
// returns an error; [NewMemoryStore] reports every such problem.
type MemoryOption func(*MemoryStore) error

// WithClock makes the store read the time from now instead of [time.Now],
// so that tests can move time forward. now must not be nil.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *MemoryStore) error {
		if now == nil {
			return invalid("WithClock(now)", "must not be nil")
		}
		m.now = now
		return nil
	}
}

// WithMaxKeys sets how many keys the store holds at most (DefaultMaxKeys
// unless set). n must be positive.
func WithMaxKeys(n int) MemoryOption {
	return func(m *MemoryStore) error {
		if n <= 0 {
			return invalid("WithMaxKeys(n)", "must be positive (got %d)", n)
		}
		m.maxKeys = n
		return nil
	}
}

// NewMemoryStore returns an empty in-memory store configured by opts. An
// invalid option (or a nil one) makes it return no store and one
// [*tiki.ValidationError] listing every problem.
func NewMemoryStore(opts ...MemoryOption) (*MemoryStore, error) {
	m := &MemoryStore{}
	var problems []tiki.FieldProblem
	for i, opt := range opts {
		if opt == nil {
			problems = append(problems, tiki.FieldProblem{Field: fmt.Sprintf("opts[%d]", i), Problem: "must not be nil"})
			continue
		}
		var ve *tiki.ValidationError
		if err := opt(m); errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
		} else if err != nil {
			problems = append(problems, tiki.FieldProblem{Field: fmt.Sprintf("opts[%d]", i), Problem: err.Error()})
		}
	}
	if problems != nil {
		return nil, &tiki.ValidationError{Problems: problems}
	}
	return m, nil
}

// invalid returns the error of an option whose value is invalid.
func invalid(field, format string, args ...any) error {
	return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: field, Problem: fmt.Sprintf(format, args...)}}}
}

// clock returns the current time of the store. m.mu must be held.
func (m *MemoryStore) clock() time.Time {
	if m.now == nil {
		return time.Now()
	}
	return m.now()
}

// Claim implements [Store]. A claim of a key already held with token is
// renewed: it then lasts ttl from now.
func (m *MemoryStore) Claim(_ context.Context, key, token string, ttl time.Duration) (ClaimState, error) {
	if err := checkTTL(ttl); err != nil {
		return 0, err
	}
	if token == "" {
		return 0, errors.New("dedupe: claim token must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	m.dropExpired(now)
	if k, held := m.keys[key]; held {
		switch k.token {
		case "":
			return Completed, nil
		case token:
			m.running.remove(k)
			m.push(k, now.Add(ttl))
			return Claimed, nil
		default:
			return ClaimedByOther, nil
		}
	}
	if err := m.add(key, token, now.Add(ttl)); err != nil {
		return 0, err
	}
	return Claimed, nil
}

// Complete implements [Store].
func (m *MemoryStore) Complete(_ context.Context, key string, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	m.dropExpired(now)
	if k, held := m.keys[key]; held {
		m.heap(k).remove(k)
		k.token = ""
		m.push(k, now.Add(ttl))
		return nil
	}
	return m.add(key, "", now.Add(ttl))
}

// Release implements [Store].
func (m *MemoryStore) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, held := m.keys[key]; held && token != "" && k.token == token {
		m.running.remove(k)
		delete(m.keys, key)
	}
	return nil
}

// Len returns how many keys are held now.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired(m.clock())
	return len(m.keys)
}

// add holds a key that is not held, evicting the completed key closest to
// expiry if the store is full; when it is full of running claims, it holds
// nothing and returns an error wrapping ErrFull. m.mu must be held.
func (m *MemoryStore) add(key, token string, expires time.Time) error {
	limit := m.maxKeys
	if limit <= 0 {
		limit = DefaultMaxKeys
	}
	for len(m.keys) >= limit {
		if len(m.completed) == 0 {
			return fmt.Errorf("%w: %d keys held, none completed: cannot hold %q", ErrFull, len(m.keys), key)
		}
		evicted := heap.Pop(&m.completed).(*memoryKey)
		delete(m.keys, evicted.key)
	}
	k := &memoryKey{key: key, token: token}
	m.push(k, expires)
	if m.keys == nil {
		m.keys = make(map[string]*memoryKey)
	}
	m.keys[key] = k
	return nil
}

// push puts k, with its new expiry, in the heap of its state. m.mu must be
// held.
func (m *MemoryStore) push(k *memoryKey, expires time.Time) {
	m.seq++
	k.expires, k.seq = expires, m.seq
	heap.Push(m.heap(k), k)
}

// heap returns the heap k belongs in: running claims or completed keys.
func (m *MemoryStore) heap(k *memoryKey) *expiryHeap {
	if k.token == "" {
		return &m.completed
	}
	return &m.running
}

// dropExpired forgets the keys whose expiry is not after now. m.mu must be
// held.
func (m *MemoryStore) dropExpired(now time.Time) {
	for _, h := range []*expiryHeap{&m.running, &m.completed} {
		for len(*h) > 0 && !(*h)[0].expires.After(now) {
			k := heap.Pop(h).(*memoryKey)
			delete(m.keys, k.key)
		}
	}
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("dedupe: ttl must be positive, got %v", ttl)
	}
	return nil
}

type memoryKey struct {
	key     string
	token   string // the claim's token; "" once completed
	expires time.Time
	seq     uint64 // when expires was set, to order keys of equal expiry
	index   int    // position in its expiryHeap
}

// expiryHeap is a min-heap of keys by expiry (then by seq), for
// [container/heap].
type expiryHeap []*memoryKey

func (h expiryHeap) Len() int { return len(h) }

func (h expiryHeap) Less(i, j int) bool {
	if !h[i].expires.Equal(h[j].expires) {
		return h[i].expires.Before(h[j].expires)
	}
	return h[i].seq < h[j].seq
}

func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *expiryHeap) Push(x any) {
	k := x.(*memoryKey)
	k.index = len(*h)
	*h = append(*h, k)
}

func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old) - 1
	k := old[n]
	old[n] = nil
	*h = old[:n]
	return k
}

// remove takes k, which h holds, out of h.
func (h *expiryHeap) remove(k *memoryKey) { heap.Remove(h, k.index) }
