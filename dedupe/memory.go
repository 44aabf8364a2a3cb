package dedupe

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultMaxKeys is how many keys a [MemoryStore] holds unless configured
// otherwise. At roughly 200 bytes a key it bounds the store to a few tens of
// megabytes.
const DefaultMaxKeys = 100_000

// MemoryStore is an in-memory [Store] for a service that runs as a
// single instance. Several instances need a shared store (Redis, a database)
// instead: each would otherwise handle its own copy of a delivery.
//
// Memory stays bounded without a background goroutine: every call first
// drops the keys whose ttl elapsed, and when MaxKeys keys are held, claiming
// a new one evicts the key closest to expiry. Eviction only weakens
// deduplication (a copy of the evicted delivery would run again); it never
// refuses a delivery.
//
// The zero value is not usable; create one with [NewMemoryStore]. A
// MemoryStore is safe for concurrent use.
type MemoryStore struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	keys    map[string]*memoryKey
	expires expiryHeap // the same keys, ordered by expiry
}

// MemoryOption configures a [MemoryStore].
type MemoryOption func(*MemoryStore)

// WithClock makes the store read the time from now instead of [time.Now],
// so that tests can move time forward. A nil now is ignored.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *MemoryStore) {
		if now != nil {
			m.now = now
		}
	}
}

// WithMaxKeys sets how many keys the store holds at most (DefaultMaxKeys
// unless set). Zero or less is ignored.
func WithMaxKeys(n int) MemoryOption {
	return func(m *MemoryStore) {
		if n > 0 {
			m.maxKeys = n
		}
	}
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	m := &MemoryStore{
		now:     time.Now,
		maxKeys: DefaultMaxKeys,
		keys:    make(map[string]*memoryKey),
	}
	for _, opt := range opts {
		opt(m)
	}
	return m
}

// Claim implements [Store].
func (m *MemoryStore) Claim(_ context.Context, key, token string, ttl time.Duration) (ClaimState, error) {
	if err := checkTTL(ttl); err != nil {
		return 0, err
	}
	if token == "" {
		return 0, errors.New("dedupe: claim token must not be empty")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if k, held := m.keys[key]; held {
		switch k.token {
		case "":
			return Completed, nil
		case token:
			return Claimed, nil
		default:
			return ClaimedByOther, nil
		}
	}
	m.add(key, token, now.Add(ttl))
	return Claimed, nil
}

// Complete implements [Store].
func (m *MemoryStore) Complete(_ context.Context, key string, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if k, held := m.keys[key]; held {
		k.token = ""
		k.expires = now.Add(ttl)
		heap.Fix(&m.expires, k.index)
		return nil
	}
	m.add(key, "", now.Add(ttl))
	return nil
}

// Release implements [Store].
func (m *MemoryStore) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, held := m.keys[key]; held && token != "" && k.token == token {
		heap.Remove(&m.expires, k.index)
		delete(m.keys, key)
	}
	return nil
}

// Len returns how many keys are held now.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired(m.now())
	return len(m.keys)
}

// add holds a key that is not held, evicting the key closest to expiry if
// the store is full. m.mu must be held.
func (m *MemoryStore) add(key, token string, expires time.Time) {
	for len(m.keys) >= m.maxKeys {
		oldest := heap.Pop(&m.expires).(*memoryKey)
		delete(m.keys, oldest.key)
	}
	k := &memoryKey{key: key, token: token, expires: expires}
	heap.Push(&m.expires, k)
	m.keys[key] = k
}

// dropExpired forgets the keys whose expiry is not after now. m.mu must be
// held.
func (m *MemoryStore) dropExpired(now time.Time) {
	for len(m.expires) > 0 && !m.expires[0].expires.After(now) {
		k := heap.Pop(&m.expires).(*memoryKey)
		delete(m.keys, k.key)
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
	index   int // position in expiryHeap
}

// expiryHeap is a min-heap of keys by expiry, for [container/heap].
type expiryHeap []*memoryKey

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }

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
