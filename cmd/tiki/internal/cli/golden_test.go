package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// goldenCommands are the command lines the golden tests run against the
// built-in fake, each in every output format. Each run starts a fresh demo
// shop, so a write in one does not show in the next.
var goldenCommands = [][]string{
	{"orders", "list"},
	{"orders", "list", "--waiting"},
	{"orders", "list", "--all", "--fulfillment-type", "dropship,seller_delivery", "--sort", "created_at:asc"},
	{"orders", "list", "--limit", "3"},
	{"orders", "get", "300000005"},
	{"orders", "confirm", "--all-waiting", "--dry-run"},
	{"orders", "confirm", "300000003"},
	{"orders", "confirm", "--all-waiting", "--yes"},
	{"orders", "label", "300000001"},
	{"orders", "deliver", "300000001", "--dry-run"},
	{"orders", "deliver", "300000001", "--status", "failed_delivery", "--failure-cause", "redelivery_appointment", "--appointment", "2025-06-03 09:00:00"},
	{"orders", "ship", "300000002", "--step", "transferring_to_foreign_warehouses", "--at", "2025-06-02 09:00:00"},
	{"orders", "pickup-slots"},
	{"products", "list"},
	{"products", "list", "--all", "--active", "--limit", "2"},
	{"products", "get", "SO-TAY-A5"},
	{"products", "set", "SO-TAY-A5", "--price", "125000"},
	{"products", "set", "SO-TAY-A5", "--qty", "919=20,903=10", "--dry-run"},
	{"products", "set", "BINH-NUOC-500", "--active=false"},
	{"requests", "create", "testdata/product.yaml"},
	{"requests", "create", "testdata/product.json", "--wait", "--interval", "20ms"},
	{"catalog", "categories", "--primary"},
	{"catalog", "category", "218"},
	{"catalog", "attributes", "218", "--required"},
	{"catalog", "values", "540", "--query", "phong"},
	{"catalog", "documents", "218"},
	{"catalog", "brands", "apple"},
	{"queue", "list"},
	{"queue", "create", "orders", "--subscribe", "ORDER_CREATED_SUCCESSFULLY,ORDER_STATUS_UPDATED"},
	{"queue", "subscribe", "demo", "PRODUCT_PRICE_UPDATED"},
	{"queue", "subscriptions", "demo"},
	{"queue", "tail", "demo", "--count", "2"},
	{"webhooks", "register", "--url", "http://127.0.0.1:8088/hooks", "--locations", "sgn,hn4"},
	{"config", "show"},
}

// Every command runs against the built-in fake in table, JSON and CSV
// form, and prints what its golden file holds: stdout, then stderr.
func TestGoldenOutput(t *testing.T) {
	for _, args := range append(goldenCommands, stockGoldenCommands...) {
		for _, format := range formats {
			t.Run(goldenName(args, format), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				r := h.ok(append([]string{"--fake", "-o", format}, args...)...)
				out := r.stdout
				if r.stderr != "" {
					out += "--- stderr\n" + r.stderr
				}
				golden(t, goldenName(args, format), out)
			})
		}
	}
}

// Every leaf command of the tree is in the golden tests (or in a test of
// its own that says why it is not).
func TestGoldenCoversEveryCommand(t *testing.T) {
	covered := map[string]bool{
		// A test of their own: they need a fake that outlives one run, a
		// server, a terminal or a configuration file.
		"requests track": true, "requests wait": true, "webhooks listen": true, "mcp": true,
		"config list": true, "config set": true, "config use": true, "config delete": true, "config login": true,
		"config path": true, "completion": true, "help": true,
	}
	for _, args := range append(goldenCommands, stockGoldenCommands...) {
		covered[strings.Join(args[:2], " ")] = true
		if len(args) > 2 {
			covered[strings.Join(args[:3], " ")] = true // products stock push
		}
	}
	root := (&app{env: &Env{}}).rootCommand()
	visit(root, func(c *cobra.Command) {
		if c.HasSubCommands() || c == root {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "tiki ")
		for p := path; p != ""; {
			if covered[p] {
				return
			}
			i := strings.LastIndex(p, " ")
			if i < 0 {
				break
			}
			p = p[:i]
		}
		t.Errorf("tiki %s has no golden test", path)
	})
}

// A golden run's JSON is the SDK's types: a list of orders decodes into
// tiki.Order values.
func TestJSONIsTheSDKShape(t *testing.T) {
	h := newHarness(t)
	r := h.ok("--fake", "-o", "json", "orders", "list")
	orders := decodeJSON[[]tiki.Order](t, r.stdout)
	require.Len(t, orders, 7)
	assert.Equal(t, "300000007", orders[0].Code)
	assert.Equal(t, tiki.Money(65000), orders[0].Invoice.GrandTotal)

	r = h.ok("--fake", "-o", "json", "products", "list")
	products := decodeJSON[[]tiki.Product](t, r.stdout)
	require.Len(t, products, 5)
	require.NotNil(t, products[0].Inventory)
	assert.Len(t, products[0].Inventory.WarehouseStocks, 2)
}

// Every command says what it does and shows examples in its --help.
func TestEveryCommandHasExamples(t *testing.T) {
	root := (&app{env: &Env{}}).rootCommand()
	root.InitDefaultCompletionCmd()
	visit(root, func(c *cobra.Command) {
		path := c.CommandPath()
		if strings.HasPrefix(path, "tiki completion") || path == "tiki help" {
			return // cobra's own, with their own help
		}
		assert.NotEmpty(t, c.Short, "%s has no short description", path)
		assert.Contains(t, c.Example, "tiki ", "%s has no example", path)
	})
}
