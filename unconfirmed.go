package tiki

import (
	"bytes"
	"encoding/json"
	"net/url"
)

// confirmedAnswer is implemented by the answers of writes whose 2xx body
// must hold a key to show that Tiki accepted the write. The client checks
// it for every request that is not a GET, before decoding (see finish), so
// each endpoint decoding such an answer is covered, whatever its version.
type confirmedAnswer interface {
	// missingIn returns the name of the key the body lacks, or "".
	missingIn(body []byte) string
}

// missingIn requires a track id (trace_id in API v1).
func (*TrackedRequest) missingIn(body []byte) string {
	var w struct {
		TrackID FlexString `json:"track_id"`
		TraceID FlexString `json:"trace_id"`
	}
	if json.Unmarshal(body, &w) != nil || (w.TrackID == "" && w.TraceID == "") {
		return "track_id"
	}
	return ""
}

// missingIn requires the queue's code.
func (*EventQueue) missingIn(body []byte) string { return missingCode(body) }

// missingIn requires the subscription's code.
func (*Subscription) missingIn(body []byte) string { return missingCode(body) }

func missingCode(body []byte) string {
	var w struct {
		Code FlexString `json:"code"`
	}
	if json.Unmarshal(body, &w) != nil || w.Code == "" {
		return "code"
	}
	return ""
}

// unconfirmed is the *UnconfirmedError of a 2xx answer to a write that
// lacks missing. Sent is false when the answer reports a failure: success
// false, an errors list, or a message in place of the answer.
func (c *Client) unconfirmed(r *request, u *url.URL, res attemptResult, attempts int, missing string) *UnconfirmedError {
	resp := &Response{StatusCode: res.status, Header: res.header, Attempts: attempts}
	e := notAppliedError(c, r, resp, res.body)
	e.URL = c.redactor.URL(u)
	return &UnconfirmedError{APIError: e, Missing: missing, Sent: !reportsRefusal(res.body)}
}

// reportsRefusal reports whether a 2xx body says why the request was not
// processed: "success": false, a non-empty "errors", or a message ("msg",
// "message", "error") instead of the endpoint's answer.
func reportsRefusal(body []byte) bool {
	var w struct {
		Success *bool           `json:"success"`
		Errors  json.RawMessage `json:"errors"`
		Msg     json.RawMessage `json:"msg"`
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &w) != nil {
		return false
	}
	said := func(raw json.RawMessage) bool {
		raw = bytes.TrimSpace(raw)
		for _, empty := range []string{"", "null", `""`, "[]", "{}", "false", "0"} {
			if string(raw) == empty {
				return false
			}
		}
		return true
	}
	return (w.Success != nil && !*w.Success) || said(w.Errors) || said(w.Msg) || said(w.Message) || said(w.Error)
}
