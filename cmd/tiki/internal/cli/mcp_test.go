package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// The tools that only read, and those that change the shop on Tiki.
var (
	readTools = []string{"list_orders", "get_order", "list_pickup_slots", "list_products", "get_product", "search_categories",
		"list_category_attributes", "get_required_documents", "track_product_request", "list_event_queues", "audit_stock",
		"list_attribute_values", "search_brands"}
	writeTools = []string{"confirm_order", "get_order_label", "update_seller_delivery", "update_cross_border_shipment",
		"set_product", "create_product_request", "push_stock"}
)

// connectMCP serves tiki mcp of the harness's environment to a client of
// the MCP SDK, through its in-memory transport.
func connectMCP(t *testing.T, h *harness, allowWrites bool) *mcp.ClientSession {
	t.Helper()
	var stderr bytes.Buffer
	a := &app{env: &Env{Getenv: func(k string) string { return h.env[k] }, Stderr: &stderr, Stdout: &bytes.Buffer{},
		Now: func() time.Time { return demoNow }, ConfigDir: h.configDir,
		ClientOptions: []tiki.Option{tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond)}}}
	t.Cleanup(a.close)
	server, err := a.newMCPServer(allowWrites)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	require.NoError(t, err)
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and returns its result, its structured content and its
// text.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (*mcp.CallToolResult, map[string]any, string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err, name)
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	var structured map[string]any
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &structured))
	}
	return res, structured, text.String()
}

// The server lists its tools with schemas and annotations: the read tools
// by default, the write tools too with --allow-writes; every schema is a
// closed object, every tool says what it does.
func TestMCPToolsAndTheirSchemas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newShop(t, h)
	for _, allow := range []bool{false, true} {
		cs := connectMCP(t, h, allow)
		var names []string
		for tool, err := range cs.Tools(context.Background(), nil) {
			require.NoError(t, err)
			names = append(names, tool.Name)
			write := slices.Contains(writeTools, tool.Name)
			assert.True(t, write || slices.Contains(readTools, tool.Name), "%s is neither a read nor a write tool of the test", tool.Name)

			assert.NotEmpty(t, tool.Title, tool.Name)
			assert.True(t, len(tool.Description) > 60 && strings.HasSuffix(tool.Description, "."), "%s: a description an assistant acts on: %q", tool.Name, tool.Description)
			for what, schema := range map[string]any{"input": tool.InputSchema, "output": tool.OutputSchema} {
				m, ok := schema.(map[string]any)
				require.True(t, ok, "%s: %s schema %T", tool.Name, what, schema)
				assert.Equal(t, "object", m["type"], "%s: %s schema", tool.Name, what)
				assert.Equal(t, false, m["additionalProperties"], "%s: the %s schema is closed", tool.Name, what)
			}
			in := tool.InputSchema.(map[string]any)
			if props, ok := in["properties"].(map[string]any); ok {
				for name, p := range props {
					assert.NotEmpty(t, p.(map[string]any)["description"], "%s: argument %s has a description", tool.Name, name)
				}
			}

			ann := tool.Annotations
			require.NotNil(t, ann, tool.Name)
			require.NotNil(t, ann.OpenWorldHint, tool.Name)
			assert.True(t, *ann.OpenWorldHint, "%s talks to Tiki", tool.Name)
			assert.Equal(t, !write, ann.ReadOnlyHint, "%s: read-only hint", tool.Name)
			if write {
				require.NotNil(t, ann.DestructiveHint, "%s says whether it is destructive", tool.Name)
			} else {
				assert.True(t, ann.IdempotentHint, "%s: reading again changes nothing", tool.Name)
			}
		}
		want := slices.Clone(readTools)
		if allow {
			want = append(want, writeTools...)
		}
		assert.ElementsMatch(t, want, names, "allow writes: %v", allow)
	}

	// The annotations of the write tools, one by one; every tool's
	// description, annotations and arguments as the golden file has them.
	cs := connectMCP(t, h, true)
	type listed struct {
		Name        string               `json:"name"`
		Description string               `json:"description"`
		Annotations *mcp.ToolAnnotations `json:"annotations"`
		Arguments   any                  `json:"arguments"`
	}
	var all []listed
	for tool, err := range cs.Tools(context.Background(), nil) {
		require.NoError(t, err)
		all = append(all, listed{tool.Name, tool.Description, tool.Annotations, tool.InputSchema})
		if want, ok := toolHints[tool.Name]; ok {
			assert.Equal(t, want[0], *tool.Annotations.DestructiveHint, "%s destructive", tool.Name)
			assert.Equal(t, want[1], tool.Annotations.IdempotentHint, "%s idempotent", tool.Name)
		} else {
			assert.False(t, slices.Contains(writeTools, tool.Name), "%s: the test states its hints", tool.Name)
		}
	}
	slices.SortFunc(all, func(a, b listed) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	require.NoError(t, writeJSON(&buf, all))
	golden(t, "mcp_tools.json", buf.String())
}

// Without --allow-writes, a call to any write tool is refused with a tool
// error that says how to allow it, and nothing is sent.
func TestMCPWritesRefusedWithoutAllowWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	cs := connectMCP(t, h, false)
	for _, name := range writeTools {
		res, _, text := call(t, cs, name, map[string]any{"code": "300000003", "sku": "SO-TAY-A5", "price": 1})
		assert.True(t, res.IsError, name)
		assert.Contains(t, text, "tiki: "+name+" changes the shop on Tiki, and this server only reads: nothing was sent", name)
		assert.Contains(t, text, "tiki mcp --allow-writes", name)
	}
	assert.Empty(t, s.requests(), "nothing is sent, not even a read")
}

// toolHints are the destructive and idempotent hints of the write tools.
var toolHints = map[string][2]bool{
	"confirm_order": {true, false}, "get_order_label": {false, true}, "update_seller_delivery": {true, false},
	"update_cross_border_shipment": {false, true}, "set_product": {true, true}, "create_product_request": {false, false},
	"push_stock": {true, false},
}

// The read tools answer with structured results from Tiki.
func TestMCPReadTools(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	cs := connectMCP(t, h, false)

	res, out, _ := call(t, cs, "list_orders", map[string]any{"waiting": true})
	require.False(t, res.IsError)
	assert.Len(t, out["orders"], 4)
	assert.EqualValues(t, 4, out["total"])

	res, out, _ = call(t, cs, "list_orders", map[string]any{"all": true, "limit": 2, "max": 3})
	require.False(t, res.IsError)
	assert.Len(t, out["orders"], 3)
	assert.Contains(t, out["note"], "stopped at 3 orders")

	res, out, _ = call(t, cs, "get_order", map[string]any{"code": "300000005"})
	require.False(t, res.IsError)
	assert.Equal(t, "dropship", out["fulfillment_type"])

	res, out, _ = call(t, cs, "list_products", map[string]any{"limit": 2})
	require.False(t, res.IsError)
	assert.Len(t, out["products"], 2)
	assert.Contains(t, out["note"], "page 1 of 3")

	res, out, _ = call(t, cs, "get_product", map[string]any{"sku": "TUI-VAI"})
	require.False(t, res.IsError)
	assert.Equal(t, "Túi vải canvas", out["name"])

	res, out, _ = call(t, cs, "search_categories", map[string]any{"primary": true})
	require.False(t, res.IsError)
	assert.NotEmpty(t, out["categories"])

	res, out, text := call(t, cs, "list_attribute_values", map[string]any{"attribute_id": 540, "query": "phong"})
	require.False(t, res.IsError, text)
	require.Len(t, out["values"], 11)
	assert.Equal(t, "Báo Thiếu Niên Tiền Phong", out["values"].([]any)[0].(map[string]any)["value"])

	res, out, text = call(t, cs, "search_brands", map[string]any{"name": "apple"})
	require.False(t, res.IsError, text)
	assert.Len(t, out["brands"], 2)
	assert.Equal(t, "Apple", out["brands"].([]any)[1].(map[string]any)["name"])

	res, _, text = call(t, cs, "search_brands", map[string]any{"name": "apple", "limit": 500})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "limit 500: a page holds 1 to 100 rows")

	for name, args := range map[string]map[string]any{
		"list_category_attributes": {"category_id": 218, "required_only": true},
		"get_required_documents":   {"category_id": 218},
		"list_pickup_slots":        {},
		"list_event_queues":        {},
	} {
		res, out, text := call(t, cs, name, args)
		require.False(t, res.IsError, "%s: %s", name, text)
		assert.NotEmpty(t, out, name)
	}
	rec, _, err := mustClient(t, s).ProductRequests.Create(context.Background(), mustProduct(t))
	require.NoError(t, err)
	res, out, _ = call(t, cs, "track_product_request", map[string]any{"track_id": rec.TrackID})
	require.False(t, res.IsError)
	assert.Equal(t, rec.TrackID, out["track_id"])
	assert.Empty(t, writes(s.requests())[1:], "only the test's own product request was written")
}

// Errors come back as tool errors an assistant can read, never a crash: a
// value the tool does not take, an argument of the wrong type, something
// Tiki does not have, a write without --allow-writes.
func TestMCPErrorsAreToolErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	cs := connectMCP(t, h, false)
	for name, c := range map[string]struct {
		tool string
		args map[string]any
		want string
	}{
		"unknown value":  {"list_orders", map[string]any{"status": []string{"queuing"}}, `status "queuing" is not an order status: use one of queueing`},
		"wrong type":     {"list_orders", map[string]any{"limit": "many"}, "limit"},
		"unknown arg":    {"list_orders", map[string]any{"stauts": "queueing"}, "stauts"},
		"not found":      {"get_order", map[string]any{"code": "999999999"}, "order 999999999 not found"},
		"no product":     {"get_product", map[string]any{}, "give sku or product_id"},
		"write refused":  {"confirm_order", map[string]any{"code": "300000003"}, "tiki mcp --allow-writes"},
		"write refused2": {"set_product", map[string]any{"sku": "SO-TAY-A5", "price": 1}, "nothing was sent"},
	} {
		res, _, text := call(t, cs, c.tool, c.args)
		assert.True(t, res.IsError, "%s: %s", name, text)
		assert.Contains(t, text, c.want, name)
	}
	assert.Empty(t, writes(s.requests()), "a refused write sends nothing")
	o, _ := s.Order("300000003")
	assert.True(t, o.NeedsConfirmation())

	// Tiki's limits and refusals, and the server goes on.
	require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Status: http.StatusTooManyRequests, Times: 3}))
	res, _, text := call(t, cs, "list_orders", map[string]any{})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "429 Too Many Requests")
	assert.Contains(t, text, "Tiki's rate limit: run the command again in a moment")
	require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2.1/products", Body: []byte(`{"success":false,"errors":["Kết nối đang tạm ngưng bởi seller"],"data":[]}`)}))
	res, _, text = call(t, cs, "list_products", map[string]any{})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "resume it in Seller Center")
	res, _, text = call(t, cs, "list_orders", map[string]any{})
	assert.False(t, res.IsError, text)
}

// With --allow-writes the write tools change the shop: a dry run first
// sends nothing, then the confirmation, the label, a price.
func TestMCPWriteTools(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	cs := connectMCP(t, h, true)

	res, out, text := call(t, cs, "confirm_order", map[string]any{"code": "300000003", "dry_run": true})
	require.False(t, res.IsError, text)
	assert.Equal(t, true, out["dry_run"])
	assert.Equal(t, "POST", out["request"].(map[string]any)["method"])
	assert.Empty(t, writes(s.requests()), "a dry run sends nothing")

	res, out, text = call(t, cs, "confirm_order", map[string]any{"code": "300000003"})
	require.False(t, res.IsError, text)
	assert.Nil(t, out["dry_run"])
	o, _ := s.Order("300000003")
	assert.False(t, o.NeedsConfirmation(), "confirmed on Tiki")

	res, _, text = call(t, cs, "confirm_order", map[string]any{"code": "300000003"})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "needs no confirmation")

	res, out, text = call(t, cs, "get_order_label", map[string]any{"code": "300000003"})
	require.False(t, res.IsError, text)
	assert.Contains(t, out["url"], "/ts/print/")

	res, _, text = call(t, cs, "set_product", map[string]any{"sku": "SO-TAY-A5", "price": 125000, "quantities": []string{"919=20"}})
	assert.True(t, res.IsError)
	assert.Contains(t, text, "leaves out warehouse 903")
	res, out, text = call(t, cs, "set_product", map[string]any{"sku": "SO-TAY-A5", "price": 125000, "quantities": []string{"919=20", "903=1"}})
	require.False(t, res.IsError, text)
	assert.Equal(t, "approved", out["state"])
	p, _ := s.Product("SO-TAY-A5")
	assert.Equal(t, tiki.Money(125000), p.Price)

	res, _, text = call(t, cs, "update_seller_delivery", map[string]any{"code": "300000001", "status": "successful_delivery"})
	require.False(t, res.IsError, text)
	assert.Len(t, s.SellerDeliveryUpdates("300000001"), 1)
	res, _, text = call(t, cs, "update_cross_border_shipment", map[string]any{"code": "300000002", "step": "transferring_to_foreign_warehouses", "dry_run": true})
	require.False(t, res.IsError, text)
	assert.Empty(t, s.ShipmentUpdates("300000002"))

	var product map[string]any
	b, _ := json.Marshal(mustProduct(t))
	require.NoError(t, json.Unmarshal(b, &product))
	delete(product, "images")
	delete(product, "option_attributes")
	res, out, text = call(t, cs, "create_product_request", map[string]any{"product": product})
	require.False(t, res.IsError, text)
	assert.NotEmpty(t, out["track_id"])
}

// tiki mcp --http serves streamable HTTP on a loopback address only.
func TestMCPOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fails(ExitUsage, []string{"--fake", "mcp", "--http", "0.0.0.0:8765"}, `"0.0.0.0:8765" is not a loopback address`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: stderr, Getenv: func(string) string { return "" },
		Now: func() time.Time { return demoNow }, ConfigDir: h.configDir}
	done := make(chan int)
	go func() { done <- Run(ctx, env, []string{"--fake", "mcp", "--http", "127.0.0.1:0"}) }()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	var endpoint string
	require.Eventually(t, func() bool { endpoint = addr.FindString(stderr.String()); return endpoint != "" }, 10*time.Second, 10*time.Millisecond)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint}, nil)
	require.NoError(t, err)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_orders", Arguments: map[string]any{"waiting": true}})
	require.NoError(t, err)
	assert.False(t, res.IsError)

	// A web page's request, from another site or naming another host, is
	// refused.
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"page","version":"1"}}}`
	for name, header := range map[string]http.Header{
		"cross-site":    {"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
		"rebinding DNS": {"Host": {"evil.example:8765"}},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(initialize))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range header {
			req.Header[k] = v
		}
		req.Host = req.Header.Get("Host")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
	}
	cs.Close()
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, ExitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop with its context")
	}
}

// A tool that panics answers a tool error; the server goes on.
func TestMCPToolPanicIsAToolError(t *testing.T) {
	t.Parallel()
	s := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	boom := tool("boom", "Boom", "Panics, to show that a defect of a tool is an error the assistant reads.", false, readOnly,
		func(context.Context, none) (none, error) { panic("a defect") })
	boom.add(s, &boom.tool)
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	require.NoError(t, err)
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	require.NoError(t, err)
	defer cs.Close()
	for range 2 {
		res, _, text := call(t, cs, "boom", map[string]any{})
		assert.True(t, res.IsError)
		assert.Contains(t, text, "boom failed: internal error: a defect")
	}
}

// A tool whose arguments have no JSON schema is reported, not a panic: the
// server refuses to start with it.
func TestMCPToolWithoutASchemaIsAnError(t *testing.T) {
	t.Parallel()
	bad := tool("bad", "Bad", "Takes a channel, which JSON cannot carry, to show that such a tool is refused.", false, readOnly,
		func(context.Context, struct {
			C chan int `json:"c"`
		}) (none, error) {
			return none{}, nil
		})
	require.Error(t, bad.err)
	assert.Contains(t, bad.err.Error(), "the schema of")
}

// Two plans of push_stock applied in the other order than they were made:
// the older plan's values do not land after the newer plan's.
func TestMCPPushStockAnOlderPlanIsSupersededByANewerOneApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	cs := connectMCP(t, h, true)
	plan := func(qty int) string {
		t.Helper()
		res, out, text := call(t, cs, "push_stock", map[string]any{"books": []map[string]any{
			{"sku": "LICH-BAN", "quantities": map[string]int{"919": qty, "903": 40}}}})
		require.False(t, res.IsError, text)
		return out["plan_id"].(string)
	}
	older, newer := plan(3), plan(7)
	res, _, text := call(t, cs, "push_stock", map[string]any{"plan_id": newer, "apply": true})
	require.False(t, res.IsError, text)
	res, out, text := call(t, cs, "push_stock", map[string]any{"plan_id": older, "apply": true})
	require.False(t, res.IsError, text)
	report := out["report"].(map[string]any)
	assert.EqualValues(t, 1, report["superseded"], text)
	assert.EqualValues(t, 0, report["changed"], text)
	levels, err := s.Stock("LICH-BAN")
	require.NoError(t, err)
	for _, l := range levels {
		if l.Warehouse == 919 {
			assert.Equal(t, 7, l.Available, "the newer plan's value stays")
		}
	}
}
