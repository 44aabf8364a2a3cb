package tiki_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The documents of the repository, README.md and docs/*.md, hold Go blocks
// that this file checks. Every Go block compiles; a block that calls Tiki
// carries one of two HTML comments (GitHub does not render them) on the
// line before its fence:
//
//	<!-- runs against the fake -->            the test runs it against a fresh fake Tiki
//	<!-- runs against the fake for 2s -->     the same, with a context that ends after 2 s
//	<!-- compiles only: why -->               it needs what a test does not have (Tiki's credentials, Redis, a TLS certificate)
//
// A block that is a test function (func TestX(t *testing.T)) or a whole
// test file (package x_test) runs as a test. Blocks that use the redisstore
// module are compiled by that module's own test (redisstore/readme_test.go).

// docBlock is one fenced block of a Markdown document.
type docBlock struct {
	file   string // relative to the module root, "docs/orders.md"
	line   int    // the line of the opening fence
	lang   string // "go", "sh", ...
	code   string
	marker string // the HTML comment on the line before the fence, without <!-- -->
}

func (b docBlock) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

var (
	fence      = regexp.MustCompile("^( *)```(\\w*)\\s*$")
	htmlMarker = regexp.MustCompile(`^\s*<!--\s*(.*?)\s*-->\s*$`)
)

// docFiles returns README.md and every Markdown file of docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("docs/ holds %d Markdown files; the reference is missing", len(files))
	}
	return append([]string{"README.md"}, files...)
}

// readBlocks returns the fenced blocks of a Markdown file, in order.
func readBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var blocks []docBlock
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent := m[1]
		blk := docBlock{file: filepath.ToSlash(file), line: i + 1, lang: m[2]}
		if i > 0 {
			if mm := htmlMarker.FindStringSubmatch(lines[i-1]); mm != nil {
				blk.marker = mm[1]
			}
		}
		var code []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			code = append(code, strings.TrimPrefix(lines[i], indent))
		}
		if i == len(lines) {
			t.Fatalf("%s: the block opened here is not closed", blk.where())
		}
		blk.code = strings.Join(code, "\n") + "\n"
		blocks = append(blocks, blk)
	}
	return blocks
}

// goBlocks returns the Go blocks of every document.
func goBlocks(t *testing.T) []docBlock {
	t.Helper()
	var out []docBlock
	for _, f := range docFiles(t) {
		for _, b := range readBlocks(t, f) {
			if b.lang == "go" {
				out = append(out, b)
			}
		}
	}
	return out
}

// callsTiki matches code that sends a request to Tiki (or to its token
// endpoint) or runs an event-queue consumer.
var callsTiki = regexp.MustCompile(`\.(Catalog|Warehouses|ProductRequests|Tracking|Products|Orders|EventQueue|Sellers|Webhooks)\.[A-Z]\w*\(|\bclient\.Call\(|\.Exchange\(ctx|consumer\.Run\(`)

var (
	runsMarker    = regexp.MustCompile(`^runs against the fake(?: for (\S+))?$`)
	packageClause = regexp.MustCompile(`(?m)^package (\w+)$`)
)

// program is a whole program among the document blocks, run with go run.
type program struct{ where, pkg string }

// Every Go block that calls Tiki says whether the test runs it, and
// compiles-only blocks say why.
func TestDocsGoBlocksThatCallTikiAreMarked(t *testing.T) {
	for _, b := range goBlocks(t) {
		switch {
		case runsMarker.MatchString(b.marker):
		case strings.HasPrefix(b.marker, "compiles only: ") && len(b.marker) > len("compiles only: "):
		case b.marker != "":
			t.Errorf("%s: unknown marker %q: use \"runs against the fake\" or \"compiles only: why\"", b.where(), b.marker)
		case callsTiki.MatchString(b.code):
			t.Errorf("%s: the block calls Tiki: mark it <!-- runs against the fake --> (and make its values ones the fake accepts) or <!-- compiles only: why -->", b.where())
		}
	}
}

// docsHarness declares, at package level, the names that document blocks
// use without declaring them, and imports every package they may use.
// Each block that is not a whole declaration becomes the body of a function
// returning error. The reader's own code that blocks call (an inventory
// store, a metrics counter) does nothing here.
const docsHarness = `package docs

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
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
	"github.com/tikisdk/tiki/webhook"
)

// readerStore stands for the reader's own stores (stock, orders, an
// archive): they accept anything and do nothing.
type readerStore struct{}

func (readerStore) Set(context.Context, ...any) error       { return nil }
func (readerStore) Import(context.Context, ...any) error    { return nil }
func (readerStore) MarkState(context.Context, ...any) error { return nil }
func (readerStore) Inc(string)                              {}

func archive(context.Context, []byte) error            { return nil }
func importOrder(context.Context, ...any) error        { return nil }
func mySync(ctx context.Context, c *tiki.Client) error { _, _, err := c.Products.List(ctx, nil); return err }

// Names the blocks use: set by setUp for the blocks that run.
var (
	ctx       = context.Background()
	client    *tiki.Client
	order     tiki.Order  // a seller-delivery order the seller has confirmed
	orderCode string      // its code
	queueCode = "a1b2c3"  // an event queue subscribed to every event type
	cp        eventqueue.Checkpoint
	items     []tiki.BatchUpdateItem // price and stock of the seller's products SKU-1 and SKU-2
	err       error

	inventory, orders, stock, metrics readerStore

	id      = os.Getenv("TIKI_CLIENT_ID")
	secret  = os.Getenv("TIKI_CLIENT_SECRET")
	tokens  chan *oauth2.Token
	r       *http.Request
	sellerIDs []string
	pool      *sellers.Pool
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
	_ = dedupe.NewMemoryStore
	_ = ikitech.NewReceiver
	_ = ginee.NewReceiver
	_ = tikinow.NewReceiver
	_ = reconcile.New
	_ = reconcile.NewOrdersBackfill
	_ testing.TB
)

// setUp starts a fresh fake Tiki for one block and points the harness's
// names at it: the seller has products SKU-1 to SKU-3 in warehouses 919 (hn)
// and 903 (sgn), an event queue subscribed to every event type, and one
// order of each operation model (placed after the subscriptions, so the
// queue holds their events): the seller-delivery one confirmed, the others
// waiting for confirmation.
func setUp(t *testing.T, timeout time.Duration) {
	t.Helper()
	srv, err := tikitest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx = c
	if client, err = srv.Client(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		sku := fmt.Sprintf("SKU-%d", i)
		_, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: "Sổ tay " + sku, Description: "<p>Sổ tay</p>", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "Tiki"}, Image: "https://img.example/" + sku + ".jpg",
			Variants: []tiki.Variant{{SKU: sku, Price: 150000, InventoryType: tiki.InventorySellerBackorder,
				SellerWarehouse: "919,903", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 5}, {WarehouseID: 903, QtyAvailable: 7}}}},
			MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	items = []tiki.BatchUpdateItem{
		{OriginalSKU: "SKU-1", Price: 145000, WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: 12}}},
		{OriginalSKU: "SKU-2", WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 903, QtyAvailable: 0}}},
	}
	q, _, err := client.EventQueue.CreateQueue(ctx, "documentation")
	if err != nil {
		t.Fatal(err)
	}
	queueCode = q.Code
	for _, typ := range tiki.EventTypes() {
		if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ); err != nil {
			t.Fatal(err)
		}
	}
	cp = eventqueue.NewMemoryCheckpoint()
	for _, ft := range []tiki.FulfillmentType{tiki.FulfillmentSellerDelivery, tiki.FulfillmentTikiDelivery, tiki.FulfillmentCrossBorder, tiki.FulfillmentDropship} {
		o, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: ft})
		if err != nil {
			t.Fatal(err)
		}
		if ft == tiki.FulfillmentSellerDelivery {
			orderCode = o.Code
		}
	}
	// The seller-delivery order, confirmed.
	got, _, err := client.Orders.Get(ctx, orderCode, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Orders.Confirm(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err = client.Orders.Get(ctx, orderCode, nil); err != nil {
		t.Fatal(err)
	}
	order = *got
}
`

// docsTestsHarness opens the test file that holds the blocks that are
// test functions, and the runner of the blocks marked to run.
const docsTestsHarness = `package docs

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

var (
	_ = context.Background
	_ = os.Stderr
	_ = tiki.NewClient
	_ = tikitest.Start
)
`

// TestDocsGoBlocks compiles every Go block of README.md and docs/*.md, runs
// the ones marked to run against the fake, each against a fresh one, and
// runs the blocks that are tests. A block that does not compile, or that
// returns an error against the fake, fails here with its file and line.
func TestDocsGoBlocks(t *testing.T) {
	goTool := needGoTool(t, "builds and runs the documents' code")
	blocks := goBlocks(t)
	if len(blocks) < 20 {
		t.Fatalf("found %d Go blocks in the documents; the pattern is wrong", len(blocks))
	}

	// The package lives inside the module (so its imports resolve) in a
	// directory the go tool's ./... patterns skip.
	dir, err := os.MkdirTemp(".", "_docs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	var lib, tests, runs strings.Builder
	lib.WriteString(docsHarness)
	tests.WriteString(docsTestsHarness)
	pkgs := []string{"./" + filepath.ToSlash(dir)}
	var programs []program
	ran := 0
	for i, b := range blocks {
		code := b.code
		lineDirective := fmt.Sprintf("//line %s:%d\n", b.file, b.line+1)
		const generated = "\n//line generated.go:1\n"
		trimmed := strings.TrimSpace(code)
		switch {
		case strings.Contains(code, "redisstore."), strings.Contains(code, "tikiotel."):
			continue // built by the redisstore and tikiotel modules' tests
		case packageClause.MatchString(code):
			// A whole file: a program, or a test file that runs as one.
			sub := filepath.Join(dir, fmt.Sprintf("file%d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			name := "main.go"
			if pkg := packageClause.FindStringSubmatch(code)[1]; strings.HasSuffix(pkg, "_test") {
				name = "block_test.go"
			} else if runsMarker.MatchString(b.marker) {
				programs = append(programs, program{b.where(), "./" + filepath.ToSlash(sub)})
			}
			if err := os.WriteFile(filepath.Join(sub, name), []byte(lineDirective+code), 0o644); err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+filepath.ToSlash(sub))
		case strings.HasPrefix(code, "func Test"):
			fmt.Fprintf(&tests, "\n%s%s%s", lineDirective, code, generated)
		case strings.HasPrefix(code, "func ") || strings.HasPrefix(code, "type "):
			fmt.Fprintf(&lib, "\n%s%s%s", lineDirective, code, generated)
		default:
			end := "return nil\n"
			if lines := strings.Split(trimmed, "\n"); strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "return ") {
				end = ""
			}
			fmt.Fprintf(&lib, "\nfunc block%d() error {\n%s%s\n%s}%s", i, lineDirective, code, end, generated)
			if m := runsMarker.FindStringSubmatch(b.marker); m != nil {
				timeout := time.Minute
				if m[1] != "" {
					if timeout, err = time.ParseDuration(m[1]); err != nil {
						t.Fatalf("%s: %v", b.where(), err)
					}
				}
				fmt.Fprintf(&runs, "\t{%q, %d, block%d},\n", b.where(), timeout, i)
				ran++
			}
		}
	}
	fmt.Fprintf(&tests, `
// TestRunsAgainstTheFake runs each block marked to run against the fake.
func TestRunsAgainstTheFake(t *testing.T) {
	for _, b := range []struct {
		where   string
		timeout time.Duration
		run     func() error
	}{
%s	} {
		t.Run(b.where, func(t *testing.T) {
			setUp(t, b.timeout)
			if err := b.run(); err != nil {
				t.Fatalf("%%s: %%v", b.where, err)
			}
		})
	}
}
`, runs.String())
	if ran < 10 {
		t.Fatalf("only %d blocks are marked to run against the fake", ran)
	}
	for name, src := range map[string]string{"docs.go": lib.String(), "docs_test.go": tests.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if out, err := exec.Command(goTool, append([]string{"vet"}, pkgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("Go blocks of the documents do not compile:\n%s", out)
	}
	args := append([]string{"test", "-count=1", "-vet=off"}, pkgs...)
	if testing.Verbose() {
		args = append(args, "-v")
	}
	out, err := exec.Command(goTool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("Go blocks of the documents fail against the fake:\n%s", out)
	}
	t.Logf("%d blocks ran against the fake:\n%s", ran, out)
	for _, p := range programs {
		if out, err := exec.Command(goTool, "run", p.pkg).CombinedOutput(); err != nil {
			t.Errorf("%s: the program fails: %v\n%s", p.where, err, out)
		}
	}
}

// needGoTool returns the path of the go tool for a test that builds what it
// does with it, and skips the test in -short mode or without the tool.
func needGoTool(t *testing.T, does string) string {
	t.Helper()
	if testing.Short() {
		t.Skip(does + " with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	return goTool
}
