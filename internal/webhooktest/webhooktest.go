package webhooktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/webhook"
)

// ReadFile returns the content of the file at path, relative to the
// directory of the package under test (the repository's fixtures are in
// "../testdata"). It fails t if the file cannot be read.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	return b
}

// Member returns the member name ("data", "payload") of the JSON object
// body, exactly as written; nil when it is absent.
func Member(t testing.TB, body []byte, name string) json.RawMessage {
	t.Helper()
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &members))
	return members[name]
}

// Seed adds to the corpus of f the content of every file matching each of
// patterns, and each of extra. A pattern that matches no file fails f.
func Seed(f *testing.F, patterns []string, extra ...string) {
	f.Helper()
	for _, pattern := range patterns {
		paths, err := filepath.Glob(filepath.FromSlash(pattern))
		if err != nil || len(paths) == 0 {
			f.Fatalf("no fixture matches %s: %v", pattern, err)
		}
		for _, p := range paths {
			f.Add(ReadFile(f, p))
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// Spawn runs fn in a goroutine tracked by wg, like sync.WaitGroup.Go, which
// needs Go 1.25.
func Spawn(wg *sync.WaitGroup, fn func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		fn()
	}()
}

// Pad returns a copy of body followed by spaces up to size bytes: the same
// JSON document, of another size.
func Pad(body []byte, size int) []byte {
	return append(bytes.Clone(body), bytes.Repeat([]byte(" "), size-len(body))...)
}

// Typed turns fn, a handler of any event of a receiver (Ev, their
// interface), into a handler of one event type E, as a registration method
// takes it; nil stays nil, so that registering it removes the handler.
func Typed[E, Ev any](fn func(context.Context, Ev) error) func(context.Context, E) error {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, ev E) error {
		v, ok := any(ev).(Ev)
		if !ok {
			return fmt.Errorf("webhooktest: %T is not an event of the receiver", ev)
		}
		return fn(ctx, v)
	}
}

// Recorder records the events handlers are given. It is safe for
// concurrent use; the zero value is empty.
type Recorder[E any] struct {
	mu     sync.Mutex
	events []E
}

// Add records ev and returns nil, so that a handler can end with
// "return rec.Add(ev)".
func (r *Recorder[E]) Add(ev E) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// Got returns the events recorded so far.
func (r *Recorder[E]) Got() []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]E(nil), r.events...)
}

// Record registers on rc, with registerAll, a handler of every event that
// records it, and returns the Recorder.
func Record[R, Ev any](rc R, registerAll func(R, func(context.Context, Ev) error)) *Recorder[Ev] {
	rec := &Recorder[Ev]{}
	registerAll(rc, func(_ context.Context, ev Ev) error { return rec.Add(ev) })
	return rec
}

// Errors records the errors a receiver reports. It is safe for concurrent
// use; the zero value is empty.
type Errors struct {
	Recorder[error]
}

// Option returns the option that makes a receiver report to e.
func (e *Errors) Option() webhook.Option {
	return webhook.WithOnError(func(_ *http.Request, err error) { _ = e.Add(err) })
}

// Last returns the last error recorded, nil if none.
func (e *Errors) Last() error {
	got := e.Got()
	if len(got) == 0 {
		return nil
	}
	return got[len(got)-1]
}

// RecordingStore is a [dedupe.MemoryStore] that records the calls made to
// it as "claim KEY TTL", "complete KEY TTL" and "release KEY" (tokens, being
// random, are left out).
type RecordingStore struct {
	*dedupe.MemoryStore
	calls Recorder[string]
}

// NewRecordingStore returns an empty RecordingStore.
func NewRecordingStore() *RecordingStore {
	return &RecordingStore{MemoryStore: new(dedupe.MemoryStore)}
}

// Claim implements [dedupe.Store].
func (s *RecordingStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (dedupe.ClaimState, error) {
	_ = s.calls.Add("claim " + key + " " + ttl.String())
	return s.MemoryStore.Claim(ctx, key, token, ttl)
}

// Complete implements [dedupe.Store].
func (s *RecordingStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	_ = s.calls.Add("complete " + key + " " + ttl.String())
	return s.MemoryStore.Complete(ctx, key, ttl)
}

// Release implements [dedupe.Store].
func (s *RecordingStore) Release(ctx context.Context, key, token string) error {
	_ = s.calls.Add("release " + key)
	return s.MemoryStore.Release(ctx, key, token)
}

// Calls returns the calls made so far.
func (s *RecordingStore) Calls() []string {
	return s.calls.Got()
}

// CheckParsed checks what a receiver's Parse function returned for an
// arbitrary body: an event or an error wrapping
// [webhook.ErrMalformedPayload], never both nor neither, and an event that
// encodes as JSON again. It reports whether there is an event to check
// further.
func CheckParsed(t testing.TB, ev any, err error) bool {
	t.Helper()
	if err != nil {
		if !errors.Is(err, webhook.ErrMalformedPayload) {
			t.Fatalf("error does not wrap ErrMalformedPayload: %v", err)
		}
		if ev != nil {
			t.Fatalf("Parse returned both %T and an error", ev)
		}
		return false
	}
	if ev == nil {
		t.Fatal("Parse returned neither an event nor an error")
	}
	// A decoded event encodes again: its values are all representable.
	if _, err := json.Marshal(ev); err != nil {
		t.Fatalf("decoded %T does not encode: %v", ev, err)
	}
	return true
}

// StubStore is a [dedupe.Store] whose calls fail on demand and are recorded.
type StubStore struct {
	// State is what Claim answers.
	State dedupe.ClaimState
	// ClaimErr, CompleteErr and ReleaseErr are what the calls return.
	ClaimErr, CompleteErr, ReleaseErr error

	mu sync.Mutex
	// Calls are the calls made, as "claim KEY", "complete KEY" and
	// "release KEY"; read them once the calls are over.
	Calls []string
	// Tokens are the tokens of the Claim and Release calls.
	Tokens []string
	// TTLs are the ttls of the calls (0 for Release).
	TTLs []time.Duration
	// Ctxs are the contexts of the calls.
	Ctxs []context.Context
}

func (s *StubStore) record(call string, ctx context.Context, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, call)
	s.TTLs = append(s.TTLs, ttl)
	s.Ctxs = append(s.Ctxs, ctx)
}

// Claim implements [dedupe.Store].
func (s *StubStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (dedupe.ClaimState, error) {
	s.record("claim "+key, ctx, ttl)
	s.mu.Lock()
	s.Tokens = append(s.Tokens, token)
	s.mu.Unlock()
	return s.State, s.ClaimErr
}

// Complete implements [dedupe.Store].
func (s *StubStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	s.record("complete "+key, ctx, ttl)
	return s.CompleteErr
}

// Release implements [dedupe.Store].
func (s *StubStore) Release(ctx context.Context, key, token string) error {
	s.record("release "+key, ctx, 0)
	s.mu.Lock()
	s.Tokens = append(s.Tokens, token)
	s.mu.Unlock()
	return s.ReleaseErr
}

// RequireRefused checks that err is a [*tiki.ValidationError] (found with
// errors.As) listing exactly the problems want, in order.
func RequireRefused(t testing.TB, err error, want []tiki.FieldProblem, msgAndArgs ...any) {
	t.Helper()
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve, msgAndArgs...)
	require.Equal(t, want, ve.Problems, msgAndArgs...)
}

// Clock is a clock that moves only when told to, for stores and tests
// that read the time through a function. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at a fixed time.
func NewClock() *Clock {
	return &Clock{now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// WatchedStore is a [dedupe.Store] that records the calls made to it, as
// RecordingStore does, and signals on Renewals the key of every Claim made
// with the token that already holds the key: a dedupe.Runner renewing the
// claim of a running handler.
type WatchedStore struct {
	dedupe.Store
	// Renewals receives the key of each renewal; one the test does not
	// wait for is dropped once 100 are waiting.
	Renewals chan string

	mu     sync.Mutex
	tokens map[string]string // key -> token of its last successful Claim
	calls  []string
}

// NewWatchedStore returns a WatchedStore in front of store.
func NewWatchedStore(store dedupe.Store) *WatchedStore {
	return &WatchedStore{Store: store, Renewals: make(chan string, 100), tokens: map[string]string{}}
}

// Claim implements [dedupe.Store].
func (s *WatchedStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (dedupe.ClaimState, error) {
	state, err := s.Store.Claim(ctx, key, token, ttl)
	s.mu.Lock()
	renewal := s.tokens[key] == token
	if state == dedupe.Claimed {
		s.tokens[key] = token
	}
	s.calls = append(s.calls, "claim "+key)
	s.mu.Unlock()
	if renewal {
		select {
		case s.Renewals <- key:
		default: // the test is not waiting for renewals any more
		}
	}
	return state, err
}

// Complete implements [dedupe.Store].
func (s *WatchedStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	s.record("complete " + key)
	return s.Store.Complete(ctx, key, ttl)
}

// Release implements [dedupe.Store].
func (s *WatchedStore) Release(ctx context.Context, key, token string) error {
	s.record("release " + key)
	return s.Store.Release(ctx, key, token)
}

func (s *WatchedStore) record(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

// Calls returns the calls made so far, as "claim KEY", "complete KEY" and
// "release KEY".
func (s *WatchedStore) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// AwaitRenewal drops the renewals signalled so far, waits for the next one
// and reports whether it came, for key, within a few seconds; it fails t
// otherwise. The renewal it waits for may have been under way when it was
// called: a test that moves a store's clock after each renewal moves it by
// less than half the claim's ttl, so that the claim cannot expire between
// two renewals.
func (s *WatchedStore) AwaitRenewal(t testing.TB, key string) bool {
	t.Helper()
	for drained := false; !drained; {
		select {
		case <-s.Renewals:
		default:
			drained = true
		}
	}
	select {
	case got := <-s.Renewals:
		if got != key {
			t.Errorf("renewed %s, want %s", got, key)
			return false
		}
		return true
	case <-time.After(10 * time.Second):
		t.Errorf("the claim of %s was not renewed", key)
		return false
	}
}

// DefaultLog makes slog.Default() write, as text, to the buffer it returns
// until t ends, when the default logger (and the log package's output,
// which slog.SetDefault redirects) are restored. Read the buffer once what
// logs has returned. A test that calls it must not be parallel: the
// default logger is the process's.
func DefaultLog(t testing.TB) *bytes.Buffer {
	t.Helper()
	logs := &bytes.Buffer{}
	prev, out, flags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(out)
		log.SetFlags(flags)
	})
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	return logs
}
