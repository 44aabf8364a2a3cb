package tiki

import (
	"encoding/json"
	"net/url"
	"strings"
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
// lacks missing. Sent is false only when the answer is a refusal (see
// refused): any other answer may come from a write Tiki processed.
func (c *Client) unconfirmed(r *request, u *url.URL, res attemptResult, attempts int, missing string) *UnconfirmedError {
	resp := &Response{StatusCode: res.status, Header: res.header, Attempts: attempts}
	e := notAppliedError(c, r, resp, res.body)
	e.URL = c.redactor.URL(u)
	return &UnconfirmedError{APIError: e, Missing: missing, Sent: !refused(res.body)}
}

// pausedConnection is the message older Tiki endpoints answer with HTTP
// 200 when the seller paused the app's connection ("the connection is
// paused by the seller"): nothing was processed.
const pausedConnection = "kết nối đang tạm ngưng bởi seller"

// refused reports whether a 2xx body is an explicit refusal, which proves
// that Tiki did not process the request: "success": false, a non-empty
// "errors" list, or the paused-connection message (as the body, or in its
// "msg", "message" or "error"). Any other message ("Replay request
// accepted") proves nothing either way.
func refused(body []byte) bool {
	var k answerKeys
	if json.Unmarshal(body, &k) != nil {
		return saysPaused(body)
	}
	return k.refused()
}

// answerKeys are the keys of a 2xx body that may say the request was
// refused. A decoder embeds it in the struct it decodes a body into, so
// that they are read in the same pass.
type answerKeys struct {
	Success *bool           `json:"success"`
	Errors  json.RawMessage `json:"errors"`
	Msg     json.RawMessage `json:"msg"`
	Message json.RawMessage `json:"message"`
	Error   json.RawMessage `json:"error"`
}

// refused reports whether the keys are an explicit refusal (see refused).
func (k *answerKeys) refused() bool {
	if k.Success != nil && !*k.Success {
		return true
	}
	for _, m := range flattenMessages(k.Errors) {
		if said(m) {
			return true
		}
	}
	return saysPaused(k.Msg) || saysPaused(k.Message) || saysPaused(k.Error)
}

// says reports whether the keys carry a message: a msg, message or error
// that is not empty.
func (k *answerKeys) says() bool {
	for _, raw := range []json.RawMessage{k.Msg, k.Message, k.Error} {
		if len(raw) == 0 {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		if said(s) {
			return true
		}
	}
	return false
}

// said reports whether a message holds something: not blank, nor an empty
// JSON value.
func said(m string) bool {
	m = strings.TrimSpace(m)
	return m != "" && m != "{}" && m != "[]" && m != "null" && m != "false" && m != "0"
}

// saysPaused reports whether a text (a JSON value or a plain body) holds
// the paused-connection message, in any letter case.
func saysPaused(text []byte) bool {
	if len(text) == 0 {
		return false
	}
	var s string
	if json.Unmarshal(text, &s) != nil {
		s = string(text)
	}
	return strings.Contains(strings.ToLower(s), pausedConnection)
}
