package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// The shared helpers of the command's tests. A test runs the command in
// process (run) with an environment of its own: no variable of the
// machine's, a configuration directory of its own, no terminal, and a clock
// standing at demoNow, so that the demo data of --fake is the same at every
// run. Tests that look at what reached Tiki run against a fake of their own
// (newShop), through the environment's credentials, and read its request
// log.

// demoNow is the time of the tests: the demo data of --fake is dated from
// it (a Monday morning, before the first pickup slot).
var demoNow = time.Date(2025, 6, 2, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden with the output of the tests")

// result is what a run of the command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// harness runs the command in process, each run with the same environment.
type harness struct {
	t         *testing.T
	env       map[string]string
	configDir string
	stdin     string
	terminal  bool // stdin and stderr are terminals (prompts, progress)
	secret    string
	ctx       context.Context
}

// newHarness returns a harness with an empty environment and a fresh
// configuration directory.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{t: t, env: map[string]string{}, configDir: t.TempDir(), ctx: context.Background()}
}

// run runs the command line args.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(h.stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv:         func(k string) string { return h.env[k] },
		StdinTerminal:  h.terminal,
		StderrTerminal: h.terminal,
		Now:            func() time.Time { return demoNow },
		ConfigDir:      h.configDir,
		ClientOptions:  []tiki.Option{tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond)},
	}
	if h.terminal {
		env.ReadSecret = func() (string, error) { return h.secret, nil }
	}
	code := Run(h.ctx, env, args)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// ok runs args and fails the test unless the command succeeds.
func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	require.Equal(h.t, ExitOK, r.code, "tiki %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
	return r
}

// fails runs args and checks the exit code and that stderr is one line
// holding every piece of want.
func (h *harness) fails(code int, args []string, want ...string) result {
	h.t.Helper()
	r := h.run(args...)
	assert.Equal(h.t, code, r.code, "tiki %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	assert.Len(h.t, lines, 1, "tiki %s: the error is one line:\n%s", strings.Join(args, " "), r.stderr)
	assert.True(h.t, strings.HasPrefix(r.stderr, "tiki: "), "tiki %s: %s", strings.Join(args, " "), r.stderr)
	for _, w := range want {
		assert.Contains(h.t, r.stderr, w, "tiki %s", strings.Join(args, " "))
	}
	return r
}

// shop is a fake Tiki of a test's own, with the demo shop's data, that
// outlives the runs of the command, and its request log.
type shop struct {
	*tikitest.Server
	mu  sync.Mutex
	log bytes.Buffer
}

func (s *shop) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// requests returns the request log's lines since the last call.
func (s *shop) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := strings.TrimSpace(s.log.String())
	s.log.Reset()
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// writes returns the requests of the log that are not reads.
func writes(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "GET ") {
			out = append(out, l)
		}
	}
	return out
}

// newShop starts a fake Tiki with the demo shop's data and points the
// harness's environment at it.
func newShop(t *testing.T, h *harness, opts ...tikitest.Option) *shop {
	t.Helper()
	s := &shop{}
	clock := &demoClock{base: demoNow}
	s.Server = tikitest.NewServer(t, append([]tikitest.Option{tikitest.WithClock(clock.now), tikitest.WithRequestLog(s),
		tikitest.WithApprovalDelay(50 * time.Millisecond)}, opts...)...)
	require.NoError(t, seedDemo(s.Server, clock))
	clock.start()
	s.requests() // the seeding's
	h.env[EnvBaseURL] = s.URL
	h.env[EnvAccessToken] = tikitest.DefaultAccessToken
	return s
}

// Normalising what changes from run to run (ports, random codes) before
// comparing with golden files.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://127.0.0.1:PORT"},
	{regexp.MustCompile(`v2-[0-9a-f]{32}`), "v2-LABEL"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "UUID"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "TRACK-ID"},
}

func normalise(s string) string {
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// golden compares got with the golden file testdata/golden/name, or writes
// it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	got = normalise(got)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), got, "%s differs from the output (go test -update rewrites it)", path)
}

// goldenName makes a golden file's name from a command line.
func goldenName(args []string, format string) string {
	name := strings.Join(args, "_")
	name = regexp.MustCompile(`[^A-Za-z0-9_.=-]+`).ReplaceAllString(name, "-")
	name = strings.Trim(strings.ReplaceAll(name, "--", ""), "-_")
	return name + "." + format
}

// decodeJSON decodes a command's JSON output.
func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(s), &v), "%s", s)
	return v
}
