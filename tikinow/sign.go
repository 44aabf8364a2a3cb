package tikinow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/webhook"
)

// SignatureHeader is the header carrying TikiNOW's delivery signature.
const SignatureHeader = "X-Signature"

// Errors of signature checks. Both wrap [webhook.ErrUnauthorized].
var (
	// ErrNoSignature: the delivery carries no X-Signature header.
	ErrNoSignature = fmt.Errorf("%w: no %s header", webhook.ErrUnauthorized, SignatureHeader)
	// ErrBadSignature: the X-Signature header is not "sha1=<hex>", or does
	// not match the body's HMAC-SHA1 under any of the secret keys.
	ErrBadSignature = fmt.Errorf("%w: signature does not match", webhook.ErrUnauthorized)
)

// NewSecret returns a new random secret key of [tiki.WebhookSecretLen]
// (32) letters and digits, from the system's secure random source, to
// register with [tiki.WebhooksService.Register] and give to [NewReceiver].
func NewSecret() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, tiki.WebhookSecretLen)
	buf := make([]byte, 64)
	for len(out) < tiki.WebhookSecretLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("tikinow: generating a secret: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps every letter equally likely.
			if b < 248 && len(out) < tiki.WebhookSecretLen {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// Sign returns the X-Signature header value TikiNOW sends with body:
// "sha1=" and the lowercase hex HMAC-SHA1 of the raw body keyed with
// secret. Use it to test your own handlers.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery's X-Signature header against its raw body with
// each secret in turn (several are accepted at once while a secret is being
// rotated), comparing in constant time. Empty secrets never match. The
// error is [ErrNoSignature] or wraps [ErrBadSignature].
func Verify(body []byte, header string, secrets ...string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrNoSignature
	}
	hexSum, ok := strings.CutPrefix(header, "sha1=")
	if !ok {
		return fmt.Errorf("%w: want sha1=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha1.Size {
		return fmt.Errorf("%w: not a hex SHA-1", ErrBadSignature)
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			return nil
		}
	}
	return ErrBadSignature
}
