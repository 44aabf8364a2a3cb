package redisstore_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeHarness declares what the redisstore blocks of the root README and
// docs/ use without declaring it; each block becomes the body of a function.
const readmeHarness = `package readme

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

var (
	ctx       = context.Background()
	client    *tiki.Client
	queueCode = "a1b2c3"
	sellerID  = "seller-42"
	creds     tiki.ClientCredentials
	secrets   []string
)

var (
	_ = http.StatusOK
	_ = os.Getenv
	_ = time.Second
	_ = redis.Nil
	_ = webhook.Delivery{}
	_ = redisstore.FailClosed
	_ = tikinow.NewReceiver
	_ = eventqueue.NewMemoryCheckpoint
	_ = reconcile.NewMemoryState
)
`

// TestRootDocsBlocksCompile compiles the Go blocks of the SDK's README and
// of its reference (docs/*.md) that use this module (the root module's
// test leaves them out: it does not depend on Redis).
func TestRootDocsBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the documents' code with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join("..", "README.md")}, files...)
	var body strings.Builder
	body.WriteString(readmeHarness)
	n := 0
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.ToSlash(strings.TrimPrefix(file, ".."+string(filepath.Separator)))
		for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatchIndex(string(doc), -1) {
			code := string(doc[m[2]:m[3]])
			if !strings.Contains(code, "redisstore.") {
				continue
			}
			n++
			line := 2 + strings.Count(string(doc[:m[0]]), "\n")
			end := "return nil\n"
			if lines := strings.Split(strings.TrimSpace(code), "\n"); strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "return ") {
				end = ""
			}
			fmt.Fprintf(&body, "\nfunc block%d() error {\n//line %s:%d\n%s\n%s}\n", n, name, line, code, end)
		}
	}
	if n < 3 {
		t.Fatalf("found %d redisstore blocks in the README and docs/; the pattern is wrong", n)
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
		t.Fatalf("Go blocks of the documents that use redisstore do not compile:\n%s", out)
	}
}
