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
	{"catalog", "search", "Medical"},
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
	t.Parallel()
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

// The commands that read what an earlier run left (a product request, a
// profile) print what their golden files hold, in every format: against a
// fake of the test's own, and a configuration directory of its own.
func TestGoldenOutputOfStatefulCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newShop(t, h)
	rec := decodeJSON[tiki.TrackedRequest](t, h.ok("requests", "create", "testdata/product.yaml", "-o", "json").stdout)
	h.stdin = secretClient + "\n"
	h.ok("config", "set", "shop", "--auth", "client-credentials", "--client-id", "app-1", "--environment", "production", "--scopes", "product,order")
	for _, c := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"requests_wait", []string{"requests", "wait", rec.TrackID, "--interval", "20ms"}, ""},
		{"requests_track", []string{"requests", "track", rec.TrackID}, ""},
		{"config_set", []string{"config", "set", "shop-FORMAT", "--auth", "access-token", "--base-url", "https://proxy.example/integration"}, secretToken + "\n"},
		{"config_show_profile_shop", []string{"--profile", "shop", "config", "show"}, ""},
		{"config_list_four_profiles", []string{"config", "list"}, ""},
	} {
		for _, format := range formats {
			t.Run(c.name+"."+format, func(t *testing.T) {
				h.stdin = c.stdin
				args := make([]string, len(c.args))
				for i, arg := range c.args {
					args[i] = strings.ReplaceAll(arg, "FORMAT", format)
				}
				r := h.ok(append(args, "-o", format)...)
				out := r.stdout
				if r.stderr != "" {
					out += "--- stderr\n" + r.stderr
				}
				noSecret(t, r, secretClient, secretToken)
				golden(t, c.name+"."+format, strings.ReplaceAll(out, h.configDir, "CONFIG"))
			})
		}
	}
}

// Every leaf command of the tree is in the golden tests (or in a test of
// its own that says why it is not).
func TestGoldenCoversEveryCommand(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{
		// TestGoldenOutputOfStatefulCommands: they read what an earlier
		// run left.
		"requests track": true, "requests wait": true, "config list": true, "config set": true,
		// Golden in a test of their own (TestWebhooksListen), or tested
		// without a golden file: they need a server, a terminal or a
		// configuration file, or print only on stderr.
		"webhooks listen": true, "mcp": true, "config use": true, "config delete": true, "config login": true,
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
	t.Parallel()
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

// The commands of the command's design: each shop operation, the
// configuration, shell completion and the MCP server.
var designedCommands = []string{
	"orders list", "orders get", "orders confirm", "orders label", "orders deliver", "orders ship",
	"products list", "products get", "products set", "stock push", "stock audit", "products stock push", "products stock audit",
	"requests create", "requests track", "requests wait",
	"queue create", "queue subscribe", "queue tail",
	"webhooks register", "webhooks listen",
	"catalog search", "catalog attributes", "catalog documents",
	"config", "completion", "mcp",
}

// Every command exists, says what it does and shows examples in its
// --help.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	root := (&app{env: &Env{}}).rootCommand()
	for _, path := range designedCommands {
		c, rest, err := root.Find(strings.Fields(path))
		require.NoError(t, err, path)
		assert.Empty(t, rest, "tiki %s exists", path)
		assert.True(t, c.Runnable() || c.HasSubCommands(), "tiki %s does something", path)
	}
	var paths [][]string
	visit(root, func(c *cobra.Command) {
		path := c.CommandPath()
		paths = append(paths, strings.Fields(path)[1:])
		assert.NotEmpty(t, c.Short, "%s has no short description", path)
		assert.Contains(t, c.Example, "tiki ", "%s has no example", path)
	})
	h := newHarness(t)
	for _, path := range paths {
		r := h.ok(append(path, "--help")...)
		assert.Contains(t, r.stdout, "Examples:\n  tiki ", "tiki %s --help", strings.Join(path, " "))
	}
}
