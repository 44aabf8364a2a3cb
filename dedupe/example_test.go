package dedupe_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tikisdk/tiki/dedupe"
)

// A Deduper runs the handler of the first copy of a delivery only; a failed
// run frees the key so that the sender's next attempt is handled.
func ExampleRunner() {
	d := dedupe.Runner{
		Store:     new(dedupe.MemoryStore),
		Lease:     time.Minute,
		Retention: 24 * time.Hour,
	}
	ctx := context.Background()
	key := "example:" + "A1"

	outcome, err := d.Do(ctx, key, func(context.Context) error { return errors.New("database down") })
	fmt.Println(outcome, errors.Is(err, dedupe.ErrHandlerFailed))

	outcome, _ = d.Do(ctx, key, func(context.Context) error { return nil })
	fmt.Println(outcome)

	outcome, _ = d.Do(ctx, key, func(context.Context) error { return nil })
	fmt.Println(outcome)
	// Output:
	// failed true
	// handled
	// duplicate
}

// A MemoryStore takes a clock, so that tests can expire keys without
// sleeping.
func ExampleNewMemoryStore() {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	store, err := dedupe.NewMemoryStore(dedupe.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	first, _ := store.Claim(ctx, "k", "run-1", time.Minute)
	second, _ := store.Claim(ctx, "k", "run-2", time.Minute)
	now = now.Add(time.Minute)
	afterTTL, _ := store.Claim(ctx, "k", "run-2", time.Minute)
	_ = store.Complete(ctx, "k", time.Hour)
	afterComplete, _ := store.Claim(ctx, "k", "run-3", time.Minute)
	fmt.Println(first, "|", second, "|", afterTTL, "|", afterComplete)
	// Output: claimed | claimed by other | claimed | completed
}
