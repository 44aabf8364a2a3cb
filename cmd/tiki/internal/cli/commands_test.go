package cli

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// Each kind of failure has its exit code and a one-line message naming the
// value and the way to fix it; the failures before anything is sent send
// nothing.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	badProduct := filepath.Join(t.TempDir(), "product.yaml")
	require.NoError(t, os.WriteFile(badProduct, []byte("category_id: 218\nname: x\ndescription: x\nimage: https://img.example/x.jpg\nattributes: {brand: Tiki}\nvariants:\n  - sku: X-1\n    price: -3\n"), 0o644))

	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown command", []string{"ordrs", "list"}, ExitUsage, []string{`"ordrs"`, "did you mean orders?"}},
		{"unknown subcommand", []string{"orders", "lst"}, ExitUsage, []string{`"lst"`, "did you mean", "list"}},
		{"unknown flag", []string{"orders", "list", "--stauts", "queueing"}, ExitUsage, []string{"--stauts", "tiki orders list --help"}},
		{"unknown flag value", []string{"orders", "list", "--status", "queuing"}, ExitUsage, []string{`--status "queuing" is not an order status`, "use one of queueing,"}},
		{"unknown output format", []string{"-o", "yaml", "orders", "list"}, ExitUsage, []string{`--output "yaml"`, "table, json or csv"}},
		{"bad number", []string{"orders", "list", "--limit", "many"}, ExitUsage, []string{`"many"`, "--limit"}},
		{"limit too large", []string{"orders", "list", "--limit", "500"}, ExitUsage, []string{"--limit 500", "1 to 100"}},
		{"missing argument", []string{"orders", "get"}, ExitUsage, []string{"takes CODE"}},
		{"bad quantity", []string{"products", "set", "SO-TAY-A5", "--qty", "919:12"}, ExitUsage, []string{`--qty "919:12"`, "WAREHOUSE=UNITS", "919=12"}},
		{"nothing to set", []string{"products", "set", "SO-TAY-A5"}, ExitUsage, []string{"nothing to set", "--price"}},
		{"unknown operation model", []string{"orders", "list", "--fulfillment-type", "drop_ship"}, ExitUsage, []string{`--fulfillment-type "drop_ship" is not an operation model`, "use one of seller_delivery,"}},
		{"unknown product part", []string{"products", "list", "--include", "pictures"}, ExitUsage, []string{`--include "pictures" is not a product part`, "images"}},
		{"unknown delivery outcome", []string{"orders", "deliver", "300000001", "--status", "delivered"}, ExitUsage, []string{`--status "delivered" is not a delivery outcome`, "successful_delivery, failed_delivery"}},
		{"unknown shipment step", []string{"orders", "ship", "300000002", "--step", "customs"}, ExitUsage, []string{`--step "customs" is not a shipment step`, "customs_clearance,"}},
		{"bad warehouse id", []string{"stock", "audit", "testdata/stock.csv", "--warehouses", "hn"}, ExitUsage, []string{`--warehouses "hn" is not an id`, "positive whole numbers"}},
		{"bad time", []string{"orders", "list", "--created-from", "yesterday"}, ExitUsage, []string{`--created-from "yesterday" is not a time`, "2025-06-02"}},
		{"missing books file", []string{"stock", "push", "nofile.csv", "--yes"}, ExitUsage, []string{"reading the books nofile.csv: no such file or directory", "give the path of a CSV file, or - to read stdin"}},
		{"missing product request file", []string{"requests", "create", "nofile.yaml"}, ExitUsage, []string{"reading the product request nofile.yaml: no such file", "JSON or YAML file"}},
		{"missing profile", []string{"--profile", "shop2", "orders", "list"}, ExitUsage, []string{`profile "shop2"`, "tiki config set shop2"}},
		{"missing profile of TIKI_PROFILE", []string{"orders", "list"}, ExitUsage, []string{`profile "from-env"`, "tiki config set from-env", "tiki config list"}},
		{"missing configuration file", []string{"--config", "/nonexistent/tiki.yaml", "--profile", "shop", "orders", "list"}, ExitUsage, []string{"/nonexistent/tiki.yaml does not exist", "check --config", "tiki config set shop"}},
		{"bad product request", []string{"requests", "create", badProduct}, ExitInvalid, []string{"variants[0].price must be greater than 0", "nothing was sent"}},
		{"order that needs no confirmation", []string{"orders", "confirm", "300000007"}, ExitInvalid, []string{"order 300000007 needs no confirmation", "nothing was sent"}},
		{"a stock push leaving a warehouse out", []string{"products", "set", "SO-TAY-A5", "--qty", "919=3"}, ExitInvalid, []string{"leaves out warehouse 903 (10 units)", "add --qty 903=10", "nothing was sent"}},
		{"not found", []string{"orders", "get", "999999999"}, ExitRefused, []string{"order 999999999 not found", "404", "tiki orders list"}},
		{"Tiki refuses", []string{"orders", "label", "300000003"}, ExitRefused, []string{"422", "is not confirmed yet"}},
	} {
		// The refusals that need what Tiki holds: they read it, and write
		// nothing.
		readsFirst := map[string]bool{"order that needs no confirmation": true, "a stock push leaving a warehouse out": true}
		t.Run(c.name, func(t *testing.T) {
			s.requests()
			if strings.Contains(c.name, "TIKI_PROFILE") {
				h.env[EnvProfile] = "from-env"
				defer delete(h.env, EnvProfile)
			}
			h.fails(c.code, c.args, c.want...)
			switch sent := s.requests(); {
			case c.code == ExitUsage, c.code == ExitInvalid && !readsFirst[c.name]:
				assert.Empty(t, sent, "nothing is sent, not even a read")
			case c.code != ExitRefused:
				assert.Empty(t, writes(sent), "nothing is written")
			}
		})
	}

	t.Run("Tiki fails, with its request id", func(t *testing.T) {
		require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Status: http.StatusForbidden,
			Header: http.Header{"X-Request-Id": {"req-2f9c"}}}))
		r := h.fails(ExitRefused, []string{"orders", "list"}, "403 Forbidden", "(request id req-2f9c)", "lack a scope")
		assert.Empty(t, r.stdout)
	})

	t.Run("Tiki refuses a list with rows", func(t *testing.T) {
		paused := []byte(`{"success":false,"errors":["Kết nối đang tạm ngưng bởi seller"],"data":[]}`)
		for _, args := range [][]string{{"orders", "list"}, {"orders", "list", "--all", "-o", "json"}, {"products", "list", "-o", "csv"}} {
			path := "/integration/v2/orders"
			if args[0] == "products" {
				path = "/integration/v2.1/products"
			}
			require.NoError(t, s.Inject(tikitest.Fault{Path: path, Body: paused}))
			r := h.fails(ExitRefused, args, "200 OK: Kết nối đang tạm ngưng bởi seller", "resume it in Seller Center")
			if slices.Contains(args, "json") {
				assert.Equal(t, "[]\n", r.stdout, "what was printed is still JSON")
			}
		}
	})

	t.Run("Tiki's rate limit", func(t *testing.T) {
		require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Status: http.StatusTooManyRequests, Times: 3}))
		h.fails(ExitRefused, []string{"orders", "list"}, "429 Too Many Requests", "Tiki's rate limit: run the command again in a moment")
	})

	t.Run("network", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		n := newHarness(t)
		n.env[EnvBaseURL] = "http://" + addr + "/integration"
		n.env[EnvAccessToken] = "token"
		n.fails(ExitNetwork, []string{"orders", "list"}, "connection refused", "nothing reached Tiki")
	})

	t.Run("interrupted", func(t *testing.T) {
		n := newHarness(t)
		newShop(t, n)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n.ctx = ctx
		n.fails(ExitInterrupted, []string{"orders", "list"}, "interrupted")
	})

	t.Run("no credentials", func(t *testing.T) {
		newHarness(t).fails(ExitUsage, []string{"orders", "list"}, "no credentials", EnvClientID, "tiki config set", "--fake")
	})

	t.Run("success", func(t *testing.T) {
		assert.Equal(t, ExitOK, h.run("orders", "list").code)
	})
}

// A confirmation with --dry-run sends no write: it reads the orders and the
// warehouses, and shows the request each confirmation would send.
func TestConfirmDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	r := h.ok("orders", "confirm", "--all-waiting", "--dry-run", "-o", "json")
	log := s.requests()
	assert.Empty(t, writes(log), "a dry run sends only reads")
	assert.NotEmpty(t, log, "a dry run reads the orders")

	results := decodeJSON[[]confirmResult](t, r.stdout)
	require.Len(t, results, 4)
	for _, res := range results {
		assert.True(t, res.DryRun)
		require.NotNil(t, res.Request, res.Code)
		assert.Equal(t, "POST", res.Request.Method)
		assert.Contains(t, res.Request.Path, "/v2/orders/"+res.Code+"/")
		o, ok := s.Order(res.Code)
		require.True(t, ok)
		assert.True(t, o.NeedsConfirmation(), "order %s is still waiting", res.Code)
	}

	// The same without --dry-run sends exactly those requests.
	h.ok("orders", "confirm", "--all-waiting", "--yes")
	var posts []string
	for _, l := range writes(s.requests()) {
		posts = append(posts, strings.Fields(l)[0]+" "+strings.Fields(l)[1])
	}
	var want []string
	for _, res := range results {
		want = append(want, res.Request.Method+" "+res.Request.Path)
	}
	assert.Equal(t, want, posts)
	for _, res := range results {
		o, _ := s.Order(res.Code)
		assert.False(t, o.NeedsConfirmation(), "order %s is confirmed", res.Code)
	}
}

// Confirming several orders asks on a terminal, and without one needs
// --yes: nothing is sent until then.
func TestConfirmAsksFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)

	h.fails(ExitUsage, []string{"orders", "confirm", "--all-waiting"}, "no terminal to ask on", "--yes")
	assert.Empty(t, writes(s.requests()))

	h.terminal, h.stdin = true, "n\n"
	r := h.run("orders", "confirm", "--all-waiting")
	assert.Equal(t, ExitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, "Confirm 4 orders on Tiki (300000006, 300000005, 300000004, 300000003)? [y/N]")
	assert.Contains(t, r.stderr, "the confirmation was declined, nothing was sent")
	assert.Empty(t, writes(s.requests()))

	h.stdin = "y\n"
	h.ok("orders", "confirm", "--all-waiting")
	assert.Len(t, writes(s.requests()), 4)
}

// One order named on the command line is confirmed without a question.
func TestConfirmOneOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	h.ok("orders", "confirm", "300000005", "--pickup-time", "2025-06-03 09:00:00")
	w := writes(s.requests())
	require.Len(t, w, 1)
	assert.True(t, strings.HasPrefix(w[0], "POST /integration/v2/orders/300000005/dropship/confirm-available 200"), w[0])
	o, _ := s.Order("300000005")
	assert.False(t, o.NeedsConfirmation())
}

// Other dry runs send no write either.
func TestDryRunsSendNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	for _, args := range [][]string{
		{"products", "set", "SO-TAY-A5", "--price", "125000", "--qty", "919=1,903=2", "--dry-run"},
		{"orders", "deliver", "300000001", "--dry-run"},
		{"orders", "ship", "300000002", "--step", "transferring_to_foreign_warehouses", "--dry-run"},
	} {
		r := h.ok(append(args, "-o", "json")...)
		assert.Contains(t, r.stdout, `"dry_run": true`)
		assert.Contains(t, r.stdout, `"method": "`)
		assert.Empty(t, writes(s.requests()), "%v", args)
	}
	p, _ := s.Product("SO-TAY-A5")
	assert.Equal(t, tiki.Money(120000), p.Price)
	assert.Empty(t, s.SellerDeliveryUpdates("300000001"))
	assert.Empty(t, s.ShipmentUpdates("300000002"))
}

// products set writes what it says, and the product changes on Tiki.
func TestProductsSet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	h.ok("products", "set", "SO-TAY-A5", "--price", "125000", "--qty", "919=20", "--qty", "903=0", "--active=false")
	w := writes(s.requests())
	require.Len(t, w, 1)
	assert.True(t, strings.HasPrefix(w[0], "PUT /integration/v2.1/products/updateSku 200"), w[0])
	p, _ := s.Product("SO-TAY-A5")
	assert.Equal(t, tiki.Money(125000), p.Price)
	require.NotNil(t, p.Active)
	assert.Equal(t, tiki.ProductInactive, *p.Active)
}

// A label is saved to a file, or written to stdout; its link needs no
// credential.
func TestLabelFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newShop(t, h)
	file := filepath.Join(t.TempDir(), "label.html")
	r := h.ok("orders", "label", "300000001", "--out", file, "-o", "json")
	body, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(body), "300000001")
	res := decodeJSON[[]labelResult](t, r.stdout)
	require.Len(t, res, 1)
	assert.Equal(t, file, res[0].File)
	assert.Equal(t, len(body), res[0].Bytes)

	r = h.ok("orders", "label", "300000001", "--out", "-")
	assert.Equal(t, string(body), r.stdout)
}

// requests track and wait follow a request made earlier.
func TestRequestsTrackAndWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newShop(t, h)
	r := h.ok("requests", "create", "testdata/product.yaml", "-o", "json")
	rec := decodeJSON[tiki.TrackedRequest](t, r.stdout)
	require.NotEmpty(t, rec.TrackID)

	for _, format := range formats {
		r = h.ok("requests", "track", rec.TrackID, "-o", format)
		assert.Contains(t, r.stdout, rec.TrackID)
	}
	r = h.ok("requests", "wait", rec.TrackID, "--interval", "20ms", "-o", "json")
	done := decodeJSON[tiki.TrackedRequest](t, r.stdout)
	assert.Equal(t, tiki.RequestApproved, done.State)

	h.fails(ExitRefused, []string{"requests", "track", "no-such-request"}, "product request no-such-request not found")
}

// A wait that runs out of time says where the request is and what to do.
func TestRequestsWaitTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h, tikitest.WithApprovalDelay(0)) // requests never move
	rec, _, err := mustClient(t, s).ProductRequests.Create(context.Background(), mustProduct(t))
	require.NoError(t, err)
	h.fails(ExitError, []string{"requests", "wait", rec.TrackID, "--timeout", "100ms", "--interval", "20ms"},
		"is still queuing after 100ms", "tiki requests wait "+rec.TrackID+" again later")
}

func mustClient(t *testing.T, s *shop) *tiki.Client {
	t.Helper()
	c, err := s.Client()
	require.NoError(t, err)
	return c
}

func mustProduct(t *testing.T) tiki.NewProduct {
	t.Helper()
	b, err := os.ReadFile("testdata/product.yaml")
	require.NoError(t, err)
	p, err := parseProduct("product.yaml", b)
	require.NoError(t, err)
	return p
}

// Progress is drawn on stderr only when it is a terminal.
func TestProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newShop(t, h)
	r := h.ok("orders", "list", "--all", "-o", "json")
	assert.Empty(t, r.stderr)
	h.terminal = true
	r = h.ok("orders", "list", "--all", "-o", "json")
	assert.Contains(t, r.stderr, " orders")
	assert.NotContains(t, r.stdout, "\r")
}

// The values the command offers for each enumeration are the SDK's: the
// SDK's refusal of an unknown value lists the values it knows.
func TestEnumerationsAreTheSDKs(t *testing.T) {
	t.Parallel()
	client, err := tiki.NewClient(tiki.WithSellerKey("k"), tiki.WithBaseURL("http://127.0.0.1:1/integration"))
	require.NoError(t, err)
	ctx := context.Background()
	known := func(err error) []string {
		t.Helper()
		var ve *tiki.ValidationError
		require.ErrorAs(t, err, &ve)
		msg := ve.Problems[0].Problem
		_, list, ok := strings.Cut(msg, " values ")
		require.True(t, ok, msg)
		list, _, _ = strings.Cut(list, " (a value")
		var out []string
		for _, v := range strings.Split(list, ", ") {
			out = append(out, strings.Trim(v, `"`))
		}
		return out
	}
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{Status: tiki.In[tiki.OrderStatus]("x")})
	assert.Equal(t, known(err), strs(orderStatuses), "order statuses")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{FulfillmentType: tiki.In[tiki.FulfillmentType]("x")})
	assert.Equal(t, known(err), strs(fulfillmentTypes), "operation models")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{ItemConfirmationStatus: "x"})
	assert.Equal(t, known(err), strs(confirmationStatuses), "confirmation statuses")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{ItemInventoryType: tiki.In[tiki.InventoryType]("x")})
	assert.Equal(t, known(err), strs(orderInventoryTypes), "inventory types")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{FilterDateBy: "x"})
	assert.Equal(t, known(err), strs(dateFilters), "date filters")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{OrderBy: "x"})
	assert.Equal(t, known(err), strs(orderSorts), "sorts")
	_, _, err = client.Orders.List(ctx, &tiki.OrderListOptions{Include: []tiki.OrderInclude{"x"}})
	assert.Equal(t, known(err), strs(orderIncludes), "order includes")
	_, _, err = client.Products.List(ctx, &tiki.ProductsOptions{Include: []tiki.ProductInclude{"x"}})
	assert.Equal(t, known(err), strs(productIncludes), "product includes")
	order := &tiki.Order{Code: "1", FulfillmentType: tiki.FulfillmentSellerDelivery}
	_, _, err = client.Orders.UpdateSellerDelivery(ctx, order, tiki.SellerDeliveryUpdate{Status: "x"})
	assert.Equal(t, known(err), strs(sellerDeliveryStatuses), "delivery outcomes")
	_, _, err = client.Orders.UpdateSellerDelivery(ctx, order, tiki.SellerDeliveryUpdate{Status: tiki.SellerDeliveryFailed, FailureCause: "x"})
	assert.Equal(t, known(err), strs(failureCauses), "failure causes")
	order.FulfillmentType = tiki.FulfillmentCrossBorder
	_, _, err = client.Orders.UpdateCrossBorderShipment(ctx, order, tiki.ShipmentUpdate{Status: "x", UpdateTime: tiki.NewTime(demoNow)})
	assert.Equal(t, known(err), strs(shipmentSteps), "shipment steps")
}

// Shell completion: a script for each shell, and completions of commands,
// enumeration flags' values and profile names.
func TestShellCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := h.ok("completion", shell)
		assert.Contains(t, r.stdout, "tiki", shell)
	}
	complete := func(args ...string) []string {
		t.Helper()
		r := h.ok(append([]string{"__complete"}, args...)...)
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasPrefix(line, ":") {
				out = append(out, strings.SplitN(line, "\t", 2)[0])
			}
		}
		return out
	}
	assert.Subset(t, complete("ord"), []string{"orders"})
	assert.Subset(t, complete("orders", ""), []string{"list", "get", "confirm", "label", "deliver", "ship"})
	assert.Equal(t, strs(fulfillmentTypes), complete("orders", "list", "--fulfillment-type", ""))
	assert.Equal(t, strs(shipmentSteps), complete("orders", "ship", "300000002", "--step", ""))
	assert.Equal(t, formats, complete("-o", ""))

	h.stdin = secretKey + "\n"
	h.ok("config", "set", "shop", "--auth", "seller-key")
	h.stdin = secretKey + "\n"
	h.ok("config", "set", "sandbox", "--auth", "seller-key")
	assert.Equal(t, []string{"sandbox", "shop"}, complete("--profile", ""))
	assert.Equal(t, []string{"sandbox", "shop"}, complete("config", "use", ""))
}
