package tikitest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is a failure the fake answers with instead of the real response,
// armed by Server.Inject. Zero fields are not applied. Close wins over Body,
// and Body over Status; a Delay alone slows the real response down. With
// LoseAnswer the request is handled first (a write is applied) and only its
// answer is replaced.
// Inject copies the fault: changing it afterwards changes nothing armed.
type Fault struct {
	// Method selects the requests by method; empty matches any.
	Method string
	// Path selects the requests by path below the host, for example
	// "/integration/v2.1/products".
	Path string
	// Times is how many matching requests fail (0 means 1).
	Times int
	// Delay waits before answering (or before the other fault).
	Delay time.Duration
	// Close hangs up without answering, after reading the request.
	Close bool
	// Status answers with this status and Tiki's error body, or with Body
	// when it is set.
	Status int
	// Body answers with these bytes (for example truncated or non-JSON
	// text), with Status or 200.
	Body []byte
	// Header adds response headers (for example Retry-After).
	Header http.Header
	// LoseAnswer lets the request through, so that Tiki handles it (a
	// write is applied), and then answers with the fault (Close, Body or
	// Status, one of which is required) instead of Tiki's answer: a write
	// whose answer was lost on the way back.
	LoseAnswer bool
}

// Inject arms a fault for the next matching requests. A fault that could
// never match a request or would do nothing (no Path, a Path with a query
// or not starting with "/", a Method in lower case, a negative Times or
// Delay, a Status outside 200-599, none of Delay, Close, Body and Status,
// LoseAnswer without Close, Body or Status) is
// refused with a *tiki.ValidationError, and nothing is armed.
func (s *Server) Inject(f Fault) error {
	var bad problems
	bad.check(strings.HasPrefix(f.Path, "/") && !strings.ContainsAny(f.Path, "?#"), "Path",
		fmt.Sprintf("must be a path below the host such as /integration/v2.1/products, not %q", f.Path))
	bad.check(f.Method == strings.ToUpper(f.Method), "Method", fmt.Sprintf("must be upper case like the request's (%q)", strings.ToUpper(f.Method)))
	bad.check(f.Times >= 0, "Times", "must not be negative")
	bad.check(f.Delay >= 0, "Delay", "must not be negative")
	bad.check(f.Status == 0 || f.Status >= 200 && f.Status <= 599, "Status", fmt.Sprintf("must be 0 or an HTTP status from 200 to 599, not %d", f.Status))
	bad.check(f.Delay > 0 || f.Close || f.Body != nil || f.Status != 0, "Fault", "must set Delay, Close, Body or Status")
	bad.check(!f.LoseAnswer || f.Close || f.Body != nil || f.Status != 0, "LoseAnswer", "needs Close, Body or Status to answer with")
	if err := bad.err(); err != nil {
		return err
	}
	if f.Times == 0 {
		f.Times = 1
	}
	f.Header = f.Header.Clone()
	f.Body = bytes.Clone(f.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return nil
}

// takeFault returns and consumes the first armed fault matching r. s.mu must
// be held.
func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if f.Path != r.URL.Path || f.Method != "" && f.Method != r.Method {
			continue
		}
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// serveThenLose lets next handle r with its answer thrown away, then
// answers with the fault (LoseAnswer).
func (f *Fault) serveThenLose(next http.Handler, w http.ResponseWriter, r *http.Request) {
	next.ServeHTTP(&discardWriter{header: http.Header{}}, r)
	f.apply(w, r)
}

// discardWriter is a ResponseWriter that throws the answer away.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// apply answers r with the fault and reports whether it did (a delay alone
// lets the request through).
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-t.C:
		}
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	switch {
	case f.Close:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		// No connection to hang up (an HTTP/2 or recorded response): end
		// with an empty body and ask the client to close.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusBadGateway)
		return true
	case f.Body != nil:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(f.Body)
		return true
	case f.Status != 0:
		writeErrors(w, f.Status, http.StatusText(f.Status))
		return true
	}
	return false
}
