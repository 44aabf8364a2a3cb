package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary is the command when runAsTiki is set: the tests below
// run it as a process of its own, as main does.
const runAsTiki = "TIKI_TEST_RUN_AS_TIKI"

func TestMain(m *testing.M) {
	if os.Getenv(runAsTiki) == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// runTiki runs the command as a process on a machine that has never seen it:
// an empty home, no configuration, no credentials in the environment.
func runTiki(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{runAsTiki + "=1", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=" + os.Getenv("PATH")}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errOut.String(), exit.ExitCode()
	}
	require.NoError(t, err)
	return out.String(), errOut.String(), 0
}

// On a fresh machine, with no credentials, the demo data answers.
func TestFreshMachine(t *testing.T) {
	for _, c := range []struct {
		args []string
		rows int
	}{
		{[]string{"--fake", "orders", "list", "-o", "json"}, 7},
		{[]string{"--fake", "products", "list", "-o", "json"}, 5},
	} {
		stdout, stderr, code := runTiki(t, c.args...)
		require.Equal(t, 0, code, "%v: %s", c.args, stderr)
		var rows []map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &rows), stdout)
		assert.Len(t, rows, c.rows, "%v", c.args)
	}
	freshMachineStock(t)
}

// The process exits with the code of the failure and says why in one
// line.
func TestProcessExitCodes(t *testing.T) {
	_, stderr, code := runTiki(t, "orders", "list")
	assert.Equal(t, 2, code)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	assert.Contains(t, stderr, "tiki: no credentials")

	_, stderr, code = runTiki(t, "--fake", "orders", "list", "--fulfillment-type", "drop_ship")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--fulfillment-type "drop_ship" is not an operation model`)

	stdout, _, code := runTiki(t, "--version")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "tiki version")
}

// The blocks of docs/cli.md and the README marked "runs with --fake" run as
// written, in bash, on a fresh machine: each tiki command of them uses the
// built-in fake, and each succeeds.
func TestDocsRunWithFake(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not on PATH")
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\n" + runAsTiki + "=1 exec '" + os.Args[0] + "' \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "tiki"), []byte(wrapper), 0o755))
	marked := regexp.MustCompile("(?s)<!-- runs with --fake -->\n```sh\n(.*?)```")
	ran := 0
	for _, file := range []string{"../../../../docs/cli.md", "../../../../README.md"} {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range marked.FindAllStringSubmatch(string(b), -1) {
			block := m[1]
			for _, line := range strings.Split(block, "\n") {
				if strings.HasPrefix(line, "tiki ") {
					assert.Contains(t, line, "--fake", "%s: a block that runs uses the fake: %s", file, line)
				}
			}
			home := t.TempDir()
			cmd := exec.Command(bash, "-c", "set -euo pipefail\n"+block)
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s:\n%s\n%s", file, block, out)
			ran++
		}
	}
	assert.GreaterOrEqual(t, ran, 2, "the marked blocks")
}

// tiki mcp serves on stdio: an MCP client of the MCP SDK starts it as a
// process and talks to it over its stdin and stdout.
func TestMCPOverStdio(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "--fake", "mcp")
	cmd.Env = []string{runAsTiki + "=1", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_products", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	assert.Contains(t, string(b), "SO-TAY-A5")
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "confirm_order", Arguments: map[string]any{"code": "300000003"}})
	require.NoError(t, err)
	assert.True(t, res.IsError, "no write without --allow-writes")
}
