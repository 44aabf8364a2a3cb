package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is a capped exponential backoff with "equal jitter": the n-th wait
// is drawn uniformly from [d/2, d], where d = min(Max, Min*2^(n-1)). Half of
// every wait is guaranteed, so retries never hammer the server, and the other
// half spreads concurrent clients apart.
type Policy struct {
	Min time.Duration
	Max time.Duration
}

// Wait returns the wait before retry number n (n >= 1).
func (p Policy) Wait(n int) time.Duration {
	if p.Min <= 0 {
		return 0
	}
	limit := p.Max
	if limit < p.Min {
		limit = p.Min
	}
	d := p.Min
	for i := 1; i < n && d < limit; i++ {
		if d > limit/2 {
			d = limit // doubling would pass the cap (or overflow)
			break
		}
		d *= 2
	}
	if d > limit {
		d = limit
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// RetryAfter parses a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110, section 10.2.3). It reports false when the value is
// absent or malformed. A date in the past yields zero.
func RetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(365*24*time.Hour/time.Second) {
			secs = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// Sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
