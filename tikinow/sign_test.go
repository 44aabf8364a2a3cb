package tikinow_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s, err := tikinow.NewSecret()
		require.NoError(t, err)
		require.Len(t, s, tiki.WebhookSecretLen)
		for _, r := range s {
			require.True(t, r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9', s)
		}
		require.False(t, seen[s])
		seen[s] = true
	}
}

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	body := fixture(t, stockFixture)
	sig := tikinow.Sign(body, secret)
	assert.Regexp(t, `^sha1=[0-9a-f]{40}$`, sig)
	// HMAC-SHA1 of "The quick brown fox jumps over the lazy dog" keyed with "key" (RFC 2202 style vector).
	assert.Equal(t, "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9", tikinow.Sign([]byte("The quick brown fox jumps over the lazy dog"), "key"))
	require.NoError(t, tikinow.Verify(body, sig, secret))
	require.NoError(t, tikinow.Verify(body, "sha1="+strings.ToUpper(sig[5:]), secret), "hex case does not matter")
	require.NoError(t, tikinow.Verify(body, " "+sig+" ", secret), "spaces around the header are ignored")
	require.NoError(t, tikinow.Verify(body, sig, secret2, secret), "any of several secrets")

	cases := map[string]struct {
		header  string
		secrets []string
		want    error
	}{
		"missing":      {"", []string{secret}, tikinow.ErrNoSignature},
		"no prefix":    {sig[5:], []string{secret}, tikinow.ErrBadSignature},
		"sha256":       {"sha256=" + sig[5:], []string{secret}, tikinow.ErrBadSignature},
		"not hex":      {"sha1=zz", []string{secret}, tikinow.ErrBadSignature},
		"short":        {sig[:20], []string{secret}, tikinow.ErrBadSignature},
		"other secret": {sig, []string{secret2}, tikinow.ErrBadSignature},
		"no secrets":   {sig, nil, tikinow.ErrBadSignature},
		"empty secret": {tikinow.Sign(body, ""), []string{""}, tikinow.ErrBadSignature},
	}
	for name, tc := range cases {
		err := tikinow.Verify(body, tc.header, tc.secrets...)
		require.ErrorIs(t, err, tc.want, name)
		require.ErrorIs(t, err, webhook.ErrUnauthorized, name)
	}
	// One changed byte of the body breaks the signature.
	tampered := bytes.Replace(body, []byte("25"), []byte("26"), 1)
	require.ErrorIs(t, tikinow.Verify(tampered, sig, secret), tikinow.ErrBadSignature)
}
