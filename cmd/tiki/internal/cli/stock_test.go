package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// stockGoldenCommands are the stock commands of the golden tests.
var stockGoldenCommands = [][]string{
	{"stock", "audit", "testdata/stock.csv"},
	{"stock", "push", "testdata/stock.csv", "--yes", "--max-price-change", "50"},
	{"products", "stock", "push", "testdata/stock.csv", "--dry-run", "--buffer", "2"},
}

// An audit writes nothing; a push plans, asks on a terminal (or needs
// --yes), writes the plan and reports it; pushing again finds Tiki in step.
func TestStockPush(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)

	r := h.ok("stock", "audit", "testdata/stock.csv", "-o", "json")
	plan := decodeJSON[reconcile.Report](t, r.stdout)
	assert.True(t, plan.DryRun)
	assert.Equal(t, 4, plan.Changed)
	assert.Empty(t, writes(s.requests()), "an audit writes nothing")

	push := []string{"stock", "push", "testdata/stock.csv", "--max-price-change", "50"}
	h.fails(ExitUsage, push, "no terminal to ask on", "--yes")
	assert.Empty(t, writes(s.requests()))

	h.terminal, h.stdin = true, "no\n"
	r = h.run(push...)
	assert.Equal(t, ExitError, r.code)
	assert.Contains(t, r.stderr, "SO-TAY-A5", "the plan is shown before the question")
	assert.Contains(t, r.stderr, "Write 4 changes of 3 products to Tiki? [y/N]")
	assert.Empty(t, writes(s.requests()))

	h.stdin = "y\n"
	r = h.ok(append(push, "-o", "json")...)
	done := decodeJSON[reconcile.Report](t, r.stdout)
	assert.False(t, done.DryRun)
	assert.Equal(t, 3, done.Changed)
	assert.Len(t, writes(s.requests()), 1, "one batch call")
	p, _ := s.Product("SO-TAY-A5")
	assert.Equal(t, tiki.Money(125000), p.Price)
	assert.Contains(t, r.stderr, "batch calls", "progress on a terminal")

	h.terminal = false
	r = h.ok(push...)
	assert.Contains(t, r.stderr, "Nothing to write")
	assert.Empty(t, writes(s.requests()))

	// Without the guard, Tiki refuses the tenfold price: the push says so.
	r = h.fails(ExitRefused, []string{"stock", "push", "testdata/stock.csv", "--yes"}, "1 of 1 products were not written", "after fixing what Tiki refused")
	assert.Contains(t, r.stdout, "Seller price must be less than or equals listing price")
}

// The state file of a profile tells drift (a value changed on Tiki since
// the last push) from the books' changes.
func TestStockDrift(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	state := filepath.Join(t.TempDir(), "shop.stock")
	h.ok("stock", "push", "testdata/stock.csv", "--yes", "--state", state, "--max-price-change", "50")
	c := mustClient(t, s)
	_, _, err := c.Products.Update(t.Context(), tiki.ProductUpdate{OriginalSKU: "SO-TAY-A5", Price: 99000})
	require.NoError(t, err) // someone in Seller Center
	r := h.ok("stock", "audit", "testdata/stock.csv", "--state", state, "--max-price-change", "50", "-o", "json")
	report := decodeJSON[reconcile.Report](t, r.stdout)
	require.Len(t, report.Lines, 3, r.stdout) // the price, the guarded price, the SKU Tiki does not have
	assert.True(t, report.Lines[0].Drift)
	assert.Equal(t, 1, report.Drifted)
	_, err = os.Stat(state)
	require.NoError(t, err)

	// Another stock command of the profile holds the state: this one waits
	// for nothing and writes nothing, and says so.
	held, err := reconcile.OpenFileState(state)
	require.NoError(t, err)
	defer held.Close()
	s.requests()
	h.fails(ExitError, []string{"stock", "push", "testdata/stock.csv", "--yes", "--state", state}, "is in use by another tiki stock command", "--state")
	assert.Empty(t, writes(s.requests()))
}

// A books file with a bad row stops the command before Tiki is read.
func TestStockBadBooks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("sku,warehouse,quantity\nSO-TAY-A5,919,12\nBUT-BI-XANH,919,ten\n"), 0o644))
	for _, args := range [][]string{{"stock", "audit", bad}, {"stock", "push", bad, "--yes"}} {
		h.fails(ExitInvalid, args, "bad.csv line 3", `quantity "ten" is not a number of units`, "nothing was sent")
		assert.Empty(t, s.requests(), "nothing is read or sent")
	}
	h.stdin = "sku,price\nSO-TAY-A5,100000\n"
	r := h.ok("stock", "audit", "-", "-o", "csv")
	assert.Contains(t, r.stdout, "SO-TAY-A5,2090002,changed,price,,120000,100000")
}

// push_stock plans first, and applies only that plan, once, in a second
// call; audit_stock writes nothing.
func TestMCPStockTools(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	books, err := os.ReadFile("testdata/stock.csv")
	require.NoError(t, err)

	ro := connectMCP(t, h, false)
	res, out, text := call(t, ro, "audit_stock", map[string]any{"csv": string(books)})
	require.False(t, res.IsError, text)
	assert.EqualValues(t, 4, out["report"].(map[string]any)["changed"])
	res, _, text = call(t, ro, "push_stock", map[string]any{"csv": string(books)})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "--allow-writes")

	cs := connectMCP(t, h, true)
	res, out, text = call(t, cs, "push_stock", map[string]any{"books": []map[string]any{
		{"sku": "SO-TAY-A5", "price": 125000, "quantities": map[string]int{"919": 20, "903": 10}},
	}})
	require.False(t, res.IsError, text)
	id, _ := out["plan_id"].(string)
	require.NotEmpty(t, id, text)
	assert.Contains(t, out["note"], "nothing was written")
	assert.Empty(t, writes(s.requests()), "the first call writes nothing")

	res, _, text = call(t, cs, "push_stock", map[string]any{"plan_id": id})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "apply: true")

	res, out, text = call(t, cs, "push_stock", map[string]any{"plan_id": id, "apply": true})
	require.False(t, res.IsError, text)
	assert.Equal(t, false, out["report"].(map[string]any)["dry_run"])
	assert.Len(t, writes(s.requests()), 1)
	p, _ := s.Product("SO-TAY-A5")
	assert.Equal(t, tiki.Money(125000), p.Price)

	res, _, text = call(t, cs, "push_stock", map[string]any{"plan_id": id, "apply": true})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "applied already")

	res, _, text = call(t, cs, "push_stock", map[string]any{"csv": "sku,warehouse,quantity\nA,919,x\n"})
	assert.True(t, res.IsError)
	assert.True(t, strings.Contains(text, `quantity "x"`), text)
}

// A seller for whom Tiki lists no active pickup warehouse is told to name
// the warehouses, and nothing is written.
func TestStockWithoutPickupWarehouses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	require.NoError(t, s.Inject(tikitest.Fault{Method: "GET", Path: "/integration/v2/sellers/me/warehouses",
		Body: []byte(`{"data":[],"paging":{"total":0,"per_page":20,"current_page":1,"last_page":1,"from":0,"to":0}}`)}))
	h.fails(ExitInvalid, []string{"stock", "push", "testdata/stock.csv", "--yes"}, "no active pickup warehouse", "--warehouses")
	assert.Empty(t, writes(s.requests()))
}
