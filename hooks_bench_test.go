package tiki

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// cannedTransport answers every request with a small order, from memory.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}},
		Body:       io.NopCloser(bytes.NewReader([]byte(`{"id":1,"code":"929231617","status":"queueing"}`))),
		Request:    r,
	}, nil
}

// benchmarkOrderGet measures client.Orders.Get by a client of setup made
// with opts, answered from memory (cannedTransport) so that the figures
// are the client's own, not loopback's.
func benchmarkOrderGet(b *testing.B, opts ...Option) {
	c, _ := setup(b, append([]Option{WithHTTPClient(&http.Client{Transport: cannedTransport{}})}, opts...)...)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Orders.Get(ctx, "929231617", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallWithoutHooks is one call of a client without hooks: it
// allocates what a call allocated before hooks existed.
func BenchmarkCallWithoutHooks(b *testing.B) { benchmarkOrderGet(b) }

// BenchmarkCallWithHooks is the same call with every hook set to a
// function that does nothing: what the hooks themselves cost.
func BenchmarkCallWithHooks(b *testing.B) {
	benchmarkOrderGet(b, WithHooks(Hooks{
		CallStart:    func(ctx context.Context, _ CallInfo) context.Context { return ctx },
		LimiterWait:  func(context.Context, CallInfo, LimiterWaitInfo) {},
		Attempt:      func(context.Context, CallInfo, AttemptInfo) {},
		CallDone:     func(context.Context, CallInfo, CallDoneInfo) {},
		TokenRenewal: func(context.Context, TokenRenewalInfo) {},
	}))
}
