package webhook

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxBodyBytes is the body size limit receivers apply unless
// configured otherwise: 1 MiB, far above any documented payload.
const DefaultMaxBodyBytes int64 = 1 << 20

// DefaultBodyTimeout is how long receivers wait for a request body unless
// configured otherwise: 10 seconds, far above what a webhook sender needs
// for the few kilobytes it sends, and short enough that clients sending
// slowly cannot hold the server's goroutines and connections for long.
const DefaultBodyTimeout = 10 * time.Second

// ReadBody reads the body of r, refusing one larger than limit bytes (zero
// or less means [DefaultMaxBodyBytes]). A body over the limit yields an error
// wrapping [ErrBodyTooLarge]; it is detected from Content-Length when the
// sender declares it, without reading anything.
//
// w may be nil. When it is the ResponseWriter of r, the server is told to
// close the connection after a too large body instead of draining it.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.Body == nil {
		return []byte{}, nil
	}
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes declared, limit is %d", ErrBodyTooLarge, r.ContentLength, limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, limit)
		}
		return nil, fmt.Errorf("webhook: read body: %w", err)
	}
	return body, nil
}

// BodyKey returns a key identifying a delivery by its content: the
// lowercase hex SHA-256 of the raw body. Receivers use it for payloads that
// carry no delivery id, so that two byte-identical deliveries count as one.
func BodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SecretEqual reports whether got equals want, comparing SHA-256 digests of
// both with [subtle.ConstantTimeCompare], so that the time taken reveals
// neither the secret's content nor its length. An empty want never matches:
// a receiver configured without a secret must not accept an empty header.
func SecretEqual(got, want string) bool {
	if want == "" {
		return false
	}
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// WriteJSON writes v as the JSON body of a reply with the given status code,
// setting Content-Type. If v cannot be encoded it answers 500 with an empty
// JSON object instead and returns the encoding error; otherwise it returns
// the error of writing the body, if any.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte("{}")
		err = fmt.Errorf("webhook: encode reply: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if _, werr := w.Write(append(body, '\n')); err == nil {
		err = werr
	}
	return err
}

// ParseTime parses a timestamp in the shapes webhook senders write them:
//
//   - RFC 3339, with or without fractional seconds ("2021-04-07T06:06:46.494Z",
//     "2023-05-01T10:00:00+07:00"), also with a space in place of the "T";
//   - without a zone: "2006-01-02 15:04:05" (optionally with fractional
//     seconds), "2006-01-02T15:04:05" and a bare date "2006-01-02", all read
//     as wall-clock time in loc (UTC when loc is nil).
//
// Leading and trailing spaces are ignored. Anything else is an error.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00"} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		// time.Parse accepts an offset of ±24:00, which RFC 3339 (and so
		// time.Time.MarshalJSON) cannot represent.
		if _, offset := t.Zone(); offset <= -24*60*60 || offset >= 24*60*60 {
			return time.Time{}, fmt.Errorf("webhook: time zone offset out of range in %q", s)
		}
		return t, nil
	}
	for _, layout := range [...]string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("webhook: unrecognized time %q", s)
}

// DecodeObject decodes body, which must be a JSON object, into v, as
// [json.Unmarshal] does. Receivers use it for the envelope of a delivery:
// unlike json.Unmarshal into a struct, it refuses null, arrays and other
// values that are not objects. An error wraps [ErrMalformedPayload].
func DecodeObject(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: body is not a JSON object", ErrMalformedPayload)
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedPayload, err)
	}
	return nil
}
