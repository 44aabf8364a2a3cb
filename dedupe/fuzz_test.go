package dedupe_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tikisdk/tiki/dedupe"
)

// FuzzMemoryStore runs random sequences of operations against a
// MemoryStore bounded to fewer keys than the operations use, and against a
// trivially correct model of it: expired keys are dropped, a full store
// evicts the completed key closest to expiry (the one completed first among
// equals) and never a running claim, and refuses a new key with ErrFull
// when it holds only running claims.
func FuzzMemoryStore(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 0, 8, 0, 16, 0})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 19, 3})   // full of running claims, then room made
	f.Add([]byte{4, 5, 6, 0, 7, 1, 0x47, 2, 3, 0}) // completed keys evicted by expiry
	f.Fuzz(func(t *testing.T, ops []byte) {
		const maxKeys = 3
		ctx := context.Background()
		var clock time.Time
		m, err := dedupe.NewMemoryStore(dedupe.WithClock(func() time.Time { return clock }), dedupe.WithMaxKeys(maxKeys))
		if err != nil {
			t.Fatal(err)
		}
		type held struct {
			expires time.Time
			token   string // "" once completed
			seq     int    // when expires was set, to order equal expiries
		}
		model := map[string]held{}
		seq := 0
		dropExpired := func() {
			for k, h := range model {
				if !h.expires.After(clock) {
					delete(model, k)
				}
			}
		}
		// add holds a key that is not held, as MemoryStore does, and
		// reports whether there was room for it.
		add := func(key string, h held) bool {
			if len(model) >= maxKeys {
				evict := ""
				for k, c := range model {
					if c.token != "" {
						continue
					}
					if e, ok := model[evict]; !ok || c.expires.Before(e.expires) || c.expires.Equal(e.expires) && c.seq < e.seq {
						evict = k
					}
				}
				if evict == "" {
					return false
				}
				delete(model, evict)
			}
			seq++
			h.seq = seq
			model[key] = h
			return true
		}
		for _, op := range ops {
			key := string(rune('a' + op%4))
			ttl := time.Duration(op>>4+1) * time.Second
			token := fmt.Sprint("run-", op>>4%2)
			switch (op >> 2) % 4 {
			case 0:
				state, err := m.Claim(ctx, key, token, ttl)
				dropExpired()
				want, full := dedupe.Claimed, false
				switch h, ok := model[key]; {
				case !ok:
					full = !add(key, held{expires: clock.Add(ttl), token: token})
				case h.token == "":
					want = dedupe.Completed
				case h.token != token:
					want = dedupe.ClaimedByOther
				default: // the caller's own claim: renewed
					seq++
					model[key] = held{expires: clock.Add(ttl), token: token, seq: seq}
				}
				if full {
					if !errors.Is(err, dedupe.ErrFull) {
						t.Fatalf("Claim(%q, %q) = %v, %v; model says the store is full of running claims", key, token, state, err)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if state != want {
					t.Fatalf("Claim(%q, %q) = %v, model says %v", key, token, state, want)
				}
			case 1:
				err := m.Complete(ctx, key, ttl)
				dropExpired()
				full := false
				if _, ok := model[key]; ok {
					seq++
					model[key] = held{expires: clock.Add(ttl), seq: seq}
				} else {
					full = !add(key, held{expires: clock.Add(ttl)})
				}
				if full != errors.Is(err, dedupe.ErrFull) || !full && err != nil {
					t.Fatalf("Complete(%q) = %v; model says full: %v", key, err, full)
				}
			case 2:
				if err := m.Release(ctx, key, token); err != nil {
					t.Fatal(err)
				}
				if h, ok := model[key]; ok && h.token == token && h.expires.After(clock) {
					delete(model, key)
				}
			case 3:
				clock = clock.Add(ttl)
			}
			dropExpired()
			if got := m.Len(); got != len(model) {
				t.Fatalf("Len() = %d, model has %d live keys", got, len(model))
			}
		}
	})
}
