package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/redisstore"
)

// unavailable skips the test because something it needs is missing, or
// fails it under CI=true, where .ci/run provides everything. Every skip is
// counted, and TestMain reports the count on stderr once the tests ran.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true, where .ci/run provides it: failing instead of skipping", msg)
	}
	skippedForRedis.Add(1)
	t.Skip("SKIPPED, NO REDIS: " + msg)
}

// skippedForRedis counts the tests skipped because no Redis was available.
var skippedForRedis atomic.Int32

// evidenceEnv is the environment variable that enables timing and
// throughput evidence: tests whose bands hold on a quiet machine but that a
// loaded one can miss. make evidence sets it; the default test run does not.
const evidenceEnv = "TIKI_EVIDENCE"

// evidence reports whether timing evidence is to be checked.
func evidence() bool { return os.Getenv(evidenceEnv) == "1" }

// requireEvidence skips t unless timing evidence is to be checked.
func requireEvidence(t *testing.T) {
	t.Helper()
	if !evidence() {
		t.Skipf("timing evidence: runs with %s=1 (make evidence)", evidenceEnv)
	}
}

// sharedRedis is the Redis the tests share: the one REDIS_ADDR names, or
// else one TestMain starts on a free loopback port (never whatever answers
// on the default port). sharedRedisErr says why there is none.
var (
	sharedRedis    string
	sharedRedisErr error
)

// sharedRedisAddr returns the address of the Redis the tests share after
// checking that it answers.
func sharedRedisAddr(t *testing.T) string {
	t.Helper()
	if sharedRedisErr != nil {
		unavailable(t, "redisstore: %v", sharedRedisErr)
	}
	// Patient: a race-detector process on a loaded machine can take
	// seconds to see an answer.
	rdb := redis.NewClient(&redis.Options{Addr: sharedRedis, DialTimeout: 5 * time.Second, DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		unavailable(t, "redisstore: no Redis answers at %s (%v): set REDIS_ADDR to a Redis the tests may write to, or put redis-server on PATH", sharedRedis, err)
	}
	return sharedRedis
}

// TestMain provides the shared Redis (REDIS_ADDR, or a redis-server of its
// own on a free port, stopped at the end), silences go-redis's own log
// (which reports every failed dial while an outage test has Redis
// stopped), and says loudly when tests were skipped for want of Redis.
func TestMain(m *testing.M) {
	redis.SetLogger(discardLogger{})
	var own *redisProcess
	if sharedRedis = os.Getenv("REDIS_ADDR"); sharedRedis == "" {
		dir, err := os.MkdirTemp("", "redisstore-test-")
		if err == nil {
			defer os.RemoveAll(dir)
			own, err = launchRedis(dir, nil)
		}
		if err != nil {
			sharedRedisErr = fmt.Errorf("REDIS_ADDR is not set and no redis-server could be started (%w)", err)
		} else {
			sharedRedis = own.addr()
		}
	}
	code := m.Run()
	if own != nil {
		own.stop()
	}
	if n := skippedForRedis.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "\n"+
			"**********************************************************************\n"+
			"redisstore: %d TESTS SKIPPED: no Redis to test against.\n"+
			"Install redis-server (Debian: apt-get install redis-server) or set\n"+
			"REDIS_ADDR to a Redis the tests may write to. Under CI=true they fail.\n"+
			"**********************************************************************\n", n)
	}
	os.Exit(code)
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// newRedisClient returns a client of its own, as each replica of a service
// has one, closed when the test ends. Its options are the ones the README
// recommends for a limiter: an outage is noticed within a few hundred
// milliseconds.
func newRedisClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr:          addr,
		DialTimeout:   200 * time.Millisecond,
		DialerRetries: 1,
		ReadTimeout:   500 * time.Millisecond,
		WriteTimeout:  500 * time.Millisecond,
		MaxRetries:    1,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// steadyClient returns a Redis client of its own, closed when the test
// ends, for a test that is not about outages: it waits for a loaded machine
// (a race-detector process starved of CPU can take seconds to dial or to
// read an answer) and tries a command again on a new connection when its
// connection broke (after a test restarted Redis). A renewal of a lock
// through it still gives up in time: its context ends two thirds of a TTL
// after it was sent.
func steadyClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr:          addr,
		DialTimeout:   5 * time.Second,
		DialerRetries: 5,
		ReadTimeout:   5 * time.Second,
		WriteTimeout:  5 * time.Second,
		MaxRetries:    5,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// primeTTL is the lock TTL of the holders that prime keys (see
// primeWriteKeys): short, so that their own wait for a holder Redis may
// have forgotten is short.
const primeTTL = 200 * time.Millisecond

// primeWriteKeys makes Redis know the write-order keys under prefix in its
// current life: a write order with a short TTL takes them and releases
// them. The next holder of a key, whatever its TTL, then takes it at once,
// rather than waiting out a holder Redis may have forgotten (a TTL less the
// server's uptime, up to a full TTL on a server just started), so that a
// test can give its holds a TTL long enough for a starved process without
// waiting for it.
func primeWriteKeys(t *testing.T, rdb redis.UniversalClient, prefix string, keys ...string) {
	t.Helper()
	o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix(prefix), redisstore.WithWriteLockTTL(primeTTL),
		redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := o.Lock(ctx, keys)
	require.NoError(t, err, "priming the write-order keys")
	require.NoError(t, l.Unlock(ctx))
}

// primeGuardKeys is primeWriteKeys for a seller's reconcile guard keys.
func primeGuardKeys(t *testing.T, rdb redis.UniversalClient, prefix, seller string, keys ...string) {
	t.Helper()
	g, err := redisstore.NewReconcileGuard(rdb, seller, redisstore.WithWritePrefix(prefix), redisstore.WithWriteLockTTL(primeTTL),
		redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, unlock, err := g.Lock(ctx, keys)
	require.NoError(t, err, "priming the reconcile guard keys")
	unlock()
}

// primeLease is primeWriteKeys for a queue's lease under prefix.
func primeLease(t *testing.T, rdb redis.UniversalClient, prefix, queue string) {
	t.Helper()
	l, err := redisstore.NewLease(rdb, redisstore.WithQueuePrefix(prefix), redisstore.WithLeaseTTL(primeTTL),
		redisstore.WithAcquireInterval(5*time.Millisecond))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := l.Acquire(ctx, queue)
	require.NoError(t, err, "priming the lease")
	require.NoError(t, h.Release(ctx))
}

// isClosed reports whether ch is closed now. Checked the moment the next
// holder proceeds, it tells exactly whether the previous holder had given
// up by then, unlike a time recorded by a goroutine, which a loaded machine
// may run late.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// uniqueName returns a name for this test run's Redis keys, so that runs
// never see each other's state.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("test:%s:%d:", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

// deleteKeys removes every key under prefix when the test ends.
func deleteKeys(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
}

// redisProcess is a redis-server of the tests' own, which a test may stop
// and start again on the same port, with or without its data.
type redisProcess struct {
	t      *testing.T // nil for the server TestMain starts
	bin    string
	dir    string
	port   int
	args   []string // configuration beyond the address and the directory
	proc   *os.Process
	exited chan struct{} // closed once proc has exited
}

// startRedis starts a private redis-server on a free loopback port, with no
// persistence (a restart starts it empty), stopped when the test ends.
func startRedis(t *testing.T) *redisProcess {
	t.Helper()
	return startRedisWith(t, "--save", "", "--appendonly", "no")
}

// startRedisWith is startRedis with the given configuration (for example
// "--appendonly", "yes": a restart then keeps the data).
func startRedisWith(t *testing.T, args ...string) *redisProcess {
	t.Helper()
	p, err := launchRedis(t.TempDir(), args)
	if errors.Is(err, exec.ErrNotFound) {
		unavailable(t, "redisstore: redis-server is not on PATH (%v): install it (Debian: apt-get install redis-server)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.t = t
	t.Cleanup(p.stop)
	return p
}

// launchRedis starts redis-server in dir on a free loopback port, trying
// another port if the one found is taken meanwhile. args nil means no
// persistence.
func launchRedis(dir string, args []string) (*redisProcess, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	if args == nil {
		args = []string{"--save", "", "--appendonly", "no"}
	}
	for try := 1; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		p := &redisProcess{bin: bin, dir: dir, port: port, args: args}
		if err = p.launch(); err == nil || try == 5 {
			return p, err
		}
	}
}

// addr is the server's address.
func (p *redisProcess) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// launch starts the server and waits until it answers PING.
func (p *redisProcess) launch() error {
	args := append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(p.port), "--dir", p.dir,
		"--loglevel", "warning"}, p.args...)
	cmd := exec.Command(p.bin, args...)
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	p.proc, p.exited = cmd.Process, exited
	// Patient: a starved race-detector process can take seconds to see
	// the connection it dialled (a server that exits at start, its port
	// taken, is noticed at once).
	rdb := redis.NewClient(&redis.Options{Addr: p.addr(), DialTimeout: 2 * time.Second, DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			p.proc = nil
			return fmt.Errorf("redis-server on %s exited at start (port taken?)", p.addr())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("redis-server on %s does not answer: %w", p.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start starts the server again after stop, with the data it persisted
// (none without persistence).
func (p *redisProcess) start() {
	p.t.Helper()
	if err := p.launch(); err != nil {
		p.t.Fatal(err)
	}
}

// startEmpty starts the server again after stop without any of its data,
// as a server whose disk was lost.
func (p *redisProcess) startEmpty() {
	p.t.Helper()
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(p.dir, e.Name())); err != nil {
			p.t.Fatal(err)
		}
	}
	p.start()
}

// pause stops the server's process (SIGSTOP): connections stay open and
// nothing answers, as with a hung server. Resume it with resume; stop
// kills it paused or not.
func (p *redisProcess) pause() {
	p.t.Helper()
	if err := p.proc.Signal(syscall.SIGSTOP); err != nil {
		p.t.Fatalf("pausing redis-server: %v", err)
	}
}

// resume lets a paused server go on (SIGCONT).
func (p *redisProcess) resume() {
	if p.proc != nil {
		_ = p.proc.Signal(syscall.SIGCONT)
	}
}

// stop kills the server (SIGKILL: as abrupt as a crash, nothing saved on
// the way out) and waits for it.
func (p *redisProcess) stop() {
	if p.proc == nil {
		return
	}
	_ = p.proc.Kill()
	<-p.exited
	p.proc = nil
}

// recordingHandler is a slog.Handler that keeps every record.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// messages returns the messages logged at level.
func (h *recordingHandler) messages(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level == level {
			out = append(out, r.Message)
		}
	}
	return out
}
