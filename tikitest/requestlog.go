package tikitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// WithRequestLog writes one line per request the fake receives to w:
//
//	GET /integration/v2/orders?status=queueing 200 1.52ms
//	GET /integration/v2/orders?stauts=queueing 400 310µs: unknown query parameter "stauts" for GET /integration/v2/orders
//
// that is the method, the path and query, the status, the time the fake
// took (on its clock, see WithClock) and, for a 4xx the fake chose, why
// (unknown route, unknown query parameter, bad auth, a refused body, an
// injected fault, the rate limit). Secrets never appear: headers and
// bodies are not logged, and the values of secret query parameters
// (access_token, refresh_token, client_secret, code on the OAuth2
// endpoints, ...) and of the request's credentials are replaced by ***.
// Lines are written whole, one at a time. A nil w logs nothing (the
// default).
func WithRequestLog(w io.Writer) Option { return func(c *config) { c.requestLog = w } }

// secretParam reports whether the values of the query or form parameter
// name, on path, are secrets.
func secretParam(path, name string) bool {
	switch strings.ToLower(name) {
	case "access_token", "refresh_token", "id_token", "token", "client_secret", "secret", "secret_key",
		"password", "api_key", "tiki-api", "authorization", "assertion", "code_verifier":
		return true
	case "code":
		return strings.HasPrefix(path, "/sc/") // an authorization code; elsewhere an order code
	}
	return false
}

// logEntry collects what handlers say about a request for its log line.
type logEntry struct {
	notes     []string
	explained bool // a note says why the fake answered as it did
}

type logEntryKey struct{}

// noteReason records why the fake answered r as it did, for the request
// log. It does nothing without a request log.
func noteReason(r *http.Request, reason string) {
	if e, ok := r.Context().Value(logEntryKey{}).(*logEntry); ok && !e.explained {
		e.notes = append(e.notes, reason)
		e.explained = true
	}
}

// noteIgnored records something of r the fake ignored, for the request
// log.
func noteIgnored(r *http.Request, what string) {
	if e, ok := r.Context().Value(logEntryKey{}).(*logEntry); ok {
		e.notes = append(e.notes, "ignored: "+what)
	}
}

// logged writes the request log line of every request, when a log is set.
func (s *Server) logged(next http.Handler) http.Handler {
	if s.cfg.requestLog == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.now()
		e := &logEntry{}
		r = r.WithContext(context.WithValue(r.Context(), logEntryKey{}, e))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		took := s.cfg.now().Sub(start)
		if took > time.Microsecond {
			took = took.Round(time.Microsecond)
		}
		status := strconv.Itoa(rec.status)
		if rec.hijacked {
			status = "closed" // hung up without an answer
		}
		line := fmt.Sprintf("%s %s %s %s", r.Method, loggedTarget(r.URL), status, took)
		notes := e.notes
		if !e.explained && rec.status >= 400 && rec.status < 500 {
			if msg := errorMessage(rec.body.Bytes()); msg != "" {
				notes = append(notes, msg)
			}
		}
		if len(notes) > 0 {
			line += ": " + strings.Join(notes, "; ")
		}
		line = oneLine(scrubSecrets(line, s.requestSecrets(r))) + "\n"
		s.logMu.Lock()
		defer s.logMu.Unlock()
		_, _ = io.WriteString(s.cfg.requestLog, line)
	})
}

// loggedTarget is the path and query of u with secret values masked.
func loggedTarget(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	var b strings.Builder
	for i, pair := range strings.Split(u.RawQuery, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, hasValue := strings.Cut(pair, "=")
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		if hasValue && secretParam(u.Path, decoded) {
			pair = name + "=***"
		}
		b.WriteString(pair)
	}
	return u.Path + "?" + b.String()
}

// requestSecrets returns the secret values r carried (credentials in its
// headers, secret query and form values) and the fake's own secrets, so
// that no reason echoing one can leak it.
func (s *Server) requestSecrets(r *http.Request) []string {
	out := []string{s.cfg.sellerKey, s.cfg.accessToken, s.cfg.clientSecret}
	if v := r.Header.Get("Authorization"); v != "" {
		out = append(out, v)
		if _, cred, ok := strings.Cut(v, " "); ok {
			out = append(out, cred)
		}
		if _, secret, ok := r.BasicAuth(); ok {
			out = append(out, secret)
			if decoded, err := url.QueryUnescape(secret); err == nil {
				out = append(out, decoded)
			}
		}
	}
	out = append(out, r.Header.Get("tiki-api"))
	for _, vals := range []url.Values{r.URL.Query(), r.PostForm} {
		for name, vs := range vals {
			if secretParam(r.URL.Path, name) {
				out = append(out, vs...)
			}
		}
	}
	return out
}

// scrubSecrets replaces every secret (of 4 characters or more) in line.
func scrubSecrets(line string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			line = strings.ReplaceAll(line, v, "***")
		}
	}
	return line
}

// errorMessage returns the messages of an error body in any of the shapes
// the fake answers: Tiki's {"errors": [...]}, OAuth2's {"error",
// "error_description"} and TikiNOW's {"error": {"message", ...}}.
func errorMessage(body []byte) string {
	var tiki struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &tiki) == nil && len(tiki.Errors) > 0 {
		return strings.Join(tiki.Errors, "; ")
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		return strings.TrimSuffix(oauth.Error+": "+oauth.Description, ": ")
	}
	var now struct {
		Error struct {
			Message string `json:"message"`
			Code    string `json:"message_code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &now) == nil && now.Error.Message != "" {
		return strings.TrimPrefix(now.Error.Code+": "+now.Error.Message, ": ")
	}
	return ""
}

// maxLoggedBody is how much of a 4xx body the request log reads for its
// reason.
const maxLoggedBody = 8 << 10

// statusRecorder remembers the status of a response and the start of a
// 4xx body.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	hijacked    bool
	body        bytes.Buffer
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	if r.status >= 400 && r.status < 500 && r.body.Len() < maxLoggedBody {
		r.body.Write(b[:min(len(b), maxLoggedBody-r.body.Len())])
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack lets an injected fault hang up the connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	r.hijacked = true
	return hj.Hijack()
}

// oneLine replaces every control character of s (newlines included) with a
// space, so that a request cannot write lines of its own into the log.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// Flush sends buffered data to the client.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
