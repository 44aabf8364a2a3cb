package tiki

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listEndpoints are list and page endpoints of several services, each
// called once with the path its request goes to (below the API base) and
// the start of its query, if the call sets one.
var listEndpoints = map[string]struct {
	method, path, query string
	call                func(c *Client) error
}{
	"Orders.List": {http.MethodGet, "/v2/orders", "", func(c *Client) error {
		_, _, err := c.Orders.List(context.Background(), nil)
		return err
	}},
	"Orders.All": {http.MethodGet, "/v2/orders", "", func(c *Client) error {
		for _, err := range c.Orders.All(context.Background(), nil) {
			return err
		}
		return nil
	}},
	"V1.Orders.List": {http.MethodGet, "/v1/orders", "", func(c *Client) error {
		_, _, err := c.V1.Orders.List(context.Background(), nil)
		return err
	}},
	"Products.List": {http.MethodGet, "/v2.1/products", "", func(c *Client) error {
		_, _, err := c.Products.List(context.Background(), nil)
		return err
	}},
	"Sellers.ListWarehouses": {http.MethodGet, "/v2/sellers/me/warehouses", "", func(c *Client) error {
		_, _, err := c.Sellers.ListWarehouses(context.Background(), nil)
		return err
	}},
	"Catalog.ListBrands": {http.MethodGet, "/v2/brands", "name=apple", func(c *Client) error {
		_, _, err := c.Catalog.ListBrands(context.Background(), &BrandsOptions{Name: "apple"})
		return err
	}},
	"Catalog.ListCategories": {http.MethodGet, "/v2/categories", "", func(c *Client) error {
		_, _, err := c.Catalog.ListCategories(context.Background(), nil)
		return err
	}},
	"EventQueue.ListQueues": {http.MethodGet, "/v1/queues", "", func(c *Client) error {
		_, _, err := c.EventQueue.ListQueues(context.Background())
		return err
	}},
}

// A 2xx answer to a list or a page that refuses the request is an
// *APIError with Tiki's message, never an empty list: an explicit refusal
// (success false, a non-empty errors list, the paused-connection message)
// whatever rows it holds, and a message beside rows that are null or
// missing. A reader that takes such an answer for "no rows" (an order
// backfill moving its checkpoint) would skip what it never received.
func TestListRefusalIsAnError(t *testing.T) {
	t.Parallel()
	refusals := map[string]struct{ body, message string }{
		"success false with rows": {`{"success":false,"errors":["Kết nối đang tạm ngưng bởi seller"],"data":[]}`, "Kết nối đang tạm ngưng bởi seller"},
		"errors with rows":        {`{"errors":["seller is inactive"],"data":[],"paging":{"current_page":1,"last_page":1}}`, "seller is inactive"},
		"success false alone":     {`{"success":false,"message":"too many requests"}`, "too many requests"},
		"message and null rows":   {`{"message":"Kết nối đang tạm ngưng bởi seller","data":null}`, "Kết nối đang tạm ngưng bởi seller"},
		"other message and null":  {`{"message":"maintenance","data":null}`, "maintenance"},
		"msg without rows":        {`{"msg":"Kết nối đang tạm ngưng bởi seller","integration_status":0}`, "Kết nối đang tạm ngưng bởi seller"},
		"paused in an empty page": {`{"message":"Kết nối đang tạm ngưng bởi seller","data":[],"paging":{"current_page":1,"last_page":1}}`, "Kết nối đang tạm ngưng bởi seller"},
	}
	for ename, e := range listEndpoints {
		for aname, a := range refusals {
			t.Run(ename+"/"+aname, func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.respond(e.method, e.path, 200, []byte(a.body))
				err := e.call(c)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, "a refusal is not an empty list")
				assert.Equal(t, 200, apiErr.StatusCode)
				assert.Equal(t, []string{a.message}, apiErr.Messages)
				assert.Equal(t, a.body, string(apiErr.Body))
				url := "tiki: GET " + s.URL + apiPath + e.path
				if e.query != "" {
					url += "?" + e.query
				}
				assert.Contains(t, err.Error(), url)
				var de *DecodeError
				assert.False(t, errors.As(err, &de), "not a decoding error")
				assert.Equal(t, 1, s.count(), "a refusal is not retried")
				got := s.last()
				assert.Equal(t, e.method, got.Method)
				assert.Equal(t, apiPath+e.path, got.Path)
				assert.True(t, strings.HasPrefix(got.RawQuery, e.query), got.RawQuery)
			})
		}
	}
}

// Lists that are not refusals keep decoding as before: an empty list is
// [] or null rows without a message, a message beside rows is kept out of
// the way, and a body that only mentions "data" in a text, without the
// key, is not a list (the key is found by decoding the keys, not by
// searching the text).
func TestListsThatAreNotRefusals(t *testing.T) {
	t.Parallel()
	for ename, e := range listEndpoints {
		t.Run(ename, func(t *testing.T) {
			t.Parallel()
			for _, body := range []string{
				`{"data":null}`,
				`{"data":[],"message":"OK","success":true,"paging":{"current_page":1,"last_page":1}}`,
				`{"data":[],"errors":[],"paging":{"current_page":1,"last_page":1}}`,
			} {
				c, s := setup(t)
				s.respond(e.method, e.path, 200, []byte(body))
				require.NoError(t, e.call(c), body)
			}
			for _, body := range []string{`{"note":"\"data\": [] is what a list holds"}`, `{"DATA2":[]}`, `null`} {
				c, s := setup(t)
				s.respond(e.method, e.path, 200, []byte(body))
				err := e.call(c)
				var se *ShapeError
				require.ErrorAs(t, err, &se, body)
				var de *DecodeError
				require.ErrorAs(t, err, &de, body)
			}
		})
	}
}
