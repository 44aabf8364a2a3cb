package dedupe_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tikisdk/tiki/dedupe"
)

// FuzzMemoryStore runs random sequences of operations against a
// MemoryStore and a trivially correct model of it.
func FuzzMemoryStore(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 0, 8, 0, 16, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		ctx := context.Background()
		var clock time.Time
		m := dedupe.NewMemoryStore(dedupe.WithClock(func() time.Time { return clock }), dedupe.WithMaxKeys(1<<20))
		type held struct {
			expires time.Time
			token   string // "" once completed
		}
		model := map[string]held{}
		live := func(key string) bool {
			h, ok := model[key]
			return ok && h.expires.After(clock)
		}
		for _, op := range ops {
			key := string(rune('a' + op%4))
			ttl := time.Duration(op>>4+1) * time.Second
			token := fmt.Sprint("run-", op>>4%2)
			switch (op >> 2) % 4 {
			case 0:
				state, err := m.Claim(ctx, key, token, ttl)
				if err != nil {
					t.Fatal(err)
				}
				want := dedupe.Claimed
				switch h := model[key]; {
				case !live(key):
					model[key] = held{clock.Add(ttl), token}
				case h.token == "":
					want = dedupe.Completed
				case h.token != token:
					want = dedupe.ClaimedByOther
				}
				if state != want {
					t.Fatalf("Claim(%q, %q) = %v, model says %v", key, token, state, want)
				}
			case 1:
				if err := m.Complete(ctx, key, ttl); err != nil {
					t.Fatal(err)
				}
				model[key] = held{clock.Add(ttl), ""}
			case 2:
				if err := m.Release(ctx, key, token); err != nil {
					t.Fatal(err)
				}
				if h, ok := model[key]; ok && h.token == token {
					delete(model, key)
				}
			case 3:
				clock = clock.Add(ttl)
			}
			want := 0
			for k := range model {
				if live(k) {
					want++
				}
			}
			if got := m.Len(); got != want {
				t.Fatalf("Len() = %d, model has %d live keys", got, want)
			}
		}
	})
}
