package tiki_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tikisdk/tiki"
)

// The benchmarks compare the SDK with a plain net/http + encoding/json client
// that sends the same request (same headers) to the same loopback server and
// decodes the same body into the same types. The SDK's limiter is switched
// off so that the figures are per-call overhead, not Tiki's rate limit.
// Run: go test -run='^$' -bench=. -benchmem -count=10 . | benchstat

// benchServer serves a fixture at every path.
func benchServer(b *testing.B, fixture string) *httptest.Server {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

func benchSDK(b *testing.B, srv *httptest.Server) *tiki.Client {
	b.Helper()
	c, err := tiki.NewClient(
		tiki.WithBaseURL(srv.URL+"/integration"),
		tiki.WithSellerKey("bench-seller-key"),
		tiki.WithRateLimit(0, 0),
		tiki.WithHTTPClient(&http.Client{Timeout: 30 * time.Second, Transport: benchTransport()}),
	)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// rawGet is the baseline: one GET with the SDK's headers, status check and
// JSON decoding into out.
func rawGet(ctx context.Context, hc *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("tiki-api", "bench-seller-key")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "raw/1.0")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func BenchmarkCategories(b *testing.B) {
	srv := benchServer(b, "categories_list.json")
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		b.ReportAllocs()
		for range b.N {
			cats, _, err := c.Catalog.Categories(ctx, nil)
			if err != nil || len(cats) != 16 {
				b.Fatal(err, len(cats))
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		hc := &http.Client{Timeout: 30 * time.Second, Transport: benchTransport()}
		b.ReportAllocs()
		for range b.N {
			var out struct {
				Data []tiki.Category `json:"data"`
			}
			if err := rawGet(ctx, hc, srv.URL+"/integration/v2/categories", &out); err != nil || len(out.Data) != 16 {
				b.Fatal(err, len(out.Data))
			}
		}
	})
}
