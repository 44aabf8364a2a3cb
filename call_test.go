package tiki

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Client.Call reaches any endpoint through the client's stack.
func TestClientCall(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "orders_v2/order_simplified_dropship.json")
	s.respond(http.MethodGet, "/v2/orders/613795703", 200, body)

	var order Order
	resp, err := c.Call(context.Background(), http.MethodGet, "v2/orders/613795703", map[string][]string{"include": {"item.fees"}}, nil, &order)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders/613795703", map[string][]string{"include": {"item.fees"}})
	assert.Equal(t, 200, resp.StatusCode)
	requireOrder(t, simplifiedOrder(t, FulfillmentDropship), order, body)

	var raw []byte
	_, err = c.Call(context.Background(), http.MethodGet, "/v2/orders/613795703", nil, nil, &raw)
	require.NoError(t, err)
	assert.Equal(t, body, raw)
	var rm json.RawMessage
	_, err = c.Call(context.Background(), http.MethodGet, "v2/orders/613795703", nil, nil, &rm)
	require.NoError(t, err)
	assert.JSONEq(t, string(body), string(rm))
}

func TestClientCallPostIsNotResent(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/orders/1/confirm-available", 503, []byte(`{"errors":["busy"]}`))
	_, err := c.Call(context.Background(), http.MethodPost, "v2/orders/1/confirm-available", nil,
		map[string]any{"available_item_ids": []int64{1}, "seller_inventory_id": 2}, nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, []string{"busy"}, apiErr.Messages)
	assert.Equal(t, 1, s.count(), "a POST that reached Tiki is never resent")
	requireJSONEqual(t, `{"available_item_ids": [1], "seller_inventory_id": 2}`, s.last().Body)
}

func TestClientCallRefusesBadArguments(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		method, path string
		want         []FieldProblem
	}{
		"method":     {"TRACE", "v2/orders", []FieldProblem{{Field: "method", Problem: "must be GET, POST, PUT, PATCH or DELETE"}}},
		"no version": {http.MethodGet, "orders", []FieldProblem{{Field: "path", Problem: `must start with an API version (v1/, v2/ or v2.1/), not "orders"`}}},
		"no endpoint": {http.MethodGet, "v2/", []FieldProblem{{Field: "path",
			Problem: "must name an endpoint after the version, without a query (pass it as query)"}}},
		"query in path": {http.MethodGet, "v2/orders?page=2", []FieldProblem{{Field: "path",
			Problem: "must name an endpoint after the version, without a query (pass it as query)"}}},
		"dot dot": {http.MethodGet, "v2/orders/../sellers/me", []FieldProblem{{Field: "path", Problem: `must not hold empty, "." or ".." segments`}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, err := c.Call(context.Background(), tc.method, tc.path, nil, nil, nil)
			requireRefused(t, err, s, tc.want...)
		})
	}
	c, s := setup(t)
	var nilCtx context.Context
	_, err := c.Call(nilCtx, http.MethodGet, "v2/orders", nil, nil, nil)
	assert.ErrorIs(t, err, ErrNilContext)
	assert.Zero(t, s.count())
}

// The request helpers live in call.go: no other file of the package
// declares a function that sends a request through Client.do, or one named
// like a request helper (call..., getPage).
func TestRequestHelpersLiveInCallGo(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	helperName := regexp.MustCompile(`^(call([A-Z]\w*)?|getPage)$`)
	found := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			sends := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "do" {
						sends = true
					}
				}
				return true
			})
			if (sends || helperName.MatchString(fn.Name.Name)) && fn.Name.Name != "do" {
				found[fn.Name.Name] = name
			}
		}
	}
	for _, want := range []string{"Call", "call", "callList", "callApplied", "callShaped", "callAction", "getPage"} {
		assert.Equal(t, "call.go", found[want], want)
	}
	for fn, file := range found {
		assert.Equal(t, "call.go", file, "%s declares the request helper %s", file, fn)
	}
}
