package tiki_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeHarness declares, at package level, the names README snippets use
// without declaring them, and imports every package they may use. Each
// snippet becomes the body of a function returning error.
const readmeHarness = `package readme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
	"github.com/tikisdk/tiki/webhook"
)

// The reader's own code that snippets call.
var (
	inventory interface {
		Set(ctx context.Context, sku, warehouse string, qty int64) error
	}
	orders interface {
		MarkState(ctx context.Context, orderCode, state, reason string) error
		Import(ctx context.Context, event ...any) error
	}
	archive func(ctx context.Context, body []byte) error
	mySync  func(ctx context.Context, client *tiki.Client) error
	tokens  chan *oauth2.Token
	r       *http.Request

	queueCode = "a1b2c3"
	items     []tiki.BatchUpdateItem
	cp        tiki.Checkpoint
	metrics   interface{ Inc(name string) }
	stock     interface {
		Set(ctx context.Context, sku string, warehouseID, qty int64) error
	}
	importOrder func(ctx context.Context, sellerID, orderCode string) error
	sellers     []struct{ TokenSource oauth2.TokenSource }
)

var (
	ctx      = context.Background()
	client   *tiki.Client
	order    tiki.Order
	id       = os.Getenv("TIKI_CLIENT_ID")
	secret   = os.Getenv("TIKI_CLIENT_SECRET")
	orderCode = "929231617"
	err      error

)

var (
	_ = errors.New
	_ = json.Valid
	_ = url.PathEscape
	_ = fmt.Sprint
	_ = log.Print
	_ = slog.Default
	_ = http.StatusOK
	_ = strconv.Itoa
	_ = time.Second
	_ = oauth2.Token{}
	_ = tikitest.DefaultAccessToken
	_ = webhook.Delivery{}
	_ = ikitech.NewReceiver
	_ = ginee.NewReceiver
	_ = reconcile.New
	_ testing.TB
)
`

// TestREADMEGoBlocksCompile compiles every Go block of README.md: a block
// with a package clause as it is, any other as the body of a function
// (see readmeHarness). A README example that does not compile fails here.
func TestREADMEGoBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's code with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 10 {
		t.Fatalf("found %d Go blocks in README.md; the pattern is wrong", len(blocks))
	}

	// The package lives inside the module (so its imports resolve) in a
	// directory the go tool's ./... patterns skip.
	dir, err := os.MkdirTemp(".", "_readme")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	var body strings.Builder
	body.WriteString(readmeHarness)
	for i, b := range blocks {
		code := b[1]
		line := 1 + strings.Count(string(readme)[:strings.Index(string(readme), b[0])], "\n")
		if strings.Contains(code, "redisstore.") {
			continue // the redisstore module's own README blocks: built by redisstore's tests
		}
		if strings.HasPrefix(code, "func ") {
			fmt.Fprintf(&body, "\n//line README.md:%d\n%s\n", line+1, code)
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(code), "package ") || strings.HasPrefix(strings.TrimSpace(code), "import ") && !strings.Contains(code, "(") {
			if strings.HasPrefix(strings.TrimSpace(code), "import ") {
				continue // a lone import line
			}
			sub := filepath.Join(dir, fmt.Sprintf("main%d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, "main.go"), []byte(fmt.Sprintf("//line README.md:%d\n%s", line+1, code)), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		end := "return nil\n"
		if lines := strings.Split(strings.TrimSpace(code), "\n"); strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "return ") {
			end = ""
		}
		fmt.Fprintf(&body, "\nfunc block%d() error {\n//line README.md:%d\n%s\n%s}\n", i, line+1, code, end)
	}
	if err := os.WriteFile(filepath.Join(dir, "readme.go"), []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"vet", "./" + dir}
	mains, _ := filepath.Glob(filepath.Join(dir, "main*"))
	for _, m := range mains {
		args = append(args, "./"+m)
	}
	cmd := exec.Command(goTool, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README.md Go blocks do not compile:\n%s", out)
	}
}
