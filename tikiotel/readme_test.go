package tikiotel_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeHarness declares what the root README's tikiotel snippets use
// without declaring it; each snippet becomes the body of a function.
const readmeHarness = `package readme

import (
	"context"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikiotel"
)

var (
	ctx       = context.Background()
	creds     tiki.ClientCredentials
	queueCode = "a1b2c3"
	sellerID  = "seller-42"
)

var (
	_ = eventqueue.NewMemoryCheckpoint
	_ = reconcile.NewOrdersBackfill
	_ = tikiotel.New
)
`

// TestRootREADMEBlocksCompile compiles the Go blocks of the SDK's README
// and docs/ pages that use this module (the root module's document test
// leaves them out: it does not depend on OpenTelemetry).
func TestRootREADMEBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's code with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var readme []byte
	for _, name := range append([]string{filepath.Join("..", "README.md")}, docs...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		readme = append(append(readme, b...), '\n')
	}
	var body strings.Builder
	body.WriteString(readmeHarness)
	n := 0
	for i, b := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		code := b[1]
		if !strings.Contains(code, "tikiotel.") {
			continue
		}
		n++
		end := "return nil\n"
		if lines := strings.Split(strings.TrimSpace(code), "\n"); strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "return ") {
			end = ""
		}
		fmt.Fprintf(&body, "\nfunc block%d() error {\n%s\n%s}\n", i, code, end)
	}
	if n == 0 {
		t.Fatal("no tikiotel block found in README.md or docs/")
	}
	dir, err := os.MkdirTemp(".", "_readme")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "readme.go"), []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(goTool, "vet", "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("document blocks that use tikiotel do not compile:\n%s", out)
	}
}
