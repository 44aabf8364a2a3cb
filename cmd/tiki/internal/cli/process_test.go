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

// On a fresh machine, with no credentials, the demo data answers: the
// orders and the products as JSON, and a stock audit of a CSV file.
func TestFreshMachine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		rows int
	}{
		{[]string{"--fake", "orders", "list", "-o", "json"}, 7},
		{[]string{"--fake", "products", "list", "-o", "json"}, 5},
	} {
		t.Run(strings.Join(c.args[1:3], " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runTiki(t, c.args...)
			require.Equal(t, 0, code, "%v: %s", c.args, stderr)
			var rows []map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &rows), stdout)
			assert.Len(t, rows, c.rows, "%v", c.args)
		})
	}
	t.Run("stock audit", func(t *testing.T) {
		t.Parallel()
		freshMachineStock(t)
	})
}

// The process exits with the code of the failure and says why in one
// line.
func TestProcessExitCodes(t *testing.T) {
	t.Parallel()
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
// written, on a fresh machine, in a directory of their own: each tiki
// command of them uses the built-in fake and succeeds, and the files they
// write with cat heredocs are there for the next.
func TestDocsRunWithFake(t *testing.T) {
	marked := regexp.MustCompile("(?s)<!-- runs with --fake -->\n```sh\n(.*?)```")
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	ran := 0
	for _, file := range []string{"docs/cli.md", "README.md"} {
		b, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for _, m := range marked.FindAllStringSubmatch(string(b), -1) {
			lines := strings.Split(m[1], "\n")
			for i := 0; i < len(lines); i++ {
				line := strings.TrimSpace(lines[i])
				switch {
				case line == "":
				case strings.HasPrefix(line, "cat > ") && strings.HasSuffix(line, "<<'EOF'"):
					name := strings.Fields(line)[2]
					var body []string
					for i++; i < len(lines) && lines[i] != "EOF"; i++ {
						body = append(body, lines[i])
					}
					require.NoError(t, os.WriteFile(name, []byte(strings.Join(body, "\n")+"\n"), 0o644))
				case strings.HasPrefix(line, "tiki "):
					args := shellWords(t, strings.TrimPrefix(line, "tiki "))
					assert.Contains(t, args, "--fake", "%s: a block that runs uses the fake: %s", file, line)
					h := newHarness(t)
					r := h.run(args...)
					assert.Equal(t, ExitOK, r.code, "%s: %s\n%s", file, line, r.stderr)
					ran++
				default:
					t.Errorf("%s: a block that runs has a line the test does not run: %s", file, line)
				}
			}
		}
	}
	assert.GreaterOrEqual(t, ran, 10, "tiki commands of the marked blocks")
}

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../../../.."

// shellWords splits a command line as a shell does for the documents'
// commands: words, single and double quotes, a comment after #.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var (
		words []string
		word  strings.Builder
		quote rune
		in    bool
	)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '#' && !in:
			return words
		case r == ' ' || r == '\t':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	require.Zero(t, quote, "an unclosed quote: %s", line)
	if in {
		words = append(words, word.String())
	}
	return words
}

// tiki mcp serves on stdio: an MCP client of the MCP SDK starts it as a
// process and talks to it over its stdin and stdout.
func TestMCPOverStdio(t *testing.T) {
	t.Parallel()
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

// freshMachineStock runs the stock audit of a fresh machine: the books of
// a CSV file against the demo shop.
func freshMachineStock(t *testing.T) {
	books := filepath.Join(t.TempDir(), "stock.csv")
	require.NoError(t, os.WriteFile(books, []byte("sku,warehouse,quantity,price\nSO-TAY-A5,919,20,125000\nSO-TAY-A5,903,10,\nSACH-MOI,919,5,\n"), 0o644))
	stdout, stderr, code := runTiki(t, "--fake", "stock", "audit", books)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "plan (dry run): 0 in step, 1 changed")
	assert.Contains(t, stdout, "not_on_tiki")
}
