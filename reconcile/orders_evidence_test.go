package reconcile_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// TestOrdersBackfillThroughput is timing evidence (TIKI_EVIDENCE=1): the
// first pass over 30 days of a seller's orders (720 windows of an hour,
// 3,000 orders, every notification lost) against the fake with 50 ms and
// 150 ms injected round trips finishes within 1.15 × the floor that Tiki's
// rate limit sets, (requests / 200) s + 2 × round trip, with the client's
// default limiter. The same pass with one request in flight is measured
// beside it over 3 days.
func TestOrdersBackfillThroughput(t *testing.T) {
	if os.Getenv("TIKI_EVIDENCE") != "1" {
		t.Skip("timing evidence: runs with TIKI_EVIDENCE=1")
	}
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		for _, tc := range []struct {
			days, requests int
		}{{30, 0}, {3, 1}} {
			srv := tikitest.NewServer(t)
			now := time.Now()
			start := now.Add(-time.Duration(tc.days) * 24 * time.Hour)
			orders := tc.days * 100
			srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
			for i := range orders {
				_, err := srv.CreateOrder(tikitest.OrderSpec{CreatedAt: start.Add(time.Duration(i) * now.Sub(start) / time.Duration(orders))})
				require.NoError(t, err)
			}
			srv.Inject(tikitest.Fault{Method: http.MethodGet, Path: "/integration/v2/orders", Delay: rtt, Times: 1 << 30})
			client, err := srv.Client()
			require.NoError(t, err)
			store, err := reconcile.NewMemoryDeliveredStore(0)
			require.NoError(t, err)
			b, err := reconcile.NewOrdersBackfill(client, store, func(context.Context, reconcile.OrderDelivery) error { return nil },
				reconcile.OrdersOptions{Start: start, Requests: tc.requests})
			require.NoError(t, err)

			began := time.Now()
			report, err := b.Once(context.Background())
			elapsed := time.Since(began)
			require.NoError(t, err)
			assert.Len(t, report.Lost, orders)
			floor := time.Duration(report.Requests)*time.Second/200 + 2*rtt
			inFlight := tc.requests
			if inFlight == 0 {
				inFlight = reconcile.DefaultOrdersRequests
			}
			t.Logf("rtt %v, %d days, %d requests in flight: %d requests, %d orders, %v (floor %v, %.2f x)",
				rtt, tc.days, inFlight,
				report.Requests, len(report.Lost), elapsed.Round(time.Millisecond), floor, float64(elapsed)/float64(floor))
			if tc.requests == 0 {
				assert.LessOrEqual(t, elapsed, floor*115/100)
			}
			srv.Close()
		}
	}
}
