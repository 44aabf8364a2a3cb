package tiki

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestLimiterWaitsRatherThanRejects(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	// 50 per second with a burst of 1: 6 calls need at least 100 ms.
	c, _ := setupServer(t, s, WithRateLimit(50, 1))
	start := time.Now()
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := callThing(c, http.MethodGet)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, time.Since(start), 95*time.Millisecond)
	assert.EqualValues(t, 6, s.count.Load(), "every call went through: none rejected")
}

func TestEveryAttemptPassesLimiter(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(503, ``), status(500, ``), ok200)
	l := &countingLimiter{}
	c, _ := setupServer(t, s, WithLimiter(l))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.EqualValues(t, 3, l.n.Load())
	assert.EqualValues(t, 3, s.count.Load())
}

func TestLimiterHonoursContext(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	c, _ := setupServer(t, s, WithRateLimit(0.001, 1))
	_, _, err := callThing(c, http.MethodGet) // takes the only token
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.do(ctx, &request{method: http.MethodGet, group: GroupCatalog, path: "x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var reqErr *RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, 0, reqErr.Attempts)
	assert.EqualValues(t, 1, s.count.Load())
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	cases := map[string]Option{
		"nil http client":   WithHTTPClient(nil),
		"relative base URL": WithBaseURL("/integration"),
		"ftp base URL":      WithBaseURL("ftp://api.tiki.vn"),
		"base URL secrets":  WithBaseURL("https://user:pass@api.tiki.vn/integration"),
		"negative rate":     WithRateLimit(-1, 0),
		"negative burst":    WithRateLimit(10, -1),
		"nil limiter":       WithLimiter(nil),
		"zero attempts":     WithRetry(0, time.Second, time.Second),
		"min above max":     WithRetry(3, time.Second, time.Millisecond),
		"negative cap":      WithMaxRetryAfter(-time.Second),
		"nil logger":        WithLogger(nil),
		"unknown env":       WithEnvironment("staging"),
		"empty key":         WithSellerKey(" "),
		"empty token":       WithAccessToken(""),
		"nil token source":  WithTokenSource(nil),
		"unknown group":     WithAPIVersion("payments", V2),
		"unknown version":   WithAPIVersion(GroupCatalog, V21),
		"user agent CRLF":   WithUserAgent("x\r\nEvil: 1"),
		"client creds":      WithClientCredentials(ClientCredentials{ClientID: "id"}),
		"oauth app":         WithOAuthApp(OAuthApp{ClientID: "id", ClientSecret: "s"}, nil),
		"negative renewal":  WithTokenRenewal(-time.Second),
		"nil option":        nil,
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(opt)
			assert.Nil(t, c)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "tiki: "), err.Error())
		})
	}
}

func TestEnvironments(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithEnvironment(Sandbox))
	require.NoError(t, err)
	assert.Equal(t, "https://api-sandbox.tiki.vn/integration", c.BaseURL())
	assert.Equal(t, Sandbox, c.Environment())
	c, err = NewClient(WithBaseURL("http://127.0.0.1:8080/integration/"))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/integration", c.BaseURL())
	assert.Equal(t, Environment(""), c.Environment())
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	c, _ := setupServer(t, s, WithUserAgent("my-oms/2.3"))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.Equal(t, "my-oms/2.3 tiki-go/"+Version, s.header[0].Get("User-Agent"))
}

// TestSecretsNeverLogged runs a debug-logged session with every way of
// authenticating, failures included, and checks that no credential appears
// in any log line or error string.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	s := newOAuthServer(t)
	s.valid = func(tok string) bool { return tok != "tok-1" }
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
	modes := map[string]Option{
		"seller key":         WithSellerKey("tok-1"), // refused: error path
		"access token":       WithAccessToken("tok-1"),
		"client credentials": clientCredentials(AuthStylePost),
		"oauth app":          WithOAuthApp(app, &oauth2.Token{AccessToken: "tok-1", RefreshToken: "refresh-secret-0", Expiry: time.Now().Add(time.Hour)}),
		"token source":       WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-1"})),
	}
	var errs []string
	for name, opt := range modes {
		c := s.client(t, opt, WithLogger(logger), WithRetry(2, time.Millisecond, time.Millisecond))
		_, _, err := c.Catalog.Categories(context.Background(), nil)
		if err != nil {
			errs = append(errs, name+": "+err.Error())
		}
	}
	// A failing token endpoint too.
	bad := newOAuthServer(t)
	bad.tokenFail = `{"error":"invalid_client","error_description":"bad secret ` + testClientSecret + `"}`
	c := bad.client(t, clientCredentials(AuthStyleBasic), WithLogger(logger))
	_, _, err := c.Catalog.Categories(context.Background(), nil)
	require.Error(t, err)
	errs = append(errs, err.Error())

	mu.Lock()
	out := logs.String() + strings.Join(errs, "\n")
	mu.Unlock()
	require.Contains(t, out, "tiki: request", "the session was logged")
	require.Contains(t, out, "status=401")
	for _, secret := range []string{"tok-1", "tok-2", "refresh-1", "refresh-2", "refresh-secret-0", testClientSecret} {
		assert.NotContains(t, out, secret)
	}
}

func TestLogLinePerAttempt(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(503, ``), ok200)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := setupServer(t, s, WithLogger(logger))
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "method=GET path=/prefix/integration/v2/things status=503 attempt=1 wait=")
	assert.Contains(t, lines[1], "status=200 attempt=2 wait=0s")
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// fakeClock is a clock for the limiter that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), f: f})
}

// Advance moves the clock by d and runs the timers that came due, in
// order, including those they set that are due too.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		slices.SortStableFunc(c.timers, func(a, b fakeTimer) int { return a.at.Compare(b.at) })
		if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.mu.Unlock()
		t.f()
	}
}

// queueWaiters starts n goroutines waiting on l, each with its own
// context, and returns when all n are queued: cancel ends them all, and
// the returned channel yields each one's error.
func queueWaiters(t *testing.T, b *bucket, n int) (cancel func(), errs <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out := make(chan error, n)
	before := b.queued()
	for range n {
		go func() { out <- b.Wait(ctx) }()
	}
	// Queued, or already served (on the real clock tokens keep coming).
	require.True(t, waitUntil(context.Background(), func() bool { return b.queued()+len(out) == before+n }))
	return cancel, out
}

// After 2,000 waiters on an empty bucket give up, the next caller waits one
// interval, not the 10 s the 2,000 would have taken.
func TestLimiterCancelledWaitersKeepNoBudget(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(DefaultRateLimit, 20, clk)
	for range 20 {
		require.NoError(t, b.Wait(context.Background()))
	}
	cancel, errs := queueWaiters(t, b, 2000)
	cancel()
	for range 2000 {
		require.ErrorIs(t, <-errs, context.Canceled)
	}
	assert.Zero(t, b.queued())

	done := make(chan error, 1)
	go func() { done <- b.Wait(context.Background()) }()
	require.True(t, waitUntil(context.Background(), func() bool { return b.queued() == 1 }))
	interval := time.Second / DefaultRateLimit
	clk.Advance(interval - time.Millisecond)
	assert.Equal(t, 1, b.queued(), "no token before one interval")
	clk.Advance(time.Millisecond)
	require.NoError(t, <-done, "served after one interval")
}

// The same through a client on the real clock: with a 1 s deadline the call
// after 2,000 cancelled waiters goes through at once.
func TestLimiterCancelledWaitersClient(t *testing.T) {
	t.Parallel()
	s := newServer(t, ok200)
	c, _ := setupServer(t, s, WithRateLimit(DefaultRateLimit, 20))
	b := c.limiter.(*bucket)
	for range 20 {
		require.NoError(t, b.Wait(context.Background()))
	}
	cancel, errs := queueWaiters(t, b, 2000)
	cancel()
	for range 2000 {
		<-errs
	}
	ctx, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	start := time.Now()
	_, err := c.do(ctx, &request{method: http.MethodGet, group: GroupCatalog, path: "x"}, nil)
	require.NoError(t, err)
	t.Logf("the call after 2,000 cancelled waiters took %v", time.Since(start))
}

// Waiters are served in the order they came, one per interval.
func TestLimiterServesInOrder(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(10, 1, clk)
	require.NoError(t, b.Wait(context.Background()))
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, b.Wait(context.Background()))
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}()
		require.True(t, waitUntil(context.Background(), func() bool { return b.queued() == i+1 }))
	}
	served := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(order)
	}
	for i := range 5 {
		clk.Advance(100 * time.Millisecond)
		assert.Equal(t, 4-i, b.queued(), "one waiter served per interval")
		require.True(t, waitUntil(context.Background(), func() bool { return served() == i+1 }))
	}
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}

// A wait that the queue ahead makes certain to pass the deadline is
// refused at once; one that can make it waits.
func TestLimiterRefusesHopelessWaitAtOnce(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(100, 1, clk)
	require.NoError(t, b.Wait(context.Background()))
	cancel, _ := queueWaiters(t, b, 10) // 100 ms of queue
	defer cancel()
	ctx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	err := b.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NoError(t, ctx.Err(), "refused at once, before the deadline")
	assert.Equal(t, 10, b.queued(), "the refused caller did not queue")
}
