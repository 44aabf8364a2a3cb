package webhook_test

import (
	"context"
	"sync"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stubStore is a DedupeStore whose calls fail on demand and are recorded.
type stubStore struct {
	state       webhook.ClaimState
	claimErr    error
	completeErr error
	releaseErr  error

	mu     sync.Mutex
	calls  []string
	tokens []string // of Claim and Release calls
	ttls   []time.Duration
	ctxs   []context.Context
}

func (s *stubStore) record(call string, ctx context.Context, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	s.ttls = append(s.ttls, ttl)
	s.ctxs = append(s.ctxs, ctx)
}

func (s *stubStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (webhook.ClaimState, error) {
	s.record("claim "+key, ctx, ttl)
	s.mu.Lock()
	s.tokens = append(s.tokens, token)
	s.mu.Unlock()
	return s.state, s.claimErr
}

func (s *stubStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	s.record("complete "+key, ctx, ttl)
	return s.completeErr
}

func (s *stubStore) Release(ctx context.Context, key, token string) error {
	s.record("release "+key, ctx, 0)
	s.mu.Lock()
	s.tokens = append(s.tokens, token)
	s.mu.Unlock()
	return s.releaseErr
}
