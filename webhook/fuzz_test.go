package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

func FuzzParseTime(f *testing.F) {
	for _, seed := range []string{
		"2021-04-07T06:06:46.494Z", "2020-10-27T15:50:19Z", "2023-05-01 10:00:00",
		"2023-05-01T10:00:00+07:00", "2023-05-01 10:00:00.123456", "1990-12-31", "",
		"0000-00-00 00:00:00", "2023-05-01 10:00:00+07:00", "2023-05-01 10:00:00+24:00",
	} {
		f.Add(seed)
	}
	ict := time.FixedZone("ICT", 7*60*60)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := webhook.ParseTime(s, ict)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseTime(%q) failed but returned %v", s, got)
			}
			return
		}
		if _, err := got.MarshalJSON(); err != nil {
			t.Fatalf("ParseTime(%q) = %v, which does not encode as JSON: %v", s, got, err)
		}
		// What parsed once parses again, to the same instant, from its
		// RFC 3339 form.
		again, err := webhook.ParseTime(got.Format(time.RFC3339Nano), nil)
		if err != nil {
			// Years outside 0000-9999 do not round-trip through RFC 3339.
			if y := got.Year(); y >= 0 && y <= 9999 {
				t.Fatalf("ParseTime(%q) = %v, whose RFC 3339 form does not parse: %v", s, got, err)
			}
			return
		}
		if !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, round trip gives %v", s, got, again)
		}
	})
}

// FuzzMemoryDedupe runs random sequences of operations against a
// MemoryDedupe and a trivially correct model of it.
func FuzzMemoryDedupe(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 0, 8, 0, 16, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		ctx := context.Background()
		var clock time.Time
		m := webhook.NewMemoryDedupe(webhook.WithClock(func() time.Time { return clock }), webhook.WithMaxKeys(1<<20))
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
				want := webhook.Claimed
				switch h := model[key]; {
				case !live(key):
					model[key] = held{clock.Add(ttl), token}
				case h.token == "":
					want = webhook.Completed
				case h.token != token:
					want = webhook.ClaimedByOther
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
