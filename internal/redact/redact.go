package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Mask replaces a secret wherever it is found.
const Mask = "[REDACTED]"

// maxDynamic bounds how many rotating secrets (OAuth2 access and refresh
// tokens) are remembered; older ones have long expired.
const maxDynamic = 16

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

// Redactor masks known secret values in strings, in every form a server
// or a library may echo them: as they are, URL-encoded (query and path
// style, upper- or lower-case hex), Go-quoted, inside an HTTP Basic
// Authorization value (AddBasic), and each of these inside a JSON string
// however its encoder escaped it: any character may be written as a \u
// escape (upper- or lower-case hex, a surrogate pair beyond the BMP) or a
// short escape (\/ from PHP, \" \\ \b \f \n \r \t), or left as it
// is. Secrets of any length are masked; a very short one masks every
// occurrence of its characters, ordinary text included. It is safe for
// concurrent use. The zero value is ready and knows no secrets.
type Redactor struct {
	mu      sync.RWMutex
	static  [][]string // per secret, its encodings
	dynamic [][]string
	dynKeys []string // the dynamic secrets, oldest first
	needles []string // every encoding of every secret, longest first
	// byFirst indexes the needles, as characters, by their first
	// character, for the pass over JSON-escaped text (see unescaped);
	// starts marks the bytes that may begin one: the first byte of a
	// first character, and the backslash of an escape.
	byFirst map[rune][][]rune
	starts  [256]bool
}

// AddStatic registers a secret that lives as long as the client (an API
// key, a client secret, a static token).
func (r *Redactor) AddStatic(secret string) {
	if secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.static = append(r.static, Encodings(secret))
	r.rebuild()
}

// AddBasic registers the HTTP Basic Authorization value that id and secret
// make, in both forms clients send: base64 of "id:secret", and of the two
// URL-encoded first (RFC 6749, section 2.3.1, which the oauth2 package
// follows). The secret alone needs AddStatic too.
func (r *Redactor) AddBasic(id, secret string) {
	if secret == "" {
		return
	}
	var enc []string
	for _, pair := range []string{id + ":" + secret, url.QueryEscape(id) + ":" + url.QueryEscape(secret)} {
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			enc = append(enc, Encodings(e.EncodeToString([]byte(pair)))...)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.static = append(r.static, enc)
	r.rebuild()
}

// AddDynamic registers a rotating secret (an access or refresh token); only
// the most recent ones are remembered.
func (r *Redactor) AddDynamic(secret string) {
	if secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.dynKeys {
		if s == secret {
			return
		}
	}
	if len(r.dynKeys) == maxDynamic {
		r.dynKeys = append(r.dynKeys[:0], r.dynKeys[1:]...)
		r.dynamic = append(r.dynamic[:0], r.dynamic[1:]...)
	}
	r.dynKeys = append(r.dynKeys, secret)
	r.dynamic = append(r.dynamic, Encodings(secret))
	r.rebuild()
}

// rebuild recomputes the needles, longest first, so that a secret inside a
// longer encoding does not break that encoding's match. r.mu is held.
func (r *Redactor) rebuild() {
	seen := make(map[string]bool)
	r.needles = r.needles[:0]
	for _, list := range [][][]string{r.static, r.dynamic} {
		for _, encs := range list {
			for _, e := range encs {
				if e != "" && !seen[e] {
					seen[e] = true
					r.needles = append(r.needles, e)
				}
			}
		}
	}
	slices.SortStableFunc(r.needles, func(a, b string) int { return len(b) - len(a) })
	r.byFirst = make(map[rune][][]rune)
	r.starts = [256]bool{'\\': true}
	for _, n := range r.needles {
		rs := []rune(n)
		r.byFirst[rs[0]] = append(r.byFirst[rs[0]], rs)
		r.starts[n[0]] = true
	}
}

// Encodings returns the forms in which s may appear in text: as it is,
// URL-encoded as a query value and as a path segment (upper- and
// lower-case hex), JSON-escaped (with and without HTML escaping) and
// Go-quoted. Duplicates are removed.
func Encodings(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	for _, f := range forms[1:] {
		forms = append(forms, lowerHex(f))
	}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		j := strings.TrimSpace(buf.String())
		forms = append(forms, j[1:len(j)-1])
	}
	q := strconv.Quote(s)
	forms = append(forms, q[1:len(q)-1])
	slices.Sort(forms)
	return slices.Compact(forms)
}

// lowerHex rewrites the hex digits of %XX escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}

// String returns s with every known secret masked.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	// The escapes first: masking a plain needle first could cut into the
	// hex digits of an escape that a longer needle's escaped form needs.
	if strings.IndexByte(s, '\\') >= 0 {
		s = r.unescaped(s)
	}
	for _, n := range r.needles {
		if strings.Contains(s, n) {
			s = strings.ReplaceAll(s, n, Mask)
		}
	}
	return s
}

// unescaped masks the secrets that s holds with JSON escapes: it reads s
// character by character, each escape sequence as the character it stands
// for, and masks every run of characters that spells a needle. r.mu is
// held for reading.
func (r *Redactor) unescaped(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is written to b
	for i := 0; i < len(s); {
		if !r.starts[s[i]] {
			i++
			continue
		}
		c, next := decodeChar(s, i)
		end := -1
		for _, n := range r.byFirst[c] {
			if e, ok := matchAt(s, next, n[1:]); ok {
				end = e
				break
			}
		}
		if end < 0 {
			i = next
			continue
		}
		b.WriteString(s[done:i])
		b.WriteString(Mask)
		done, i = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// matchAt reports whether the characters of s from i on spell want, each
// written as it is or as a JSON escape, and returns where they end.
func matchAt(s string, i int, want []rune) (int, bool) {
	for _, w := range want {
		if i >= len(s) {
			return 0, false
		}
		var c rune
		c, i = decodeChar(s, i)
		if c != w {
			return 0, false
		}
	}
	return i, true
}

// decodeChar reads the character at s[i:] as a JSON string holds it: an
// escape sequence (\" \\ \/ \b \f \n \r \t, \uXXXX in either case, a
// surrogate pair of two \u escapes) or a UTF-8 character as it is. A
// backslash that starts no valid escape is read as itself. It returns the
// character and the index after it.
func decodeChar(s string, i int) (rune, int) {
	if s[i] != '\\' || i+1 >= len(s) {
		c, n := utf8.DecodeRuneInString(s[i:])
		return c, i + n
	}
	switch s[i+1] {
	case '"', '\\', '/':
		return rune(s[i+1]), i + 2
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		c, ok := hex4(s, i+2)
		if !ok {
			break
		}
		if utf16.IsSurrogate(c) && i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
			if lo, ok := hex4(s, i+8); ok {
				if pair := utf16.DecodeRune(c, lo); pair != utf8.RuneError {
					return pair, i + 12
				}
			}
		}
		return c, i + 6
	}
	return '\\', i + 1
}

// hex4 reads four hex digits (either case) at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 16)
	return rune(n), err == nil
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
