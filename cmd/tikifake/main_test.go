package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/tikitest"
)

// needTool returns the path of a command the test needs. Outside CI a
// missing tool skips the test; under CI=true it fails it, since CI installs
// the tools.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but was not found: %v", name, err)
	}
	t.Skipf("skipping: %s is not installed (%v); install it to run this test (CI installs it)", name, err)
	return ""
}

// fakeBuild is the tikifake binary the tests run, built once.
type fakeBuild struct {
	once sync.Once
	dir  string
	bin  string
	out  []byte
	err  error
}

// built is shared by the tests of the package; TestMain removes it.
var built fakeBuild

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildFake builds the tikifake binary (once per test run) and returns
// its path.
func buildFake(t *testing.T) string {
	t.Helper()
	goTool := needTool(t, "go")
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "tikifake-test")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "tikifake")
		built.out, built.err = exec.Command(goTool, "build", "-o", built.bin, ".").CombinedOutput()
	})
	require.NoError(t, built.err, "go build: %s", built.out)
	return built.bin
}

// startFake builds the tikifake binary, starts it on a free loopback port
// and returns its integration API base URL. The server is stopped with
// SIGINT when the test ends.
func startFake(t *testing.T) string {
	t.Helper()
	api, _ := runFake(t)
	return api
}

// lockedBuffer collects the fake's stderr.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runFake builds and starts tikifake with args (and -addr 127.0.0.1:0),
// and returns its integration API base URL and its stderr so far.
func runFake(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	bin := buildFake(t)

	cmd := exec.Command(bin, append(args, "-addr", "127.0.0.1:0")...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "tikifake should exit cleanly on SIGINT")
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("tikifake did not stop within 10 s of SIGINT")
		}
	})

	// The banner names the URL the server listens on.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "integration API:"); ok && !sent {
				found <- strings.TrimSpace(u)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		require.True(t, ok, "tikifake exited without printing its URL: %s", stderr)
		return u, stderr
	case <-time.After(30 * time.Second):
		t.Fatal("tikifake did not print its URL within 30 s")
	}
	return "", nil
}

// curl runs curl with the fake's access token and returns its output.
func curl(t *testing.T, curlPath string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"--silent", "--show-error", "--fail-with-body", "--max-time", "20",
		"-H", "Authorization: Bearer " + tikitest.DefaultAccessToken}
	out, err := exec.CommandContext(ctx, curlPath, append(base, args...)...).Output()
	if err != nil {
		var exitErr *exec.ExitError
		stderr := []byte(nil)
		if errors.As(err, &exitErr) {
			stderr = exitErr.Stderr
		}
		t.Fatalf("curl %v: %v: %s %s", args, err, out, stderr)
	}
	return out
}

// The fake binary answers /integration/v2/orders in Tiki's v2 order shape,
// checked with curl as an integrator in another language would.
func TestCurlOrdersV2(t *testing.T) {
	curlPath := needTool(t, "curl")
	api := startFake(t)

	// A mock order of each operation model.
	for _, ft := range []string{"tiki_delivery", "seller_delivery", "cross_border", "dropship"} {
		curl(t, curlPath, "-H", "Content-Type: application/json",
			"-d", `{"fulfillment_type":"`+ft+`","items":[{"seller_product_code":"SKU-`+ft+`","price":150000,"quantity":2}]}`,
			api+"/v2/orders")
	}

	out := curl(t, curlPath, api+"/v2/orders?status=queueing&item_confirmation_status=waiting&include=status_histories")
	var page struct {
		Data []struct {
			Code            string `json:"code"`
			FulfillmentType string `json:"fulfillment_type"`
			Status          string `json:"status"`
			Items           []struct {
				ID           int64 `json:"id"`
				Confirmation *struct {
					Status              string `json:"status"`
					AvailableConfirmSLA string `json:"available_confirm_sla"`
				} `json:"confirmation"`
				Invoice struct {
					Price json.Number `json:"price"`
				} `json:"invoice"`
			} `json:"items"`
			StatusHistories []struct {
				Status string `json:"status"`
			} `json:"status_histories"`
		} `json:"data"`
		Paging map[string]int `json:"paging"`
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&page), "%s", out)
	require.Len(t, page.Data, 4, "%s", out)
	assert.Equal(t, 4, page.Paging["total"])
	models := map[string]bool{}
	for _, o := range page.Data {
		assert.NotEmpty(t, o.Code)
		assert.Equal(t, "queueing", o.Status)
		models[o.FulfillmentType] = true
		require.Len(t, o.Items, 1)
		require.NotNil(t, o.Items[0].Confirmation, "items[].confirmation")
		assert.Equal(t, "waiting", o.Items[0].Confirmation.Status)
		assert.NotEmpty(t, o.Items[0].Confirmation.AvailableConfirmSLA)
		assert.Equal(t, json.Number("150000.00"), o.Items[0].Invoice.Price)
		require.Len(t, o.StatusHistories, 1)
	}
	assert.Len(t, models, 4)
	assert.NotContains(t, string(out), `"order_code"`, "no v1 shape under /v2")

	// One order by code, and the v1 API on /v1 only.
	one := curl(t, curlPath, api+"/v2/orders/"+page.Data[0].Code)
	assert.Contains(t, string(one), `"code":"`+page.Data[0].Code+`"`)
	v1 := curl(t, curlPath, api+"/v1/orders")
	assert.Contains(t, string(v1), `"data":[]`)
}

// A walk-through is a level-2 section of README.md or of a page of docs/
// whose shell blocks run curl. It says how to start the fake (a line
// "go run ./cmd/tikifake FLAGS"), and its blocks, pasted into one shell in
// order, run against it. A comment line above a curl command may state its
// answer: "answers NNN" (the status), optionally followed by the exact JSON
// body or by "with" and a piece of the body, to the end of the line; a
// command without one answers 200 with JSON.
type walkthrough struct {
	where string   // file and heading
	flags []string // of the go run line
	lines []string // the shell lines, go run aside
	calls []curlCall
}

// curlCall is one curl command of a walk-through and what it must answer.
type curlCall struct {
	command string // the command as written, continuation lines joined
	status  int
	body    string // the exact JSON body, if given
	with    string // a piece of the body, if given
}

var (
	shBlock   = regexp.MustCompile("(?s)```(?:sh|bash|shell|console)\n(.*?)```")
	answers   = regexp.MustCompile(`answers (\d{3})(?: (\{.*\})$| with (.+)$)?`)
	curlWord  = regexp.MustCompile(`(^|\$\(|[|;&]\s*)curl\s`)
	goRunFake = regexp.MustCompile(`^go run \./cmd/tikifake\b(.*)$`)
)

// docWalkthroughs returns the walk-throughs of README.md and docs/*.md.
func docWalkthroughs(t *testing.T) []walkthrough {
	t.Helper()
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var out []walkthrough
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, file)
		// The text before the first level-2 heading counts as a section too.
		for _, section := range strings.Split(string(b), "\n## ") {
			heading, _, _ := strings.Cut(section, "\n")
			heading = strings.TrimPrefix(heading, "# ")
			w := walkthrough{where: filepath.ToSlash(rel) + ": " + heading}
			started := false
			for _, block := range shBlock.FindAllStringSubmatch(section, -1) {
				for _, line := range strings.Split(block[1], "\n") {
					if m := goRunFake.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
						w.flags, started = strings.Fields(m[1]), true
						continue
					}
					w.lines = append(w.lines, line)
				}
			}
			w.calls = curlCalls(t, w.where, w.lines)
			if len(w.calls) == 0 {
				continue
			}
			require.True(t, started, "%s: a walk-through says how to start the fake (go run ./cmd/tikifake ...)", w.where)
			out = append(out, w)
		}
	}
	return out
}

// curlCalls returns the curl commands of a walk-through's shell lines, in
// order, with the answer each expects.
func curlCalls(t *testing.T, where string, lines []string) []curlCall {
	t.Helper()
	var calls []curlCall
	next := curlCall{status: http.StatusOK}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "#") {
			if m := answers.FindStringSubmatch(line); m != nil {
				next.status, _ = strconv.Atoi(m[1])
				next.body, next.with = m[2], strings.TrimSpace(m[3])
			}
			continue
		}
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, "\\")) + " " + strings.TrimSpace(lines[i])
		}
		n := len(curlWord.FindAllString(line, -1))
		require.LessOrEqual(t, n, 1, "%s: one curl command a line: %s", where, line)
		if n == 1 {
			next.command = line
			calls = append(calls, next)
			next = curlCall{status: http.StatusOK}
		} else if next.body != "" || next.with != "" || next.status != http.StatusOK {
			t.Fatalf("%s: a comment states an answer, but the command below it is not curl: %s", where, line)
		}
	}
	return calls
}

// curlRecorder is a shell function that stands for curl in a walk-through:
// it runs curl, records the status and body of each call in the directory
// $WALK_DIR, and prints the body as curl would.
const curlRecorder = `set -euo pipefail
curl() {
  local n
  n=$(( $(wc -l < "$WALK_DIR/statuses") + 1 ))
  command curl "$@" --output "$WALK_DIR/body$n" --write-out '%{http_code}\n' --max-time 20 >> "$WALK_DIR/statuses" || return $?
  cat "$WALK_DIR/body$n"
}
`

// Every walk-through of README.md and docs/ runs as written against a
// freshly built fake started with its flags (on a free port in place of
// 8080), in one shell: every curl command answers what the walk-through
// says, and with -v the request log has one line per command and no secret.
func TestDocsCurl(t *testing.T) {
	curlPath := needTool(t, "curl")
	bash := needTool(t, "bash")
	walks := docWalkthroughs(t)
	require.GreaterOrEqual(t, len(walks), 4, "walk-throughs found in README.md and docs/")
	for _, w := range walks {
		t.Run(w.where, func(t *testing.T) {
			api, stderr := runFake(t, w.flags...)
			host := strings.TrimSuffix(api, "/integration")
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "statuses"), nil, 0o644))
			script := curlRecorder + strings.ReplaceAll(strings.Join(w.lines, "\n"), "http://127.0.0.1:8080", host) + "\n"

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-c", script)
			cmd.Env = append(os.Environ(), "WALK_DIR="+dir,
				"PATH="+filepath.Dir(curlPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the walk-through stopped:\n%s", out)

			statuses, err := os.ReadFile(filepath.Join(dir, "statuses"))
			require.NoError(t, err)
			got := strings.Fields(string(statuses))
			require.Len(t, got, len(w.calls), "each curl command runs once:\n%s", out)
			for i, c := range w.calls {
				body, err := os.ReadFile(filepath.Join(dir, "body"+strconv.Itoa(i+1)))
				require.NoError(t, err)
				assert.Equal(t, strconv.Itoa(c.status), got[i], "%s\n%s", c.command, body)
				switch {
				case c.body != "":
					assert.JSONEq(t, c.body, string(body), c.command)
				case c.with != "":
					assert.Contains(t, string(body), c.with, c.command)
				default:
					assert.True(t, json.Valid(body), "%s: not JSON: %s", c.command, body)
				}
			}

			if !slices.Contains(w.flags, "-v") {
				return
			}
			// One log line per command, no secret. The lines cross a pipe
			// from the fake's process: wait for them.
			logLines := func() (string, []string) {
				log := stderr.String()
				var lines []string
				for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
					if strings.HasPrefix(l, "GET ") || strings.HasPrefix(l, "POST ") || strings.HasPrefix(l, "PUT ") {
						lines = append(lines, l)
					}
				}
				return log, lines
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if _, lines := logLines(); len(lines) >= len(w.calls) {
					break
				}
			}
			log, lines := logLines()
			assert.Len(t, lines, len(w.calls), log)
			for _, secret := range []string{tikitest.DefaultAccessToken, tikitest.DefaultClientSecret,
				"dGlraXRlc3QtY2xpZW50LWlkOnRpa2l0ZXN0LWNsaWVudC1zZWNyZXQ="} {
				assert.NotContains(t, log, secret)
			}
		})
	}
}

// A comment's stated answer is read as the walk-throughs' convention says.
func TestCurlCallsReadTheStatedAnswers(t *testing.T) {
	calls := curlCalls(t, "test", strings.Split(`# Plain: nothing stated, so 200 and JSON.
curl -s "$API/a"
# Refused: answers 401 {"errors":["Token is missing"]}
curl -s "$API/b"
# A piece: answers 422 with is not confirmed yet
X=$(curl -s -H 'A: b' \
  "$API/c" | first code)
echo "$X"`, "\n"))
	require.Len(t, calls, 3)
	assert.Equal(t, curlCall{command: `curl -s "$API/a"`, status: 200}, calls[0])
	assert.Equal(t, curlCall{command: `curl -s "$API/b"`, status: 401, body: `{"errors":["Token is missing"]}`}, calls[1])
	assert.Equal(t, curlCall{command: `X=$(curl -s -H 'A: b' "$API/c" | first code)`, status: 422, with: "is not confirmed yet"}, calls[2])
}

// tokenStatus posts a client_credentials token request to the fake at
// host, with the default client credentials in a Basic header or in the
// form body, and returns the status.
func tokenStatus(t *testing.T, host string, basic bool) int {
	t.Helper()
	form := "grant_type=client_credentials"
	if !basic {
		form += "&client_id=" + tikitest.DefaultClientID + "&client_secret=" + tikitest.DefaultClientSecret
	}
	req, err := http.NewRequest("POST", host+"/sc/oauth2/token", strings.NewReader(form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(tikitest.DefaultClientID, tikitest.DefaultClientSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// -client-auth post and -lenient-query reach the fake; without -v nothing
// is logged.
func TestFlags(t *testing.T) {
	api, stderr := runFake(t, "-client-auth", "post", "-lenient-query")
	host := strings.TrimSuffix(api, "/integration")
	assert.Equal(t, http.StatusOK, tokenStatus(t, host, false), "form body accepted")
	assert.Equal(t, http.StatusUnauthorized, tokenStatus(t, host, true), "Basic header refused")

	req, err := http.NewRequest("GET", api+"/v2/orders?stauts=queueing", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tikitest.DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "unknown parameter ignored")
	assert.Empty(t, stderr.String())
}

// A bad -client-auth value stops the fake with a usage error.
func TestFlagsRefused(t *testing.T) {
	bin := buildFake(t)
	for _, args := range [][]string{{"-client-auth", "header"}, {"-products", "-1"}} {
		out, err := exec.Command(bin, append(args, "-addr", "127.0.0.1:0")...).CombinedOutput()
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "%v: %s", args, out)
		assert.Equal(t, 2, exitErr.ExitCode(), "%v", args)
		assert.Contains(t, string(out), "tikifake: "+strings.TrimPrefix(args[0], "-"))
	}
}

// A SIGINT sent the moment the address is printed stops the fake cleanly:
// the signal handler is in place before the address is announced. Each
// run sends the signal as soon as the line naming the address arrives,
// the earliest a script or test can act on it.
func TestInterruptRightAfterTheAddress(t *testing.T) {
	bin := buildFake(t)
	const runs = 25
	for i := range runs {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())

		sc := bufio.NewScanner(stdout)
		announced := false
		for !announced && sc.Scan() {
			announced = strings.Contains(sc.Text(), "integration API:")
		}
		if announced {
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
		}
		go func() { _, _ = io.Copy(io.Discard, stdout) }()

		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.True(t, announced, "run %d: tikifake exited without printing its address: %s", i, stderr.String())
			require.NoError(t, err, "run %d: tikifake should exit cleanly on a SIGINT right after its address: %s", i, stderr.String())
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("run %d: tikifake did not stop within 10 s of SIGINT", i)
		}
	}
}
