package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// jsonEscapings returns every way a JSON encoder may write s inside a JSON
// string when s has at most maxExhaustive characters, and otherwise n
// random ones: each character as it is or as a \u escape in lower- or
// upper-case hex (a surrogate pair beyond the BMP), a slash also as \/ (as
// PHP writes it). A quote, a backslash and control characters are always
// escaped, as JSON requires.
func jsonEscapings(s string, rng *rand.Rand, n int) []string {
	const maxExhaustive = 4
	options := func(c rune) []string {
		var u []string
		if c > 0xFFFF {
			hi, lo := utf16.EncodeRune(c)
			u = []string{fmt.Sprintf(`\u%04x\u%04x`, hi, lo), fmt.Sprintf(`\u%04X\u%04X`, hi, lo)}
		} else {
			u = []string{fmt.Sprintf(`\u%04x`, c), fmt.Sprintf(`\u%04X`, c)}
		}
		switch {
		case c == '"' || c == '\\':
			return append(u, `\`+string(c))
		case c < 0x20:
			return u
		case c == '/':
			return append(u, `\/`, "/")
		}
		return append(u, string(c))
	}
	runes := []rune(s)
	if len(runes) <= maxExhaustive {
		out := []string{""}
		for _, c := range runes {
			var next []string
			for _, prefix := range out {
				for _, o := range options(c) {
					next = append(next, prefix+o)
				}
			}
			out = next
		}
		return out
	}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for _, c := range runes {
			opts := options(c)
			b.WriteString(opts[rng.IntN(len(opts))])
		}
		out[i] = b.String()
	}
	return out
}

// A server may echo a credential inside a JSON string escaped as its
// encoder likes: PHP writes "/" as "\/", Gson and .NET write "+", "=" and
// "/" as \u escapes (upper- or lower-case hex). Every such escaping of a
// secret, of its URL-encoded forms and of the Basic Authorization value it
// makes is masked, at every length from one character.
func TestRedactorMasksEveryJSONEscaping(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 5))
	// No '<' or '>' (the test's delimiters) and no letter of Mask, so the
	// expected text is exactly the delimiters around one Mask.
	alphabet := []rune(`abfghkmnxyz0189+/=-_.~ %&?#:"\é€😀` + "\t")
	for length := 1; length <= 40; length++ {
		for range 2 {
			secret := make([]rune, length)
			for i := range secret {
				secret[i] = alphabet[rng.IntN(len(alphabet))]
			}
			s := string(secret)
			var r Redactor
			r.AddStatic(s)
			r.AddBasic("app id", s)
			forms := []string{s, url.QueryEscape(s), url.PathEscape(s),
				base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("app id") + ":" + url.QueryEscape(s)))}
			for _, form := range forms {
				for _, esc := range jsonEscapings(form, rng, 8) {
					text := `<<` + esc + `>>`
					require.Equal(t, "<<"+Mask+">>", r.String(text), "secret %q as %q", s, esc)
				}
			}
		}
	}
}

// The escapes of the brief: PHP's "\/", Gson's and .NET's \u002b, \u003d,
// \u002f in either case, in a token endpoint's answer.
func TestRedactorMasksEchoedEscapes(t *testing.T) {
	t.Parallel()
	var r Redactor
	r.AddStatic("cS3cr3t/Base64+Value==")
	for _, echoed := range []string{
		`cS3cr3t\/Base64+Value==`,
		`cS3cr3t\u002fBase64\u002bValue\u003d\u003d`,
		`cS3cr3t\u002FBase64\u002BValue\u003D\u003D`,
		`cS3cr3t\u002FBase64+Value\u003d=`,
		`\u0063S3cr3t/Base64+Value==`,
	} {
		body := `{"error":"invalid_client","error_description":"unknown secret ` + echoed + `"}`
		got := r.String(body)
		assert.Equal(t, `{"error":"invalid_client","error_description":"unknown secret `+Mask+`"}`, got, echoed)
	}
	assert.Equal(t, `a \x \u12 \`, r.String(`a \x \u12 \`), "text with stray backslashes is kept")
}

// BenchmarkStringEscaped masks a 1 MiB error body full of JSON escapes
// with a client's usual secrets registered.
func BenchmarkStringEscaped(b *testing.B) {
	var r Redactor
	r.AddStatic("seller-key-0123456789")
	r.AddStatic("app-client-secret-9f8e7d6c")
	r.AddBasic("app-client-id", "app-client-secret-9f8e7d6c")
	for i := range maxDynamic {
		r.AddDynamic(fmt.Sprintf("access-token-%02d-abcdefghijklmnop", i))
	}
	body := strings.Repeat(`{"msg":"caf\u00e9 \/path\/to a+b=c \"quoted\""} `, 1<<20/48)
	b.SetBytes(int64(len(body)))
	for range b.N {
		_ = r.String(body)
	}
}
