package tiki

import (
	"bytes"
	"context"
	"encoding/json"
)

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
		return nil, resp, &DecodeError{
			StatusCode:  resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"),
			Method:      r.method,
			URL:         c.redactor.URL(c.url(r)),
			Snippet:     c.redactor.String(snippet(out.raw)),
			Body:        c.redactor.Bytes(out.raw),
			Err:         &ShapeError{Expected: expected, Got: c.redactor.String(truncate(out.raw))},
		}
	}
	return &out.val, resp, nil
}
