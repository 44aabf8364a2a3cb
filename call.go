package tiki

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Call sends a request to any endpoint of Tiki's integration API, in any
// version: an endpoint this SDK does not cover yet, or a version of an
// endpoint that neither the client's services nor client.V1 and client.V2
// reach. It goes through the same stack as every method of the client:
// authentication, the rate limiter, the retry rules (a POST is never
// resent once it may have reached Tiki), typed errors and the masking of
// secrets.
//
// path is below the integration base URL and starts with the API version:
// "v2/orders/123/confirm-available". Its segments are sent as given: escape
// values with url.PathEscape. query may be nil. body, when not nil, is sent
// as JSON. A 2xx answer is decoded into out when out is not nil; a *[]byte
// or *json.RawMessage receives the body as Tiki sent it.
//
//	var order tiki.Order
//	_, err := client.Call(ctx, http.MethodGet, "v2/orders/"+url.PathEscape(code), nil, nil, &order)
//
// The SDK's own methods send their requests through the same path.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body, out any) (*Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, err
	}
	var v validator
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		v.add("method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	version, rest := splitVersion(&v, path)
	if err := v.err(); err != nil {
		return nil, err
	}
	if b, ok := out.(*[]byte); ok {
		out = (*rawBody)(b)
	}
	return c.do(ctx, &request{method: method, version: version, path: rest, query: query, body: body}, out)
}

// splitVersion checks a caller's path ("v2/orders/1") and splits it into
// its version and the rest.
func splitVersion(v *validator, path string) (apiVersion, string) {
	path = strings.TrimPrefix(path, "/")
	version, rest, _ := strings.Cut(path, "/")
	switch apiVersion(version) {
	case apiV1, apiV2, apiV21:
	default:
		v.add("path", "must start with an API version (v1/, v2/ or v2.1/), not %q", version)
		return "", ""
	}
	if rest == "" || strings.ContainsAny(rest, "?#") {
		v.add("path", "must name an endpoint after the version, without a query (pass it as query)")
		return "", ""
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" || seg == "." || seg == ".." {
			v.add("path", "must not hold empty, \".\" or \"..\" segments")
			return "", ""
		}
	}
	return apiVersion(version), rest
}

// rawBody receives a body as it is.
type rawBody []byte

func (r *rawBody) decodeBody(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}
