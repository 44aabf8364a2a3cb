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

// readmeHarness declares what the root README's redisstore snippets use
// without declaring it; each snippet becomes the body of a function.
const readmeHarness = `package readme

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
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
)
`

// TestRootREADMEBlocksCompile compiles the Go blocks of the SDK's README
// that use this module (the root module's README test leaves them out: it
// does not depend on Redis).
func TestRootREADMEBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's code with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	body.WriteString(readmeHarness)
	n := 0
	for i, b := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		code := b[1]
		if !strings.Contains(code, "redisstore.") {
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
		t.Fatal("no redisstore block found in the README")
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
		t.Fatalf("README.md blocks that use redisstore do not compile:\n%s", out)
	}
}
