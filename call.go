package tiki

// The request helpers: every endpoint method sends its request through one
// of these, and they through Client.do. Client.Call is the same path for
// endpoints the SDK does not cover.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Call sends a request to any endpoint of Tiki's integration API, in any
// version: an endpoint this SDK does not cover yet, or a version of an
// endpoint that neither the client's services nor client.V1 and client.V2
// reach. It goes through the same stack as every method of the client:
// authentication, the rate limiter, the retry rules, typed errors and the
// masking of secrets.
//
// A GET is repeated as the client's own reads are. A request with another
// method (POST, PUT, PATCH, DELETE) is repeated only while it cannot have
// reached Tiki (no connection was made, or Tiki answered 429 or 401 before
// a credential renewal): once it may have reached Tiki, the call fails
// with what came back (a *RequestError whose Sent is true, or the
// *APIError of a 5xx), since Call cannot know whether repeating it is
// harmless. WithRepeatable says it is: the request is then repeated as a
// GET is. A write to a product sent through Call takes the product's write
// lock, as the client's own product writes do, only with WithProductLock.
//
// path is below the integration base URL and starts with the API version:
// "v2/orders/123/confirm-available". Its segments are sent as given: escape
// values with url.PathEscape. query may be nil. body, when not nil, is sent
// as JSON. A 2xx answer is decoded into out when out is not nil; a *[]byte
// or *json.RawMessage receives the body as Tiki sent it. Wrong arguments or
// options are one *ValidationError, and nothing is sent.
//
//	var order tiki.Order
//	_, err := client.Call(ctx, http.MethodGet, "v2/orders/"+url.PathEscape(code), nil, nil, &order)
//
// The SDK's own methods send their requests through the same path.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body, out any, opts ...CallOption) (*Response, error) {
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
	var cfg callConfig
	for i, opt := range opts {
		if opt == nil {
			v.add("opts["+strconv.Itoa(i)+"]", "is a nil CallOption")
			continue
		}
		opt(&cfg, &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if b, ok := out.(*[]byte); ok {
		out = (*rawBody)(b)
	}
	return c.do(ctx, &request{method: method, version: version, path: rest, route: "{path}", query: query, body: body,
		once: method != http.MethodGet && !cfg.repeatable, repeatable: cfg.repeatable, lockKeys: cfg.lockKeys}, out)
}

// CallOption changes how Client.Call sends its request.
type CallOption func(*callConfig, *validator)

// callConfig is what the CallOptions of a Call chose.
type callConfig struct {
	repeatable bool
	lockKeys   []string
}

// WithRepeatable lets Call repeat its request, whatever its method, after
// it may have reached Tiki, as it repeats a GET: on a transport failure
// after sending and on 500, 502, 503 and 504, within the client's retry
// policy (WithRetry). Give it only for a request that Tiki may apply twice
// without harm (one that sets absolute values) and that no newer write can
// overtake: for a product, add WithProductLock.
func WithRepeatable() CallOption {
	return func(c *callConfig, _ *validator) { c.repeatable = true }
}

// WithProductLock makes Call hold the write lock of the product named by
// productID and originalSKU (either may be zero or empty, not both), as the
// client's own product writes do: from before the first attempt until the
// call returns, retries included, and for the settle period when it ended
// in doubt (WithWriteSettle), in the client and in its WriteOrder
// (WithWriteOrder). Writes to the product through the client's methods and
// through Call are then sent one after the other. Name the product as the
// client's methods name it (the same id, the same original SKU).
func WithProductLock(productID int64, originalSKU string) CallOption {
	return func(c *callConfig, v *validator) {
		if productID < 0 || (productID == 0 && originalSKU == "") {
			v.add("WithProductLock", "must name a product: a positive product id, an original SKU or both")
			return
		}
		c.lockKeys = append(c.lockKeys, productLockKeys(productID, originalSKU)...)
	}
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

// call sends r and decodes the answer into a new T: the shared body of
// endpoint methods.
func call[T any](ctx context.Context, c *Client, r *request) (*T, *Response, error) {
	out := new(T)
	resp, err := c.do(ctx, r, out)
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// callList sends r and decodes a list answered either as a bare JSON array
// or as {"data": [...]}: the shared body of endpoints that answer a list.
func callList[T any](ctx context.Context, c *Client, r *request) ([]T, *Response, error) {
	l, resp, err := call[list[T]](ctx, c, r)
	if err != nil {
		return nil, resp, err
	}
	return *l, resp, nil
}

// validated is an options type that checks itself; its url tags give its
// query (see encodeQuery).
type validated interface {
	validate(v *validator)
}

// getPage sends GET path in the given API version with the query of opts
// (the zero options when opts is nil) and decodes one page of T. Nothing is
// sent when the options are refused.
func getPage[T, O any, P interface {
	*O
	validated
}](ctx context.Context, c *Client, version apiVersion, path string, opts P) (*Page[T], *Response, error) {
	o := zeroIfNil(opts)
	v := c.newValidator()
	P(&o).validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Page[T]](ctx, c, &request{method: http.MethodGet, version: version, path: path, query: encodeQuery(&o)})
}

// decoded keeps the raw body of a 2xx answer next to its decoded value, so
// that an answer without the endpoint's success marker can be reported
// with the body Tiki sent.
type decoded[T any] struct {
	val T
	raw []byte
}

func (d *decoded[T]) UnmarshalJSON(b []byte) error {
	d.raw = bytes.Clone(b)
	return json.Unmarshal(b, &d.val)
}

// callApplied is call for endpoints whose 2xx answer is not proof that Tiki
// applied the change: some of Tiki's older endpoints answer 200 with only a
// message (for example that the seller paused the connection). applied
// reports whether the decoded answer carries the endpoint's documented
// success marker; when it does not, the call fails with notAppliedError.
func callApplied[T any](ctx context.Context, c *Client, r *request, applied func(*T) bool) (*T, *Response, error) {
	out, resp, err := call[decoded[T]](ctx, c, r)
	if err != nil {
		return nil, resp, err
	}
	if !applied(&out.val) {
		return nil, resp, notAppliedError(c, r, resp, out.raw)
	}
	return &out.val, resp, nil
}

// callAction sends an order action. A 2xx answer whose body reports an
// error is an *APIError: the action was not applied.
func callAction(ctx context.Context, c *Client, r *request) (*ActionResult, *Response, error) {
	out, resp, err := call[ActionResult](ctx, c, r)
	if err != nil {
		return nil, resp, err
	}
	if out.reportsError() {
		return nil, resp, notAppliedError(c, r, resp, out.Raw)
	}
	return out, resp, nil
}

// notAppliedError is the *APIError of a 2xx answer that lacks the
// endpoint's success marker: StatusCode is the HTTP status, Messages the
// body's message (errors, message or msg), Body the raw body, Method and
// URL those of the request, all redacted as the client redacts its errors.
func notAppliedError(c *Client, r *request, resp *Response, body []byte) *APIError {
	res := attemptResult{status: resp.StatusCode, header: resp.Header, body: body}
	e := c.apiError(r, c.url(r), res, resp.Attempts)
	if len(e.Messages) == 0 {
		var m struct {
			Msg FlexString `json:"msg"`
		}
		if json.Unmarshal(body, &m) == nil && m.Msg != "" {
			e.Messages = []string{c.redactor.String(string(m.Msg))}
		}
	}
	return e
}

// callShaped is call for endpoints that answer one object identified by a
// key field. ok reports whether the decoded value has it; a 2xx answer that
// decodes without it (another shape, such as {"data": {...}}) is a
// *DecodeError whose Err is a *ShapeError naming expected, never a silent
// zero value.
func callShaped[T any](ctx context.Context, c *Client, r *request, ok func(*T) bool, expected string) (*T, *Response, error) {
	out, resp, err := call[decoded[T]](ctx, c, r)
	if err != nil {
		return nil, resp, err
	}
	if !ok(&out.val) {
		return nil, resp, c.decodeError(r, c.url(r), resp.StatusCode, resp.Header, out.raw, newShapeError(expected, out.raw))
	}
	return &out.val, resp, nil
}
