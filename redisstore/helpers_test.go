package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultRedisAddr is where the tests look for the shared Redis unless
// REDIS_ADDR says otherwise; .ci/run starts one there.
const defaultRedisAddr = "127.0.0.1:6379"

// unavailable skips the test because something it needs is missing, or
// fails it under CI=true, where .ci/run provides everything.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true, where .ci/run provides it: failing instead of skipping", msg)
	}
	t.Skip(msg)
}

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

// sharedRedisAddr returns the address of the Redis the tests share
// (REDIS_ADDR, default 127.0.0.1:6379) after checking that it answers.
func sharedRedisAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = defaultRedisAddr
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		unavailable(t, "redisstore: no Redis answers at %s (%v): start redis-server on loopback, or set REDIS_ADDR", addr, err)
	}
	return addr
}

// TestMain silences go-redis's own log, which reports every failed dial
// on stderr while the outage test has Redis stopped.
func TestMain(m *testing.M) {
	redis.SetLogger(discardLogger{})
	os.Exit(m.Run())
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

// redisProcess is a redis-server of the test's own, which the test may stop
// and start again on the same port.
type redisProcess struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	cmd  *exec.Cmd
}

// startRedis starts a private redis-server on a free loopback port, with no
// persistence, stopped when the test ends.
func startRedis(t *testing.T) *redisProcess {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(t, "redisstore: redis-server is not on PATH (%v): install it (Debian: apt-get install redis-server)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p := &redisProcess{t: t, bin: bin, dir: t.TempDir(), port: port}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// addr is the server's address.
func (p *redisProcess) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// start starts the server and waits until it answers PING.
func (p *redisProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(p.port),
		"--save", "", "--appendonly", "no", "--dir", p.dir, "--loglevel", "warning")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("starting redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: p.addr(), DialTimeout: 100 * time.Millisecond, DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.stop()
			p.t.Fatalf("redis-server on %s does not answer: %v", p.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pause stops the server's process (SIGSTOP): connections stay open and
// nothing answers, as with a hung server. Resume it with resume; stop
// kills it paused or not.
func (p *redisProcess) pause() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		p.t.Fatalf("pausing redis-server: %v", err)
	}
}

// resume lets a paused server go on (SIGCONT).
func (p *redisProcess) resume() {
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// stop kills the server (SIGKILL: as abrupt as a crash) and waits for it.
func (p *redisProcess) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
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
