package tikitest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// routeParams returns the query parameters route pattern ("METHOD /path")
// documents; a route missing here takes none. The lists follow the filters
// of each endpoint in Tiki's API documentation, and Tiki's current order
// pages for the v2 order API.
func routeParams(pattern string) []string {
	paging := []string{"page", "limit"}
	method, path, _ := strings.Cut(pattern, " ")
	if method != http.MethodGet {
		return nil // Tiki's write endpoints take their input in the body
	}
	v := func(p string) string { // the path with its version segment generalised
		for _, ver := range []string{"/integration/v2.1/", "/integration/v2/", "/integration/v1/"} {
			if rest, ok := strings.CutPrefix(p, ver); ok {
				return "/integration/{v}/" + rest
			}
		}
		return p
	}
	switch path {
	case "/integration/v1/orders":
		return []string{"page", "limit", "status", "fulfillment_type", "item_inventory_type",
			"item_confirmation_status", "filter_date_by", "created_from_date", "created_to_date",
			"updated_from_date", "updated_to_date", "include"}
	case "/integration/v1/orders/{order_code}", "/integration/v2/orders/{code}":
		return []string{"include"}
	case "/integration/v1/orders/{order_code}/print":
		return []string{"label", "format"}
	case "/integration/v1/warehouses":
		return []string{"warehouse_id", "warehouse_code"}
	case "/integration/v2/orders":
		return []string{"page", "limit", "code", "sku", "item_confirmation_status", "item_inventory_type",
			"fulfillment_type", "status", "include", "is_rma", "filter_date_by", "created_from_date",
			"created_to_date", "updated_from_date", "updated_to_date", "order_by"}
	case "/integration/v2/seller-inventories":
		return []string{"tiki_warehouse_codes"}
	case "/integration/v2/sellers/me/warehouses":
		return []string{"status", "type", "page", "limit"}
	case "/integration/v2/categories":
		return []string{"name", "parent", "isPrimary", "isCrossBorder"}
	case "/integration/v2/categories/{id}":
		return []string{"includeParents"}
	case "/integration/v1/categories":
		return []string{"name", "parent", "primary", "lang"}
	case "/integration/v2/attributes/{id}/values":
		return append([]string{"q"}, paging...)
	case "/integration/v2/brands":
		return append([]string{"name"}, paging...)
	case "/integration/v2/requests/requiredDocs":
		return []string{"category_id", "brand_listdata_id", "manufacture_listdata_id", "publisher_listdata_id"}
	case "/integration/v2/products/getHiddenSkus":
		return []string{"name", "created_at_from", "created_at_to", "updated_at_from", "updated_at_to", "page", "limit"}
	}
	if strings.HasSuffix(path, "/labels") && strings.HasPrefix(path, "/integration/v2/orders/{code}/") {
		return []string{"format"}
	}
	switch v(path) {
	case "/integration/{v}/tracking":
		return []string{"limit", "created_at_min", "created_at_max", "updated_at_min", "updated_at_max"}
	case "/integration/{v}/requests":
		return []string{"page", "limit", "state", "include"}
	case "/integration/{v}/requests/findBy":
		return append([]string{"track_id"}, paging...)
	case "/integration/{v}/products":
		return []string{"page", "limit", "name", "active", "category_id", "include",
			"created_from_date", "created_to_date", "updated_from_date", "updated_to_date"}
	case "/integration/{v}/products/{id}":
		return []string{"include", "includes"}
	case "/integration/{v}/products/findBy":
		return append([]string{"original_sku"}, paging...)
	}
	return nil
}

// WithLenientQuery makes the fake accept query parameters a route does not
// document, as Tiki does (it ignores them), instead of answering 400. The
// request log still names them. By default the fake refuses them, so that a
// misspelled filter fails a test instead of being silently ignored.
func WithLenientQuery() Option { return func(c *config) { c.lenientQuery = true } }

// unknownParams returns the query parameters of r that pattern does not
// document, sorted.
func unknownParams(pattern string, r *http.Request) []string {
	known := routeParams(pattern)
	var bad []string
	for name := range r.URL.Query() {
		if !slices.Contains(known, name) {
			bad = append(bad, name)
		}
	}
	slices.Sort(bad)
	return bad
}

// queryChecked answers 400 in Tiki's error shape to a request carrying a
// query parameter its route does not document (or, with
// WithLenientQuery, notes them in the request log and serves it).
func (s *Server) queryChecked(pattern string, next http.Handler) http.Handler {
	if pattern == "/integration/" {
		return next // no route: answered 404 whatever the query
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := unknownParams(pattern, r)
		if len(bad) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		msgs := make([]string, len(bad))
		for i, name := range bad {
			msgs[i] = fmt.Sprintf("unknown query parameter %q for %s %s", name, r.Method, r.URL.Path)
		}
		if s.cfg.lenientQuery {
			noteIgnored(r, strings.Join(msgs, "; "))
			next.ServeHTTP(w, r)
			return
		}
		writeErrors(w, http.StatusBadRequest, msgs...)
	})
}
