package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactorMasksKnownSecrets(t *testing.T) {
	t.Parallel()
	var r Redactor
	r.AddStatic("seller-key-123")
	r.AddStatic("") // nothing to mask
	r.AddDynamic("access-token-456")
	assert.Equal(t, "key [REDACTED] and [REDACTED], abc", r.String("key seller-key-123 and access-token-456, abc"))
	assert.Equal(t, []byte("x [REDACTED]"), r.Bytes([]byte("x seller-key-123")))
	b := []byte("clean")
	assert.Same(t, &b[0], &r.Bytes(b)[0], "unchanged input is not copied")
	var nilR *Redactor
	assert.Equal(t, "s", nilR.String("s"))
}

func TestRedactorForgetsOldDynamicSecrets(t *testing.T) {
	t.Parallel()
	var r Redactor
	for i := range maxDynamic + 1 {
		r.AddDynamic(fmt.Sprintf("token-%03d", i))
	}
	r.AddDynamic("token-016") // duplicates are not stored twice
	assert.Equal(t, "token-000", r.String("token-000"))
	assert.Equal(t, Mask, r.String("token-001"))
	assert.Equal(t, Mask, r.String(fmt.Sprintf("token-%03d", maxDynamic)))
}

func TestRedactorConcurrent(t *testing.T) {
	t.Parallel()
	var r Redactor
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(2)
		go func() { defer wg.Done(); r.AddDynamic(fmt.Sprintf("secret-%d", i)) }()
		go func() { defer wg.Done(); _ = r.String("secret-1 secret-2") }()
	}
	wg.Wait()
}

func TestURL(t *testing.T) {
	t.Parallel()
	var r Redactor
	r.AddStatic("path-secret-1")
	u, _ := url.Parse("https://user:pw@api.tiki.vn/x/path-secret-1?access_token=t0k3n&page=2&client_secret=s3cr3t")
	assert.Equal(t, "https://api.tiki.vn/x/[REDACTED]?access_token=%5BREDACTED%5D&client_secret=%5BREDACTED%5D&page=2", r.URL(u))
	assert.Equal(t, "", r.URL(nil))
}

func TestHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{"Authorization": {"Bearer x"}, "Tiki-Api": {"k"}, "X-Signature": {"sha1=ab"}, "Content-Type": {"application/json"}}
	got := Header(h)
	assert.Equal(t, http.Header{"Authorization": {Mask}, "Tiki-Api": {Mask}, "X-Signature": {Mask}, "Content-Type": {"application/json"}}, got)
	assert.Equal(t, "Bearer x", h.Get("Authorization"), "the original is untouched")
	assert.True(t, IsSensitive("TIKI-API"))
	assert.False(t, IsSensitive("page"))
}

// A secret is masked in every form it may be echoed in, whatever its
// length, and inside the Basic Authorization value it makes.
func TestRedactorMasksEveryEncoding(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"x", "a+b", `p"q\r`, "s p/ä&=%<>", "sec ret+/=:&?#%\"<>é-0123456789abcdef"} {
		var r Redactor
		r.AddStatic(secret)
		r.AddBasic("my id", secret)
		j, _ := json.Marshal(secret)
		forms := map[string]string{
			"raw":           secret,
			"query":         url.QueryEscape(secret),
			"path":          url.PathEscape(secret),
			"json":          string(j[1 : len(j)-1]),
			"go-quoted":     fmt.Sprintf("%q", secret)[1 : len(fmt.Sprintf("%q", secret))-1],
			"basic":         base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("my id") + ":" + url.QueryEscape(secret))),
			"basic raw":     base64.StdEncoding.EncodeToString([]byte("my id:" + secret)),
			"basic url-enc": url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("my id") + ":" + url.QueryEscape(secret)))),
		}
		for name, f := range forms {
			text := "<<" + f + ">>"
			assert.Equal(t, "<<"+Mask+">>", r.String(text), "%q as %s", secret, name)
		}
	}
}
