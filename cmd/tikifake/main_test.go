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

// readmeHeading opens the README section whose commands TestReadmeCurl runs.
const readmeHeading = "## Testing without Tiki: tikifake from any language"

// readmeSection returns the tikifake section of the repository's README.md
// (or of the markdown file TIKIFAKE_README names). Outside CI a README
// without the section skips the test; under CI=true it fails it.
func readmeSection(t *testing.T) string {
	t.Helper()
	path := os.Getenv("TIKIFAKE_README")
	if path == "" {
		path = filepath.Join("..", "..", "README.md")
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), readmeHeading+"\n")
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s has no section %q", path, readmeHeading)
		}
		t.Skipf("skipping: %s has no section %q yet", path, readmeHeading)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	return section
}

// readmeCommand is one curl command of the README with what it should
// answer.
type readmeCommand struct {
	line   string
	status int
	body   string // the JSON body the comment above it names, if any
}

var (
	shBlock  = regexp.MustCompile("(?s)```sh\n(.*?)```")
	expected = regexp.MustCompile(`answers (\d{3})(?: (\{.*\}))?`)
)

// parseReadme returns the flags of the README's go run line, its shell
// variable assignments and its curl commands, in order.
func parseReadme(t *testing.T, section string) (flags, vars []string, cmds []readmeCommand) {
	t.Helper()
	next := readmeCommand{status: http.StatusOK}
	for _, block := range shBlock.FindAllStringSubmatch(section, -1) {
		for _, line := range strings.Split(block[1], "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "go run ./cmd/tikifake"):
				flags = strings.Fields(strings.TrimPrefix(line, "go run ./cmd/tikifake"))
			case strings.HasPrefix(line, "#"):
				if m := expected.FindStringSubmatch(line); m != nil {
					next.status, _ = strconv.Atoi(m[1])
					next.body = m[2]
				}
			case strings.HasPrefix(line, "curl "):
				next.line = line
				cmds = append(cmds, next)
				next = readmeCommand{status: http.StatusOK}
			case regexp.MustCompile(`^[A-Z_]+=`).MatchString(line):
				vars = append(vars, line)
			case line != "":
				t.Fatalf("README sh line neither a command, a comment nor an assignment: %q", line)
			}
		}
	}
	require.NotEmpty(t, cmds, "no curl command in the README section")
	return flags, vars, cmds
}

// The README's curl commands, run as they are written (against the fake
// started with the README's flags, on a free port instead of 8080), answer
// what the README says, and the request log has one line per command with
// no secret in it.
func TestReadmeCurl(t *testing.T) {
	section := readmeSection(t)
	curlPath := needTool(t, "curl")
	bash := needTool(t, "bash")
	flags, vars, cmds := parseReadme(t, section)
	api, stderr := runFake(t, flags...)
	host := strings.TrimSuffix(api, "/integration")
	local := func(s string) string { return strings.ReplaceAll(s, "http://127.0.0.1:8080", host) }

	dir := t.TempDir()
	for i, c := range cmds {
		bodyFile := filepath.Join(dir, "body"+strconv.Itoa(i))
		script := "set -u\n" + local(strings.Join(vars, "\n")) + "\n" +
			local(c.line) + " --output " + bodyFile + " --write-out '%{http_code}' --max-time 20"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bash, "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(curlPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		cancel()
		require.NoError(t, err, "%s", c.line)
		body, err := os.ReadFile(bodyFile)
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(c.status), string(out), "%s\n%s", c.line, body)
		assert.True(t, json.Valid(body), "%s: not JSON: %s", c.line, body)
		if c.body != "" {
			assert.JSONEq(t, c.body, string(body), c.line)
		}
	}

	// The order the README places is made of the demo products and ends
	// confirmed.
	req, err := http.NewRequest("GET", api+"/v2/orders/300000001", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tikitest.DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var order struct {
		Items []struct {
			Product struct {
				SellerProductCode string `json:"seller_product_code"`
			} `json:"product"`
			Confirmation struct {
				Status string `json:"status"`
			} `json:"confirmation"`
		} `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&order))
	require.Len(t, order.Items, 2)
	assert.Equal(t, "DEMO-1", order.Items[0].Product.SellerProductCode)
	assert.Equal(t, "DEMO-3", order.Items[1].Product.SellerProductCode)
	assert.Equal(t, "seller_confirmed", order.Items[0].Confirmation.Status)

	// One log line per command (and one for the check above), no secret.
	// The lines cross a pipe from the fake's process: wait for them.
	logLines := func() (string, []string) {
		log := stderr.String()
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
			if strings.HasPrefix(l, "GET ") || strings.HasPrefix(l, "POST ") {
				lines = append(lines, l)
			}
		}
		return log, lines
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, lines := logLines(); len(lines) >= len(cmds)+1 {
			break
		}
	}
	log, lines := logLines()
	assert.Len(t, lines, len(cmds)+1, log)
	assert.Contains(t, log, `GET /integration/v2/orders?stauts=queueing 400 `)
	for _, secret := range []string{tikitest.DefaultAccessToken, tikitest.DefaultClientSecret,
		"dGlraXRlc3QtY2xpZW50LWlkOnRpa2l0ZXN0LWNsaWVudC1zZWNyZXQ="} {
		assert.NotContains(t, log, secret)
	}
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
