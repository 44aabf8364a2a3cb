// Package redact removes credentials from text that leaves the SDK: log
// lines, error strings and URLs.
package redact

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Mask replaces a secret wherever it is found.
const Mask = "[REDACTED]"

// maxDynamic bounds how many rotating secrets (OAuth2 access and refresh
// tokens) are remembered; older ones have long expired.
const maxDynamic = 16

// minSecretLen keeps very short values (which would mask ordinary words)
// out of the secret list.
const minSecretLen = 6

// sensitiveKeys are header and query parameter names whose values are
// always masked, whatever they hold.
var sensitiveKeys = map[string]bool{
	"authorization":       true,
	"tiki-api":            true,
	"token":               true,
	"x-signature":         true,
	"access_token":        true,
	"refresh_token":       true,
	"id_token":            true,
	"client_secret":       true,
	"code":                true,
	"secret_key":          true,
	"proxy-authorization": true,
}

// IsSensitive reports whether a header or parameter name carries a secret.
func IsSensitive(name string) bool { return sensitiveKeys[strings.ToLower(name)] }

// Redactor masks known secret values in strings. It is safe for concurrent
// use. The zero value is ready and knows no secrets.
type Redactor struct {
	mu      sync.RWMutex
	static  []string
	dynamic []string
}

// AddStatic registers a secret that lives as long as the client (an API
// key, a client secret, a static token).
func (r *Redactor) AddStatic(secret string) {
	if len(secret) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.static = append(r.static, secret)
}

// AddDynamic registers a rotating secret (an access or refresh token); only
// the most recent ones are remembered.
func (r *Redactor) AddDynamic(secret string) {
	if len(secret) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.dynamic {
		if s == secret {
			return
		}
	}
	if len(r.dynamic) == maxDynamic {
		r.dynamic = append(r.dynamic[:0], r.dynamic[1:]...)
	}
	r.dynamic = append(r.dynamic, secret)
}

// String returns s with every known secret masked.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, list := range [][]string{r.static, r.dynamic} {
		for _, secret := range list {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, Mask)
			}
		}
	}
	return s
}

// Bytes is String for a byte slice; it returns b itself when nothing needed
// masking.
func (r *Redactor) Bytes(b []byte) []byte {
	s := r.String(string(b))
	if s == string(b) {
		return b
	}
	return []byte(s)
}

// URL returns u as a string without user information and with sensitive
// query parameters masked, then with known secrets masked.
func (r *Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			if IsSensitive(k) {
				q[k] = []string{Mask}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return r.String(c.String())
}

// Header returns a copy of h with sensitive headers masked.
func Header(h http.Header) http.Header {
	c := make(http.Header, len(h))
	for k, v := range h {
		if IsSensitive(k) {
			c[k] = []string{Mask}
			continue
		}
		c[k] = append([]string(nil), v...)
	}
	return c
}
